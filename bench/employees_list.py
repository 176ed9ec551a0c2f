"""Benchmark: the region admin's employee list (`employees(first: 100)`) over GraphQL, against
the floor of the same page fetched by one hand-written SQL query, and the cost of RLS.

    .venv/bin/python -m bench.employees_list [--employees 5000 --regions 2 --concurrency 16 --requests 800]

Steps: (re)create the database `kinerja_bench` on the server of DATABASE_URL, migrate it,
generate the data (bench/generate.py), start `kinerja serve` as a separate process with
KINERJA_DEBUG_HEADERS=true, load it with N concurrent HTTP clients, then run the floor query
with asyncpg at the same concurrency, as the app role (RLS) and as the owner (no RLS). Prints
a table and writes bench/results/employees_list.json. See bench/README.md for the figures.
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
from kinerja_saas.database import app_connection_params, parse_pg_url
from kinerja_saas.settings import Settings

BENCH_DB = "kinerja_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
RESULTS_FILE = RESULTS_DIR / "employees_list.json"
SERVER_LOG = RESULTS_DIR / "employees_list.server.log"

PAGE_SIZE = 100
GRAPHQL_QUERY = (
    "query Bench { employees(first: 100) { edges { node { id nip name position"
    " unit { id name } supervisor { id name } } } } }"
)

# The same page as GRAPHQL_QUERY: the admin's default order is (name, id).
FLOOR_SQL = """
SELECT e.id, e.nip, e.name, e.position,
       u.id AS unit_id, u.name AS unit_name,
       s.id AS supervisor_id, s.name AS supervisor_name
