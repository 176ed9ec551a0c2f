"""Set-based assignment: matching, capacity and waiting list, idempotency, events."""

from __future__ import annotations

import asyncio

from kinerja_saas.database_client import count_statements
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.training.assignment import assign_for_period
from kinerja_saas.training.models import AssignmentStatus, TrainingAssignment
from tenants.context import tenant_transaction
from tests.training.helpers import build_catalogue, finalised_reports


async def _assign(region, **kw) -> list[int]:
    async with tenant_transaction(region.id):
        return await assign_for_period(period_id=region.period.id, **kw)


async def _assignments(region) -> list[TrainingAssignment]:
    async with tenant_transaction(region.id):
        return await TrainingAssignment.filter(tenant_id=region.id).order_by("id")


async def test_low_predikat_fills_batches_in_date_order_then_the_waiting_list(region_a):
    cat = await build_catalogue(region_a, capacity=2, batches=2)
    evaluations = await finalised_reports(region_a, count=6, predikat="SANGAT_KURANG")
    new = await _assign(region_a)
    rows = await _assignments(region_a)
    assert len(new) == len(rows) == 6
    assert {r.programme_id for r in rows} == {cat.waktu}
    first, second = cat.batch_ids["waktu"]
    by_employee = {r.employee_id: r for r in rows}
    ordered = [
        by_employee[e["employee_id"]] for e in sorted(evaluations, key=lambda e: e["employee_id"])
    ]
    assert [r.batch_id for r in ordered] == [first, first, second, second, None, None]
    assert [r.waiting_position for r in ordered] == [None] * 4 + [1, 2]
    assert [r.status for r in ordered] == [AssignmentStatus.ASSIGNED] * 4 + [
        AssignmentStatus.WAITING
    ] * 2
    assert {(r.reason.value, r.reason_value, r.predikat) for r in rows} == {
        ("PREDIKAT", "SANGAT_KURANG", "SANGAT_KURANG")
    }
    assert {r.evaluation_id for r in rows} == {e["id"] for e in evaluations}


async def test_sql_choice_equals_the_pure_rules(region_a):
    """KURANG with three weak values: the set-based SQL picks what rules.choose picks."""
    from decimal import Decimal

    from kinerja_saas.training import rules
    from kinerja_saas.training.admin import programme_competencies
    from kinerja_saas.training.models import TrainingProgramme, TrainingRule

    cat = await build_catalogue(region_a, capacity=5)
    weak = ("BERORIENTASI_PELAYANAN", "ADAPTIF", "KOLABORATIF")
    await finalised_reports(region_a, count=1, predikat="KURANG", weak_values=weak)
    await _assign(region_a)
    rows = await _assignments(region_a)
    async with tenant_transaction(region_a.id):
        db_rules = [
            rules.Rule(r.id, r.trigger.value, r.trigger_value, r.competency_id, r.priority)
            for r in await TrainingRule.filter(tenant_id=region_a.id)
        ]
        programmes = await TrainingProgramme.filter(tenant_id=region_a.id)
        comps = await programme_competencies([p.id for p in programmes])
    expected = rules.choose(
        rules.Outcome("KURANG", {v: "DI_BAWAH_EKSPEKTASI" for v in weak}, []),
        db_rules,
        [rules.Programme(p.id, frozenset(comps[p.id])) for p in programmes],
        indicator_floor=Decimal(60),
    )
    assert sorted((r.programme_id, r.rule_id) for r in rows) == sorted(
        (c.programme_id, c.rule.id) for c in expected
    )
    assert {r.programme_id for r in rows} == {cat.pelayanan, cat.masalah}


async def test_good_predikat_without_weakness_gets_nothing(region_a):
    await build_catalogue(region_a)
    await finalised_reports(region_a, count=3, predikat="BAIK")
    assert await _assign(region_a) == []


async def test_running_twice_and_concurrently_assigns_once(region_a):
    await build_catalogue(region_a, capacity=3)
    await finalised_reports(region_a, count=5, predikat="BUTUH_PERBAIKAN")
    results = await asyncio.gather(*(_assign(region_a) for _ in range(3)))
    assert sorted(len(r) for r in results) == [0, 0, 5]
    assert await _assign(region_a) == []
    rows = await _assignments(region_a)
    assert len(rows) == 5
    seated = [r for r in rows if r.batch_id is not None]
    assert len(seated) == 3  # capacity never exceeded by concurrent runs
    assert sorted(r.waiting_position for r in rows if r.batch_id is None) == [1, 2]


