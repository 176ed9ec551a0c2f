"""Jobs of TPP: the month's computation of one region, queued by `computeTpp` through the
outbox (topic tpp.compute.requested)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.tpp import service
from workers.tenant_job import tenant_job


@tenant_job
async def compute_tpp(
    actor: Actor, *, event_id: int, topic: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """One INSERT … SELECT for the region-month, in the region's transaction."""
    month = date.fromisoformat(payload["month"])
    rows = await service.compute_month(month=month)
    return {"month": payload["month"], "rows": rows}
