"""The performance domain's SQL: achievement computed in the database, plan content
writes, cascading, the distribution counts, survey-fed realisations, the deadline
announcement, and the monitoring read models (plans list, a supervisor's team, statistics).
Services in this package call these; each is one statement whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict, cast

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import Row, Sql, db, json_select, scoped
from kinerja_saas.db.fragments import (
    employee_scope,
    path_under,
    path_within,
    supervision_chain_below,
    unit_subtree,
)
from kinerja_saas.org.queries import EMPLOYEE_COLUMNS, heads_acted_for_sql
from kinerja_saas.outbox.queries import insert_events_sql
from kinerja_saas.performance.events import CHECKPOINT_DEADLINE_NEAR
from kinerja_saas.performance.models import BehaviourValue, Plan
from tenants.context import current_tenant_id

if TYPE_CHECKING:
    from kinerja_saas.performance.plans import ResultData

# --- achievement -----------------------------------------------------------------------------
# Achievement (capaian) computed in SQL, with the same rules as rules.achievement,
# rules.indicator_target and rules.year_value (the SQL functions kinerja_achievement,
# migration 0011, kinerja_indicator_target and kinerja_year_value, migration 0030; tests hold
# each pair equal), so that one plan or five thousand cost one statement. THE ONE PLACE the
# achievement SQL is written: INDICATOR_VALUE and INDICATOR_ACHIEVEMENT below (the team view,
# the training rules and the statistics use them or the same two functions).
#
# An indicator's value at a checkpoint is its realisation there, measured against the
# checkpoint's own target when the indicator has periodic targets (else the annual one).
# Its value for the year ("to date") is its latest realisation, or the sum of its periods'
# realisations when its targets are PER_PERIOD, against the annual target. A rejected
# realisation does not count. Within a plan that has entries a missing one counts as 0 %;
# a plan (or a checkpoint) without any entry has no achievement at all: "no data", null.

# Per-indicator value: at the checkpoint $cp when given, else for the year. Expects the
# indicator as `i`, the tenant as $1; `{checkpoint}` is filled with a parameter, a column or
# NULL (a column of an outer table not aliased `r` or `c`, which the subquery uses). Gives r.value (null: no entry), r.source (the latest entry's) and r.number (the
# checkpoint's number, null for the year), which picks the target.
INDICATOR_VALUE = """LEFT JOIN LATERAL (
    SELECT kinerja_year_value(i.target_kind,
            (array_agg(r.value ORDER BY c.number DESC))[1], sum(r.value)) AS value,
        (array_agg(r.source ORDER BY c.number DESC))[1] AS source,
        CASE WHEN {checkpoint}::bigint IS NOT NULL THEN max(c.number) END AS number
    FROM realisations r JOIN checkpoints c
        ON c.tenant_id = r.tenant_id AND c.id = r.checkpoint_id
    WHERE r.tenant_id = $1 AND r.indicator_id = i.id AND r.status <> 'REJECTED'
        AND ({checkpoint}::bigint IS NULL OR r.checkpoint_id = {checkpoint}::bigint)) r ON true"""

INDICATOR_ACHIEVEMENT = (
    "CASE WHEN r.value IS NULL THEN 0 ELSE kinerja_achievement("
    "kinerja_indicator_target(i.target, i.checkpoint_targets, r.number),"
    " r.value, i.direction, {cap}) END"
)

# A plan's achievement over its indicators (`x.a` the indicator's, INDICATOR_ACHIEVEMENT):
# weighted, and null when none of them has an entry ("no data", never 0).
PLAN_ACHIEVEMENT = (
    "CASE WHEN count(r.value) = 0 THEN NULL ELSE round(sum(x.a * i.weight) / sum(i.weight), 2) END"
)


async def plan_achievements(
    plan_ids: list[int], *, checkpoint_id: int | None, cap: Decimal
) -> dict[int, Decimal]:
    """Weighted achievement per plan (%), at a checkpoint or to date; None: no entry
    ("no data")."""
    rows = await db().execute_query_dict(
        "SELECT i.plan_id, "
        + PLAN_ACHIEVEMENT
        + " AS achievement FROM indicators i "
        + INDICATOR_VALUE.format(checkpoint="$3")
        + " CROSS JOIN LATERAL (SELECT "
        + INDICATOR_ACHIEVEMENT.format(cap="$4")
        + " AS a) x WHERE i.tenant_id = $1 AND i.plan_id = ANY($2::bigint[]) GROUP BY i.plan_id",
        [current_tenant_id(), plan_ids, checkpoint_id, cap],
    )
    return {r["plan_id"]: r["achievement"] for r in rows}


async def checkpoint_achievements(
    plan_ids: list[int], *, cap: Decimal
) -> dict[int, list[CheckpointAchievementRow]]:
    """Each plan's achievement at every checkpoint of its period, in checkpoint order, each
    against the checkpoint's own targets; None where the plan has no entry there ("no
    data"). One statement for any number of plans."""
    rows = await db().execute_query_dict(
        "SELECT p.id AS plan_id, ck.id AS checkpoint_id, "
        + PLAN_ACHIEVEMENT
        + " AS achievement FROM plans p JOIN checkpoints ck ON ck.tenant_id = $1"
        " AND ck.period_id = p.period_id JOIN indicators i ON i.tenant_id = $1"
        " AND i.plan_id = p.id "
        + INDICATOR_VALUE.format(checkpoint="ck.id")
        + " CROSS JOIN LATERAL (SELECT "
        + INDICATOR_ACHIEVEMENT.format(cap="$3")
        + " AS a) x WHERE p.tenant_id = $1 AND p.id = ANY($2::bigint[])"
        " GROUP BY p.id, ck.id, ck.number ORDER BY p.id, ck.number",
        [current_tenant_id(), plan_ids, cap],
    )
    found: dict[int, list[CheckpointAchievementRow]] = {pid: [] for pid in plan_ids}
    for r in rows:
        found[r["plan_id"]].append(cast(CheckpointAchievementRow, r))
    return found


