"""Read models for frontends and dashboards: the plans list, a supervisor's team view, and
performance statistics. The team view and the statistics read the plan progress read models
(migration 0034), kept current by every writing transaction, so their cost does not grow
with the realisations; each is one SQL statement whatever the number of employees
(performance/queries.py). This module decides who may see what."""

from __future__ import annotations

from datetime import date
from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, NotFound, PermissionDenied
from kinerja_saas.performance import queries
from kinerja_saas.performance.models import Period
from kinerja_saas.performance.queries import PlanFilter as PlanFilter
from kinerja_saas.performance.queries import StatsDimension as StatsDimension


async def _require_period(period_id: int) -> Period:
    period = await scoped(Period).get_or_none(id=period_id)
    if period is None:
        raise NotFound(CommonError.NOT_FOUND, field="periodId")
    return period


async def list_plans(
    *, actor: Actor, flt: PlanFilter, limit: int, after: tuple[str, int] | None
) -> list[dict[str, Any]]:
    """A keyset page by employee name, plus one row to tell whether more follow."""
    return await queries.plans_page(actor=actor, flt=flt, limit=limit, after=after)


async def count_plans(*, actor: Actor, flt: PlanFilter) -> int:
    return await queries.plans_count(actor=actor, flt=flt)


async def my_team(
    *, actor: Actor, period_id: int, today: date | None = None
) -> list[dict[str, Any]]:
    """Each direct report with their plan's status, achievement to date (approved plans),
    realisations missing for checkpoints that have ended, realisations waiting for
    verification, and the latest predikat (the year's, else the latest checkpoint's).
    An acting head (Plt./Plh.) also sees, while acting, the reports of the head they stand
    in for."""
    if actor.employee_id is None:
        raise PermissionDenied(CommonError.FORBIDDEN)
    await _require_period(period_id)
    return await queries.team_rows(
        supervisor_id=actor.employee_id, period_id=period_id, today=today or date.today()
    )


async def performance_stats(
    *,
    actor: Actor,
    period_id: int,
    unit_id: int | None,
    by: list[StatsDimension],
) -> list[dict[str, Any]]:
    """Counts of plans and their average achievement (approved plans) per group. The region
    admin sees the region; a supervisor the plans they evaluate or someone below them
    evaluates, by the evaluator recorded on the plan (not today's chain)."""
    if not actor.has(Role.REGION_ADMIN, Role.SUPERVISOR):
        raise PermissionDenied(CommonError.FORBIDDEN)
    await _require_period(period_id)
    by = list(dict.fromkeys(by))  # each dimension once, in the order asked
    unit = None
    if unit_id is not None:
        unit = await queries.unit_place(unit_id)
        if unit is None:
            raise NotFound(CommonError.NOT_FOUND, field="unitId")
    return await queries.stats_rows(
        actor=actor, period_id=period_id, unit_id=unit_id, unit=unit, by=by
    )
