"""Benchmark: the training read models (issue 19, migration 0036). The region admin's
overviews — `jpLedger(year, first: 100)` and `trainingEffectiveness(periodId)` — through a
real `kinerja serve`, with 1 client (p50) and with N clients (req/s), against

- the floor: the same answer from a bare statement as the app role (asyncpg, RLS, the
  read model's SQL; for the effectiveness the same grouping in the client), and
- main's live computation (before the read models): its SQL as a bare statement, and, with
  `--before-repo /work/main`, main's own code serving the same database in a second server
  (its resolvers aggregate the assignments on every read; the extra tables do not bother it),

all in one run, alternating the contenders per round; every answer checked equal before
timing. Then what the triggers add to writes: batched UPDATEs of assignments and of
evaluations as the app role with every trigger, with every trigger but the training read
models' (disabled inside the rolled-back transaction, the statement run once before the timed
run so that the functions' plans, invalidated by that DDL, are made again), and with none
(session_replication_role = replica); median of 11 after one unmeasured, rolled back. And the SIASN JP export's statement
(every employee of the region) from the read model against main's, bare SQL.

    .venv/bin/python -m bench.training_views [--employees 5000 --completed 6000 --database kinerja_bench_trainrm]

Writes bench/results/training_views.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import asyncpg
import httpx
import orjson

from bench.common import (
    DEFAULT_DATABASE_URL,
    RESULTS_DIR,
    ApiServer,
    KinerjaProcess,
    free_port,
    fresh_database,
    region_admin,
    run_until_terminated,
)
from bench.generate import generate
from bench.generate_training import fill_unit_assignments, generate_training
from bench.performance_cycle import SET_TENANT_SQL, FloorClient, Login, login_token, run_load
from kinerja_saas.database import app_connection_params, parse_pg_url
from kinerja_saas.exports.queries import _JP as EXPORT_JP
from kinerja_saas.training import rules
from kinerja_saas.training.queries import EFFECT_COUNTS
from tests.training.helpers import LIVE_PAIRS, live_effect

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"
RESULTS_FILE = RESULTS_DIR / "training_views.json"

LEDGER_QUERY = """query Ledger($y: Int!) { jpLedger(year: $y, first: 100) {
    edges { node { employeeId nip name unitName completedJp entitlement shortfall } }
    pageInfo { hasNextPage } } }"""
EFFECT_QUERY = """query Effect($p: ID!) { trainingEffectiveness(periodId: $p) {
    id name completed followedUp improved unchanged worsened improvementRate
    achievementDelta } }"""

# The floor of the ledger: the read model's statement (the server runs it, and reads the
# region's settings first).
LEDGER_FLOOR = """SELECT e.id, e.nip, e.name, u.name AS unit_name, coalesce(j.jp, 0)::int AS jp
FROM employees e JOIN org_units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id
LEFT JOIN training_jp j ON j.tenant_id = $1 AND j.employee_id = e.id AND j.year = $2
WHERE e.tenant_id = $1 AND e.is_active ORDER BY e.id LIMIT 101"""
# main's: a sum over each employee's completed assignments on every read.
LEDGER_LIVE = """SELECT e.id, e.nip, e.name, u.name AS unit_name, j.jp FROM employees e
JOIN org_units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id
CROSS JOIN LATERAL (
    SELECT coalesce(sum(p.jp_hours), 0)::int AS jp FROM training_assignments a
    JOIN training_programmes p ON p.tenant_id = a.tenant_id AND p.id = a.programme_id
    WHERE a.tenant_id = $1 AND a.employee_id = e.id AND a.status = 'COMPLETED'
        AND extract(year FROM a.completed_at AT TIME ZONE 'Asia/Jakarta') = $2) j
WHERE e.tenant_id = $1 AND e.is_active ORDER BY e.id LIMIT 101"""
# main's: two lateral look-ups into the evaluations per completed assignment (the tests' reference).
EFFECT_LIVE = LIVE_PAIRS

# main's SIASN JP export: the sum for every active employee of the region ($3 the zone).
EXPORT_LIVE = """
SELECT e.nip AS "nipBaru", e.name AS nama, u.name AS "unorNama", $2::int AS "tahunKursus",
    coalesce(j.jp, 0)::int AS "jumlahJam", $4::int AS "targetJam",
    greatest($4::int - coalesce(j.jp, 0), 0)::int AS "kekuranganJam"
