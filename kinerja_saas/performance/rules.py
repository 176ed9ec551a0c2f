"""The rules of PermenPANRB 6/2022 that turn targets and realisations into a predikat.
Pure functions, no I/O; the thresholds a region may change come in as arguments (see
kinerja_saas.regions.settings.PerformanceSettings).

Percentages are Decimals rounded half-up to two places, as official reports print them,
so a value never lands on the other side of a threshold through float error."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from kinerja_saas.indonesian import listing, number, percent
from kinerja_saas.performance.errors import DistributionError, PerformanceError


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
    """The optional formula of a region that keeps one (`result_rating_method` WEIGHTED_MEAN):
    the plan's weighted mean achievement against the thresholds. PermenPANRB 6/2022 itself
    has no formula: see result_rating_by_regulation."""
    return classify(plan_achievement_pct, above=above, expected=expected)


def classify(achievement_pct: Decimal, *, above: Decimal, expected: Decimal) -> Rating:
    """One achievement against the expectation: >= `above` above it, >= `expected` meets it,
    below that under it (defaults 110 % and 80 %, region settings)."""
    if achievement_pct >= above:
        return Rating.DI_ATAS_EKSPEKTASI
    if achievement_pct >= expected:
        return Rating.SESUAI_EKSPEKTASI
    return Rating.DI_BAWAH_EKSPEKTASI


class ResultKind(StrEnum):
    UTAMA = "UTAMA"  # hasil kerja utama
    TAMBAHAN = "TAMBAHAN"  # hasil kerja tambahan


@dataclass(frozen=True)
class ResultLevel:
    """One work result (RHK) of a plan, judged against expectation."""

    kind: ResultKind
    rating: Rating


def result_level(
    indicators: Iterable[Weighted], *, above: Decimal, expected: Decimal
) -> Rating | None:
    """A work result judged through its indicators (IKI): their mean achievement (by their
    weights, equal weights when these are all zero), classified by the thresholds. None for
    a result without indicators (it is not judged). PermenPANRB 6/2022 is silent on a result
    measured by several indicators; this is our choice."""
    items = list(indicators)
    if not items:
        return None
    total = sum((i.weight for i in items), Decimal(0))
    if total > 0:
        mean = sum((i.achievement * i.weight for i in items), Decimal(0)) / total
    else:
        mean = sum((i.achievement for i in items), Decimal(0)) / len(items)
    return classify(_pct(mean), above=above, expected=expected)


def _most(count: int, total: int) -> bool:
    """'Sebagian besar atau seluruh': more than half."""
    return total > 0 and count * 2 > total


def result_rating_by_regulation(results: Sequence[ResultLevel]) -> Rating:
    """Rating hasil kerja as PermenPANRB 6/2022 states it (DESIGN §2), without a formula or
    weights: the evaluator judges each result against expectation, and

    - DI_ATAS_EKSPEKTASI: most or all results above expectation, and no hasil kerja utama
      below it;
    - SESUAI_EKSPEKTASI: most or all results meet expectation, only a small part of the
      hasil kerja utama below it;
    - DI_BAWAH_EKSPEKTASI: otherwise.

    Where the regulation is silent, our choices:
    - "most" is more than half; "a small part" of the UTAMA is less than half of them, so
      exactly half the UTAMA below expectation is DI_BAWAH;
    - TAMBAHAN can raise a rating, never make up for an UTAMA below expectation and never
      lower it: "most results" holds when it holds among the UTAMA alone or among all
      results together;
    - a plan without UTAMA results is judged on all its results as if they were UTAMA."""
    if not results:
        raise ValueError("a result rating needs at least one judged result")
    utama = [r for r in results if r.kind is ResultKind.UTAMA] or list(results)

    def most(levels: set[Rating]) -> bool:
        return _most(sum(r.rating in levels for r in utama), len(utama)) or _most(
            sum(r.rating in levels for r in results), len(results)
        )

    utama_below = sum(r.rating is Rating.DI_BAWAH_EKSPEKTASI for r in utama)
    if utama_below == 0 and most({Rating.DI_ATAS_EKSPEKTASI}):
        return Rating.DI_ATAS_EKSPEKTASI
    if utama_below * 2 < len(utama) and most({Rating.DI_ATAS_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI}):
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


# Perilaku kerja: the supervisor rates each of the 7 BerAKHLAK values on the three levels.
BEHAVIOUR_SCORE: dict[Rating, int] = {
    Rating.DI_ATAS_EKSPEKTASI: 3,
    Rating.SESUAI_EKSPEKTASI: 2,
    Rating.DI_BAWAH_EKSPEKTASI: 1,
}


def behaviour_rating(value_ratings: Iterable[Rating]) -> Rating:
    """The proposed behaviour rating (perilaku kerja) from the ratings of the BerAKHLAK
    values; the evaluator may set another with a reason (PermenPANRB 6/2022 has no formula).

    Each value scores DI_ATAS_EKSPEKTASI = 3, SESUAI_EKSPEKTASI = 2, DI_BAWAH_EKSPEKTASI = 1;
    the mean score, computed exactly as a Fraction, gives the rating: mean >= 2.5 is
    DI_ATAS_EKSPEKTASI, mean < 1.5 is DI_BAWAH_EKSPEKTASI, anything between is
    SESUAI_EKSPEKTASI. So with 7 values, 4 above and 3 as expected (mean 18/7) is above,
    4 below and 3 as expected (mean 10/7) is below. Raises ValueError on no ratings."""
    scores = [BEHAVIOUR_SCORE[r] for r in value_ratings]
    if not scores:
        raise ValueError("a behaviour rating needs at least one value rating")
    mean = Fraction(sum(scores), len(scores))
    if mean >= Fraction(5, 2):
        return Rating.DI_ATAS_EKSPEKTASI
    if mean < Fraction(3, 2):
        return Rating.DI_BAWAH_EKSPEKTASI
    return Rating.SESUAI_EKSPEKTASI


class OrganisationRating(StrEnum):
    """The organisation's own rating, which sets the expected spread of employee predikat."""

    ISTIMEWA = "ISTIMEWA"
    BAIK = "BAIK"
    BUTUH_PERBAIKAN = "BUTUH_PERBAIKAN"
    KURANG = "KURANG"
    SANGAT_KURANG = "SANGAT_KURANG"


