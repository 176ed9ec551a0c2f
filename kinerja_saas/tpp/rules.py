"""The TPP rules: pure functions, no I/O.

A month's TPP of one employee, with the rule set in force for the month (`RuleSet`):

    performance_full = base × weight_performance %
    performance_part = performance_full × (percentage of the employee's predikat) %
    discipline_full  = base × weight_discipline %
    deduction %      = min(100, days absent × absent_day % + Σ TLn × tln % + Σ PSWn × pswn %
                               + Σ days of leave type t × rate of t %)  -- of the discipline part
    discipline_part  = discipline_full × (100 − deduction %) %
    total            = max(0, performance_part + discipline_part + incentives − reductions)

Amounts are whole rupiah. Every figure is computed exactly (numeric) and rounded half up
to the rupiah once, at the end of its own computation: performance_part and discipline_part
from the exact base × percentages (never from rounded intermediate figures); the total is
the sum of those two rounded parts and the (integer) adjustments, so the parts a person
reads add up to the total. The deductions shown one by one (and the leave deduction of
each leave type) are informative, each rounded on its own (their sum can differ from
full − part by a rupiah, and the cap at 100 % is applied to the sum).

The percentages per predikat and the deductions are the region's (they differ between
regions' Perkada); `DEFAULTS` are only a starting point a region admin edits.
The `compute_sql` of `queries.py` is the same computation in SQL; a test compares both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from kinerja_saas.errors import FieldError
from kinerja_saas.indonesian import MONTHS
from kinerja_saas.tpp.errors import TppError, field_error

PREDIKATS = ("SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")
NOT_RATED = "BELUM_DINILAI"  # no finalised evaluation in the month's period
BANDS = ("tl1", "tl2", "tl3", "tl4", "psw1", "psw2", "psw3", "psw4")
# The leave types of PP 11/2017 (Manajemen PNS) art. 310, unchanged by PP 17/2020: each is
# a rule (% of the discipline part per day), an attendance column (days) and a deduction.
LEAVE_TYPES = (
    "cuti_tahunan",
    "cuti_besar",
    "cuti_sakit",
    "cuti_melahirkan",
    "cuti_alasan_penting",
    "cuti_bersama",
    "cuti_cltn",
)
LEAVE_LABELS = {
    "cuti_tahunan": "Cuti tahunan",
    "cuti_besar": "Cuti besar",
    "cuti_sakit": "Cuti sakit",
    "cuti_melahirkan": "Cuti melahirkan",
    "cuti_alasan_penting": "Cuti karena alasan penting",
    "cuti_bersama": "Cuti bersama",
    "cuti_cltn": "Cuti di luar tanggungan negara",
}
MAX_AMOUNT = 1_000_000_000  # one billion rupiah: past any TPP, below bigint trouble


@dataclass(frozen=True)
class RuleSet:
    """Percentages (0–100, two decimals). Deductions are of the discipline part."""

    weight_performance: Decimal = Decimal("60")
    weight_discipline: Decimal = Decimal("40")
    pct_sangat_baik: Decimal = Decimal("100")
    pct_baik: Decimal = Decimal("100")
    pct_butuh_perbaikan: Decimal = Decimal("75")
    pct_kurang: Decimal = Decimal("50")
    pct_sangat_kurang: Decimal = Decimal("25")
    pct_belum_dinilai: Decimal = Decimal("0")
    absent_day: Decimal = Decimal("2.5")
    tl1: Decimal = Decimal("0.5")
    tl2: Decimal = Decimal("1")
    tl3: Decimal = Decimal("1.25")
    tl4: Decimal = Decimal("1.5")
    psw1: Decimal = Decimal("0.5")
    psw2: Decimal = Decimal("1")
    psw3: Decimal = Decimal("1.25")
    psw4: Decimal = Decimal("1.5")
    # Per day of each leave type: 0 unless the region's Perkada deducts it (docs/tpp.md).
    cuti_tahunan: Decimal = Decimal("0")
    cuti_besar: Decimal = Decimal("0")
    cuti_sakit: Decimal = Decimal("0")
    cuti_melahirkan: Decimal = Decimal("0")
    cuti_alasan_penting: Decimal = Decimal("0")
    cuti_bersama: Decimal = Decimal("0")
    cuti_cltn: Decimal = Decimal("0")

    def pct_of(self, predikat: str) -> Decimal:
        return getattr(self, f"pct_{predikat.lower()}")


DEFAULTS = RuleSet()
RULE_FIELDS = tuple(f.name for f in fields(RuleSet))

# What people read for each field in error messages.
LABELS = {
    "weight_performance": "Bobot kinerja",
    "weight_discipline": "Bobot disiplin",
    "pct_sangat_baik": "Persentase predikat Sangat Baik",
    "pct_baik": "Persentase predikat Baik",
    "pct_butuh_perbaikan": "Persentase predikat Butuh Perbaikan",
    "pct_kurang": "Persentase predikat Kurang",
    "pct_sangat_kurang": "Persentase predikat Sangat Kurang",
    "pct_belum_dinilai": "Persentase bila belum dinilai",
    "absent_day": "Potongan per hari tanpa keterangan",
    **{b: f"Potongan {b.upper()}" for b in BANDS},
    **{t: f"Potongan per hari {label.lower()}" for t, label in LEAVE_LABELS.items()},
}


def api_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def validate_rule_set(values: RuleSet) -> list[FieldError]:
    """Each field 0–100 with at most two decimals; weights add up to 100."""
    problems: list[FieldError] = []
    for name in RULE_FIELDS:
        value: Decimal = getattr(values, name)
        if (
            not value.is_finite()
            or value < 0
            or value > 100
            or value != value.quantize(Decimal("0.01"))
        ):
            problems.append(
                field_error(
                    api_name(name), TppError.OUT_OF_RANGE, label=LABELS[name], low="0", high="100"
                )
            )
    if not problems and values.weight_performance + values.weight_discipline != 100:
        problems.append(
            field_error(
                "weightDiscipline",
                TppError.WEIGHTS_NOT_100,
                total=decimal_comma(values.weight_performance + values.weight_discipline),
            )
        )
    return problems


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str, field: str = "month") -> date | FieldError:
    """'2026-03' -> 2026-03-01."""
    match = _MONTH.fullmatch(value.strip())
    label = "Bulan"
    if not match:
        return field_error(field, TppError.INVALID_MONTH, label=label)
    year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return field_error(field, TppError.INVALID_MONTH, label=label)
    return date(year, month, 1)


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_label(month: date) -> str:
    """Maret 2026."""
    return f"{MONTHS[month.month - 1]} {month.year}"


def decimal_comma(value: Decimal | int) -> str:
    """2.50 -> '2,5'; 100.00 -> '100'."""
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


def rupiah(amount: int) -> str:
    """1234567 -> 'Rp1.234.567' (negative: '-Rp1.234')."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def round_rupiah(value: Decimal) -> int:
    """Half up to the whole rupiah (amounts here are never negative)."""
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Attendance:
    absent_days: int = 0
    tl1: int = 0
    tl2: int = 0
    tl3: int = 0
    tl4: int = 0
    psw1: int = 0
    psw2: int = 0
    psw3: int = 0
    psw4: int = 0
    cuti_tahunan: int = 0
    cuti_besar: int = 0
    cuti_sakit: int = 0
    cuti_melahirkan: int = 0
    cuti_alasan_penting: int = 0
    cuti_bersama: int = 0
    cuti_cltn: int = 0


