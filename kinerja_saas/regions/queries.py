"""All SQL of the regions domain: reads of regions (the tenants table), the platform's
changes to a region's status and plan, the operators' overview counts, and the platform
operators' rows (written with the owner connection)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

import asyncpg

from kinerja_saas.db import db
from tenants.models import RegionStatus, Tenant
from tenants.plans import RegionPlan

# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def region(tenant_id: int) -> Tenant:
    """A region by id (the caller's own: row-level security shows no other)."""
    return await Tenant.get(id=tenant_id)


async def region_by_slug(slug: str) -> Tenant | None:
    """The region a client names by slug, if any."""
    return await Tenant.by_slug(slug)


# --- the platform's side (onboarding.py) ---------------------------------------------------
# A region's status or plan changes through its definer function: the app role may change
# only its own region's row of `tenants`, and only in that region's transaction (RLS,
# migration 0024); these run in platform scope and refuse to run in any region's.


async def set_status_as_platform(tenant_id: int, status: RegionStatus) -> None:
    await db().execute_query("SELECT platform_set_region_status($1, $2)", [tenant_id, status.value])


async def set_plan_as_platform(tenant_id: int, plan: RegionPlan) -> None:
    await db().execute_query("SELECT platform_set_region_plan($1, $2)", [tenant_id, plan.value])


class RegionStats(TypedDict):
    tenant_id: int
    employees: int
    units: int
    last_activity: datetime | None


async def region_stats(tenant_ids: Sequence[int]) -> dict[int, RegionStats]:
    """Active employees, active units and the latest audited change of each region, in one
    statement (a definer function: operators see counts, never people)."""
    _, rows = await db().execute_query(
        "SELECT tenant_id, employees, units, last_activity FROM region_stats($1::bigint[])",
        [list(tenant_ids)],
    )
    return {
        r["tenant_id"]: RegionStats(
            tenant_id=r["tenant_id"],
            employees=r["employees"],
            units=r["units"],
            last_activity=r["last_activity"],
        )
        for r in rows
    }


# --- platform operators (operators.py) -----------------------------------------------------


async def insert_operator(
    conn: asyncpg.Connection, *, email: str, name: str, password_hash: str
) -> tuple[int, bool]:
    """On the owner connection: (id, created); an existing e-mail is left as it is."""
    row = await conn.fetchrow(
        "INSERT INTO platform_operators (email, name, password_hash, is_active, token_version,"
        " created_at) VALUES ($1, $2, $3, true, 1, now())"
        " ON CONFLICT (email) DO NOTHING RETURNING id",
        email,
        name,
        password_hash,
    )
    if row is not None:
        return row["id"], True
    existing = await conn.fetchval("SELECT id FROM platform_operators WHERE email = $1", email)
    return existing, False
