"""Benchmark: the performance cycle's read models over GraphQL (a supervisor's `myTeam` and the
region's `performanceStats`) against the floor of one hand-written SQL query returning the same
data, in the same run, at the same concurrency.

    .venv/bin/python -m bench.performance_cycle [--employees 5000 --team 300 --concurrency 8 --requests 300]

Steps: (re)create the database `kinerja_bench_cycle` on the server of DATABASE_URL, migrate it,
generate a region (bench/generate.py) and a year of its performance cycle
(bench/generate_cycle.py), start `kinerja serve` with KINERJA_DEBUG_HEADERS=true, check that
every operation's API answer equals its floor's, then per operation load the API with N
concurrent HTTP clients and the floor query with asyncpg (app role, RLS) at the same
concurrency. Prints a table and writes bench/results/performance_cycle.json. See
bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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
    access_token,
    fresh_database,
    own_cpu_seconds,
    proc_cpu_seconds,
    region_admin,
    run_until_terminated,
)
from bench.generate import generate
from bench.generate_cycle import CycleRegion, generate_cycle
from kinerja_saas.database import APP_SERVER_SETTINGS, app_connection_params, parse_pg_url
from kinerja_saas.settings import Settings

# Another name keeps parallel runs (other checkouts) apart.
BENCH_DB = os.environ.get("KINERJA_BENCH_CYCLE_DB", "kinerja_bench_cycle")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
RESULTS_FILE = RESULTS_DIR / "performance_cycle.json"
SERVER_LOG = RESULTS_DIR / "performance_cycle.server.log"
TARGET_FACTOR = 3.0  # performanceStats within 3× its floor (req/s)

TEAM_QUERY = (
    "query Team($p: ID!) { myTeam(periodId: $p) { employee { id name nip } planId planStatus"
    " achievementToDate indicators missingRealisations pendingVerifications latestPredikat } }"
)
STATS_UNIT_QUERY = (
    "query Stats($p: ID!) { performanceStats(periodId: $p, groupBy: [UNIT, PREDIKAT])"
    " { unitId predikat plans withAchievement averageAchievement } }"
)
STATS_CHECKPOINT_QUERY = (
    "query Trend($p: ID!) { performanceStats(periodId: $p, groupBy: [CHECKPOINT])"
    " { checkpointId plans withAchievement averageAchievement } }"
)


def _achievement(value: str, cap: str, indicator: str = "i.", target: str | None = None) -> str:
    """One indicator's capaian (%), the rule of rules.achievement written out: value / target,
    or target / value where lower is better (0 reaches the cap), capped, rounded to cents.
    `indicator` prefixes the indicator's `direction` and `target` columns; `target` replaces
    the annual target (a checkpoint's own, rules.indicator_target)."""
    direction, target = f"{indicator}direction", target or f"{indicator}target"
    return (
        f"round(LEAST({cap}, CASE WHEN {direction} = 'HIGHER_IS_BETTER'"
        f" THEN {value} / {target} * 100 WHEN {value} = 0 THEN {cap}"
        f" ELSE {target} / {value} * 100 END), 2)"
    )


# The floors: each the same data as its GraphQL operation, in one statement, written
# independently of the server's SQL (kinerja_saas/performance/monitoring.py).

# $1 tenant, $2 supervisor, $3 period, $4 today, $5 achievement cap. Per indicator one pass
# over its realisations: the latest non-rejected value (to date), the non-rejected ones of
# ended checkpoints (missing = ended checkpoints − those) and the submitted ones.
TEAM_FLOOR_SQL = f"""
WITH team AS (
    SELECT e.id, e.name, e.nip FROM employees e
    WHERE e.tenant_id = $1 AND e.supervisor_id = $2 AND e.is_active
), tp AS (
    SELECT p.id, p.employee_id, p.status FROM plans p JOIN team ON team.id = p.employee_id
    WHERE p.tenant_id = $1 AND p.period_id = $3
), ended AS (
    SELECT count(*) AS n FROM checkpoints c
    WHERE c.tenant_id = $1 AND c.period_id = $3 AND c.ends_on < $4
), ind AS (
    SELECT i.plan_id, i.weight, i.target, i.direction,
           CASE WHEN i.target_kind = 'PER_PERIOD'
               THEN sum(r.value) FILTER (WHERE r.status <> 'REJECTED')
               ELSE (array_agg(r.value ORDER BY c.number DESC)
                   FILTER (WHERE r.status <> 'REJECTED'))[1] END AS latest,
           count(*) FILTER (WHERE r.status <> 'REJECTED' AND c.ends_on < $4) AS entered,
           count(*) FILTER (WHERE r.status = 'SUBMITTED') AS submitted
    FROM tp
    JOIN indicators i ON i.tenant_id = $1 AND i.plan_id = tp.id
    LEFT JOIN realisations r ON r.tenant_id = $1 AND r.indicator_id = i.id
    LEFT JOIN checkpoints c ON c.tenant_id = $1 AND c.id = r.checkpoint_id
    GROUP BY i.id
), per_plan AS (
    SELECT plan_id,
           CASE WHEN count(latest) > 0 THEN
           round(sum(CASE WHEN latest IS NULL THEN 0 ELSE {_achievement("latest", "$5", "")} END
                     * weight) / sum(weight), 2) END AS achievement,
           count(*)::int AS indicators,
           sum((SELECT n FROM ended) - entered)::int AS missing,
           sum(submitted)::int AS pending
    FROM ind GROUP BY plan_id
), predikat AS (
    SELECT ev.plan_id,
           (array_agg(ev.predikat ORDER BY c.number DESC NULLS FIRST))[1] AS predikat
    FROM tp
    JOIN evaluations ev ON ev.tenant_id = $1 AND ev.plan_id = tp.id
    LEFT JOIN checkpoints c ON c.tenant_id = $1 AND c.id = ev.checkpoint_id
    WHERE ev.predikat IS NOT NULL
    GROUP BY ev.plan_id
)
SELECT team.id, team.name, team.nip, tp.id AS plan_id, tp.status AS plan_status,
       CASE WHEN tp.status = 'APPROVED' THEN pp.achievement END AS achievement,
       CASE WHEN tp.status = 'APPROVED' THEN coalesce(pp.indicators, 0) ELSE 0 END AS indicators,
       CASE WHEN tp.status = 'APPROVED' THEN coalesce(pp.missing, 0) ELSE 0 END
           AS missing_realisations,
       coalesce(pp.pending, 0) AS pending_verifications,
       pr.predikat AS latest_predikat
FROM team
LEFT JOIN tp ON tp.employee_id = team.id
LEFT JOIN per_plan pp ON pp.plan_id = tp.id
LEFT JOIN predikat pr ON pr.plan_id = tp.id
ORDER BY team.name, team.id
"""

# The year's value: the sum of a PER_PERIOD indicator's realisations, else the latest.
YEAR_ACHIEVEMENT = _achievement(
    "(CASE WHEN i.target_kind = 'PER_PERIOD' THEN v.total ELSE v.value END)", "$3"
)

# $1 tenant, $2 period, $3 cap. The latest non-rejected realisation of every indicator of the
# period in one sorted pass (DISTINCT ON), plan achievements, then plans × their top-level
# unit × the year's predikat.
STATS_UNIT_FLOOR_SQL = f"""
WITH latest AS (
    SELECT DISTINCT ON (r.indicator_id) r.indicator_id, r.value,
           sum(r.value) OVER (PARTITION BY r.indicator_id) AS total
    FROM realisations r JOIN checkpoints c ON c.tenant_id = $1 AND c.id = r.checkpoint_id
    WHERE r.tenant_id = $1 AND c.period_id = $2 AND r.status <> 'REJECTED'
    ORDER BY r.indicator_id, c.number DESC
), pa AS (
    SELECT i.plan_id,
           CASE WHEN count(v.value) > 0 THEN
           round(sum(CASE WHEN v.value IS NULL THEN 0 ELSE {YEAR_ACHIEVEMENT} END
                     * i.weight) / sum(i.weight), 2) END AS achievement
    FROM plans p
    JOIN indicators i ON i.tenant_id = $1 AND i.plan_id = p.id
    LEFT JOIN latest v ON v.indicator_id = i.id
    WHERE p.tenant_id = $1 AND p.period_id = $2 AND p.status = 'APPROVED'
    GROUP BY i.plan_id
)
SELECT split_part(u.path, '/', 2)::bigint AS unit_id, ev.predikat, count(*) AS plans,
       count(pa.achievement) AS with_achievement,
       round(avg(pa.achievement), 2) AS average_achievement
FROM plans p
JOIN org_units u ON u.tenant_id = $1 AND u.id = p.unit_id
LEFT JOIN pa ON pa.plan_id = p.id
LEFT JOIN evaluations ev ON ev.tenant_id = $1 AND ev.plan_id = p.id
    AND ev.checkpoint_id IS NULL
WHERE p.tenant_id = $1 AND p.period_id = $2
GROUP BY 1, 2
ORDER BY 1, 2
"""

# A checkpoint's own target where the indicator has periodic targets.
CHECKPOINT_ACHIEVEMENT = _achievement(
    "r.value", "$3", target="coalesce(i.checkpoint_targets[c.number], i.target)"
)

# $1 tenant, $2 period, $3 cap. A plan's achievement at a checkpoint is Σ(achievement ×
# weight) over the realisations there ÷ the plan's total weight (a missing or rejected one
# adds 0; a plan without any there is no data, out of the average): one hash join of the
# period's realisations with their indicators, grouped by (plan, checkpoint), then every
# plan × checkpoint.
STATS_CHECKPOINT_FLOOR_SQL = f"""
WITH w AS (
    SELECT i.plan_id, sum(i.weight) AS total
    FROM plans p JOIN indicators i ON i.tenant_id = $1 AND i.plan_id = p.id
    WHERE p.tenant_id = $1 AND p.period_id = $2 AND p.status = 'APPROVED'
    GROUP BY i.plan_id
), s AS (
    SELECT r.plan_id, r.checkpoint_id, sum({CHECKPOINT_ACHIEVEMENT} * i.weight) AS score
    FROM realisations r
    JOIN indicators i ON i.tenant_id = $1 AND i.id = r.indicator_id
    JOIN checkpoints c ON c.tenant_id = $1 AND c.id = r.checkpoint_id
    WHERE r.tenant_id = $1 AND c.period_id = $2 AND r.status <> 'REJECTED'
    GROUP BY r.plan_id, r.checkpoint_id
)
SELECT c.id AS checkpoint_id, count(*) AS plans, count(s.score) AS with_achievement,
       round(avg(round(s.score / w.total, 2)), 2) AS average_achievement
FROM plans p
JOIN checkpoints c ON c.tenant_id = $1 AND c.period_id = $2
LEFT JOIN w ON w.plan_id = p.id
LEFT JOIN s ON s.plan_id = p.id AND s.checkpoint_id = c.id
WHERE p.tenant_id = $1 AND p.period_id = $2
GROUP BY c.id
ORDER BY c.id
"""

# The read-model floors (issue 19): the same answers read from the read models the server
# reads (plan_progress, plan_progress_counts; migration 0034), each one hand-written
# statement: the least any reader of those tables does. The floors above recompute from the
# realisations and check that the read models are right; these tell the API's overhead.

# $1 tenant, $2 supervisor, $3 period, $4 today
TEAM_MODEL_FLOOR_SQL = """
SELECT e.id, e.name, e.nip, p.id AS plan_id, p.status AS plan_status, y.achievement,
       coalesce(y.indicators, 0) AS indicators,
       coalesce((SELECT sum(n) FROM unnest(y.missing_ends, y.missing_counts) AS m(ends_on, n)
                 WHERE ends_on < $4), 0) AS missing_realisations,
       coalesce(y.pending, 0) AS pending_verifications, y.latest_predikat
FROM employees e
LEFT JOIN plans p ON p.tenant_id = $1 AND p.period_id = $3 AND p.employee_id = e.id
LEFT JOIN plan_progress y ON y.tenant_id = $1 AND y.plan_id = p.id AND y.checkpoint_id IS NULL
WHERE e.tenant_id = $1 AND e.supervisor_id = $2 AND e.is_active
ORDER BY e.name, e.id
"""

# $1 tenant, $2 period
STATS_UNIT_MODEL_FLOOR_SQL = """
SELECT split_part(u.path, '/', 2)::bigint AS unit_id, k.predikat, sum(k.plans) AS plans,
       sum(k.with_achievement) AS with_achievement,
       round(sum(k.achievement_sum) / nullif(sum(k.with_achievement), 0), 2)
           AS average_achievement
FROM plan_progress_counts k JOIN org_units u ON u.tenant_id = $1 AND u.id = k.unit_id
WHERE k.tenant_id = $1 AND k.period_id = $2 AND k.checkpoint_id IS NULL
GROUP BY 1, 2 HAVING sum(k.plans) > 0
ORDER BY 1, 2
"""

STATS_CHECKPOINT_MODEL_FLOOR_SQL = """
SELECT k.checkpoint_id, sum(k.plans) AS plans, sum(k.with_achievement) AS with_achievement,
       round(sum(k.achievement_sum) / nullif(sum(k.with_achievement), 0), 2)
           AS average_achievement
FROM plan_progress_counts k
WHERE k.tenant_id = $1 AND k.period_id = $2 AND k.checkpoint_id IS NOT NULL
GROUP BY 1 HAVING sum(k.plans) > 0
ORDER BY 1
"""
SET_TENANT_SQL = "SELECT set_config('app.tenant_id', $1, true)"


# --- the operations ------------------------------------------------------------------------


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _team_api(data: dict[str, Any]) -> list[tuple]:
    return [
        (
            int(m["employee"]["id"]),
            m["employee"]["name"],
            m["employee"]["nip"],
            _int(m["planId"]),
            m["planStatus"],
            _dec(m["achievementToDate"]),
            m["indicators"],
            m["missingRealisations"],
            m["pendingVerifications"],
            m["latestPredikat"],
        )
        for m in data["myTeam"]
    ]


def _team_floor(rows: list[asyncpg.Record]) -> list[tuple]:
    return [
        (
            r["id"],
            r["name"],
            r["nip"],
            r["plan_id"],
            r["plan_status"],
            r["achievement"],
            r["indicators"],
            r["missing_realisations"],
            r["pending_verifications"],
            r["latest_predikat"],
        )
        for r in rows
    ]


def _stats_unit_api(data: dict[str, Any]) -> list[tuple]:
    return [
        (
            _int(g["unitId"]),
            g["predikat"],
            g["plans"],
            g["withAchievement"],
            _dec(g["averageAchievement"]),
        )
        for g in data["performanceStats"]
    ]


def _stats_unit_floor(rows: list[asyncpg.Record]) -> list[tuple]:
    return [
        (
            r["unit_id"],
            r["predikat"],
            r["plans"],
            r["with_achievement"],
            r["average_achievement"],
        )
        for r in rows
    ]


def _stats_checkpoint_api(data: dict[str, Any]) -> list[tuple]:
    return [
        (_int(g["checkpointId"]), g["plans"], g["withAchievement"], _dec(g["averageAchievement"]))
        for g in data["performanceStats"]
    ]


def _stats_checkpoint_floor(rows: list[asyncpg.Record]) -> list[tuple]:
    return [
        (r["checkpoint_id"], r["plans"], r["with_achievement"], r["average_achievement"])
        for r in rows
    ]


@dataclass
class Operation:
    key: str
    label: str
    query: str
    operation_name: str
    token: str
    variables: dict[str, Any]
    api_rows: Callable[[dict[str, Any]], list[tuple]]
    floor_sql: str
    floor_params: list[Any]
    floor_rows: Callable[[list[asyncpg.Record]], list[tuple]]
    columns: tuple[str, ...]  # names of the tuple fields, for the mismatch report
    key_fields: int  # the first `key_fields` fields identify a row (employee, group)
    target: bool  # the 3× target applies
    server_sql: Callable[[], tuple[str, list[Any]]]  # the API's statement, for EXPLAIN
    sanity: Callable[[list[tuple]], str | None]  # what the data must look like, else why not
    model_floor_sql: str = ""  # the same answer from the read models, by hand
    model_floor_params: list[Any] = field(default_factory=list)


def _sort_key(key: tuple) -> tuple:
    """Natural order of row keys that may hold None (ints by value, None last)."""
    return tuple((v is None, f"{v:020d}" if isinstance(v, int) else str(v)) for v in key)


def compare(api: list[tuple], floor: list[tuple], op: Operation) -> list[str]:
    """[] when equal, else what differs: rows only on one side, fields that differ, order."""
    if api == floor:
        return []
    keyed_api = {row[: op.key_fields]: row for row in api}
    keyed_floor = {row[: op.key_fields]: row for row in floor}
    names = op.columns
    problems = [f"API {len(api)} rows, floor {len(floor)} rows"]
    if len(keyed_api) != len(api):
        problems.append(f"the API repeats a {'/'.join(names[: op.key_fields])}")
    if len(keyed_floor) != len(floor):
        problems.append(f"the floor repeats a {'/'.join(names[: op.key_fields])}")

    def show(row: tuple) -> str:
        return ", ".join(f"{n}={v}" for n, v in zip(names, row, strict=True))

    only_api = sorted(keyed_api.keys() - keyed_floor.keys(), key=_sort_key)
    only_floor = sorted(keyed_floor.keys() - keyed_api.keys(), key=_sort_key)
    differing = sorted(
        (k for k in keyed_api.keys() & keyed_floor.keys() if keyed_api[k] != keyed_floor[k]),
        key=_sort_key,
    )
    if only_api:
        problems.append(f"{len(only_api)} row(s) only in the API, e.g.")
        problems += [f"  {show(keyed_api[k])}" for k in only_api[:5]]
    if only_floor:
        problems.append(f"{len(only_floor)} row(s) only in the floor, e.g.")
        problems += [f"  {show(keyed_floor[k])}" for k in only_floor[:5]]
    if differing:
        problems.append(f"{len(differing)} row(s) with different values, e.g.")
        for k in differing[:10]:
            a, f = keyed_api[k], keyed_floor[k]
            detail = "; ".join(
                f"{n}: API {av} / floor {fv}"
                for n, av, fv in zip(names, a, f, strict=True)
                if av != fv
            )
            key = ", ".join(f"{n}={v}" for n, v in zip(names, k, strict=False))
            problems.append(f"  {key}: {detail}")
    if not (only_api or only_floor or differing):
        problems.append("same rows, different order")
    return problems


# --- measurement -------------------------------------------------------------------------


@dataclass
class Run:
    """One load phase: up to `wanted` calls by `concurrency` clients, or until time ran out."""

    name: str
    wanted: int
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds used

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] * 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "requests_wanted": self.wanted,
            "stopped_by_time_limit": self.requests < self.wanted,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.rps, 2),
            "latency_ms": {
                "p50": round(self.percentile_ms(50), 2),
                "p99": round(self.percentile_ms(99), 2),
                "mean": round(statistics.fmean(self.latencies) * 1000, 2),
                "max": round(max(self.latencies) * 1000, 2),
            },
            "cpu_ms_per_request": {
                k: round(v * 1000 / self.requests, 3) for k, v in self.cpu.items()
            },
        }


