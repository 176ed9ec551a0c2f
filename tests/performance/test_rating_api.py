"""Ratings as PermenPANRB 6/2022 states them, through the API (issue #18): the proposed result
rating follows the regulation's rule and no weighted mean (a region may keep the formula as a
setting); the behaviour rating proposed from the 7 BerAKHLAK values can be set otherwise by the
evaluator, with a reason (a typed error without one, nothing written)."""

from __future__ import annotations

from kinerja_saas.auth.roles import Role
from kinerja_saas.performance.models import Evaluation, ResultKind
from tenants.context import tenant_transaction
from tests.conftest import update_region
from tests.factories import BERAKHLAK, evaluable_plan

SUPERVISOR = Role.SUPERVISOR
SAVE = """mutation($input: SaveEvaluationInput!) { saveEvaluation(input: $input) {
  evaluation { id achievement proposedResultRating resultRating proposedBehaviourRating
               behaviourRating behaviourOverrideReason predikat }
  errors { field code message } } }"""
FINALISE = """mutation($id: ID!) { finaliseEvaluation(id: $id, acknowledgeDistribution: true) {
  evaluation { status behaviourRating predikat } errors { field code message } } }"""


def values(rating: str = "DI_ATAS_EKSPEKTASI", **others: str) -> list[dict]:
    return [{"code": c, "rating": others.get(c, rating)} for c in BERAKHLAK]


async def test_an_utama_result_below_expectation_is_not_made_up_by_a_tambahan(api, region_a):
    """The issue's walk: UTAMA at 70 % beside TAMBAHAN at 120 % was proposed DI_ATAS by the
    weighted mean; by the regulation an UTAMA below expectation cannot be made up for."""
    plan_id = await evaluable_plan(
        region_a, [(ResultKind.UTAMA, "20", "70"), (ResultKind.TAMBAHAN, "80", "120")]
    )
    r = await api.as_role(region_a, SUPERVISOR, SAVE, {"input": {"planId": str(plan_id)}})
    evaluation = r.data["saveEvaluation"]["evaluation"]
    assert evaluation["achievement"] == "110.00"  # the weighted mean, still shown
    assert evaluation["proposedResultRating"] == "DI_BAWAH_EKSPEKTASI"
    # rating it higher needs a reason, which names the proposal in Indonesian
    r = await api.as_role(
        region_a,
        SUPERVISOR,
        SAVE,
        {"input": {"planId": str(plan_id), "resultRating": "DI_ATAS_EKSPEKTASI"}},
    )
    (error,) = r.data["saveEvaluation"]["errors"]
    assert (error["field"], error["code"]) == ("resultOverrideReason", "OVERRIDE_REASON_REQUIRED")
    assert error["message"] == (
        "Usulan rating hasil kerja menurut PermenPANRB 6/2022 adalah Di Bawah Ekspektasi; "
        "tuliskan alasan Anda menilai Di Atas Ekspektasi."
    )


async def test_most_results_above_and_no_utama_below_is_proposed_above(api, region_a):
    plan_id = await evaluable_plan(
        region_a,
        [
            (ResultKind.UTAMA, "40", "115"),
            (ResultKind.UTAMA, "40", "95"),  # meets expectation
            (ResultKind.TAMBAHAN, "20", "120"),  # raises: 2 of 3 results above
        ],
    )
    r = await api.as_role(region_a, SUPERVISOR, SAVE, {"input": {"planId": str(plan_id)}})
    assert r.data["saveEvaluation"]["evaluation"]["proposedResultRating"] == "DI_ATAS_EKSPEKTASI"