MAX_SHARE_EXCEEDED = "MAX_SHARE_EXCEEDED"  # the group's share is above limit_pct
MIN_SHARE_MISSED = "MIN_SHARE_MISSED"  # the group's share is below limit_pct
REQUIRED_MISSING = "REQUIRED_MISSING"  # nobody in the group, but someone must be
NOT_LARGEST = "NOT_LARGEST"  # another predikat has strictly more employees
NOT_ALLOWED = "NOT_ALLOWED"  # somebody in a group that must stay empty (limit 0)


@dataclass(frozen=True)
class DistributionCheck:
    """One rule of the pattern; a group of several predikat is counted together."""

    code: str
    predikat: tuple[Predikat, ...]
    limit_pct: Decimal | None = None


@dataclass(frozen=True)
class DistributionProblem:
    code: str
    predikat: tuple[Predikat, ...]
    limit_pct: Decimal | None
    actual_pct: Decimal
    message: str


_P = Predikat
# Kurva distribusi of PermenPANRB 6/2022: how employee predikat should spread for each
# organisation rating. Checks are reported in this order.
DISTRIBUTION_PATTERN: dict[OrganisationRating, tuple[DistributionCheck, ...]] = {
    # Most employees SANGAT_BAIK, but at most 70%; the rest may have any predikat.
    OrganisationRating.ISTIMEWA: (
        DistributionCheck(MAX_SHARE_EXCEEDED, (_P.SANGAT_BAIK,), Decimal(70)),
        DistributionCheck(NOT_LARGEST, (_P.SANGAT_BAIK,)),
    ),
    # Most employees BAIK, at most 70%; some must be BUTUH_PERBAIKAN and/or KURANG,
    # the rest may be SANGAT_BAIK and/or SANGAT_KURANG.
    OrganisationRating.BAIK: (
        DistributionCheck(MAX_SHARE_EXCEEDED, (_P.BAIK,), Decimal(70)),
        DistributionCheck(NOT_LARGEST, (_P.BAIK,)),
        DistributionCheck(REQUIRED_MISSING, (_P.BUTUH_PERBAIKAN, _P.KURANG)),
    ),
    OrganisationRating.BUTUH_PERBAIKAN: (
        DistributionCheck(MIN_SHARE_MISSED, (_P.BUTUH_PERBAIKAN,), Decimal(60)),
        DistributionCheck(MAX_SHARE_EXCEEDED, (_P.SANGAT_BAIK,), Decimal(10)),
    ),
    OrganisationRating.KURANG: (
        DistributionCheck(MIN_SHARE_MISSED, (_P.KURANG,), Decimal(60)),
        DistributionCheck(MIN_SHARE_MISSED, (_P.BUTUH_PERBAIKAN,), Decimal(10)),
        DistributionCheck(MAX_SHARE_EXCEEDED, (_P.SANGAT_BAIK,), Decimal(10)),
    ),
    OrganisationRating.SANGAT_KURANG: (
        DistributionCheck(MIN_SHARE_MISSED, (_P.SANGAT_KURANG,), Decimal(60)),
        DistributionCheck(MIN_SHARE_MISSED, (_P.KURANG, _P.BUTUH_PERBAIKAN), Decimal(10)),
        DistributionCheck(NOT_ALLOWED, (_P.SANGAT_BAIK,), Decimal(0)),
    ),
}


