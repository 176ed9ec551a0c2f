"""The pure rules of complaints: working days, tracking codes."""

from __future__ import annotations

from datetime import date

import pytest

from kinerja_saas.complaints.rules import (
    TRACKING_ALPHABET,
    add_working_days,
    new_tracking_code,
    normalise_tracking_code,
    show_tracking_code,
)

FRIDAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (FRIDAY, 0, FRIDAY),
        (FRIDAY, 1, date(2026, 12, 7)),  # over the weekend to Monday
        (FRIDAY, 5, date(2026, 12, 11)),  # a working week: the next Friday
        (date(2026, 12, 5), 1, date(2026, 12, 7)),  # received on a Saturday
        (date(2026, 12, 6), 5, date(2026, 12, 11)),  # on a Sunday: Monday is day one
        (date(2026, 12, 7), 5, date(2026, 12, 14)),  # Monday + 5 = next Monday
        (date(2026, 12, 28), 5, date(2027, 1, 4)),  # across the year
    ],
)
def test_working_days_skip_weekends(start, days, expected):
    assert add_working_days(start, days) == expected


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(FRIDAY, -1)


def test_tracking_codes_are_twelve_unambiguous_characters():
    codes = {new_tracking_code() for _ in range(200)}
    assert len(codes) == 200  # 60 random bits: no repeats in 200 draws
    assert all(len(c) == 12 and set(c) <= set(TRACKING_ALPHABET) for c in codes)
    assert not set("IO01") & set(TRACKING_ALPHABET)


def test_a_typed_code_is_normalised_or_refused():
    code = new_tracking_code()
    shown = show_tracking_code(code)
    assert shown.count("-") == 2 and shown.replace("-", "") == code
    for typed in (shown, shown.lower(), f"  {code[:4]} {code[4:8]} {code[8:]} "):
        assert normalise_tracking_code(typed) == code
    for bad in ("", None, code[:11], code + "A", "ABCD-EFGH-IJKL", "' OR 1=1 --"):
        assert normalise_tracking_code(bad) is None
