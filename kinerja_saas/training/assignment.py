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

from kinerja_saas.regions.region_settings import with_defaults
from kinerja_saas.training import queries
from kinerja_saas.training.queries import ASSIGN as ASSIGN
from kinerja_saas.training.rules import MAX_PROGRAMMES_PER_EVALUATION
from tenants.context import current_tenant_id
from tenants.models import Tenant


@dataclass(frozen=True)
class RegionRules:
    floor: Decimal
    cap: Decimal


async def _region_rules() -> RegionRules:
    tenant = await Tenant.get(id=current_tenant_id())
    performance = with_defaults(tenant.settings)["performance"]
    return RegionRules(
        floor=Decimal(str(performance["low_indicator_floor"])),
        cap=Decimal(str(performance["achievement_cap"])),
    )


lock_programmes = queries.lock_programmes
UNIT_EVENT_CHUNK = 500


async def emit_assignment_events(assignment_ids: list[int]) -> None:
    if assignment_ids:
        await queries.insert_assignment_events(assignment_ids, unit_chunk=UNIT_EVENT_CHUNK)


async def assign_for_period(
    *,
    period_id: int,
    unit_id: int | None = None,
    evaluation_id: int | None = None,
    today: date | None = None,
) -> list[int]:
    """Assigns what the finalised evaluations of a period call for (of one org unit with its
    sub-units, or one evaluation); returns the new assignments' ids. Four statements
    whatever the number of employees: settings, lock, insert, events."""
    region = await _region_rules()
    await lock_programmes()
    ids = await queries.assign_from_evaluations(
        period_id=period_id,
        evaluation_id=evaluation_id,
        unit_id=unit_id,
        floor=region.floor,
        cap=region.cap,
        per_evaluation=MAX_PROGRAMMES_PER_EVALUATION,
        today=today or date.today(),
    )
    await emit_assignment_events(ids)
    return ids


next_seat = queries.next_seat