def _is_broken(check: DistributionCheck, count: int, total: int, rival_count: int) -> bool:
    # Shares are compared exactly (count * 100 against limit * total), never after rounding,
    # so 7001 of 10001 (70.003 %) exceeds 70 % although it prints as 70.00 %.
    if check.code == REQUIRED_MISSING:
        return count == 0
    if check.code == NOT_LARGEST:
        return rival_count > count
    assert check.limit_pct is not None
    if check.code == MIN_SHARE_MISSED:
        return count * HUNDRED < check.limit_pct * total
    return count * HUNDRED > check.limit_pct * total  # MAX_SHARE_EXCEEDED, NOT_ALLOWED


def _message(check: DistributionCheck, now: str, rival: Predikat) -> str:
    names = [p.value for p in check.predikat]
    group = listing(names) + (" bersama-sama" if len(names) > 1 else "")
    return DistributionError[check.code].render(
        limit=check.limit_pct,
        group=group,
        either=listing(names, last="atau"),
        rival=rival.value,
        now=now,
    )


def distribution_problems(
    counts: Mapping[Predikat, int], rating: OrganisationRating
) -> list[DistributionProblem]:
    """Where the employees' predikat break the distribution pattern of the organisation's
    rating (DISTRIBUTION_PATTERN), in the pattern's order; [] when it fits or nobody is
    rated. A predikat missing from `counts` counts as 0."""
    count_of = {p: counts.get(p, 0) for p in Predikat}
    if any(n < 0 for n in count_of.values()):
        raise ValueError("counts cannot be negative")
    total = sum(count_of.values())
    if total == 0:
        return []
    problems = []
    for check in DISTRIBUTION_PATTERN[rating]:
        count = sum(count_of[p] for p in check.predikat)
        # The most numerous predikat outside the group (first in Predikat order on a tie).
        rival = max((p for p in Predikat if p not in check.predikat), key=count_of.__getitem__)
        if _is_broken(check, count, total, count_of[rival]):
            actual = _pct(Decimal(count) * HUNDRED / total)
            now = ShareOf(actual, count, total).text
            problems.append(
                DistributionProblem(
                    check.code, check.predikat, check.limit_pct, actual, _message(check, now, rival)
                )
            )
    return problems


# --- periodic targets ----------------------------------------------------------------------
# PermenPANRB 6/2022 has the SKP's targets set for the year and performance monitored and
# evaluated periodically (monthly, quarterly or per semester, as the region sets its
# checkpoints); it does not say how a year's target is split over the checkpoints. An
# indicator may therefore carry one target per checkpoint, stated as one of two kinds:


class TargetKind(StrEnum):
    # Reached so far: the realisation entered at a checkpoint is the level as of it (as
    # without periodic targets). Targets move toward the annual one (non-decreasing where
    # higher is better, non-increasing where lower is better) and the last equals it.
    CUMULATIVE = "CUMULATIVE"
    # Each period's own amount: the realisation entered at a checkpoint is that period's
    # alone, and the year's value is their sum. The targets add up to the annual one.
    PER_PERIOD = "PER_PERIOD"


