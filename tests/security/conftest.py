"""One seeded pair of regions per module, tokens for every role, and a fingerprint of the
whole database that tells whether a request wrote anything."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.tokens import issue_pair
from kinerja_saas.database import owner_connection_params
from kinerja_saas.regions.operators import create_operator
from schema.schema import build_schema
from tests.security.operations import Builder
from tests.security.world import World, seed_world

ANONYMOUS = "anonymous"
OPERATOR = "PLATFORM_OPERATOR"
ADMIN, SUPERVISOR, EMPLOYEE, OFFICER = (
    "REGION_ADMIN",
    "SUPERVISOR",
    "EMPLOYEE",
    "TRAINING_OFFICER",
)
OTHER_REGION = "A_ADMIN_ON_B"  # region A's admin token, every id from region B
# Fields that end the caller's sessions, and with them (within seconds) its access token.
ENDS_SESSIONS = ("logoutEverywhere", "changePassword")
COLUMNS = (ANONYMOUS, OPERATOR, ADMIN, SUPERVISOR, EMPLOYEE, OFFICER, OTHER_REGION)


@dataclass
class Security:
    world: World
    builder: Builder
    tokens: dict[str, str | None]
    http: httpx.AsyncClient
    owner: asyncpg.Connection
    tables: dict[str, bool]  # table -> has tenant_id
    # Issues every column's token again with its login's current token version: a cell
    # that ends the caller's sessions (logoutEverywhere) revokes its token within seconds.
    renew: Callable[[], Awaitable[None]] | None = None

    def target(self, column: str):
        return self.world.b if column == OTHER_REGION else self.world.a

    async def post(self, operation, column: str) -> httpx.Response:
        token = self.tokens[column]
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post("/graphql", headers=headers, **operation.http_request())
        if self.renew is not None and any(f in operation.document for f in ENDS_SESSIONS):
            await self.renew()  # the caller's access token may be revoked now
        return response

    async def settled_fingerprint(self, reads: int = 50) -> list[Any]:
        """The fingerprint once two reads 0.1 s apart agree: what an earlier test's
        background work (the outbox relay, a job) writes has landed."""
        last = await self.fingerprint()
        for _ in range(reads):
            await asyncio.sleep(0.1)
            now = await self.fingerprint()
            if now == last:
                break
            last = now
        return last

    async def fingerprint(self) -> list[Any]:
        """Row count and a hash of the rows, per table: the seeded regions' rows of tenant
        tables and every row of platform tables (as the owner: RLS hides nothing)."""
        regions = [self.world.a.region.id, self.world.b.region.id, self.world.c_id]
        return await self.owner.fetch(
            " UNION ALL ".join(
                f"SELECT '{t}' AS t, count(*) AS n, coalesce(sum(hashtext(x::text)), 0) AS h"
                f" FROM {t} x" + (" WHERE tenant_id = ANY($1::bigint[])" if tenant else "")
                for t, tenant in self.tables.items()
            ),
            regions,
        )


@pytest.fixture(scope="module")
async def security(settings, password_hash, http, redis):
    world = await seed_world(password_hash, settings)
    params = owner_connection_params(settings)
    operator_id, _ = await create_operator(
        params,
        email=f"ops.security.{os.getpid()}.{world.a.region.id}@kinerja.test",
        name="Ops",
        password_hash=password_hash,
    )
    operator = Actor(
        user_id=operator_id,
        tenant_id=None,
        roles=frozenset({Role.PLATFORM_OPERATOR}),
        email="ops@kinerja.test",
        is_operator=True,
    )
    secret = settings.jwt_secret or ""
    tokens: dict[str, str | None] = {
        ANONYMOUS: None,
        OPERATOR: issue_pair(
            operator, token_version=1, secret=secret, access_ttl=3600, refresh_ttl=3600
        ).access_token,
    }
    for role in (Role.REGION_ADMIN, Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER):
        tokens[role.value] = world.a.region.token(role, settings, ttl=3600)
    tokens[OTHER_REGION] = tokens[ADMIN]
    owner = await asyncpg.connect(**params)
    tables = {
        r["table_name"]: r["tenant"]
        for r in await owner.fetch(
            "SELECT t.table_name, EXISTS (SELECT 1 FROM information_schema.columns c"
            "  WHERE c.table_name = t.table_name AND c.column_name = 'tenant_id') AS tenant"
            " FROM information_schema.tables t WHERE t.table_schema = 'public'"
            " AND t.table_type = 'BASE TABLE' ORDER BY 1"
        )
    }
    schema = build_schema(settings)._schema

    async def renew() -> None:
        version = await owner.fetchval(
            "SELECT token_version FROM platform_operators WHERE id = $1", operator_id
        )
        tokens[OPERATOR] = issue_pair(
            operator, token_version=version, secret=secret, access_ttl=3600, refresh_ttl=3600
        ).access_token
        for role in (Role.REGION_ADMIN, Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER):
            version = await owner.fetchval(
                "SELECT token_version FROM user_accounts WHERE id = $1",
                world.a.region.accounts[role].id,
            )
            tokens[role.value] = issue_pair(
                world.a.region.actor(role),
                token_version=version,
                secret=secret,
                access_ttl=3600,
                refresh_ttl=3600,
            ).access_token
        tokens[OTHER_REGION] = tokens[ADMIN]

    yield Security(world, Builder(schema, world.c_id), tokens, http, owner, tables, renew)
    await owner.close()


# SCAN's default COUNT is 10: one round trip per 10 keys of the whole test db, which grows
# through a run (arq keeps each job's result for an hour) — at 5,000 keys ~500 round trips,
# 30 ms of CPU and 120+ ms on a loaded machine, before each of the ~1,300 tests here. The
# same keys in a round trip or two; the test db holds nothing but the suite's own keys.
SCAN_COUNT = 10_000


@pytest.fixture(autouse=True)
async def fresh_request_budget(redis):
    """Each test starts with an unused minute of the per-login and per-region request
    limits (kinerja_saas/admission.py, tested in tests/tenants): the module's logins are shared
    by hundreds of generated requests, so one test's burst must not refuse the next one's
    (the REGION_ADMIN login crossed 240 a minute once the schema had two more mutations)."""
    keys = [key async for key in redis.scan_iter(match="kinerja:rl:*", count=SCAN_COUNT)]
    if keys:
        await redis.delete(*keys)
