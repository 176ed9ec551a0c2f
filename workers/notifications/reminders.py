"""Daily reminder jobs: one per active region, scheduled by a cron."""

from __future__ import annotations

from datetime import UTC, datetime

from kinerja_saas.auth.actor import Actor
from kinerja_saas.notifications.reminders import remind_overdue_approvals
from tenants.models import RegionStatus, Tenant
from workers.queue import enqueue
from workers.tenant_job import tenant_job


@tenant_job
async def remind_approvals(actor: Actor) -> bool:
    return await remind_overdue_approvals()


async def schedule_reminders(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, daily in the regions' morning: one job per active region (its own transaction
    and retries); the job id carries the UTC day, so two schedulers enqueue one job."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    region_ids = await Tenant.filter(status=RegionStatus.ACTIVE).values_list("id", flat=True)
    for tenant_id in region_ids:
        await enqueue(
            ctx["redis"],
            "remind_approvals",
            job_id=f"approval-reminders:{tenant_id}:{day}",
            tenant_id=tenant_id,
        )
    return len(region_ids)
