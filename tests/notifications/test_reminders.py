"""The daily reminder of plans waiting too long for approval: written once per region and
day, only when something is overdue, and fanned out to each evaluator with their count."""

from datetime import UTC, datetime, timedelta

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.notifications.reminders import APPROVAL_REMINDER, remind_overdue_approvals
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.performance import plans
from tenants.context import tenant_transaction
from tests.factories import person, plan_results
from tests.notifications.helpers import fan_out, inbox, notified_roles, queue
from tests.workers.test_jobs import drain
from workers.notifications.reminders import schedule_reminders

NOW = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
async def pool(settings, redis):
    pool = await queue(settings)
    yield pool
    await pool.aclose()


async def submitted(region, key: str, owner_conn, days_ago: int) -> None:
    async with tenant_transaction(region.id):
        plan = await plans.save_plan(
            actor=person(region, key), period_id=region.period.id, results=plan_results()
        )
        await plans.submit_plan(actor=person(region, key), plan_id=plan.id)
    await owner_conn.execute(
        "UPDATE plans SET submitted_at = $1 WHERE id = $2", NOW - timedelta(days=days_ago), plan.id
    )


async def remind(region, now: datetime = NOW) -> bool:
    async with tenant_transaction(region.id):
        return await remind_overdue_approvals(now=now)


async def reminders(region) -> list[OutboxEvent]:
    async with tenant_transaction(region.id):
        return await OutboxEvent.filter(topic=APPROVAL_REMINDER).order_by("id")


async def test_evaluators_are_reminded_once_a_day_with_their_count(region_a, owner_conn, pool):
    await submitted(region_a, "staff1", owner_conn, days_ago=4)
    await submitted(region_a, "staff2", owner_conn, days_ago=5)
    assert await remind(region_a) is True
    assert await remind(region_a, NOW + timedelta(hours=5)) is False  # the same day
    (event,) = await reminders(region_a)
    assert event.payload["day"] == "2026-09-01" and event.payload["days"] == 3
    await fan_out(pool, region_a, event)
    assert await notified_roles(region_a, event.id) == {Role.SUPERVISOR}
    (note,) = [n for n in await inbox(region_a, Role.SUPERVISOR) if n.event_id == event.id]
    assert note.title == "2 SKP menunggu persetujuan Anda"
    assert "lebih dari 3 hari" in note.body
    # The next day, still overdue: reminded again.
    assert await remind(region_a, NOW + timedelta(days=1)) is True


async def test_nothing_overdue_writes_nothing(region_a, owner_conn):
    await submitted(region_a, "staff1", owner_conn, days_ago=2)
    assert await remind(region_a) is False
    assert await reminders(region_a) == []


async def test_the_threshold_is_the_regions_setting(api, region_a, owner_conn):
    await submitted(region_a, "staff1", owner_conn, days_ago=2)
    res = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        """mutation($s: RegionSettingsInput!) { updateRegionSettings(input: $s) {
            errors { field code } } }""",
        {"s": {"performance": {"approvalReminderDays": 1}}},
    )
    assert res.data["updateRegionSettings"]["errors"] == []
    assert await remind(region_a) is True
    bad = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        """mutation($s: RegionSettingsInput!) { updateRegionSettings(input: $s) {
            errors { field code } } }""",
        {"s": {"performance": {"approvalReminderDays": 0}}},
    )
    assert bad.data["updateRegionSettings"]["errors"] == [
        {"field": "performance.approvalReminderDays", "code": "OUT_OF_RANGE"}
    ]


async def test_another_regions_overdue_plans_do_not_remind_this_one(region_a, region_b, owner_conn):
    await submitted(region_b, "staff1", owner_conn, days_ago=10)
    assert await remind(region_a) is False
    assert await remind(region_b) is True
    assert await reminders(region_a) == []


async def test_the_daily_cron_runs_one_job_per_active_region(settings, region_a, owner_conn, pool):
    await submitted(region_a, "staff1", owner_conn, days_ago=0)
    await owner_conn.execute(  # overdue by the real clock, as the worker uses it
        "UPDATE plans SET submitted_at = now() - interval '10 days' WHERE tenant_id = $1",
        region_a.id,
    )
    assert await schedule_reminders({"redis": pool}) >= 1
    assert await schedule_reminders({"redis": pool}) >= 1  # a second scheduler: same job ids
    await drain(settings)
    assert len(await reminders(region_a)) == 1