class CheckpointAchievementRow(TypedDict):
    plan_id: int
    checkpoint_id: int
    achievement: Decimal | None


async def indicator_achievements(
    plan_id: int, *, checkpoint_id: int | None, cap: Decimal
) -> dict[int, Decimal]:
    rows = await db().execute_query_dict(
        "SELECT i.id, "
        + INDICATOR_ACHIEVEMENT.format(cap="$4")
        + " AS a FROM indicators i "
        + INDICATOR_VALUE.format(checkpoint="$3")
        + " WHERE i.tenant_id = $1 AND i.plan_id = $2",
        [current_tenant_id(), plan_id, checkpoint_id, cap],
    )
    return {r["id"]: r["a"] for r in rows}


async def result_indicator_achievements(
    plan_id: int, *, checkpoint_id: int | None, cap: Decimal
) -> list[Row]:
    """Each indicator of the plan with its work result (RHK) and the result's kind (UTAMA,
    TAMBAHAN): what the result rating by the regulation judges. One statement."""
    return await db().execute_query_dict(
        "SELECT i.id, i.result_id, pr.kind, i.weight, r.value IS NOT NULL AS has_value, "
        + INDICATOR_ACHIEVEMENT.format(cap="$4")
        + " AS a FROM indicators i JOIN plan_results pr ON pr.tenant_id = $1"
        " AND pr.id = i.result_id "
        + INDICATOR_VALUE.format(checkpoint="$3")
        + " WHERE i.tenant_id = $1 AND i.plan_id = $2 ORDER BY pr.position, i.position",
        [current_tenant_id(), plan_id, checkpoint_id, cap],
    )


async def indicator_evidence(
    plan_id: int, *, checkpoint_id: int | None, cap: Decimal
) -> dict[str, dict[str, str | None]]:
    """What an evaluation is based on, per indicator: the realisation counted (None: none),
    where it came from and the achievement; to freeze at finalisation. One statement."""
    rows = await db().execute_query_dict(
        "SELECT i.id, r.value, r.source, "
        + INDICATOR_ACHIEVEMENT.format(cap="$4")
        + " AS a FROM indicators i "
        + INDICATOR_VALUE.format(checkpoint="$3")
        + " WHERE i.tenant_id = $1 AND i.plan_id = $2",
        [current_tenant_id(), plan_id, checkpoint_id, cap],
    )
    return {
        str(r["id"]): {
            "value": None if r["value"] is None else str(r["value"]),
            "source": r["source"],
            "achievement": str(r["a"]),
        }
        for r in rows
    }


async def current_values(
    keys: list[tuple[int, int | None]],
) -> dict[tuple[int, int | None], dict[str, str | None]]:
    """The realisation each indicator counts now, per (plan, checkpoint or None: to date):
    to show what changed since an evaluation froze its evidence. One statement."""
    if not keys:
        return {}
    rows = await db().execute_query_dict(
        "SELECT k.plan_id, k.checkpoint_id, i.id, r.value"
        " FROM unnest($2::bigint[], $3::bigint[]) AS k(plan_id, checkpoint_id)"
        " JOIN indicators i ON i.tenant_id = $1 AND i.plan_id = k.plan_id "
        + INDICATOR_VALUE.format(checkpoint="k.checkpoint_id"),
        [current_tenant_id(), [p for p, _ in keys], [c for _, c in keys]],
    )
    found: dict[tuple[int, int | None], dict[str, str | None]] = {k: {} for k in keys}
    for r in rows:
        found[(r["plan_id"], r["checkpoint_id"])][str(r["id"])] = (
            None if r["value"] is None else str(r["value"])
        )
    return found


async def weight_totals(plan_ids: list[int]) -> dict[int, Decimal]:
    rows = await db().execute_query_dict(
        "SELECT plan_id, sum(weight) AS total FROM indicators"
        " WHERE tenant_id = $1 AND plan_id = ANY($2::bigint[]) GROUP BY plan_id",
        [current_tenant_id(), plan_ids],
    )
    totals = {pid: Decimal(0) for pid in plan_ids}
    totals.update({r["plan_id"]: r["total"] for r in rows})
    return totals


# --- plan content and cascading ----------------------------------------------------------


