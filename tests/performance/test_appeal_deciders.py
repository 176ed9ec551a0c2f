"""Appeals go to the right person, through the API, in a freshly onboarded region (issue #18,
PermenPANRB 6/2022): the evaluator's supervisor; where the evaluator has none (the head of the
tree), the region's Tim Penilai Kinerja appointed by a region admin; the region admin only
where the region's setting says so."""

from __future__ import annotations

from kinerja_saas.auth.roles import Role
from kinerja_saas.performance import evaluations
from kinerja_saas.performance.models import Evaluation, PeriodStatus
from kinerja_saas.performance.rules import Rating
from tenants.context import tenant_transaction
from tests.conftest import update_region
from tests.factories import advance, all_values, approved_plan, person
from tests.performance.walks import FINALISE, SAVE, events_of

ADMIN, SUP, EMP, OFFICER = Role.REGION_ADMIN, Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER
APPEAL = """mutation($id: ID!) { appealEvaluation(id: $id, reason: "Mohon ditinjau ulang") {
  appeal { decider reviewerId } errors { field code message } } }"""
TEAM_ADD = """mutation($e: ID!) { appointAppraisalTeamMember(employeeId: $e) {
  members { id } errors { field code message } } }"""
TEAM_REMOVE = """mutation($e: ID!) { removeAppraisalTeamMember(employeeId: $e) {
  members { id } errors { field code message } } }"""
EVALUATIONS = """{ myEvaluations { id appeal { decider decidedById status } } }"""


async def _finalised(region, key: str, evaluator: str, *roles: Role) -> int:
    """`key`'s year, evaluated and finalised by `evaluator`."""
    plan = await approved_plan(region, key, evaluator)
    await advance(region, PeriodStatus.ACTIVE)
    await advance(region, PeriodStatus.EVALUATING)
    actor = person(region, evaluator, *roles)
    async with tenant_transaction(region.id):
        evaluation = await evaluations.save_evaluation(
            actor=actor,
            plan_id=plan.id,
            checkpoint_id=None,
            result_rating=Rating.SESUAI_EKSPEKTASI,
            result_override_reason="Sesuai pengamatan",
            behaviour=all_values(),
            feedback="Pertahankan.",
        )
        await evaluations.finalise_evaluation(
            actor=actor, evaluation_id=evaluation.id, acknowledge_distribution=True
        )
    return evaluation.id


def _input(evaluation_plan: int) -> dict:
    return {"input": {"planId": str(evaluation_plan), "feedback": "Ditinjau ulang."}}


