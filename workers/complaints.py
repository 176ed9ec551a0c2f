"""Jobs of complaints: the daily overdue reminders, one job per active region."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.complaints import service
from workers import jobs
from workers.tenant_job import enqueue_for_active_regions, tenant_job


@tenant_job
async def remind_complaints(actor: Actor) -> dict[str, Any]:
    """One statement for the region (complaints.queries.remind_overdue): reminders are
    marked on the complaints, so a repeated run writes nothing twice."""
    done = await service.remind_overdue()
    return {"heads": done.heads, "admins": done.admins}


async def schedule_complaint_reminders(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, daily in the regions' morning: `remind_complaints` for every active region; the
    run key (the UTC day) makes a second scheduler of the same day enqueue nothing new."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return await enqueue_for_active_regions(ctx["redis"], jobs.REMIND_COMPLAINTS, run=day)
