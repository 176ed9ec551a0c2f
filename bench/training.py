"""Benchmark: training (issue 6). The period-wide batch assignment of low performers against
the floor of the same selection and insert as one hand-written SQL statement per region, and
the training officer's assignment list over GraphQL against a hand-written query returning
the same page.

    .venv/bin/python -m bench.training [--regions 10 --employees 5000 --rounds 3 --concurrency 8]

Steps: (re)create the database `kinerja_bench_training` on the server of DATABASE_URL,
migrate it, generate the regions (bench/generate.py) and a finalised evaluation round with a
training catalogue (bench/generate_training.py). Then:

1. batch assignment: the platform's own `assign_for_period` (the code the
   `assignTrainingForPeriod` handler and the `assign_training` cron job run) for every
   region, in a child process connected as the app role (RLS), against the floor statement
   (asyncpg, app role, RLS) in another child process; the assignments are checked equal
   before any timing, and the table is emptied before every run;
2. the officer's list: `trainingAssignments(first: 100)` through a real `kinerja serve` with
   N concurrent clients, against the floor query at the same concurrency.

Prints a report and writes bench/results/training.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import orjson

from bench.common import (
    DEFAULT_DATABASE_URL,
    REPO_ROOT,
    RESULTS_DIR,
    ApiServer,
    app_connection,
    child_env,
    dev_settings,
    fresh_database,
    run_until_terminated,
)
from bench.generate import generate
from bench.generate_training import (
    TrainingRegion,
    fill_unit_assignments,
    generate_training,
)
from bench.performance_cycle import FloorClient, Login, login_token, run_load
from kinerja_saas.database import app_connection_params, parse_pg_url
from kinerja_saas.training.models import LIVE_STATUSES, SEATED_STATUSES
from kinerja_saas.training.rules import MAX_PROGRAMMES_PER_EVALUATION

BENCH_DB = "kinerja_bench_training"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"
RESULTS_FILE = RESULTS_DIR / "training.json"
SERVER_LOG = RESULTS_DIR / "training.server.log"
TARGET_FACTOR = 3.0  # the batch assignment within 3× its floor (wall time)
SET_TENANT_SQL = "SELECT set_config('app.tenant_id', $1, true)"


def _in(statuses) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in statuses) + ")"


# --- the floors ----------------------------------------------------------------------------

# One statement per region, written independently of kinerja_saas/training/assignment.py:
# $1 tenant, $2 period, $3 indicator floor (%), $4 achievement cap (%), $5 programmes per
# evaluation, $6 today. Differences in shape: the latest counted realisation of every
# indicator of the period in one sorted pass (DISTINCT ON) instead of a lateral per
# indicator; each rule's programme resolved once per rule (a dozen rows) instead of per
# weakness; seats per batch in one grouped pass; placement by a range join on the running
# seat total. The generated evaluations are all annual (checkpoint null), which this floor
# assumes (the platform also handles checkpoint evaluations).
ASSIGN_FLOOR_SQL = f"""
WITH ev AS (
    SELECT DISTINCT ON (e.employee_id) e.id, e.employee_id, e.plan_id, e.predikat,
           e.behaviour_ratings
    FROM evaluations e
    JOIN employees emp ON emp.tenant_id = $1 AND emp.id = e.employee_id AND emp.is_active
    WHERE e.tenant_id = $1 AND e.period_id = $2 AND e.status = 'FINALISED'
    ORDER BY e.employee_id, (e.checkpoint_id IS NULL) DESC, e.finalised_at DESC, e.id DESC
), latest AS (
    SELECT DISTINCT ON (r.indicator_id) r.indicator_id, r.value
    FROM realisations r JOIN checkpoints c ON c.tenant_id = $1 AND c.id = r.checkpoint_id
    WHERE r.tenant_id = $1 AND c.period_id = $2 AND r.status <> 'REJECTED'
    ORDER BY r.indicator_id, c.number DESC
), weak AS (
    SELECT ev.id AS evaluation_id, ev.employee_id, ev.predikat, 'PREDIKAT' AS trigger,
           ev.predikat AS value
    FROM ev WHERE ev.predikat IS NOT NULL
    UNION ALL
    SELECT ev.id, ev.employee_id, ev.predikat, 'WEAK_BEHAVIOUR', b.key
    FROM ev CROSS JOIN LATERAL jsonb_each(ev.behaviour_ratings) b
    WHERE b.value ->> 'rating' = 'DI_BAWAH_EKSPEKTASI'
    UNION ALL
    SELECT DISTINCT ev.id, ev.employee_id, ev.predikat, 'WEAK_RESULT', i.aspect
    FROM ev
    JOIN indicators i ON i.tenant_id = $1 AND i.plan_id = ev.plan_id
    LEFT JOIN latest l ON l.indicator_id = i.id
    WHERE CASE WHEN l.value IS NULL THEN 0
               ELSE round(LEAST($4, CASE WHEN i.direction = 'HIGHER_IS_BETTER'
                        THEN l.value / i.target * 100 WHEN l.value = 0 THEN $4
                        ELSE i.target / l.value * 100 END), 2) END < $3
), focus AS (
    SELECT p.id, count(pc.id) AS n FROM training_programmes p
    LEFT JOIN training_programme_competencies pc ON pc.tenant_id = $1 AND pc.programme_id = p.id
    WHERE p.tenant_id = $1 AND p.is_active
    GROUP BY p.id
), rule_programme AS (
    SELECT DISTINCT ON (r.id) r.id AS rule_id, r.trigger, r.trigger_value, r.priority,
           r.competency_id, f.id AS programme_id
    FROM training_rules r
    JOIN focus f ON f.id = r.programme_id OR EXISTS (
        SELECT 1 FROM training_programme_competencies pc WHERE pc.tenant_id = $1
            AND pc.programme_id = f.id AND pc.competency_id = r.competency_id)
    WHERE r.tenant_id = $1 AND r.is_active
    ORDER BY r.id, coalesce(f.id = r.programme_id, false) DESC, f.n, f.id
), per_programme AS (
    SELECT DISTINCT ON (w.employee_id, rp.programme_id) w.*, rp.rule_id, rp.priority,
           rp.competency_id, rp.programme_id
    FROM weak w JOIN rule_programme rp ON rp.trigger = w.trigger AND rp.trigger_value = w.value
    ORDER BY w.employee_id, rp.programme_id, rp.priority, rp.rule_id
), chosen AS (
    SELECT * FROM (
        SELECT pp.*, row_number() OVER (PARTITION BY pp.employee_id
            ORDER BY pp.priority, pp.rule_id) AS k
        FROM per_programme pp) x
    WHERE x.k <= $5
), ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.programme_id
        ORDER BY c.priority, c.employee_id) AS rank
    FROM chosen c
    WHERE NOT EXISTS (SELECT 1 FROM training_assignments a WHERE a.tenant_id = $1
        AND a.employee_id = c.employee_id AND a.programme_id = c.programme_id
        AND a.period_id = $2 AND a.status IN {_in(LIVE_STATUSES)})
), taken AS (
    SELECT a.batch_id, count(*) AS n FROM training_assignments a
    WHERE a.tenant_id = $1 AND a.status IN {_in(SEATED_STATUSES)} AND a.batch_id IS NOT NULL
    GROUP BY a.batch_id
), room AS (
    SELECT b.id AS batch_id, b.programme_id, greatest(b.capacity - coalesce(t.n, 0), 0) AS free,
           sum(greatest(b.capacity - coalesce(t.n, 0), 0)) OVER (PARTITION BY b.programme_id
               ORDER BY b.starts_on, b.id) AS seats_to
    FROM training_batches b LEFT JOIN taken t ON t.batch_id = b.id
    WHERE b.tenant_id = $1 AND NOT b.is_cancelled AND b.confirmed_at IS NULL
        AND b.starts_on > $6
), free AS (
    SELECT programme_id, sum(free) AS total FROM room GROUP BY programme_id
), waiting AS (
    SELECT a.programme_id, max(a.waiting_position) AS last FROM training_assignments a
    WHERE a.tenant_id = $1 AND a.status = 'WAITING' GROUP BY a.programme_id
)
INSERT INTO training_assignments (tenant_id, employee_id, programme_id, period_id, batch_id,
    waiting_position, status, reason, reason_value, evaluation_id, predikat, competency_id,
    rule_id, created_at, updated_at)
