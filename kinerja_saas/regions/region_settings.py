"""Per-region settings: merging a change into the current settings and validating the
result. Pure functions; thresholds must stay ordered and percentages in range."""

from __future__ import annotations

import copy
from typing import Any

from kinerja_saas.errors import FieldError
from kinerja_saas.regions.defaults import (
    CHECKPOINTS,
    DEFAULT_SETTINGS,
    PREDIKAT,
    RESULT_RATING_METHODS,
)


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


def settings_problems(settings: dict[str, Any]) -> list[FieldError]:
    problems: list[FieldError] = []

    def bad(field: str, code: str, message: str) -> None:
        problems.append(FieldError(field, code, message))

    perf = settings["performance"]
    above, expected, cap = (
        perf["result_threshold_above"],
        perf["result_threshold_expected"],
        perf["achievement_cap"],
    )
    if not 0 < expected <= 100:
        bad(
            "performance.resultThresholdExpected",
            "OUT_OF_RANGE",
            "Must be above 0 and at most 100 (%).",
        )
    if not expected < above:
        bad(
            "performance.resultThresholdAbove",
            "NOT_ORDERED",
            "The 'above expectation' threshold must be higher than the 'as expected' one.",
        )
    if not 100 <= cap <= 200:
        bad("performance.achievementCap", "OUT_OF_RANGE", "Must be between 100 and 200 (%).")
    elif above > cap:
        bad(
            "performance.resultThresholdAbove",
            "OUT_OF_RANGE",
            "Cannot be above the achievement cap, or nobody could reach it.",
        )
    predikat = perf["low_performer_predikat"]
    if not predikat or any(p not in PREDIKAT for p in predikat):
        bad(
            "performance.lowPerformerPredikat",
            "INVALID",
            f"Choose one or more of {', '.join(PREDIKAT)}.",
        )
    elif "SANGAT_BAIK" in predikat or "BAIK" in predikat:
        bad(
            "performance.lowPerformerPredikat",
            "INVALID",
            "SANGAT_BAIK and BAIK cannot mark a low performer.",
        )
    if not 0 <= perf["low_indicator_floor"] <= 100:
        bad("performance.lowIndicatorFloor", "OUT_OF_RANGE", "Must be between 0 and 100 (%).")
    if perf["result_rating_method"] not in RESULT_RATING_METHODS:
        bad(
            "performance.resultRatingMethod",
            "INVALID",
            f"Choose one of {', '.join(RESULT_RATING_METHODS)}.",
        )
    if perf["checkpoint"] not in CHECKPOINTS:
        bad("performance.checkpoint", "INVALID", f"Choose one of {', '.join(CHECKPOINTS)}.")
    if not 0 <= perf["appeal_window_days"] <= 90:
        bad("performance.appealWindowDays", "OUT_OF_RANGE", "Must be between 0 and 90 days.")
    if not 1 <= perf["deadline_notice_days"] <= 30:
        bad("performance.deadlineNoticeDays", "OUT_OF_RANGE", "Must be between 1 and 30 days.")
    if not 1 <= perf["approval_reminder_days"] <= 30:
        bad("performance.approvalReminderDays", "OUT_OF_RANGE", "Must be between 1 and 30 days.")
    surveys = settings["surveys"]
    if not 1 <= surveys["rate_limit_per_ip_per_hour"] <= 10_000:
        bad("surveys.rateLimitPerIpPerHour", "OUT_OF_RANGE", "Must be between 1 and 10000.")
    if not 0 <= surveys["suggestion_max_length"] <= 5000:
        bad("surveys.suggestionMaxLength", "OUT_OF_RANGE", "Must be between 0 and 5000.")
    if not 0 <= settings["training"]["annual_jp_entitlement"] <= 200:
        bad("training.annualJpEntitlement", "OUT_OF_RANGE", "Must be between 0 and 200 JP.")
    complaints = settings["complaints"]
    if not 1 <= complaints["answer_due_working_days"] <= 60:
        bad(
            "complaints.answerDueWorkingDays",
            "OUT_OF_RANGE",
            "Harus antara 1 dan 60 hari kerja.",
        )
    if not 1 <= complaints["escalate_after_working_days"] <= 60:
        bad(
            "complaints.escalateAfterWorkingDays",
            "OUT_OF_RANGE",
            "Harus antara 1 dan 60 hari kerja.",
        )
    if not 100 <= complaints["text_max_length"] <= 5000:
        bad("complaints.textMaxLength", "OUT_OF_RANGE", "Harus antara 100 dan 5000 karakter.")
    if not 1 <= complaints["rate_limit_per_ip_per_hour"] <= 1000:
        bad("complaints.rateLimitPerIpPerHour", "OUT_OF_RANGE", "Harus antara 1 dan 1000.")
    url = complaints["lapor_url"]
    if url and not _is_lapor_link(url):
        bad(
            "complaints.laporUrl",
            "INVALID",
            "Tautan SP4N-LAPOR! harus berupa alamat https:// (paling banyak 300 karakter), "
            "atau kosong.",
        )
    return problems


def _is_lapor_link(url: str) -> bool:
    """An https address with a host and nothing a page could misuse (no spaces, quotes or
    angle brackets): it is shown as a link on the public complaint page."""
    return (
        len(url) <= 300
        and url.startswith("https://")
        and len(url) > len("https://")
        and not any(c in url for c in " \t\n\r\"'<>`")
    )
