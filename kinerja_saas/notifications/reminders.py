"""Daily reminders that are not caused by a change: plans waiting for approval too long.

One statement per region writes the reminder event only when some plan is overdue and no
reminder was written for the region's day yet, so a repeated or concurrent run adds
nothing; the fan-out then finds each evaluator's overdue plans (kind APPROVAL_OVERDUE)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kinerja_saas.notifications import queries
from kinerja_saas.notifications.events import APPROVAL_REMINDER as APPROVAL_REMINDER
from kinerja_saas.performance.deadlines import region_today
from kinerja_saas.regions.settings import load as load_settings
from tenants.context import current_tenant_id
from tenants.models import Tenant


async def remind_overdue_approvals(*, now: datetime | None = None) -> bool:
    """In the current region's transaction; True when a reminder was written."""
    now = now or datetime.now(UTC)
    tenant = await Tenant.get(id=current_tenant_id())
    days = load_settings(tenant.settings).performance.approval_reminder_days
    return await queries.insert_approval_reminder(
        day=region_today(tenant, now).isoformat(),
        days=days,
        before=now - timedelta(days=days),
    )