SELECT $1, r.employee_id, r.programme_id, $2, rm.batch_id,
    CASE WHEN rm.batch_id IS NULL
         THEN coalesce(w.last, 0) + r.rank - coalesce(f.total, 0) END,
    CASE WHEN rm.batch_id IS NULL THEN 'WAITING' ELSE 'ASSIGNED' END,
    r.trigger, r.value, r.evaluation_id, r.predikat, r.competency_id, r.rule_id, now(), now()
FROM ranked r
LEFT JOIN room rm ON rm.programme_id = r.programme_id AND rm.free > 0
    AND r.rank > rm.seats_to - rm.free AND r.rank <= rm.seats_to
LEFT JOIN free f ON f.programme_id = r.programme_id
LEFT JOIN waiting w ON w.programme_id = r.programme_id
ORDER BY r.programme_id, r.rank
ON CONFLICT (tenant_id, employee_id, programme_id, period_id)
    WHERE status IN {_in(LIVE_STATUSES)} DO NOTHING
"""

# $1 tenant, $2 training unit: the newest 100 assignments of the unit's programmes with the
# person's unit and contact, the programme and the batch.
LIST_FLOOR_SQL = """
SELECT a.id, a.status, a.reason, a.reason_value, a.waiting_position, a.predikat,
       e.id AS employee_id, e.nip, e.name, e.email, e.phone, u.id AS unit_id,
       u.name AS unit_name, p.id AS programme_id, p.title, b.id AS batch_id,
       b.name AS batch_name, b.starts_on
FROM training_assignments a
JOIN training_programmes p ON p.tenant_id = $1 AND p.id = a.programme_id
JOIN employees e ON e.tenant_id = $1 AND e.id = a.employee_id
JOIN org_units u ON u.tenant_id = $1 AND u.id = e.unit_id
LEFT JOIN training_batches b ON b.tenant_id = $1 AND b.id = a.batch_id
WHERE a.tenant_id = $1 AND p.training_unit_id = $2
ORDER BY a.id DESC
LIMIT 100
"""

LIST_QUERY = (
    "query Officer { trainingAssignments(first: 100) { edges { node { id status reason"
    " reasonValue waitingPosition predikat employee { id nip name email phone unitId unitName }"
    " programme { id title } batch { id name startsOn } } } pageInfo { hasNextPage } } }"
)

LIST_IDS_QUERY = "query OfficerIds { trainingAssignments(first: 100) { edges { node { id } } } }"

SNAPSHOT_SQL = """
SELECT tenant_id, employee_id, programme_id, batch_id, waiting_position, status, reason,
       reason_value, evaluation_id, predikat, competency_id, rule_id
