"""Words and numbers of texts that reach ASN and the public, in Bahasa Indonesia: one list of
month names for checkpoint labels, notification texts, the survey page and SQL-built texts, and
the one way numbers are written in them (decimal comma)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip

# The same names as a PostgreSQL array literal, for texts the database builds.
SQL_MONTHS = "ARRAY[" + ",".join(f"'{m}'" for m in MONTHS) + "]"


def long_date(day: date) -> str:
    """3 Juni 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


# --- numbers in texts a person reads ---------------------------------------------------------
# Bahasa Indonesia writes 74,49 (decimal comma) and 100.000.000 (thousands point). Every number
# formatted into a message, notification, e-mail or page goes through `number`.

_GROUP_FROM = 10_000  # 2026 stays 2026 (years, small counts); 100000 becomes 100.000


def number(value: int | float | Decimal | str, *, places: int | None = None) -> str:
    """74.49 -> '74,49'; 100000000 -> '100.000.000'; Decimal('80.50') -> '80,5'.

    `places` fixes the decimals (rounded half up, zeros kept: places=2 gives '80,50');
    without it a fraction keeps up to 4 decimals, trailing zeros dropped."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number to format")
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    if not amount.is_finite():
        return str(value)
    digits = places if places is not None else 4
    amount = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    negative = amount < 0
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    if places is None:
        fraction = fraction.rstrip("0")
    if abs(amount) >= _GROUP_FROM:
        whole = f"{int(whole):,}".replace(",", ".")
    text = whole + ("," + fraction if fraction else "")
    return ("-" if negative and text.strip("0,.") else "") + text


def percent(value: int | float | Decimal, *, places: int | None = None) -> str:
    """74.49 -> '74,49%'."""
    return number(value, places=places) + "%"


def listing(items, *, last: str = "dan") -> str:
    """['a', 'b', 'c'] -> 'a, b dan c' (last='atau': 'a, b atau c')."""
    words = [
        number(i) if isinstance(i, int | float | Decimal) and not isinstance(i, bool) else str(i)
        for i in items
    ]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]
