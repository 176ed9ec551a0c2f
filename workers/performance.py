"""Jobs of the performance cycle: announcing near realisation deadlines."""

from __future__ import annotations

from datetime import UTC, datetime

from kinerja_saas.auth.actor import Actor
from kinerja_saas.performance.deadlines import announce_near_deadlines
from tenants.models import RegionStatus, Tenant
from workers.queue import enqueue
from workers.tenant_job import tenant_job


@tenant_job
async def announce_deadlines(actor: Actor) -> int:
    """One region: emits "checkpoint deadline near" once per checkpoint and deadline."""
    return await announce_near_deadlines()


async def schedule_deadline_notices(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, hourly: one `announce_deadlines` job per active region, so each region's work
    runs in its own tenant transaction (and a failing region is retried alone). Hourly,
    because regions' days start in three time zones; a repeated run announces nothing new.
    The job id carries the hour, so two schedulers in the same hour enqueue one job."""
    hour = (now or datetime.now(UTC)).strftime("%Y%m%d%H")
    region_ids = await Tenant.filter(status=RegionStatus.ACTIVE).values_list("id", flat=True)
    for tenant_id in region_ids:
        await enqueue(
            ctx["redis"],
            "announce_deadlines",
            job_id=f"deadlines:{tenant_id}:{hour}",
            tenant_id=tenant_id,
        )
    return len(region_ids)
