"""The platform against its peer, PostGraphile 4.x, on the same data, alternating in one run.

Three query shapes of the hot lists, each asked of `kinerja serve` and of PostGraphile 4.14
(installed from the npm registry into bench/.peer/ on first use, not committed) connected to
the same bench database as the same non-owner app role with the region preset
(`app.tenant_id` set in every transaction, the GUC of the platform's tenant_isolation
policies), so row-level security applies to both. wrk drives both with the same connections
and duration, alternating server by server in `--rounds` rounds so that drift of the shared
machine hits all alike; req/s and both tails are reported, with the ratios.

The platform is measured twice: as deployed (the response cache on: wrk repeats one document,
so after the first request of each second it is served from the cache) and with the response
cache off (every request parsed, executed and read from PostgreSQL, as a stream of different
documents would be). Run: `python -m bench.peer` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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
    free_port,
    fresh_database,
    run_until_terminated,
)
from bench.employees_list import Region, admin_token, first_region
from bench.generate import generate
from bench.generate_cycle import generate_cycle
from kinerja_saas.database import app_connection_params, build_pg_url, parse_pg_url

BENCH_DB = "kinerja_bench_peer"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
PEER_DIR = REPO_ROOT / "bench" / ".peer"
PEER_SERVER = REPO_ROOT / "bench" / "peer" / "server.js"
POSTGRAPHILE = "postgraphile@4.14.1"
RESULTS_FILE = RESULTS_DIR / "peer.json"

# The peer has no "employees of a unit and every unit below it" filter of its own; a
# PostGraphile user writes a computed column for it, as here (run as the invoker: RLS applies).
# PostGraphile 4 takes computed columns from the table's own schema: this function exists
# only in the bench database.
PEER_SQL = """
CREATE OR REPLACE FUNCTION public.org_units_subtree_employees(u org_units)
RETURNS SETOF employees LANGUAGE sql STABLE AS $$
  SELECT e.* FROM employees e
  JOIN org_units s ON s.tenant_id = e.tenant_id AND s.id = e.unit_id
  WHERE s.tenant_id = u.tenant_id AND s.path LIKE u.path || '%'
  ORDER BY e.name, e.id  -- the platform's order (PostGraphile offers none on computed columns)
