"""The training officer's `trainingAssignments(first: 100)` under wrk, with the response cache
on and off, against the floor (bench/training.py's hand-written query, asyncpg, app role,
same concurrency), in one run.

    python -m bench.officer_list [--reuse] [--connections 8 --duration 15 --rounds 2]

Data: one region of `--employees` (bench/generate.py) with its training catalogue
(bench/generate_training.py) and `--assignments` assignments in the officer's unit, in the
database `kinerja_bench_officer` (dropped and created again unless --reuse finds it).
Results in bench/results/officer_list.json; see bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date

import asyncpg
import httpx
import orjson

from bench.common import (
    DEFAULT_DATABASE_URL,
    RESULTS_DIR,
    dev_settings,
    fresh_database,
    run_until_terminated,
)
from bench.generate import generate
from bench.generate_training import TrainingRegion, fill_unit_assignments, generate_training
from bench.peer import Platform, wrk
from bench.performance_cycle import FloorClient, Login, login_token, run_load
from bench.training import LIST_FLOOR_SQL, LIST_QUERY
from kinerja_saas.database import app_connection_params, build_pg_url, parse_pg_url

BENCH_DB = "kinerja_bench_officer"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
RESULTS_FILE = RESULTS_DIR / "officer_list.json"
TARGET_RPS = 200


async def prepare(args: argparse.Namespace, server_url: str, redis_url: str):
    params = parse_pg_url(server_url)
    owner_url = build_pg_url({**params, "database": args.database})
    conn = await asyncpg.connect(**{**params, "database": "postgres"})
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", args.database)
    finally:
        await conn.close()
    if args.reuse and exists:
        settings = dev_settings(owner_url, redis_url)
        conn = await asyncpg.connect(**parse_pg_url(owner_url))
        try:
            row = await conn.fetchrow(
                "SELECT a.tenant_id, a.id, a.email, a.employee_id FROM user_accounts a"
                " WHERE 'TRAINING_OFFICER' = ANY(a.roles) ORDER BY a.id LIMIT 1"
            )
            unit_id = await conn.fetchval(
                "SELECT min(id) FROM training_units WHERE tenant_id = $1", row["tenant_id"]
            )
        finally:
            await conn.close()
        region = TrainingRegion(row["tenant_id"], 0, [unit_id], row["id"], row["email"], row[3])
        print(f"reusing database {args.database}", flush=True)
        return owner_url, settings, region
    print(f"creating database {args.database} …", flush=True)
    owner_url, settings = await fresh_database(server_url, args.database, redis_url)
    ids = await generate(owner_url, regions=1, employees_per_region=args.employees)
    today = date.today()
    (region,) = await generate_training(owner_url, ids, year=today.year, today=today)
    await fill_unit_assignments(
        owner_url, region, training_unit_id=region.training_unit_ids[0], total=args.assignments
    )
    return owner_url, settings, region


async def main(args: argparse.Namespace) -> int:
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    owner_url, settings, region = await prepare(args, server_url, redis_url)
    login = Login(
        region.officer_account_id,
        region.officer_email,
        region.officer_employee_id,
        ("TRAINING_OFFICER", "EMPLOYEE"),
    )
    token = login_token(settings, region.tenant_id, login)
    body = orjson.dumps({"query": LIST_QUERY, "operationName": "Officer"})
    servers = {
        "API, response cache on": Platform(
            owner_url, redis_url, RESULTS_DIR / "officer_list.cache.log", args.workers, {}
        ),
        "API, response cache off": Platform(
            owner_url,
            redis_url,
            RESULTS_DIR / "officer_list.nocache.log",
            args.workers,
            {"KINERJA_RESPONSE_CACHE_ENTRIES": "0"},
        ),
    }
    if args.baseline:
        # Another checkout's code (e.g. main) in the same run: its own `kinerja serve` with
        # PYTHONPATH pointing at it, as many processes as ours.
        workers = args.workers or len(os.sched_getaffinity(0))
        servers[f"baseline {args.baseline}, cache off"] = Platform(
            owner_url,
            redis_url,
            RESULTS_DIR / "officer_list.baseline.log",
            workers,
            # Cache off: what the baseline's code does per request (main has the cache too).
            {"PYTHONPATH": args.baseline, "KINERJA_RESPONSE_CACHE_ENTRIES": "0"},
        )
    runs: dict[str, dict[str, list[float]]] = {}
    errors = 0
    try:
        for server in servers.values():
            await server.start()
        async with httpx.AsyncClient(timeout=30) as client:
            for server in servers.values():
                r = await client.post(
                    server.base_url + "/graphql",
                    content=body,
                    headers={
                        "authorization": f"Bearer {token}",
                        "content-type": "application/json",
                    },
                )
                edges = r.json()["data"]["trainingAssignments"]["edges"]
                if r.status_code != 200 or len(edges) != 100:
                    raise RuntimeError(f"the API failed: {r.status_code} {r.text[:300]}")
        async with FloorClient(
            app_connection_params(settings), region.tenant_id, args.connections
        ) as floor:
            floor_call = floor.caller(
                LIST_FLOOR_SQL, [region.tenant_id, region.training_unit_ids[0]]
            )
            for round_no in range(args.rounds):
                for name, server in servers.items():
                    print(f"  {name}, round {round_no + 1} …", flush=True)
                    f = wrk(
                        server.base_url + "/graphql",
                        body,
                        token,
                        connections=args.connections,
                        seconds=args.duration,
                    )
                    errors += f["errors"]
                    entry = runs.setdefault(name, {"rps": [], "p50_ms": [], "p99_ms": []})
                    for k in ("rps", "p50_ms", "p99_ms"):
                        entry[k].append(f[k])
                print(f"  floor, round {round_no + 1} …", flush=True)
                run = await run_load(
                    "floor",
                    floor_call,
                    requests=10**9,
                    concurrency=args.connections,
                    max_seconds=args.duration,
                )
                entry = runs.setdefault(
                    "floor: 1 SQL query, asyncpg", {"rps": [], "p50_ms": [], "p99_ms": []}
                )
                entry["rps"].append(run.rps)
                entry["p50_ms"].append(run.percentile_ms(50))
                entry["p99_ms"].append(run.percentile_ms(99))
    finally:
        for server in servers.values():
            await server.stop()
    floor_rps = statistics.mean(runs["floor: 1 SQL query, asyncpg"]["rps"])
    lines = [
        "Kinerja bench: the officer's trainingAssignments(first: 100) — API (wrk) vs floor",
        "=" * 96,
        f"{args.employees} employees, {args.assignments} assignments in the officer's unit;"
        f" {args.connections} connections, {args.duration} s × {args.rounds} rounds, alternating;"
        f" {os.cpu_count()} shared cores; API processes: {args.workers or 'default (cores)'}",
        "",
        f"{'':<40}{'req/s (rounds)':>20}{'p50 ms':>16}{'p99 ms':>18}{'vs floor':>10}",
    ]
    for name, r in runs.items():
        lines.append(
            f"{name:<40}{' / '.join(f'{v:.0f}' for v in r['rps']):>20}"
            f"{' / '.join(f'{v:.1f}' for v in r['p50_ms']):>16}"
            f"{' / '.join(f'{v:.1f}' for v in r['p99_ms']):>18}"
            f"{statistics.mean(r['rps']) / floor_rps:>9.2f}×"
        )
    cached = statistics.mean(runs["API, response cache on"]["rps"])
    lines.append("")
    lines.append(
        f"target ≥ {TARGET_RPS} req/s: cache on {cached:.0f} ({'PASS' if cached >= TARGET_RPS else 'FAIL'});"
        f" cache off {statistics.mean(runs['API, response cache off']['rps']):.0f};"
        f" non-2xx / socket errors: {errors}"
    )
    report = "\n".join(lines)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_bytes(
        orjson.dumps(
            {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "config": vars(args), "runs": runs},
            option=orjson.OPT_INDENT_2,
        )
    )
    print()
    print(report)
    return 0 if errors == 0 else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.officer_list")
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--assignments", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--database", default=BENCH_DB)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--baseline", default=None, help="path of another checkout to run as a fourth server"
    )
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> int:
    return run_until_terminated(main, parse_args(argv))


if __name__ == "__main__":
    sys.exit(run())
