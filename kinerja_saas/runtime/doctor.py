"""`kinerja doctor`: checks that a deployment is what the platform's guarantees rest on.

Each check returns one row (name, status, detail). The Redis checks run every group of
commands the platform sends (on scratch keys that expire), a pub/sub round trip and a rate
limit that must count: a server too old for one of them (Redis 6.2 lacks `EXPIRE … NX`)
fails here instead of letting limits fail open in production. Catalog checks read `pg_catalog`, so
they need no privileges beyond connecting; the migrations check reads
`tortoise_migrations`, which only the owner may (run the doctor where DATABASE_URL is set,
e.g. the migrate container, for the full report). Nothing is changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from kinerja_saas.database import (
    app_connection_params,
    owner_connection_params,
    relay_connection_params,
)
from kinerja_saas.notifications.live import keepalive
from kinerja_saas.outbox.parking import counts
from kinerja_saas.ratelimit import hit_all, run_script, wait_if_over
from kinerja_saas.regions.settings import out_of_range
from kinerja_saas.settings import Settings
from tenants.rls import PLATFORM_TABLES, RELAY_FUNCTIONS

Status = Literal["ok", "fail", "skip"]
MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
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


async def check_region_settings(conn: asyncpg.Connection) -> Check:
    """Stored region settings that fail their own check read as their defaults (safe, but
    not what the region's admin saved): each is listed with its region, stored value and
    valid range, to be saved again through `updateRegionSettings`."""
    rows = await conn.fetch("SELECT slug, settings FROM tenants ORDER BY slug")
    problems = [
        f"{r['slug']}: {p.setting} = {p.stored!r} (valid {p.valid}; the default is used)"
        for r in rows
        for p in out_of_range(_stored(r["settings"]))
    ]
    if problems:
        return Check("region settings", "fail", "; ".join(problems))
    return Check("region settings", "ok", f"every stored value valid ({len(rows)} regions)")


def _stored(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


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


# The oldest server with every command below: EXPIRE … NX came with Redis 7.0. Valkey 7.2+
# reports itself as Redis 7.2.4 in `redis_version`.
MIN_REDIS = (7, 0)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


async def check_redis(redis: Redis) -> Check:
    """Reachable, and recent enough for every command the platform sends."""
    info = await redis.info("server")
    version = str(info.get("redis_version", "?"))
    name = (
        f"Valkey {info['valkey_version']} (Redis {version})"
        if info.get("valkey_version")
        else f"Redis {version}"
    )
    if _version(version) < MIN_REDIS:
        return Check(
            "redis",
            "fail",
            f"{name} terlalu lama: perlu Redis ≥ 7.0 atau Valkey ≥ 7.2 (versi yang diuji)"
            " / too old: needs Redis 7.0+ or Valkey 7.2+ (the versions the suite runs on)",
        )
    return Check("redis", "ok", name)


def _scratch_key(what: str) -> str:
    return f"kinerja:doctor:{what}:{uuid.uuid4().hex}"


async def _probe_limits(redis: Redis) -> None:
    # The rate limits' own script (INCR, TTL, EXPIRE inside EVAL), then a read of a count.
    key = _scratch_key("limit")
    try:
        first = await hit_all(redis, [(key, 1, 30)])
        second = await hit_all(redis, [(key, 1, 30)])
        if first != [None] or not second[0] or int(await redis.get(key) or 0) != 2:
            raise RuntimeError(f"counted {first} then {second}")
        if await wait_if_over(redis, {key: 1}) is None:
            raise RuntimeError("a counter over its limit was not seen")
    finally:
        await redis.delete(key)


async def _probe_eval(redis: Redis) -> None:
    # The job scheduler's slot script (workers/fair_queue.py) uses these inside EVAL.
    key = _scratch_key("eval")
    try:
        script = (
            "local t = redis.call('TIME') "
            "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', 0) "
            "redis.call('ZADD', KEYS[1], tonumber(t[1]), ARGV[1]) "
            "redis.call('PEXPIRE', KEYS[1], 30000) "
            "return redis.call('ZCARD', KEYS[1])"
        )
        if await run_script(redis, script, [key], ["doctor"]) != 1:
            raise RuntimeError("the script returned a wrong count")
    finally:
        await redis.delete(key)


async def _probe_queue(redis: Redis) -> None:
    # What arq sends to enqueue, start and finish a job.
    key = _scratch_key("queue")
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{key}:job", b"x", nx=True, px=30000)
            pipe.psetex(f"{key}:progress", 30000, b"1")
            pipe.zadd(key, {"job": 1})
            pipe.zrangebyscore(key, 0, 2)
            pipe.zrem(key, "job")
            await pipe.execute()
    finally:
        await redis.delete(key, f"{key}:job", f"{key}:progress")


PROBES: tuple[tuple[str, str, Callable[[Redis], Awaitable[None]]], ...] = (
    ("INCR/TTL/EXPIRE (EVAL)", "batas login, survei dan permintaan", _probe_limits),
    ("EVAL", "pembagian job antar-daerah di worker", _probe_eval),
    ("SET NX PX/PSETEX/ZADD/ZRANGEBYSCORE", "antrean job (arq)", _probe_queue),
)


async def check_redis_commands(redis: Redis) -> Check:
    """Runs each group of commands the platform needs on scratch keys, as it sends them."""
    refused = []
    for commands, purpose, probe in PROBES:
        try:
            await probe(redis)
        except (ResponseError, RuntimeError) as exc:
            refused.append(f"{commands} ditolak ({purpose}): {exc}")
    if refused:
        return Check("redis commands", "fail", "; ".join(refused))
    return Check("redis commands", "ok", ", ".join(c for c, _, _ in PROBES))


async def check_pubsub(redis_url: str) -> Check:
    """A message published on a channel reaches a subscriber (live notifications), over a
    connection opened as the live hub opens its own."""
    channel = _scratch_key("pubsub")
    listener = Redis.from_url(redis_url, socket_connect_timeout=3, **keepalive(redis_url))
    publisher = Redis.from_url(redis_url, socket_connect_timeout=3)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(channel)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        await publisher.publish(channel, b"ping")
        while loop.time() < deadline:
            message = await pubsub.get_message(timeout=0.5)
            if message and message.get("data") == b"ping":
                return Check("redis pub/sub", "ok", "a published message arrived")
        return Check(
            "redis pub/sub", "fail", "pesan tidak sampai dalam 5 detik (notifikasi langsung)"
        )
    finally:
        for closing in (pubsub, listener, publisher):
            with contextlib.suppress(Exception):
                await closing.aclose()


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
            checks.append(await _guard("region settings", lambda: check_region_settings(conn)))
    finally:
        if conn is not None:
            await conn.close()
    checks.append(await _guard("outbox backlog", lambda: check_outbox(settings)))
    checks.append(await _guard("dead jobs", lambda: check_dead_jobs(settings)))
    if not settings.redis_url:
        checks.append(Check("redis", "fail", "REDIS_URL is not set"))
        return checks
    redis_url = settings.redis_url
    redis = Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        try:
            await asyncio.wait_for(redis.ping(), 15)
        except Exception as exc:
            checks.append(Check("redis", "fail", f"{exc.__class__.__name__}: {exc}"))
            checks.append(Check("worker heartbeat", "skip", "Redis unreachable"))
            return checks
        checks.append(await _guard("redis", lambda: check_redis(redis)))
        checks.append(await _guard("redis commands", lambda: check_redis_commands(redis)))
        checks.append(await _guard("redis pub/sub", lambda: check_pubsub(redis_url)))
        checks.append(await _guard("worker heartbeat", lambda: check_heartbeat(redis, settings)))
    finally:
        await redis.aclose()
    return checks