async def run_load(
    name: str,
    call: Callable[[], Awaitable[Any]],
    *,
    requests: int,
    concurrency: int,
    max_seconds: float | None = None,
    check: Callable[[Any], None] | None = None,
    server_pid: int | None = None,
) -> Run:
    """Runs `call` up to `requests` times from `concurrency` tasks; no new call starts after
    `max_seconds` (calls in flight finish and count). Only the call is timed; `check`
    (validation of the result) runs after the clock stops, in the same task."""
    run = Run(name, requests, concurrency)
    remaining = requests
    deadline = math.inf

    async def client() -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            started = time.perf_counter()
            result = await call()
            run.latencies.append(time.perf_counter() - started)
            if check is not None:
                check(result)

    own_cpu = own_cpu_seconds()
    server_cpu = proc_cpu_seconds(server_pid) if server_pid else None
    started = time.perf_counter()
    if max_seconds:
        deadline = started + max_seconds
    await asyncio.gather(*(client() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    run.cpu["load generator"] = own_cpu_seconds() - own_cpu
    if server_cpu is not None and server_pid:
        after = proc_cpu_seconds(server_pid)
        if after is not None:
            run.cpu["api server"] = after - server_cpu
    return run


# --- set-up ------------------------------------------------------------------------------


@dataclass
class Login:
    account_id: int
    email: str
    employee_id: int
    roles: tuple[str, ...]


async def region_facts(owner_url: str, region: CycleRegion) -> dict[str, Any]:
    """The admin login, the achievement cap in force and the sizes of what was generated."""
    from kinerja_saas.regions.settings import load as load_settings

    conn = await asyncpg.connect(**parse_pg_url(owner_url))
    try:
        admin = await region_admin(conn, region.tenant_id)
        settings = orjson.loads(
            await conn.fetchval(
                "SELECT settings::text FROM tenants WHERE id = $1", region.tenant_id
            )
        )
        counts = {}
        for table in (
            "employees",
            "org_units",
            "checkpoints",
            "plans",
            "plan_results",
            "indicators",
            "realisations",
            "evaluations",
        ):
            counts[table] = await conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE tenant_id = $1", region.tenant_id
            )
        pg_version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    cap = Decimal(str(load_settings(settings).performance.achievement_cap))
    return {
        "admin": Login(
            admin["id"], admin["email"], admin["employee_id"], ("REGION_ADMIN", "EMPLOYEE")
        ),
        "supervisor": Login(
            region.supervisor_account_id,
            region.supervisor_email,
            region.supervisor_id,
            ("SUPERVISOR", "EMPLOYEE"),
        ),
        "cap": cap,
        "counts": counts,
        "postgres": pg_version,
    }


def login_token(settings: Settings, tenant_id: int, login: Login) -> str:
    return access_token(
        settings,
        tenant_id=tenant_id,
        account_id=login.account_id,
        email=login.email,
        employee_id=login.employee_id,
        roles=login.roles,
    )


def build_operations(
    region: CycleRegion, facts: dict[str, Any], tokens: dict[str, str], today: date
) -> list[Operation]:
    from kinerja_saas.performance import queries as monitoring

    tenant, period, cap = region.tenant_id, region.period_id, facts["cap"]
    employees = facts["counts"]["employees"]
    checkpoints = facts["counts"]["checkpoints"]
    variables = {"p": str(period)}

    def team_sanity(rows: list[tuple]) -> str | None:
        if len(rows) != region.team:
            return f"{len(rows)} team members instead of {region.team}"
        if not any(r[5] is not None for r in rows):
            return "no team member has an achievement"
        return None

    def unit_sanity(rows: list[tuple]) -> str | None:
        total = sum(r[2] for r in rows)
        if total != employees:
            return f"the groups hold {total} plans instead of {employees}"
        if len({r[1] for r in rows}) < 3:
            return "fewer than 3 distinct predikat (with none)"
        return None

    def checkpoint_sanity(rows: list[tuple]) -> str | None:
        if len(rows) != checkpoints or any(r[1] != employees for r in rows):
            return f"expected {checkpoints} checkpoints × {employees} plans"
        return None

    def stats_sql(by: list[str]) -> Callable[[], tuple[str, list[Any]]]:
        def build() -> tuple[str, list[Any]]:
            dims = [monitoring.StatsDimension(d) for d in by]
            sql = monitoring.stats_sql(
                by=dims, unit_depth=None, unit_param=None, scoped="", unit_filter="", counted=True
            )
            return sql, [tenant, period]

        return build

    return [
        Operation(
            key="my_team",
            label=f"myTeam ({region.team} reports)",
            query=TEAM_QUERY,
            operation_name="Team",
            token=tokens["supervisor"],
            variables=variables,
            api_rows=_team_api,
            floor_sql=TEAM_FLOOR_SQL,
            floor_params=[tenant, region.supervisor_id, period, today, cap],
            floor_rows=_team_floor,
            columns=(
                "employee",
                "name",
                "nip",
                "planId",
                "planStatus",
                "achievementToDate",
                "indicators",
                "missingRealisations",
                "pendingVerifications",
                "latestPredikat",
            ),
            key_fields=1,
            target=False,
            server_sql=lambda: (
                monitoring.TEAM_SQL,
                [tenant, region.supervisor_id, period, today],
            ),
            sanity=team_sanity,
            model_floor_sql=TEAM_MODEL_FLOOR_SQL,
            model_floor_params=[tenant, region.supervisor_id, period, today],
        ),
        Operation(
            key="stats_unit_predikat",
            label="performanceStats [UNIT, PREDIKAT]",
            query=STATS_UNIT_QUERY,
            operation_name="Stats",
            token=tokens["admin"],
            variables=variables,
            api_rows=_stats_unit_api,
            floor_sql=STATS_UNIT_FLOOR_SQL,
            floor_params=[tenant, period, cap],
            floor_rows=_stats_unit_floor,
            columns=("unitId", "predikat", "plans", "withAchievement", "averageAchievement"),
            key_fields=2,
            target=True,
            server_sql=stats_sql(["UNIT", "PREDIKAT"]),
            sanity=unit_sanity,
            model_floor_sql=STATS_UNIT_MODEL_FLOOR_SQL,
            model_floor_params=[tenant, period],
        ),
        Operation(
            key="stats_checkpoint",
            label="performanceStats [CHECKPOINT]",
            query=STATS_CHECKPOINT_QUERY,
            operation_name="Trend",
            token=tokens["admin"],
            variables=variables,
            api_rows=_stats_checkpoint_api,
            floor_sql=STATS_CHECKPOINT_FLOOR_SQL,
            floor_params=[tenant, period, cap],
            floor_rows=_stats_checkpoint_floor,
            columns=("checkpointId", "plans", "withAchievement", "averageAchievement"),
            key_fields=1,
            target=True,
            server_sql=stats_sql(["CHECKPOINT"]),
            sanity=checkpoint_sanity,
            model_floor_sql=STATS_CHECKPOINT_MODEL_FLOOR_SQL,
            model_floor_params=[tenant, period],
        ),
    ]


# --- the phases --------------------------------------------------------------------------


@dataclass
class ApiChecks:
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    statements: Counter = field(default_factory=Counter)


def _api_problem(
    response: httpx.Response, op: Operation, expected: list[tuple] | None
) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    body = orjson.loads(response.content)
    if body.get("errors"):
        return f"errors: {orjson.dumps(body['errors'])[:500].decode()}"
    if not body.get("data"):
        return "no data"
    if expected is not None and op.api_rows(body["data"]) != expected:
        return "the answer differs from the checked one"
    return None


def _check_api(
    op: Operation, checks: ApiChecks, expected: list[tuple]
) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        header = response.headers.get("x-sql-statements")
        checks.statements[header if header is not None else "missing"] += 1
        problem = _api_problem(response, op, expected)
        if problem is None:
            checks.ok += 1
        else:
            checks.failures.append(problem)

    return check


class ApiClient:
    def __init__(self, base_url: str, concurrency: int) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.http = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120.0)

    def caller(self, op: Operation) -> Callable[[], Awaitable[httpx.Response]]:
        body = orjson.dumps(
            {"query": op.query, "operationName": op.operation_name, "variables": op.variables}
        )
        headers = {"authorization": f"Bearer {op.token}", "content-type": "application/json"}

        async def call() -> httpx.Response:
            return await self.http.post("/graphql", content=body, headers=headers)

        return call


