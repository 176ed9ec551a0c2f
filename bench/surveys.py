"""Benchmark: public satisfaction surveys (SKM) — full recompute against a GROUP BY floor,
submission throughput over HTTP, and the freshness of the results.

1. **Full recompute** of generated responses across `--regions` regions, at two sizes
   (`--small`, then `--responses`): the nightly cron's work, one `recompute_survey_results`
   job per region run by a real `kinerja worker` process (the same function the cron
   enqueues; `recomputeSurveyResults` runs the same `aggregate()` per campaign), against the
   floor: the same result numbers (every campaign × service, unit and region, totals and
   profile breakdowns) from ONE hand-written `GROUP BY` statement per region as the app role
   (RLS on), in the same run. The numbers are checked equal before anything is timed. The
   worker's peak RSS (VmHWM, a fresh worker per size) must not grow with the responses.
2. **Submission throughput**: `submitSurveyResponse` via POST /graphql from `--clients`
   concurrent httpx clients, with `kinerja serve` and a `kinerja worker` (relay + debounced
   aggregation) running.
3. **Freshness**: while submissions continue at `--rate` per second, probes submit to
   services of their own and poll `surveyResults` until the respondent count includes them.

    .venv/bin/python -m bench.surveys            # or: make bench-surveys
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import platform
import random
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench.common import (
    DEFAULT_DATABASE_URL,
    REPO_ROOT,
    RESULTS_DIR,
    ApiServer,
    WorkerProcess,
    access_token,
    empty_redis,
    fresh_database,
    load_average,
    percentile,
    proc_status_mib,
    region_admin,
)
from bench.generate import generate
from bench.http_client import ConnectionPool, KeepAliveConnection, RawResponse
from kinerja_saas.database import APP_SERVER_SETTINGS, app_connection_params
from kinerja_saas.regions.defaults import SKM_ELEMENTS
from kinerja_saas.settings import Settings
from kinerja_saas.surveys.rules import band_sql
from tenants.plans import RegionPlan

BENCH_DB = "kinerja_bench_surveys"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
RESULTS_FILE = RESULTS_DIR / "surveys.json"
WORKER_LOG = RESULTS_DIR / "surveys.worker.log"
SERVER_LOG = RESULTS_DIR / "surveys.server.log"
TARGET_RECOMPUTE = 1.5  # × the floor
TARGET_RPS = 300.0
TARGET_FRESHNESS = 2.0  # seconds
RSS_FLAT_TOLERANCE = 1.10  # "flat": the larger size's peak within 10 % of the smaller's

SET_TENANT = "SELECT set_config('app.tenant_id', $1, true)"

# --- the data (set-based, as the owner) ---------------------------------------------------

SERVICE_NAMES = [
    "Perekaman KTP-el",
    "Akta Kelahiran",
    "Kartu Keluarga",
    "Perizinan Berusaha (OSS)",
    "Persetujuan Bangunan Gedung",
    "Rawat Jalan Puskesmas",
    "Pelayanan Rawat Inap RSUD",
    "Legalisir Ijazah",
    "Izin Praktik Tenaga Kesehatan",
    "Pengaduan Masyarakat",
    "Pindah Datang Penduduk",
    "Akta Kematian",
    "Izin Reklame",
    "Pelayanan Pajak Daerah",
    "Uji Kendaraan Bermotor",
    "Rekomendasi Izin Lingkungan",
]

# $1 tenant, $2 services: service k in unit 1 + (k-1) div 2 (two services per unit, so the
# unit roll-up differs from the service rows), populations 300 … 50,000 a year.
INSERT_SERVICES = """
WITH units AS (
    SELECT id, row_number() OVER (ORDER BY code) AS uk FROM org_units WHERE tenant_id = $1
)
INSERT INTO survey_services (tenant_id, unit_id, name, description, population_per_year,
                             is_active, created_at)
SELECT $1, u.id, ($3::text[])[1 + (k - 1) % array_length($3::text[], 1)]
                 || CASE WHEN k > array_length($3::text[], 1) THEN ' ' || k ELSE '' END,
       '', 300 + (k * 7919) % 49700, true, now()
FROM generate_series(1, $2::int) AS k
JOIN units u ON u.uk = 1 + (k - 1) / 2
"""

# $1 tenant, $2 campaigns, $3 today: the last campaign is open (opened 30 days ago), each
# earlier one a closed half-year before it.
INSERT_CAMPAIGNS = """
INSERT INTO survey_campaigns (tenant_id, name, period_label, opens_on, closes_on,
                              extra_questions, profile_fields, created_at)
SELECT $1, 'SKM Bench ' || c, 'Periode ' || c,
       $3::date - 30 - ($2 - c) * 182,
       CASE WHEN c = $2 THEN $3::date + 60 ELSE $3::date - 30 - ($2 - c) * 182 + 150 END,
       '[]'::jsonb, '["age_band", "gender", "education", "occupation"]'::jsonb, now()
FROM generate_series(1, $2::int) AS c
"""

# Every service in every campaign, with an unguessable-looking unique code.
INSERT_CAMPAIGN_SERVICES = """
INSERT INTO survey_campaign_services (tenant_id, campaign_id, service_id, code)
SELECT $1::bigint, c.id, s.id,
       'bench' || substr(md5($1::bigint || ':' || c.id || ':' || s.id), 1, 27)