async def test_a_unit_heads_appeal_goes_to_the_tim_penilai_not_the_region_admin(
    api, region_a, region_b, settings
):
    e = region_a.employees
    # chief heads Bidang A; their evaluator, head, has no supervisor: the top of the tree
    evaluation_id = await _finalised(region_a, "chief", "head", Role.REGION_ADMIN)
    r = await api.as_role(region_a, SUP, APPEAL, {"id": str(evaluation_id)})
    assert r.data["appealEvaluation"] == {
        "appeal": {"decider": "TIM_PENILAI", "reviewerId": None},
        "errors": [],
    }
    (event,) = await events_of(region_a, "performance.evaluation_appealed")
    assert event["decider"] == "TIM_PENILAI"
    async with tenant_transaction(region_a.id):
        plan_id = (await Evaluation.get(tenant_id=region_a.id, id=evaluation_id)).plan_id
    # the region admin (here also the evaluator) no longer decides it
    r = await api.as_role(region_a, ADMIN, SAVE, _input(plan_id))
    assert r.codes == ["FORBIDDEN"]
    # only a region admin appoints the Tim; an employee cannot
    r = await api.as_role(region_a, EMP, TEAM_ADD, {"e": str(e["other"].id)})
    assert r.codes == ["FORBIDDEN"]
    r = await api.as_role(region_a, ADMIN, TEAM_ADD, {"e": str(e["other"].id)})
    assert r.data["appointAppraisalTeamMember"] == {
        "members": [{"id": str(e["other"].id)}],
        "errors": [],
    }
    # a member who is a party to the evaluation (the appellant) does not decide it
    r = await api.as_role(region_a, ADMIN, TEAM_ADD, {"e": str(e["chief"].id)})
    assert r.data["appointAppraisalTeamMember"]["errors"] == []
    r = await api.as_role(region_a, SUP, SAVE, _input(plan_id))
    assert r.codes == ["FORBIDDEN"]
    r = await api.as_role(region_a, ADMIN, TEAM_REMOVE, {"e": str(e["chief"].id)})
    assert r.data["removeAppraisalTeamMember"]["members"] == [{"id": str(e["other"].id)}]
    # the Tim member (other, whose login is the training officer's) decides
    r = await api.as_role(region_a, OFFICER, SAVE, _input(plan_id))
    assert r.data["saveEvaluation"]["errors"] == []
    r = await api.as_role(
        region_a, OFFICER, FINALISE, {"id": str(evaluation_id), "note": "Penilaian dipertahankan"}
    )
    assert r.data["finaliseEvaluation"]["errors"] == []
    r = await api.as_role(region_a, SUP, EVALUATIONS)
    (mine,) = [x for x in r.data["myEvaluations"] if x["id"] == str(evaluation_id)]
    assert mine["appeal"] == {
        "decider": "TIM_PENILAI",
        "decidedById": str(e["other"].id),
        "status": "DECIDED",
    }

    # a Tim member of region A cannot decide in region B: the request runs in region A
    b_evaluation = await _finalised(region_b, "chief", "head", Role.REGION_ADMIN)
    r = await api.as_role(region_b, SUP, APPEAL, {"id": str(b_evaluation)})
    assert r.data["appealEvaluation"]["appeal"]["decider"] == "TIM_PENILAI"
    async with tenant_transaction(region_b.id):
        b_plan = (await Evaluation.get(tenant_id=region_b.id, id=b_evaluation)).plan_id
    r = await api.as_role(region_a, OFFICER, SAVE, _input(b_plan))
    assert [x["code"] for x in r.data["saveEvaluation"]["errors"]] == ["NOT_FOUND"]
    r = await api.as_role(region_a, OFFICER, FINALISE, {"id": str(b_evaluation), "note": "x"})
    assert [x["code"] for x in r.data["finaliseEvaluation"]["errors"]] == ["NOT_FOUND"]
    # nor can region A's admin put region B's employee in a Tim
    r = await api.as_role(region_a, ADMIN, TEAM_ADD, {"e": str(region_b.employees["other"].id)})
    assert [(x["field"], x["code"]) for x in r.data["appointAppraisalTeamMember"]["errors"]] == [
        ("employeeId", "NOT_FOUND")
    ]
    r = await api.as_role(region_b, ADMIN, "{ appraisalTeam { id } }")
    assert r.data["appraisalTeam"] == []


async def test_the_region_admin_decides_only_where_the_region_says_so(api, region_a):
    await update_region(
        region_a.id, settings={"performance": {"appeal_decider_at_top": "REGION_ADMIN"}}
    )
    evaluation_id = await _finalised(region_a, "chief", "head", Role.REGION_ADMIN)
    r = await api.as_role(region_a, SUP, APPEAL, {"id": str(evaluation_id)})
    assert r.data["appealEvaluation"]["appeal"]["decider"] == "REGION_ADMIN"
    r = await api.as_role(
        region_a, ADMIN, FINALISE, {"id": str(evaluation_id), "note": "Dipertahankan"}
    )
    assert r.data["finaliseEvaluation"]["errors"] == []


async def test_a_staff_appeal_goes_to_the_evaluators_supervisor(api, region_a, settings):
    e = region_a.employees
    evaluation_id = await _finalised(region_a, "staff1", "chief", Role.SUPERVISOR)
    r = await api.as_role(region_a, EMP, APPEAL, {"id": str(evaluation_id)})
    assert r.data["appealEvaluation"]["appeal"] == {
        "decider": "SUPERVISOR",
        "reviewerId": str(e["head"].id),
    }
    # a Tim member has nothing to do with it
    r = await api.as_role(region_a, ADMIN, TEAM_ADD, {"e": str(e["other"].id)})
    assert r.data["appointAppraisalTeamMember"]["errors"] == []
    r = await api.as_role(region_a, OFFICER, FINALISE, {"id": str(evaluation_id), "note": "x"})
    assert [x["code"] for x in r.data["finaliseEvaluation"]["errors"]] == ["NOT_FOUND"]
    r = await api.as_role(
        region_a, ADMIN, FINALISE, {"id": str(evaluation_id), "note": "Dipertahankan"}
    )
    assert r.data["finaliseEvaluation"]["errors"] == []
