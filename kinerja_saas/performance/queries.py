"""Reads of the performance domain."""

from __future__ import annotations

from kinerja_saas.performance.models import BehaviourValue, Plan
from tenants.context import current_tenant_id

# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def behaviour_values() -> list[BehaviourValue]:
    """The region's BerAKHLAK values in their order."""
    return await BehaviourValue.filter(tenant_id=current_tenant_id()).order_by("position")


async def plans_by_id(ids: list[int]) -> dict[int, Plan]:
    """The region's plans of these ids, in one statement."""
    rows = await Plan.filter(tenant_id=current_tenant_id(), id__in=set(ids))
    return {p.id: p for p in rows}