async def write_plan_content(plan_id: int, results: list[ResultData]) -> None:
    """Deletes what was left out, updates what kept its id, inserts the rest: one
    statement per kind of change."""
    conn, tenant_id = db(), current_tenant_id()
    keep_results = [r.id for r in results if r.id is not None]
    keep_indicators = [i.id for r in results for i in r.indicators if i.id is not None]
    await conn.execute_query(
        "DELETE FROM indicators WHERE tenant_id = $1 AND plan_id = $2 AND id <> ALL($3::bigint[])",
        [tenant_id, plan_id, keep_indicators],
    )
    await conn.execute_query(
        "DELETE FROM plan_results WHERE tenant_id = $1 AND plan_id = $2"
        " AND id <> ALL($3::bigint[])",
        [tenant_id, plan_id, keep_results],
    )
    existing = [(pos, r) for pos, r in enumerate(results) if r.id is not None]
    if existing:
        await conn.execute_query(
            "UPDATE plan_results r SET kind = v.kind, text = v.text,"
            " supports_result_id = v.supports, position = v.pos"
            " FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::int[])"
            " AS v(id, kind, text, supports, pos)"
            " WHERE r.tenant_id = $1 AND r.plan_id = $2 AND r.id = v.id",
            [
                tenant_id,
                plan_id,
                [r.id for _, r in existing],
                [r.kind.value for _, r in existing],
                [r.text.strip() for _, r in existing],
                [r.supports_result_id for _, r in existing],
                [pos for pos, _ in existing],
            ],
        )
    result_ids = {pos: r.id for pos, r in existing}
    new = [(pos, r) for pos, r in enumerate(results) if r.id is None]
    if new:
        rows = await conn.execute_query_dict(
            "INSERT INTO plan_results (tenant_id, plan_id, kind, text, supports_result_id,"
            " position) SELECT $1, $2, v.kind, v.text, v.supports, v.pos"
            " FROM unnest($3::text[], $4::text[], $5::bigint[], $6::int[])"
            " AS v(kind, text, supports, pos) RETURNING id, position",
            [
                tenant_id,
                plan_id,
                [r.kind.value for _, r in new],
                [r.text.strip() for _, r in new],
                [r.supports_result_id for _, r in new],
                [pos for pos, _ in new],
            ],
        )
        result_ids.update({row["position"]: row["id"] for row in rows})
    # Indicators: positions run through the whole plan, so order is one sort.
    flat = [
        (result_ids[r_pos], ind)
        for r_pos, result in enumerate(results)
        for ind in result.indicators
    ]
    columns = (
        "$3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::numeric[], $8::text[],"
        " $9::text[], $10::numeric[], $11::int[], $12::text[], $13::bigint[], $14::bigint[],"
        " $15::text[], $16::text[]"
    )
    values = [
        tenant_id,
        plan_id,
        [ind.id for _, ind in flat],
        [result_id for result_id, _ in flat],
        [ind.text.strip() for _, ind in flat],
        [ind.aspect.value for _, ind in flat],
        [ind.target for _, ind in flat],
        [ind.unit_label.strip() for _, ind in flat],
        [ind.direction.value for _, ind in flat],
        [ind.weight for _, ind in flat],
        list(range(len(flat))),
        [ind.source.value for _, ind in flat],
        [ind.source_unit_id for _, ind in flat],
        [ind.source_service_id for _, ind in flat],
        [None if ind.target_kind is None else ind.target_kind.value for _, ind in flat],
        # Each indicator's targets as one array literal (unnest would flatten a 2-D array).
        [
            None
            if ind.checkpoint_targets is None
            else "{" + ",".join(format(t, "f") for t in ind.checkpoint_targets) + "}"
            for _, ind in flat
        ],
    ]
    # One upsert: rows with an id update in place, the rest are inserted.
    await conn.execute_query(
        "WITH v AS (SELECT * FROM unnest("
        + columns
        + ") AS v(id, result_id, text, aspect, target, unit_label, direction, weight, pos,"
        " source, source_unit_id, source_service_id, target_kind, targets)),"
        " upd AS (UPDATE indicators i SET result_id = v.result_id, text = v.text,"
        " aspect = v.aspect, target = v.target, unit_label = v.unit_label,"
        " direction = v.direction, weight = v.weight, position = v.pos, source = v.source,"
        " source_unit_id = v.source_unit_id, source_service_id = v.source_service_id,"
        " target_kind = v.target_kind, checkpoint_targets = v.targets::numeric(16,4)[] FROM v"
        " WHERE i.tenant_id = $1 AND i.plan_id = $2 AND i.id = v.id)"
        " INSERT INTO indicators (tenant_id, plan_id, result_id, text, aspect, target,"
        " unit_label, direction, weight, position, source, source_unit_id, source_service_id,"
        " target_kind, checkpoint_targets)"
        " SELECT $1, $2, result_id, text, aspect, target, unit_label, direction, weight, pos,"
        " source, source_unit_id, source_service_id, target_kind, targets::numeric(16,4)[]"
        " FROM v WHERE v.id IS NULL",
        values,
    )


