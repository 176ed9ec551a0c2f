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

from tortoise import connections

from kinerja_saas.indonesian import SQL_MONTHS
from kinerja_saas.outbox.service import insert_events_sql
from kinerja_saas.outbox.topics import sql_literal
from kinerja_saas.performance.achievement import INDICATOR_ACHIEVEMENT, INDICATOR_VALUE
from kinerja_saas.regions.region_settings import with_defaults
from kinerja_saas.training import events
from kinerja_saas.training.models import LIVE_STATUSES, SEATED_STATUSES
from kinerja_saas.training.rules import MAX_PROGRAMMES_PER_EVALUATION
from tenants.context import current_tenant_id
from tenants.models import Tenant

UNIT_EVENT_CHUNK = 500


def _db():
    return connections.get("default")


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
ASSIGN = f"""
WITH ev AS (
    SELECT DISTINCT ON (e.employee_id) e.id, e.employee_id, e.plan_id, e.checkpoint_id,
        e.predikat, e.behaviour_ratings
    FROM evaluations e
    JOIN employees emp ON emp.tenant_id = $1 AND emp.id = e.employee_id AND emp.is_active
    WHERE e.tenant_id = $1 AND e.period_id = $2 AND e.status = 'FINALISED'
        AND ($3::bigint IS NULL OR e.id = $3::bigint)
        AND ($4::bigint IS NULL OR emp.unit_id IN (
            SELECT u.id FROM org_units u WHERE u.tenant_id = $1 AND u.path LIKE (
                SELECT p.path FROM org_units p WHERE p.tenant_id = $1 AND p.id = $4::bigint
            ) || '%'))
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
    WHERE {INDICATOR_ACHIEVEMENT.format(cap="$6::numeric")} < $5::numeric
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
), per_programme AS (
    SELECT DISTINCT ON (employee_id, programme_id) * FROM hit
    ORDER BY employee_id, programme_id, priority, rule_id
), chosen AS (
    SELECT * FROM (
        SELECT pp.*, row_number() OVER (PARTITION BY employee_id ORDER BY priority, rule_id) AS n
        FROM per_programme pp) x
    WHERE x.n <= $7
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


async def lock_programmes(programme_ids: list[int] | None = None) -> None:
    """Serialises placement per programme (all the region's when None), in id order so two
    lockers never deadlock."""
    await _db().execute_query(
        "SELECT id FROM training_programmes WHERE tenant_id = $1"
        " AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[])) ORDER BY id FOR UPDATE",
        [current_tenant_id(), programme_ids],
    )


async def emit_assignment_events(assignment_ids: list[int]) -> None:
    if assignment_ids:
        await _db().execute_query(EVENTS, [current_tenant_id(), assignment_ids, UNIT_EVENT_CHUNK])


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
    rows = await _db().execute_query_dict(
        ASSIGN,
        [
            current_tenant_id(),
            period_id,
            evaluation_id,
            unit_id,
            region.floor,
            region.cap,
            MAX_PROGRAMMES_PER_EVALUATION,
            today or date.today(),
        ],
    )
    ids = [r["id"] for r in rows]
    await emit_assignment_events(ids)
    return ids


async def next_seat(programme_id: int, *, today: date | None = None) -> tuple[int | None, int]:
    """(batch with room or None, waiting position if none) for one more person; the caller
    holds the programme's lock."""
    rows = await _db().execute_query_dict(
        "SELECT (SELECT r.batch_id FROM ("
        + ROOM.format(programme="$2::bigint", today="$3::date")
        + ") r WHERE r.free > 0 ORDER BY r.starts_on, r.batch_id LIMIT 1) AS batch_id,"
        " (SELECT coalesce(max(a.waiting_position), 0) + 1 FROM training_assignments a"
        " WHERE a.tenant_id = $1 AND a.programme_id = $2 AND a.status = 'WAITING') AS position",
        [current_tenant_id(), programme_id, today or date.today()],
    )
    return rows[0]["batch_id"], rows[0]["position"]
