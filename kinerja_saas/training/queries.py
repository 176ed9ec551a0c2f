"""The training domain's SQL: the set-based assignment of a period's low performers (and
its events), seats and the waiting list, the assignment lists, the JP ledger and the
effectiveness pairs. Services in this package call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypedDict, cast

from kinerja_saas.db import Row, Sql, db, json_select, scoped
from kinerja_saas.db.fragments import unit_subtree
from kinerja_saas.indonesian import SQL_MONTHS
from kinerja_saas.org.queries import heads_acted_for_sql
from kinerja_saas.outbox.queries import insert_events_sql
from kinerja_saas.outbox.topics import sql_literal
from kinerja_saas.performance.queries import INDICATOR_ACHIEVEMENT, INDICATOR_VALUE
from kinerja_saas.training import events
from kinerja_saas.training.models import (
    LIVE_STATUSES,
    SEATED_STATUSES,
    AssignmentStatus,
    Competency,
    TrainingBatch,
    TrainingProgramme,
    TrainingRule,
    TrainingUnit,
)
from tenants.context import current_tenant_id


def _in(statuses) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in statuses) + ")"


LIVE = _in(LIVE_STATUSES)
SEATED = _in(SEATED_STATUSES)

# Upcoming batches of a programme with their free seats, in date order: open for placement
# while not cancelled, not yet confirmed by the training unit and not started. Expects the
# programme id as `{programme}`; $1 tenant, `{today}` the date.
ROOM = f"""SELECT b.id AS batch_id, b.programme_id, b.starts_on,
        greatest(b.capacity - t.taken, 0) AS free
    FROM training_batches b
    CROSS JOIN LATERAL (SELECT count(*) AS taken FROM training_assignments a
        WHERE a.tenant_id = $1 AND a.batch_id = b.id AND a.status IN {SEATED}) t
    WHERE b.tenant_id = $1 AND b.programme_id = {{programme}} AND NOT b.is_cancelled
        AND b.confirmed_at IS NULL AND b.starts_on > {{today}}"""

# $1 tenant, $2 period, $3 evaluation or NULL, $4 org unit (with sub-units) or NULL,
# $5 indicator floor, $6 achievement cap, $7 programmes per evaluation, $8 today.
EVALUATED = f"""
WITH ev AS (
    SELECT DISTINCT ON (e.employee_id) e.id, e.employee_id, e.plan_id, e.checkpoint_id,
        e.predikat, e.behaviour_ratings, e.evidence
    FROM evaluations e
    JOIN employees emp ON emp.tenant_id = $1 AND emp.id = e.employee_id AND emp.is_active
    WHERE e.tenant_id = $1 AND e.period_id = $2 AND e.status = 'FINALISED'
        AND ($3::bigint IS NULL OR e.id = $3::bigint)
        AND ($4::bigint IS NULL OR emp.unit_id IN ({unit_subtree("$4::bigint")}))
    -- the annual evaluation before a checkpoint's, then the latest
    ORDER BY e.employee_id, (e.checkpoint_id IS NULL) DESC, e.finalised_at DESC, e.id DESC
), weak AS (
    SELECT ev.id AS evaluation_id, ev.employee_id, ev.predikat,
        'PREDIKAT'::text AS trigger, ev.predikat::text AS value
    FROM ev WHERE ev.predikat IS NOT NULL
    UNION
    SELECT ev.id, ev.employee_id, ev.predikat, 'WEAK_BEHAVIOUR', b.key
    FROM ev CROSS JOIN LATERAL jsonb_each(ev.behaviour_ratings::jsonb) b
    WHERE b.value->>'rating' = 'DI_BAWAH_EKSPEKTASI'
    UNION
    SELECT ev.id, ev.employee_id, ev.predikat, 'WEAK_RESULT', i.aspect
    FROM ev JOIN indicators i ON i.tenant_id = $1 AND i.plan_id = ev.plan_id
    {INDICATOR_VALUE.format(checkpoint="ev.checkpoint_id")}
    -- the achievement frozen with the finalised evaluation; live only for older ones
    WHERE coalesce((ev.evidence::jsonb -> i.id::text ->> 'achievement')::numeric,
        {INDICATOR_ACHIEVEMENT.format(cap="$6::numeric")}) < $5::numeric
), hit AS (
    SELECT w.*, r.id AS rule_id, r.priority, r.competency_id, bp.programme_id
    FROM weak w
    JOIN training_rules r ON r.tenant_id = $1 AND r.is_active AND r.trigger = w.trigger
        AND r.trigger_value = w.value
    CROSS JOIN LATERAL (
        SELECT p.id AS programme_id FROM training_programmes p
        CROSS JOIN LATERAL (SELECT count(*) AS n FROM training_programme_competencies c
            WHERE c.tenant_id = $1 AND c.programme_id = p.id) k
        WHERE p.tenant_id = $1 AND p.is_active AND (p.id = r.programme_id OR EXISTS (
            SELECT 1 FROM training_programme_competencies c WHERE c.tenant_id = $1
                AND c.programme_id = p.id AND c.competency_id = r.competency_id))
        ORDER BY (p.id = r.programme_id) IS TRUE DESC, k.n, p.id LIMIT 1
    ) bp
"""

ASSIGN = (
    EVALUATED
    + f"""), per_programme AS (
    -- a programme the employee has live this period is no candidate (a no-show or a
    -- cancelled one may be assigned again)
    SELECT DISTINCT ON (employee_id, programme_id) * FROM hit h
    WHERE NOT EXISTS (SELECT 1 FROM training_assignments a WHERE a.tenant_id = $1
        AND a.period_id = $2 AND a.employee_id = h.employee_id
        AND a.programme_id = h.programme_id AND a.status IN {LIVE})
    ORDER BY employee_id, programme_id, priority, rule_id
), chosen AS (
    SELECT * FROM (
        SELECT pp.*, row_number() OVER (PARTITION BY employee_id ORDER BY priority, rule_id) AS n
        FROM per_programme pp) x
    WHERE x.n <= $7 - (SELECT count(*) FROM training_assignments a WHERE a.tenant_id = $1
        AND a.period_id = $2 AND a.employee_id = x.employee_id AND a.evaluation_id IS NOT NULL
        AND a.status IN {LIVE})
), fresh AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.programme_id
        ORDER BY c.priority, c.employee_id) AS rank
    FROM chosen c WHERE NOT EXISTS (
        SELECT 1 FROM training_assignments a WHERE a.tenant_id = $1
            AND a.employee_id = c.employee_id AND a.programme_id = c.programme_id
            AND a.period_id = $2 AND a.status IN {LIVE})
), programmes AS (
    SELECT DISTINCT programme_id FROM fresh
), room AS (
    SELECT r.*, sum(r.free) OVER (PARTITION BY r.programme_id
        ORDER BY r.starts_on, r.batch_id) AS seats_to
    FROM programmes g CROSS JOIN LATERAL ({ROOM.format(programme="g.programme_id", today="$8")}) r
), placed AS (
    SELECT f.*,
        (SELECT rm.batch_id FROM room rm WHERE rm.programme_id = f.programme_id
            AND rm.free > 0 AND f.rank <= rm.seats_to AND f.rank > rm.seats_to - rm.free
            ORDER BY rm.seats_to LIMIT 1) AS batch_id,
        coalesce((SELECT sum(rm.free) FROM room rm WHERE rm.programme_id = f.programme_id), 0)
            AS total_free,
        coalesce((SELECT max(a.waiting_position) FROM training_assignments a
            WHERE a.tenant_id = $1 AND a.programme_id = f.programme_id
                AND a.status = 'WAITING'), 0) AS waiting_before
    FROM fresh f
)
INSERT INTO training_assignments (tenant_id, employee_id, programme_id, period_id, batch_id,
    waiting_position, status, reason, reason_value, evaluation_id, predikat, competency_id,
    rule_id, created_at, updated_at)
