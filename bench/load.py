"""Load run: a mixed workload of several regions against a real API server and worker, with
locust as a second-process load generator; errors, lost writes and the noisy-neighbour figure.

    .venv/bin/python -m bench.load            # 5 minutes (make bench-load)
    .venv/bin/python -m bench.load --quick    # 1 minute on less data, to check it works

Two phases on the same servers and data:

1. **alone**: the small regions' people only (a third of the duration);
2. **rush**: the same small regions' people beside two big regions' year-end rush at once
   (many more people with hardly any think time; `--big-regions`), for the rest of the
   duration.

Reported: requests/s, p50/p99 per operation, errors (anything but a clean answer; the
RATE_LIMITED/BUSY refusals of fair sharing are counted apart), lost writes (the rows each
write left in PostgreSQL against its accepted responses, after the worker drained the
outbox) and the noisy-neighbour figure: the small regions' p99 in the rush over their p99
alone (target 1.5×). Results go to bench/results/load.json and the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

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
    region_admin,
    run_until_terminated,
)
from bench.generate import generate
from bench.generate_cycle import generate_cycle
from bench.surveys import generate_surveys

BENCH_DB = "kinerja_bench_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"  # flushed at the start of every run
RESULTS_FILE = RESULTS_DIR / "load.json"
LOCUSTFILE = Path(__file__).with_name("load_locust.py")
PASSWORD = "Beban#2026"
NOISY_TARGET = 1.5
# Write operation → how its rows are counted afterwards (audit entries per action, or rows).
WRITES = ("recordRealisation", "savePlan", "addDialogNote", "submitSurveyResponse")


@dataclass
class Sizes:
    big_regions: int
    big_employees: int
    small_regions: int
    small_employees: int
    people: int  # logins that take part, per region


def sizes(args: argparse.Namespace) -> Sizes:
    if args.quick:
        return Sizes(args.big_regions, 1500, 3, 300, 40)
    return Sizes(
        args.big_regions, args.big_employees, args.small_regions, args.small_employees, args.people
    )


# --- data ------------------------------------------------------------------------------------

CREATE_LOGINS = """
INSERT INTO user_accounts (tenant_id, email, name, password_hash, roles, employee_id,
                           is_active, token_version, created_at)
SELECT e.tenant_id, 'asn' || e.id || '@' || t.slug || '.go.id', e.name, $3,
       ARRAY['EMPLOYEE']::text[], e.id, true, 1, now()
FROM employees e JOIN tenants t ON t.id = e.tenant_id
WHERE e.tenant_id = $1::bigint AND e.supervisor_id = $2::bigint
  AND NOT EXISTS (SELECT 1 FROM user_accounts u WHERE u.tenant_id = e.tenant_id AND u.employee_id = e.id)
