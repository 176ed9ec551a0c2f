"""Typed region settings: one declaration per setting (kinerja_saas/regions/settings.py)
gives its default, its check with an Indonesian message naming the field, the audit
trail and the generated GraphQL type and input."""

from __future__ import annotations

from typing import get_args

import pytest
import strawberry
from pydantic import Field
from strawberry.types.base import get_object_definition

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import ValidationFailed
from kinerja_saas.regions.defaults import PREDIKAT
from kinerja_saas.regions.settings import (
    PerformanceSettings,
    Predikat,
    RegionSettings,
    Section,
    changed,
    load,
    setting,
)
from schema.regions.types import generated
from tenants.context import tenant_transaction
from tenants.models import Tenant

# What regions started with before the settings were typed (regions/defaults.py's dict):
# the typed defaults must not move a region's behaviour.
FORMER_DEFAULTS = {
    "performance": {
        "result_rating_method": "REGULATION",
        "result_threshold_above": 110.0,
        "result_threshold_expected": 80.0,
        "achievement_cap": 120.0,
        "low_performer_predikat": ["BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"],
        "low_indicator_floor": 60.0,
        "checkpoint": "QUARTERLY",
        "appeal_window_days": 14,
        "deadline_notice_days": 3,
        "approval_reminder_days": 3,
    },
    "surveys": {"rate_limit_per_ip_per_hour": 30, "suggestion_max_length": 1000,
                "publish_results": False},
    "training": {"annual_jp_entitlement": 20},
}  # fmt: skip


def test_the_predikat_choices_are_the_official_table():
    assert get_args(Predikat) == PREDIKAT


def test_the_defaults_are_the_ones_regions_always_had():
    assert RegionSettings().stored() == FORMER_DEFAULTS
    assert load(None) == RegionSettings() == load({})


def test_stored_values_override_the_defaults_and_unknown_keys_are_ignored():
    settings = load(
        {
            "performance": {"achievement_cap": 150, "gone_setting": 1},
            "surveys": {"publish_results": True},
            "no_such_section": {"x": 1},
        }
    )
    assert settings.performance.achievement_cap == 150.0
    assert settings.performance.result_threshold_above == 110.0  # a default
    assert settings.surveys.publish_results is True
    assert settings.training.annual_jp_entitlement == 20


def test_a_stored_value_no_longer_valid_reads_as_its_default_not_a_crash():
    settings = load({"performance": {"appeal_window_days": 400, "deadline_notice_days": 7}})
    assert settings.performance.appeal_window_days == 14
    assert settings.performance.deadline_notice_days == 7


def test_every_broken_setting_is_reported_at_once_naming_its_field_in_indonesian():
    with pytest.raises(ValidationFailed) as caught:
        changed(
            RegionSettings(),
            {
                "performance": {"achievement_cap": 250, "checkpoint": "WEEKLY"},
                "surveys": {"suggestion_max_length": -1},
                "training": {"annual_jp_entitlement": 500},
            },
        )
    problems = {(e.field, e.code): e.message for e in caught.value.errors}
    assert problems == {
        ("performance.achievementCap", "OUT_OF_RANGE"): (
            "Batas capaian harus di antara 100 dan 200 (%)."
        ),
        ("performance.checkpoint", "INVALID"): (
            "Checkpoint tidak valid; pilih salah satu dari MONTHLY, QUARTERLY atau SEMESTER."
        ),
        ("surveys.suggestionMaxLength", "OUT_OF_RANGE"): (
            "Panjang maksimum saran harus di antara 0 dan 5000 karakter."
        ),
        ("training.annualJpEntitlement", "OUT_OF_RANGE"): (
            "Hak JP tahunan harus di antara 0 dan 200 JP."
        ),
    }


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"result_threshold_above": 70}, "performance.resultThresholdAbove", "NOT_ORDERED"),
        ({"result_threshold_above": 130}, "performance.resultThresholdAbove", "OUT_OF_RANGE"),
        ({"low_performer_predikat": ["KURANG", "BAIK"]}, "performance.lowPerformerPredikat",
         "INVALID"),
        ({"low_performer_predikat": []}, "performance.lowPerformerPredikat", "INVALID"),
        ({"low_performer_predikat": ["JELEK"]}, "performance.lowPerformerPredikat", "INVALID"),
        ({"result_threshold_expected": 0}, "performance.resultThresholdExpected",
         "OUT_OF_RANGE"),
        ({"result_rating_method": "RATA_RATA"}, "performance.resultRatingMethod", "INVALID"),
    ],
)  # fmt: skip
def test_rules_between_settings_and_choices(changes, field, code):
    with pytest.raises(ValidationFailed) as caught:
        changed(RegionSettings(), {"performance": changes})
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]


def test_a_rule_between_two_settings_waits_until_both_pass_their_own_check():
    """The cap out of its range is the one problem, not also 'above the cap'."""
    with pytest.raises(ValidationFailed) as caught:
        changed(RegionSettings(), {"performance": {"achievement_cap": 50}})
    assert [e.field for e in caught.value.errors] == ["performance.achievementCap"]