async def test_one_evaluation_only_and_its_events(region_a):
    cat = await build_catalogue(region_a)
    evaluations = await finalised_reports(region_a, count=3)
    target = evaluations[0]
    async with tenant_transaction(region_a.id):
        before = await OutboxEvent.filter(tenant_id=region_a.id).count()
    new = await _assign(region_a, evaluation_id=target["id"])
    assert len(new) == 1
    assert await _assign(region_a, evaluation_id=target["id"]) == []
    async with tenant_transaction(region_a.id):
        events = await OutboxEvent.filter(tenant_id=region_a.id).order_by("id").offset(before)
    topics = [e.topic for e in events]
    assert topics == ["training.assigned", "training.team_assigned", "training.unit_assigned"]
    payload = events[0].payload
    assert payload["employee_id"] == target["employee_id"]
    assert payload["training_unit_id"] == cat.unit_id
    assert payload["jadwal"].startswith("Jadwal: Angkatan 1, ")
    assert events[1].payload["supervisor_id"] == region_a.employees["chief"].id
    assert events[2].payload["assignments"][0]["employee_id"] == target["employee_id"]


async def test_statement_count_does_not_grow_with_employees(region_a, region_b):
    counts = []
    for region, n in ((region_a, 2), (region_b, 40)):
        await build_catalogue(region, capacity=10)
        await finalised_reports(region, count=n)
        async with tenant_transaction(region.id):
            with count_statements() as counter:
                assert len(await assign_for_period(period_id=region.period.id)) == n
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 5  # settings, lock, withdraw, insert, events


async def test_unit_filter_takes_the_unit_and_its_sub_units(region_a):
    await build_catalogue(region_a)
    await finalised_reports(region_a, count=2)  # all in Bidang A
    assert await _assign(region_a, unit_id=region_a.units["b"].id) == []
    assert len(await _assign(region_a, unit_id=region_a.units["dinas"].id)) == 2


async def test_unit_events_are_chunked(region_a, monkeypatch):
    from kinerja_saas.training import assignment

    monkeypatch.setattr(assignment, "UNIT_EVENT_CHUNK", 2)
    await build_catalogue(region_a, capacity=10)
    await finalised_reports(region_a, count=5)
    async with tenant_transaction(region_a.id):
        before = await OutboxEvent.filter(tenant_id=region_a.id).count()
    await _assign(region_a)
    async with tenant_transaction(region_a.id):
        events = await OutboxEvent.filter(tenant_id=region_a.id).order_by("id").offset(before)
    unit_events = [e.payload for e in events if e.topic == "training.unit_assigned"]
    assert [e["jumlah"] for e in unit_events] == [2, 2, 1]
    listed = [a["assignment_id"] for e in unit_events for a in e["assignments"]]
    assert listed == sorted(listed) and len(set(listed)) == 5
    assert [e.topic for e in events].count("training.assigned") == 5
    assert [e.topic for e in events].count("training.team_assigned") == 1


WEAK_RESULT = """
WITH r AS (
    INSERT INTO plan_results (tenant_id, plan_id, kind, text, position)
    SELECT $1, e.plan_id, 'UTAMA', 'Hasil kerja', 0 FROM evaluations e
    WHERE e.tenant_id = $1 AND e.id = $2
    RETURNING id, plan_id
), i AS (
    INSERT INTO indicators (tenant_id, plan_id, result_id, text, aspect, target, unit_label,
        direction, weight, position)
    SELECT $1, r.plan_id, r.id, 'Indikator ' || x.aspect, x.aspect, 10, 'dokumen',
        'HIGHER_IS_BETTER', 50, x.n
    FROM r CROSS JOIN (VALUES (1, 'WAKTU'), (2, 'KUALITAS')) AS x (n, aspect)
    RETURNING id, plan_id, aspect
)
INSERT INTO realisations (tenant_id, plan_id, indicator_id, checkpoint_id, value, evidence,
    status, is_late, entered_at)
SELECT $1, i.plan_id, i.id, $3, CASE WHEN i.aspect = 'WAKTU' THEN 5 ELSE 10 END, '[]',
    'VERIFIED', false, now()
FROM i
"""


async def test_weak_result_assigns_by_the_indicators_aspect(region_a):
    from tortoise import connections

    from kinerja_saas.performance.models import Checkpoint

    cat = await build_catalogue(region_a)
    (evaluation,) = await finalised_reports(region_a, count=1, predikat="BAIK")
    async with tenant_transaction(region_a.id):
        checkpoint = (
            await Checkpoint.filter(tenant_id=region_a.id, period_id=region_a.period.id)
            .order_by("number")
            .first()
        )
        await connections.get("default").execute_query(
            WEAK_RESULT, [region_a.id, evaluation["id"], checkpoint.id]
        )
    await _assign(region_a)
    rows = await _assignments(region_a)
    # WAKTU at 50 % is under the floor (60): MJ-WAKTU; KUALITAS at 100 % is not
    assert [(r.programme_id, r.reason.value, r.reason_value) for r in rows] == [
        (cat.waktu, "WEAK_RESULT", "WAKTU")
    ]