class FloorClient:
    """A pool of `concurrency` app-role connections running one operation's floor query in a
    tenant transaction."""

    def __init__(self, params: dict[str, Any], tenant_id: int, concurrency: int) -> None:
        self.params = params
        self.tenant_id = tenant_id
        self.concurrency = concurrency
        self.pool: asyncpg.Pool | None = None

    async def __aenter__(self) -> FloorClient:
        # The app's own connection settings (jit off), so both sides run the same planner.
        self.pool = await asyncpg.create_pool(
            **self.params,
            min_size=self.concurrency,
            max_size=self.concurrency,
            server_settings=dict(APP_SERVER_SETTINGS),
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self.pool is not None:
            await self.pool.close()

    def caller(self, sql: str, params: list[Any]) -> Callable[[], Awaitable[list[asyncpg.Record]]]:
        async def call() -> list[asyncpg.Record]:
            assert self.pool is not None
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(SET_TENANT_SQL, str(self.tenant_id))
                return await conn.fetch(sql, *params)

        return call

    async def execution_ms(self, sql: str, params: list[Any], samples: int) -> float:
        """Median `Execution Time` of EXPLAIN ANALYZE as the app role: PostgreSQL's own cost
        of the statement, without network, protocol or client."""
        assert self.pool is not None
        times = []
        async with self.pool.acquire() as conn:
            for _ in range(samples):
                async with conn.transaction():
                    await conn.execute(SET_TENANT_SQL, str(self.tenant_id))
                    plan = await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *params)
                times.append(orjson.loads(plan)[0]["Execution Time"])
        return statistics.median(times)