async def copy_results_into_reports(
    *,
    period_id: int,
    supervisor_id: int,
    supervisor_of_supervisor: int | None,
    employee_ids: list[int],
    result_ids: list[int],
) -> None:
    """Creates the reports' draft plans (evaluated by `supervisor_id`) where missing, copies
    the results with their indicators into them (each linked to the result it supports,
    once), then renumbers each plan's indicators: three statements for any number."""
    conn, tenant_id = db(), current_tenant_id()
    await conn.execute_query(
        "INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id,"
        " evaluator_supervisor_id, status, revision, created_at, updated_at)"
        " SELECT e.tenant_id, $2, e.id, e.unit_id, $3, $4, 'DRAFT', 0, now(), now()"
        " FROM employees e WHERE e.tenant_id = $1 AND e.id = ANY($5::bigint[])"
        " ON CONFLICT (tenant_id, period_id, employee_id) DO NOTHING",
        [tenant_id, period_id, supervisor_id, supervisor_of_supervisor, employee_ids],
    )
    await conn.execute_query(
        "WITH targets AS (SELECT id FROM plans WHERE tenant_id = $1 AND period_id = $2"
        "   AND employee_id = ANY($3::bigint[])),"
        " copies AS (SELECT t.id AS plan_id, s.id AS source_id, s.kind, s.text,"
        "   coalesce((SELECT max(position) + 1 FROM plan_results x"
        "     WHERE x.tenant_id = $1 AND x.plan_id = t.id), 0)"
        "   + row_number() OVER (PARTITION BY t.id ORDER BY s.position) - 1 AS pos"
        "   FROM targets t CROSS JOIN plan_results s"
        "   WHERE s.tenant_id = $1 AND s.id = ANY($4::bigint[])"
        "   AND NOT EXISTS (SELECT 1 FROM plan_results d WHERE d.tenant_id = $1"
        "     AND d.plan_id = t.id AND d.supports_result_id = s.id)),"
        " inserted AS (INSERT INTO plan_results (tenant_id, plan_id, kind, text,"
        "   supports_result_id, position)"
        "   SELECT $1, plan_id, kind, text, source_id, pos FROM copies"
        "   RETURNING id, plan_id, supports_result_id)"
        # The source too: a survey-fed indicator copied down is fed by the same results;
        # and the periodic targets (same period, so the same checkpoints).
        " INSERT INTO indicators (tenant_id, plan_id, result_id, text, aspect, target,"
        "   unit_label, direction, weight, position, source, source_unit_id,"
        "   source_service_id, target_kind, checkpoint_targets)"
        " SELECT $1, n.plan_id, n.id, i.text, i.aspect, i.target, i.unit_label, i.direction,"
        "   i.weight, 1000 + i.position, i.source, i.source_unit_id, i.source_service_id,"
        "   i.target_kind, i.checkpoint_targets"
        "   FROM inserted n JOIN indicators i"
        "   ON i.tenant_id = $1 AND i.result_id = n.supports_result_id",
        [tenant_id, period_id, employee_ids, result_ids],
    )
    # Copied indicators went after the existing ones (1000 + …); renumber each plan 0..n.
    await conn.execute_query(
        "UPDATE indicators i SET position = o.pos FROM (SELECT id, row_number() OVER"
        " (PARTITION BY plan_id ORDER BY position, id) - 1 AS pos FROM indicators"
        " WHERE tenant_id = $1 AND plan_id IN (SELECT id FROM plans WHERE tenant_id = $1"
        " AND period_id = $2 AND employee_id = ANY($3::bigint[]))) o"
        " WHERE i.tenant_id = $1 AND i.id = o.id AND i.position <> o.pos",
        [tenant_id, period_id, employee_ids],
    )


# --- deadlines -------------------------------------------------------------------------------

# Marks each checkpoint whose deadline is within the notice window and not yet announced
# (deadline_notice_for holds the deadline announced, so a moved deadline is announced
# again) and writes its event, in one statement.
_ANNOUNCE_SQL = """
WITH due AS (
    UPDATE checkpoints c SET deadline_notice_for = c.deadline
    FROM periods p
    WHERE c.tenant_id = $1 AND p.tenant_id = $1 AND p.id = c.period_id
        AND p.status = ANY($4::text[])
        AND c.deadline BETWEEN $2::date AND $2::date + $3::int
        AND c.deadline_notice_for IS DISTINCT FROM c.deadline
    RETURNING c.id, c.period_id, c.number, c.label, c.ends_on, c.deadline, p.year
)
""" + insert_events_sql(
    CHECKPOINT_DEADLINE_NEAR,
    payload_sql="""jsonb_build_object(
        'period_id', period_id, 'year', year, 'checkpoint_id', id, 'number', number,
        'label', label, 'ends_on', ends_on, 'deadline', deadline,
        'days_left', deadline - $2::date)""",
    tail_sql="FROM due ORDER BY deadline, number",
    returning="id",
)


async def announce_near_deadlines(*, today: date, days: int, statuses: list[str]) -> int:
    """Marks and announces the due checkpoints (one statement); returns how many."""
    rows = await db().execute_query_dict(
        _ANNOUNCE_SQL, [current_tenant_id(), today, days, statuses]
    )
    return len(rows)


# --- the distribution check ----------------------------------------------------------------


class PredikatCount(TypedDict):
    predikat: str | None  # None: the ROLLUP's total
    n: int


class UnitRatingRow(TypedDict):
    unit_id: int
    rating: str


COUNTS_SQL = f"""
SELECT ev.predikat, count(*) AS n FROM plans p
JOIN evaluations ev ON ev.tenant_id = p.tenant_id AND ev.plan_id = p.id
    AND ev.checkpoint_id IS NULL AND ev.predikat IS NOT NULL
WHERE p.tenant_id = $1 AND p.period_id = $2 AND p.unit_id IN ({unit_subtree("$3")})
GROUP BY ROLLUP (ev.predikat)
"""
PLANS_SQL = f"""
SELECT count(*) AS n FROM plans p WHERE p.tenant_id = $1 AND p.period_id = $2
    AND p.unit_id IN ({unit_subtree("$3")})
"""
RATES_IN_SQL = f"""
SELECT EXISTS (
    SELECT 1 FROM plans p WHERE p.tenant_id = $1 AND p.period_id = $2 AND p.evaluator_id = $4
        AND p.unit_id IN ({unit_subtree("$3")})
) AS rates
"""


async def predikat_counts_in_subtree(*, period_id: int, unit_id: int) -> list[PredikatCount]:
    """Annual predikat counts of the plans in the unit and its sub-units, with the total."""
    rows = await db().execute_query_dict(COUNTS_SQL, [current_tenant_id(), period_id, unit_id])
    return cast(list[PredikatCount], rows)


async def plans_in_subtree(*, period_id: int, unit_id: int) -> int:
    rows = await db().execute_query_dict(PLANS_SQL, [current_tenant_id(), period_id, unit_id])
    return rows[0]["n"]


async def evaluates_in_subtree(*, period_id: int, unit_id: int, evaluator_id: int) -> bool:
    """Whether the employee evaluates a plan of the period in the unit or below it."""
    rows = await db().execute_query_dict(
        RATES_IN_SQL, [current_tenant_id(), period_id, unit_id, evaluator_id]
    )
    return bool(rows[0]["rates"])


