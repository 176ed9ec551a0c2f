"""The rules of PermenPANRB 6/2022 that turn targets and realisations into a predikat.
Pure functions, no I/O; the thresholds a region may change come in as arguments (see
tenants.defaults.DEFAULT_SETTINGS["performance"]).

Percentages are Decimals rounded half-up to two places, as official reports print them,
so a value never lands on the other side of a threshold through float error."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Direction(StrEnum):
    HIGHER_IS_BETTER = "HIGHER_IS_BETTER"
    LOWER_IS_BETTER = "LOWER_IS_BETTER"  # e.g. waiting time, days to issue a permit


class Rating(StrEnum):
    """Result rating (hasil kerja) and behaviour rating (perilaku kerja) share the levels."""

    DI_ATAS_EKSPEKTASI = "DI_ATAS_EKSPEKTASI"
    SESUAI_EKSPEKTASI = "SESUAI_EKSPEKTASI"
    DI_BAWAH_EKSPEKTASI = "DI_BAWAH_EKSPEKTASI"


class Predikat(StrEnum):
    SANGAT_BAIK = "SANGAT_BAIK"
    BAIK = "BAIK"
    BUTUH_PERBAIKAN = "BUTUH_PERBAIKAN"
    KURANG = "KURANG"
    SANGAT_KURANG = "SANGAT_KURANG"


HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _pct(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def achievement(
    *, target: Decimal, realisation: Decimal, direction: Direction, cap: Decimal
) -> Decimal:
    """Capaian of one indicator in %: realisation / target, or target / realisation where
    lower is better, capped at `cap`. A zero realisation of a lower-is-better indicator
    (nothing to wait for at all) reaches the cap."""
    if target <= 0:
        raise ValueError("target must be positive")
    if realisation < 0:
        raise ValueError("realisation cannot be negative")
    if direction is Direction.HIGHER_IS_BETTER:
        raw = realisation / target * HUNDRED
    elif realisation == 0:
        raw = cap
    else:
        raw = target / realisation * HUNDRED
    return _pct(min(raw, cap))


@dataclass(frozen=True)
class Weighted:
    achievement: Decimal
    weight: Decimal


def plan_achievement(indicators: Iterable[Weighted]) -> Decimal:
    """Capaian of a plan: the weighted mean of its indicators' achievements."""
    items = list(indicators)
    total_weight = sum((i.weight for i in items), Decimal(0))
    if not items or total_weight <= 0:
        raise ValueError("a plan needs indicators with positive weights")
    return _pct(sum((i.achievement * i.weight for i in items), Decimal(0)) / total_weight)


def proposed_result_rating(
    plan_achievement_pct: Decimal, *, above: Decimal, expected: Decimal
) -> Rating:
    """What the platform proposes; the supervisor confirms or overrides with a reason."""
    if plan_achievement_pct >= above:
        return Rating.DI_ATAS_EKSPEKTASI
    if plan_achievement_pct >= expected:
        return Rating.SESUAI_EKSPEKTASI
    return Rating.DI_BAWAH_EKSPEKTASI


# Rows: behaviour; columns: result (PermenPANRB 6/2022, DESIGN §2).
PREDIKAT_MATRIX: dict[Rating, dict[Rating, Predikat]] = {
    Rating.DI_ATAS_EKSPEKTASI: {
        Rating.DI_BAWAH_EKSPEKTASI: Predikat.BUTUH_PERBAIKAN,
        Rating.SESUAI_EKSPEKTASI: Predikat.BAIK,
        Rating.DI_ATAS_EKSPEKTASI: Predikat.SANGAT_BAIK,
    },
    Rating.SESUAI_EKSPEKTASI: {
        Rating.DI_BAWAH_EKSPEKTASI: Predikat.BUTUH_PERBAIKAN,
        Rating.SESUAI_EKSPEKTASI: Predikat.BAIK,
        Rating.DI_ATAS_EKSPEKTASI: Predikat.BAIK,
    },
    Rating.DI_BAWAH_EKSPEKTASI: {
        Rating.DI_BAWAH_EKSPEKTASI: Predikat.SANGAT_KURANG,
        Rating.SESUAI_EKSPEKTASI: Predikat.KURANG,
        Rating.DI_ATAS_EKSPEKTASI: Predikat.KURANG,
    },
}


def predikat(*, behaviour: Rating, result: Rating) -> Predikat:
    return PREDIKAT_MATRIX[behaviour][result]


def is_low_performer(
    *,
    predikat_: Predikat | None,
    indicator_achievements: Sequence[Decimal],
    low_predikat: Iterable[str],
    indicator_floor: Decimal,
) -> bool:
    """Low performer: a predikat the region marks as low, or any indicator under the floor."""
    if predikat_ is not None and predikat_.value in set(low_predikat):
        return True
    return any(a < indicator_floor for a in indicator_achievements)
