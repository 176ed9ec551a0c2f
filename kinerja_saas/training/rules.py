"""Which training an evaluation calls for: pure rules, no I/O.

An evaluation shows weaknesses of three kinds, each matched against the region's rules by
(trigger, trigger value):

- PREDIKAT: the predikat itself (the starter rules cover BUTUH_PERBAIKAN, KURANG and
  SANGAT_KURANG);
- WEAK_RESULT: an indicator whose achievement is under the region's `low_indicator_floor`
  points at the competency behind it through the indicator's *aspect* (KUANTITAS, KUALITAS,
  WAKTU, BIAYA) — the plan says nothing more specific about an indicator, and the aspect is
  what the supervisor chose when writing it;
- WEAK_BEHAVIOUR: a BerAKHLAK value rated DI_BAWAH_EKSPEKTASI, by the value's code.

Each matched rule names a competency (and optionally a programme); its programme is the
rule's own when active, else the most focused active programme addressing the competency
(fewest competencies, then lowest id). An evaluation leads to at most
`MAX_PROGRAMMES_PER_EVALUATION` distinct programmes, taken in rule priority order (lower
first, then rule id). The set-based SQL in `assignment.py` implements the same choice; a
test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kinerja_saas.errors import CommonError, FieldError
from kinerja_saas.training.errors import TrainingError

WEAK_RATING = "DI_BAWAH_EKSPEKTASI"
MAX_PROGRAMMES_PER_EVALUATION = 2


@dataclass(frozen=True)
class Rule:
    id: int
    trigger: str  # models.RuleTrigger
    trigger_value: str
    competency_id: int
    priority: int
    programme_id: int | None = None
    is_active: bool = True


@dataclass(frozen=True)
class Outcome:
    """What a finalised evaluation says about the employee."""

    predikat: str | None
    behaviour_ratings: Mapping[str, str]  # BerAKHLAK code -> rating
    indicators: Sequence[tuple[str, Decimal]]  # (aspect, achievement %)


@dataclass(frozen=True)
class Programme:
    id: int
    competency_ids: frozenset[int]
    is_active: bool = True


@dataclass(frozen=True)
class Choice:
    programme_id: int
    rule: Rule


def weaknesses(outcome: Outcome, *, indicator_floor: Decimal) -> set[tuple[str, str]]:
    """(trigger, value) pairs the outcome shows."""
    found: set[tuple[str, str]] = set()
    if outcome.predikat:
        found.add(("PREDIKAT", outcome.predikat))
    for code, rating in outcome.behaviour_ratings.items():
        if rating == WEAK_RATING:
            found.add(("WEAK_BEHAVIOUR", code))
    for aspect, achievement in outcome.indicators:
        if achievement < indicator_floor:
            found.add(("WEAK_RESULT", aspect))
    return found


def matching_rules(
    outcome: Outcome, rules: Iterable[Rule], *, indicator_floor: Decimal
) -> list[Rule]:
    """Active rules the outcome triggers, by priority then id."""
    found = weaknesses(outcome, indicator_floor=indicator_floor)
    hits = [r for r in rules if r.is_active and (r.trigger, r.trigger_value) in found]
    return sorted(hits, key=lambda r: (r.priority, r.id))


def best_programme(rule: Rule, programmes: Iterable[Programme]) -> int | None:
    active = [p for p in programmes if p.is_active]
    if rule.programme_id is not None and any(p.id == rule.programme_id for p in active):
        return rule.programme_id
    fitting = [p for p in active if rule.competency_id in p.competency_ids]
    if not fitting:
        return None
    return min(fitting, key=lambda p: (len(p.competency_ids), p.id)).id


def choose(
    outcome: Outcome,
    rules: Iterable[Rule],
    programmes: Sequence[Programme],
    *,
    indicator_floor: Decimal,
    limit: int = MAX_PROGRAMMES_PER_EVALUATION,
) -> list[Choice]:
    """The programmes for one evaluation: distinct, each with the first rule that chose it."""
    chosen: list[Choice] = []
    for rule in matching_rules(outcome, rules, indicator_floor=indicator_floor):
        programme_id = best_programme(rule, programmes)
        if programme_id is None or any(c.programme_id == programme_id for c in chosen):
            continue
        chosen.append(Choice(programme_id, rule))
        if len(chosen) == limit:
            break
    return chosen


@dataclass(frozen=True)
class Seat:
    batch_id: int | None  # None: the waiting list
    waiting_position: int | None


def place(rank: int, batches: Sequence[tuple[int, int]], *, waiting_before: int) -> Seat:
    """Where the `rank`-th (1-based) new participant of a programme goes: the batches are
    (batch id, free seats) in date order; past their room, the waiting list after the
    `waiting_before` people already on it."""
    if rank < 1:
        raise ValueError("rank is 1-based")
    seats_before = 0
    for batch_id, free in batches:
        if rank <= seats_before + max(free, 0):
            return Seat(batch_id, None)
        seats_before += max(free, 0)
    return Seat(None, waiting_before + rank - seats_before)


MAX_CAPACITY = 10_000  # seats of a programme or batch


MAX_CAPACITY = 10_000  # seats of a programme or batch


def batch_problems(*, starts_on: date, ends_on: date, capacity: int) -> list[FieldError]:
    problems = []
    if ends_on < starts_on:
        problems.append(FieldError.of("endsOn", TrainingError.DATES_REVERSED))
    if capacity <= 0:
        problems.append(
            FieldError.of("capacity", CommonError.OUT_OF_RANGE, min=1, max=MAX_CAPACITY)
        )
    return problems


def jp_shortfall(completed_jp: int, entitlement: int) -> int:
    """JP still missing for the year (0 when the entitlement is met)."""
    return max(entitlement - completed_jp, 0)


# Predikat from worst to best: an improvement is a move to the right.
PREDIKAT_ORDER = ("SANGAT_KURANG", "KURANG", "BUTUH_PERBAIKAN", "BAIK", "SANGAT_BAIK")


def predikat_change(before: str | None, after: str | None) -> int | None:
    """+n steps better, -n worse, 0 the same; None when either is unknown."""
    if before not in PREDIKAT_ORDER or after not in PREDIKAT_ORDER:
        return None
    return PREDIKAT_ORDER.index(after) - PREDIKAT_ORDER.index(before)


@dataclass(frozen=True)
class Effect:
    completed: int  # completed assignments
    followed_up: int  # with a later finalised evaluation
    improved: int  # predikat better than the one that triggered it
    unchanged: int
    worsened: int
    achievement_delta: Decimal | None  # mean change of achievement, percentage points

    @property
    def improvement_rate(self) -> Decimal | None:
        """Share of the followed-up that improved, in % (None with nobody followed up)."""
        if not self.followed_up:
            return None
        return (Decimal(self.improved) * 100 / self.followed_up).quantize(Decimal("0.01"))


def effect(
    pairs: Iterable[tuple[str | None, str | None, Decimal | None, Decimal | None]],
    *,
    completed: int,
) -> Effect:
    """From (predikat before, after, achievement before, after) of the followed-up ones."""
    changes, deltas = [], []
    for before, after, a_before, a_after in pairs:
        change = predikat_change(before, after)
        if change is not None:
            changes.append(change)
        if a_before is not None and a_after is not None:
            deltas.append(a_after - a_before)
    mean = (sum(deltas, Decimal(0)) / len(deltas)).quantize(Decimal("0.01")) if deltas else None
    return Effect(
        completed=completed,
        followed_up=len(changes),
        improved=sum(1 for c in changes if c > 0),
        unchanged=sum(1 for c in changes if c == 0),
        worsened=sum(1 for c in changes if c < 0),
        achievement_delta=mean,
    )


def effect_of_counts(
    *,
    completed: int,
    followed_up: int,
    improved: int,
    unchanged: int,
    worsened: int,
    delta_sum: Decimal | None,
    deltas: int,
) -> Effect:
    """`effect` from the counts SQL made of the same pairs (training.queries.EFFECT_COUNTS:
    the steps along PREDIKAT_ORDER, the achievement changes summed); the mean is taken
    here, rounded as `effect` rounds it (a test holds the two equal)."""
    mean = (
        (Decimal(delta_sum) / deltas).quantize(Decimal("0.01"))
        if deltas and delta_sum is not None
        else None
    )
    return Effect(
        completed=completed,
        followed_up=followed_up,
        improved=improved,
        unchanged=unchanged,
        worsened=worsened,
        achievement_delta=mean,
    )


# --- the calendar of a batch ---------------------------------------------------------------


def attendance_problem(
    *, field: str, batch_name: str, starts_on: date, today: date
) -> FieldError | None:
    """Attendance (and with it the JP) is recorded from the batch's first day on."""
    if today < starts_on:
        return FieldError.of(
            field, TrainingError.BATCH_NOT_STARTED, batch=batch_name, day=starts_on
        )
    return None


def completion_problem(
    *, field: str, batch_name: str, ends_on: date, today: date
) -> FieldError | None:
    """A batch is completed (and its JP counted) on or after its last day."""
    if today < ends_on:
        return FieldError.of(field, TrainingError.BATCH_NOT_ENDED, batch=batch_name, day=ends_on)
    return None