async def ratings_of_units_above(*, period_id: int, unit_id: int) -> list[UnitRatingRow]:
    """The organisational ratings of the unit and the units above it, nearest first."""
    rows = await db().execute_query_dict(
        "SELECT r.unit_id, r.rating FROM unit_ratings r JOIN org_units u"
        " ON u.tenant_id = r.tenant_id AND u.id = r.unit_id"
        " WHERE r.tenant_id = $1 AND r.period_id = $2 AND "
        + path_within("(SELECT path FROM org_units WHERE tenant_id = $1 AND id = $3)", "u.path")
        + " ORDER BY u.depth DESC",
        [current_tenant_id(), period_id, unit_id],
    )
    return cast(list[UnitRatingRow], rows)


# --- evaluations and realisations --------------------------------------------------------------


async def ensure_evaluation(
    *, plan_id: int, period_id: int, employee_id: int, checkpoint_id: int | None
) -> None:
    """The evaluation row of (plan, checkpoint), created as a DRAFT if missing: concurrent
    first saves meet at the unique index instead of failing."""
    await db().execute_query(
        "INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, checkpoint_id,"
        " status, behaviour_ratings, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, 'DRAFT', '{}', now(), now())"
        " ON CONFLICT (tenant_id, plan_id, COALESCE(checkpoint_id, 0)) DO NOTHING",
        [current_tenant_id(), plan_id, period_id, employee_id, checkpoint_id],
    )


async def pin_checkpoint_evaluator(
    *, plan_id: int, period_id: int, employee_id: int, ended_before: date, evaluator_id: int
) -> None:
    """Before a transfer reassigns a plan: every checkpoint of it that ended before
    `ended_before` keeps `evaluator_id` (its evaluation row is made if missing; an evaluator
    pinned by an earlier transfer stays). One statement for all of them."""
    await db().execute_query(
        "INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, checkpoint_id,"
        " status, behaviour_ratings, evaluator_id, created_at, updated_at)"
        " SELECT $1, $2, $3, $4, c.id, 'DRAFT', '{}', $6, now(), now() FROM checkpoints c"
        " WHERE c.tenant_id = $1 AND c.period_id = $3 AND c.ends_on < $5"
        " ON CONFLICT (tenant_id, plan_id, COALESCE(checkpoint_id, 0)) DO UPDATE"
        " SET evaluator_id = coalesce(evaluations.evaluator_id, EXCLUDED.evaluator_id)",
        [current_tenant_id(), plan_id, period_id, employee_id, ended_before, evaluator_id],
    )


async def upsert_manual_realisation(
    plan_id: int,
    indicator_id: int,
    checkpoint_id: int,
    value: Decimal,
    note: str | None,
    evidence: str,
    late: bool,
) -> int:
    """The employee's realisation of an indicator at a checkpoint, SUBMITTED (replacing
    what was there, review and survey source included); returns its id."""
    rows = await db().execute_query_dict(
        "INSERT INTO realisations (tenant_id, plan_id, indicator_id, checkpoint_id, value, note,"
        " evidence, status, is_late, entered_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 'SUBMITTED', $8, now())"
        " ON CONFLICT (tenant_id, indicator_id, checkpoint_id) DO UPDATE SET"
        " value = EXCLUDED.value, note = EXCLUDED.note, evidence = EXCLUDED.evidence,"
        " status = 'SUBMITTED', is_late = EXCLUDED.is_late, entered_at = now(),"
        " reject_reason = NULL, reviewed_by = NULL, reviewed_at = NULL,"
        " source = 'MANUAL', survey_campaign_id = NULL"
        " RETURNING id",
        [current_tenant_id(), plan_id, indicator_id, checkpoint_id, value, note, evidence, late],
    )
    return rows[0]["id"]


# --- survey-fed indicators ---------------------------------------------------------------------


async def existing_units_and_services(
    unit_ids: list[int], service_ids: list[int]
) -> tuple[set[int], set[int]]:
    """Which of the units and survey services exist in this region (one statement)."""
    rows = await db().execute_query_dict(
        "SELECT 'UNIT' AS kind, id FROM org_units WHERE tenant_id = $1 AND id = ANY($2::bigint[])"
        " UNION ALL SELECT 'SERVICE', id FROM survey_services"
        " WHERE tenant_id = $1 AND id = ANY($3::bigint[])",
        [current_tenant_id(), unit_ids, service_ids],
    )
    units = {r["id"] for r in rows if r["kind"] == "UNIT"}
    services = {r["id"] for r in rows if r["kind"] == "SERVICE"}
    return units, services