FROM training_assignments ORDER BY tenant_id, employee_id, programme_id
"""
SNAPSHOT_COLUMNS = (
    "tenant",
    "employee",
    "programme",
    "batch",
    "waiting_position",
    "status",
    "reason",
    "reason_value",
    "evaluation",
    "predikat",
    "competency",
    "rule",
)


# --- the child processes (one per timed run) ---------------------------------------------


def _vm_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def child_platform(spec: dict[str, Any]) -> dict[str, Any]:
    """The platform: `assign_for_period` per region in a tenant transaction, as the app role
    (Tortoise with the app's instrumented client), the way the worker's handlers call it."""
    from tortoise import Tortoise

    from kinerja_saas.database import init_app_db
    from kinerja_saas.database_client import count_statements
    from kinerja_saas.training import assignment
    from tenants.context import tenant_transaction

    await init_app_db(dev_settings(spec["owner_url"], spec["redis_url"]))
    async with tenant_transaction(spec["regions"][0]["tenant_id"]):
        pass  # the pool's connection is open before the clock starts
    events = {"seconds": 0.0}
    emit = assignment.emit_assignment_events

    async def timed_emit(ids: list[int]) -> None:  # the same call, timed
        started = time.perf_counter()
        await emit(ids)
        events["seconds"] += time.perf_counter() - started

    assignment.emit_assignment_events = timed_emit
    rss_before = _vm_kib("VmRSS")
    today = date.fromisoformat(spec["today"])
    runs = []
    started = time.perf_counter()
    for r in spec["regions"]:
        t = time.perf_counter()
        async with tenant_transaction(r["tenant_id"]):
            with count_statements() as counter:
                ids = await assignment.assign_for_period(
                    period_id=r["period_id"], unit_id=r.get("unit_id"), today=today
                )
        runs.append(
            {
                "tenant_id": r["tenant_id"],
                "seconds": time.perf_counter() - t,
                "statements": counter.count,
                "assignments": len(ids),
            }
        )
    seconds = time.perf_counter() - started
    peak = _vm_kib("VmHWM")
    await Tortoise.close_connections()
    return {
        "seconds": seconds,
        "events_seconds": events["seconds"],
        "regions": runs,
        "rss_before_kib": rss_before,
        "peak_rss_kib": peak,
    }


async def child_floor(spec: dict[str, Any]) -> dict[str, Any]:
    """The floor: ASSIGN_FLOOR_SQL per region with asyncpg as the app role, in a transaction
    after set_config (RLS applies), one statement each."""
    settings = dev_settings(spec["owner_url"], spec["redis_url"])
    conn = await app_connection(settings)
    rss_before = _vm_kib("VmRSS")
    today = date.fromisoformat(spec["today"])
    runs = []
    started = time.perf_counter()
    for r in spec["regions"]:
        t = time.perf_counter()
        async with conn.transaction():
            await conn.execute(SET_TENANT_SQL, str(r["tenant_id"]))
            status = await conn.execute(
                ASSIGN_FLOOR_SQL,
                r["tenant_id"],
                r["period_id"],
                Decimal(spec["indicator_floor"]),
                Decimal(spec["cap"]),
                MAX_PROGRAMMES_PER_EVALUATION,
                today,
            )
        runs.append(
            {
                "tenant_id": r["tenant_id"],
                "seconds": time.perf_counter() - t,
                "statements": 1,
                "assignments": int(status.split()[-1]),
            }
        )
    seconds = time.perf_counter() - started
    peak = _vm_kib("VmHWM")
    await conn.close()
    return {
        "seconds": seconds,
        "regions": runs,
        "rss_before_kib": rss_before,
        "peak_rss_kib": peak,
    }


async def run_child(kind: str, spec: dict[str, Any], owner_url: str, redis_url: str) -> dict:
    """`python -m bench.training --child KIND` with the spec on stdin; its JSON answer, plus
    the wall time from spawn to exit."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.training",
        "--child",
        kind,
        cwd=REPO_ROOT,
        env=child_env(owner_url, redis_url),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(orjson.dumps(spec))
    if proc.returncode != 0:
        raise RuntimeError(f"the {kind} child failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    result = orjson.loads(out.splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


# --- set-up and checks ----------------------------------------------------------------------


class Owner:
    """The owner connection (no RLS) for resets, snapshots and counts."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn: asyncpg.Connection | None = None

    async def __aenter__(self) -> Owner:
        self.conn = await asyncpg.connect(self.dsn)
        return self

    async def __aexit__(self, *exc) -> None:
        if self.conn is not None:
            await self.conn.close()

    async def reset(self) -> None:
        """Empties the assignments (and the training events the platform wrote), then a
        CHECKPOINT so no run pays for the previous one's dirty pages."""
        assert self.conn is not None
        await self.conn.execute("TRUNCATE training_assignments")
        await self.conn.execute("DELETE FROM outbox_events WHERE topic LIKE 'training.%'")
        await self.conn.execute("CHECKPOINT")

    async def snapshot(self) -> list[tuple]:
        assert self.conn is not None
        return [tuple(r) for r in await self.conn.fetch(SNAPSHOT_SQL)]


def compare_assignments(platform: list[tuple], floor: list[tuple]) -> list[str]:
    if platform == floor:
        return []
    key = 3  # tenant, employee, programme
    a = {r[:key]: r for r in platform}
    b = {r[:key]: r for r in floor}
    problems = [f"platform {len(platform)} assignments, floor {len(floor)}"]

    def show(row: tuple) -> str:
        return ", ".join(f"{n}={v}" for n, v in zip(SNAPSHOT_COLUMNS, row, strict=True))

    only_a = sorted(a.keys() - b.keys())
    only_b = sorted(b.keys() - a.keys())
    differ = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
    if only_a:
        problems.append(f"{len(only_a)} only by the platform, e.g.")
        problems += [f"  {show(a[k])}" for k in only_a[:5]]
    if only_b:
        problems.append(f"{len(only_b)} only by the floor, e.g.")
        problems += [f"  {show(b[k])}" for k in only_b[:5]]
    if differ:
        problems.append(f"{len(differ)} differ, e.g.")
        for k in differ[:8]:
            detail = "; ".join(
                f"{n}: platform {x} / floor {y}"
                for n, x, y in zip(SNAPSHOT_COLUMNS, a[k], b[k], strict=True)
                if x != y
            )
            problems.append(f"  {k}: {detail}")
    return problems


async def data_facts(owner: Owner, regions: list[TrainingRegion]) -> dict[str, Any]:
    assert owner.conn is not None
    c = owner.conn
    counts = {}
    for table in (
        "employees",
        "plans",
        "indicators",
        "realisations",
        "evaluations",
        "training_units",
        "training_programmes",
        "training_batches",
        "training_rules",
    ):
        counts[table] = await c.fetchval(f"SELECT count(*) FROM {table}")
    counts["finalised_evaluations"] = await c.fetchval(
        "SELECT count(*) FROM evaluations WHERE status = 'FINALISED'"
    )
    predikat = {
        r["predikat"]: r["n"]
        for r in await c.fetch(
            "SELECT predikat, count(*) AS n FROM evaluations GROUP BY 1 ORDER BY 1"
        )
    }
    low = sum(predikat.get(p, 0) for p in ("BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"))
    counts["low_performers"] = low
    counts["low_share_percent"] = round(100 * low / max(counts["finalised_evaluations"], 1), 2)
    return {
        "counts": counts,
        "predikat": predikat,
        "postgres": await c.fetchval("SHOW server_version"),
    }


async def reasons(owner: Owner) -> dict[str, Any]:
    assert owner.conn is not None
    rows = await owner.conn.fetch(
        "SELECT reason, status, count(*) AS n FROM training_assignments GROUP BY 1, 2 ORDER BY 1, 2"
    )
    by_reason: Counter = Counter()
    by_status: Counter = Counter()
    for r in rows:
        by_reason[r["reason"]] += r["n"]
        by_status[r["status"]] += r["n"]
    employees = await owner.conn.fetchval(
        "SELECT count(DISTINCT employee_id) FROM training_assignments"
    )
    return {"by_reason": dict(by_reason), "by_status": dict(by_status), "employees": employees}


# --- the officer's list over HTTP ----------------------------------------------------------


def _list_api(data: dict[str, Any]) -> list[tuple]:
    out = []
    for edge in data["trainingAssignments"]["edges"]:
        n = edge["node"]
        e, p, b = n["employee"], n["programme"], n["batch"]
        out.append(
            (
                int(n["id"]),
                n["status"],
                n["reason"],
                n["reasonValue"],
                n["waitingPosition"],
                n["predikat"],
                int(e["id"]),
                e["nip"],
                e["name"],
                e["email"],
                e["phone"],
                int(e["unitId"]),
                e["unitName"],
                int(p["id"]),
                p["title"],
                int(b["id"]) if b else None,
                b["name"] if b else None,
                b["startsOn"] if b else None,
            )
        )
    return out


def _list_floor(rows: list[asyncpg.Record]) -> list[tuple]:
    return [
        (*tuple(r.values())[:17], r["starts_on"].isoformat() if r["starts_on"] else None)
        for r in rows
    ]


async def list_phase(
    args: argparse.Namespace,
    owner_url: str,
    redis_url: str,
    settings,
    region: TrainingRegion,
) -> dict[str, Any]:
    from kinerja_saas.training.participants import ROW

    unit_id = region.training_unit_ids[0]
    token = login_token(
        settings,
        region.tenant_id,
        Login(
            region.officer_account_id,
            region.officer_email,
            region.officer_employee_id,
            ("TRAINING_OFFICER", "EMPLOYEE"),
        ),
    )
    body = orjson.dumps({"query": LIST_QUERY, "operationName": "Officer"})
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    server = ApiServer(owner_url, redis_url, SERVER_LOG)
    statements: Counter = Counter()
    failures: list[str] = []
    result: dict[str, Any] = {}
    try:
        await server.start()
        limits = httpx.Limits(
            max_connections=args.concurrency, max_keepalive_connections=args.concurrency
        )
        async with (
            httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=120.0) as http,
            FloorClient(
                app_connection_params(settings), region.tenant_id, args.concurrency
            ) as floor,
        ):

            async def api_call() -> httpx.Response:
                return await http.post("/graphql", content=body, headers=headers)

            floor_call = floor.caller(LIST_FLOOR_SQL, [region.tenant_id, unit_id])
            first = await api_call()
            payload = orjson.loads(first.content)
            if first.status_code != 200 or payload.get("errors"):
                raise RuntimeError(f"the API failed: {first.status_code} {first.text[:500]}")
            expected = _list_api(payload["data"])
            floor_rows = _list_floor(await floor_call())
            equal = expected == floor_rows and len(expected) == 100
            result["api_equals_floor"] = equal
            result["has_next_page"] = payload["data"]["trainingAssignments"]["pageInfo"][
                "hasNextPage"
            ]
            if not equal:
                result["mismatch"] = {
                    "api_rows": len(expected),
                    "floor_rows": len(floor_rows),
                    "first_difference": next(
                        (
                            [str(a), str(b)]
                            for a, b in zip(expected, floor_rows, strict=False)
                            if a != b
                        ),
                        None,
                    ),
                }
                return result

            def check(response: httpx.Response) -> None:
                statements[response.headers.get("x-sql-statements", "missing")] += 1
                if response.status_code != 200:
                    failures.append(f"HTTP {response.status_code}")
                    return
                data = orjson.loads(response.content)
                if data.get("errors") or _list_api(data["data"]) != expected:
                    failures.append("errors or a different page")

            def check_floor(rows: list[asyncpg.Record]) -> None:
                if _list_floor(rows) != expected:
                    failures.append("floor: a different page")

            await run_load(
                "warm-up",
                api_call,
                requests=args.warmup,
                concurrency=args.concurrency,
                max_seconds=args.max_seconds,
            )
            api_run = await run_load(
                "api",
                api_call,
                requests=args.requests,
                concurrency=args.concurrency,
                max_seconds=args.max_seconds,
                check=check,
                server_pid=server.pid,
            )
            await run_load(
                "warm-up",
                floor_call,
                requests=args.warmup,
                concurrency=args.concurrency,
                max_seconds=args.max_seconds,
            )
            floor_run = await run_load(
                "floor",
                floor_call,
                requests=args.requests * 4,
                concurrency=args.concurrency,
                max_seconds=args.max_seconds,
                check=check_floor,
            )
            # The same page with only the ids: what the fields cost in the server's Python
            # (GraphQL resolution and serialisation), the SQL and HTTP being the same.
            ids_body = orjson.dumps({"query": LIST_IDS_QUERY, "operationName": "OfficerIds"})

            async def ids_call() -> httpx.Response:
                return await http.post("/graphql", content=ids_body, headers=headers)

            ids_run = await run_load(
                "api ids only",
                ids_call,
                requests=args.requests,
                concurrency=args.concurrency,
                max_seconds=args.max_seconds / 2,
                server_pid=server.pid,
            )
            result["api_ids_only"] = ids_run.as_dict()
            server_sql = (
                f"{ROW} AND p.training_unit_id = $2 AND ($3::bigint IS NULL OR a.id < $3::bigint)"
                " ORDER BY a.id DESC LIMIT $4"
            )
            result["execution_ms"] = {
                "api_statement_ms": await floor.execution_ms(
                    server_sql, [region.tenant_id, unit_id, None, 101], args.explain_samples
                ),
                "floor_ms": await floor.execution_ms(
                    LIST_FLOOR_SQL, [region.tenant_id, unit_id], args.explain_samples
                ),
            }
    finally:
        await server.stop()
    result.update(
        api=api_run.as_dict(),
        floor=floor_run.as_dict(),
        api_sql_statements_per_request=dict(statements.most_common()),
        failures=failures[:10],
        ratios={
            "floor_per_api": round(floor_run.rps / api_run.rps, 3),
            "api_p50_per_floor_p50": round(
                api_run.percentile_ms(50) / floor_run.percentile_ms(50), 3
            ),
        },
        api_server_core_utilisation=round(api_run.cpu["api server"] / api_run.seconds, 3)
        if "api server" in api_run.cpu
        else None,
    )
    return result


# --- main ----------------------------------------------------------------------------------


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    today = date.today()
    year = args.year or today.year
    load_start = _load()
    print(f"creating database {BENCH_DB} on {parse_pg_url(server_url)['host']} …", flush=True)
    owner_url, settings = await fresh_database(server_url, BENCH_DB, redis_url)
    print(
        f"generating {args.regions} region(s) × {args.employees} employees, their plans,"
        " finalised evaluations and training catalogues …",
        flush=True,
    )
    t = time.perf_counter()
    tenant_ids = await generate(
        owner_url,
        regions=args.regions,
        employees_per_region=args.employees,
        units_per_region=args.units,
    )
    regions = await generate_training(
        owner_url,
        tenant_ids,
        year=year,
        today=today,
        batches=args.batches,
        capacity=args.capacity,
    )
    generate_seconds = time.perf_counter() - t
    from kinerja_saas.regions.settings import PerformanceSettings

    performance = PerformanceSettings()  # the generated regions keep the defaults
    spec: dict[str, Any] = {
        "owner_url": owner_url,
        "redis_url": redis_url,
        "today": today.isoformat(),
        "indicator_floor": str(performance.low_indicator_floor),
        "cap": str(performance.achievement_cap),
        "regions": [{"tenant_id": r.tenant_id, "period_id": r.period_id} for r in regions],
    }
    result: dict[str, Any] = {
        "benchmark": "training",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": {
            "regions": args.regions,
            "employees_per_region": args.employees,
            "units_per_region": args.units,
            "batches_per_programme": args.batches,
            "capacity": args.capacity,
            "rounds": args.rounds,
            "list_assignments": args.list_assignments,
            "concurrency": args.concurrency,
            "requests": args.requests,
            "max_seconds": args.max_seconds,
            "warmup": args.warmup,
            "year": year,
            "today": today.isoformat(),
            "cpu_cores": os.cpu_count(),
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "generate_seconds": round(generate_seconds, 2),
    }
    async with Owner(owner_url) as owner:
        facts = await data_facts(owner, regions)
        result["data"] = facts
        result["config"]["postgres"] = facts["postgres"]

        # 1. Correctness before timing, and statements at two sizes.
        first_root = await owner.conn.fetchval(  # type: ignore[union-attr]
            # the first top-level unit with low performers in its sub-tree
            "SELECT u.id FROM org_units u WHERE u.tenant_id = $1 AND u.depth = 0 AND EXISTS ("
            " SELECT 1 FROM org_units s JOIN employees e ON e.tenant_id = s.tenant_id"
            " AND e.unit_id = s.id JOIN evaluations ev ON ev.tenant_id = e.tenant_id"
            " AND ev.employee_id = e.id WHERE s.tenant_id = u.tenant_id"
            " AND s.path LIKE u.path || '%'"
            " AND ev.predikat IN ('BUTUH_PERBAIKAN', 'KURANG', 'SANGAT_KURANG'))"
            " ORDER BY u.id LIMIT 1",
            regions[0].tenant_id,
        )
        print("batch assignment: checking the platform's assignments against the floor's …")
        await owner.reset()
        small_spec = {
            **spec,
            "regions": [{**spec["regions"][0], "unit_id": first_root}],
        }
        small = await run_child("platform", small_spec, owner_url, redis_url)
        await owner.reset()
        platform_check = await run_child("platform", spec, owner_url, redis_url)
        platform_rows = await owner.snapshot()
        result["assignments"] = await reasons(owner)
        await owner.reset()
        await run_child("floor", spec, owner_url, redis_url)
        floor_rows = await owner.snapshot()
        problems = compare_assignments(platform_rows, floor_rows)
        result["assignment_check"] = {
            "equal": not problems,
            "assignments": len(platform_rows),
            "problems": problems,
        }
        result["statements"] = {
            "small": {
                "employees_in_scope": await owner.conn.fetchval(  # type: ignore[union-attr]
                    "SELECT count(*) FROM employees e JOIN org_units u ON u.tenant_id ="
                    " e.tenant_id AND u.id = e.unit_id WHERE e.tenant_id = $1 AND u.path LIKE"
                    " (SELECT path FROM org_units WHERE id = $2) || '%'",
                    regions[0].tenant_id,
                    first_root,
                ),
                "assignments": small["regions"][0]["assignments"],
                "statements": small["regions"][0]["statements"],
            },
            "region": {
                "employees_in_scope": args.employees,
                "assignments": platform_check["regions"][0]["assignments"],
                "statements": platform_check["regions"][0]["statements"],
            },
            "per_region": [r["statements"] for r in platform_check["regions"]],
        }
        if problems:
            print("\nCHECK FAILED before timing:", *problems, sep="\n  ", flush=True)
            if not args.time_anyway:
                _write(result)
                return 1

        # 2. Timed rounds: floor then platform, each on an empty assignments table.
        rounds = []
        for n in range(args.rounds):
            print(f"batch assignment: round {n + 1}/{args.rounds} (floor, platform) …", flush=True)
            await owner.reset()
            floor_run = await run_child("floor", spec, owner_url, redis_url)
            await owner.reset()
            platform_run = await run_child("platform", spec, owner_url, redis_url)
            rounds.append({"floor": floor_run, "platform": platform_run, "load": _load()})
        # the platform's assignments of the last round stay for the list
        p_secs = [r["platform"]["seconds"] for r in rounds]
        f_secs = [r["floor"]["seconds"] for r in rounds]
        platform_median = statistics.median(p_secs)
        floor_median = statistics.median(f_secs)
        ratio = platform_median / floor_median
        result["batch"] = {
            "rounds": rounds,
            "platform_seconds_median": round(platform_median, 3),
            "floor_seconds_median": round(floor_median, 3),
            "platform_events_seconds_median": round(
                statistics.median(r["platform"]["events_seconds"] for r in rounds), 3
            ),
            "ratio": round(ratio, 3),
            "platform_peak_rss_mib": round(
                max(r["platform"]["peak_rss_kib"] for r in rounds) / 1024, 1
            ),
            "platform_rss_before_mib": round(
                max(r["platform"]["rss_before_kib"] for r in rounds) / 1024, 1
            ),
            "floor_peak_rss_mib": round(max(r["floor"]["peak_rss_kib"] for r in rounds) / 1024, 1),
            "floor_rss_before_mib": round(
                max(r["floor"]["rss_before_kib"] for r in rounds) / 1024, 1
            ),
            "target": {
                "factor": TARGET_FACTOR,
                "passed": ratio <= TARGET_FACTOR,
                "verdict": "PASS" if ratio <= TARGET_FACTOR else "FAIL",
            },
        }
        stm = result["statements"]
        constant = (
            stm["small"]["statements"] == stm["region"]["statements"]
            and len(set(stm["per_region"])) == 1
        )
        result["statements"]["verdict"] = "PASS" if constant else "FAIL"
        if args.explain:
            result["batch"]["explain_ms"] = await explain_assign(owner_url, settings, spec)

        # 3. The officer's list.
        have = await fill_unit_assignments(
            owner_url,
            regions[0],
            training_unit_id=regions[0].training_unit_ids[0],
            total=args.list_assignments,
        )
        result["list_unit_assignments"] = have
    print(
        f"officer's list: {have} assignments of the unit; API then floor, {args.warmup} warm-up"
        f" + up to {args.requests} requests or {args.max_seconds:g} s, concurrency"
        f" {args.concurrency} …",
        flush=True,
    )
    result["list"] = await list_phase(args, owner_url, redis_url, settings, regions[0])
    result["load"] = {"start": load_start, "end": _load()}
    result["total_seconds"] = round(time.perf_counter() - started, 2)
    ok = (
        result["assignment_check"]["equal"]
        and result["list"].get("api_equals_floor")
        and not result["list"].get("failures")
    )
    result["all_checks_passed"] = bool(ok)
    _write(result)
    print()
    print(report(result))
    return 0 if ok else 1


async def explain_assign(owner_url: str, settings, spec: dict[str, Any]) -> dict[str, float]:
    """EXPLAIN ANALYZE as the app role of the platform's statement and the floor for the
    first region, each on an empty table (in a rolled-back transaction)."""
    from kinerja_saas.training.assignment import ASSIGN

    region = spec["regions"][0]
    async with Owner(owner_url) as owner:
        await owner.reset()
    conn = await app_connection(settings)
    out = {}
    try:
        floor, cap = Decimal(spec["indicator_floor"]), Decimal(spec["cap"])
        today = date.fromisoformat(spec["today"])
        for name, sql, params in (
            (
                "platform_insert",
                ASSIGN,
                [
                    region["tenant_id"],
                    region["period_id"],
                    None,
                    None,
                    floor,
                    cap,
                    MAX_PROGRAMMES_PER_EVALUATION,
                    today,
                ],
            ),
            (
                "floor",
                ASSIGN_FLOOR_SQL,
                [
                    region["tenant_id"],
                    region["period_id"],
                    floor,
                    cap,
                    MAX_PROGRAMMES_PER_EVALUATION,
                    today,
                ],
            ),
        ):
            tr = conn.transaction()
            await tr.start()
            await conn.execute(SET_TENANT_SQL, str(region["tenant_id"]))
            plan = await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *params)
            await tr.rollback()
            out[name] = round(orjson.loads(plan)[0]["Execution Time"], 1)
    finally:
        await conn.close()
    return out


