"""Reads of regions (the tenants table)."""

from __future__ import annotations

from tenants.models import Tenant

# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def region(tenant_id: int) -> Tenant:
    """A region by id (the caller's own: row-level security shows no other)."""
    return await Tenant.get(id=tenant_id)


async def region_by_slug(slug: str) -> Tenant | None:
    """The region a client names by slug, if any."""
    return await Tenant.by_slug(slug)
