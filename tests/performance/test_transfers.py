"""Transfers (mutasi) mid-year through the API, in a freshly onboarded region (issue #18):
an organisation change leaves an approved plan with its recorded evaluator (and the
statistics with them); a transfer keeps the plan and its history, writes the position
history and reassigns the plan: checkpoints that ended before it stay with the earlier
evaluator, later ones and the year go to the new supervisor, who sees the earlier results."""

from __future__ import annotations

from datetime import timedelta

from kinerja_saas.auth.roles import Role
from kinerja_saas.performance.models import Checkpoint, PeriodStatus
from tenants.context import tenant_transaction
from tests.factories import advance, approved_plan
from tests.performance.walks import FINALISE, SAVE, rating_input, today_of

ADMIN, SUP, EMP, OFFICER = Role.REGION_ADMIN, Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER
UPDATE = """mutation($id: ID!, $s: ID) { updateEmployee(id: $id, input: {supervisorId: $s}) {
  errors { code } } }"""
TRANSFER = """mutation($input: TransferEmployeeInput!) { transferEmployee(input: $input) {
  employee { id } reassignedPlanIds errors { field code message } } }"""
PLAN = """query($id: ID!) { plan(id: $id) { evaluatorId unitId
  evaluations { checkpointId evaluatorId status signature { employeeId capacity } } } }"""
STATS = """query($p: ID!) { performanceStats(periodId: $p, groupBy: []) { plans } }"""
HISTORY = """query($e: ID!) { positionHistory(employeeId: $e) {
  unitId supervisorId position startsOn endsOn } }"""


async def _checkpoints(region) -> list[Checkpoint]:
    async with tenant_transaction(region.id):
        return await Checkpoint.filter(tenant_id=region.id, period_id=region.period.id).order_by(
            "number"
        )


async def test_a_transfer_reassigns_the_plan_and_each_checkpoint_keeps_its_evaluator(api, region_a):
    e = region_a.employees
    plan = await approved_plan(region_a)  # staff1, evaluated by chief
    await advance(region_a, PeriodStatus.ACTIVE)
    stats = {"p": str(region_a.period.id)}
    r = await api.as_role(region_a, SUP, STATS, stats)
    assert r.data["performanceStats"] == [{"plans": 1}]

    # an organisation change: the approved plan keeps its evaluator, and so do statistics
    r = await api.as_role(
        region_a, ADMIN, UPDATE, {"id": str(e["staff1"].id), "s": str(e["other"].id)}
    )
    assert r.data["updateEmployee"]["errors"] == []
    r = await api.as_role(region_a, SUP, PLAN, {"id": str(plan.id)})
    assert r.data["plan"]["evaluatorId"] == str(e["chief"].id)
    r = await api.as_role(region_a, SUP, STATS, stats)
    assert r.data["performanceStats"] == [{"plans": 1}]

    # the transfer, from today: Bidang B under other
    today = await today_of(region_a)
    checkpoints = await _checkpoints(region_a)
    ended = [c for c in checkpoints if c.ends_on < today]
    running = [c for c in checkpoints if c.ends_on >= today]
    assert ended and running  # quarterly, any day but the first quarter's
    r = await api.as_role(
        region_a,
        ADMIN,
        TRANSFER,
        {
            "input": {
                "employeeId": str(e["staff1"].id),
                "effectiveOn": today.isoformat(),
                "unitId": str(region_a.units["b"].id),
                "supervisorId": str(e["other"].id),
                "position": "Analis Kebijakan",
            }
        },
    )
    assert r.data["transferEmployee"] == {
        "employee": {"id": str(e["staff1"].id)},
        "reassignedPlanIds": [str(plan.id)],
        "errors": [],
    }
    r = await api.as_role(region_a, ADMIN, HISTORY, {"e": str(e["staff1"].id)})
    assert r.data["positionHistory"] == [
        {
            "unitId": str(region_a.units["a"].id),
            "supervisorId": str(e["chief"].id),  # before the organisation change
            "position": "staff1",
            "startsOn": None,
            "endsOn": (today - timedelta(days=1)).isoformat(),
        },
        {
            "unitId": str(region_a.units["b"].id),
            "supervisorId": str(e["other"].id),
            "position": "Analis Kebijakan",
            "startsOn": today.isoformat(),  # the change's stretch of today, amended
            "endsOn": None,
        },
    ]
    r = await api.as_role(region_a, ADMIN, PLAN, {"id": str(plan.id)})
    assert r.data["plan"]["evaluatorId"] == str(e["other"].id)
    assert r.data["plan"]["unitId"] == str(region_a.units["b"].id)
    pinned = {ev["checkpointId"]: ev["evaluatorId"] for ev in r.data["plan"]["evaluations"]}
    assert pinned == {str(c.id): str(e["chief"].id) for c in ended}
    # statistics follow the plan's evaluator: no longer chief's
    r = await api.as_role(region_a, SUP, STATS, stats)
    assert r.data["performanceStats"] == [{"plans": 0}]

    # chief evaluates a checkpoint that ended before the transfer, not a later one
    r = await api.as_role(region_a, SUP, SAVE, {"input": rating_input(plan.id, ended[0].id)})
    evaluation_id = r.data["saveEvaluation"]["evaluation"]["id"]
    r = await api.as_role(region_a, SUP, FINALISE, {"id": evaluation_id})
    assert r.data["finaliseEvaluation"]["evaluation"]["signature"] == {
        "employeeId": str(e["chief"].id),
        "capacity": "OFFICIAL",
        "title": None,
    }
    r = await api.as_role(region_a, SUP, SAVE, {"input": rating_input(plan.id, running[0].id)})
    assert r.codes == ["FORBIDDEN"]
    # other (whose login is the training officer's) evaluates the later checkpoint, the
    # earlier result in view
    r = await api.as_role(region_a, OFFICER, SAVE, {"input": rating_input(plan.id, ended[0].id)})
    assert r.codes == ["FORBIDDEN"]
    r = await api.as_role(region_a, OFFICER, SAVE, {"input": rating_input(plan.id, running[0].id)})
    assert r.data["saveEvaluation"]["errors"] == []
    r = await api.as_role(region_a, OFFICER, PLAN, {"id": str(plan.id)})
    earlier = [ev for ev in r.data["plan"]["evaluations"] if ev["checkpointId"] == str(ended[0].id)]
    assert earlier == [
        {
            "checkpointId": str(ended[0].id),
            "evaluatorId": str(e["chief"].id),
            "status": "FINALISED",
            "signature": {"employeeId": str(e["chief"].id), "capacity": "OFFICIAL"},
        }
    ]
    # the year: the supervisor at the year's end
    await advance(region_a, PeriodStatus.EVALUATING)
    r = await api.as_role(region_a, SUP, SAVE, {"input": rating_input(plan.id)})
    assert r.codes == ["FORBIDDEN"]
    r = await api.as_role(region_a, OFFICER, SAVE, {"input": rating_input(plan.id)})
    assert r.data["saveEvaluation"]["errors"] == []