SELECT $1, p.employee_id, p.programme_id, $2, p.batch_id,
    CASE WHEN p.batch_id IS NULL THEN p.waiting_before + p.rank - p.total_free END,
    CASE WHEN p.batch_id IS NULL THEN 'WAITING' ELSE 'ASSIGNED' END,
    p.trigger, p.value, p.evaluation_id, p.predikat, p.competency_id, p.rule_id, now(), now()
FROM placed p
ORDER BY p.programme_id, p.rank
ON CONFLICT (tenant_id, employee_id, programme_id, period_id) WHERE status IN {LIVE}
DO NOTHING
RETURNING id
"""
)


def _tanggal(column: str) -> str:
    return (
        f"extract(day FROM {column})::int || ' ' || ({SQL_MONTHS})[extract(month FROM {column})::int]"
        f" || ' ' || extract(year FROM {column})::int"
    )


# $1 tenant, $2 the new assignments' ids, $3 the chunk size. Per assignment: one event for
# the employee; per supervisor: one event listing theirs; per training unit: one event per
# UNIT_EVENT_CHUNK participants (a webhook body and a job payload stay small).
EVENTS = f"""
WITH a AS (
    SELECT a.id, a.employee_id, a.programme_id, a.batch_id, a.waiting_position, a.status,
        a.reason, a.reason_value, a.period_id, e.supervisor_id, e.nip, e.name, e.email,
        e.unit_id, p.training_unit_id, p.title, p.jp_hours, b.name AS batch_name,
        b.starts_on, b.ends_on,
        (row_number() OVER (PARTITION BY p.training_unit_id ORDER BY a.id) - 1) / $3
            AS chunk,
        CASE WHEN a.batch_id IS NULL
            THEN 'Saat ini Anda berada pada daftar tunggu nomor ' || a.waiting_position || '.'
            ELSE 'Jadwal: ' || b.name || ', ' || {_tanggal("b.starts_on")} || ' s.d. '
                || {_tanggal("b.ends_on")} || '.' END AS jadwal
    FROM training_assignments a
    JOIN employees e ON e.tenant_id = $1 AND e.id = a.employee_id
    JOIN training_programmes p ON p.tenant_id = $1 AND p.id = a.programme_id
    LEFT JOIN training_batches b ON b.tenant_id = $1 AND b.id = a.batch_id
    WHERE a.tenant_id = $1 AND a.id = ANY($2::bigint[])
)
""" + insert_events_sql(
    None,
    topic_sql="x.topic",
    payload_sql="x.payload",
    tail_sql=f"""FROM (
    SELECT 1 AS k, a.id AS o, {sql_literal(events.ASSIGNED)} AS topic, jsonb_build_object(
        'assignment_id', a.id, 'employee_id', a.employee_id, 'programme_id', a.programme_id,
        'training_unit_id', a.training_unit_id, 'batch_id', a.batch_id,
        'period_id', a.period_id, 'status', a.status, 'waiting_position', a.waiting_position,
        'reason', a.reason, 'reason_value', a.reason_value, 'judul', a.title,
        'jp', a.jp_hours, 'jadwal', a.jadwal) AS payload
    FROM a
    UNION ALL
    SELECT 2, a.supervisor_id, {sql_literal(events.TEAM_ASSIGNED)}, jsonb_build_object(
        'supervisor_id', a.supervisor_id, 'jumlah', count(*),
        'assignment_ids', jsonb_agg(a.id ORDER BY a.id))
    FROM a WHERE a.supervisor_id IS NOT NULL GROUP BY a.supervisor_id
    UNION ALL
    SELECT 3, a.training_unit_id * 100000 + a.chunk, {sql_literal(events.UNIT_ASSIGNED)},
        jsonb_build_object(
        'training_unit_id', a.training_unit_id, 'jumlah', count(*),
        'assignments', jsonb_agg(jsonb_build_object(
            'assignment_id', a.id, 'employee_id', a.employee_id, 'nip', a.nip,
            'name', a.name, 'email', a.email, 'unit_id', a.unit_id,
            'programme_id', a.programme_id, 'batch_id', a.batch_id, 'status', a.status,
            'waiting_position', a.waiting_position) ORDER BY a.id))
    FROM a GROUP BY a.training_unit_id, a.chunk
) x ORDER BY x.k, x.o""",
)


# Automatic assignments of the evaluated employees (same parameters as ASSIGN) to programmes
# that no rule calls for any more on their evaluation, e.g. after an appeal raised the
# predikat: withdrawn while they have not started (waiting, or in a batch not begun). A
# programme still called for (by another rule now) is kept.
WITHDRAW = (
    EVALUATED
    + """
)
UPDATE training_assignments a SET status = 'CANCELLED', updated_at = now(),
    note = 'Ditarik otomatis: hasil penilaian kinerja berubah dan tidak lagi memerlukan '
        || 'pelatihan ini.'
