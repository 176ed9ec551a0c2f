"""Daily reminder jobs: one per active region, scheduled by a cron."""

from __future__ import annotations

from datetime import UTC, datetime

from kinerja_saas.auth.actor import Actor
from kinerja_saas.notifications.reminders import remind_overdue_approvals
from workers import jobs
from workers.tenant_job import enqueue_for_active_regions, tenant_job


@tenant_job
async def remind_approvals(actor: Actor) -> bool:
    return await remind_overdue_approvals()


async def schedule_reminders(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, daily in the regions' morning: `remind_approvals` for every active region."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return await enqueue_for_active_regions(ctx["redis"], jobs.REMIND_APPROVALS, run=day)