FROM employees e
JOIN org_units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id
LEFT JOIN (
    SELECT a.employee_id, sum(pr.jp_hours) AS jp FROM training_assignments a
    JOIN training_programmes pr ON pr.tenant_id = a.tenant_id AND pr.id = a.programme_id
    WHERE a.tenant_id = $1 AND a.status = 'COMPLETED'
        AND extract(year FROM a.completed_at AT TIME ZONE $3) = $2
    GROUP BY a.employee_id
) j ON j.employee_id = e.id
WHERE e.tenant_id = $1 AND e.is_active
ORDER BY e.nip
"""

# The next year's evaluations of most of those who completed a training, finalised after
# it (the "after" of the effectiveness): $1 tenant, $2 the period's year.
NEXT_YEAR = """
WITH per AS (
    INSERT INTO periods (tenant_id, year, name, status, checkpoint_kind, starts_on, ends_on,
        created_at, updated_at)
    VALUES ($1::bigint, $2::int + 1, 'Periode Kinerja ' || ($2::int + 1), 'PLANNING',
        'QUARTERLY', make_date($2::int + 1, 1, 1), make_date($2::int + 1, 12, 31), now(), now())
    RETURNING id
), who AS (
    SELECT DISTINCT a.employee_id FROM training_assignments a
    WHERE a.tenant_id = $1 AND a.status = 'COMPLETED' AND a.employee_id % 5 <> 0
), pl AS (
    INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id, status,
        revision, created_at, updated_at)
    SELECT $1, per.id, e.id, e.unit_id, e.supervisor_id, 'APPROVED', 0, now(), now()
    FROM who JOIN employees e ON e.tenant_id = $1 AND e.id = who.employee_id CROSS JOIN per
    RETURNING id, employee_id, period_id
)
INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, status, behaviour_ratings,
    predikat, achievement, finalised_at, created_at, updated_at)
SELECT $1, pl.id, pl.period_id, pl.employee_id, 'FINALISED', '{}',
    (ARRAY['SANGAT_BAIK', 'BAIK', 'BAIK', 'BUTUH_PERBAIKAN', 'KURANG'])[1 + pl.employee_id % 5],
    60 + pl.employee_id % 40, now() + interval '1 day', now(), now()
FROM pl
"""


class MainServer(KinerjaProcess):
    """`kinerja serve` running another checkout's code (PYTHONPATH) on the same database."""

    def __init__(self, owner_url: str, redis_url: str, repo: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port)],
            owner_url=owner_url,
            redis_url=redis_url,
            log_path=RESULTS_DIR / "training_views.before.log",
            env={
                "KINERJA_DEBUG_HEADERS": "true",
                "KINERJA_RATE_LIMITS_ENABLED": "false",
                "KINERJA_RESPONSE_CACHE_ENTRIES": "0",
                "PYTHONPATH": repo,
            },
            stop_timeout=10.0,
        )

    async def start(self, wait_seconds: float = 30.0) -> None:
        await super().start()
        await self.wait_until_healthy(self.base_url, wait_seconds, "main's API server")


def _ledger_api(data: dict) -> list[tuple]:
    return [
        (int(e["node"]["employeeId"]), e["node"]["completedJp"]) for e in data["jpLedger"]["edges"]
    ]


def _ledger_rows(rows: list) -> list[tuple]:
    return [(r["id"], r["jp"]) for r in rows[:100]]


def _effect_api(data: dict) -> list[tuple]:
    return [
        (g["id"], g["completed"], g["followedUp"], g["improved"], g["worsened"])
        for g in data["trainingEffectiveness"]
    ]


def _effect_rows(rows: list) -> list[tuple]:
    """The service's grouping (per programme, then the total) done in the client."""
    groups: dict[int, list] = {}
    for r in rows:
        groups.setdefault(r["programme_id"], []).append(r)

    out = [(str(k), *_f(live_effect(m))) for k, m in sorted(groups.items())]
    return [*out, (None, *_f(live_effect(rows)))]


def _effect_counts(rows: list) -> list[tuple]:
    """The floor's counted rows (EFFECT_COUNTS: the grouping in SQL)."""
    return [
        (
            str(r["id"]) if r["id"] is not None else None,
            r["completed"],
            r["followed_up"],
            r["improved"],
            r["worsened"],
        )
        for r in rows
    ]


def _f(e: rules.Effect) -> tuple:
    return e.completed, e.followed_up, e.improved, e.worsened