async def verify(
    ops: list[Operation], api: ApiClient, floor: FloorClient
) -> dict[str, dict[str, Any]]:
    """Before any timing: each operation's API answer against its floor's, and both against
    what the generated data must look like."""
    verdicts = {}
    for op in ops:
        response = await api.caller(op)()
        problem = _api_problem(response, op, None)
        floor_rows = op.floor_rows(await floor.caller(op.floor_sql, op.floor_params)())
        verdict: dict[str, Any] = {
            "statements": response.headers.get("x-sql-statements"),
            "floor_rows": len(floor_rows),
            "floor_sanity": op.sanity(floor_rows),
        }
        if problem is not None:
            verdict.update(api_error=problem, mismatch=None, api_rows=None)
        else:
            api_rows = op.api_rows(orjson.loads(response.content)["data"])
            verdict.update(
                api_error=None,
                api_rows=len(api_rows),
                mismatch=compare(api_rows, floor_rows, op) or None,
                expected=api_rows,
            )
        verdicts[op.key] = verdict
    return verdicts


async def measure(
    op: Operation,
    server: ApiServer,
    api: ApiClient,
    floor: FloorClient,
    expected: list[tuple],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The API phase, then the floor phase, each after its warm-up."""
    call = api.caller(op)
    await run_load(
        "warm-up",
        call,
        requests=args.warmup,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds,
    )
    checks = ApiChecks()
    assert server.proc is not None
    api_run = await run_load(
        "API",
        call,
        requests=args.requests,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds,
        check=_check_api(op, checks, expected),
        server_pid=server.proc.pid,
    )
    floor_failures: list[str] = []

    def floor_check(rows: list[asyncpg.Record]) -> None:
        if op.floor_rows(rows) != expected:
            floor_failures.append("the floor's answer differs from the checked one")

    floor_call = floor.caller(op.floor_sql, op.floor_params)
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
        requests=args.requests,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds,
        check=floor_check,
    )
    model_run = None
    if op.model_floor_sql:

        def model_check(rows: list[asyncpg.Record]) -> None:
            if op.floor_rows(rows) != expected:
                floor_failures.append("the read-model floor's answer differs from the checked one")

        model_call = floor.caller(op.model_floor_sql, op.model_floor_params)
        await run_load(
            "warm-up",
            model_call,
            requests=args.warmup,
            concurrency=args.concurrency,
            max_seconds=args.max_seconds,
        )
        model_run = await run_load(
            "read-model floor",
            model_call,
            requests=args.requests,
            concurrency=args.concurrency,
            max_seconds=args.max_seconds,
            check=model_check,
        )
    return {
        "api": api_run,
        "api_checks": checks,
        "floor": floor_run,
        "model_floor": model_run,
        "floor_failures": floor_failures,
    }


async def explain(op: Operation, floor: FloorClient, samples: int) -> dict[str, float | str | None]:
    """Median execution time inside PostgreSQL of the server's own statement and of the floor."""
    result: dict[str, float | str | None] = {"api_statement_ms": None, "floor_ms": None}
    try:
        sql, params = op.server_sql()
        result["api_statement_ms"] = round(await floor.execution_ms(sql, params, samples), 3)
    except Exception as exc:  # the code under test may change; report, don't fail the bench
        result["api_statement_error"] = f"{type(exc).__name__}: {exc}"
    result["floor_ms"] = round(await floor.execution_ms(op.floor_sql, op.floor_params, samples), 3)
    return result


# --- report ------------------------------------------------------------------------------


def _statements_text(counts: dict[str, int]) -> str:
    if len(counts) == 1:
        ((value, _n),) = counts.items()
        return value
    return ",".join(f"{k}×{v}" for k, v in counts.items())


def report(result: dict[str, Any]) -> str:
    cfg = result["config"]
    data = result["data"]
    width = 132
    head = (
        f"{'operation':<35}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'n':>5}{'SQL/req':>8}"
        f" |{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'n':>5} |{'floor/API':>10}{'API/floor':>10}"
        f"  {'3× target'}"
    )
    lines = [
        "Kinerja bench: performance cycle — myTeam and performanceStats over GraphQL vs one"
        " hand-written SQL query",
        "=" * width,
        f"data       region {cfg['tenant_id']}: {data['employees']} employees, {data['org_units']}"
        f" units; period {cfg['period_id']} ({cfg['year']}, MONTHLY, {data['checkpoints']}"
        f" checkpoints): {data['plans']} plans, {data['indicators']} indicators,"
        f" {data['realisations']} realisations, {data['evaluations']} evaluations",
        f"           supervisor = employee {cfg['supervisor_employee_id']} with {cfg['team']} direct"
        f" reports; {cfg['regions']} region(s) generated; achievement cap {cfg['achievement_cap']}"
        f" %; today {cfg['today']}",
        f"machine    {cfg['cpu_cores']} CPU cores SHARED by the API server (1 uvicorn process),"
        " PostgreSQL and this load generator",
        f"software   PostgreSQL {cfg['postgres']}, Python {cfg['python']},"
        f" load generator: httpx / asyncpg on {cfg['event_loop']}",
        f"load       {cfg['concurrency']} concurrent clients; per phase up to {cfg['requests']}"
        f" measured requests or {cfg['max_seconds']:g} s, whichever comes first; up to"
        f" {cfg['warmup']} warm-up requests before each",
        "",
        f"{'':<35}{'API: POST /graphql':^39} |{'floor: 1 SQL, app role + RLS':^31} |{'ratio':^20}",
        head,
        "-" * width,
    ]
    for op in result["operations"].values():
        api, floor, ratios = op["api"], op["floor"], op["ratios"]
        target = op.get("target")
        lines.append(
            f"{op['label']:<35}{api['requests_per_second']:>8.1f}{api['latency_ms']['p50']:>9.1f}"
            f"{api['latency_ms']['p99']:>9.1f}{api['requests']:>5}"
            f"{_statements_text(op['api_sql_statements_per_request']):>8}"
            f" |{floor['requests_per_second']:>8.1f}{floor['latency_ms']['p50']:>9.1f}"
            f"{floor['latency_ms']['p99']:>9.1f}{floor['requests']:>5}"
            f" |{ratios['floor_per_api']:>9.2f}×{ratios['api_p50_per_floor_p50']:>9.2f}×"
            f"  {target['verdict'] if target else '—'}"
        )
    lines.append("-" * width)
    lines.append(
        "floor/API = floor req/s ÷ API req/s (how many times more answers per second the bare"
        " query gives); API/floor = API p50 ÷ floor p50"
    )
    lines.append("")
    lines.append(
        "read-model floor (1 hand-written SQL over plan_progress / plan_progress_counts, app role):"
    )
    for op in result["operations"].values():
        model, ratios = op.get("model_floor"), op["ratios"]
        if model:
            lines.append(
                f"  {op['label']:<35}{model['requests_per_second']:>8.1f} req/s, p50"
                f" {model['latency_ms']['p50']:.1f} ms, p99 {model['latency_ms']['p99']:.1f} ms;"
                f" model floor/API {ratios['model_floor_per_api']:.2f}×, API/model floor p50"
                f" {ratios['api_p50_per_model_floor_p50']:.2f}×"
            )
    goals = issue19_targets(result)
    if goals:
        lines.append("")
        lines += [f"issue 19   {g}" for g in goals]
    fresh = result.get("freshness")
    if fresh:
        lines.append(
            f"freshness  a realisation written and committed, then myTeam read until it shows:"
            f" {fresh['samples']} samples, visible after p50 {fresh['p50_ms']:.1f} ms,"
            f" p99 {fresh['p99_ms']:.1f} ms, max {fresh['max_ms']:.1f} ms"
            f" (first read showed it: {fresh['first_read_showed_it']}/{fresh['samples']})"
        )
    for row in result.get("upkeep") or []:
        lines.append(
            f"upkeep     {row['write']:<32} write alone {row['write_ms']:>8.1f} ms, with the read"
            f" models kept {row['with_upkeep_ms']:>8.1f} ms"
            f" (+{(row['with_upkeep_ms'] - row['write_ms']) / row['plans']:.2f} ms a plan)"
        )
    lines.append("")
    lines.append(
        f"inside PostgreSQL (EXPLAIN ANALYZE as the app role, median of {cfg['explain_samples']}):"
    )
    for op in result["operations"].values():
        ex = op["execution_ms"]
        if ex.get("api_statement_ms") is not None:
            ratio = ex["api_statement_ms"] / ex["floor_ms"] if ex["floor_ms"] else math.nan
            text = (
                f"server's statement {ex['api_statement_ms']:.1f} ms, floor {ex['floor_ms']:.1f}"
                f" ms ({ratio:.2f}×)"
            )
        else:
            text = f"server's statement n/a ({ex.get('api_statement_error')}), floor {ex['floor_ms']:.1f} ms"
        lines.append(f"  {op['label']:<35}{text}")
    lines.append("API server CPU per request (PostgreSQL not included):")
    for op in result["operations"].values():
        cpu = op["api"]["cpu_ms_per_request"]
        busy = op.get("api_server_core_utilisation")
        lines.append(
            f"  {op['label']:<35}"
            + ", ".join(f"{k} {v:.1f} ms" for k, v in cpu.items())
            + (f"; server process {busy * 100:.0f}% of one core" if busy is not None else "")
        )
    lines.append("")
    for op in result["operations"].values():
        if op.get("target"):
            t = op["target"]
            lines.append(
                f"target     {op['label']} within {TARGET_FACTOR:g}× its floor (req/s):"
                f" {t['verdict']} ({t['floor_per_api']:.2f}×; p50 {t['api_p50_per_floor_p50']:.2f}×)"
            )
    checks = result["checks"]
    lines.append(
        f"checks     API == floor before timing: {checks['api_equals_floor']};"
        f" API responses ok: {checks['api_ok']}; floor results ok: {checks['floor_ok']};"
        f" data as generated: {checks['sanity']}"
    )
    lines += [
        f"total      {result['total_seconds']:.1f} s (set-up {result['setup_seconds']:.1f} s);"
        f" figures also in {RESULTS_FILE.relative_to(REPO_ROOT)}",
        "Note: the load generator, the API server and PostgreSQL compete for the same cores, so",
        "absolute rates are lower than on separate machines; compare the ratios.",
    ]
    return "\n".join(lines)


def issue19_targets(result: dict[str, Any]) -> list[str]:
    """The targets of issue 19 that this run's concurrency measures (p50 with 1 client,
    req/s with 8), as PASS/FAIL lines; they do not change the exit status."""
    concurrency = result["config"]["concurrency"]
    ops = result["operations"]
    lines = []
    for key, p50_goal in (
        ("my_team", 30.0),
        ("stats_unit_predikat", 50.0),
        ("stats_checkpoint", 50.0),
    ):
        if key not in ops:
            continue
        api = ops[key]["api"]
        if concurrency == 1:
            p50 = api["latency_ms"]["p50"]
            verdict = "PASS" if p50 <= p50_goal else "FAIL"
            lines.append(f"{ops[key]['label']}: p50 {p50:.1f} ms ≤ {p50_goal:g} ms: {verdict}")
        elif concurrency >= 8 and key != "my_team":
            rps = api["requests_per_second"]
            verdict = "PASS" if rps >= 50 else "FAIL"
            lines.append(
                f"{ops[key]['label']}: {rps:.1f} req/s ≥ 50 with {concurrency} clients: {verdict}"
            )
    return lines


async def freshness(
    api: ApiClient, op: Operation, floor: FloorClient, tenant_id: int, samples: int
) -> dict[str, Any]:
    """How soon a write shows in a read model: a team member's latest realisation gets a
    new value (committed as the app role), then `myTeam` is read until that member's
    achievementToDate changes; the time from the commit to the answer that shows it."""
    assert floor.pool is not None
    call = api.caller(op)
    data = orjson.loads((await call()).content)["data"]["myTeam"]
    member = next(m for m in data if m["achievementToDate"] is not None)
    plan_id, before = int(member["planId"]), member["achievementToDate"]
    latencies, first = [], 0
    async with floor.pool.acquire() as conn:
        # The member's first indicator where higher is better, at its latest realisation.
        target = await _latest_realisation(conn, tenant_id, plan_id)
        for k in range(samples):
            value = target["target"] * Decimal("0.5" if k % 2 == 0 else "0.9")
            async with conn.transaction():
                await conn.execute(SET_TENANT_SQL, str(tenant_id))
                await conn.execute(
                    "UPDATE realisations SET value = $2, status = 'VERIFIED'"
                    " WHERE tenant_id = $3 AND id = $1",
                    target["id"],
                    value,
                    tenant_id,
                )
            committed, reads = time.perf_counter(), 0
            while True:
                reads += 1
                rows = orjson.loads((await call()).content)["data"]["myTeam"]
                now = next(m for m in rows if m["planId"] == str(plan_id))["achievementToDate"]
                if now != before:
                    break
                if time.perf_counter() - committed > 10:
                    raise RuntimeError("a write did not show in myTeam within 10 s")
            latencies.append(time.perf_counter() - committed)
            first += reads == 1
            before = now
    ordered = sorted(latencies)
    return {
        "samples": samples,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] * 1000,
        "max_ms": ordered[-1] * 1000,
        "first_read_showed_it": first,
    }