FROM survey_campaigns c JOIN survey_services s ON s.tenant_id = c.tenant_id
WHERE c.tenant_id = $1::bigint
"""

# $1 tenant, $2 first row number, $3 last. Services get responses skewed (the first ones
# many, the last few), every campaign × service has a quality level (2.2 … 3.8) around which
# its answers spread (element U4 "biaya" better: often free; U3 "waktu" worse), so the bands
# A–D all occur. Profiles from the allowed lists with realistic weights and ~5 % skipped,
# a suggestion on ~4 %.
INSERT_RESPONSES = """
WITH cs AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY cs.service_id, cs.campaign_id) AS k,
           cs.campaign_id, cs.service_id,
           2.2 + ((cs.service_id * 37 + cs.campaign_id * 11) % 17) / 10.0 AS q,
           c.opens_on
    FROM survey_campaign_services cs JOIN survey_campaigns c
        ON c.tenant_id = cs.tenant_id AND c.id = cs.campaign_id
    WHERE cs.tenant_id = $1
), n AS (SELECT count(*)::int AS total FROM cs),
pick AS (
    SELECT g, 1 + floor(power(random(), 1.6) * (SELECT total FROM n))::int AS k
    FROM generate_series($2::int, $3::int) AS g
)
INSERT INTO survey_responses (tenant_id, campaign_id, service_id,
    u1, u2, u3, u4, u5, u6, u7, u8, u9,
    age_band, gender, education, occupation, suggestion, extra_answers, client_token,
    submitted_at)
SELECT $1, cs.campaign_id, cs.service_id,
    least(4, greatest(1, round(cs.q + (random() - 0.5) * 1.8)))::smallint,
    least(4, greatest(1, round(cs.q - 0.1 + (random() - 0.5) * 1.8)))::smallint,
    least(4, greatest(1, round(cs.q - 0.3 + (random() - 0.5) * 2.0)))::smallint,
    least(4, greatest(1, round(cs.q + 0.4 + (random() - 0.5) * 1.6)))::smallint,
    least(4, greatest(1, round(cs.q + (random() - 0.5) * 1.8)))::smallint,
    least(4, greatest(1, round(cs.q + 0.1 + (random() - 0.5) * 1.8)))::smallint,
    least(4, greatest(1, round(cs.q + 0.2 + (random() - 0.5) * 1.8)))::smallint,
    least(4, greatest(1, round(cs.q - 0.2 + (random() - 0.5) * 2.0)))::smallint,
    least(4, greatest(1, round(cs.q + (random() - 0.5) * 1.8)))::smallint,
    (ARRAY['UNDER_20', '20_29', '20_29', '20_29', '30_39', '30_39', '30_39', '30_39',
           '40_49', '40_49', '40_49', '50_59', '50_59', '60_PLUS', '60_PLUS', NULL, NULL
          ])[1 + floor(random() * 17)::int],
    (ARRAY['LAKI_LAKI', 'PEREMPUAN', 'LAKI_LAKI', 'PEREMPUAN', 'LAKI_LAKI', 'PEREMPUAN',
           'LAKI_LAKI', 'PEREMPUAN', 'LAKI_LAKI', 'PEREMPUAN', NULL])[1 + floor(random() * 11)::int],
    (ARRAY['SD', 'SMP', 'SMP', 'SMA', 'SMA', 'SMA', 'SMA', 'SMA', 'D1_D3', 'D1_D3', 'D4_S1',
           'D4_S1', 'D4_S1', 'D4_S1', 'S2_PLUS', NULL, NULL])[1 + floor(random() * 17)::int],
    (ARRAY['PNS', 'TNI_POLRI', 'PEGAWAI_SWASTA', 'PEGAWAI_SWASTA', 'PEGAWAI_SWASTA',
           'WIRAUSAHA', 'WIRAUSAHA', 'WIRAUSAHA', 'PELAJAR', 'PELAJAR', 'LAINNYA', 'LAINNYA',
           'LAINNYA', NULL])[1 + floor(random() * 14)::int],
    CASE WHEN random() < 0.04 THEN (ARRAY['Antrean terlalu lama, mohon tambah loket',
        'Petugas ramah dan cepat, terima kasih', 'Persyaratan mohon diumumkan lebih jelas',
        'Ruang tunggu panas, perlu kipas angin', 'Sistem online sering gangguan',
        'Pelayanan sudah baik, pertahankan'])[1 + floor(random() * 6)::int] END,
    '{}'::jsonb,
    'gen-' || lpad(g::text, 9, '0'),
    cs.opens_on + (random() * 120 || ' days')::interval