@dataclass(frozen=True)
class Computation:
    base: int
    predikat: str
    performance_pct: Decimal
    performance_full: int
    performance_part: int
    discipline_full: int
    absent_deduction: int
    late_deduction: int
    early_deduction: int
    leave_deduction: int  # all leave types together
    leave_deductions: tuple[int, ...]  # per leave type, in LEAVE_TYPES order
    deduction_pct: Decimal
    discipline_part: int
    incentive: int
    reduction: int
    total: int


def compute(
    rules: RuleSet,
    *,
    base: int,
    predikat: str | None,
    attendance: Attendance,
    incentive: int = 0,
    reduction: int = 0,
) -> Computation:
    predikat = predikat or NOT_RATED
    pct = rules.pct_of(predikat)
    hundred = Decimal(100)
    perf_full = base * rules.weight_performance / hundred
    disc_full = base * rules.weight_discipline / hundred
    a = attendance
    absent = a.absent_days * rules.absent_day
    late = a.tl1 * rules.tl1 + a.tl2 * rules.tl2 + a.tl3 * rules.tl3 + a.tl4 * rules.tl4
    early = a.psw1 * rules.psw1 + a.psw2 * rules.psw2 + a.psw3 * rules.psw3 + a.psw4 * rules.psw4
    per_type = [getattr(a, t) * getattr(rules, t) for t in LEAVE_TYPES]
    leave = sum(per_type, Decimal(0))
    deduction = min(hundred, absent + late + early + leave)
    performance_part = round_rupiah(perf_full * pct / hundred)
    discipline_part = round_rupiah(disc_full * (hundred - deduction) / hundred)
    return Computation(
        base=base,
        predikat=predikat,
        performance_pct=pct,
        performance_full=round_rupiah(perf_full),
        performance_part=performance_part,
        discipline_full=round_rupiah(disc_full),
        absent_deduction=round_rupiah(disc_full * absent / hundred),
        late_deduction=round_rupiah(disc_full * late / hundred),
        early_deduction=round_rupiah(disc_full * early / hundred),
        leave_deduction=round_rupiah(disc_full * leave / hundred),
        leave_deductions=tuple(round_rupiah(disc_full * d / hundred) for d in per_type),
        deduction_pct=deduction,
        discipline_part=discipline_part,
        incentive=incentive,
        reduction=reduction,
        total=max(0, performance_part + discipline_part + incentive - reduction),
    )


def parse_decimal(text: str) -> Decimal | None:
    """'2,5' or '2.5' -> Decimal('2.5'); None when it is no number."""
    cleaned = text.strip().replace(" ", "").replace("%", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"-?\d{1,6}(\.\d{1,6})?", cleaned):
        return None
    return Decimal(cleaned)
