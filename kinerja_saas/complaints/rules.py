"""Pure rules of complaints: the categories, the tracking code's shape, working days.

Working days are Monday to Friday. National holidays and cuti bersama are not known to
the platform: a due day that falls on one is a day early (docs/complaints.md)."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

# Category code -> what the public form shows.
CATEGORIES: dict[str, str] = {
    "PROSEDUR": "Prosedur dan persyaratan",
    "WAKTU": "Waktu pelayanan",
    "BIAYA": "Biaya atau pungutan",
    "PETUGAS": "Perilaku petugas",
    "SARANA": "Sarana dan prasarana",
    "LAINNYA": "Lainnya",
}

STATUS_LABELS: dict[str, str] = {
    "BARU": "Sedang ditangani",
    "DIJAWAB": "Sudah dijawab",
}

# 32 letters and digits without the look-alikes I, O, 0 and 1: 12 of them are 60 random
# bits, so guessing a live code at the lookup's rate limit is hopeless (docs/complaints.md).
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TRACKING_LENGTH = 12
_TRACKING_SHAPE = re.compile(f"[{TRACKING_ALPHABET}]{{{TRACKING_LENGTH}}}")
CONTACT_MAX = 200
ANSWER_MAX = 5000


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalise_tracking_code(text: str | None) -> str | None:
    """What a citizen types (any case, spaces or dashes between the groups) to the stored
    code; None when it cannot be one."""
    cleaned = re.sub(r"[\s-]", "", text or "").upper()
    return cleaned if _TRACKING_SHAPE.fullmatch(cleaned) else None


def show_tracking_code(code: str) -> str:
    """In groups of four, as the citizen is asked to write it down: ABCD-EFGH-JKLM."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day (Monday to Friday) after `start`."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    left = days
    while left:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current