async def test_transfers_are_the_region_admins_and_stay_in_their_region(api, region_a, region_b):
    e = region_a.employees
    today = await today_of(region_a)
    move = {
        "input": {
            "employeeId": str(e["staff1"].id),
            "effectiveOn": today.isoformat(),
            "supervisorId": str(e["other"].id),
        }
    }
    for role in (EMP, SUP):
        r = await api.as_role(region_a, role, TRANSFER, move)
        assert r.codes == ["FORBIDDEN"], role
    r = await api.as_role(region_b, ADMIN, TRANSFER, move)
    assert [(x["field"], x["code"]) for x in r.data["transferEmployee"]["errors"]] == [
        ("employeeId", "NOT_FOUND")
    ]
    # region A's employee with region B's supervisor
    cross = {"input": {**move["input"], "supervisorId": str(region_b.employees["head"].id)}}
    r = await api.as_role(region_a, ADMIN, TRANSFER, cross)
    assert [(x["field"], x["code"]) for x in r.data["transferEmployee"]["errors"]] == [
        ("supervisorId", "NOT_FOUND")
    ]
    r = await api.as_role(region_b, ADMIN, HISTORY, {"e": str(e["staff1"].id)})
    assert r.codes == ["NOT_FOUND"]
    # a second transfer cannot take effect before the first
    r = await api.as_role(region_a, ADMIN, TRANSFER, move)
    assert r.data["transferEmployee"]["errors"] == []
    earlier = {"input": {**move["input"], "effectiveOn": (today - timedelta(days=3)).isoformat()}}
    r = await api.as_role(region_a, ADMIN, TRANSFER, earlier)
    assert [(x["field"], x["code"]) for x in r.data["transferEmployee"]["errors"]] == [
        ("effectiveOn", "BEFORE_CURRENT_POSITION")
    ]
    # nothing to move
    r = await api.as_role(
        region_a,
        ADMIN,
        TRANSFER,
        {"input": {"employeeId": str(e["staff2"].id), "effectiveOn": today.isoformat()}},
    )
    assert [(x["field"], x["code"]) for x in r.data["transferEmployee"]["errors"]] == [
        ("unitId", "REQUIRED")
    ]
