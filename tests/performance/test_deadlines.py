""" "Checkpoint deadline near": announced once per checkpoint and deadline, in the region's
own time zone, for periods open for realisations, by an hourly cron through real arq jobs."""

from datetime import UTC, date, datetime, timedelta

import pytest
from arq.connections import create_pool
from arq.jobs import Job, JobStatus

from kinerja_saas.auth.roles import Role
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.performance import service as periods
from kinerja_saas.performance.deadlines import (
    DEADLINE_NEAR,
    announce_near_deadlines,
    region_today,
)
from kinerja_saas.performance.models import Checkpoint, PeriodStatus
from tenants.context import tenant_transaction
from tenants.models import RegionStatus, RegionTimezone, Tenant
from tests.conftest import update_region
from tests.factories import advance, person
from tests.workers.test_jobs import drain
from workers.performance import schedule_deadline_notices
from workers.queue import redis_settings

YEAR = date.today().year
# 1 June, 10:00 WIB: the fixture's quarterly deadlines (10 days after each quarter) are far.
NOW = datetime(YEAR, 6, 1, 3, 0, tzinfo=UTC)


async def set_deadlines(owner_conn, region, deadlines: dict[int, date]) -> None:
    """Checkpoint number → deadline, written as the owner (no workflow rule in the way)."""
    for number, deadline in deadlines.items():
        await owner_conn.execute(
            "UPDATE checkpoints SET deadline = $1 WHERE tenant_id = $2 AND period_id = $3"
            " AND number = $4",
            deadline,
            region.id,
            region.period.id,
            number,
        )


async def announce(region, now: datetime = NOW) -> int:
    async with tenant_transaction(region.id):
        return await announce_near_deadlines(now=now)


async def announced(region) -> list[dict]:
    async with tenant_transaction(region.id):
        events = await OutboxEvent.filter(topic=DEADLINE_NEAR).order_by("id")
    return [e.payload for e in events]


async def checkpoint(region, number: int) -> Checkpoint:
    async with tenant_transaction(region.id):
        return await Checkpoint.get(period_id=region.period.id, number=number)


async def test_a_near_deadline_is_announced_once_and_again_when_moved(region_a, owner_conn):
    await advance(region_a, PeriodStatus.ACTIVE)
    await set_deadlines(owner_conn, region_a, {2: date(YEAR, 6, 3)})  # 2 days ahead

    assert await announce(region_a) == 1
    assert await announce(region_a) == 0  # the next hourly run
    second = await checkpoint(region_a, 2)
    assert await announced(region_a) == [
        {
            "period_id": region_a.period.id,
            "year": YEAR,
            "checkpoint_id": second.id,
            "number": 2,
            "label": f"Triwulan II {YEAR}",
            "ends_on": f"{YEAR}-06-30",
            "deadline": f"{YEAR}-06-03",
            "days_left": 2,
        }
    ]
    assert second.deadline_notice_for == date(YEAR, 6, 3)

    # The admin moves the deadline: the new one is announced in its turn.
    admin = person(region_a, "head", Role.REGION_ADMIN)
    async with tenant_transaction(region_a.id):
        await periods.set_checkpoint_deadline(
            actor=admin, checkpoint_id=second.id, deadline=date(YEAR, 6, 4)
        )
    assert await announce(region_a) == 1
    payloads = await announced(region_a)
    assert [(p["deadline"], p["days_left"]) for p in payloads] == [
        (f"{YEAR}-06-03", 2),
        (f"{YEAR}-06-04", 3),
    ]


@pytest.mark.parametrize(
    ("deadline", "announced_count"),
    [
        (date(YEAR, 6, 1), 1),  # due today
        (date(YEAR, 6, 4), 1),  # the last day of the default 3-day window
        (date(YEAR, 6, 5), 0),  # not yet
        (date(YEAR, 5, 31), 0),  # already passed: too late to remind
    ],
)
async def test_the_notice_window(region_a, owner_conn, deadline, announced_count):
    await advance(region_a, PeriodStatus.ACTIVE)
    await set_deadlines(owner_conn, region_a, {2: deadline})
    assert await announce(region_a) == announced_count


async def test_the_window_follows_the_region_setting(region_a, owner_conn):
    await advance(region_a, PeriodStatus.ACTIVE)
    await update_region(region_a.id, settings={"performance": {"deadline_notice_days": 7}})
    await set_deadlines(owner_conn, region_a, {2: date(YEAR, 6, 8)})
    assert await announce(region_a) == 1


