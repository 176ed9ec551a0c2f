"""Jobs of the performance cycle: announcing near realisation deadlines."""

from __future__ import annotations

from datetime import UTC, datetime

from kinerja_saas.auth.actor import Actor
from kinerja_saas.performance.deadlines import announce_near_deadlines
from workers import jobs
from workers.tenant_job import enqueue_for_active_regions, tenant_job


@tenant_job
async def announce_deadlines(actor: Actor) -> int:
    """One region: emits "checkpoint deadline near" once per checkpoint and deadline."""
    return await announce_near_deadlines()


async def schedule_deadline_notices(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, hourly: `announce_deadlines` for every active region. Hourly, because regions'
    days start in three time zones; a repeated run announces nothing new."""
    hour = (now or datetime.now(UTC)).strftime("%Y%m%d%H")
    return await enqueue_for_active_regions(ctx["redis"], jobs.ANNOUNCE_DEADLINES, run=hour)
