"""Read models for frontends and dashboards: the plans list, a supervisor's live team
view, and performance statistics grouped in the database. Each is one SQL statement
whatever the number of employees, so its cost is the database's, not Python's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tortoise import connections

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import CommonError, NotFound, PermissionDenied
from kinerja_saas.org.service import EMPLOYEE_COLUMNS, scope_employees
from kinerja_saas.performance.achievement import INDICATOR_ACHIEVEMENT, INDICATOR_VALUE
from kinerja_saas.performance.models import Period
from tenants.context import current_tenant_id


def _db():
    return connections.get("default")


class _Sql:
    def __init__(self, *params: Any) -> None:
        self.params: list[Any] = list(params)
        self.where: list[str] = []

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"


async def _require_period(period_id: int) -> Period:
    period = await Period.get_or_none(tenant_id=current_tenant_id(), id=period_id)
    if period is None:
        raise NotFound(CommonError.NOT_FOUND, field="periodId")
    return period


def _unit_subtree(sql: _Sql, unit_id: int, column: str) -> None:
    unit = sql.param(unit_id)
    sql.where.append(
        f"{column} IN (SELECT u.id FROM org_units u WHERE u.tenant_id = $1 AND u.path LIKE"
        f" (SELECT p.path FROM org_units p WHERE p.tenant_id = $1 AND p.id = {unit}) || '%')"
    )


# --- the plans list ------------------------------------------------------------------------


@dataclass
class PlanFilter:
    period_id: int | None = None
    unit_id: int | None = None
    include_subunits: bool = True
    status: str | None = None
    predikat: str | None = None
    evaluator_id: int | None = None


PLAN_COLUMNS = (
    "p.id, p.tenant_id, p.period_id, p.employee_id, p.unit_id, p.evaluator_id,"
    " p.evaluator_supervisor_id, p.status, p.return_reason, p.revision, p.submitted_at,"
    " p.approved_at, p.created_at, p.updated_at, e.name AS employee_name"
)


def _plan_where(sql: _Sql, actor: Actor, flt: PlanFilter) -> None:
    sql.where.append("p.tenant_id = $1")
    scope_employees(sql, actor, "p.employee_id")  # type: ignore[arg-type]
    if flt.period_id is not None:
        sql.where.append(f"p.period_id = {sql.param(flt.period_id)}")
    if flt.unit_id is not None:
        if flt.include_subunits:
            _unit_subtree(sql, flt.unit_id, "p.unit_id")
        else:
            sql.where.append(f"p.unit_id = {sql.param(flt.unit_id)}")
    if flt.status is not None:
        sql.where.append(f"p.status = {sql.param(flt.status)}")
    if flt.evaluator_id is not None:
        sql.where.append(f"p.evaluator_id = {sql.param(flt.evaluator_id)}")
    if flt.predikat is not None:
        sql.where.append(
            "EXISTS (SELECT 1 FROM evaluations ev WHERE ev.tenant_id = $1 AND ev.plan_id = p.id"
            f" AND ev.checkpoint_id IS NULL AND ev.predikat = {sql.param(flt.predikat)})"
        )


async def list_plans(
    *, actor: Actor, flt: PlanFilter, limit: int, after: tuple[str, int] | None
) -> list[dict[str, Any]]:
    """A keyset page by employee name, plus one row to tell whether more follow."""
    sql = _Sql(current_tenant_id())
    _plan_where(sql, actor, flt)
    if after is not None:
        sql.where.append(f"(e.name, p.id) > ({sql.param(after[0])}, {sql.param(after[1])})")
    return await _db().execute_query_dict(
        f"SELECT {PLAN_COLUMNS} FROM plans p JOIN employees e ON e.tenant_id = p.tenant_id"
        f" AND e.id = p.employee_id WHERE {' AND '.join(sql.where)}"
        f" ORDER BY e.name, p.id LIMIT {sql.param(limit + 1)}",
        sql.params,
    )


async def count_plans(*, actor: Actor, flt: PlanFilter) -> int:
    sql = _Sql(current_tenant_id())
    _plan_where(sql, actor, flt)
    rows = await _db().execute_query_dict(
        f"SELECT count(*) AS n FROM plans p WHERE {' AND '.join(sql.where)}", sql.params
    )
    return rows[0]["n"]


# --- the supervisor's team -------------------------------------------------------------------

# Per report, each figure is a LATERAL subquery driven by the plan's index: linear in the
# team's size whatever plan the optimiser picks (a fresh table with no statistics made the
# join-of-aggregates form nest loops over whole CTEs).
TEAM_SQL = f"""
SELECT e.*, tp.id AS plan_id, tp.status AS plan_status, ach.achievement,
    coalesce(ach.indicators, 0) AS indicators, coalesce(missing.n, 0) AS missing_realisations,
    coalesce(pending.n, 0) AS pending_verifications, latest.predikat AS latest_predikat,
    latest.status AS latest_evaluation_status