# $1 tenant, $2 campaigns (NULL: every campaign), $3 services (NULL: all), $4 their units,
# $5 a plan (NULL: every approved plan). `targets` is MATERIALIZED: planned with the rest
# as one join of nine tables the statement took 5–11 ms to plan (and ~0.3 ms to run)
# until a connection had run it often enough for a generic plan; apart, about 1 ms.
FILL_SQL = """
WITH targets AS MATERIALIZED (
    SELECT i.id AS indicator_id, i.plan_id, ck.id AS checkpoint_id, ck.starts_on, ck.ends_on,
        CASE WHEN i.source_service_id IS NULL THEN 'UNIT' ELSE 'SERVICE' END AS scope,
        coalesce(i.source_service_id, i.source_unit_id) AS scope_id
    FROM survey_campaigns c
    JOIN checkpoints ck ON ck.tenant_id = c.tenant_id
        AND c.closes_on BETWEEN ck.starts_on AND ck.ends_on
    JOIN periods pe ON pe.tenant_id = ck.tenant_id AND pe.id = ck.period_id
        AND pe.status IN ('ACTIVE', 'EVALUATING')
    JOIN plans p ON p.tenant_id = pe.tenant_id AND p.period_id = pe.id AND p.status = 'APPROVED'
    JOIN indicators i ON i.tenant_id = p.tenant_id AND i.plan_id = p.id AND i.source = 'SKM_IKM'
    WHERE c.tenant_id = $1 AND ($2::bigint[] IS NULL OR c.id = ANY($2::bigint[]))
        AND ($5::bigint IS NULL OR p.id = $5)
        AND ($3::bigint[] IS NULL OR i.source_service_id = ANY($3::bigint[])
            OR i.source_unit_id = ANY($4::bigint[]))
        AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.tenant_id = $1
            AND e.plan_id = p.id AND e.checkpoint_id = ck.id AND e.status = 'FINALISED')
),
latest AS (
    SELECT DISTINCT ON (t.indicator_id, t.checkpoint_id) t.indicator_id, t.plan_id,
        t.checkpoint_id, r.campaign_id, r.converted_ikm, r.respondents, c.name
    FROM targets t
    JOIN survey_results r ON r.tenant_id = $1 AND r.scope = t.scope
        AND r.scope_id = t.scope_id AND r.dimension = 'TOTAL' AND r.value = ''
    JOIN survey_campaigns c ON c.tenant_id = $1 AND c.id = r.campaign_id
        AND c.closes_on BETWEEN t.starts_on AND t.ends_on
    ORDER BY t.indicator_id, t.checkpoint_id, c.closes_on DESC, c.id DESC
)
INSERT INTO realisations (tenant_id, plan_id, indicator_id, checkpoint_id, value, note,
    evidence, status, is_late, entered_at, source, survey_campaign_id)
SELECT $1, l.plan_id, l.indicator_id, l.checkpoint_id, l.converted_ikm,
    'IKM ' || l.name || ': ' || l.respondents || ' responden', '[]'::jsonb, 'VERIFIED', false,
    now(), 'SKM_IKM', l.campaign_id
FROM latest l
ON CONFLICT (tenant_id, indicator_id, checkpoint_id) DO UPDATE SET
    value = EXCLUDED.value, note = EXCLUDED.note, evidence = EXCLUDED.evidence,
    status = EXCLUDED.status, is_late = false, entered_at = now(), reject_reason = NULL,
    reviewed_by = NULL, reviewed_at = NULL, source = EXCLUDED.source,
    survey_campaign_id = EXCLUDED.survey_campaign_id
WHERE realisations.value IS DISTINCT FROM EXCLUDED.value
    OR realisations.note IS DISTINCT FROM EXCLUDED.note
    OR realisations.source <> EXCLUDED.source
    OR realisations.survey_campaign_id IS DISTINCT FROM EXCLUDED.survey_campaign_id
RETURNING realisations.id
"""


async def fill_realisations_from_surveys(
    *,
    campaign_ids: list[int] | None,
    service_ids: list[int] | None,
    unit_ids: list[int] | None,
    plan_id: int | None,
) -> int:
    """Writes the survey-fed realisations (see performance/sources.py); returns how many
    rows changed. One statement."""
    rows = await db().execute_query_dict(
        FILL_SQL, [current_tenant_id(), campaign_ids, service_ids, unit_ids, plan_id]
    )
    return len(rows)


# --- monitoring: the plans list ------------------------------------------------------------------


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
    " p.approved_at, p.approved_by, p.approved_capacity, p.approved_acting_unit_id,"
    " p.created_at, p.updated_at, e.name AS employee_name"
)


def _plan_where(actor: Actor, flt: PlanFilter) -> Sql:
    sql = Sql(current_tenant_id())
    sql.where.append("p.tenant_id = $1")
    employee_scope(sql, actor, "p.employee_id")
    if flt.period_id is not None:
        sql.where.append(f"p.period_id = {sql.param(flt.period_id)}")
    if flt.unit_id is not None:
        if flt.include_subunits:
            sql.where.append(f"p.unit_id IN ({unit_subtree(sql.param(flt.unit_id))})")
        else:
            sql.where.append(f"p.unit_id = {sql.param(flt.unit_id)}")
    if flt.status is not None:
        sql.where.append(f"p.status = {sql.param(flt.status)}")
    if flt.evaluator_id is not None:
        sql.where.append(f"p.evaluator_id = {sql.param(flt.evaluator_id)}")
    if flt.predikat is not None:
        sql.where.append(
            "EXISTS (SELECT 1 FROM evaluations ev WHERE ev.tenant_id = $1 AND ev.plan_id = p.id"
            f" AND ev.checkpoint_id IS NULL AND ev.predikat = {sql.param(flt.predikat)}"
            " AND ev.status <> 'DRAFT')"  # a draft's predikat is no result yet
        )
    return sql


async def plans_page(
    *, actor: Actor, flt: PlanFilter, limit: int, after: tuple[str, int] | None
) -> list[Row]:
    """A keyset page by employee name, plus one row to tell whether more follow."""
    sql = _plan_where(actor, flt)
    if after is not None:
        sql.where.append(f"(e.name, p.id) > ({sql.param(after[0])}, {sql.param(after[1])})")
    return await db().execute_query_dict(
        f"SELECT {PLAN_COLUMNS} FROM plans p JOIN employees e ON e.tenant_id = p.tenant_id"
        f" AND e.id = p.employee_id WHERE {sql.conditions()}"
        f" ORDER BY e.name, p.id LIMIT {sql.param(limit + 1)}",
        sql.params,
    )


async def plans_count(*, actor: Actor, flt: PlanFilter) -> int:
    sql = _plan_where(actor, flt)
    rows = await db().execute_query_dict(
        f"SELECT count(*) AS n FROM plans p WHERE {sql.conditions()}", sql.params
    )
    return rows[0]["n"]


