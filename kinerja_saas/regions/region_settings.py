"""Per-region settings: merging a change into the current settings and validating the
result. Pure functions; thresholds must stay ordered and percentages in range."""

from __future__ import annotations

import copy
from typing import Any

from kinerja_saas.errors import CommonError, ErrorCode, FieldError
from kinerja_saas.regions.defaults import (
    CHECKPOINTS,
    DEFAULT_SETTINGS,
    PREDIKAT,
    RESULT_RATING_METHODS,
)
from kinerja_saas.regions.errors import RegionError


def with_defaults(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The stored settings over the defaults, so new settings reach old regions."""
    merged = copy.deepcopy(DEFAULT_SETTINGS)
    for section, values in (stored or {}).items():
        if isinstance(values, dict) and section in merged:
            merged[section].update(values)
    return merged


def apply_changes(current: dict[str, Any], changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged = copy.deepcopy(current)
    for section, values in changes.items():
        merged.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    return merged


OUT_OF_RANGE = CommonError.OUT_OF_RANGE


def settings_problems(settings: dict[str, Any]) -> list[FieldError]:
    problems: list[FieldError] = []

    def bad(field: str, error: ErrorCode, **params: Any) -> None:
        problems.append(FieldError.of(field, error, **params))

    perf = settings["performance"]
    above, expected, cap = (
        perf["result_threshold_above"],
        perf["result_threshold_expected"],
        perf["achievement_cap"],
    )
    if not 0 < expected <= 100:
        bad("performance.resultThresholdExpected", OUT_OF_RANGE, min=0, max=100, unit="(%)")
    if not expected < above:
        bad("performance.resultThresholdAbove", RegionError.NOT_ORDERED)
    if not 100 <= cap <= 200:
        bad("performance.achievementCap", OUT_OF_RANGE, min=100, max=200, unit="(%)")
    elif above > cap:
        bad("performance.resultThresholdAbove", RegionError.ABOVE_CAP, cap=cap)
    predikat = perf["low_performer_predikat"]
    if not predikat or any(p not in PREDIKAT for p in predikat):
        bad("performance.lowPerformerPredikat", CommonError.INVALID, values=list(PREDIKAT))
    elif "SANGAT_BAIK" in predikat or "BAIK" in predikat:
        bad("performance.lowPerformerPredikat", RegionError.LOW_PERFORMER_PREDIKAT)
    if not 0 <= perf["low_indicator_floor"] <= 100:
        bad("performance.lowIndicatorFloor", OUT_OF_RANGE, min=0, max=100, unit="(%)")
    if perf["result_rating_method"] not in RESULT_RATING_METHODS:
        bad(
            "performance.resultRatingMethod",
            CommonError.INVALID,
            values=list(RESULT_RATING_METHODS),
        )
    if perf["checkpoint"] not in CHECKPOINTS:
        bad("performance.checkpoint", CommonError.INVALID, values=list(CHECKPOINTS))
    if not 0 <= perf["appeal_window_days"] <= 90:
        bad("performance.appealWindowDays", OUT_OF_RANGE, min=0, max=90, unit="hari")
    if not 1 <= perf["deadline_notice_days"] <= 30:
        bad("performance.deadlineNoticeDays", OUT_OF_RANGE, min=1, max=30, unit="hari")
    if not 1 <= perf["approval_reminder_days"] <= 30:
        bad("performance.approvalReminderDays", OUT_OF_RANGE, min=1, max=30, unit="hari")
    surveys = settings["surveys"]
    if not 1 <= surveys["rate_limit_per_ip_per_hour"] <= 10_000:
        bad("surveys.rateLimitPerIpPerHour", OUT_OF_RANGE, min=1, max=10_000)
    if not 0 <= surveys["suggestion_max_length"] <= 5000:
        bad("surveys.suggestionMaxLength", OUT_OF_RANGE, min=0, max=5000, unit="karakter")
    if not 0 <= settings["training"]["annual_jp_entitlement"] <= 200:
        bad("training.annualJpEntitlement", OUT_OF_RANGE, min=0, max=200, unit="JP")
    return problems