async def _latest_realisation(conn: asyncpg.Connection, tenant_id: int, plan_id: int) -> Any:
    async with conn.transaction():
        await conn.execute(SET_TENANT_SQL, str(tenant_id))
        return await conn.fetchrow(
            "SELECT r.id, i.target FROM realisations r"
            " JOIN indicators i ON i.tenant_id = r.tenant_id AND i.id = r.indicator_id"
            " JOIN checkpoints c ON c.tenant_id = r.tenant_id AND c.id = r.checkpoint_id"
            " WHERE r.tenant_id = $1 AND r.plan_id = $2 AND i.direction = 'HIGHER_IS_BETTER'"
            " ORDER BY i.position, c.number DESC LIMIT 1",
            tenant_id,
            plan_id,
        )


# The writes whose read-model upkeep is timed: (label, UPDATE of realisations, plans touched).
UPKEEP_WRITES = (
    (
        "1 realisation",
        "UPDATE realisations SET value = value + 1 WHERE tenant_id = $1 AND id ="
        " (SELECT min(id) FROM realisations WHERE tenant_id = $1 AND plan_id = ($2::bigint[])[1])",
        1,
    ),
    (
        "1 plan's 60 realisations",
        "UPDATE realisations SET value = value + 1 WHERE tenant_id = $1 AND plan_id = ($2::bigint[])[1]",
        1,
    ),
    *(
        (
            f"{n:,} plans, one realisation each",
            "UPDATE realisations r SET value = value + 1 FROM (SELECT DISTINCT ON (plan_id) id"
            " FROM realisations WHERE tenant_id = $1 AND plan_id = ANY($2::bigint[])"
            " ORDER BY plan_id, id) x WHERE r.tenant_id = $1 AND r.id = x.id",
            n,
        )
        for n in (300, 5000)
    ),
)


