"""Calendar words and numbers of texts that reach ASN and the public, in Bahasa Indonesia:
one list of month names for checkpoint labels, notification texts, the survey page and
SQL-built texts, and numbers with a decimal comma."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip

# The same names as a PostgreSQL array literal, for texts the database builds.
SQL_MONTHS = "ARRAY[" + ",".join(f"'{m}'" for m in MONTHS) + "]"


def long_date(day: date) -> str:
    """3 Juni 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def decimal_comma(value: Decimal | int | str) -> str:
    """A number as texts in Bahasa Indonesia print it: 2.50 -> '2,5'; 100.00 -> '100';
    1234.5 -> '1234,5' (no thousands separator)."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text.replace(".", ",")