FROM ev
WHERE a.tenant_id = $1 AND a.period_id = $2 AND a.employee_id = ev.employee_id
    AND a.evaluation_id IS NOT NULL AND a.status IN ('WAITING', 'ASSIGNED', 'CONFIRMED')
    AND NOT EXISTS (SELECT 1 FROM hit h WHERE h.employee_id = a.employee_id
        AND h.programme_id = a.programme_id)
    AND (a.batch_id IS NULL OR EXISTS (SELECT 1 FROM training_batches b
        WHERE b.tenant_id = $1 AND b.id = a.batch_id AND b.starts_on > $8))
    AND $7::int > 0 -- (ASSIGN's parameters: the cap is not needed here)
RETURNING a.id, a.programme_id, a.batch_id
"""
)

# Seats freed in batches ($2 programme ids, $3 batch ids, pairwise): per programme, the first
# on its waiting list take them, while the batch is neither cancelled nor started ($4 today).
PROMOTE = """
WITH freed AS (
    SELECT f.programme_id, f.batch_id,
        row_number() OVER (PARTITION BY f.programme_id ORDER BY b.starts_on, f.batch_id) AS k
    FROM unnest($2::bigint[], $3::bigint[]) AS f(programme_id, batch_id)
    JOIN training_batches b ON b.tenant_id = $1 AND b.id = f.batch_id
        AND NOT b.is_cancelled AND b.starts_on > $4::date
), waiting AS (
    SELECT a.id, a.programme_id,
        row_number() OVER (PARTITION BY a.programme_id ORDER BY a.waiting_position, a.id) AS k
    FROM training_assignments a
    WHERE a.tenant_id = $1 AND a.status = 'WAITING' AND a.programme_id = ANY($2::bigint[])
)
UPDATE training_assignments a SET status = 'ASSIGNED', batch_id = f.batch_id,
    waiting_position = NULL, updated_at = now()
FROM freed f JOIN waiting w ON w.programme_id = f.programme_id AND w.k = f.k
WHERE a.tenant_id = $1 AND a.id = w.id
RETURNING a.id
"""

# The waiting lists of programmes ($2) numbered 1, 2, 3… again after people left them.
CLOSE_UP = """
UPDATE training_assignments a SET waiting_position = r.position, updated_at = now()
FROM (SELECT id, row_number() OVER (PARTITION BY programme_id
        ORDER BY waiting_position, id) AS position
    FROM training_assignments WHERE tenant_id = $1 AND status = 'WAITING'
        AND programme_id = ANY($2::bigint[])) r
WHERE a.tenant_id = $1 AND a.id = r.id AND a.waiting_position IS DISTINCT FROM r.position
"""


async def assign_from_evaluations(
    *,
    period_id: int,
    evaluation_id: int | None,
    unit_id: int | None,
    floor: Decimal,
    cap: Decimal,
    per_evaluation: int,
    today: date,
) -> list[int]:
    """Assigns what the period's finalised evaluations call for (one evaluation's, or one
    unit's with its sub-units, when given); returns the new assignments' ids."""
    rows = await db().execute_query_dict(
        ASSIGN,
        [current_tenant_id(), period_id, evaluation_id, unit_id, floor, cap, per_evaluation, today],
    )
    return [r["id"] for r in rows]


class Withdrawn(TypedDict):
    id: int
    programme_id: int
    batch_id: int | None


async def withdraw_unneeded(
    *,
    period_id: int,
    evaluation_id: int | None,
    unit_id: int | None,
    floor: Decimal,
    cap: Decimal,
    per_evaluation: int,
    today: date,
) -> list[Withdrawn]:
    """Withdraws the automatic assignments (not started) that the evaluations no longer
    call for (see WITHDRAW; the same parameters as assign_from_evaluations)."""
    rows = await db().execute_query_dict(
        WITHDRAW,
        [current_tenant_id(), period_id, evaluation_id, unit_id, floor, cap, per_evaluation, today],
    )
    return cast(list[Withdrawn], rows)


async def promote_waiting(
    *, programme_ids: list[int], batch_ids: list[int], today: date
) -> list[int]:
    """The first waiting take the freed seats (see PROMOTE); the promoted assignments' ids."""
    rows = await db().execute_query_dict(
        PROMOTE, [current_tenant_id(), programme_ids, batch_ids, today]
    )
    return [r["id"] for r in rows]


async def close_up_waiting(programme_ids: list[int]) -> None:
    """The programmes' waiting lists numbered 1, 2, 3… again (see CLOSE_UP)."""
    await db().execute_query(CLOSE_UP, [current_tenant_id(), programme_ids])


async def lock_programmes(programme_ids: list[int] | None = None) -> None:
    """Serialises placement per programme (all the region's when None), in id order so two
    lockers never deadlock."""
    await db().execute_query(
        "SELECT id FROM training_programmes WHERE tenant_id = $1"
        " AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[])) ORDER BY id FOR UPDATE",
        [current_tenant_id(), programme_ids],
    )


async def insert_assignment_events(assignment_ids: list[int], *, unit_chunk: int) -> None:
    """The outbox events of new assignments (see EVENTS), one statement."""
    await db().execute_query(EVENTS, [current_tenant_id(), assignment_ids, unit_chunk])


async def next_seat(programme_id: int, *, today: date | None = None) -> tuple[int | None, int]:
    """(batch with room or None, waiting position if none) for one more person; the caller
    holds the programme's lock."""
    rows = await db().execute_query_dict(
        "SELECT (SELECT r.batch_id FROM ("
        + ROOM.format(programme="$2::bigint", today="$3::date")
        + ") r WHERE r.free > 0 ORDER BY r.starts_on, r.batch_id LIMIT 1) AS batch_id,"
        " (SELECT coalesce(max(a.waiting_position), 0) + 1 FROM training_assignments a"
        " WHERE a.tenant_id = $1 AND a.programme_id = $2 AND a.status = 'WAITING') AS position",
        [current_tenant_id(), programme_id, today or date.today()],
    )
    return rows[0]["batch_id"], rows[0]["position"]


# --- lists -------------------------------------------------------------------------------------

ROW = """SELECT a.id, a.employee_id, a.programme_id, a.period_id, a.batch_id,
    a.waiting_position, a.status, a.reason, a.reason_value, a.evaluation_id, a.predikat,
    a.score, a.certificate_ref, a.completed_at, a.created_at,
    e.nip, e.name AS employee_name, e.email, e.phone, e.unit_id, u.name AS unit_name,
    p.title AS programme_title, p.jp_hours, p.mode, p.training_unit_id,
    b.name AS batch_name, b.starts_on, b.ends_on
FROM training_assignments a
JOIN employees e ON e.tenant_id = a.tenant_id AND e.id = a.employee_id
JOIN org_units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id
JOIN training_programmes p ON p.tenant_id = a.tenant_id AND p.id = a.programme_id
LEFT JOIN training_batches b ON b.tenant_id = a.tenant_id AND b.id = a.batch_id
WHERE a.tenant_id = $1"""


@dataclass(frozen=True)
class AssignmentFilter:
    programme_id: int | None = None
    batch_id: int | None = None
    status: AssignmentStatus | None = None
    period_id: int | None = None


def _assignments_rows(
    sql: Sql,
    *,
    flt: AssignmentFilter,
    training_unit_id: int | None,
    employee_id: int | None,
    supervisor_id: int | None,
    limit: int,
    after_id: int | None,
    officer_unit: str | None = None,
) -> str:
    """The SELECT of one page of assignments, newest first: the ordinary read's and the
    compiled path's (`sql`'s `$1` the tenant). `officer_unit`: a subquery of the training
    unit (`officer_unit_sql`), in place of a known `training_unit_id`."""
    sql.where = []
    if officer_unit is not None:
        sql.where.append(f"p.training_unit_id = {officer_unit}")
    for column, value in (
        ("p.training_unit_id", training_unit_id),
        ("a.employee_id", employee_id),
        ("a.programme_id", flt.programme_id),
        ("a.batch_id", flt.batch_id),
        ("a.status", flt.status.value if flt.status else None),
        ("a.period_id", flt.period_id),
    ):
        if value is not None:
            sql.where.append(f"{column} = {sql.param(value)}")
    if supervisor_id is not None:
        # the supervisor's reports, and while they act (Plt./Plh.) those of the heads they
        # stand in for: the same team `myTeam` shows
        me = sql.param(supervisor_id)
        sql.where.append(
            f"e.supervisor_id = ANY(ARRAY(SELECT {me}::bigint UNION {heads_acted_for_sql(me)}))"
            f" AND e.id <> {me}::bigint"
        )
    after = sql.param(after_id)
    sql.where.append(f"({after}::bigint IS NULL OR a.id < {after}::bigint)")
    return f"{ROW}{sql.conditions(prefix=' AND ')} ORDER BY a.id DESC LIMIT {sql.param(limit + 1)}"


async def assignments_page(
    *,
    flt: AssignmentFilter,
    training_unit_id: int | None = None,
    employee_id: int | None = None,
    supervisor_id: int | None = None,
    limit: int,
    after_id: int | None,
) -> list[Row]:
    """Assignments newest first, keyset by id (`limit + 1` rows: one tells more)."""
    sql = Sql(current_tenant_id())
    rows = _assignments_rows(
        sql,
        flt=flt,
        training_unit_id=training_unit_id,
        employee_id=employee_id,
        supervisor_id=supervisor_id,
        limit=limit,
        after_id=after_id,
    )
    return await db().execute_query_dict(rows, sql.params)


def officer_unit_sql(sql: Sql, user_id: int) -> str:
    """The training unit of the officer's login `user_id`, as a scalar subquery (null when
    the login has none): `admin.officer_unit`'s lookup, inside the statement that uses it."""
    return (
        f"(SELECT o.training_unit_id FROM training_officers o"
        f" WHERE o.tenant_id = $1 AND o.user_id = {sql.param(user_id)}::bigint)"
    )


def assignments_page_json(
    b: json_select.Builder,
    *,
    flt: AssignmentFilter,
    training_unit_id: int | None = None,
    officer_user_id: int | None = None,
    employee_id: int | None = None,
    supervisor_id: int | None = None,
    limit: int,
    after_id: int | None,
    shape: json_select.Page,
) -> str:
    """The page `assignments_page` reads, as a subquery answering the connection `shape`
    (the compiled read path, docs/compiled-queries.md). `officer_user_id`: the page of that
    officer login's training unit, looked up in the same statement; null (no page) when the
    login has no unit, so that the caller falls back to the ordinary path and its refusal."""
    unit = officer_unit_sql(b.sql, officer_user_id) if officer_user_id is not None else None
    rows = _assignments_rows(
        b.sql,
        flt=flt,
        training_unit_id=training_unit_id,
        employee_id=employee_id,
        supervisor_id=supervisor_id,
        limit=limit,
        after_id=after_id,
        officer_unit=unit,
    )
    page = json_select.keyset_page(b, rows=rows, order=[("id", True)], limit=limit, shape=shape)
    if unit is None:
        return page
    return f"(SELECT CASE WHEN {unit} IS NOT NULL THEN {page} END)"


async def assignments_by_ids(ids: list[int]) -> list[Row]:
    return await db().execute_query_dict(
        ROW + " AND a.id = ANY($2::bigint[]) ORDER BY a.id", [current_tenant_id(), ids]
    )


async def jp_ledger_rows(
    *,
    year: int,
    below_only: bool,
    entitlement: int,
    after_id: int | None,
    limit: int,
) -> list[Row]:
    """JP completed per active employee in the year, keyset by employee id: one row of the
    read model `training_jp` per employee (migration 0036), none: 0."""
    return await db().execute_query_dict(
        """SELECT e.id, e.nip, e.name, u.name AS unit_name, coalesce(j.jp, 0)::int AS jp
        FROM employees e
        JOIN org_units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id
        LEFT JOIN training_jp j ON j.tenant_id = $1 AND j.employee_id = e.id AND j.year = $2
        WHERE e.tenant_id = $1 AND e.is_active AND (NOT $3 OR coalesce(j.jp, 0) < $4)
            AND ($5::bigint IS NULL OR e.id > $5::bigint)
        ORDER BY e.id LIMIT $6""",
        [current_tenant_id(), year, below_only, entitlement, after_id, limit + 1],
    )


# --- effectiveness -----------------------------------------------------------------------------

# A period's completed assignments counted per programme or training unit ($3) and in total
# (the GROUPING SETS' empty group, id NULL), from the read model `training_effect_pairs`
# (kept by kinerja_training_refresh, migration 0036): the predikat change in steps along
# rules.PREDIKAT_ORDER (NULL when either is unknown, or nothing was finalised after), and
# the sum and number of achievement changes; rules.effect_of_counts takes it from there.
EFFECT_COUNTS = """
WITH x AS (
    SELECT CASE WHEN $3::text = 'PROGRAMME' THEN p.id ELSE t.id END AS id,
        CASE WHEN $3::text = 'PROGRAMME' THEN p.title ELSE t.name END AS name,
        array_position($4::text[], x.after_predikat::text)
            - array_position($4::text[], x.before_predikat::text) AS change,
        CASE WHEN x.after_predikat IS NOT NULL
            THEN x.after_achievement - x.before_achievement END AS delta
    FROM training_effect_pairs x
    JOIN training_programmes p ON p.tenant_id = $1 AND p.id = x.programme_id
    JOIN training_units t ON t.tenant_id = $1 AND t.id = p.training_unit_id
    WHERE x.tenant_id = $1 AND x.period_id = $2
)
SELECT id, min(name) AS name, count(*)::int AS completed, count(change)::int AS followed_up,
    (count(*) FILTER (WHERE change > 0))::int AS improved,
    (count(*) FILTER (WHERE change = 0))::int AS unchanged,
    (count(*) FILTER (WHERE change < 0))::int AS worsened,
    sum(delta) AS delta_sum, count(delta)::int AS deltas
FROM x
GROUP BY GROUPING SETS ((id), ())
ORDER BY id NULLS LAST
"""


class EffectCounts(TypedDict):
    id: int | None
    name: str
    completed: int
    followed_up: int
    improved: int
    unchanged: int
    worsened: int
    delta_sum: Decimal | None
    deltas: int


async def effect_counts(
    period_id: int, *, by_programme: bool, predikat_order: tuple[str, ...]
) -> list[EffectCounts]:
    """One row per programme (or training unit) with completed assignments in the period,
    then the region's total (id None); one statement over the read model."""
    rows = await db().execute_query_dict(
        EFFECT_COUNTS,
        [
            current_tenant_id(),
            period_id,
            "PROGRAMME" if by_programme else "UNIT",
            list(predikat_order),
        ],
    )
    return cast(list[EffectCounts], rows)


# --- the read models (migration 0036) -----------------------------------------------------------
# `training_jp` (JP per employee and year) and `training_effect_pairs` (a completed
# assignment's evaluations before and after) are kept current by the triggers of migration
# 0036 in every writing transaction; all of their arithmetic is in its
# `kinerja_training_refresh`. The JP ledger, the JP export and the effectiveness read them.


async def rebuild_read_models() -> None:
    """The region's training read models recomputed from nothing (the triggers' SQL)."""
    await db().execute_query("SELECT kinerja_training_rebuild($1)", [current_tenant_id()])


async def read_model_state() -> tuple[list[Row], list[Row]]:
    """The region's training read-model rows in a fixed order: what the incremental upkeep
    and a rebuild must agree on."""
    conn, tenant_id = db(), current_tenant_id()
    jp = await conn.execute_query_dict(
        "SELECT employee_id, year, jp FROM training_jp WHERE tenant_id = $1"
        " ORDER BY employee_id, year",
        [tenant_id],
    )
    pairs = await conn.execute_query_dict(
        "SELECT assignment_id, period_id, employee_id, programme_id, before_predikat,"
        " before_achievement, after_predikat, after_achievement FROM training_effect_pairs"
        " WHERE tenant_id = $1 ORDER BY assignment_id",
        [tenant_id],
    )
    return jp, pairs


# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def competencies() -> list[Competency]:
    """The region's competency catalogue by code."""
    return await scoped(Competency).order_by("code")


async def training_rules() -> list[TrainingRule]:
    """The region's training rules by trigger, then priority."""
    return await scoped(TrainingRule).order_by("trigger", "priority")


async def programmes_by_ids(ids: list[int]) -> dict[int, TrainingProgramme]:
    """The region's programmes of these ids (a rule's programme), in one statement."""
    return {p.id: p for p in await scoped(TrainingProgramme).filter(id__in=set(ids))}


async def training_units() -> list[TrainingUnit]:
    """The region's training units by name."""
    return await scoped(TrainingUnit).order_by("name")


async def training_programmes(*, open_only: bool = False) -> list[TrainingProgramme]:
    """The region's programmes by title; `open_only`: those open for enrolment."""
    query = scoped(TrainingProgramme)
    if open_only:
        query = query.filter(is_open=True, is_active=True)
    return await query.order_by("title")


async def training_batches(programme_id: int) -> list[TrainingBatch]:
    """A programme's batches in date order."""
    return await scoped(TrainingBatch).filter(programme_id=programme_id).order_by("starts_on", "id")


async def remove_officer(*, tenant_id: int, user_id: int) -> None:
    """The login leaves its training unit (it is no TRAINING_OFFICER any more)."""
    await db().execute_query(
        "DELETE FROM training_officers WHERE tenant_id = $1 AND user_id = $2",
        [tenant_id, user_id],
    )
