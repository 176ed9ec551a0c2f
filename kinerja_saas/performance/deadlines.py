"""Announcing that a checkpoint's realisation deadline is near: one outbox event per
checkpoint and deadline, however often the scheduler asks (the notification issue turns it
into reminders for those who have not entered yet)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from tortoise import connections

from kinerja_saas.outbox.service import insert_events_sql
from kinerja_saas.performance.events import CHECKPOINT_DEADLINE_NEAR
from kinerja_saas.performance.models import PeriodStatus
from kinerja_saas.regions.region_settings import with_defaults
from tenants.context import current_tenant_id
from tenants.models import Tenant

DEADLINE_NEAR = CHECKPOINT_DEADLINE_NEAR

# Marks each checkpoint whose deadline is within the notice window and not yet announced
# (deadline_notice_for holds the deadline announced, so a moved deadline is announced
# again) and writes its event, in one statement.
_ANNOUNCE_SQL = """
WITH due AS (
    UPDATE checkpoints c SET deadline_notice_for = c.deadline
    FROM periods p
    WHERE c.tenant_id = $1 AND p.tenant_id = $1 AND p.id = c.period_id
        AND p.status = ANY($4::text[])
        AND c.deadline BETWEEN $2::date AND $2::date + $3::int
        AND c.deadline_notice_for IS DISTINCT FROM c.deadline
    RETURNING c.id, c.period_id, c.number, c.label, c.ends_on, c.deadline, p.year
)
""" + insert_events_sql(
    CHECKPOINT_DEADLINE_NEAR,
    payload_sql="""jsonb_build_object(
        'period_id', period_id, 'year', year, 'checkpoint_id', id, 'number', number,
        'label', label, 'ends_on', ends_on, 'deadline', deadline,
        'days_left', deadline - $2::date)""",
    tail_sql="FROM due ORDER BY deadline, number",
    returning="id",
)

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
    days = with_defaults(tenant.settings)["performance"]["deadline_notice_days"]
    rows = await connections.get("default").execute_query_dict(
        _ANNOUNCE_SQL,
        [tenant.id, region_today(tenant, now), days, _OPEN_FOR_REALISATIONS],
    )
    return len(rows)