# --- monitoring: the read models ----------------------------------------------------------------
# `plan_progress` (per plan: the year's row and one per checkpoint) and `plan_progress_counts`
# (those rows counted per period, checkpoint, unit and ratings) are kept current by the
# triggers of migration 0034 in every writing transaction; the achievement arithmetic is in
# its `kinerja_progress_refresh`. The team view and the statistics read them.


async def rebuild_progress() -> None:
    """The region's read models recomputed from nothing (the same SQL as the triggers)."""
    await db().execute_query("SELECT kinerja_progress_rebuild($1)", [current_tenant_id()])


PROGRESS_COLUMNS = (
    "plan_id, checkpoint_id, period_id, employee_id, unit_id, plan_status, achievement,"
    " indicators, counted, missing, pending, predikat, result_rating, behaviour_rating,"
    " latest_predikat, latest_evaluation_status, missing_ends, missing_counts, no_data"
)
COUNTS_COLUMNS = (
    "period_id, checkpoint_id, unit_id, plan_status, predikat, result_rating, behaviour_rating,"
    " plans, with_achievement, achievement_sum, no_data"
)


async def progress_state() -> tuple[list[Row], list[Row]]:
    """The region's read-model rows in a fixed order, counts without their empty rows: what
    the incremental upkeep and a rebuild must agree on."""
    conn, tenant_id = db(), current_tenant_id()
    plans = await conn.execute_query_dict(
        f"SELECT {PROGRESS_COLUMNS} FROM plan_progress WHERE tenant_id = $1"
        " ORDER BY plan_id, checkpoint_id NULLS FIRST",
        [tenant_id],
    )
    counts = await conn.execute_query_dict(
        f"SELECT {COUNTS_COLUMNS} FROM plan_progress_counts WHERE tenant_id = $1"
        " AND (plans <> 0 OR with_achievement <> 0 OR achievement_sum <> 0 OR no_data <> 0)"
        " ORDER BY period_id, checkpoint_id NULLS FIRST, unit_id, plan_status,"
        " predikat NULLS FIRST, result_rating NULLS FIRST, behaviour_rating NULLS FIRST",
        [tenant_id],
    )
    return plans, counts


# --- monitoring: the supervisor's team -----------------------------------------------------------

# Each report with their plan and its year's row; missing realisations are summed over the
# checkpoints that have ended (which depends on today, so at read time), from the row's own
# arrays of checkpoint ends and missing counts.
TEAM_SQL = f"""
SELECT e.*, tp.id AS plan_id, tp.status AS plan_status, pp.achievement,
    coalesce(pp.indicators, 0) AS indicators,
    coalesce((SELECT sum(m.n) FROM unnest(pp.missing_ends, pp.missing_counts) AS m(ends_on, n)
              WHERE m.ends_on < $4), 0) AS missing_realisations,
    coalesce(pp.pending, 0) AS pending_verifications, pp.latest_predikat,
    pp.latest_evaluation_status
FROM (SELECT {EMPLOYEE_COLUMNS} FROM employees
      WHERE tenant_id = $1 AND is_active AND id <> $2
          -- the reports of $2, and of the heads $2 stands in for as acting head (Plt./Plh.)
          AND supervisor_id = ANY(ARRAY(SELECT $2::bigint UNION {heads_acted_for_sql("$2")}))) e
LEFT JOIN plans tp ON tp.tenant_id = $1 AND tp.period_id = $3 AND tp.employee_id = e.id
LEFT JOIN plan_progress pp ON pp.tenant_id = $1 AND pp.plan_id = tp.id
    AND pp.checkpoint_id IS NULL
ORDER BY e.name, e.id
"""


async def team_rows(*, supervisor_id: int, period_id: int, today: date) -> list[Row]:
    """The direct reports of `supervisor_id`, and while they are an acting head (Plt./Plh.)
    the reports of the heads they stand in for."""
    return await db().execute_query_dict(
        TEAM_SQL, [current_tenant_id(), supervisor_id, period_id, today]
    )


# --- monitoring: statistics ----------------------------------------------------------------------


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
    StatsDimension.PREDIKAT: "g.predikat",
    StatsDimension.RESULT_RATING: "g.result_rating",
    StatsDimension.BEHAVIOUR_RATING: "g.behaviour_rating",
    StatsDimension.PLAN_STATUS: "g.plan_status",
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
    *,
    by: list[StatsDimension],
    unit_depth: int | None,
    unit_param: str | None,
    scoped: str,
    unit_filter: str,
    counted: bool,
) -> str:
    """The statistics statement over the read models: per plan (`plan_progress`, for a view
    limited to some employees) or already counted (`plan_progress_counts`, the region's
    view: a few hundred rows). The year's rows, or the checkpoints' when grouped by them.
    The average is over the plans with an achievement (approved, with indicators), of
    their achievements rounded to cents."""
    # The unit a plan is counted under: one level below the chosen unit (the unit itself
    # for its own staff), or the top-level unit of the region.
    level = 2 if unit_depth is None else unit_depth + 3
    unit_group = (
        f"split_part(u.path, '/', {level})::bigint"
        if unit_depth is None
        else f"coalesce(nullif(split_part(u.path, '/', {level}), '')::bigint, {unit_param})"
    )
    checkpoints = "IS NOT NULL" if StatsDimension.CHECKPOINT in by else "IS NULL"
    dims = [DIMENSION_COLUMNS[d] for d in by]
    selected = "".join(f"{DIMENSION_COLUMNS[d]} AS {DIMENSION_ALIASES[d]}, " for d in by)
    group = f"GROUP BY {', '.join(dims)}" if dims else ""
    order = f"ORDER BY {', '.join(dims)}" if dims else ""
    if counted:
        source = "plan_progress_counts"
        figures = (
            "coalesce(sum(g.plans), 0) AS plans,"
            " coalesce(sum(g.with_achievement), 0) AS with_achievement,"
            " coalesce(sum(g.no_data), 0) AS no_data,"
            " round(sum(g.achievement_sum) / nullif(sum(g.with_achievement), 0), 2)"
            " AS average_achievement"
        )
        # Counts that went back to 0 stay as rows; a group of only those is no group.
        having = "HAVING sum(g.plans) > 0" if dims else ""
    else:
        source = "plan_progress"
        figures = (
            "count(*) AS plans, count(g.achievement) AS with_achievement,"
            " count(*) FILTER (WHERE g.no_data) AS no_data,"
            " round(avg(g.achievement), 2) AS average_achievement"
        )
        having = ""
    return f"""
SELECT {selected}{figures}
FROM (
    SELECT x.*, {unit_group} AS unit_group
    FROM {source} x JOIN org_units u ON u.tenant_id = x.tenant_id AND u.id = x.unit_id
    WHERE x.tenant_id = $1 AND x.period_id = $2 AND x.checkpoint_id {checkpoints}
        {unit_filter} {scoped}
) g
{group} {having} {order}
"""


