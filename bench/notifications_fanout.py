"""Benchmark: one event to every login of a big region, end to end, against the floor.

A generated region of N employees (default 100,000), each with a login. One
`performance.period_opened` event is committed to the outbox; a real `kinerja worker`
process (relay + fan-out job, as deployed) turns it into N in-app notifications. Measured:
the time from the commit until all N rows are stored, notifications/s, and the worker's peak
RSS. The floor, in the same run on the same table: the same N rows written by one
hand-written `INSERT … SELECT` as the app role (RLS on). Rounds alternate floor and API on
an emptied table; the ratio of the medians is reported against the target (3×).

    .venv/bin/python -m bench.notifications_fanout            # or: make bench-notify
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from typing import Any

import asyncpg
import orjson

from bench.common import (
    DEFAULT_DATABASE_URL,
    REPO_ROOT,
    RESULTS_DIR,
    WorkerProcess,
    app_connection,
    empty_redis,
    fresh_database,
    proc_status_mib,
)
from bench.generate import generate
from kinerja_saas.outbox.service import insert_events_sql
from kinerja_saas.performance.events import PERIOD_OPENED

BENCH_DB = "kinerja_bench_notify"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
TARGET_FACTOR = 3.0
RESULTS_FILE = RESULTS_DIR / "notifications_fanout.json"
WORKER_LOG = RESULTS_DIR / "notifications_fanout.worker.log"

# Every employee but the first (the generator's region admin) gets an EMPLOYEE login.
INSERT_LOGINS = """
INSERT INTO user_accounts (tenant_id, email, name, password_hash, roles, employee_id,
                           is_active, token_version, created_at)
SELECT e.tenant_id, 'login' || e.id || '@bench.go.id', e.name, 'x', ARRAY['EMPLOYEE']::text[],
       e.id, true, 1, now()
FROM employees e
WHERE e.tenant_id = $1
  AND NOT EXISTS (SELECT 1 FROM user_accounts u WHERE u.tenant_id = $1 AND u.employee_id = e.id)
"""
SET_TENANT = "SELECT set_config('app.tenant_id', $1, true)"
# The floor: the same rows the fan-out stores for PERIOD_OPENED (its texts for the year
# 2031), in one statement, with no preferences, chunks, queue or relay.
FLOOR_SQL = """
INSERT INTO notifications (tenant_id, user_id, event_id, kind, title, body, link, created_at)
SELECT $1, u.id, $2, 'PERIOD_OPENED', 'Periode kinerja 2031 dibuka',
       'Periode kinerja 2031 telah dibuka. Susun rencana SKP Anda bersama atasan.', '/skp', now()
