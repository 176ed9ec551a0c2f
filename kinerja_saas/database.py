"""Database connections: the owner (migrations) and the app role (everything else)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import asyncpg
from tortoise import Tortoise

from kinerja_saas.settings import Settings

MODEL_MODULES = [
    "tenants.models",
    "kinerja_saas.org.models",
    "kinerja_saas.auth.models",
    "kinerja_saas.audit.models",
    "kinerja_saas.outbox.models",
    "kinerja_saas.performance.models",
    "kinerja_saas.surveys.models",
    "kinerja_saas.training.models",
    "kinerja_saas.notifications.models",
]
MIGRATIONS_MODULE = "kinerja_saas.migrations"


def parse_pg_url(url: str) -> dict[str, Any]:
    """postgresql://user:pass@host:port/db?host=/socket/dir -> asyncpg keyword arguments."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or "127.0.0.1"])[0]
    return {
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password) if parsed.password else None,
        "host": host,
        "port": parsed.port or int(query.get("port", ["5432"])[0]),
        "database": (parsed.path or "/postgres").lstrip("/") or "postgres",
    }


def build_pg_url(params: dict[str, Any]) -> str:
    from urllib.parse import quote

    auth = quote(params["user"])
    if params.get("password"):
        auth += ":" + quote(params["password"])
    host = params["host"]
    if host.startswith("/"):
        return f"postgresql://{auth}@/{params['database']}?host={host}&port={params['port']}"
    return f"postgresql://{auth}@{host}:{params['port']}/{params['database']}"


def app_connection_params(settings: Settings) -> dict[str, Any]:
    if settings.app_database_url:
        return parse_pg_url(settings.app_database_url)
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set")
    params = parse_pg_url(settings.database_url)
    params["user"] = settings.app_db_user
    params["password"] = settings.app_db_password
    return params


def relay_connection_params(settings: Settings) -> dict[str, Any]:
    """The outbox relay's role; the same password as the app role unless a URL is given."""
    if settings.relay_database_url:
        return parse_pg_url(settings.relay_database_url)
    params = app_connection_params(settings)
    params["user"] = settings.relay_db_user
    return params


def owner_connection_params(settings: Settings) -> dict[str, Any]:
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set")
    return parse_pg_url(settings.database_url)


def tortoise_config(params: dict[str, Any], *, engine: str, pool_min: int, pool_max: int) -> dict:
    credentials = dict(params)
    credentials.update(minsize=pool_min, maxsize=pool_max)
    return {
        "connections": {"default": {"engine": engine, "credentials": credentials}},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# JIT off on the app's connections: the dashboards' statements are estimated above
# jit_above_cost and spent ~300 ms compiling per request for ~200 ms of execution
# (bench/README.md). Set per connection, so no role privilege is needed for it.
APP_SERVER_SETTINGS = {"jit": "off"}


def app_tortoise_config(settings: Settings) -> dict:
    config = tortoise_config(
        app_connection_params(settings),
        engine="kinerja_saas.database_client",
        pool_min=settings.db_pool_min,
        pool_max=settings.db_pool_max,
    )
    config["connections"]["default"]["credentials"]["server_settings"] = dict(APP_SERVER_SETTINGS)
    return config


def owner_tortoise_config(settings: Settings) -> dict:
    return tortoise_config(
        owner_connection_params(settings),
        engine="tortoise.backends.asyncpg",
        pool_min=1,
        pool_max=2,
    )


async def init_app_db(settings: Settings) -> None:
    """Connects Tortoise as the app role, once per process. The global fallback makes the
    connections visible to every task (uvicorn runs the lifespan in a task of its own)."""
    if Tortoise._inited:
        return
    await Tortoise.init(config=app_tortoise_config(settings), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def ensure_database(settings: Settings) -> None:
    """Creates the database named in DATABASE_URL when it does not exist yet."""
    params = owner_connection_params(settings)
    name = params["database"]
    conn = await asyncpg.connect(**{**params, "database": "postgres"})
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


# What a lost or restarting server raises: the connection broke, the server is shutting
# down or starting up, or it could not be reached (asyncpg, or Tortoise's wrappers of it).
_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    OSError,  # refused, reset, timed out; Tortoise's DBConnectionError is one too
    # The driver's protocol state broken by a connection lost mid-operation ("cannot
    # switch to state …; another operation is in progress"), seen during restarts.
    asyncpg.exceptions.InternalClientError,
)


def database_unavailable(exc: BaseException | None) -> bool:
    """True when `exc` (or what caused it) says the database could not be reached, rather
    than that a statement was wrong: the request may succeed if tried again."""
    for _ in range(6):  # the cause chain is short; never loop on a cycle
        if exc is None:
            return False
        if isinstance(exc, _UNAVAILABLE):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