async def upkeep_cost(owner_url: str, app_role: str, tenant_id: int) -> list[dict[str, Any]]:
    """What the read models' upkeep adds to a write: each UPDATE of UPKEEP_WRITES as the app
    role (RLS, the triggers refreshing the read models in the same transaction) against the
    same UPDATE with triggers off (the owner with session_replication_role = replica: the
    write alone), rolled back each time; median of 5, after one unmeasured run each."""
    conn = await asyncpg.connect(**parse_pg_url(owner_url), server_settings={"jit": "off"})
    try:
        plans = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM plans WHERE tenant_id = $1 ORDER BY id", tenant_id
            )
        ]

        async def timed(sql: str, params: list[Any], upkeep: bool) -> float:
            times = []
            for _ in range(6):
                transaction = conn.transaction()
                await transaction.start()
                try:
                    if upkeep:
                        await conn.execute(f'SET LOCAL ROLE "{app_role}"')
                    else:
                        await conn.execute("SET LOCAL session_replication_role = replica")
                    await conn.execute(SET_TENANT_SQL, str(tenant_id))
                    started = time.perf_counter()
                    await conn.execute(sql, *params)
                    times.append(time.perf_counter() - started)
                finally:
                    await transaction.rollback()
            return statistics.median(times[1:]) * 1000

        rows = []
        for label, sql, n in UPKEEP_WRITES:
            params = [tenant_id, plans[:n]]
            alone = await timed(sql, params, upkeep=False)
            kept = await timed(sql, params, upkeep=True)
            rows.append({"write": label, "plans": n, "write_ms": alone, "with_upkeep_ms": kept})
        return rows
    finally:
        await conn.close()


