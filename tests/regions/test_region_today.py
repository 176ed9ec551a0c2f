"""The test harness's today is the region's own (tests/conftest.py): from 17:00 UTC Jakarta is
a day ahead of the machine's UTC date, and the platform counts a region's days in its zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kinerja_saas.performance.deadlines import region_today
from tenants.context import tenant_transaction
from tenants.models import Tenant
from tests.conftest import update_region


def _dates_in(zone: str) -> set:
    """The zone's date now and a minute ago (a fixture may have been built just before)."""
    now = datetime.now(UTC)
    return {(now - timedelta(minutes=m)).astimezone(ZoneInfo(zone)).date() for m in (0, 1)}


def test_the_today_fixture_is_the_date_in_jakarta(today, region_a):
    assert today in _dates_in("Asia/Jakarta")
    assert region_a.today == region_today(region_a.tenant)  # the platform's own reckoning


async def test_a_region_in_another_zone_has_its_own_today(region_b):
    await update_region(region_b.id, timezone="Asia/Jayapura")
    async with tenant_transaction(region_b.id):
        region_b.tenant = await Tenant.get(id=region_b.id)
    assert region_b.today in _dates_in("Asia/Jayapura")