FROM pick JOIN cs USING (k)
"""

ELEMENT_ROWS = [
    (code, name, orjson.dumps(list(labels)).decode(), i)
    for i, (code, name, labels) in enumerate(SKM_ELEMENTS, 1)
]


@dataclass
class Region:
    tenant_id: int
    account_id: int
    email: str
    employee_id: int
    open_campaign: int
    codes: list[tuple[int, str]]  # (service id, code) of the open campaign


async def generate_surveys(
    owner_url: str,
    tenant_ids: list[int],
    *,
    services: int,
    campaigns: int,
    per_ip_hour: int,
) -> list[Region]:
    conn = await asyncpg.connect(owner_url)
    try:
        async with conn.transaction():
            await conn.execute(
                "UPDATE tenants SET settings = jsonb_set(coalesce(settings, '{}'::jsonb),"
                " '{surveys}', coalesce(settings->'surveys', '{}'::jsonb)"
                " || jsonb_build_object('rate_limit_per_ip_per_hour', $2::int))"
                " WHERE id = ANY($1::bigint[])",
                tenant_ids,
                per_ip_hour,
            )
            await conn.executemany(
                "INSERT INTO survey_elements (tenant_id, code, name, answer_labels, position)"
                " VALUES ($1, $2, $3, $4::jsonb, $5)",
                [(t, *row) for t in tenant_ids for row in ELEMENT_ROWS],
            )
            for t in tenant_ids:
                await conn.execute(INSERT_SERVICES, t, services, SERVICE_NAMES)
                await conn.execute(INSERT_CAMPAIGNS, t, campaigns, date.today())
                await conn.execute(INSERT_CAMPAIGN_SERVICES, t)
        await conn.execute("ANALYZE survey_services, survey_campaigns, survey_campaign_services")
        regions = []
        for t in tenant_ids:
            account = await region_admin(conn, t)
            open_campaign = await conn.fetchval(
                "SELECT max(id) FROM survey_campaigns WHERE tenant_id = $1", t
            )
            codes = await conn.fetch(
                "SELECT service_id, code FROM survey_campaign_services"
                " WHERE tenant_id = $1 AND campaign_id = $2 ORDER BY service_id",
                t,
                open_campaign,
            )
            regions.append(
                Region(
                    t,
                    account["id"],
                    account["email"],
                    account["employee_id"],
                    open_campaign,
                    [(r["service_id"], r["code"]) for r in codes],
                )
            )
        return regions
    finally:
        await conn.close()


async def add_responses(owner_url: str, tenant_ids: list[int], first: int, last: int) -> float:
    """Rows `first` … `last` (per region) on two connections; returns the seconds taken.
    Foreign-key triggers are off for the owner's session (session_replication_role): every
    row names a campaign × service of its region by construction; CHECKs still apply."""
    started = time.perf_counter()
    queue = list(tenant_ids)

    async def loader(seed: float) -> None:
        conn = await asyncpg.connect(owner_url)
        try:
            await conn.execute("SET session_replication_role = replica")
            await conn.execute("SELECT setseed($1)", seed)
            while queue:
                t = queue.pop(0)
                await conn.execute(INSERT_RESPONSES, t, first, last)
        finally:
            await conn.close()

    await asyncio.gather(loader(0.17), loader(0.42))
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("VACUUM ANALYZE survey_responses")
    finally:
        await conn.close()
    return time.perf_counter() - started


# --- the floor ----------------------------------------------------------------------------

_SUMS = ", ".join(f"sum(r.u{i})::int AS s{i}" for i in range(1, 10))
_ROLL = ", ".join(f"sum(a.s{i})::int AS s{i}" for i in range(1, 10))
_TOTAL = " + ".join(f"sum(a.s{i})" for i in range(1, 10))

# One statement per region: the campaign × service × slice groups in one pass over the
# responses, rolled up to units and the region by GROUPING SETS over those groups (sums
# are additive), with the converted IKM and band. No writes.
FLOOR_SQL = f"""
WITH a AS (
    SELECT r.campaign_id, r.service_id, s.unit_id, d.dimension, d.value,
           count(*)::int AS n, {_SUMS}
    FROM survey_responses r
    JOIN survey_services s ON s.tenant_id = r.tenant_id AND s.id = r.service_id
    CROSS JOIN LATERAL (VALUES ('TOTAL', ''), ('AGE_BAND', r.age_band),
        ('GENDER', r.gender), ('EDUCATION', r.education), ('OCCUPATION', r.occupation))
        AS d (dimension, value)
    WHERE r.tenant_id = $1 AND d.value IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
)
SELECT g.*, {band_sql("g.conv")} AS band FROM (
    SELECT a.campaign_id,
           CASE WHEN GROUPING(a.service_id) = 0 THEN 'SERVICE'
                WHEN GROUPING(a.unit_id) = 0 THEN 'UNIT' ELSE 'REGION' END AS scope,
           coalesce(a.service_id, a.unit_id, 0) AS scope_id, a.dimension, a.value,
           sum(a.n)::int AS n, {_ROLL},
           round(({_TOTAL})::numeric * 25 / (9 * sum(a.n)), 2) AS conv
    FROM a
    GROUP BY GROUPING SETS ((a.campaign_id, a.dimension, a.value, a.unit_id, a.service_id),
                            (a.campaign_id, a.dimension, a.value, a.unit_id),
                            (a.campaign_id, a.dimension, a.value))
) g
"""

PLATFORM_RESULTS_SQL = """
SELECT tenant_id, campaign_id, scope, scope_id, dimension, value, respondents AS n,
       element_sums, converted_ikm AS conv, band