FROM employees e
JOIN org_units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id
LEFT JOIN employees s ON s.tenant_id = e.tenant_id AND s.id = e.supervisor_id
WHERE e.tenant_id = $1
ORDER BY e.name, e.id
LIMIT 100
"""
SET_TENANT_SQL = "SELECT set_config('app.tenant_id', $1, true)"


# --- measurement -------------------------------------------------------------------------


@dataclass
class Run:
    """One load phase: `requests` calls by `concurrency` concurrent clients."""

    name: str
    requests: int
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds used

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
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.rps, 1),
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
    check: Callable[[Any], None] | None = None,
    server_pid: int | None = None,
) -> Run:
    """Runs `call` `requests` times from `concurrency` tasks. Only the call is timed; `check`
    (validation of the result) runs after the clock stops, in the same task."""
    run = Run(name, requests, concurrency)
    remaining = requests

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            result = await call()
            run.latencies.append(time.perf_counter() - started)
            if check is not None:
                check(result)

    own_cpu = own_cpu_seconds()
    server_cpu = proc_cpu_seconds(server_pid) if server_pid else None
    started = time.perf_counter()
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
class Region:
    tenant_id: int
    account_id: int
    email: str
    employee_id: int
    employees: int


async def first_region(owner_url: str, tenant_id: int) -> Region:
    conn = await asyncpg.connect(**parse_pg_url(owner_url))
    try:
        account = await region_admin(conn, tenant_id)
        employees = await conn.fetchval(
            "SELECT count(*) FROM employees WHERE tenant_id = $1", tenant_id
        )
    finally:
        await conn.close()
    return Region(tenant_id, account["id"], account["email"], account["employee_id"], employees)


def admin_token(settings: Settings, region: Region) -> str:
    return access_token(
        settings,
        tenant_id=region.tenant_id,
        account_id=region.account_id,
        email=region.email,
        employee_id=region.employee_id,
    )


# --- the phases --------------------------------------------------------------------------


@dataclass
class ApiChecks:
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    statements: Counter = field(default_factory=Counter)


def _api_page(body: bytes) -> list[tuple]:
    """The comparable content of one API response: one tuple per node."""
    data = orjson.loads(body)
    return [
        (
            int(n["id"]),
            n["nip"],
            n["name"],
            n["position"],
            int(n["unit"]["id"]),
            n["unit"]["name"],
            int(n["supervisor"]["id"]) if n["supervisor"] else None,
            n["supervisor"]["name"] if n["supervisor"] else None,
        )
        for n in (e["node"] for e in data["data"]["employees"]["edges"])
    ]


def _check_api(checks: ApiChecks) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        header = response.headers.get("x-sql-statements")
        checks.statements[header if header is not None else "missing"] += 1
        problem = None
        if response.status_code != 200:
            problem = f"HTTP {response.status_code}: {response.text[:300]}"
        else:
            data = orjson.loads(response.content)
            edges = ((data.get("data") or {}).get("employees") or {}).get("edges")
            if data.get("errors"):
                problem = f"errors: {orjson.dumps(data['errors'])[:300].decode()}"
            elif edges is None or len(edges) != PAGE_SIZE:
                problem = f"{0 if edges is None else len(edges)} edges instead of {PAGE_SIZE}"
        if problem is None:
            checks.ok += 1
        else:
            checks.failures.append(problem)

    return check


async def api_phase(
    server: ApiServer, token: str, *, requests: int, warmup: int, concurrency: int
) -> tuple[Run, ApiChecks, list[tuple]]:
    body = orjson.dumps({"query": GRAPHQL_QUERY, "operationName": "Bench"})
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60.0) as client:

        async def call() -> httpx.Response:
            return await client.post("/graphql", content=body, headers=headers)

        first = await call()
        warm_checks = ApiChecks()
        _check_api(warm_checks)(first)
        if warm_checks.failures:
            raise RuntimeError(f"the first API request failed: {warm_checks.failures[0]}")
        sample = _api_page(first.content)
        await run_load(
            "warm-up", call, requests=warmup, concurrency=concurrency, check=_check_api(ApiChecks())
        )
        checks = ApiChecks()
        assert server.proc is not None
        run = await run_load(
            "API",
            call,
            requests=requests,
            concurrency=concurrency,
            check=_check_api(checks),
            server_pid=server.proc.pid,
        )
    return run, checks, sample


def _floor_page(rows: list[asyncpg.Record]) -> list[tuple]:
    return [
        (
            r["id"],
            r["nip"],
            r["name"],
            r["position"],
            r["unit_id"],
            r["unit_name"],
            r["supervisor_id"],
            r["supervisor_name"],
        )
        for r in rows
    ]


class FloorClient:
    """A pool of `concurrency` connections running FLOOR_SQL in a tenant transaction."""

    def __init__(self, params: dict[str, Any], tenant_id: int, concurrency: int) -> None:
        self.params = params
        self.tenant_id = tenant_id
        self.concurrency = concurrency
        self.pool: asyncpg.Pool | None = None

    async def __aenter__(self) -> FloorClient:
        self.pool = await asyncpg.create_pool(
            **self.params, min_size=self.concurrency, max_size=self.concurrency
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def call(self) -> list[asyncpg.Record]:
        assert self.pool is not None
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(SET_TENANT_SQL, str(self.tenant_id))
            return await conn.fetch(FLOOR_SQL, self.tenant_id)

    async def server_execution_ms(self, samples: int) -> float:
        """Median of EXPLAIN ANALYZE's execution time: PostgreSQL's own cost of the query,
        without network, protocol or client time."""
        assert self.pool is not None
        times = []
        async with self.pool.acquire() as conn:
            for _ in range(samples):
                async with conn.transaction():
                    await conn.execute(SET_TENANT_SQL, str(self.tenant_id))
                    plan = await conn.fetchval(
                        "EXPLAIN (ANALYZE, FORMAT JSON) " + FLOOR_SQL, self.tenant_id
                    )
                times.append(orjson.loads(plan)[0]["Execution Time"])
        return statistics.median(times)


async def floor_phases(
    app_params: dict[str, Any],
    owner_params: dict[str, Any],
    tenant_id: int,
    *,
    requests: int,
    warmup: int,
    concurrency: int,
    rounds: int = 4,
) -> dict[str, Any]:
    """App role (RLS) and owner (no RLS), alternating in `rounds` rounds so that drift of the
    machine hits both alike; each run's requests are split evenly over the rounds."""
    failures: list[str] = []

    def check(rows: list[asyncpg.Record]) -> None:
        if len(rows) != PAGE_SIZE:
            failures.append(f"{len(rows)} rows instead of {PAGE_SIZE}")

    async with (
        FloorClient(app_params, tenant_id, concurrency) as app,
        FloorClient(owner_params, tenant_id, concurrency) as owner,
    ):
        app_rows = _floor_page(await app.call())
        owner_rows = _floor_page(await owner.call())
        for client in (app, owner):
            await run_load("warm-up", client.call, requests=warmup, concurrency=concurrency)
        per_round = max(1, requests // rounds)
        runs: dict[str, Run] = {
            "app": Run("floor, app role + RLS", 0, concurrency),
            "owner": Run("floor, owner, no RLS", 0, concurrency),
        }
        for _ in range(rounds):
            for key, client in (("app", app), ("owner", owner)):
                part = await run_load(
                    key, client.call, requests=per_round, concurrency=concurrency, check=check
                )
                total = runs[key]
                total.requests += part.requests
                total.seconds += part.seconds
                total.latencies += part.latencies
                for k, v in part.cpu.items():
                    total.cpu[k] = total.cpu.get(k, 0.0) + v
        explain = {
            "app": await app.server_execution_ms(50),
            "owner": await owner.server_execution_ms(50),
        }
    return {
        "runs": runs,
        "app_rows": app_rows,
        "owner_rows": owner_rows,
        "failures": failures,
        "execution_ms": explain,
    }


# --- report ------------------------------------------------------------------------------


def _row(label: str, run: Run, statements: str) -> str:
    return (
        f"{label:<38}{run.rps:>9.1f}{run.percentile_ms(50):>9.2f}{run.percentile_ms(99):>9.2f}"
        f"{run.requests:>9}{run.concurrency:>6}  {statements}"
    )


def _statements_text(counts: dict[str, int]) -> str:
    if len(counts) == 1:
        ((value, n),) = counts.items()
        return f"{value} (x-sql-statements, on all {n})"
    return "x-sql-statements: " + ", ".join(f"{k} on {v}" for k, v in counts.items())


def report(result: dict[str, Any], api: Run, app: Run, owner: Run) -> str:
    cfg = result["config"]
    checks = result["checks"]
    ratios = result["ratios"]
    cpu = result["api"]["cpu_ms_per_request"]
    server_busy = result["api"].get("api_server_core_utilisation")
    rls_cost = 1 - ratios["rls_rate"]
    lines = [
        "Kinerja bench: employees list — GraphQL API vs one hand-written SQL query",
        "=" * 96,
        f"data       {cfg['regions']} region(s) × {cfg['employees_per_region']} employees,"
        f" {cfg['units_per_region']} units per region; page = first {PAGE_SIZE} of region"
        f" {cfg['tenant_id']} by (name, id)",
        f"machine    {cfg['cpu_cores']} CPU cores SHARED by the API server (1 uvicorn process),"
        " PostgreSQL and this load generator",
        f"software   PostgreSQL {cfg['postgres']}, Python {cfg['python']},"
        f" load generator: httpx / asyncpg on {cfg['event_loop']}",
        f"load       {cfg['concurrency']} concurrent clients; {cfg['warmup']} warm-up requests"
        " per phase, not measured",
        "",
        f"{'':<38}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>9}{'conc':>6}  SQL statements",
        "-" * 96,
        _row(
            "API  POST /graphql employees(first:100)",
            api,
            _statements_text(result["api_sql_statements_per_request"]),
        ),
        _row("floor: 1 SQL query, app role + RLS", app, "1 query + set_config, BEGIN/COMMIT"),
        _row("owner: same query, superuser, no RLS", owner, "1 query + set_config, BEGIN/COMMIT"),
        "-" * 96,
        f"API : floor req/s            1 : {ratios['floor_per_api']:.1f}"
        f"   (the API reaches {ratios['api_per_floor'] * 100:.1f}% of the floor's rate;"
        f" floor/API slowdown factor {ratios['floor_per_api']:.1f}×)",
        f"API : floor p50 latency      {ratios['api_p50_per_floor_p50']:.1f} : 1",
        f"RLS, end to end              app role req/s / owner req/s = {ratios['rls_rate']:.3f}"
        f"  (RLS costs {rls_cost * 100:.1f}% of the owner's rate)",
        f"RLS, inside PostgreSQL       execution owner {result['execution_ms']['owner']:.3f} ms,"
        f" app role {result['execution_ms']['app']:.3f} ms, ratio {ratios['rls_execution']:.2f}"
        " (EXPLAIN ANALYZE, median of 50)",
        "API CPU per request          "
        + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu.items())
        + " (PostgreSQL not included)"
        + (
            f"; the server process kept {server_busy * 100:.0f}% of one core busy"
            if server_busy is not None
            else ""
        ),
        "",
        f"checks     API: {checks['api_ok']}/{checks['api_requests']} responses with"
        f" {PAGE_SIZE} edges and no errors; floor: {checks['floor_ok']}/"
        f"{checks['floor_requests']} results with {PAGE_SIZE} rows;",
        f"           API page == floor rows: {'yes' if checks['api_equals_floor'] else 'NO'};"
        f" app-role rows == owner rows: {'yes' if checks['app_equals_owner'] else 'NO'}",
        f"total      {result['total_seconds']:.1f} s (set-up {result['setup_seconds']:.1f} s);"
        f" figures also in {RESULTS_FILE.relative_to(REPO_ROOT)}",
        "Note: the load generator, the API server and PostgreSQL compete for the same cores, so",
        "absolute rates are lower than on separate machines; compare the ratios.",
    ]
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    print(f"creating database {BENCH_DB} on {parse_pg_url(server_url)['host']} …", flush=True)
    owner_url, settings = await fresh_database(server_url, BENCH_DB, redis_url)
    print(
        f"generating {args.regions} region(s) × {args.employees} employees …",
        flush=True,
    )
    tenant_ids = await generate(
        owner_url,
        regions=args.regions,
        employees_per_region=args.employees,
        units_per_region=args.units,
    )
    region = await first_region(owner_url, tenant_ids[0])
    if region.employees < PAGE_SIZE:
        raise SystemExit(f"--employees must be at least {PAGE_SIZE} (one full page)")
    token = admin_token(settings, region)
    owner_params = parse_pg_url(owner_url)
    app_params = app_connection_params(settings)
    conn = await asyncpg.connect(**owner_params)
    try:
        pg_version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()

    server = ApiServer(owner_url, redis_url, SERVER_LOG)
    try:
        print(f"starting `kinerja serve` on {server.base_url} …", flush=True)
        await server.start()
        setup_seconds = time.perf_counter() - started
        print(
            f"API: {args.warmup} warm-up + {args.requests} requests at concurrency"
            f" {args.concurrency} …",
            flush=True,
        )
        api, api_checks, api_sample = await api_phase(
            server,
            token,
            requests=args.requests,
            warmup=args.warmup,
            concurrency=args.concurrency,
        )
    finally:
        await server.stop()

    print(
        f"floor: {args.floor_requests} requests each as the app role and the owner …",
        flush=True,
    )
    floor = await floor_phases(
        app_params,
        owner_params,
        region.tenant_id,
        requests=args.floor_requests,
        warmup=args.warmup,
        concurrency=args.concurrency,
    )
    app, owner = floor["runs"]["app"], floor["runs"]["owner"]

    result: dict[str, Any] = {
        "benchmark": "employees_list",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": {
            "regions": args.regions,
            "employees_per_region": args.employees,
            "units_per_region": args.units,
            "tenant_id": region.tenant_id,
            "concurrency": args.concurrency,
            "api_requests": args.requests,
            "floor_requests": args.floor_requests,
            "warmup": args.warmup,
            "cpu_cores": os.cpu_count(),
            "postgres": pg_version,
            "python": platform.python_version(),
            "event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
            "graphql_query": GRAPHQL_QUERY,
            "floor_sql": " ".join(FLOOR_SQL.split()),
            "shared_cores_note": "the API server, PostgreSQL and the load generator share the"
            " machine's cores",
        },
        "api": {
            **api.as_dict(),
            "api_server_core_utilisation": round(api.cpu["api server"] / api.seconds, 3)
            if "api server" in api.cpu
            else None,
        },
        "floor_app_role_rls": app.as_dict(),
        "owner_no_rls": owner.as_dict(),
        "api_sql_statements_per_request": dict(api_checks.statements.most_common()),
        "execution_ms": {k: round(v, 4) for k, v in floor["execution_ms"].items()},
        "ratios": {
            "api_per_floor": api.rps / app.rps,
            "floor_per_api": app.rps / api.rps,
            "api_p50_per_floor_p50": api.percentile_ms(50) / app.percentile_ms(50),
            "rls_rate": app.rps / owner.rps,
            "rls_execution": floor["execution_ms"]["app"] / floor["execution_ms"]["owner"],
        },
        "checks": {
            "api_requests": api.requests,
            "api_ok": api_checks.ok,
            "api_failures": api_checks.failures[:10],
            "floor_requests": app.requests + owner.requests,
            "floor_ok": app.requests + owner.requests - len(floor["failures"]),
            "floor_failures": floor["failures"][:10],
            "api_equals_floor": api_sample == floor["app_rows"],
            "app_equals_owner": floor["app_rows"] == floor["owner_rows"],
        },
        "setup_seconds": round(setup_seconds, 2),
        "total_seconds": round(time.perf_counter() - started, 2),
    }
    result["ratios"] = {k: round(v, 4) for k, v in result["ratios"].items()}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print()
    print(report(result, api, app, owner))
    checks = result["checks"]
    ok = (
        checks["api_ok"] == checks["api_requests"]
        and checks["floor_ok"] == checks["floor_requests"]
        and checks["api_equals_floor"]
        and checks["app_equals_owner"]
        and set(api_checks.statements) != {"missing"}
    )
    if not ok:
        print("\nFAILED checks:", *checks["api_failures"], *checks["floor_failures"], sep="\n  ")
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.employees_list", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--employees", type=int, default=5000, help="employees per region")
    parser.add_argument("--regions", type=int, default=2, help="number of regions")
    parser.add_argument("--units", type=int, default=40, help="org units per region")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=800, help="measured API requests")
    parser.add_argument(
        "--floor-requests",
        type=int,
        default=8000,
        help="measured floor requests per role (app role and owner each)",
    )
    parser.add_argument("--warmup", type=int, default=50, help="warm-up requests per phase")
    args = parser.parse_args(argv)
    for name in ("employees", "regions", "units", "concurrency", "requests", "floor_requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def run(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_until_terminated(main, args)


if __name__ == "__main__":
    sys.exit(run())
