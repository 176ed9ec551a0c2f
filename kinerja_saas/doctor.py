"""`kinerja doctor`: checks that a deployment is what the platform's guarantees rest on.

Each check returns one row (name, status, detail). Catalog checks read `pg_catalog`, so
they need no privileges beyond connecting; the migrations check reads
`tortoise_migrations`, which only the owner may (run the doctor where DATABASE_URL is set,
e.g. the migrate container, for the full report). Nothing is changed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import asyncpg
from redis.asyncio import Redis

from kinerja_saas.database import (
    app_connection_params,
    owner_connection_params,
    relay_connection_params,
)
from kinerja_saas.settings import Settings
from tenants.rls import PLATFORM_TABLES, RELAY_FUNCTIONS

Status = Literal["ok", "fail", "skip"]
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATIONS_APP = "models"
# Must match workers.metrics.HEARTBEAT_KEY (arq's health-check key of the default queue);
# the doctor talks to Redis directly and does not import the worker.
HEARTBEAT_KEY = "arq:queue:health-check"
# tenants.rls.TENANT_EXPR as PostgreSQL prints a policy's expression back.
TENANT_POLICY = (
    "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)"
)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def migration_files(folder: Path = MIGRATIONS_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.py") if re.match(r"\d{4}_", p.name))


async def check_migrations(conn: asyncpg.Connection, *, is_owner: bool) -> Check:
    if not is_owner:
        return Check("migrations", "skip", "needs DATABASE_URL (the owner reads the ledger)")
    applied = {
        r["name"]
        for r in await conn.fetch(
            "SELECT name FROM tortoise_migrations WHERE app = $1", MIGRATIONS_APP
        )
    }
    files = migration_files()
    pending = [m for m in files if m not in applied]
    unknown = sorted(applied - set(files))
    if pending:
        return Check("migrations", "fail", f"not applied: {', '.join(pending)} (kinerja migrate)")
    if unknown:
        return Check("migrations", "fail", f"applied but not in this code: {', '.join(unknown)}")
    return Check("migrations", "ok", f"{len(files)} applied, latest {files[-1]}")


async def tenant_tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
    )
    return [r["relname"] for r in rows if r["relname"] not in PLATFORM_TABLES]


async def check_rls(conn: asyncpg.Connection) -> Check:
    """ENABLE + FORCE and a policy on every table that is not a platform table (the same
    rule as tests/tenants/test_isolation.py)."""
    rows = await conn.fetch(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
        " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,"
        " EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
        "         AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS has_tenant"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])",
        await tenant_tables(conn),
    )
    problems = []
    for r in rows:
        missing = [
            what
            for what, ok in (
                ("tenant_id", r["has_tenant"]),
                ("RLS enabled", r["relrowsecurity"]),
                ("RLS forced", r["relforcerowsecurity"]),
                ("policy", r["policies"] > 0),
            )
            if not ok
        ]
        if missing:
            problems.append(f"{r['relname']}: no {', no '.join(missing)}")
    # The policy must be the tenant one, alone: another permissive policy (say USING (true))
    # would widen what a region sees.
    policies: dict[str, list] = {}
    for p in await conn.fetch(
        "SELECT tablename, cmd, permissive, qual, with_check FROM pg_policies"
        " WHERE schemaname = 'public' AND tablename = ANY($1::text[])",
        [r["relname"] for r in rows],
    ):
        policies.setdefault(p["tablename"], []).append(p)
    for table, found in sorted(policies.items()):
        if len(found) > 1 or any(
            (p["cmd"], p["permissive"], p["qual"], p["with_check"])
            != ("ALL", "PERMISSIVE", TENANT_POLICY, TENANT_POLICY)
            for p in found
        ):
            problems.append(f"{table}: a policy other than the tenant policy")
    if problems:
        return Check("row-level security", "fail", "; ".join(problems))
    return Check(
        "row-level security", "ok", f"enabled, forced, with a policy on {len(rows)} tables"
    )


async def _role(conn: asyncpg.Connection, name: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT oid, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", name
    )


def _powers(role: asyncpg.Record) -> list[str]:
    return [
        p for p, on in (("SUPERUSER", role["rolsuper"]), ("BYPASSRLS", role["rolbypassrls"])) if on
    ]


async def check_app_role(conn: asyncpg.Connection, name: str) -> Check:
    label = f"app role {name}"
    role = await _role(conn, name)
    if role is None:
        return Check(label, "fail", "does not exist (kinerja migrate creates it)")
    problems = [f"is {p}: RLS does not apply to it" for p in _powers(role)]
    owned = await conn.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relowner = $1 ORDER BY 1",
        role["oid"],
    )
    if owned:
        names = ", ".join(r["relname"] for r in owned)
        problems.append(f"owns {names} (FORCE binds owners, but owners can turn RLS off)")
    if problems:
        return Check(label, "fail", "; ".join(problems))
    return Check(label, "ok", "not superuser, not BYPASSRLS, owns no table")


async def check_relay_role(conn: asyncpg.Connection, name: str) -> Check:
    label = f"relay role {name}"
    role = await _role(conn, name)
    if role is None:
        return Check(label, "fail", "does not exist (kinerja migrate creates it)")
    problems = [f"is {p}" for p in _powers(role)]
    tables = await conn.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v')"
        " AND has_table_privilege($1::oid, c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE')"
        " ORDER BY 1",
        role["oid"],
    )
    if tables:
        problems.append("may use tables: " + ", ".join(r["relname"] for r in tables))
    definers = {
        r["fn"]
        for r in await conn.fetch(
            "SELECT p.oid::regprocedure::text AS fn FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.prosecdef"
            " AND has_function_privilege($1::oid, p.oid, 'EXECUTE')",
            role["oid"],
        )
    }
    if extra := sorted(definers - set(RELAY_FUNCTIONS)):
        problems.append("may call " + ", ".join(extra))
    if missing := sorted(set(RELAY_FUNCTIONS) - definers):
        problems.append("may not call " + ", ".join(missing))
    if problems:
        return Check(label, "fail", "; ".join(problems))
    return Check(label, "ok", "only " + ", ".join(RELAY_FUNCTIONS))


async def check_outbox(settings: Settings) -> Check:
    """As the relay role, as the relay does: this also proves the relay can log in."""
    conn = await asyncpg.connect(**relay_connection_params(settings), timeout=5)
    try:
        pending = await conn.fetchval("SELECT outbox_backlog()")
    finally:
        await conn.close()
    limit = settings.doctor_outbox_backlog_max
    if pending > limit:
        return Check(
            "outbox backlog", "fail", f"{pending} events wait for the relay (limit {limit})"
        )
    return Check("outbox backlog", "ok", f"{pending} waiting (limit {limit})")


async def check_dead_jobs(settings: Settings) -> Check:
    """Jobs parked as dead (failed for a reason of their own) and relayed events not done,
    through job_health() as the relay role, which sees every region's count."""
    from kinerja_saas.outbox.parking import counts

    conn = await asyncpg.connect(**relay_connection_params(settings), timeout=5)
    try:
        dead, not_done = await counts(conn)
    finally:
        await conn.close()
    detail = f"{dead} dead, {not_done} relayed events not done yet"
    if dead:
        return Check(
            "dead jobs", "fail", f"{detail}: `kinerja jobs list`, then `kinerja jobs retry`"
        )
    return Check("dead jobs", "ok", detail)