$$;
GRANT EXECUTE ON FUNCTION public.org_units_subtree_employees(org_units) TO {role};
"""


@dataclass
class Shape:
    name: str
    platform_query: str
    peer_query: str
    variables: dict[str, Any]
    peer_variables: dict[str, Any]
    check: Any  # (platform data, peer data) -> problem or None


@dataclass
class Result:
    server: str
    shape: str
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "shape": self.shape,
            "rps": [round(v, 1) for v in self.rps],
            "p50_ms": [round(v, 2) for v in self.p50_ms],
            "p99_ms": [round(v, 2) for v in self.p99_ms],
            "non_2xx_or_socket_errors": self.errors,
        }


EMPLOYEE_PAGE = (
    "query EmployeePage { employees(first: 100) { edges { node { id nip name position"
    " unit { id name } supervisor { id name } } } } }"
)
PEER_EMPLOYEE_PAGE = (
    "query EmployeePage { allEmployees(first: 100, orderBy: [NAME_ASC, ID_ASC]) { edges { node"
    " { id nip name position orgUnitByTenantIdAndUnitId { id name }"
    " employeeByTenantIdAndSupervisorId { id name } } } } }"
)
UNIT_SUBTREE = (
    "query UnitSubtree($id: ID!) { unit(id: $id) { id name children { id name"
    " children { id name } } } employees(first: 100, filter: {unitId: $id}) { edges { node"
    " { id nip name position unit { id name } } } } }"
)
PEER_UNIT_SUBTREE = (
    "query UnitSubtree($id: BigInt!) { orgUnitById(id: $id) { id name"
    " orgUnitsByTenantIdAndParentId(orderBy: [NAME_ASC]) { nodes { id name"
    " orgUnitsByTenantIdAndParentId(orderBy: [NAME_ASC]) { nodes { id name } } } }"
    " subtreeEmployees(first: 100) { edges { node"
    " { id nip name position orgUnitByTenantIdAndUnitId { id name } } } } } }"
)
EMPLOYEE_PLAN = (
    "query EmployeePlan($employee: ID!, $plan: ID!) { employee(id: $employee) { id nip name"
    " position unit { id name } } plan(id: $plan) { id status results { id kind text"
    " indicators { id text aspect target unit weight } } } }"
)
PEER_EMPLOYEE_PLAN = (
    "query EmployeePlan($employee: BigInt!) { employeeById(id: $employee) { id nip name position"
    " orgUnitByTenantIdAndUnitId { id name } plansByTenantIdAndEmployeeId { nodes { id status"
    " planResultsByTenantIdAndPlanId(orderBy: [POSITION_ASC, ID_ASC]) { nodes { id kind text"
    " indicatorsByTenantIdAndResultId(orderBy: [POSITION_ASC, ID_ASC]) { nodes { id text aspect"
    " target unitLabel weight } } } } } } } }"
)


def _check_page(ours: dict, theirs: dict) -> str | None:
    a = [e["node"]["id"] for e in ours["employees"]["edges"]]
    b = [str(e["node"]["id"]) for e in theirs["allEmployees"]["edges"]]
    if len(a) != 100 or a != b:
        return f"employee pages differ ({len(a)} vs {len(b)} rows)"
    return None


def _check_subtree(ours: dict, theirs: dict) -> str | None:
    a = [e["node"]["id"] for e in ours["employees"]["edges"]]
    b = [str(e["node"]["id"]) for e in theirs["orgUnitById"]["subtreeEmployees"]["edges"]]
    if not a or a != b:
        return f"subtree employees differ ({len(a)} vs {len(b)} rows)"
    if len(ours["unit"]["children"]) != len(
        theirs["orgUnitById"]["orgUnitsByTenantIdAndParentId"]["nodes"]
    ):
        return "children differ"
    return None


def _check_plan(ours: dict, theirs: dict) -> str | None:
    a = [i["id"] for r in ours["plan"]["results"] for i in r["indicators"]]
    plans = theirs["employeeById"]["plansByTenantIdAndEmployeeId"]["nodes"]
    b = [
        str(i["id"])
        for p in plans
        for r in p["planResultsByTenantIdAndPlanId"]["nodes"]
        for i in r["indicatorsByTenantIdAndResultId"]["nodes"]
    ]
    if not a or sorted(a) != sorted(b):
        return f"plan indicators differ ({len(a)} vs {len(b)})"
    return None


async def shapes(owner_url: str, region: Region) -> list[Shape]:
    conn = await asyncpg.connect(**parse_pg_url(owner_url))
    try:
        unit_id = await conn.fetchval(
            "SELECT id FROM org_units WHERE tenant_id = $1 AND depth = 0 ORDER BY id LIMIT 1",
            region.tenant_id,
        )
        employee_id, plan_id = await conn.fetchrow(
            "SELECT employee_id, id FROM plans WHERE tenant_id = $1 ORDER BY id LIMIT 1 OFFSET 40",
            region.tenant_id,
        )
    finally:
        await conn.close()
    return [
        Shape("employee page of 100", EMPLOYEE_PAGE, PEER_EMPLOYEE_PAGE, {}, {}, _check_page),
        Shape(
            "unit subtree + its employees",
            UNIT_SUBTREE,
            PEER_UNIT_SUBTREE,
            {"id": str(unit_id)},
            {"id": str(unit_id)},
            _check_subtree,
        ),
        Shape(
            "employee + plan, results, indicators",
            EMPLOYEE_PLAN,
            PEER_EMPLOYEE_PLAN,
            {"employee": str(employee_id), "plan": str(plan_id)},
            {"employee": str(employee_id)},
            _check_plan,
        ),
    ]


# --- the servers -------------------------------------------------------------------------


def ensure_peer_installed() -> None:
    """PostGraphile from the npm registry into bench/.peer/ (git-ignored), once."""
    if (PEER_DIR / "node_modules" / "postgraphile" / "package.json").exists():
        return
    if shutil.which("npm") is None:
        raise SystemExit("npm is needed to install the peer (PostGraphile)")
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    package = PEER_DIR / "package.json"
    if not package.exists():
        package.write_text('{"name": "kinerja-bench-peer", "private": true}\n')
    print(f"installing {POSTGRAPHILE} into {PEER_DIR.relative_to(REPO_ROOT)} …", flush=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(PEER_DIR), POSTGRAPHILE],
        check=True,
    )


class Platform(ApiServer):
    """`kinerja serve` with `--workers` (none: its default, one per core) and extra env."""

    def __init__(self, owner_url, redis_url, log_path, workers: int | None, env: dict) -> None:
        super().__init__(owner_url, redis_url, log_path)
        if workers is not None:
            self.args += ["--workers", str(workers)]
        # wrk sends every request with one login, far past a plan's 240 a minute: the limits
        # stay on (each request still counts them in Redis), raised as in bench/surveys.py.
        raised = {"region_requests_per_minute": 10**9, "user_requests_per_minute": 10**9}
        plans = ("SMALL", "STANDARD", "LARGE")
        self.env_overrides.update(
            KINERJA_PLAN_LIMITS=orjson.dumps({p: raised for p in plans}).decode(), **env
        )


class Peer:
    def __init__(self, app_url: str, tenant_id: int, workers: int, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PEER_")},
            "NODE_PATH": str(PEER_DIR / "node_modules"),
            "NODE_ENV": "production",
            "PEER_DATABASE_URL": app_url,
            "PEER_TENANT_ID": str(tenant_id),
            "PEER_PORT": str(self.port),
            "PEER_WORKERS": str(workers),
        }
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = self.log_path.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            "node",
            str(PEER_SERVER),
            env=self.env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5) as client:
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError("PostGraphile exited:\n" + self.log_path.read_text())
                with contextlib.suppress(httpx.TransportError):
                    r = await client.post("/graphql", json={"query": "{ __typename }"})
                    if r.status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError("PostGraphile did not start:\n" + self.log_path.read_text())
                await asyncio.sleep(0.2)

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 15)
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
                await proc.wait()


# --- wrk -----------------------------------------------------------------------------------

_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
{auth}
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, body: bytes, token: str | None, *, connections: int, seconds: int) -> dict:
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT.format(body=_lua_string(body.decode()), auth=auth))
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    percentiles = {
        int(p): _ms(v, u)
        for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": percentiles[50],
        "p99_ms": percentiles[99],
        "errors": errors,
    }


async def answer(client: httpx.AsyncClient, url: str, body: bytes, token: str | None) -> dict:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = await client.post(url, content=body, headers=headers)
    data = response.json()
    if response.status_code != 200 or data.get("errors"):
        raise RuntimeError(f"{url}: {response.status_code} {str(data)[:500]}")
    return data["data"]


# --- main ----------------------------------------------------------------------------------


async def prepare(args: argparse.Namespace, server_url: str, redis_url: str):
    params = parse_pg_url(server_url)
    owner_url = build_pg_url({**params, "database": args.database})
    conn = await asyncpg.connect(**{**params, "database": "postgres"})
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", args.database)
    finally:
        await conn.close()
    if args.reuse and exists:
        from bench.common import dev_settings

        settings = dev_settings(owner_url, redis_url)
        conn = await asyncpg.connect(**parse_pg_url(owner_url))
        try:
            tenant_id = await conn.fetchval("SELECT min(id) FROM tenants")
        finally:
            await conn.close()
        print(f"reusing database {args.database}", flush=True)
    else:
        print(f"creating database {args.database} …", flush=True)
        owner_url, settings = await fresh_database(server_url, args.database, redis_url)
        print(f"generating {args.regions} region(s) × {args.employees} employees …", flush=True)
        ids = await generate(
            owner_url,
            regions=args.regions,
            employees_per_region=args.employees,
            units_per_region=40,
        )
        await generate_cycle(owner_url, ids, year=time.gmtime().tm_year, team=300)
        tenant_id = ids[0]
    app = app_connection_params(settings)
    conn = await asyncpg.connect(**parse_pg_url(owner_url))
    try:
        await conn.execute(PEER_SQL.format(role=app["user"]))
    finally:
        await conn.close()
    return owner_url, settings, tenant_id, app


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if not args.no_peer:
        ensure_peer_installed()
    owner_url, settings, tenant_id, app = await prepare(args, server_url, redis_url)
    region = await first_region(owner_url, tenant_id)
    token = admin_token(settings, region)
    app_url = build_pg_url(app)
    workers = args.workers or len(os.sched_getaffinity(0))
    contenders: dict[str, Any] = {
        "platform": Platform(
            owner_url, redis_url, RESULTS_DIR / "peer.platform.log", args.workers, {}
        ),
        "platform, cache off": Platform(
            owner_url,
            redis_url,
            RESULTS_DIR / "peer.platform-nocache.log",
            args.workers,
            {"KINERJA_RESPONSE_CACHE_ENTRIES": "0"},
        ),
    }
    if args.baseline:
        # Another checkout's code (e.g. main) in the same run, cache on (or off with
        # --baseline-cache-off): its own `kinerja serve` with PYTHONPATH pointing at it, as
        # many processes as ours.
        off = {"KINERJA_RESPONSE_CACHE_ENTRIES": "0"} if args.baseline_cache_off else {}
        label = f"baseline {args.baseline}{', cache off' if off else ''}"
        contenders[label] = Platform(
            owner_url,
            redis_url,
            RESULTS_DIR / "peer.baseline.log",
            workers,
            {"PYTHONPATH": args.baseline, **off},
        )
    if not args.no_peer:
        contenders["PostGraphile 4"] = Peer(
            app_url, tenant_id, workers, RESULTS_DIR / "peer.postgraphile.log"
        )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[str, str], Result] = {}
    problems: list[str] = []
    try:
        for server in contenders.values():
            await server.start()
        print(f"servers up ({workers} processes each); checking answers …", flush=True)
        all_shapes = [
            s for s in await shapes(owner_url, region) if not args.only or args.only in s.name
        ]
        bodies = {}
        async with httpx.AsyncClient(timeout=30) as client:
            for shape in all_shapes:
                ours = orjson.dumps({"query": shape.platform_query, "variables": shape.variables})
                theirs = orjson.dumps(
                    {"query": shape.peer_query, "variables": shape.peer_variables}
                )
                bodies[shape.name] = (ours, theirs)
                ask = {
                    name: await answer(
                        client,
                        server.base_url + "/graphql",
                        theirs if name == "PostGraphile 4" else ours,
                        None if name == "PostGraphile 4" else token,
                    )
                    for name, server in contenders.items()
                }
                reference = ask.get("PostGraphile 4")
                for name, data in ask.items():
                    problem = (
                        (shape.check(data, reference) if reference is not None else None)
                        if name != "PostGraphile 4"
                        else None
                    )
                    if name != "platform" and name != "PostGraphile 4" and data != ask["platform"]:
                        problem = problem or f"{name} answers otherwise than the platform"
                    if problem:
                        problems.append(f"{shape.name}: {problem}")
        for shape in all_shapes:
            ours, theirs = bodies[shape.name]
            for round_no in range(args.rounds):
                for name, server in contenders.items():
                    peer = name.startswith("PostGraphile")
                    print(f"  {shape.name}: {name}, round {round_no + 1} …", flush=True)
                    figures = wrk(
                        server.base_url + "/graphql",
                        theirs if peer else ours,
                        None if peer else token,
                        connections=args.connections,
                        seconds=args.duration,
                    )
                    result = results.setdefault((name, shape.name), Result(name, shape.name))
                    result.rps.append(figures["rps"])
                    result.p50_ms.append(figures["p50_ms"])
                    result.p99_ms.append(figures["p99_ms"])
                    result.errors += figures["errors"]
    finally:
        for server in contenders.values():
            await server.stop()

    lines = [
        "Kinerja bench: the platform vs PostGraphile 4.14 (same database, same non-owner role,"
        " region preset: RLS applies to both)",
        "=" * 100,
        f"data     {args.regions} regions × {args.employees} employees (region {tenant_id} read);"
        f" wrk -t2 -c{args.connections} -d{args.duration}s, {args.rounds} rounds alternating",
        f"machine  {os.cpu_count()} cores SHARED by wrk, both servers and PostgreSQL;"
        f" {workers} processes per server",
        "",
        f"{'shape':<38}{'server':<22}{'req/s (rounds)':>22}{'p50 ms':>24}{'p99 ms':>26}",
        "-" * 132,
    ]
    summary: dict[str, Any] = {}
    for shape in all_shapes:
        peer = results.get(("PostGraphile 4", shape.name))
        for name in contenders:
            r = results[(name, shape.name)]
            lines.append(
                f"{shape.name:<38}{name:<22}"
                f"{' / '.join(f'{v:.0f}' for v in r.rps):>22}"
                f"{' / '.join(f'{v:.1f}' for v in r.p50_ms):>24}"
                f"{' / '.join(f'{v:.1f}' for v in r.p99_ms):>26}"
            )
        for name in contenders:
            if name == "PostGraphile 4":
                continue
            r = results[(name, shape.name)]
            tail = max(r.p99_ms) / statistics.median(r.p50_ms)
            summary[f"{shape.name} | {name}"] = {"own_p99_over_own_p50": round(tail, 2)}
            line = f"{'':<38}{name}: own p99 / own p50 = {tail:.1f}"
            if peer is not None:
                ratio = statistics.mean(r.rps) / statistics.mean(peer.rps)
                summary[f"{shape.name} | {name}"].update(
                    rps_ratio_vs_peer=round(ratio, 2),
                    p99_over_peer_p99=round(max(r.p99_ms) / max(peer.p99_ms), 2),
                )
                line += (
                    f"; : PostGraphile req/s = {ratio:.2f}×;"
                    f" p99 vs peer's p99 = {max(r.p99_ms) / max(peer.p99_ms):.2f}"
                )
            lines.append(line)
        lines.append("")
    errors = sum(r.errors for r in results.values())
    lines.append(
        f"checks   answers equal (platform vs peer, per shape): "
        f"{'yes' if not problems else 'NO: ' + '; '.join(problems)};"
        f" non-2xx / socket errors under load: {errors}"
    )
    lines.append(f"total    {time.perf_counter() - started:.0f} s")
    report = "\n".join(lines)
    RESULTS_FILE.write_bytes(
        orjson.dumps(
            {
                "benchmark": "peer",
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "config": {
                    **vars(args),
                    "workers": workers,
                    "cpu_cores": os.cpu_count(),
                    "python": platform.python_version(),
                    "peer": POSTGRAPHILE,
                },
                "results": [r.as_dict() for r in results.values()],
                "summary": summary,
                "problems": problems,
            },
            option=orjson.OPT_INDENT_2,
        )
    )
    print()
    print(report)
    return 0 if not problems and errors == 0 else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peer", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--employees", type=int, default=5000, help="employees per region")
    parser.add_argument("--regions", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=None, help="processes per server (default: the cores)"
    )
    parser.add_argument("--database", default=BENCH_DB)
    parser.add_argument("--reuse", action="store_true", help="reuse the database if it exists")
    parser.add_argument("--only", default=None, help="only the shapes whose name contains this")
    parser.add_argument(
        "--no-peer", action="store_true", help="the platform only (no PostGraphile, no npm)"
    )
    parser.add_argument(
        "--baseline", default=None, help="path of another checkout to run as one more server"
    )
    parser.add_argument(
        "--baseline-cache-off",
        action="store_true",
        help="the baseline with KINERJA_RESPONSE_CACHE_ENTRIES=0 (what its code costs per request)",
    )
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> int:
    return run_until_terminated(main, parse_args(argv))


if __name__ == "__main__":
    sys.exit(run())