def indicator_target(
    *, target: Decimal, checkpoint_targets: Sequence[Decimal] | None, number: int | None
) -> Decimal:
    """The target an indicator is measured against at checkpoint `number` (1-based): its own
    periodic target when it has them, else the annual target; for the year (None) always
    the annual target. SQL: kinerja_indicator_target (migration 0030)."""
    if number is None or not checkpoint_targets or not 1 <= number <= len(checkpoint_targets):
        return target
    return checkpoint_targets[number - 1]


def year_value(kind: TargetKind | None, values_in_order: Sequence[Decimal]) -> Decimal | None:
    """An indicator's value for the year (or to date) from its counted realisations in
    checkpoint order: their sum when PER_PERIOD, else the latest; None without any.
    SQL: kinerja_year_value (migration 0030)."""
    if not values_in_order:
        return None
    if kind is TargetKind.PER_PERIOD:
        return sum(values_in_order, Decimal(0))
    return values_in_order[-1]


@dataclass(frozen=True)
class TargetProblem:
    """What is wrong with an indicator's periodic targets: `index` names the target (0-based)
    or None for the list as a whole; `code` and `params` render the message (the catalogue,
    performance/errors.py)."""

    code: PerformanceError
    index: int | None
    params: dict[str, Any] = field(default_factory=dict)


def periodic_target_problems(
    *,
    kind: TargetKind,
    targets: Sequence[Decimal],
    annual: Decimal,
    direction: Direction,
    checkpoints: int,
    checkpoint_word: str,
) -> list[TargetProblem]:
    """The rules above, checked: one target per checkpoint; CUMULATIVE targets move toward
    the annual target and the last equals it; PER_PERIOD targets add up to it. Each target
    must itself be a positive number (checked by the caller with the annual target's rule).
    `checkpoint_word` names the checkpoints in messages ('triwulan', 'bulan', 'semester')."""
    if len(targets) != checkpoints:
        return [
            TargetProblem(
                PerformanceError.TARGET_COUNT,
                None,
                {"count": checkpoints, "checkpoint": checkpoint_word, "given": len(targets)},
            )
        ]
    problems = []
    if kind is TargetKind.CUMULATIVE:
        lower_better = direction is Direction.LOWER_IS_BETTER
        for n in range(1, len(targets)):
            back = targets[n] > targets[n - 1] if lower_better else targets[n] < targets[n - 1]
            if back:
                problems.append(
                    TargetProblem(
                        PerformanceError.TARGETS_NOT_MONOTONE,
                        n,
                        {
                            "checkpoint": checkpoint_word,
                            "position": n + 1,
                            "value": targets[n],
                            "way": "lebih besar" if lower_better else "lebih kecil",
                            "previous_position": n,
                            "previous": targets[n - 1],
                        },
                    )
                )
        if targets[-1] != annual:
            problems.append(
                TargetProblem(
                    PerformanceError.LAST_TARGET_NOT_ANNUAL,
                    len(targets) - 1,
                    {"checkpoint": checkpoint_word, "annual": annual, "value": targets[-1]},
                )
            )
    else:
        total = sum(targets, Decimal(0))
        if total != annual:
            problems.append(
                TargetProblem(
                    PerformanceError.TARGETS_SUM_NOT_ANNUAL,
                    None,
                    {"checkpoint": checkpoint_word, "annual": annual, "total": total},
                )
            )
    return problems


class AchievementStatus(StrEnum):
    """Why an achievement is what it is: a checkpoint or plan without any entry is "no
    data" (null, never 0 %), and an unapproved plan is not measured."""

    MEASURED = "MEASURED"
    NO_DATA = "NO_DATA"
    NOT_APPROVED = "NOT_APPROVED"


def achievement_status(value: Decimal | None, *, approved: bool = True) -> AchievementStatus:
    if not approved:
        return AchievementStatus.NOT_APPROVED
    return AchievementStatus.MEASURED if value is not None else AchievementStatus.NO_DATA


@dataclass(frozen=True)
class ShareOf:
    """A group's share as messages show it: '80,00% (8 dari 10)'."""

    pct: Decimal
    count: int
    total: int

    @property
    def text(self) -> str:
        return f"{percent(self.pct, places=2)} ({number(self.count)} dari {number(self.total)})"