def plan_evaluator_scope(sql: Sql, actor: Actor, row: str) -> None:
    """The plans a supervisor's statistics count, by the evaluator recorded on each plan
    (not today's supervision chain, issue #18): their own, those they evaluate, and those
    evaluated by someone below them. The region admin: all; anyone else: their own.
    `row` is the alias of a read-model row (its `plan_id`, `employee_id`, `tenant_id`)."""
    if actor.has(Role.REGION_ADMIN):
        return
    if actor.employee_id is None:
        sql.where.append("false")
        return
    me = sql.param(actor.employee_id)
    if actor.has(Role.SUPERVISOR):
        sql.where.append(
            f"({row}.employee_id = {me} OR EXISTS (SELECT 1 FROM plans p"
            f" WHERE p.tenant_id = {row}.tenant_id AND p.id = {row}.plan_id"
            f" AND (p.evaluator_id = {me}"
            f" OR p.evaluator_id IN ({supervision_chain_below(me)}))))"
        )
    else:
        sql.where.append(f"{row}.employee_id = {me}")


class UnitPlace(TypedDict):
    depth: int
    path: str


async def unit_place(unit_id: int) -> UnitPlace | None:
    rows = await db().execute_query_dict(
        "SELECT depth, path FROM org_units WHERE tenant_id = $1 AND id = $2",
        [current_tenant_id(), unit_id],
    )
    return cast(UnitPlace, rows[0]) if rows else None


def stats_statement(
    *,
    actor: Actor,
    period_id: int,
    unit_id: int | None,
    unit: UnitPlace | None,
    by: list[StatsDimension],
) -> tuple[str, list[Any]]:
    """The statistics statement and its parameters for the plans in the actor's scope
    (under `unit`, found by `unit_id`, when given)."""
    sql = Sql(current_tenant_id(), period_id)  # $1, $2
    unit_depth = unit_param = None
    unit_filter = ""
    if unit is not None:
        unit_depth = unit["depth"]
        unit_param = sql.param(unit_id)
        unit_filter = "AND " + path_under("u.path", sql.param(unit["path"]))
    plan_evaluator_scope(sql, actor, "x")
    # The whole region's view reads the counts; a view limited to some plans (a
    # supervisor's, by the evaluator recorded on each) counts their plans' rows.
    counted = len(sql.where) == 0
    query = stats_sql(
        by=by,
        unit_depth=unit_depth,
        unit_param=unit_param,
        scoped=sql.conditions(prefix=" AND "),
        unit_filter=unit_filter,
        counted=counted,
    )
    return query, sql.params


async def stats_rows(
    *,
    actor: Actor,
    period_id: int,
    unit_id: int | None,
    unit: UnitPlace | None,
    by: list[StatsDimension],
) -> list[Row]:
    query, params = stats_statement(
        actor=actor, period_id=period_id, unit_id=unit_id, unit=unit, by=by
    )
    return await db().execute_query_dict(query, params)


# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def behaviour_values() -> list[BehaviourValue]:
    """The region's BerAKHLAK values in their order."""
    return await scoped(BehaviourValue).order_by("position")


async def plans_by_id(ids: list[int]) -> dict[int, Plan]:
    """The region's plans of these ids, in one statement."""
    rows = await scoped(Plan).filter(id__in=set(ids))
    return {p.id: p for p in rows}


# --- the compiled read path (schema/compiled.py): a plan and its content as JSON ----------

PLANS_TABLE = "plans"
PLAN_RESULTS_TABLE = "plan_results"
INDICATORS_TABLE = "indicators"
# `plans.plan_content` orders by position; ties (never written: positions are numbered
# 0…n-1 per save) fall to the id here.
RESULT_ORDER = ("position", "id")
INDICATOR_ORDER = ("position", "id")


def plan_json(b: json_select.Builder, *, plan_id: int, shape: json_select.Obj) -> str:
    """The region's plan `plan_id` as a subquery answering `shape` (null: none). Who may
    read it is decided before, by `access.visible_plan` (the resolver's check)."""
    rows = f"SELECT * FROM {PLANS_TABLE} WHERE tenant_id = $1 AND id = {b.sql.param(plan_id)}"
    return json_select.one_row(b, rows=rows, shape=shape)


def no_contacts(alias: str, sql: Sql) -> str:
    """A person reached through a plan (its employee, its evaluator): never their contacts
    (schema/performance/types._person, `with_contact=False`)."""
    return "false"
