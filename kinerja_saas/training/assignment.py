"""Assigning training: set-based for a whole period (or unit, or one evaluation), and one
person at a time for manual assignment and self-enrolment.

Every path first locks the programme rows it places people in (`FOR UPDATE`), so two runs
in one region place people one after the other and never fill a seat twice; the partial
unique key `training_assignments_live_key` (employee, programme, period over the live
statuses) is the last word on duplicates: inserts use ON CONFLICT DO NOTHING, so a repeated
or concurrent run adds nothing. The matching mirrors `rules.choose` (a test holds them equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kinerja_saas.regions.settings import current_settings
from kinerja_saas.training import queries
from kinerja_saas.training.queries import ASSIGN as ASSIGN
from kinerja_saas.training.rules import MAX_PROGRAMMES_PER_EVALUATION


@dataclass(frozen=True)
class RegionRules:
    floor: Decimal
    cap: Decimal


async def _region_rules() -> RegionRules:
    performance = (await current_settings()).performance
    return RegionRules(
        floor=Decimal(str(performance.low_indicator_floor)),
        cap=Decimal(str(performance.achievement_cap)),
    )


lock_programmes = queries.lock_programmes
UNIT_EVENT_CHUNK = 500


async def emit_assignment_events(assignment_ids: list[int]) -> None:
    if assignment_ids:
        await queries.insert_assignment_events(assignment_ids, unit_chunk=UNIT_EVENT_CHUNK)


async def free_seats(pairs: list[tuple[int, int | None]], *, today: date) -> list[int]:
    """Seats left in (programme, batch) pairs (batch None: a place on the waiting list):
    the first waiting take the seats of batches not started, the waiting lists close up,
    the promoted are told. Three statements whatever the number; the caller holds the
    programmes' locks. Returns the promoted assignments' ids."""
    if not pairs:
        return []
    seats = [(p, b) for p, b in pairs if b is not None]
    promoted: list[int] = []
    if seats:
        promoted = await queries.promote_waiting(
            programme_ids=[p for p, _ in seats], batch_ids=[b for _, b in seats], today=today
        )
    await queries.close_up_waiting(sorted({p for p, _ in pairs}))
    await emit_assignment_events(promoted)
    return promoted


async def assign_for_period(
    *,
    period_id: int,
    unit_id: int | None = None,
    evaluation_id: int | None = None,
    today: date | None = None,
) -> list[int]:
    """Assigns what the finalised evaluations of a period call for (of one org unit with its
    sub-units, or one evaluation); returns the new assignments' ids. First withdraws what the
    evaluations no longer call for (an appeal that raised the predikat) while not started,
    giving the seats to the waiting; then never more than MAX_PROGRAMMES_PER_EVALUATION
    automatic programmes per employee and period, counting those they have. Five statements
    whatever the number of employees (settings, lock, withdraw, insert, events), three more
    when something was withdrawn."""
    region = await _region_rules()
    await lock_programmes()
    today = today or date.today()
    withdrawn = await queries.withdraw_unneeded(
        period_id=period_id,
        evaluation_id=evaluation_id,
        unit_id=unit_id,
        floor=region.floor,
        cap=region.cap,
        per_evaluation=MAX_PROGRAMMES_PER_EVALUATION,
        today=today,
    )
    await free_seats([(r["programme_id"], r["batch_id"]) for r in withdrawn], today=today)
    ids = await queries.assign_from_evaluations(
        period_id=period_id,
        evaluation_id=evaluation_id,
        unit_id=unit_id,
        floor=region.floor,
        cap=region.cap,
        per_evaluation=MAX_PROGRAMMES_PER_EVALUATION,
        today=today,
    )
    await emit_assignment_events(ids)
    return ids


next_seat = queries.next_seat