FROM survey_results
"""


def _key_value(tenant_id: int, row: asyncpg.Record, sums: list[int]) -> tuple[tuple, tuple]:
    return (
        (
            tenant_id,
            row["campaign_id"],
            row["scope"],
            row["scope_id"],
            row["dimension"],
            row["value"],
        ),
        (row["n"], tuple(sums), Decimal(row["conv"]), row["band"]),
    )


async def floor_rows(pool: asyncpg.Pool, tenant_id: int) -> list[asyncpg.Record]:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(SET_TENANT, str(tenant_id))
        return await conn.fetch(FLOOR_SQL, tenant_id)


async def floor_run(pool: asyncpg.Pool, tenant_ids: list[int]) -> tuple[float, dict]:
    started = time.perf_counter()
    results = await asyncio.gather(*(floor_rows(pool, t) for t in tenant_ids))
    seconds = time.perf_counter() - started
    out = {}
    for t, rows in zip(tenant_ids, results, strict=True):
        for row in rows:
            k, v = _key_value(t, row, [row[f"s{i}"] for i in range(1, 10)])
            out[k] = v
    return seconds, out


async def platform_results(owner: asyncpg.Connection) -> dict:
    out = {}
    for row in await owner.fetch(PLATFORM_RESULTS_SQL):
        sums = row["element_sums"]
        k, v = _key_value(row["tenant_id"], row, orjson.loads(sums))
        out[k] = v
    return out


def compare(platform: dict, floor: dict) -> list[str]:
    problems = []
    only_p = platform.keys() - floor.keys()
    only_f = floor.keys() - platform.keys()
    if only_p:
        problems.append(f"{len(only_p)} rows only in survey_results, e.g. {sorted(only_p)[:3]}")
    if only_f:
        problems.append(f"{len(only_f)} rows only in the floor, e.g. {sorted(only_f)[:3]}")
    differ = [k for k in platform.keys() & floor.keys() if platform[k] != floor[k]]
    if differ:
        k = sorted(differ)[0]
        problems.append(f"{len(differ)} rows differ, e.g. {k}: {platform[k]} vs {floor[k]}")
    return problems


# --- the platform's recompute through the worker -------------------------------------------


async def platform_run(arq_redis, tenant_ids: list[int], run: str) -> dict[str, float]:
    """Enqueues the nightly cron's jobs (one `recompute_survey_results` per region, the
    cron's job ids with this run's suffix) and waits for all; the figure is the span from the
    first job's start to the last job's finish (arq's own timestamps), the end-to-end time
    (enqueue → last result seen, with arq's 0.5 s queue poll) is kept too."""
    from arq.jobs import Job

    from workers.jobs import RECOMPUTE_SURVEY_RESULTS
    from workers.queue import enqueue

    started = time.perf_counter()
    ids = [f"recompute_survey_results:{t}:{run}" for t in tenant_ids]
    for t, job_id in zip(tenant_ids, ids, strict=True):
        await enqueue(arq_redis, RECOMPUTE_SURVEY_RESULTS, job_id=job_id, tenant_id=t)
    jobs = [Job(job_id, arq_redis) for job_id in ids]
    for job in jobs:
        await job.result(timeout=900, poll_delay=0.02)
    end_to_end = time.perf_counter() - started
    infos = [await job.result_info() for job in jobs]
    if any(i is None or not i.success for i in infos):
        raise RuntimeError(f"a recompute job failed: {infos}")
    span = (max(i.finish_time for i in infos) - min(i.start_time for i in infos)).total_seconds()
    job_seconds = [(i.finish_time - i.start_time).total_seconds() for i in infos]
    return {"span": span, "end_to_end": end_to_end, "max_job": max(job_seconds)}


def proc_tree_cpu_seconds(pid: int | None) -> float:
    """CPU seconds (user + system) of a process and its direct children (uvicorn's
    `--workers` processes)."""
    if pid is None:
        return 0.0
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if stat.parent.name == str(pid) or fields[1] == str(pid):
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def recompute_phase(
    args: argparse.Namespace,
    owner_url: str,
    redis_url: str,
    settings: Settings,
    tenant_ids: list[int],
    size: int,
) -> dict[str, Any]:
    from workers.queue import connect

    worker = WorkerProcess(owner_url, redis_url, WORKER_LOG.with_suffix(f".{size}.log"))
    arq_redis = await connect(settings)
    owner = await asyncpg.connect(owner_url)
    pool = await asyncpg.create_pool(
        **app_connection_params(settings),
        min_size=args.floor_concurrency,
        max_size=args.floor_concurrency,
        server_settings=dict(APP_SERVER_SETTINGS),
    )
    try:
        await worker.start()
        await asyncio.sleep(3)  # connects, starts its relay
        rss_idle = proc_status_mib(worker.pid, "VmRSS") if worker.pid else None
        # Check before timing: the platform's results equal the floor's, row for row.
        warm = await platform_run(arq_redis, tenant_ids, f"check-{size}")
        _, floor = await floor_run(pool, tenant_ids)
        problems = compare(await platform_results(owner), floor)
        print(
            f"  [{size:,}] check: {len(floor):,} result rows,"
            f" {'equal' if not problems else 'DIFFERENT: ' + '; '.join(problems)}"
            f" (untimed run {warm['span']:.2f} s)",
            flush=True,
        )
        if problems and not args.time_anyway:
            return {"responses": size, "rows": len(floor), "problems": problems}
        floor_s, platform_s, e2e_s = [], [], []
        for k in range(args.rounds):
            seconds, _ = await floor_run(pool, tenant_ids)
            floor_s.append(seconds)
            run = await platform_run(arq_redis, tenant_ids, f"{size}-{k}")
            platform_s.append(run["span"])
            e2e_s.append(run["end_to_end"])
            print(
                f"  [{size:,}] round {k + 1}: floor {seconds:.2f} s, platform {run['span']:.2f} s"
                f" (end to end {run['end_to_end']:.2f} s, longest region job"
                f" {run['max_job']:.2f} s)",
                flush=True,
            )
        return {
            "responses": size,
            "rows": len(floor),
            "problems": problems,
            "floor_seconds": floor_s,
            "platform_seconds": platform_s,
            "platform_end_to_end_seconds": e2e_s,
            "worker_rss_idle_mib": rss_idle,
            "worker_peak_rss_mib": proc_status_mib(worker.pid, "VmHWM") if worker.pid else None,
        }
    finally:
        await worker.stop()
        await pool.close()
        await owner.close()
        await arq_redis.aclose()


# --- HTTP: throughput and freshness --------------------------------------------------------

SUBMIT = """mutation S($code: String!, $answers: [SurveyAnswerInput!]!, $token: String!,
  $profile: SurveyProfileInput, $suggestion: String) {
  submitSurveyResponse(code: $code, answers: $answers, clientToken: $token, profile: $profile,
    suggestion: $suggestion) { accepted replayed errors { field code message } } }"""

RESULTS_QUERY = """query R($c: ID!) { surveyResults(campaignId: $c, groupBy: SERVICE) {
  items { id respondents } } }"""

_tokens = itertools.count(1)
_rng = random.Random(2026)
_AGES = ["20_29", "30_39", "40_49", "50_59", "UNDER_20", "60_PLUS"]
_EDU = ["SD", "SMP", "SMA", "D1_D3", "D4_S1", "S2_PLUS"]
_JOBS = ["PNS", "PEGAWAI_SWASTA", "WIRAUSAHA", "PELAJAR", "LAINNYA", "TNI_POLRI"]


def submission_body(code: str) -> bytes:
    q = _rng.choice([2, 3, 3, 3, 4])
    variables = {
        "code": code,
        "answers": [
            {"element": f"U{i}", "value": max(1, min(4, q + _rng.choice([-1, 0, 0, 0, 1])))}
            for i in range(1, 10)
        ],
        "token": f"bench-http-{next(_tokens):09d}",
        "profile": {
            "ageBand": _rng.choice(_AGES),
            "gender": _rng.choice(["LAKI_LAKI", "PEREMPUAN"]),
            "education": _rng.choice(_EDU),
            "occupation": _rng.choice(_JOBS),
        },
        "suggestion": "Antrean cepat, petugas ramah" if _rng.random() < 0.05 else None,
    }
    return orjson.dumps({"query": SUBMIT, "variables": variables})


POLL_LATENCIES: list[float] = []  # each surveyResults poll of the freshness probes
ACCEPTED = [0]  # submissions the API accepted (counted against the rows stored)


def submission_problem(response: httpx.Response | RawResponse) -> str | None:
    """None for an accepted new response (counted), else what went wrong."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    data = orjson.loads(response.content)
    if data.get("errors"):
        return f"errors: {orjson.dumps(data['errors'])[:200].decode()}"
    payload = data["data"]["submitSurveyResponse"]
    if not payload["accepted"] or payload["replayed"] or payload["errors"]:
        return f"not accepted: {payload}"
    ACCEPTED[0] += 1
    return None


HEADERS = {"content-type": "application/json"}


async def throughput_phase(
    args: argparse.Namespace, server: ApiServer, worker: WorkerProcess, codes: list[str]
) -> dict[str, Any]:
    """`--clients` clients, each sending the next prepared body as soon as its last one was
    answered, for `--seconds` (after `--warmup` unmeasured requests)."""
    total = int(args.clients * args.seconds * 40) + args.warmup  # more than can be sent
    bodies = [submission_body(codes[i % len(codes)]) for i in range(total)]
    cursor = iter(bodies)
    latencies: list[float] = []
    responses: list[RawResponse] = []
    host, port = server.base_url.removeprefix("http://").split(":")
    connections = [KeepAliveConnection(host, int(port)) for _ in range(args.clients)]
    try:
        warm = [next(cursor) for _ in range(args.warmup)]
        for chunk in range(0, len(warm), args.clients):
            answers = await asyncio.gather(
                *(
                    connection.post("/graphql", body)
                    for connection, body in zip(
                        connections, warm[chunk : chunk + args.clients], strict=False
                    )
                )
            )
            problems = [p for p in map(submission_problem, answers) if p]
            if problems:
                raise RuntimeError(f"warm-up submissions failed: {problems[:3]}")
        deadline = 0.0

        async def one_client(connection: KeepAliveConnection) -> None:
            for body in cursor:
                if time.perf_counter() >= deadline:
                    return
                t0 = time.perf_counter()
                response = await connection.post("/graphql", body)
                latencies.append(time.perf_counter() - t0)
                responses.append(response)

        cpu0 = (
            time.process_time(),
            proc_tree_cpu_seconds(server.pid),
            proc_tree_cpu_seconds(worker.pid),
        )
        started = time.perf_counter()
        deadline = started + args.seconds
        await asyncio.gather(*(one_client(c) for c in connections))
        wall = time.perf_counter() - started
        cpu1 = (
            time.process_time(),
            proc_tree_cpu_seconds(server.pid),
            proc_tree_cpu_seconds(worker.pid),
        )
    finally:
        for connection in connections:
            await connection.close()
    problems = [p for p in map(submission_problem, responses) if p]
    n = len(responses)
    return {
        "requests": n,
        "seconds": wall,
        "rps": n / wall,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": len(problems),
        "error_examples": sorted(set(problems))[:3],
        "client_cpu_share": (cpu1[0] - cpu0[0]) / wall,
        "server_cpu_share": (cpu1[1] - cpu0[1]) / wall,
        "worker_cpu_share": (cpu1[2] - cpu0[2]) / wall,
    }


@dataclass
class Probe:
    region: Region
    token: str
    service_id: int
    code: str
    count: int  # respondents of the probe service (only probes submit to it)
    samples: list[float] = field(default_factory=list)
    timeouts: int = 0


async def freshness_phase(
    args: argparse.Namespace,
    server: ApiServer,
    worker: WorkerProcess,
    codes: list[str],
    probes: list[Probe],
    rate: float,
) -> dict[str, Any]:
    """Background submissions at `rate`/s (paced, not closed-loop) to `codes`; each probe
    submits to its own service, then polls surveyResults every `--poll` s until its service's
    respondents include it; the sample is the time from the accepted answer of the
    submission (committed by then) to the answer of the first poll that shows it."""
    stop = asyncio.Event()
    background: list[str | None] = []
    host, port = server.base_url.removeprefix("http://").split(":")
    # Lean keep-alive connections (bench/http_client.py): with httpx this process spent
    # half a core at these rates and its own event loop's lag showed up in the samples.
    pool = ConnectionPool(host, int(port), 64)
    try:

        async def send(body: bytes) -> None:
            response = await pool.post("/graphql", body)
            background.append(submission_problem(response))

        async def load() -> None:
            tasks = set()
            interval = 1 / rate
            t_next = time.perf_counter()
            k = 0
            while not stop.is_set():
                task = asyncio.create_task(send(submission_body(codes[k % len(codes)])))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                k += 1
                t_next += interval
                await asyncio.sleep(max(0.0, t_next - time.perf_counter()))
            await asyncio.gather(*tasks)

        async def probe_loop(probe: Probe, offset: float) -> None:
            connection = KeepAliveConnection(host, int(port))  # its own: never waits
            headers = {"authorization": f"Bearer {probe.token}"}
            query = orjson.dumps(
                {"query": RESULTS_QUERY, "variables": {"c": str(probe.region.open_campaign)}}
            )
            await asyncio.sleep(offset)
            while not stop.is_set():
                response = await connection.post("/graphql", submission_body(probe.code))
                committed = time.perf_counter()
                problem = submission_problem(response)
                if problem:
                    raise RuntimeError(f"probe submission failed: {problem}")
                probe.count += 1
                while True:
                    asked = time.perf_counter()
                    answer = await connection.post("/graphql", query, headers=headers)
                    seen = time.perf_counter()
                    POLL_LATENCIES.append(seen - asked)
                    data = orjson.loads(answer.content).get("data")
                    if not data:
                        raise RuntimeError(f"probe poll failed: {answer.text[:300]}")
                    items = data["surveyResults"]["items"]
                    mine = [i for i in items if int(i["id"]) == probe.service_id]
                    if mine and mine[0]["respondents"] >= probe.count:
                        probe.samples.append(seen - committed)
                        break
                    if seen - committed > args.give_up:
                        # Counted; the next probe waits for this one's response too.
                        probe.timeouts += 1
                        break
                    await asyncio.sleep(args.poll)
                # A random pause, so probes land anywhere in the debounce window.
                await asyncio.sleep(random.uniform(0.05, 0.6))
            await connection.close()

        loader = asyncio.create_task(load())
        loops = [asyncio.create_task(probe_loop(p, k * 0.37)) for k, p in enumerate(probes)]
        await asyncio.sleep(args.freshness_seconds)
        stop.set()
        await asyncio.gather(loader, *loops)
    finally:
        await pool.close()
    samples = [s for p in probes for s in p.samples]
    return {
        "rate": rate,
        "background_requests": len(background),
        "background_errors": sum(1 for p in background if p),
        "samples": len(samples),
        "timeouts": sum(p.timeouts for p in probes),
        "p50_s": percentile(samples, 50) if samples else None,
        "p99_s": percentile(samples, 99) if samples else None,
        "max_s": max(samples) if samples else None,
        "poll_s": args.poll,
        "slowest_s": sorted(samples)[-10:],
        "poll_p50_s": percentile(POLL_LATENCIES, 50) if POLL_LATENCIES else None,
        "poll_p99_s": percentile(POLL_LATENCIES, 99) if POLL_LATENCIES else None,
    }


async def drain_queue(settings: Settings, limit: float) -> float:
    """Seconds until arq's queue is empty (every debounced job ran), at most `limit`."""
    from workers.queue import connect

    redis = await connect(settings)
    started = time.perf_counter()
    try:
        for _ in range(int(limit / 0.2)):
            if not await redis.zcard("arq:queue"):
                break
            await asyncio.sleep(0.2)
    finally:
        await redis.aclose()
    return time.perf_counter() - started


async def aggregation_jobs(settings: Settings) -> dict[str, Any]:
    """The debounced `aggregate_survey_campaign` runs (arq keeps their results): how many,
    how long each ran, and how long each waited after its window closed (the job id ends
    with the window's number)."""
    from arq.jobs import Job

    from workers.queue import connect

    redis = await connect(settings)
    try:
        keys = [k async for k in redis.scan_iter("arq:result:aggregate_survey_campaign:*")]
        infos = [await Job(k.decode().split(":", 2)[2], redis).result_info() for k in keys]
    finally:
        await redis.aclose()
    window = max(settings.survey_aggregate_debounce_seconds, 0.05)
    runs, waits, failed = [], [], 0
    for info in infos:
        if info is None:
            continue
        failed += not info.success
        runs.append((info.finish_time - info.start_time).total_seconds())
        due = (int(info.job_id.rsplit(":", 1)[1]) + 1) * window
        waits.append(info.start_time.timestamp() - due)
    if not runs:
        return {"runs": 0}
    return {
        "runs": len(runs),
        "failed": failed,
        "run_p50_s": percentile(runs, 50),
        "run_max_s": max(runs),
        "wait_p50_s": percentile(waits, 50),
        "wait_max_s": max(waits),
        "window_s": window,
    }


def admin_token(settings: Settings, region: Region) -> str:
    return access_token(
        settings,
        tenant_id=region.tenant_id,
        account_id=region.account_id,
        email=region.email,
        employee_id=region.employee_id,
    )


async def http_phases(
    args: argparse.Namespace,
    owner_url: str,
    redis_url: str,
    settings: Settings,
    regions: list[Region],
) -> dict[str, Any]:
    # The probes poll as their region's admin up to 20 times a second, past any plan's
    # per-login limit (fair sharing): raised for the bench like the survey limits.
    plans = [p.value for p in RegionPlan]
    raised = {"region_requests_per_minute": 1_000_000, "user_requests_per_minute": 1_000_000}
    env = {
        "KINERJA_SURVEY_RATE_LIMIT_PER_CODE_PER_MINUTE": str(args.per_code_limit),
        "KINERJA_PLAN_LIMITS": orjson.dumps({plan: raised for plan in plans}).decode(),
    }
    env.update(kv.split("=", 1) for kv in args.server_env)
    server = ApiServer(owner_url, redis_url, SERVER_LOG)
    server.env_overrides.update(env)
    if args.api_workers > 1:
        server.args += ["--workers", str(args.api_workers)]
    worker = WorkerProcess(owner_url, redis_url, WORKER_LOG.with_suffix(".http.log"))
    owner = await asyncpg.connect(owner_url)
    try:
        await worker.start()
        await server.start()
        # Probe services: the last service of the open campaign of the first `--probes`
        # regions; nobody else submits to them.
        probes = []
        for region in regions[: args.probes]:
            service_id, code = region.codes[-1]
            count = await owner.fetchval(
                "SELECT count(*) FROM survey_responses WHERE tenant_id = $1"
                " AND campaign_id = $2 AND service_id = $3",
                region.tenant_id,
                region.open_campaign,
                service_id,
            )
            probes.append(
                Probe(region, admin_token(settings, region), service_id, code, int(count))
            )
        probe_codes = {p.code for p in probes}
        codes = [c for r in regions for _, c in r.codes if c not in probe_codes]
        print(
            f"throughput: {args.clients} clients, {args.seconds:.0f} s, {len(codes)} codes …",
            flush=True,
        )
        throughput = await throughput_phase(args, server, worker, codes)
        print(
            f"  {throughput['rps']:.0f} req/s, p50 {throughput['p50_ms']:.0f} ms,"
            f" p99 {throughput['p99_ms']:.0f} ms, {throughput['errors']} errors",
            flush=True,
        )
        # The queue the throughput phase left behind drains first, so the freshness phase
        # starts from a worker that has caught up (how long that took is reported).
        drain = await drain_queue(settings, args.drain_timeout)
        print(f"  the worker's queue drained in {drain:.1f} s", flush=True)
        rate = args.rate if args.rate > 0 else max(1.0, round(throughput["rps"] / 2))
        print(
            f"freshness: {rate:.0f} submissions/s in the background, {len(probes)} probes,"
            f" {args.freshness_seconds:.0f} s …",
            flush=True,
        )
        freshness = await freshness_phase(args, server, worker, codes, probes, rate)
        # Every accepted submission is stored (count check) and the results caught up.
        await asyncio.sleep(args.settle)
        stored = await owner.fetchval(
            "SELECT count(*) FROM survey_responses WHERE client_token LIKE 'bench-http-%'"
        )
        return {
            "throughput": throughput,
            "freshness": freshness,
            "aggregation_jobs": await aggregation_jobs(settings),
            "queue_drain_seconds": drain,
            "http_rows_stored": stored,
            "http_submissions_accepted": ACCEPTED[0],
            "worker_peak_rss_mib": proc_status_mib(worker.pid, "VmHWM") if worker.pid else None,
            "rate_limits": {
                "per_ip_per_hour": args.per_ip_limit,
                "per_code_per_minute": args.per_code_limit,
            },
        }
    finally:
        await server.stop()
        await worker.stop()
        await owner.close()


# --- report ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(result: dict[str, Any]) -> str:
    lines = [
        "Kinerja bench: public satisfaction surveys (SKM) — recompute, submissions, freshness",
        "=" * 96,
        f"machine    {os.cpu_count()} CPU cores SHARED by the API, the worker, PostgreSQL and"
        f" this script; {platform.python_implementation()} {platform.python_version()};"
        f" {result['server_version']}",
        f"load       load average {result['load_before']} before, {result['load_after']} after",
        f"data       {result['regions']} regions × {result['services']} services ×"
        f" {result['campaigns']} campaigns (the last open),"
        f" {result['responses']:,} generated responses (first {result['small']:,});"
        f" generated in {result['generate_seconds']:.1f} s",
        "",
        "1. full recompute (every region's campaigns: a `recompute_survey_results` job per"
        " region in a real `kinerja worker`, max_jobs 10)",
        "   floor: one GROUP BY statement per region as the app role (RLS), "
        f"{result['floor_concurrency']} connections",
        f"   {'responses':>10}{'rows':>8}{'floor s':>10}{'platform s':>12}{'ratio':>8}"
        f"{'worker RSS idle→peak MiB':>27}",
    ]
    ok_ratio, peaks = True, []
    for phase in result["recompute"]:
        if "floor_seconds" not in phase:
            lines.append(f"   {phase['responses']:>10,}  CHECK FAILED: {phase['problems']}")
            ok_ratio = False
            continue
        f = statistics.median(phase["floor_seconds"])
        p = statistics.median(phase["platform_seconds"])
        ratio = p / f
        ok_ratio = ok_ratio and ratio <= TARGET_RECOMPUTE
        peaks.append(phase["worker_peak_rss_mib"] or 0.0)
        lines.append(
            f"   {phase['responses']:>10,}{phase['rows']:>8,}{f:>10.2f}{p:>12.2f}{ratio:>7.2f}×"
            f"{phase['worker_rss_idle_mib'] or 0:>18.0f} → {phase['worker_peak_rss_mib'] or 0:.0f}"
        )
    lines += [
        "   (medians of the rounds; platform = first job start → last job finish, arq's"
        " timestamps; the numbers were checked equal to the floor's first)",
        f"   target ≤ {TARGET_RECOMPUTE}× the floor at every size: {verdict(ok_ratio)}",
    ]
    flat = len(peaks) >= 2 and max(peaks) <= min(peaks) * RSS_FLAT_TOLERANCE
    lines.append(
        f"   target RSS independent of the responses (peak within {RSS_FLAT_TOLERANCE - 1:.0%}"
        f" across sizes): {verdict(flat)}"
    )
    http = result.get("http")
    if http:
        t, fr = http["throughput"], http["freshness"]
        lines += [
            "",
            f"2. submitSurveyResponse over HTTP: {result['clients']} clients"
            " (keep-alive connections of bench.http_client, this process),"
            f" `kinerja serve` ({result['api_workers']} process(es)) + `kinerja worker`",
            f"   {t['requests']:,} requests in {t['seconds']:.1f} s: {t['rps']:.0f} req/s,"
            f" p50 {t['p50_ms']:.0f} ms, p99 {t['p99_ms']:.0f} ms, errors {t['errors']}"
            + (f" {t['error_examples']}" if t["errors"] else ""),
            f"   CPU (share of one core): client {t['client_cpu_share']:.0%}, API server"
            f" {t['server_cpu_share']:.0%}, worker {t['worker_cpu_share']:.0%}",
            f"   rate limits raised for the bench: region setting surveys.rateLimitPerIpPerHour"
            f" = {http['rate_limits']['per_ip_per_hour']:,},"
            f" KINERJA_SURVEY_RATE_LIMIT_PER_CODE_PER_MINUTE ="
            f" {http['rate_limits']['per_code_per_minute']:,}, KINERJA_PLAN_LIMITS 1,000,000"
            " requests/min per region and login (the probes' polls)",
            f"   afterwards the worker's queue took {http['queue_drain_seconds']:.1f} s to drain"
            " (debounced aggregation runs still due)",
            f"   target ≥ {TARGET_RPS:.0f} req/s: {verdict(t['rps'] >= TARGET_RPS and not t['errors'])}",
            "",
            f"3. freshness: {fr['rate']:.0f} submissions/s in the background"
            f" ({fr['background_requests']:,} sent, {fr['background_errors']} errors),"
            f" {fr['samples']} probes (polls every {fr['poll_s'] * 1000:.0f} ms),"
            f" {fr['timeouts']} gave up",
        ]
        if fr["samples"]:
            lines += [
                f"   commit → visible in surveyResults: p50 {fr['p50_s']:.2f} s,"
                f" p99 {fr['p99_s']:.2f} s, max {fr['max_s']:.2f} s",
                f"   target ≤ {TARGET_FRESHNESS:.0f} s (p99):"
                f" {verdict(fr['p99_s'] <= TARGET_FRESHNESS and not fr['timeouts'])}",
            ]
        lines.append(
            f"   checks: {http['http_submissions_accepted']:,} submissions accepted over HTTP,"
            f" {http['http_rows_stored']:,} rows stored"
            f" ({'equal' if http['http_rows_stored'] == http['http_submissions_accepted'] else 'DIFFERENT'});"
            f" worker peak RSS {http['worker_peak_rss_mib'] or 0:.0f} MiB"
        )
        jobs = http["aggregation_jobs"]
        if jobs["runs"]:
            lines.append(
                f"   aggregation: {jobs['runs']:,} debounced runs ({jobs['failed']} failed),"
                f" each {jobs['run_p50_s'] * 1000:.0f} ms (p50, max {jobs['run_max_s']:.2f} s),"
                f" started {jobs['wait_p50_s']:.2f} s (p50, max {jobs['wait_max_s']:.2f} s)"
                f" after its {jobs['window_s']:g} s window closed"
            )
    lines.append(
        f"total      {result['total_seconds']:.0f} s; figures also in"
        f" {RESULTS_FILE.relative_to(REPO_ROOT)}"
    )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    load_before = load_average()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL_BENCH") or DEFAULT_REDIS_URL
    print(f"load average {load_before}; creating database {BENCH_DB} …", flush=True)
    owner_url, settings = await fresh_database(server_url, BENCH_DB, redis_url)
    await empty_redis(redis_url)
    tenant_ids = await generate(owner_url, regions=args.regions, employees_per_region=40)
    regions = await generate_surveys(
        owner_url,
        tenant_ids,
        services=args.services,
        campaigns=args.campaigns,
        per_ip_hour=args.per_ip_limit,
    )
    sizes = sorted({args.small, args.responses}) if args.small else [args.responses]
    result: dict[str, Any] = {
        "regions": args.regions,
        "services": args.services,
        "campaigns": args.campaigns,
        "responses": args.responses,
        "small": sizes[0],
        "clients": args.clients,
        "api_workers": args.api_workers,
        "floor_concurrency": args.floor_concurrency,
        "load_before": load_before,
        "recompute": [],
        "generate_seconds": 0.0,
    }
    have = 0
    for size in sizes:
        per_region = size // args.regions
        print(f"generating responses up to {per_region * args.regions:,} …", flush=True)
        seconds = await add_responses(owner_url, tenant_ids, have + 1, per_region)
        result["generate_seconds"] += seconds
        print(f"  {seconds:.1f} s", flush=True)
        have = per_region
        print(f"recompute at {size:,} responses …", flush=True)
        result["recompute"].append(
            await recompute_phase(args, owner_url, redis_url, settings, tenant_ids, size)
        )
    if not args.skip_http:
        result["http"] = await http_phases(args, owner_url, redis_url, settings, regions)
    owner = await asyncpg.connect(owner_url)
    try:
        result["server_version"] = "PostgreSQL " + (await owner.fetchval("SHOW server_version"))
    finally:
        await owner.close()
    result["load_after"] = load_average()
    result["total_seconds"] = time.perf_counter() - started
    result["client_maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2, default=str))
    print()
    print(report(result))
    checks_ok = all(not p["problems"] for p in result["recompute"])
    if "http" in result:
        http = result["http"]
        checks_ok = (
            checks_ok
            and not http["throughput"]["errors"]
            and http["http_rows_stored"] == http["http_submissions_accepted"]
        )
    return 0 if checks_ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--regions", type=int, default=20)
    add("--responses", type=int, default=1_000_000, help="responses in all, the larger size")
    add("--small", type=int, default=250_000, help="the smaller size (0: one size only)")
    add("--services", type=int, default=10, help="services per region")
    add("--campaigns", type=int, default=2, help="campaigns per region (the last open)")
    add("--rounds", type=int, default=2, help="timed floor/platform rounds per size")
    add(
        "--floor-concurrency",
        type=int,
        default=10,
        help="connections for the floor (the worker runs up to 10 jobs at once)",
    )
    add("--clients", type=int, default=32)
    add("--api-workers", type=int, default=1, help="`kinerja serve --workers` processes")
    add("--seconds", type=float, default=20.0, help="throughput phase")
    add("--warmup", type=int, default=64, help="unmeasured submissions first")
    add(
        "--rate",
        type=float,
        default=0.0,
        help="background submissions/s during the freshness phase (0: half the measured"
        " throughput, so the server is busy but not saturated)",
    )
    add("--freshness-seconds", type=float, default=40.0)
    add("--probes", type=int, default=5, help="concurrent freshness probes (one per region)")
    add("--poll", type=float, default=0.05, help="seconds between a probe's polls")
    add("--give-up", type=float, default=20.0, help="a probe's timeout, seconds")
    add("--settle", type=float, default=3.0, help="pause after the freshness phase, seconds")
    add(
        "--drain-timeout",
        type=float,
        default=120.0,
        help="at most this long for the worker's queue to drain after the throughput phase",
    )
    add("--per-ip-limit", type=int, default=10_000, help="region setting (max valid 10000)")
    add("--per-code-limit", type=int, default=1_000_000)
    add("--skip-http", action="store_true")
    add("--server-env", action="append", default=[], help="KEY=VALUE for `kinerja serve`")
    add("--time-anyway", action="store_true", help="time even when the numbers differ")
    return parser.parse_args(argv)


if __name__ == "__main__":
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    sys.exit(asyncio.run(main(parse_args())))
