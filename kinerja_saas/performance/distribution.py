"""The distribution check (kurva): a unit's organisational rating for a period sets the
pattern its employees' annual predikat must follow (rules.distribution_problems). Counted
live from the annual evaluations, drafts included, so supervisors see where the unit
stands while they rate."""

from __future__ import annotations

from dataclasses import dataclass

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import ROLE_LABELS, Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, PermissionDenied
from kinerja_saas.org.models import Unit
from kinerja_saas.performance import queries
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import Period, PeriodStatus, Plan, UnitRating
from kinerja_saas.performance.rules import (
    DistributionProblem,
    OrganisationRating,
    Predikat,
    distribution_problems,
)
from tenants.context import current_tenant_id


@dataclass(frozen=True)
class Distribution:
    unit_id: int
    period_id: int
    rating: OrganisationRating | None
    counts: dict[Predikat, int]
    employees: int  # plans in the unit's subtree, rated or not
    problems: list[DistributionProblem]

    @property
    def rated(self) -> int:
        return sum(self.counts.values())


async def set_unit_rating(
    *, actor: Actor, period_id: int, unit_id: int, rating: OrganisationRating
) -> UnitRating:
    actor.require(Role.REGION_ADMIN)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    period = await scoped(Period).get_or_none(id=period_id)
    if period is None:
        errors.add("periodId", CommonError.NOT_FOUND)
    elif period.status is PeriodStatus.CLOSED:
        errors.add("periodId", PerformanceError.PERIOD_CLOSED)
    if not await scoped(Unit).filter(id=unit_id).exists():
        errors.add("unitId", CommonError.NOT_FOUND)
    errors.raise_if_any()
    existing = await scoped(UnitRating).get_or_none(period_id=period_id, unit_id=unit_id)
    before = existing.rating if existing else None
    if existing is None:
        existing = await UnitRating.create(
            tenant_id=tenant_id,
            period_id=period_id,
            unit_id=unit_id,
            rating=rating.value,
            set_by=actor.user_id,
        )
    else:
        existing.rating, existing.set_by = rating.value, actor.user_id
        await existing.save_fields("rating", "set_by")
    await record(
        actor=actor,
        action="unit_rating.set",
        entity="unit",
        entity_id=unit_id,
        before={"rating": before},
        after={"rating": rating.value, "period_id": period_id},
    )
    return existing


async def _distribution(period_id: int, unit_id: int, rating: str | None) -> Distribution:
    rows = await queries.predikat_counts_in_subtree(period_id=period_id, unit_id=unit_id)
    counts = {Predikat(r["predikat"]): r["n"] for r in rows if r["predikat"] is not None}
    plans = await queries.plans_in_subtree(period_id=period_id, unit_id=unit_id)
    org_rating = OrganisationRating(rating) if rating else None
    return Distribution(
        unit_id=unit_id,
        period_id=period_id,
        rating=org_rating,
        counts=counts,
        employees=plans,
        problems=distribution_problems(counts, org_rating) if org_rating else [],
    )


async def distribution_check(*, actor: Actor, period_id: int, unit_id: int) -> Distribution:
    """For the region admin, and for the supervisors who rate someone in the unit (an
    evaluator of a plan of the period in the unit or below it: their ratings count in its
    distribution, and finalising is refused while it breaks the pattern). Other supervisors
    would learn how another part of the region is rated."""
    if not actor.has(Role.REGION_ADMIN, Role.SUPERVISOR):
        raise PermissionDenied(
            CommonError.FORBIDDEN,
            allowed=[ROLE_LABELS[Role.REGION_ADMIN], ROLE_LABELS[Role.SUPERVISOR]],
        )
    if not await scoped(Unit).filter(id=unit_id).exists():
        raise NotFound(CommonError.NOT_FOUND, field="unitId")
    if not await scoped(Period).filter(id=period_id).exists():
        raise NotFound(CommonError.NOT_FOUND, field="periodId")
    if not actor.has(Role.REGION_ADMIN) and not await _rates_in(actor, period_id, unit_id):
        raise PermissionDenied(
            PerformanceError.FORBIDDEN,
            allowed=["admin wilayah", "atasan yang menilai pegawai di unit ini"],
        )
    rating = await scoped(UnitRating).get_or_none(period_id=period_id, unit_id=unit_id)
    return await _distribution(period_id, unit_id, rating.rating if rating else None)


async def _rates_in(actor: Actor, period_id: int, unit_id: int) -> bool:
    if actor.employee_id is None:
        return False
    return await queries.evaluates_in_subtree(
        period_id=period_id, unit_id=unit_id, evaluator_id=actor.employee_id
    )


async def problems_for_plan(plan: Plan) -> list[DistributionProblem]:
    """Problems of every rated unit the plan's unit belongs to (itself or above)."""
    rows = await queries.ratings_of_units_above(period_id=plan.period_id, unit_id=plan.unit_id)
    problems: list[DistributionProblem] = []
    for row in rows:
        problems += (await _distribution(plan.period_id, row["unit_id"], row["rating"])).problems
    return problems