@pytest.mark.parametrize(
    ("status", "announced_count"),
    [
        (PeriodStatus.PLANNING, 0),  # no realisations yet
        (PeriodStatus.EVALUATING, 1),  # the last checkpoint's realisations still come in
        (PeriodStatus.CLOSED, 0),
    ],
)
async def test_only_periods_open_for_realisations(region_a, owner_conn, status, announced_count):
    if status is not PeriodStatus.PLANNING:
        await owner_conn.execute(
            "UPDATE periods SET status = $1 WHERE id = $2", status.value, region_a.period.id
        )
    await set_deadlines(owner_conn, region_a, {2: date(YEAR, 6, 3)})
    assert await announce(region_a) == announced_count


async def test_today_is_the_regions_own_day(region_a, owner_conn):
    """16:30 UTC on 31 May is still 31 May in Jakarta but already 1 June in Jayapura."""
    evening = datetime(YEAR, 5, 31, 16, 30, tzinfo=UTC)
    await advance(region_a, PeriodStatus.ACTIVE)
    await set_deadlines(owner_conn, region_a, {2: date(YEAR, 6, 4)})
    assert await announce(region_a, evening) == 0  # WIB: 31 May + 3 days < 4 June
    await owner_conn.execute(
        "UPDATE tenants SET timezone = $1 WHERE id = $2", RegionTimezone.WIT.value, region_a.id
    )
    assert await announce(region_a, evening) == 1
    assert (await announced(region_a))[0]["days_left"] == 3


async def test_deadline_notice_days_setting_is_validated(api, region_a):
    res = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        """mutation($s: RegionSettingsInput!) { updateRegionSettings(input: $s) {
            region { settings { performance { deadlineNoticeDays } } }
            errors { field code } } }""",
        {"s": {"performance": {"deadlineNoticeDays": 0}}},
    )
    assert res.data["updateRegionSettings"]["errors"] == [
        {"field": "performance.deadlineNoticeDays", "code": "OUT_OF_RANGE"}
    ]
    tenant = await Tenant.get(id=region_a.id)
    assert "deadline_notice_days" not in tenant.settings.get("performance", {})


async def test_announcing_for_one_region_leaves_another_untouched(region_a, region_b, owner_conn):
    for region in (region_a, region_b):
        await advance(region, PeriodStatus.ACTIVE)
        await set_deadlines(owner_conn, region, {2: date(YEAR, 6, 3)})
    assert await announce(region_a) == 1
    assert await announced(region_b) == []
    assert (await checkpoint(region_b, 2)).deadline_notice_for is None
    rows = await owner_conn.fetch(
        "SELECT tenant_id FROM outbox_events WHERE topic = $1 AND tenant_id = ANY($2::bigint[])",
        DEADLINE_NEAR,
        [region_a.id, region_b.id],
    )
    assert [r["tenant_id"] for r in rows] == [region_a.id]


async def test_the_hourly_cron_runs_one_job_per_active_region(
    settings, redis, region_a, region_b, owner_conn
):
    """Deadlines relative to the real clock, as the worker runs with it."""
    for region in (region_a, region_b):
        await advance(region, PeriodStatus.ACTIVE)
        tenant = await Tenant.get(id=region.id)
        today = region_today(tenant)
        far = today + timedelta(days=20)
        await set_deadlines(
            owner_conn, region, {1: far, 2: today + timedelta(days=1), 3: far, 4: far}
        )
    await update_region(region_b.id, status=RegionStatus.SUSPENDED)

    pool = await create_pool(redis_settings(settings))
    try:
        now = datetime.now(UTC)
        await schedule_deadline_notices({"redis": pool}, now=now)
        await schedule_deadline_notices({"redis": pool}, now=now)  # a second scheduler
        hour = now.strftime("%Y%m%d%H")
        job_a = Job(f"announce_deadlines:{region_a.id}:{hour}", pool)
        assert await job_a.status() is JobStatus.queued
        assert (
            await Job(f"announce_deadlines:{region_b.id}:{hour}", pool).status()
            is JobStatus.not_found
        )
        await drain(settings)
        assert await job_a.result(timeout=5) == 1
    finally:
        await pool.aclose()
    assert [p["number"] for p in await announced(region_a)] == [2]
    assert not await owner_conn.fetchval(  # suspended: read as the owner
        "SELECT count(*) FROM outbox_events WHERE tenant_id = $1 AND topic = $2",
        region_b.id,
        DEADLINE_NEAR,
    )
