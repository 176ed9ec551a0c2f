"""Announcing that a checkpoint's realisation deadline is near: one outbox event per
checkpoint and deadline, however often the scheduler asks (the notification issue turns it
into reminders for those who have not entered yet)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from kinerja_saas.performance import queries
from kinerja_saas.performance.events import CHECKPOINT_DEADLINE_NEAR
from kinerja_saas.performance.models import PeriodStatus
from kinerja_saas.regions.settings import load as load_settings
from tenants.context import current_tenant_id
from tenants.models import Tenant

DEADLINE_NEAR = CHECKPOINT_DEADLINE_NEAR

# Realisations are entered while the period is ACTIVE and, for the last checkpoint, while
# it is EVALUATING.
_OPEN_FOR_REALISATIONS = [PeriodStatus.ACTIVE.value, PeriodStatus.EVALUATING.value]


def region_today(tenant: Tenant, now: datetime | None = None) -> date:
    """Today in the region's own time zone (WIB, WITA or WIT)."""
    zone = ZoneInfo(str(tenant.timezone.value))
    return (now.astimezone(zone) if now is not None else datetime.now(zone)).date()


async def announce_near_deadlines(*, now: datetime | None = None) -> int:
    """In the current region's transaction: emits DEADLINE_NEAR for every checkpoint whose
    deadline falls within the region's `deadline_notice_days` from today and was not
    announced yet. Returns how many were announced."""
    tenant = await Tenant.get(id=current_tenant_id())
    days = load_settings(tenant.settings).performance.deadline_notice_days
    return await queries.announce_near_deadlines(
        today=region_today(tenant, now), days=days, statuses=_OPEN_FOR_REALISATIONS
    )