ORDER BY e.id
LIMIT $4
RETURNING id, email, employee_id
"""


async def build_data(owner_url: str, settings: Any, size: Sizes) -> list[dict[str, Any]]:
    """The regions (the big ones, the small ones) with a year of the cycle, open surveys, next
    year's period in PLANNING for plan drafts, and `people` employee logins per region
    (all reporting to the supervisor whose team the dashboards show)."""
    from kinerja_saas.auth.passwords import hash_password

    year = date.today().year
    big = await generate(
        owner_url, regions=size.big_regions, employees_per_region=size.big_employees
    )
    small = await generate(
        owner_url, regions=size.small_regions, employees_per_region=size.small_employees
    )
    team_big = min(300, size.big_employees - 20)
    team_small = min(100, size.small_employees - 20)
    cycles = await generate_cycle(owner_url, big, year=year, team=team_big)
    cycles += await generate_cycle(owner_url, small, year=year, team=team_small)
    # Every simulated citizen submits from 127.0.0.1: the region's per-address limit at its
    # highest valid value (a stored 1,000,000 is out of the setting's range, 1-10,000, and
    # reads as the default 30 an hour: the run's survey submissions were refused).
    surveys = await generate_surveys(
        owner_url, big + small, services=5, campaigns=1, per_ip_hour=10_000
    )
    password_hash = hash_password(PASSWORD)
    conn = await asyncpg.connect(owner_url)
    regions = []
    try:
        await conn.execute("UPDATE tenants SET plan = 'LARGE' WHERE id = ANY($1::bigint[])", big)
        await conn.execute("UPDATE tenants SET plan = 'SMALL' WHERE id = ANY($1::bigint[])", small)
        for n, (cycle, survey) in enumerate(zip(cycles, surveys, strict=True)):
            tenant = cycle.tenant_id
            next_period = await conn.fetchval(
                "INSERT INTO periods (tenant_id, year, name, status, checkpoint_kind, starts_on,"
                " ends_on, created_at, updated_at) VALUES ($1, $2::int, 'Periode ' || $2::int,"
                " 'PLANNING', 'MONTHLY', make_date($2::int, 1, 1), make_date($2::int, 12, 31),"
                " now(), now()) RETURNING id",
                tenant,
                year + 1,
            )
            logins = await conn.fetch(
                CREATE_LOGINS, tenant, cycle.supervisor_id, password_hash, size.people
            )
            indicators = await conn.fetch(
                "SELECT p.employee_id, p.id AS plan_id, array_agg(i.id ORDER BY i.id) AS ids"
                " FROM plans p JOIN indicators i ON i.tenant_id = p.tenant_id AND i.plan_id = p.id"
                " WHERE p.tenant_id = $1 AND p.period_id = $2 GROUP BY p.employee_id, p.id",
                tenant,
                cycle.period_id,
            )
            by_employee = {r["employee_id"]: r for r in indicators}
            # Checkpoints started, without evaluations at them (the generator finalises 3, 6, 9).
            checkpoints = await conn.fetch(
                "SELECT c.id FROM checkpoints c WHERE c.tenant_id = $1 AND c.period_id = $2"
                " AND c.starts_on <= current_date AND NOT EXISTS (SELECT 1 FROM evaluations v"
                " WHERE v.tenant_id = c.tenant_id AND v.checkpoint_id = c.id) ORDER BY c.number",
                tenant,
                cycle.period_id,
            )
            admin = await region_admin(conn, tenant)
            group = "big" if tenant in big else "small"
            regions.append(
                {
                    "group": group,
                    "label": f"big{n}" if group == "big" else f"small{n}",
                    "tenant_id": tenant,
                    "period": str(cycle.period_id),
                    "next_period": str(next_period),
                    "checkpoints": [str(c["id"]) for c in checkpoints],
                    "codes": [code for _, code in survey.codes],
                    "supervisor_token": _token(
                        settings,
                        tenant,
                        cycle.supervisor_account_id,
                        cycle.supervisor_email,
                        cycle.supervisor_id,
                        ("SUPERVISOR", "EMPLOYEE"),
                    ),
                    "admin_token": _token(
                        settings,
                        tenant,
                        admin["id"],
                        admin["email"],
                        admin["employee_id"],
                        ("REGION_ADMIN", "EMPLOYEE"),
                    ),
                    "employees": [
                        {
                            "email": login["email"],
                            "token": _token(
                                settings,
                                tenant,
                                login["id"],
                                login["email"],
                                login["employee_id"],
                                ("EMPLOYEE",),
                            ),
                            "plan_id": str(by_employee[login["employee_id"]]["plan_id"]),
                            "indicators": [
                                str(i) for i in by_employee[login["employee_id"]]["ids"]
                            ],
                        }
                        for login in logins
                    ],
                }
            )
        await conn.execute("ANALYZE user_accounts, periods")
    finally:
        await conn.close()
    return regions


def _token(settings, tenant_id, account_id, email, employee_id, roles) -> str:
    return access_token(
        settings,
        tenant_id=tenant_id,
        account_id=account_id,
        email=email,
        employee_id=employee_id,
        roles=roles,
        ttl=6 * 3600,  # the load run outlasts the default hour
    )


COUNTS = """
SELECT t.id AS tenant_id,
  (SELECT count(*) FROM audit_log a WHERE a.tenant_id = t.id AND a.action = 'realisation.enter') AS "recordRealisation",
  (SELECT count(*) FROM audit_log a WHERE a.tenant_id = t.id AND a.action IN ('plan.create', 'plan.update')) AS "savePlan",
  (SELECT count(*) FROM dialog_notes d WHERE d.tenant_id = t.id) AS "addDialogNote",
  (SELECT count(*) FROM survey_responses s WHERE s.tenant_id = t.id) AS "submitSurveyResponse",
  (SELECT count(*) FROM notifications n WHERE n.tenant_id = t.id AND n.kind = 'DIALOG_NOTE') AS notes_notified