# The writes whose upkeep is timed: (label, UPDATE, what it touches).
UPKEEP = (
    (
        "complete 1 assignment",
        "UPDATE training_assignments SET status = 'COMPLETED', completed_at = now()"
        " WHERE tenant_id = $1 AND id = (SELECT min(id) FROM training_assignments"
        " WHERE tenant_id = $1 AND status = 'ASSIGNED')",
    ),
    (
        "complete 300 assignments",
        "UPDATE training_assignments SET status = 'COMPLETED', completed_at = now()"
        " WHERE tenant_id = $1 AND id IN (SELECT id FROM training_assignments"
        " WHERE tenant_id = $1 AND status IN ('ASSIGNED', 'CONFIRMED', 'ATTENDED')"
        " ORDER BY id LIMIT 300)",
    ),
    (
        "confirm 1,000 assignments (no refresh)",
        "UPDATE training_assignments SET status = 'CONFIRMED' WHERE tenant_id = $1 AND id IN"
        " (SELECT id FROM training_assignments WHERE tenant_id = $1 AND status = 'ASSIGNED'"
        " ORDER BY id LIMIT 1000)",
    ),
    (
        "finalise 1 evaluation (a completer's)",
        "UPDATE evaluations SET finalised_at = finalised_at + interval '1 hour'"
        " WHERE tenant_id = $1 AND id = (SELECT min(e.id) FROM evaluations e"
        " WHERE e.tenant_id = $1 AND e.status = 'FINALISED' AND e.employee_id IN"
        " (SELECT employee_id FROM training_assignments WHERE tenant_id = $1"
        " AND status = 'COMPLETED'))",
    ),
    (
        "finalise 1,000 evaluations",
        "UPDATE evaluations SET finalised_at = finalised_at + interval '1 hour'"
        " WHERE tenant_id = $1 AND id IN (SELECT id FROM evaluations WHERE tenant_id = $1"
        " AND status = 'FINALISED' ORDER BY id LIMIT 1000)",
    ),
)


async def upkeep_cost(owner_url: str, app_role: str, tenant_id: int) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(**parse_pg_url(owner_url), server_settings={"jit": "off"})
    try:

        async def timed(sql: str, triggers: str) -> tuple[float, int]:
            """triggers: "none" (replica), "others" (every trigger but the training read
            models', disabled in the rolled-back transaction) or "all"."""
            times, rows = [], 0
            for _ in range(12):
                transaction = conn.transaction()
                await transaction.start()
                try:
                    if triggers == "none":
                        await conn.execute("SET LOCAL session_replication_role = replica")
                    else:
                        if triggers == "others":
                            for table in ("training_assignments", "evaluations"):
                                for op in ("insert", "update", "delete"):
                                    await conn.execute(
                                        f"ALTER TABLE {table} DISABLE TRIGGER training_rm_{op}"
                                    )
                        await conn.execute(f'SET LOCAL ROLE "{app_role}"')
                    await conn.execute(SET_TENANT_SQL, str(tenant_id))
                    # Once, undone: the DDL above invalidated the cached plans of the
                    # triggers' functions; the timed run below uses them planned again.
                    await conn.execute("SAVEPOINT warm")
                    await conn.execute(sql, tenant_id)
                    await conn.execute("ROLLBACK TO SAVEPOINT warm")
                    started = time.perf_counter()
                    status = await conn.execute(sql, tenant_id)
                    times.append(time.perf_counter() - started)
                    rows = int(status.split()[-1])
                finally:
                    await transaction.rollback()
            return statistics.median(times[1:]) * 1000, rows

        out = []
        for label, sql in UPKEEP:
            alone, rows = await timed(sql, "none")
            others, _ = await timed(sql, "others")
            kept, _ = await timed(sql, "all")
            out.append(
                {
                    "write": label,
                    "rows": rows,
                    "write_ms": round(alone, 2),
                    "other_triggers_ms": round(others, 2),
                    "with_training_triggers_ms": round(kept, 2),
                }
            )
        return out
    finally:
        await conn.close()


