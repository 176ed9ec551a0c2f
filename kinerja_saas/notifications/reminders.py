"""Daily reminders that are not caused by a change: plans waiting for approval too long.

One statement per region writes the reminder event only when some plan is overdue and no
reminder was written for the region's day yet, so a repeated or concurrent run adds
nothing; the fan-out then finds each evaluator's overdue plans (kind APPROVAL_OVERDUE)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import connections

from kinerja_saas.notifications.events import APPROVAL_REMINDER
from kinerja_saas.outbox.service import insert_events_sql
from kinerja_saas.outbox.topics import sql_literal
from kinerja_saas.performance.deadlines import region_today
from kinerja_saas.regions.region_settings import with_defaults
from tenants.context import current_tenant_id
from tenants.models import Tenant

_REMIND_SQL = insert_events_sql(
    APPROVAL_REMINDER,
    payload_sql="jsonb_build_object('day', $2::text, 'days', $3::int, 'before', $4::timestamptz)",
    tail_sql=f"""
WHERE EXISTS (
    SELECT 1 FROM plans p
    WHERE p.tenant_id = $1 AND p.status = 'SUBMITTED' AND p.submitted_at < $4::timestamptz
) AND NOT EXISTS (
    SELECT 1 FROM outbox_events o
    WHERE o.tenant_id = $1 AND o.topic = {sql_literal(APPROVAL_REMINDER)}
        AND o.payload->>'day' = $2::text
)""",
    returning="id",
)


async def remind_overdue_approvals(*, now: datetime | None = None) -> bool:
    """In the current region's transaction; True when a reminder was written."""
    now = now or datetime.now(UTC)
    tenant = await Tenant.get(id=current_tenant_id())
    days = with_defaults(tenant.settings)["performance"]["approval_reminder_days"]
    rows = await connections.get("default").execute_query_dict(
        _REMIND_SQL,
        [tenant.id, region_today(tenant, now).isoformat(), days, now - timedelta(days=days)],
    )
    return bool(rows)