FROM tenants t WHERE t.id = ANY($1::bigint[])
"""


async def counts(owner_url: str, tenant_ids: list[int]) -> dict[int, dict[str, int]]:
    conn = await asyncpg.connect(owner_url)
    try:
        rows = await conn.fetch(COUNTS, tenant_ids)
    finally:
        await conn.close()
    return {r["tenant_id"]: {k: r[k] for k in r.keys() if k != "tenant_id"} for r in rows}


async def drained(owner_url: str, redis_url: str, limit: float) -> float:
    """Waits until the outbox is relayed and the queue is empty; returns the seconds waited."""
    from redis.asyncio import Redis

    started = time.monotonic()
    redis = Redis.from_url(redis_url)
    conn = await asyncpg.connect(owner_url)
    try:
        while time.monotonic() - started < limit:
            backlog = await conn.fetchval(
                "SELECT count(*) FROM outbox_events WHERE relayed_at IS NULL"
            )
            queued = await redis.zcard("arq:queue")
            if backlog == 0 and queued == 0:
                break
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
        await redis.aclose()
    return time.monotonic() - started


# --- running locust ----------------------------------------------------------------------


async def run_locust(
    host: str,
    plan_path: Path,
    phase: str,
    classes: list[str],
    users: int,
    seconds: int,
    locust: Path | None = None,
    nice: int = 0,
) -> list[list]:
    out = RESULTS_DIR / f"load.{phase}.samples.json"
    out.unlink(missing_ok=True)
    locust = locust or Path(sys.executable).with_name("locust")
    env = {**os.environ, "KINERJA_LOAD_PLAN": str(plan_path), "KINERJA_LOAD_OUT": str(out)}
    log = (RESULTS_DIR / f"load.{phase}.locust.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        str(locust), "-f", str(LOCUSTFILE), "--headless", "--host", host,
        "-u", str(users), "-r", str(max(users, 1)), "--run-time", f"{seconds}s",
        "--stop-timeout", "10", "--only-summary", "--loglevel", "WARNING", *classes,
        env=env, stdout=log, stderr=asyncio.subprocess.STDOUT, cwd=str(REPO_ROOT),
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )  # fmt: skip
    try:
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
        log.close()
    return json.loads(out.read_text())


def summarise(samples: list[list], seconds: float) -> dict[str, Any]:
    by_op: dict[str, list[float]] = {}
    outcomes: dict[str, int] = {}
    for _group, _region, op, ms, outcome in samples:
        by_op.setdefault(op, []).append(ms)
        if outcome != "ok":
            outcomes[f"{op}: {outcome}"] = outcomes.get(f"{op}: {outcome}", 0) + 1
    ops = {
        op: {
            "requests": len(ms),
            "per_second": len(ms) / seconds,
            "p50_ms": statistics.median(ms),
            "p99_ms": percentile(ms, 99),
        }
        for op, ms in sorted(by_op.items())
    }
    refused = sum(n for k, n in outcomes.items() if k.endswith(("RATE_LIMITED", "BUSY")))
    return {
        "requests": len(samples),
        "per_second": len(samples) / seconds,
        "operations": ops,
        "errors": sum(outcomes.values()) - refused,
        "refused": refused,
        "outcomes": outcomes,
    }


def group_latency(samples: list[list], group: str, without: str = "") -> dict[str, float]:
    ms = [s[3] for s in samples if s[0] == group and s[4] == "ok" and s[2] != without]
    if not ms:
        return {"requests": 0, "p50_ms": 0.0, "p99_ms": 0.0}
    return {"requests": len(ms), "p50_ms": statistics.median(ms), "p99_ms": percentile(ms, 99)}


def region_latency(samples: list[list]) -> dict[str, dict[str, float]]:
    """Requests/s are left to the caller; per region label: answered requests, p50, p99."""
    by_region: dict[str, list[float]] = {}
    for _group, region, _op, ms, outcome in samples:
        if outcome == "ok":
            by_region.setdefault(region, []).append(ms)
    return {
        region: {"requests": len(ms), "p50_ms": statistics.median(ms), "p99_ms": percentile(ms, 99)}
        for region, ms in sorted(by_region.items())
    }


def accepted_writes(samples: list[list]) -> dict[str, dict[str, int]]:
    accepted: dict[str, dict[str, int]] = {}
    for _group, region, op, _ms, outcome in samples:
        if op in WRITES and outcome == "ok":
            accepted.setdefault(region, {}).setdefault(op, 0)
            accepted[region][op] += 1
    return accepted


# --- main ------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    size = sizes(args)
    duration = 60 if args.quick else args.duration
    alone_seconds = max(10, duration // 3)
    rush_seconds = max(10, duration - alone_seconds)
    load_before = load_average()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL_BENCH") or DEFAULT_REDIS_URL
    print(f"load average {load_before}; creating {args.database} …", flush=True)
    owner_url, settings = await fresh_database(server_url, args.database, redis_url)
    await empty_redis(redis_url)
    started = time.perf_counter()
    regions = await build_data(owner_url, settings, size)
    print(f"data in {time.perf_counter() - started:.1f} s: {len(regions)} regions", flush=True)
    small_users = args.small_users * size.small_regions
    big_users = args.big_users * size.big_regions
    plan = {
        "regions": regions,
        "password": PASSWORD,
        "users": {"small": small_users, "big": big_users},
        "wait": {"small": [0.5, 1.5], "big": [0.0, 0.05]},
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    plan_path = RESULTS_DIR / "load.plan.json"
    plan_path.write_text(json.dumps(plan))
    tenant_ids = [r["tenant_id"] for r in regions]
    before = await counts(owner_url, tenant_ids)

    server = ApiServer(owner_url, redis_url, RESULTS_DIR / "load.server.log")
    # Logins are few compared with the people they stand for: no per-login limit here; the
    # regions keep their plans' limits (the big one LARGE, at --big-region-limit a minute).
    server.env_overrides["KINERJA_PLAN_LIMITS"] = json.dumps(
        {
            "SMALL": {"user_requests_per_minute": 1_000_000},
            "LARGE": {
                "user_requests_per_minute": 1_000_000,
                "region_requests_per_minute": args.big_region_limit,
            },
        }
    )
    # Every simulated citizen submits from 127.0.0.1: neither the per-code ceiling nor the
    # per-(code, client) limit (30 a minute: one kiosk) may stand in for fair sharing here.
    server.env_overrides["KINERJA_SURVEY_RATE_LIMIT_PER_CODE_PER_MINUTE"] = "1000000"
    server.env_overrides["KINERJA_SURVEY_RATE_LIMIT_PER_CODE_CLIENT_PER_MINUTE"] = "1000000"
    if args.api_max_running is not None:
        server.env_overrides["KINERJA_API_MAX_RUNNING_OPERATIONS"] = str(args.api_max_running)
    if args.region_db_share is not None:
        server.env_overrides["KINERJA_REGION_DB_SHARE"] = str(args.region_db_share)
    server.env_overrides["KINERJA_LOG_LEVEL"] = "WARNING"
    server.env_overrides["KINERJA_DEBUG_HEADERS"] = "false"  # as in production: no SQL counts
    worker = WorkerProcess(owner_url, redis_url, RESULTS_DIR / "load.worker.log")
    worker.env_overrides["KINERJA_LOG_LEVEL"] = "WARNING"
    result: dict[str, Any] = {
        "sizes": size.__dict__,
        "duration": {"alone": alone_seconds, "rush": rush_seconds},
        "users": plan["users"],
        "big_region_limit_per_minute": args.big_region_limit,
        "region_db_share": args.region_db_share,
        "api_max_running": args.api_max_running,
        "locust_nice": args.locust_nice,
        "load_before": load_before,
    }
    try:
        await server.start()
        await worker.start()
        print(f"alone: {small_users} people of {size.small_regions} small regions,"
              f" {alone_seconds} s …", flush=True)  # fmt: skip
        alone = await run_locust(
            server.base_url, plan_path, "alone", ["SmallRegionUser"], small_users, alone_seconds,
            locust=args.locust and Path(args.locust), nice=args.locust_nice,
        )  # fmt: skip
        print(f"rush: the same beside {big_users} people of {size.big_regions} big regions,"
              f" {rush_seconds} s …", flush=True)  # fmt: skip
        rush = await run_locust(
            server.base_url,
            plan_path,
            "rush",
            ["SmallRegionUser", "BigRegionUser"],
            small_users + big_users,
            rush_seconds,
            locust=args.locust and Path(args.locust),
            nice=args.locust_nice,
        )
        result["drain_seconds"] = await drained(owner_url, redis_url, 120)
    finally:
        await worker.stop()
        await server.stop()
    result["load_after"] = load_average()

    result["alone"] = summarise(alone, alone_seconds)
    result["rush"] = summarise(rush, rush_seconds)
    result["small_alone"] = group_latency(alone, "small")
    result["small_rush"] = group_latency(rush, "small")
    result["big_rush"] = group_latency(rush, "big")
    result["per_region_rush"] = region_latency(rush)
    result["small_rush_without_logins"] = group_latency(rush, "small", without="login")
    result["small_alone_without_logins"] = group_latency(alone, "small", without="login")
    alone_p99 = result["small_alone"]["p99_ms"]
    result["noisy_neighbour"] = result["small_rush"]["p99_ms"] / alone_p99 if alone_p99 else None

    after = await counts(owner_url, tenant_ids)
    accepted = accepted_writes(alone + rush)
    lost: dict[str, dict[str, int]] = {}
    for region in regions:
        label, tenant = region["label"], region["tenant_id"]
        for op in WRITES:
            stored = after[tenant][op] - before[tenant][op]
            wanted = accepted.get(label, {}).get(op, 0)
            if stored != wanted:
                lost.setdefault(label, {})[op] = wanted - stored
        notes = after[tenant]["addDialogNote"]
        if after[tenant]["notes_notified"] != notes:  # every note notifies the supervisor
            lost.setdefault(label, {})["dialog note notifications"] = (
                notes - after[tenant]["notes_notified"]
            )
    result["accepted_writes"] = accepted
    result["lost_writes"] = lost
    RESULTS_FILE.write_text(json.dumps(result, indent=2, default=str))
    print()
    print(report(result))
    ok = result["alone"]["errors"] == 0 and result["rush"]["errors"] == 0 and not lost
    return 0 if ok else 1


def report(r: dict[str, Any]) -> str:
    lines = [
        f"load average before {r['load_before']}, after {r['load_after']}"
        " (the machine is shared: other work inflates latencies)",
        f"people: {r['users']['small']} in {r['sizes']['small_regions']} small regions"
        f" (think 0.5–1.5 s), {r['users']['big']} in {r['sizes']['big_regions']} big regions"
        f" (think 0–50 ms); locust at nice {r.get('locust_nice', 0)}; each big region capped at {r['big_region_limit_per_minute']:,} requests/min (LARGE plan);"
        f" region share of the pool {r['region_db_share'] or 'default'},"
        f" operations running at once {r['api_max_running'] or 'default'}",
    ]
    for phase in ("alone", "rush"):
        s = r[phase]
        lines.append("")
        lines.append(
            f"{phase} ({r['duration'][phase]} s): {s['requests']:,} requests, {s['per_second']:.1f}/s,"
            f" errors {s['errors']}, refused by fair sharing {s['refused']}"
        )
        lines.append(f"  {'operation':<26}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}")
        for op, o in s["operations"].items():
            lines.append(
                f"  {op:<26}{o['requests']:>9}{o['per_second']:>8.1f}{o['p50_ms']:>9.0f}{o['p99_ms']:>9.0f}"
            )
        for outcome, n in sorted(s["outcomes"].items()):
            lines.append(f"  not ok: {outcome} × {n}")
    figure = r["noisy_neighbour"]
    lines += [
        "",
        f"small regions alone: p50 {r['small_alone']['p50_ms']:.0f} ms, p99 {r['small_alone']['p99_ms']:.0f} ms"
        f" ({r['small_alone']['requests']} requests)",
        f"small regions in the rush: p50 {r['small_rush']['p50_ms']:.0f} ms,"
        f" p99 {r['small_rush']['p99_ms']:.0f} ms ({r['small_rush']['requests']} requests)",
        f"small regions without logins: p99 {r['small_alone_without_logins']['p99_ms']:.0f} →"
        f" {r['small_rush_without_logins']['p99_ms']:.0f} ms",
        f"big regions in the rush: p50 {r['big_rush']['p50_ms']:.0f} ms, p99 {r['big_rush']['p99_ms']:.0f} ms"
        f" ({r['big_rush']['requests']} requests)",
        "per region in the rush: "
        + ", ".join(
            f"{k} {v['requests']} req p50 {v['p50_ms']:.0f} p99 {v['p99_ms']:.0f} ms"
            for k, v in r["per_region_rush"].items()
        ),
        f"noisy neighbour (small p99 rush / alone): {figure:.2f}× — target {NOISY_TARGET}×:"
        f" {'PASS' if figure is not None and figure <= NOISY_TARGET else 'FAIL'}"
        if figure
        else "noisy neighbour: no samples",
        f"lost writes: {r['lost_writes'] or 0} (accepted writes counted against rows, after the"
        f" worker drained the outbox in {r['drain_seconds']:.1f} s)",
        f"full results: {RESULTS_FILE.relative_to(REPO_ROOT)}",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--duration", type=int, default=300, help="seconds of load in all (alone: a third)")
    add("--quick", action="store_true", help="60 s on less data, to check that it works")
    add("--big-regions", type=int, default=2, help="big regions rushing at once (issue 19: two)")
    add("--big-employees", type=int, default=5000, help="employees per big region")
    add("--small-regions", type=int, default=3)
    add("--small-employees", type=int, default=500)
    add("--people", type=int, default=100, help="employee logins taking part per region")
    add("--small-users", type=int, default=3, help="simulated people per small region")
    add(
        "--big-users",
        type=int,
        default=15,
        help="simulated people per big region's rush (2 × 15: the 30 of one region before)",
    )
    add(
        "--big-region-limit",
        type=int,
        default=3000,
        help="the big region's requests per minute (its LARGE plan's limit in this run)",
    )
    add(
        "--region-db-share",
        type=float,
        default=None,
        help="KINERJA_REGION_DB_SHARE of the API server (default: the setting's default)",
    )
    add(
        "--api-max-running",
        type=int,
        default=None,
        help="KINERJA_API_MAX_RUNNING_OPERATIONS of the API server (default: the setting's)",
    )
    add(
        "--locust-nice",
        type=int,
        default=0,
        help="run locust at this niceness (it shares the cores with the servers it measures)",
    )
    add("--database", default=BENCH_DB, help="bench database (dropped and created again)")
    add(
        "--locust",
        default=None,
        help="the locust executable (default: the one beside this interpreter)",
    )
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> int:
    return run_until_terminated(main, parse_args(argv))


if __name__ == "__main__":
    sys.exit(run())