async def check_redis(redis: Redis) -> Check:
    await redis.ping()
    return Check("redis", "ok", "reachable")


async def check_heartbeat(redis: Redis, settings: Settings) -> Check:
    value = await redis.get(HEARTBEAT_KEY)
    if value is None:
        return Check(
            "worker heartbeat",
            "fail",
            f"no worker polled the queue in the last {settings.worker_heartbeat_seconds + 1} s"
            " (is `kinerja worker` running?)",
        )
    return Check("worker heartbeat", "ok", value.decode(errors="replace"))


async def _guard(name: str, step: Callable[[], Awaitable[Check]]) -> Check:
    try:
        return await asyncio.wait_for(step(), 15)
    except Exception as exc:  # a check that cannot run is a failed check
        return Check(name, "fail", f"{exc.__class__.__name__}: {exc}")


async def run_checks(settings: Settings) -> list[Check]:
    checks: list[Check] = []
    is_owner = bool(settings.database_url)
    params = owner_connection_params(settings) if is_owner else app_connection_params(settings)
    app_role = app_connection_params(settings)["user"]
    relay_role = relay_connection_params(settings)["user"]
    conn: Any = None
    try:
        conn = await asyncpg.connect(**params, timeout=5)
        checks.append(Check("database", "ok", f"connected as {params['user']}"))
    except Exception as exc:
        checks.append(Check("database", "fail", f"{exc.__class__.__name__}: {exc}"))
    try:
        if conn is not None:
            checks.append(
                await _guard("migrations", lambda: check_migrations(conn, is_owner=is_owner))
            )
            checks.append(await _guard("row-level security", lambda: check_rls(conn)))
            checks.append(
                await _guard(f"app role {app_role}", lambda: check_app_role(conn, app_role))
            )
            checks.append(
                await _guard(f"relay role {relay_role}", lambda: check_relay_role(conn, relay_role))
            )
    finally:
        if conn is not None:
            await conn.close()
    checks.append(await _guard("outbox backlog", lambda: check_outbox(settings)))
    checks.append(await _guard("dead jobs", lambda: check_dead_jobs(settings)))
    if not settings.redis_url:
        checks.append(Check("redis", "fail", "REDIS_URL is not set"))
        return checks
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        checks.append(await _guard("redis", lambda: check_redis(redis)))
        if checks[-1].failed:
            checks.append(Check("worker heartbeat", "skip", "Redis unreachable"))
        else:
            checks.append(
                await _guard("worker heartbeat", lambda: check_heartbeat(redis, settings))
            )
    finally:
        await redis.aclose()
    return checks