def _write(result: dict[str, Any]) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2, default=str) + b"\n")


def report(r: dict[str, Any]) -> str:
    cfg, data, batch, stm, lst = r["config"], r["data"], r["batch"], r["statements"], r["list"]
    c = data["counts"]
    a = r["assignments"]
    lines = [
        "Training benchmark (bench.training)",
        f"machine    {os.uname().nodename}, {cfg['cpu_cores']} cores, {cfg['machine']};"
        f" PostgreSQL {cfg['postgres']}, Python {cfg['python']}; load average"
        f" {r['load']['start']} at start, {r['load']['end']} at end",
        f"data       {cfg['regions']} regions × {cfg['employees_per_region']} employees:"
        f" {c['finalised_evaluations']} finalised annual evaluations, {c['low_performers']} low"
        f" performers ({c['low_share_percent']} %), {c['indicators']} indicators,"
        f" {c['realisations']} realisations; per region 3 training units,"
        f" {c['training_programmes'] // cfg['regions']} programmes,"
        f" {c['training_batches'] // cfg['regions']} batches of {cfg['capacity']} seats,"
        f" {c['training_rules'] // cfg['regions']} starter rules (generated in"
        f" {r['generate_seconds']:.1f} s)",
        f"assigned   {r['assignment_check']['assignments']} assignments for {a['employees']}"
        f" employees; by reason {a['by_reason']}; by status {a['by_status']}",
        "",
        "1. Batch assignment, all regions (platform: assign_for_period per region, app role,"
        " in a child process; floor: 1 SQL statement per region, app role + RLS)",
        f"   {'round':<8}{'platform s':>12}{'events s':>10}{'floor s':>10}{'ratio':>8}"
        f"{'platform RSS':>14}{'floor RSS':>11}{'load':>8}",
    ]
    for n, rd in enumerate(batch["rounds"], 1):
        p, f = rd["platform"], rd["floor"]
        lines.append(
            f"   {n:<8}{p['seconds']:>12.2f}{p['events_seconds']:>10.2f}{f['seconds']:>10.2f}"
            f"{p['seconds'] / f['seconds']:>7.2f}×{p['peak_rss_kib'] / 1024:>11.0f} MiB"
            f"{f['peak_rss_kib'] / 1024:>7.0f} MiB{rd['load'][0]:>8.2f}"
        )
    lines += [
        f"   {'median':<8}{batch['platform_seconds_median']:>12.2f}"
        f"{batch['platform_events_seconds_median']:>10.2f}{batch['floor_seconds_median']:>10.2f}"
        f"{batch['ratio']:>7.2f}×",
        f"   peak RSS (VmHWM): platform {batch['platform_peak_rss_mib']:.0f} MiB (after start-up"
        f" {batch['platform_rss_before_mib']:.0f} MiB), floor {batch['floor_peak_rss_mib']:.0f}"
        f" MiB (after start-up {batch['floor_rss_before_mib']:.0f} MiB)",
        f"   SQL statements of the platform: {stm['small']['statements']} for one unit"
        f" ({stm['small']['employees_in_scope']} employees, {stm['small']['assignments']}"
        f" assigned), {stm['region']['statements']} for a region ({args_employees(stm)}"
        f" employees, {stm['region']['assignments']} assigned); per region {stm['per_region']}",
    ]
    if "explain_ms" in batch:
        ex = batch["explain_ms"]
        lines.append(
            f"   inside PostgreSQL (EXPLAIN ANALYZE, app role, region 1): platform's INSERT"
            f" {ex['platform_insert']:.0f} ms, floor {ex['floor']:.0f} ms"
        )
    lines.append("")
    if lst.get("api_equals_floor"):
        api, floor = lst["api"], lst["floor"]
        lines += [
            f"2. The training officer's list: trainingAssignments(first: 100), unit with"
            f" {r['list_unit_assignments']} assignments, {cfg['concurrency']} concurrent clients",
            f"   {'':<10}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'n':>6}{'SQL/req':>9}",
            f"   {'API':<10}{api['requests_per_second']:>8.1f}{api['latency_ms']['p50']:>9.1f}"
            f"{api['latency_ms']['p99']:>9.1f}{api['requests']:>6}"
            f"{'/'.join(lst['api_sql_statements_per_request']):>9}",
            f"   {'floor':<10}{floor['requests_per_second']:>8.1f}"
            f"{floor['latency_ms']['p50']:>9.1f}{floor['latency_ms']['p99']:>9.1f}"
            f"{floor['requests']:>6}{'1':>9}",
            f"   floor/API {lst['ratios']['floor_per_api']:.2f}× (req/s), API/floor p50"
            f" {lst['ratios']['api_p50_per_floor_p50']:.2f}×; API server"
            f" {100 * (lst['api_server_core_utilisation'] or 0):.0f}% of one core,"
            f" {api['cpu_ms_per_request'].get('api server', 0):.1f} ms CPU per request",
            f"   the same page with only `id` selected: {lst['api_ids_only']['requests_per_second']:.1f}"
            f" req/s, p50 {lst['api_ids_only']['latency_ms']['p50']:.1f} ms,"
            f" {lst['api_ids_only']['cpu_ms_per_request'].get('api server', 0):.1f} ms server CPU"
            " per request",
            f"   inside PostgreSQL: server's statement {lst['execution_ms']['api_statement_ms']:.2f}"
            f" ms, floor {lst['execution_ms']['floor_ms']:.2f} ms",
        ]
    else:
        lines.append(f"2. The officer's list: API != floor: {lst.get('mismatch')}")
    lines += [
        "",
        f"target     batch assignment within {TARGET_FACTOR:g}× its floor: "
        f"{batch['target']['verdict']} ({batch['ratio']:.2f}×)",
        f"target     never one query per employee (statements constant): {stm['verdict']}",
        f"checks     platform assignments == floor's: "
        f"{'yes' if r['assignment_check']['equal'] else 'NO'}; list page == floor's:"
        f" {'yes' if lst.get('api_equals_floor') else 'NO'}; responses ok:"
        f" {'yes' if not lst.get('failures') else 'NO'}",
        f"total      {r['total_seconds']:.0f} s; figures in {RESULTS_FILE.relative_to(REPO_ROOT)}",
    ]
    return "\n".join(lines)