def test_a_change_keeps_the_values_not_given():
    updated = changed(
        load({"performance": {"achievement_cap": 150}}),
        {"performance": {"appeal_window_days": 30, "checkpoint": None}},
    )
    assert updated.performance.achievement_cap == 150.0
    assert updated.performance.appeal_window_days == 30
    assert updated.performance.checkpoint == "QUARTERLY"


def test_a_new_setting_is_one_declaration_the_api_types_follow():
    """What a helper adding a setting writes: one line in its section. The generated type
    and input carry it, camel-cased, with its description; its range is checked."""

    class ExampleSettings(Section):
        response_days: int = setting(
            5, label="Batas hari tanggapan", description="Days to answer", ge=1, le=60
        )
        lapor_url: str = setting("", label="Tautan SP4N-LAPOR!", max_length=300)

    @strawberry.type
    class Query:
        @strawberry.field(graphql_type=generated(ExampleSettings))
        def settings(self) -> ExampleSettings:
            return ExampleSettings()

    sdl = strawberry.Schema(query=Query, types=[generated(ExampleSettings, input=True)])
    printed = str(sdl)
    assert '"""Days to answer"""\n  responseDays: Int!' in printed
    assert (
        "input ExampleSettingsInput {\n  responseDays: Int = null\n  laporUrl: String = null\n}"
        in printed
    )
    assert sdl.execute_sync("{ settings { responseDays laporUrl } }").data == {
        "settings": {"responseDays": 5, "laporUrl": ""}
    }

    class WithExample(RegionSettings):
        example: ExampleSettings = Field(default_factory=ExampleSettings)

    with pytest.raises(ValidationFailed) as caught:
        changed(WithExample(), {"example": {"response_days": 0, "lapor_url": "x" * 301}})
    assert [(e.field, e.code, e.message) for e in caught.value.errors] == [
        (
            "example.responseDays",
            "OUT_OF_RANGE",
            "Batas hari tanggapan harus di antara 1 dan 60.",
        ),
        (
            "example.laporUrl",
            "TOO_LONG",
            "Tautan SP4N-LAPOR! terlalu panjang: paling banyak 300 karakter.",
        ),
    ]


def test_the_generated_types_cover_every_declared_setting():
    def fields(kind: type) -> set[str]:
        return {f.python_name for f in get_object_definition(kind, strict=True).fields}

    declared = set(PerformanceSettings.model_fields)
    assert fields(generated(PerformanceSettings)) == declared
    assert fields(generated(PerformanceSettings, input=True)) == declared


UPDATE = """mutation($s: RegionSettingsInput!) { updateRegionSettings(input: $s) {
  region { settings { performance { achievementCap appealWindowDays lowPerformerPredikat }
                      surveys { publishResults } training { annualJpEntitlement } } }
  errors { field code message } } }"""


async def test_the_api_reports_every_problem_and_writes_nothing(api, region_a):
    r = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        UPDATE,
        {"s": {"performance": {"achievementCap": 90, "appealWindowDays": 100},
               "training": {"annualJpEntitlement": 10}}},
    )  # fmt: skip
    payload = r.data["updateRegionSettings"]
    assert payload["region"] is None
    assert payload["errors"] == [
        {
            "field": "performance.achievementCap",
            "code": "OUT_OF_RANGE",
            "message": "Batas capaian harus di antara 100 dan 200 (%).",
        },
        {
            "field": "performance.appealWindowDays",
            "code": "OUT_OF_RANGE",
            "message": "Jangka waktu keberatan harus di antara 0 dan 90 hari.",
        },
    ]
    async with tenant_transaction(region_a.id):
        assert (await Tenant.get(id=region_a.id)).settings == {}  # the JP change did not land


async def test_the_api_saves_a_change_with_its_audit_trail(api, region_a, region_b):
    r = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        UPDATE,
        {"s": {"performance": {"lowPerformerPredikat": ["KURANG"]},
               "surveys": {"publishResults": True}}},
    )  # fmt: skip
    settings = r.data["updateRegionSettings"]["region"]["settings"]
    assert settings["performance"] == {
        "achievementCap": 120.0,
        "appealWindowDays": 14,
        "lowPerformerPredikat": ["KURANG"],
    }
    assert settings["surveys"] == {"publishResults": True}
    async with tenant_transaction(region_a.id):
        entry = await AuditEntry.get(tenant_id=region_a.id, action="region.settings")
        assert entry.before["performance.low_performer_predikat"] == [
            "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"
        ]  # fmt: skip
        assert entry.after["performance.low_performer_predikat"] == ["KURANG"]
        assert entry.after["surveys.publish_results"] is True
    async with tenant_transaction(region_b.id):  # the other region keeps its own
        assert (await Tenant.get(id=region_b.id)).settings == {}


async def test_only_a_region_admin_changes_settings(api, region_a):
    r = await api.as_role(
        region_a, Role.SUPERVISOR, UPDATE, {"s": {"training": {"annualJpEntitlement": 30}}}
    )
    assert r.codes == ["FORBIDDEN"]
    async with tenant_transaction(region_a.id):
        assert (await Tenant.get(id=region_a.id)).settings == {}
