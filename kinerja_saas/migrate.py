"""`kinerja migrate`: schema migrations as the owner, then the app role and its grants."""

from __future__ import annotations

import asyncpg
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate

from kinerja_saas.database import (
    app_connection_params,
    ensure_database,
    owner_connection_params,
    owner_tortoise_config,
    relay_connection_params,
)
from kinerja_saas.settings import Settings
from tenants.rls import app_role_statements, relay_role_statements


class OwnerRoleError(RuntimeError):
    pass


async def migrate(settings: Settings) -> None:
    await ensure_database(settings)
    # A context of its own, so the owner connection never leaks into the app's.
    async with TortoiseContext():
        await tortoise_migrate(config=owner_tortoise_config(settings))
    conn = await asyncpg.connect(**owner_connection_params(settings))
    try:
        owner = await conn.fetchrow(
            "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        app = app_connection_params(settings)  # APP_DATABASE_URL wins over the role settings
        relay = relay_connection_params(settings)
        if owner["rolname"] in (app["user"], relay["user"]):
            raise OwnerRoleError("DATABASE_URL must name the owner role, not the app or relay role")
        if not (owner["rolsuper"] or owner["rolbypassrls"]):
            raise OwnerRoleError(
                f"the owner role {owner['rolname']} needs BYPASSRLS for the login lookup and "
                "the outbox relay (ALTER ROLE … BYPASSRLS)"
            )
        async with conn.transaction():
            # Role DDL is cluster-wide; serialise concurrent migrators.
            await conn.execute("SELECT pg_advisory_xact_lock(727274)")
            for statement in [
                *app_role_statements(app["user"], app["password"]),
                *relay_role_statements(relay["user"], relay["password"]),
            ]:
                await conn.execute(statement)
    finally:
        await conn.close()
