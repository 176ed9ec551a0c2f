"""trainingEffectiveness on a hand-built case."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tortoise import connections

from kinerja_saas.auth.roles import Role
from kinerja_saas.performance import service as performance
from kinerja_saas.training.assignment import assign_for_period
from kinerja_saas.training.models import TrainingAssignment
from tenants.context import tenant_transaction
from tests.training.helpers import admin_actor, build_catalogue, finalised_reports

QUERY = """query($p: ID!, $g: TrainingEffectivenessGroupBy!) {
    trainingEffectiveness(periodId: $p, groupBy: $g) { id name completed followedUp improved
        unchanged worsened improvementRate achievementDelta } }"""

NEXT = """
WITH p AS (
    INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id, status,
        revision, created_at, updated_at)
    SELECT $1, $2, e.id, e.unit_id, e.supervisor_id, 'APPROVED', 0, now(), now()
    FROM employees e WHERE e.tenant_id = $1 AND e.id = $3
    RETURNING id, employee_id
)
INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, status, behaviour_ratings,
    predikat, achievement, finalised_at, created_at, updated_at)
SELECT $1, p.id, $2, p.employee_id, 'FINALISED', '{}', $4, $5, now() + interval '1 day', now(),
    now()
FROM p
"""


async def test_improvement_per_programme_and_unit(api, region_a):
    cat = await build_catalogue(region_a, capacity=10)
    reports = await finalised_reports(region_a, count=3, predikat="SANGAT_KURANG")
    async with tenant_transaction(region_a.id):
        db = connections.get("default")  # the transaction's connection, bound in the block
        await db.execute_query(
            "UPDATE evaluations SET achievement = 50 WHERE tenant_id = $1 AND id = ANY($2)",
            [region_a.id, [r["id"] for r in reports]],
        )
        await assign_for_period(period_id=region_a.period.id)
        # two of three completed; the third is still assigned
        done = [r["employee_id"] for r in reports[:2]]
        await TrainingAssignment.filter(tenant_id=region_a.id, employee_id__in=done).update(
            status="COMPLETED", completed_at=datetime.now(UTC)
        )
        next_period = await performance.open_period(
            actor=admin_actor(region_a),
            year=date.today().year + 1,
            checkpoint_kind=None,
            deadline_days=10,
        )
        for employee_id, predikat, achievement in (
            (done[0], "BAIK", 85),
            (done[1], "SANGAT_KURANG", 40),
            (reports[2]["employee_id"], "BAIK", 90),  # not completed: not counted
        ):
            await db.execute_query(
                NEXT, [region_a.id, next_period.id, employee_id, predikat, achievement]
            )
    period = str(region_a.period.id)
    r = await api.as_role(region_a, Role.REGION_ADMIN, QUERY, {"p": period, "g": "PROGRAMME"})
    programme, total = r.data["trainingEffectiveness"]
    expected = {
        "completed": 2,
        "followedUp": 2,
        "improved": 1,
        "unchanged": 1,
        "worsened": 0,
        "improvementRate": 50.0,
        "achievementDelta": 12.5,  # (35 - 10) / 2
    }
    assert programme == {"id": str(cat.waktu), "name": "Manajemen Waktu", **expected}
    assert total == {"id": None, "name": "Total", **expected}
    r = await api.as_role(region_a, Role.REGION_ADMIN, QUERY, {"p": period, "g": "UNIT"})
    assert r.data["trainingEffectiveness"][0]["name"] == "BPSDM Provinsi"
    r = await api.as_role(region_a, Role.SUPERVISOR, QUERY, {"p": period, "g": "UNIT"})
    assert r.codes == ["FORBIDDEN"]
