"""The SKM/IKM rules of PermenPANRB 14/2017, pure (no I/O).

NRR per element = mean answer (1–4); IKM = Σ NRR × 1/9; converted IKM = IKM × 25, rounded
half up to 2 decimals, and its quality band: A Sangat Baik 88.31–100.00, B Baik 76.61–88.30,
C Kurang Baik 65.00–76.60, D Tidak Baik 25.00–64.99. Exact arithmetic (Fraction) until the
one rounding, so the same answers give the same band here and in the SQL aggregation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TypeGuard

ELEMENT_COUNT = 9
ANSWER_MIN, ANSWER_MAX = 1, 4
CONVERSION = 25
ELEMENT_WEIGHT = Fraction(1, ELEMENT_COUNT)

# The profile a respondent may give (all optional), with the allowed values.
PROFILE_FIELDS: dict[str, tuple[str, ...]] = {
    "age_band": ("UNDER_20", "20_29", "30_39", "40_49", "50_59", "60_PLUS"),
    "gender": ("LAKI_LAKI", "PEREMPUAN"),
    "education": ("SD", "SMP", "SMA", "D1_D3", "D4_S1", "S2_PLUS"),
    "occupation": ("PNS", "TNI_POLRI", "PEGAWAI_SWASTA", "WIRAUSAHA", "PELAJAR", "LAINNYA"),
}
PROFILE_DIMENSIONS = {field: field.upper() for field in PROFILE_FIELDS}  # age_band -> AGE_BAND


@dataclass(frozen=True)
class Band:
    grade: str
    label: str
    low: Decimal  # lowest converted IKM of the band


BANDS = (
    Band("A", "Sangat Baik", Decimal("88.31")),
    Band("B", "Baik", Decimal("76.61")),
    Band("C", "Kurang Baik", Decimal("65.00")),
    Band("D", "Tidak Baik", Decimal("25.00")),
)
BY_GRADE = {b.grade: b for b in BANDS}


def valid_answer(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4


def nrr(answer_sum: int, respondents: int) -> Fraction:
    """Nilai rata-rata of one element."""
    if respondents <= 0:
        raise ValueError("no respondents")
    return Fraction(answer_sum, respondents)


def nrrs(element_sums: Sequence[int], respondents: int) -> list[Fraction]:
    if len(element_sums) != ELEMENT_COUNT:
        raise ValueError(f"expected {ELEMENT_COUNT} element sums")
    return [nrr(s, respondents) for s in element_sums]


def weighted_nrr(value: Fraction) -> Fraction:
    """NRR tertimbang: the element's NRR × 1/9."""
    return value * ELEMENT_WEIGHT


def ikm(element_nrrs: Sequence[Fraction]) -> Fraction:
    if len(element_nrrs) != ELEMENT_COUNT:
        raise ValueError(f"expected {ELEMENT_COUNT} NRR values")
    return sum((weighted_nrr(v) for v in element_nrrs), Fraction(0))


def converted(ikm_value: Fraction) -> Decimal:
    """IKM × 25, rounded half up to 2 decimals (the unit of the bands)."""
    exact = ikm_value * CONVERSION
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def band(converted_ikm: Decimal) -> Band:
    value = Decimal(converted_ikm)
    for b in BANDS:
        if value >= b.low:
            return b
    return BANDS[-1]  # below 25.00 cannot come from answers 1–4


def band_sql(column: str) -> str:
    """The same bands as a SQL CASE on a numeric column (the aggregation's statements)."""
    cases = " ".join(f"WHEN {column} >= {b.low} THEN '{b.grade}'" for b in BANDS[:-1])
    return f"CASE {cases} ELSE '{BANDS[-1].grade}' END"


def band_dropped(old: str | None, new: str) -> bool:
    """A → B is a drop; a first result is not."""
    return old is not None and new > old


# Krejcie & Morgan (1970): s = χ² N P(1−P) / (d² (N−1) + χ² P(1−P)).
KM_CHI_SQUARE = Fraction(3841, 1000)  # 1 degree of freedom, 95 % confidence
KM_P = Fraction(1, 2)
KM_D = Fraction(5, 100)


def krejcie_morgan(population: int) -> int:
    """The sample size for a population, rounded half up as in the authors' published
    table (N=100 → 80, N=500 → 217, N=1000 → 278); 0 for no population."""
    if population <= 0:
        return 0
    pq = KM_P * (1 - KM_P)
    size = KM_CHI_SQUARE * population * pq / (KM_D**2 * (population - 1) + KM_CHI_SQUARE * pq)
    return min(population, math.floor(size + Fraction(1, 2)))


def decimal_places(value: Fraction, places: int = 4) -> Decimal:
    """A rational as a Decimal for display, half up."""
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )
