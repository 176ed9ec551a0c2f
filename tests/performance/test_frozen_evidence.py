"""A finalised evaluation is frozen with its evidence (issue #18): a late survey response that
moves the unit's IKM realisation after finalisation changes neither the evaluation's
achievement nor its basis, shows as "since changed", and an appeal is decided on the same
evidence. Through the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from kinerja_saas.auth.roles import Role
from kinerja_saas.performance.models import Evaluation, PeriodStatus
from kinerja_saas.surveys import admin
from tenants.context import tenant_transaction
from tests.factories import BERAKHLAK, advance
from tests.surveys.helpers import open_campaign, recompute, respond
from tests.surveys.test_indicator_sources import approved_ikm_plan, sourced

HEAD, CHIEF = Role.REGION_ADMIN, Role.SUPERVISOR  # head evaluates chief, the unit's head
SAVE = """mutation($input: SaveEvaluationInput!) { saveEvaluation(input: $input) {
  evaluation { id achievement } errors { field code message } } }"""
FINALISE = """mutation($id: ID!, $note: String) { finaliseEvaluation(id: $id,
  acknowledgeDistribution: true, decisionNote: $note) {
  evaluation { status achievement } errors { field code message } } }"""
MINE = """{ myEvaluations { id status achievement
  evidence { indicatorId realisation source achievement currentRealisation sinceChanged } } }"""


async def test_a_late_survey_response_never_alters_a_finalised_evaluation(api, region_a):
    campaign = await open_campaign(region_a)
    today = region_a.today  # the public form counts days in the region's zone
    async with tenant_transaction(region_a.id):
        await admin.set_campaign_dates(
            actor=region_a.actor(Role.REGION_ADMIN),
            campaign_id=campaign.id,
            opens_on=today - timedelta(days=1),
            closes_on=today,
        )
    plan = await approved_ikm_plan(region_a, unit_id=region_a.units["a"].id)
    await advance(region_a, PeriodStatus.ACTIVE)
    for answers in ([4] * 9, [3] * 9, [3] * 9):
        await respond(region_a, campaign.codes["ktp"], answers)
    await recompute(region_a, campaign.id)
    indicator, (realisation,) = await sourced(region_a, plan.id)
    assert realisation.value == Decimal("83.33")
    await advance(region_a, PeriodStatus.EVALUATING)
    r = await api.as_role(
        region_a,
        HEAD,
        SAVE,
        {
            "input": {
                "planId": str(plan.id),
                "resultRating": "SESUAI_EKSPEKTASI",
                "resultOverrideReason": "Sesuai penilaian atasan",
                "behaviour": [{"code": c, "rating": "SESUAI_EKSPEKTASI"} for c in BERAKHLAK],
                "feedback": "Pertahankan.",
            }
        },
    )
    evaluation = r.data["saveEvaluation"]["evaluation"]
    # IKM 83.33 of 85 (98.04 %) weighs 60, no innovation yet (0 %) weighs 40
    assert evaluation["achievement"] == "58.82"
    r = await api.as_role(region_a, HEAD, FINALISE, {"id": evaluation["id"]})
    assert r.data["finaliseEvaluation"]["errors"] == []

    # a late response moves the unit's IKM, and with it the plan's realisation
    await respond(region_a, campaign.codes["ktp"], [1] * 9)
    await recompute(region_a, campaign.id)
    _, (moved,) = await sourced(region_a, plan.id)
    assert moved.value < realisation.value
    r = await api.as_role(region_a, CHIEF, MINE)
    (mine,) = [e for e in r.data["myEvaluations"] if e["id"] == evaluation["id"]]
    assert mine["achievement"] == "58.82"
    evidence = {e["indicatorId"]: e for e in mine["evidence"]}
    assert evidence[str(indicator.id)] == {
        "indicatorId": str(indicator.id),
        "realisation": "83.3300",
        "source": "SKM_IKM",
        "achievement": "98.04",
        "currentRealisation": str(moved.value.quantize(Decimal("0.0001"))),
        "sinceChanged": True,
    }
    assert [e["sinceChanged"] for k, e in evidence.items() if k != str(indicator.id)] == [False]

    # an appeal is decided on the same evidence: the reviewer's save keeps the achievement
    appeal = """mutation($id: ID!) { appealEvaluation(id: $id, reason: "Mohon ditinjau") {
      errors { code } } }"""
    r = await api.as_role(region_a, CHIEF, appeal, {"id": evaluation["id"]})
    assert r.data["appealEvaluation"]["errors"] == []
    r = await api.as_role(
        region_a, HEAD, SAVE, {"input": {"planId": str(plan.id), "feedback": "Ditinjau ulang."}}
    )
    assert r.data["saveEvaluation"]["evaluation"]["achievement"] == "58.82"
    r = await api.as_role(
        region_a, HEAD, FINALISE, {"id": evaluation["id"], "note": "Penilaian dipertahankan"}
    )
    assert r.data["finaliseEvaluation"]["evaluation"] == {
        "status": "FINALISED",
        "achievement": "58.82",
    }
    async with tenant_transaction(region_a.id):
        stored = await Evaluation.get(tenant_id=region_a.id, id=int(evaluation["id"]))
    assert stored.evidence[str(indicator.id)]["value"] == "83.3300"
