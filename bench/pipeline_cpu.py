"""CPU per request of the whole HTTP pipeline, in-process (httpx.ASGITransport, the real
app with its middlewares, PostgreSQL and Redis), for three uncached reads: a compiled
one-row query, the employee page and the training officer's `trainingAssignments(first:
100)`. Contenders are checkouts run alternately, each round in a fresh child process with
PYTHONPATH pointing at the checkout, so old and new code are measured in the same run.

    python -m bench.pipeline_cpu --database kinerja_bench_fastlane_officer \
        --checkout main=/work/main --checkout branch=. --rounds 4 --requests 400

Data: a database prepared by bench.officer_list (one region, its employees, a training unit
with assignments). The response cache is off (entries=0): every request computes. The log
line goes through the JSON formatter into /dev/null. CPU is time.process_time() of the
child over the measured requests (client included), after a warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging.config
import os
import statistics
import subprocess
import sys
import time

SHAPES = {
    "one-row": (
        "query One($id: ID!) { employee(id: $id) { id name unit { id name } } }",
        "One",
        "admin",
    ),
    "employee page": (
        "query Page { employees(first: 100) { edges { node { id nip name position"
        " unit { id name } supervisor { id name } } } } }",
        "Page",
        "admin",
    ),
    "officer list": (None, "Officer", "officer"),
}


async def child(args: argparse.Namespace) -> None:
    import asyncpg
    import httpx
    import orjson

    from bench.common import access_token, dev_settings
    from bench.training import LIST_QUERY
    from kinerja_saas.database import build_pg_url, parse_pg_url
    from kinerja_saas.logs import configure_logging
    from kinerja_saas.runtime.app import create_app

    params = parse_pg_url(args.server_url)
    owner_url = build_pg_url({**params, "database": args.database})
    settings = dev_settings(owner_url, args.redis_url).model_copy(
        update={
            "response_cache_entries": 0,
            "log_format": "json",  # as in production
            "compiled_reads": True,
            # The limits still run (their Redis script), high enough not to refuse.
            "plan_limits": {
                plan: {"region_requests_per_minute": 10**8, "user_requests_per_minute": 10**8}
                for plan in ("SMALL", "STANDARD", "LARGE")
            },
        }
    )
    configure_logging(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's own lines
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: ASYNC230
    conn = await asyncpg.connect(**{**params, "database": args.database})
    try:
        officer = await conn.fetchrow(
            "SELECT tenant_id, id, email, employee_id FROM user_accounts"
            " WHERE 'TRAINING_OFFICER' = ANY(roles) ORDER BY id LIMIT 1"
        )
        admin = await conn.fetchrow(
            "SELECT id, email, employee_id FROM user_accounts WHERE tenant_id = $1"
            " AND 'REGION_ADMIN' = ANY(roles) ORDER BY id LIMIT 1",
            officer["tenant_id"],
        )
        one = await conn.fetchval(
            "SELECT min(id) FROM employees WHERE tenant_id = $1", officer["tenant_id"]
        )
    finally:
        await conn.close()
    tenant = officer["tenant_id"]
    tokens = {
        "admin": access_token(
            settings,
            tenant_id=tenant,
            account_id=admin["id"],
            email=admin["email"],
            employee_id=admin["employee_id"],
        ),
        "officer": access_token(
            settings,
            tenant_id=tenant,
            account_id=officer["id"],
            email=officer["email"],
            employee_id=officer["employee_id"],
            roles=("TRAINING_OFFICER", "EMPLOYEE"),
        ),
    }
    query, name, who = SHAPES[args.shape]
    body = orjson.dumps(
        {"query": query or LIST_QUERY, "operationName": name, "variables": {"id": str(one)}}
    )
    headers = {"authorization": f"Bearer {tokens[who]}", "content-type": "application/json"}
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def once() -> None:
                r = await client.post("/graphql", content=body, headers=headers)
                if r.status_code != 200 or b'"errors"' in r.content:
                    raise SystemExit(f"failed: {r.status_code} {r.text[:300]}")

            for _ in range(args.warmup):
                await once()
            if args.profile:
                import cProfile
                import pstats

                profile = cProfile.Profile(time.process_time)
                profile.enable()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                await once()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if args.profile:
                profile.disable()
                profile.dump_stats(f"/tmp/pipeline_cpu.{args.shape.replace(' ', '_')}.prof")
                pstats.Stats(profile, stream=sys.stderr).sort_stats(args.profile).print_stats(60)
    print(
        json.dumps({"cpu_ms": cpu * 1000 / args.requests, "wall_ms": wall * 1000 / args.requests})
    )


def driver(args: argparse.Namespace) -> None:
    checkouts = dict(c.split("=", 1) for c in args.checkout)
    results: dict[str, dict[str, list[float]]] = {}
    loads = []
    for round_no in range(args.rounds):
        order = list(checkouts.items())
        if round_no % 2:
            order.reverse()
        for shape in args.shapes:
            for label, path in order:
                env = {**os.environ, "PYTHONPATH": os.path.abspath(path)}
                out = subprocess.run(
                    [
                        sys.executable,
                        os.path.abspath(__file__),
                        "--child",
                        "--shape",
                        shape,
                        "--database",
                        args.database,
                        "--requests",
                        str(args.requests),
                        "--warmup",
                        str(args.warmup),
                        "--server-url",
                        args.server_url,
                        "--redis-url",
                        args.redis_url,
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if out.returncode:
                    raise SystemExit(out.stderr[-2000:] + out.stdout[-500:])
                cpu = json.loads(out.stdout.strip().splitlines()[-1])["cpu_ms"]
                results.setdefault(shape, {}).setdefault(label, []).append(cpu)
                print(
                    f"round {round_no + 1} {shape:<14} {label:<8} {cpu:6.2f} ms CPU/request",
                    flush=True,
                )
        loads.append(os.getloadavg()[0])
    print(
        f"\nCPU ms per request (client included), {args.requests} requests × {args.rounds}"
        f" rounds; load average at round ends: {' / '.join(f'{x:.1f}' for x in loads)}"
    )
    for shape, by in results.items():
        cells = "; ".join(
            f"{label}: {' / '.join(f'{v:.2f}' for v in values)} (median {statistics.median(values):.2f})"
            for label, values in by.items()
        )
        print(f"  {shape}: {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline_cpu")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--shape", choices=list(SHAPES), default="one-row")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES))
    parser.add_argument("--database", default="kinerja_bench_fastlane_officer")
    parser.add_argument(
        "--server-url",
        default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    parser.add_argument("--checkout", action="append", default=[])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--profile", default=None, help="child only: cProfile sort key")
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args))
    else:
        driver(args)


if __name__ == "__main__":
    main()