FROM (SELECT {EMPLOYEE_COLUMNS} FROM employees
      WHERE tenant_id = $1 AND supervisor_id = $2 AND is_active) e
LEFT JOIN plans tp ON tp.tenant_id = $1 AND tp.period_id = $3 AND tp.employee_id = e.id
LEFT JOIN LATERAL (
    SELECT round(sum(x.a * i.weight) / sum(i.weight), 2) AS achievement, count(*) AS indicators
    FROM indicators i
    {INDICATOR_VALUE.format(checkpoint="NULL")}
    CROSS JOIN LATERAL (SELECT {INDICATOR_ACHIEVEMENT.format(cap="$5")} AS a) x
    WHERE i.tenant_id = $1 AND i.plan_id = tp.id AND tp.status = 'APPROVED'
) ach ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n FROM indicators i
    JOIN checkpoints c ON c.tenant_id = $1 AND c.period_id = $3 AND c.ends_on < $4
    WHERE i.tenant_id = $1 AND i.plan_id = tp.id AND tp.status = 'APPROVED' AND NOT EXISTS (
        SELECT 1 FROM realisations r WHERE r.tenant_id = $1 AND r.indicator_id = i.id
            AND r.checkpoint_id = c.id AND r.status <> 'REJECTED')
) missing ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n FROM realisations r
    WHERE r.tenant_id = $1 AND r.plan_id = tp.id AND r.status = 'SUBMITTED'
) pending ON true
LEFT JOIN LATERAL (
    SELECT ev.predikat, ev.status FROM evaluations ev LEFT JOIN checkpoints c
        ON c.tenant_id = ev.tenant_id AND c.id = ev.checkpoint_id
    WHERE ev.tenant_id = $1 AND ev.plan_id = tp.id AND ev.predikat IS NOT NULL
    ORDER BY (ev.checkpoint_id IS NULL) DESC, c.number DESC LIMIT 1
) latest ON true
ORDER BY e.name, e.id
"""


async def my_team(
    *, actor: Actor, period_id: int, cap: Decimal, today: date | None = None
) -> list[dict[str, Any]]:
    """Each direct report with their plan's status, achievement to date (approved plans),
    realisations missing for checkpoints that have ended, realisations waiting for
    verification, and the latest predikat (the year's, else the latest checkpoint's)."""
    if actor.employee_id is None:
        raise PermissionDenied(CommonError.FORBIDDEN)
    await _require_period(period_id)
    return await _db().execute_query_dict(
        TEAM_SQL,
        [current_tenant_id(), actor.employee_id, period_id, today or date.today(), cap],
    )


# --- statistics ------------------------------------------------------------------------------


class StatsDimension(StrEnum):
    UNIT = "UNIT"  # the child of the chosen unit (or the top-level unit) a plan falls under
    CHECKPOINT = "CHECKPOINT"  # per checkpoint: achievement and evaluation there (trends)
    PREDIKAT = "PREDIKAT"
    RESULT_RATING = "RESULT_RATING"
    BEHAVIOUR_RATING = "BEHAVIOUR_RATING"
    PLAN_STATUS = "PLAN_STATUS"


DIMENSION_COLUMNS = {
    StatsDimension.UNIT: "g.unit_group",
    StatsDimension.CHECKPOINT: "g.checkpoint_id",
    StatsDimension.PREDIKAT: "ev.predikat",
    StatsDimension.RESULT_RATING: "ev.result_rating",
    StatsDimension.BEHAVIOUR_RATING: "ev.behaviour_rating",
    StatsDimension.PLAN_STATUS: "g.status",
}
DIMENSION_ALIASES = {
    StatsDimension.UNIT: "unit_id",
    StatsDimension.CHECKPOINT: "checkpoint_id",
    StatsDimension.PREDIKAT: "predikat",
    StatsDimension.RESULT_RATING: "result_rating",
    StatsDimension.BEHAVIOUR_RATING: "behaviour_rating",
    StatsDimension.PLAN_STATUS: "plan_status",
}


def stats_sql(
    *, by: list[StatsDimension], unit_depth: int | None, scoped: str, unit_filter: str
) -> str:
    """The statistics statement: plans in scope (× checkpoints when grouped by them), their
    achievement from the realisations, their evaluation, grouped by the dimensions.

    Set-based rather than a lateral per plan and indicator: a whole region's realisations are
    read in one pass and joined by hash (the per-indicator lookups cost ~5× more at 5,000
    employees, bench/README.md). A plan's achievement is Σ(achievement × weight) over its
    counted realisations ÷ its total weight, so a missing or rejected one adds 0."""
    per_checkpoint = StatsDimension.CHECKPOINT in by
    # The unit a plan is counted under: one level below the chosen unit (the unit itself
    # for its own staff), or the top-level unit of the region.
    level = 2 if unit_depth is None else unit_depth + 3
    unit_group = (
        f"split_part(u.path, '/', {level})::bigint"
        if unit_depth is None
        else f"coalesce(nullif(split_part(u.path, '/', {level}), '')::bigint, $4)"
    )
    # The realisations that count: not rejected, of approved plans in scope.
    counted = (
        "FROM realisations r JOIN sp ON sp.id = r.plan_id {join}"
        " WHERE r.tenant_id = $1 AND r.status <> 'REJECTED' AND sp.status = 'APPROVED'"
    )
    if per_checkpoint:
        values = "SELECT r.plan_id, r.checkpoint_id, r.indicator_id, r.value " + counted.format(
            join=""
        )
        grain = (
            "SELECT sp.*, c.id AS checkpoint_id FROM sp JOIN checkpoints c"
            " ON c.tenant_id = $1 AND c.period_id = $2"
        )
        score_match = "s.checkpoint_id = g.checkpoint_id"
    else:  # to date: each indicator's latest counted realisation, in one sorted pass
        values = (
            "SELECT DISTINCT ON (r.indicator_id) r.plan_id, NULL::bigint AS checkpoint_id,"
            " r.indicator_id, r.value "
            + counted.format(
                join="JOIN checkpoints c ON c.tenant_id = $1 AND c.id = r.checkpoint_id"
            )
            + " ORDER BY r.indicator_id, c.number DESC"
        )
        grain = "SELECT sp.*, NULL::bigint AS checkpoint_id FROM sp"
        score_match = "true"
    # A plain equality (or IS NULL) the optimiser can estimate; IS NOT DISTINCT FROM was
    # estimated at one row and turned the join into a nested loop over every pair.
    evaluation_match = (
        "ev.checkpoint_id = g.checkpoint_id" if per_checkpoint else "ev.checkpoint_id IS NULL"
    )
    dims = [DIMENSION_COLUMNS[d] for d in by]
    selected = "".join(f"{DIMENSION_COLUMNS[d]} AS {DIMENSION_ALIASES[d]}, " for d in by)
    group = f"GROUP BY {', '.join(dims)} ORDER BY {', '.join(dims)}" if dims else ""
    return f"""