async def test_a_region_that_keeps_the_weighted_mean_gets_it(api, region_a):
    await update_region(
        region_a.id, settings={"performance": {"result_rating_method": "WEIGHTED_MEAN"}}
    )
    plan_id = await evaluable_plan(
        region_a, [(ResultKind.UTAMA, "20", "70"), (ResultKind.TAMBAHAN, "80", "120")]
    )
    r = await api.as_role(region_a, SUPERVISOR, SAVE, {"input": {"planId": str(plan_id)}})
    assert r.data["saveEvaluation"]["evaluation"]["proposedResultRating"] == "DI_ATAS_EKSPEKTASI"
    # and the setting is the region admin's, validated
    update = """mutation($s: RegionSettingsInput!) { updateRegionSettings(input: $s) {
      region { settings { performance { resultRatingMethod } } } errors { field code } } }"""
    r = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        update,
        {"s": {"performance": {"resultRatingMethod": "RATA_RATA"}}},
    )
    assert r.data["updateRegionSettings"]["errors"] == [
        {"field": "performance.resultRatingMethod", "code": "INVALID"}
    ]
    r = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        update,
        {"s": {"performance": {"resultRatingMethod": "REGULATION"}}},
    )
    region = r.data["updateRegionSettings"]["region"]
    assert region["settings"]["performance"]["resultRatingMethod"] == "REGULATION"


async def test_the_evaluator_sets_the_behaviour_rating_against_the_average_with_a_reason(
    api, region_a
):
    """The issue's walk: six values above and Akuntabel below average to DI_ATAS; the
    evaluator may rate SESUAI, but only with a reason."""
    plan_id = await evaluable_plan(region_a, [(ResultKind.UTAMA, "100", "100")])
    base = {
        "planId": str(plan_id),
        "resultRating": "SESUAI_EKSPEKTASI",
        "behaviour": values(AKUNTABEL="DI_BAWAH_EKSPEKTASI"),
        "feedback": "Perbaiki kedisiplinan.",
    }
    r = await api.as_role(region_a, SUPERVISOR, SAVE, {"input": base})
    evaluation = r.data["saveEvaluation"]["evaluation"]
    assert evaluation["proposedBehaviourRating"] == "DI_ATAS_EKSPEKTASI"
    assert evaluation["behaviourRating"] == "DI_ATAS_EKSPEKTASI"
    assert evaluation["predikat"] == "BAIK"
    # against the proposal without a reason: a typed error, nothing written
    r = await api.as_role(
        region_a,
        SUPERVISOR,
        SAVE,
        {"input": {**base, "behaviourRating": "DI_BAWAH_EKSPEKTASI"}},
    )
    assert r.data["saveEvaluation"]["evaluation"] is None
    (error,) = r.data["saveEvaluation"]["errors"]
    assert (error["field"], error["code"]) == (
        "behaviourOverrideReason",
        "OVERRIDE_REASON_REQUIRED",
    )
    assert error["message"].startswith(
        "Usulan rating perilaku kerja dari penilaian nilai BerAKHLAK adalah Di Atas Ekspektasi"
    )
    async with tenant_transaction(region_a.id):
        stored = await Evaluation.get(tenant_id=region_a.id, id=int(evaluation["id"]))
    assert (stored.behaviour_rating, stored.chosen_behaviour_rating) == ("DI_ATAS_EKSPEKTASI", None)
    # with a reason it holds, the predikat follows it, and finalising keeps it
    r = await api.as_role(
        region_a,
        SUPERVISOR,
        SAVE,
        {
            "input": {
                **base,
                "behaviourRating": "DI_BAWAH_EKSPEKTASI",
                "behaviourOverrideReason": "Pelanggaran disiplin berat pada nilai Akuntabel",
            }
        },
    )
    evaluation = r.data["saveEvaluation"]["evaluation"]
    assert (
        evaluation["proposedBehaviourRating"],
        evaluation["behaviourRating"],
        evaluation["behaviourOverrideReason"],
        evaluation["predikat"],
    ) == (
        "DI_ATAS_EKSPEKTASI",
        "DI_BAWAH_EKSPEKTASI",
        "Pelanggaran disiplin berat pada nilai Akuntabel",
        "KURANG",
    )
    r = await api.as_role(region_a, SUPERVISOR, FINALISE, {"id": evaluation["id"]})
    assert r.data["finaliseEvaluation"]["errors"] == []
    assert r.data["finaliseEvaluation"]["evaluation"] == {
        "status": "FINALISED",
        "behaviourRating": "DI_BAWAH_EKSPEKTASI",
        "predikat": "KURANG",
    }
