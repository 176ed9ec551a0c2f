"""Fault tests: a private PostgreSQL cluster (migrated, with the demo regions) shared by the
session's fault tests, a private Redis per test, and the API and workers as real `kinerja`
processes, so servers can be stopped, killed and restarted without touching the shared
ones. Each module is marked `faults` (`pytest -m faults` runs only these)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from bench.common import ApiServer, KinerjaProcess, child_env, dev_settings, kinerja_executable
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.tokens import issue_pair
from kinerja_saas.settings import DEV_JWT_SECRET
from tests.faults.servers import (
    PrivatePostgres,
    PrivateRedis,
    have_private_postgres,
    have_private_redis,
)

DATABASE = "kinerja_faults"
REGION = "palembang"  # a demo region (kinerja_saas/runtime/seed.py)


async def eventually(check: Callable[[], Awaitable[Any]], *, seconds: float = 20.0, what: str):
    """Polls `check` until it returns something truthy; fails naming `what` otherwise."""
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        await asyncio.sleep(0.1)


@dataclass
class Cluster:
    server: PrivatePostgres
    owner_url: str

    async def connect(self) -> asyncpg.Connection:
        """As the owner (a superuser: sees every region's rows)."""
        return await asyncpg.connect(self.owner_url)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        conn = await self.connect()
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def token(self, role: Role, region: str = REGION) -> str:
        conn = await self.connect()
        try:
            row = await conn.fetchrow(
                "SELECT u.id, u.tenant_id, u.roles, u.email, u.employee_id FROM user_accounts u"
                " JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1 AND u.email LIKE $2",
                region,
                f"{role.value.lower().replace('_', '.')}@%",
            )
        finally:
            await conn.close()
        import orjson

        roles = orjson.loads(row["roles"]) if isinstance(row["roles"], str) else row["roles"]
        actor = Actor(
            user_id=row["id"],
            tenant_id=row["tenant_id"],
            roles=frozenset(Role(r) for r in roles),
            email=row["email"],
            employee_id=row["employee_id"],
        )
        pair = issue_pair(
            actor, token_version=1, secret=DEV_JWT_SECRET, access_ttl=3600, refresh_ttl=3600
        )
        return pair.access_token


@pytest.fixture(scope="session")
async def cluster():
    if not have_private_postgres():
        pytest.skip("initdb/pg_ctl of PostgreSQL 15 not installed")
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        owner_url = server.url(DATABASE)
        from kinerja_saas.migrate import migrate

        await migrate(dev_settings(owner_url, "redis://127.0.0.1:1/0"))
        seeded = await asyncio.create_subprocess_exec(
            kinerja_executable(),
            "seed-demo",
            env=child_env(owner_url, "redis://127.0.0.1:1/0"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await seeded.communicate()
        assert seeded.returncode == 0, err.decode()
        yield Cluster(server, owner_url)
    finally:
        server.close()


@pytest.fixture
def private_redis():
    if not have_private_redis():
        pytest.skip("redis-server not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.close()


@pytest.fixture
def logs_dir(tmp_path: Path) -> Path:
    return tmp_path


class Processes:
    """Starts `kinerja serve` / `kinerja worker` children and stops whatever is left."""

    def __init__(self, cluster: Cluster, redis: PrivateRedis, logs: Path) -> None:
        self.cluster = cluster
        self.redis = redis
        self.logs = logs
        self.started: list[KinerjaProcess] = []
        self._count = 0

    async def api(self) -> ApiServer:
        self._count += 1
        server = ApiServer(
            self.cluster.owner_url, self.redis.url, self.logs / f"api{self._count}.log"
        )
        self.started.append(server)
        await server.start()
        return server

    async def worker(self, **env: str) -> KinerjaProcess:
        self._count += 1
        worker = KinerjaProcess(
            ["worker"],
            owner_url=self.cluster.owner_url,
            redis_url=self.redis.url,
            log_path=self.logs / f"worker{self._count}.log",
            env={"KINERJA_OUTBOX_POLL_SECONDS": "0.2", **env},
            stop_timeout=30.0,
        )
        self.started.append(worker)
        await worker.start()
        return worker

    async def stop_all(self) -> None:
        for process in reversed(self.started):
            await process.stop()


@pytest.fixture
async def processes(cluster: Cluster, private_redis: PrivateRedis, logs_dir: Path):
    running = Processes(cluster, private_redis, logs_dir)
    yield running
    await running.stop_all()


class Client:
    """GraphQL over HTTP to a child API process, as a demo login of REGION."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30.0)

    async def __call__(self, query: str, variables: dict | None = None) -> httpx.Response:
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}})

    async def data(self, query: str, variables: dict | None = None) -> dict:
        response = await self(query, variables)
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), body
        return body["data"]

    async def aclose(self) -> None:
        await self.http.aclose()


@pytest.fixture
async def client_for():
    made: list[Client] = []

    def make(server: ApiServer, token: str | None = None) -> Client:
        made.append(Client(server.base_url, token))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()