def args_employees(stm: dict[str, Any]) -> int:
    return stm["region"]["employees_in_scope"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.training", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--employees", type=int, default=5000, help="employees per region")
    parser.add_argument("--units", type=int, default=40, help="org units per region")
    parser.add_argument("--batches", type=int, default=4, help="upcoming batches per programme")
    parser.add_argument("--capacity", type=int, default=30, help="seats per batch")
    parser.add_argument("--rounds", type=int, default=3, help="timed batch-assignment rounds")
    parser.add_argument(
        "--list-assignments", type=int, default=5000, help="assignments of the officer's unit"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400, help="measured API requests")
    parser.add_argument("--max-seconds", type=float, default=15.0, help="per load phase")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--explain-samples", type=int, default=5)
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument(
        "--no-explain",
        dest="explain",
        action="store_false",
        help="skip EXPLAIN ANALYZE of the assignment statements",
    )
    parser.add_argument("--time-anyway", action="store_true")
    parser.add_argument("--child", choices=("platform", "floor"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.employees % 20:
        parser.error("--employees must be a multiple of 20 (exactly 15 % low performers)")
    return args


def run(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        spec = orjson.loads(sys.stdin.buffer.read())
        child = child_platform if args.child == "platform" else child_floor
        print(orjson.dumps(asyncio.run(child(spec))).decode())
        return 0
    return run_until_terminated(main, args)


if __name__ == "__main__":
    sys.exit(run())