FROM user_accounts u WHERE u.tenant_id = $1 AND u.is_active
"""
EMIT_SQL = insert_events_sql(PERIOD_OPENED, payload_sql="$1::jsonb", returning="id")


async def floor_round(app: asyncpg.Connection, tenant_id: int, event_id: int) -> float:
    started = time.perf_counter()
    async with app.transaction():
        await app.execute(SET_TENANT, str(tenant_id))
        await app.execute(FLOOR_SQL, tenant_id, event_id)
    return time.perf_counter() - started


async def api_round(
    app: asyncpg.Connection,
    owner: asyncpg.Connection,
    worker: WorkerProcess,
    tenant_id: int,
    expected: int,
    give_up_after: float,
) -> tuple[float, int]:
    """Commits the event, then polls until the worker stored all `expected` rows."""
    started = time.perf_counter()
    async with app.transaction():
        await app.execute(SET_TENANT, str(tenant_id))
        event_id = await app.fetchval(EMIT_SQL, orjson.dumps({"year": 2031}).decode())
    while True:
        stored = await owner.fetchval(
            "SELECT count(*) FROM notifications WHERE event_id = $1", event_id
        )
        elapsed = time.perf_counter() - started
        if stored >= expected:
            return elapsed, event_id
        if worker.proc is None or worker.proc.returncode is not None:
            raise RuntimeError(f"the worker exited:\n{worker.log_tail()}")
        if elapsed > give_up_after:
            raise RuntimeError(
                f"only {stored} of {expected} notifications after {give_up_after:.0f} s:\n"
                f"{worker.log_tail()}"
            )
        await asyncio.sleep(0.02)


async def empty_tables(owner: asyncpg.Connection) -> None:
    await owner.execute("TRUNCATE notifications, notification_deliveries")
    await owner.execute("VACUUM ANALYZE notifications")


def report(result: dict[str, Any]) -> str:
    floor, api = result["floor_seconds"], result["api_seconds"]
    n = result["recipients"]
    f_med, a_med = statistics.median(floor), statistics.median(api)
    ratio = a_med / f_med
    verdict = "PASS" if ratio <= TARGET_FACTOR else "FAIL"
    lines = [
        "Kinerja bench: notification fan-out — one event to every login of a region, end to end",
        "=" * 96,
        f"data       1 region, {result['employees']:,} employees, {n:,} active logins;"
        f" fan-out batch {result['batch']:,} recipients per statement",
        f"machine    {os.cpu_count()} CPU cores SHARED by the worker, PostgreSQL and this script;"
        f" {platform.python_implementation()} {platform.python_version()}",
        f"software   {result['server_version']}",
        "",
        f"{'round':<8}{'floor s':>10}{'API s':>10}{'API notif/s':>14}{'API/floor':>11}",
    ]
    for k, (f, a) in enumerate(zip(floor, api, strict=True), 1):
        lines.append(f"{k:<8}{f:>10.2f}{a:>10.2f}{n / a:>14,.0f}{a / f:>10.2f}×")
    lines += [
        f"{'median':<8}{f_med:>10.2f}{a_med:>10.2f}{n / a_med:>14,.0f}{ratio:>10.2f}×",
        "",
        "floor = one INSERT … SELECT of the same rows as the app role (RLS), in this run;",
        "API   = commit of the outbox event → relay → fan_out_notifications job (chunks,"
        " preferences,",
        "        e-mail queueing, live publish) → all rows stored, polled every 20 ms.",
        f"worker     peak RSS {result['worker_peak_rss_mib']:.0f} MiB (VmHWM of the"
        " `kinerja worker` process)",
        f"target     end to end within {TARGET_FACTOR:.0f}× the floor: {verdict} ({ratio:.2f}×)",
        f"checks     every login notified exactly once: {'yes' if result['exact'] else 'NO'}",
        f"total      {result['total_seconds']:.1f} s (set-up {result['setup_seconds']:.1f} s);"
        f" figures also in {RESULTS_FILE.relative_to(REPO_ROOT)}",
    ]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL_BENCH") or DEFAULT_REDIS_URL
    print(f"creating database {BENCH_DB} …", flush=True)
    owner_url, settings = await fresh_database(server_url, BENCH_DB, redis_url)
    print(f"generating a region of {args.employees:,} employees with logins …", flush=True)
    (tenant_id,) = await generate(owner_url, regions=1, employees_per_region=args.employees)
    owner = await asyncpg.connect(owner_url)
    app = await app_connection(settings)
    await empty_redis(redis_url)
    worker = WorkerProcess(owner_url, redis_url, WORKER_LOG)
    try:
        await owner.execute(INSERT_LOGINS, tenant_id)
        await owner.execute("ANALYZE user_accounts, employees")
        recipients = await owner.fetchval(
            "SELECT count(*) FROM user_accounts WHERE tenant_id = $1 AND is_active", tenant_id
        )
        await worker.start()
        await asyncio.sleep(3)  # the worker connects and its relay starts polling
        setup = time.perf_counter() - started
        floor_s, api_s, exact = [], [], True
        for k in range(args.rounds):
            await empty_tables(owner)
            floor_s.append(await floor_round(app, tenant_id, -1 - k))
            print(f"round {k + 1}: floor {floor_s[-1]:.2f} s", flush=True)
            await empty_tables(owner)
            seconds, event_id = await api_round(
                app, owner, worker, tenant_id, recipients, args.timeout
            )
            api_s.append(seconds)
            print(f"round {k + 1}: API {seconds:.2f} s", flush=True)
            await asyncio.sleep(1)  # let the job finish its bookkeeping before the count
            dupes = await owner.fetchval(
                "SELECT count(*) - count(DISTINCT user_id) FROM notifications WHERE event_id = $1",
                event_id,
            )
            exact = exact and dupes == 0
        rss = proc_status_mib(worker.pid, "VmHWM") if worker.pid else None
        result = {
            "employees": args.employees,
            "recipients": recipients,
            "batch": settings.notification_batch_size,
            "floor_seconds": floor_s,
            "api_seconds": api_s,
            "worker_peak_rss_mib": rss or 0.0,
            "exact": exact,
            "server_version": "PostgreSQL " + (await owner.fetchval("SHOW server_version")),
            "setup_seconds": setup,
            "total_seconds": time.perf_counter() - started,
        }
    finally:
        await worker.stop()
        await app.close()
        await owner.close()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print()
    print(report(result))
    return 0 if result["exact"] else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per API round")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
