"""A stored region setting that fails its own check reads as its default (the safe value),
and says so: one WARNING line and one count per region and setting per process, and a
failed `kinerja doctor` check naming the region, the setting, the stored value and the
valid range. The write path never stores such a value (`updateRegionSettings` refuses it)."""

from __future__ import annotations

import pytest

from kinerja_saas import metrics
from kinerja_saas.errors import ValidationFailed
from kinerja_saas.regions import settings as region_settings
from kinerja_saas.regions.settings import RegionSettings, changed, current_settings
from kinerja_saas.runtime.doctor import run_checks
from tenants.context import tenant_transaction
from tests.conftest import update_region

SETTING = "surveys.rate_limit_per_ip_per_hour"


def _count() -> float:
    return metrics.REGION_SETTINGS_OUT_OF_RANGE.labels(SETTING)._value.get()


def test_the_write_path_refuses_the_value_with_a_typed_error():
    with pytest.raises(ValidationFailed) as caught:
        changed(RegionSettings(), {"surveys": {"rate_limit_per_ip_per_hour": 1_000_000}})
    ((field, code),) = [(e.field, e.code) for e in caught.value.errors]
    assert (field, code) == ("surveys.rateLimitPerIpPerHour", "OUT_OF_RANGE")


async def test_an_out_of_range_stored_setting_reads_as_its_default_and_is_announced_once(
    region_a, settings, json_logs
):
    original = dict(region_a.tenant.settings)
    await update_region(
        region_a.id,
        settings={"surveys": {"rate_limit_per_ip_per_hour": 1_000_000, "publish_results": True}},
    )
    region_settings._announced.clear()
    before = _count()
    try:
        for _ in range(3):  # three requests of the region
            async with tenant_transaction(region_a.id):
                read = await current_settings()
            assert read.surveys.rate_limit_per_ip_per_hour == 30  # the safe default
            assert read.surveys.publish_results is True  # the valid neighbour is kept
        (line,) = json_logs.where(event="stored region setting out of range; its default is used")
        assert line["level"] == "warning" and line["logger"] == "kinerja.settings"
        assert line["region_id"] == region_a.id and line["setting"] == SETTING
        assert line["stored"] == "1000000" and line["valid"] == "1..10000"
        assert line["default"] == "30"
        assert _count() == before + 1

        # Another region with the same broken value is announced on its own, once.
        region_settings.load(
            {"surveys": {"rate_limit_per_ip_per_hour": 0}}, region=region_a.id + 10_000
        )
        assert _count() == before + 2

        check = next(c for c in await run_checks(settings) if c.name == "region settings")
        assert check.failed
        assert (
            f"{region_a.tenant.slug}: {SETTING} = 1000000 (valid 1..10000; the default is used)"
            in check.detail
        )
    finally:
        await update_region(region_a.id, settings=original)
    check = next(c for c in await run_checks(settings) if c.name == "region settings")
    assert check.status == "ok", check.detail