WITH sp AS (
    SELECT p.id, p.employee_id, p.status, {unit_group} AS unit_group
    FROM plans p JOIN org_units u ON u.tenant_id = p.tenant_id AND u.id = p.unit_id
    WHERE p.tenant_id = $1 AND p.period_id = $2 {unit_filter} {scoped}
), weights AS (
    SELECT i.plan_id, sum(i.weight) AS total
    FROM indicators i JOIN sp ON sp.id = i.plan_id
    WHERE i.tenant_id = $1 AND sp.status = 'APPROVED'
    GROUP BY i.plan_id
), v AS ({values}
), scores AS (
    SELECT v.plan_id, v.checkpoint_id,
        sum(kinerja_achievement(i.target, v.value, i.direction, $3) * i.weight) AS score
    FROM v JOIN indicators i ON i.tenant_id = $1 AND i.id = v.indicator_id
    GROUP BY v.plan_id, v.checkpoint_id
), g AS ({grain})
SELECT {selected}count(*) AS plans, count(w.total) AS with_achievement,
    round(avg(round(coalesce(s.score, 0) / w.total, 2)), 2) AS average_achievement
FROM g
LEFT JOIN weights w ON w.plan_id = g.id
LEFT JOIN scores s ON s.plan_id = g.id AND {score_match}
LEFT JOIN evaluations ev ON ev.tenant_id = $1 AND ev.plan_id = g.id AND {evaluation_match}
{group}
"""


async def performance_stats(
    *,
    actor: Actor,
    period_id: int,
    unit_id: int | None,
    by: list[StatsDimension],
    cap: Decimal,
) -> list[dict[str, Any]]:
    """Counts of plans and their average achievement (approved plans) per group. The region
    admin sees the region, a supervisor their supervision chain."""
    if not actor.has(Role.REGION_ADMIN, Role.SUPERVISOR):
        raise PermissionDenied(CommonError.FORBIDDEN)
    await _require_period(period_id)
    tenant_id = current_tenant_id()
    by = list(dict.fromkeys(by))  # each dimension once, in the order asked
    sql = _Sql(tenant_id, period_id, cap)  # $1, $2, $3
    unit_depth = None
    unit_filter = ""
    if unit_id is not None:
        rows = await _db().execute_query_dict(
            "SELECT depth, path FROM org_units WHERE tenant_id = $1 AND id = $2",
            [tenant_id, unit_id],
        )
        if not rows:
            raise NotFound(CommonError.NOT_FOUND, field="unitId")
        unit_depth = rows[0]["depth"]
        sql.param(unit_id)  # $4
        unit_filter = f"AND u.path LIKE {sql.param(rows[0]['path'] + '%')}"
    scope_employees(sql, actor, "p.employee_id")  # type: ignore[arg-type]
    scoped = "".join(f" AND {w}" for w in sql.where)
    query = stats_sql(by=by, unit_depth=unit_depth, scoped=scoped, unit_filter=unit_filter)
    return await _db().execute_query_dict(query, sql.params)