# --- main --------------------------------------------------------------------------------


def _mismatch_text(verdicts: dict[str, dict[str, Any]], ops: list[Operation]) -> list[str]:
    lines = []
    for op in ops:
        v = verdicts[op.key]
        if v["api_error"]:
            lines.append(f"{op.label}: the API failed: {v['api_error']}")
        if v["mismatch"]:
            lines.append(f"{op.label}: the API's answer differs from the floor's:")
            lines += [f"    {m}" for m in v["mismatch"]]
        if v["floor_sanity"]:
            lines.append(
                f"{op.label}: the floor's answer is not what was generated: {v['floor_sanity']}"
            )
    return lines


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    today = date.today()
    year = args.year or today.year
    print(f"creating database {BENCH_DB} on {parse_pg_url(server_url)['host']} …", flush=True)
    owner_url, settings = await fresh_database(server_url, BENCH_DB, redis_url)
    print(
        f"generating {args.regions} region(s) × {args.employees} employees and a year ({year})"
        " of plans, realisations and evaluations …",
        flush=True,
    )
    tenant_ids = await generate(
        owner_url,
        regions=args.regions,
        employees_per_region=args.employees,
        units_per_region=args.units,
    )
    regions = await generate_cycle(owner_url, tenant_ids, year=year, team=args.team)
    region = regions[0]
    facts = await region_facts(owner_url, region)
    tokens = {
        "admin": login_token(settings, region.tenant_id, facts["admin"]),
        "supervisor": login_token(settings, region.tenant_id, facts["supervisor"]),
    }
    ops = build_operations(region, facts, tokens, today)
    app_params = app_connection_params(settings)

    server = ApiServer(owner_url, redis_url, SERVER_LOG)
    # One login asks hundreds of times a second here: what is measured is the read, not the
    # per-login fair-sharing limit (bench.load measures that).
    server.env_overrides["KINERJA_RATE_LIMITS_ENABLED"] = "false"
    # Identical reads would otherwise come from the response cache (schema/response_cache.py,
    # up to 1 s old): what is measured here is the read of the read models behind it.
    server.env_overrides["KINERJA_RESPONSE_CACHE_ENTRIES"] = "0"
    measured: dict[str, dict[str, Any]] = {}
    explained: dict[str, dict[str, Any]] = {}
    try:
        print(f"starting `kinerja serve` on {server.base_url} …", flush=True)
        await server.start()
        setup_seconds = time.perf_counter() - started
        api = ApiClient(server.base_url, args.concurrency)
        async with FloorClient(app_params, region.tenant_id, args.concurrency) as floor:
            print("checking the API's answers against the floor's …", flush=True)
            verdicts = await verify(ops, api, floor)
            problems = _mismatch_text(verdicts, ops)
            if problems:
                print("\nCHECK FAILED before timing:", *problems, sep="\n  ", flush=True)
            if problems and not args.time_anyway:
                timed_ops: list[Operation] = []
            else:
                timed_ops = [op for op in ops if verdicts[op.key]["api_error"] is None]
            for op in timed_ops:
                print(
                    f"{op.label}: API then floor, {args.warmup} warm-up + up to {args.requests}"
                    f" requests or {args.max_seconds:g} s each, at concurrency {args.concurrency} …",
                    flush=True,
                )
                measured[op.key] = await measure(
                    op, server, api, floor, verdicts[op.key]["expected"], args
                )
            for op in timed_ops:
                explained[op.key] = await explain(op, floor, args.explain_samples)
            fresh = None
            if timed_ops and args.freshness_samples:
                print("freshness: write, then read myTeam until it shows …", flush=True)
                fresh = await freshness(
                    api, ops[0], floor, region.tenant_id, args.freshness_samples
                )
        await api.http.aclose()
    finally:
        await server.stop()
    upkeep = None
    if args.upkeep and measured:
        print("timing the read models' upkeep per write …", flush=True)
        try:
            upkeep = await upkeep_cost(owner_url, settings.app_db_user, region.tenant_id)
        except asyncpg.PostgresError as exc:  # the figures above still count
            print(f"upkeep not timed: {exc}", flush=True)

    result: dict[str, Any] = {
        "benchmark": "performance_cycle",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": {
            "regions": args.regions,
            "employees_per_region": args.employees,
            "units_per_region": args.units,
            "team": region.team,
            "tenant_id": region.tenant_id,
            "period_id": region.period_id,
            "year": year,
            "today": today.isoformat(),
            "supervisor_employee_id": region.supervisor_id,
            "achievement_cap": str(facts["cap"]),
            "concurrency": args.concurrency,
            "requests": args.requests,
            "max_seconds": args.max_seconds,
            "warmup": args.warmup,
            "explain_samples": args.explain_samples,
            "cpu_cores": os.cpu_count(),
            "postgres": facts["postgres"],
            "python": platform.python_version(),
            "event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
            "shared_cores_note": "the API server, PostgreSQL and the load generator share the"
            " machine's cores",
        },
        "data": facts["counts"],
        "verification": {
            op.key: {k: v for k, v in verdicts[op.key].items() if k != "expected"} for op in ops
        },
        "operations": {},
        "freshness": fresh,
        "upkeep": upkeep,
    }
    all_ok = not problems
    for op in ops:
        if op.key not in measured:
            continue
        m = measured[op.key]
        api_run, floor_run, checks = m["api"], m["floor"], m["api_checks"]
        ratios = {
            "floor_per_api": floor_run.rps / api_run.rps,
            "api_per_floor": api_run.rps / floor_run.rps,
            "api_p50_per_floor_p50": api_run.percentile_ms(50) / floor_run.percentile_ms(50),
        }
        if m["model_floor"] is not None:
            model = m["model_floor"]
            ratios["model_floor_per_api"] = model.rps / api_run.rps
            ratios["api_p50_per_model_floor_p50"] = api_run.percentile_ms(50) / model.percentile_ms(
                50
            )
        entry: dict[str, Any] = {
            "label": op.label,
            "graphql_query": op.query,
            "floor_sql": " ".join(op.floor_sql.split()),
            "api": api_run.as_dict(),
            "api_server_core_utilisation": round(api_run.cpu["api server"] / api_run.seconds, 3)
            if "api server" in api_run.cpu
            else None,
            "api_sql_statements_per_request": dict(checks.statements.most_common()),
            "floor": floor_run.as_dict(),
            "model_floor_sql": " ".join(op.model_floor_sql.split()),
            "model_floor": m["model_floor"].as_dict() if m["model_floor"] else None,
            "ratios": {k: round(v, 4) for k, v in ratios.items()},
            "execution_ms": explained.get(op.key, {}),
            "checks": {
                "api_ok": checks.ok,
                "api_requests": api_run.requests,
                "api_failures": checks.failures[:10],
                "floor_ok": floor_run.requests - len(m["floor_failures"]),
                "floor_requests": floor_run.requests,
                "floor_failures": m["floor_failures"][:10],
            },
        }
        if op.target:
            passed = ratios["floor_per_api"] <= TARGET_FACTOR
            entry["target"] = {
                "factor": TARGET_FACTOR,
                "floor_per_api": round(ratios["floor_per_api"], 4),
                "api_p50_per_floor_p50": round(ratios["api_p50_per_floor_p50"], 4),
                "passed": passed,
                "verdict": "PASS" if passed else "FAIL",
            }
        result["operations"][op.key] = entry
        all_ok = all_ok and (
            checks.ok == api_run.requests
            and not m["floor_failures"]
            and set(checks.statements) != {"missing"}
        )
    ops_run = result["operations"].values()
    result["checks"] = {
        "api_equals_floor": "yes" if not any(verdicts[o.key]["mismatch"] for o in ops) else "NO",
        "api_ok": "yes"
        if all(o["checks"]["api_ok"] == o["checks"]["api_requests"] for o in ops_run)
        else "NO",
        "floor_ok": "yes" if all(not o["checks"]["floor_failures"] for o in ops_run) else "NO",
        "sanity": "yes" if not any(verdicts[o.key]["floor_sanity"] for o in ops) else "NO",
        "problems": problems,
        "all_passed": all_ok,
    }
    result["setup_seconds"] = round(setup_seconds, 2)
    result["total_seconds"] = round(time.perf_counter() - started, 2)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2, default=str) + b"\n")
    if not result["operations"]:
        print(f"\nnothing was timed; details in {RESULTS_FILE.relative_to(REPO_ROOT)}")
        return 1
    print()
    print(report(result))
    if not all_ok:
        print("\nFAILED checks:", *problems, sep="\n  ")
        for o in ops_run:
            for failure in o["checks"]["api_failures"] + o["checks"]["floor_failures"]:
                print(f"  {o['label']}: {failure}")
    return 0 if all_ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.performance_cycle", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--employees", type=int, default=5000, help="employees per region")
    parser.add_argument("--regions", type=int, default=1, help="number of regions")
    parser.add_argument("--units", type=int, default=40, help="org units per region")
    parser.add_argument("--team", type=int, default=300, help="the supervisor's direct reports")
    parser.add_argument("--year", type=int, default=None, help="the period's year (default: this)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--requests", type=int, default=300, help="measured requests per phase (at most)"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=20.0,
        help="no new request of a phase (warm-up included) starts after this many seconds",
    )
    parser.add_argument("--warmup", type=int, default=8, help="warm-up requests per phase")
    parser.add_argument(
        "--explain-samples", type=int, default=3, help="EXPLAIN ANALYZE runs per statement"
    )
    parser.add_argument(
        "--upkeep",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time what the read models' upkeep adds to writes of 1 to 5,000 plans",
    )
    parser.add_argument(
        "--freshness-samples",
        type=int,
        default=40,
        help="writes whose visibility in myTeam is timed after the phases (0: none)",
    )
    parser.add_argument(
        "--time-anyway",
        action="store_true",
        help="time the operations even when the API's answer differs from the floor's"
        " (the exit status stays 1)",
    )
    args = parser.parse_args(argv)
    for name in ("employees", "regions", "units", "concurrency", "requests", "explain_samples"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0 or args.max_seconds <= 0:
        parser.error("--warmup must be >= 0 and --max-seconds > 0")
    if args.team < 8 or args.team > args.employees // 2:
        parser.error("--team must be between 8 and half of --employees")
    return args


def run(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_until_terminated(main, args)


if __name__ == "__main__":
    sys.exit(run())
