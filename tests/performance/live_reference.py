"""The team view and the statistics as main computed them before the read models (issue
19): from the realisations on every read. The reference the read models must agree with,
written apart from them (its arithmetic: INDICATOR_VALUE, PLAN_ACHIEVEMENT and the SQL
functions kinerja_achievement, kinerja_indicator_target, kinerja_year_value). Main's SQL as
of cbd042e (per-checkpoint targets, "no data")."""

from __future__ import annotations

from kinerja_saas.org.queries import EMPLOYEE_COLUMNS
from kinerja_saas.performance.queries import (
    INDICATOR_ACHIEVEMENT,
    INDICATOR_VALUE,
    PLAN_ACHIEVEMENT,
    StatsDimension,
)

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

# $1 tenant, $2 supervisor, $3 period, $4 today, $5 cap
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
    SELECT {PLAN_ACHIEVEMENT} AS achievement, count(*) AS indicators
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
        AND ev.status <> 'DRAFT' -- a draft's predikat is no result yet
    ORDER BY (ev.checkpoint_id IS NULL) DESC, c.number DESC LIMIT 1
) latest ON true
ORDER BY e.name, e.id
"""


# $1 tenant, $2 period, $3 cap, ($4 unit id, $5 its path)
def stats_sql(
    *, by: list[StatsDimension], unit_depth: int | None, scoped: str, unit_filter: str
) -> str:
    """The statistics statement: plans in scope (× checkpoints when grouped by them), their
    achievement from the realisations, their evaluation, grouped by the dimensions.

    Set-based rather than a lateral per plan and indicator: a whole region's realisations are
    read in one pass and joined by hash (the per-indicator lookups cost ~5× more at 5,000
    employees, bench/README.md). A plan's achievement is Σ(achievement × weight) over its
    counted realisations ÷ its total weight, so a missing or rejected one adds 0; an approved
    plan without any counted realisation (at the checkpoint) is "no data": counted in
    `no_data`, left out of the average, never 0."""
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
    # Each counted value with `total` (what a PER_PERIOD indicator counts for the year) and
    # `number` (the checkpoint whose own target applies; null: the annual target): the same
    # functions as INDICATOR_VALUE / INDICATOR_ACHIEVEMENT, in one pass.
    if per_checkpoint:
        values = (
            "SELECT r.plan_id, r.checkpoint_id, r.indicator_id, r.value, r.value AS total,"
            " c.number "
            + counted.format(
                join="JOIN checkpoints c ON c.tenant_id = $1 AND c.id = r.checkpoint_id"
            )
        )
        grain = (
            "SELECT sp.*, c.id AS checkpoint_id FROM sp JOIN checkpoints c"
            " ON c.tenant_id = $1 AND c.period_id = $2"
        )
        score_match = "s.checkpoint_id = g.checkpoint_id"
    else:  # to date: each indicator's latest counted realisation, in one sorted pass
        values = (
            "SELECT DISTINCT ON (r.indicator_id) r.plan_id, NULL::bigint AS checkpoint_id,"
            " r.indicator_id, r.value, sum(r.value) OVER (PARTITION BY r.indicator_id) AS total,"
            " NULL::integer AS number "
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
        sum(kinerja_achievement(kinerja_indicator_target(i.target, i.checkpoint_targets,
            v.number), kinerja_year_value(i.target_kind, v.value, v.total), i.direction, $3)
            * i.weight) AS score
    FROM v JOIN indicators i ON i.tenant_id = $1 AND i.id = v.indicator_id
    GROUP BY v.plan_id, v.checkpoint_id
), g AS ({grain})
SELECT {selected}count(*) AS plans, count(s.score) AS with_achievement,
    count(w.total) - count(s.score) AS no_data,
    round(avg(round(s.score / w.total, 2)), 2) AS average_achievement
FROM g
LEFT JOIN weights w ON w.plan_id = g.id
LEFT JOIN scores s ON s.plan_id = g.id AND {score_match}
LEFT JOIN evaluations ev ON ev.tenant_id = $1 AND ev.plan_id = g.id AND {evaluation_match}
    AND ev.status <> 'DRAFT'  -- a draft's ratings are no result yet
{group}
"""