def _commit(repo: str) -> str:
    done = subprocess.run(
        ["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip()


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    today = date.today()
    year = today.year
    print(f"creating database {args.database} …", flush=True)
    owner_url, settings = await fresh_database(server_url, args.database, redis_url)
    print(f"generating {args.regions} region(s) × {args.employees} employees …", flush=True)
    t = time.perf_counter()
    tenant_ids = await generate(
        owner_url, regions=args.regions, employees_per_region=args.employees, units_per_region=40
    )
    regions = await generate_training(
        owner_url, tenant_ids, year=year, today=today, batches=4, capacity=30
    )
    region = regions[0]
    for r in regions:
        for unit_id in r.training_unit_ids:
            await fill_unit_assignments(
                owner_url, r, training_unit_id=unit_id, total=args.assignments_per_unit
            )
    conn = await asyncpg.connect(**parse_pg_url(owner_url))
    try:
        for r in regions:
            await conn.execute(NEXT_YEAR, r.tenant_id, year)
        await conn.execute("ANALYZE")
        facts = {
            "assignments": await conn.fetchval(
                "SELECT count(*) FROM training_assignments WHERE tenant_id = $1", region.tenant_id
            ),
            "completed": await conn.fetchval(
                "SELECT count(*) FROM training_assignments WHERE tenant_id = $1"
                " AND status = 'COMPLETED'",
                region.tenant_id,
            ),
            "evaluations": await conn.fetchval(
                "SELECT count(*) FROM evaluations WHERE tenant_id = $1", region.tenant_id
            ),
            "training_jp_rows": await conn.fetchval(
                "SELECT count(*) FROM training_jp WHERE tenant_id = $1", region.tenant_id
            ),
            "effect_pairs": await conn.fetchval(
                "SELECT count(*) FROM training_effect_pairs WHERE tenant_id = $1",
                region.tenant_id,
            ),
            "postgres": await conn.fetchval("SHOW server_version"),
        }
        admin = await region_admin(conn, region.tenant_id)
    finally:
        await conn.close()
    generate_seconds = time.perf_counter() - t
    print(f"data: {facts} ({generate_seconds:.0f} s)", flush=True)
    token = login_token(
        settings,
        region.tenant_id,
        Login(admin["id"], admin["email"], admin["employee_id"], ("REGION_ADMIN", "EMPLOYEE")),
    )
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    views = {
        "jpLedger": (
            orjson.dumps({"query": LEDGER_QUERY, "variables": {"y": year}}),
            _ledger_api,
            (LEDGER_FLOOR, [region.tenant_id, year], _ledger_rows),
            (LEDGER_LIVE, [region.tenant_id, year], _ledger_rows),
        ),
        "trainingEffectiveness": (
            orjson.dumps({"query": EFFECT_QUERY, "variables": {"p": str(region.period_id)}}),
            _effect_api,
            (
                EFFECT_COUNTS,
                [region.tenant_id, region.period_id, "PROGRAMME", list(rules.PREDIKAT_ORDER)],
                _effect_counts,
            ),
            (EFFECT_LIVE, [region.tenant_id, region.period_id], _effect_rows),
        ),
    }
    result: dict[str, Any] = {
        "benchmark": "training_views",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": {
            "regions": args.regions,
            "employees_per_region": args.employees,
            "assignments_per_unit": args.assignments_per_unit,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "seconds": args.seconds,
            "cpu_cores": os.cpu_count(),
            "before_repo": args.before_repo,
            "before_commit": _commit(args.before_repo) if args.before_repo else None,
        },
        "data": facts,
        "views": {},
        "load": [round(x, 2) for x in os.getloadavg()],
    }
    after = ApiServer(owner_url, redis_url, RESULTS_DIR / "training_views.server.log")
    after.env_overrides["KINERJA_RATE_LIMITS_ENABLED"] = "false"  # one login, many requests
    # the view itself, not the per-region response cache (which serves a repeated document
    # for up to 1 s: with it both servers answered in ~2 ms whatever they compute)
    after.env_overrides["KINERJA_RESPONSE_CACHE_ENTRIES"] = "0"
    before = MainServer(owner_url, redis_url, args.before_repo) if args.before_repo else None
    ok = True
    try:
        await after.start()
        if before is not None:
            await before.start()
        limits = httpx.Limits(
            max_connections=args.concurrency, max_keepalive_connections=args.concurrency
        )
        async with (
            httpx.AsyncClient(limits=limits, timeout=120.0) as http,
            FloorClient(
                app_connection_params(settings), region.tenant_id, args.concurrency
            ) as floor,
        ):
            for name, (body, of_api, (floor_sql, floor_params, of_floor), live) in views.items():
                live_sql, live_params, of_live = live

                def api(base: str, body: bytes = body) -> Callable[[], Awaitable[Any]]:
                    async def post() -> httpx.Response:
                        return await http.post(f"{base}/graphql", content=body, headers=headers)

                    return post

                contenders: dict[str, Callable[[], Awaitable[Any]]] = {
                    "api": api(after.base_url),
                    "floor": floor.caller(floor_sql, floor_params),
                    "live_sql (main's)": floor.caller(live_sql, live_params),
                }
                if before is not None:
                    contenders["api_before (main's code)"] = api(before.base_url)
                # every answer equal before timing
                answers, statements = {}, {}
                for label, call in contenders.items():
                    got = await call()
                    if isinstance(got, httpx.Response):
                        payload = orjson.loads(got.content)
                        if payload.get("errors"):
                            raise RuntimeError(f"{label}: {payload['errors']}")
                        answers[label] = of_api(payload["data"])
                        statements[label] = got.headers.get("x-sql-statements")
                    else:
                        answers[label] = (of_floor if label == "floor" else of_live)(got)
                equal = len({orjson.dumps(a) for a in answers.values()}) == 1
                ok = ok and equal
                print(f"{name}: answers equal {equal} ({len(answers['api'])} rows)", flush=True)
                runs: dict[str, dict[str, list]] = {k: {"p50": [], "rps": []} for k in contenders}
                for n in range(args.rounds):
                    for label, call in contenders.items():
                        await run_load("warm-up", call, requests=5, concurrency=1)
                        one = await run_load(
                            "1", call, requests=10_000, concurrency=1, max_seconds=args.seconds
                        )
                        many = await run_load(
                            "n",
                            call,
                            requests=100_000,
                            concurrency=args.concurrency,
                            max_seconds=args.seconds,
                        )
                        runs[label]["p50"].append(one.percentile_ms(50))
                        runs[label]["rps"].append(many.rps)
                        print(
                            f"  round {n + 1} {label:<26} p50 {one.percentile_ms(50):8.2f} ms"
                            f" (1 client), {many.rps:8.1f} req/s ({args.concurrency})",
                            flush=True,
                        )
                summary = {
                    label: {
                        "p50_ms_1_client": round(statistics.median(v["p50"]), 2),
                        "rps_n_clients": round(statistics.median(v["rps"]), 1),
                        "rounds": v,
                    }
                    for label, v in runs.items()
                }
                result["views"][name] = {
                    "answers_equal": equal,
                    "rows": len(answers["api"]),
                    "api_sql_statements": statements,
                    "contenders": summary,
                }
    finally:
        await after.stop()
        if before is not None:
            await before.stop()
    print("the JP export's statement: read model vs main's …", flush=True)
    async with FloorClient(app_connection_params(settings), region.tenant_id, 1) as floor:
        export_new = floor.caller(EXPORT_JP, [region.tenant_id, year, 20])
        export_live = floor.caller(EXPORT_LIVE, [region.tenant_id, year, "Asia/Jakarta", 20])
        same = [tuple(r) for r in await export_new()] == [tuple(r) for r in await export_live()]
        ok = ok and same
        export: dict[str, list[float]] = {"read_model": [], "live (main's)": []}
        for _ in range(args.rounds):
            for label, call in (("read_model", export_new), ("live (main's)", export_live)):
                one = await run_load("1", call, requests=10_000, concurrency=1, max_seconds=3)
                export[label].append(one.percentile_ms(50))
        result["jp_export"] = {
            "answers_equal": same,
            "p50_ms": {k: round(statistics.median(v), 2) for k, v in export.items()},
        }
        print(f"  {result['jp_export']}", flush=True)
    print("timing what the triggers add to writes …", flush=True)
    result["upkeep"] = await upkeep_cost(owner_url, settings.app_db_user, region.tenant_id)
    for row in result["upkeep"]:
        print(
            f"  {row['write']:<40} {row['rows']:>5} rows: alone {row['write_ms']:8.2f} ms,"
            f" other triggers {row['other_triggers_ms']:8.2f} ms, + training read models"
            f" {row['with_training_triggers_ms']:8.2f} ms",
            flush=True,
        )
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    result["all_checks_passed"] = ok
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"\nwritten to {RESULTS_FILE}")
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="kinerja_bench_training_views")
    parser.add_argument("--regions", type=int, default=2)
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument(
        "--assignments-per-unit",
        type=int,
        default=4000,
        help="assignments per training unit (a quarter of them COMPLETED)",
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=6.0, help="per contender and phase")
    parser.add_argument(
        "--before-repo",
        default=None,
        help="a checkout of main: its code serves the same database as 'api_before'",
    )
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> int:
    return run_until_terminated(main, parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(run())
