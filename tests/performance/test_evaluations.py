"""Realisations, evaluations, appeals, the distribution check, the team view, statistics and
rewards: their rules, permissions, bad input and isolation; SQL achievement equals the rule."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements
from kinerja_saas.errors import PermissionDenied, ValidationFailed
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.performance import evaluations, realisations
from kinerja_saas.performance.models import Evaluation, PeriodStatus, Realisation
from kinerja_saas.performance.plans import plan_content
from kinerja_saas.performance.rules import Direction, Rating, achievement
from tenants.context import tenant_transaction
from tests.conftest import writes_by_id_alone
from tests.factories import (
    advance,
    all_values,
    approved_plan,
    first_checkpoint,
    full_cycle,
    person,
)

EMPLOYEE, SUPERVISOR, ADMIN = Role.EMPLOYEE, Role.SUPERVISOR, Role.REGION_ADMIN
RECORD = """mutation($input: RecordRealisationInput!) { recordRealisation(input: $input) {
  realisation { id value isLate status evidence { url } } errors { field code message } } }"""


@pytest.mark.parametrize(
    ("target", "value", "direction", "cap"),
    [
        ("100", "90", "HIGHER_IS_BETTER", "120"),
        ("100", "130", "HIGHER_IS_BETTER", "120"),
        ("3", "1", "HIGHER_IS_BETTER", "120"),
        ("8", "1", "HIGHER_IS_BETTER", "150"),
        ("5", "4", "LOWER_IS_BETTER", "120"),
        ("5", "7", "LOWER_IS_BETTER", "120"),
        ("5", "0", "LOWER_IS_BETTER", "120"),
        ("3", "2", "LOWER_IS_BETTER", "200"),
        ("7", "0", "HIGHER_IS_BETTER", "120"),
        ("0.0003", "0.0001", "LOWER_IS_BETTER", "120"),
    ],
)
async def test_sql_achievement_equals_the_rule(app_conn, target, value, direction, cap):
    sql = await app_conn.fetchval(
        "SELECT kinerja_achievement($1::numeric, $2::numeric, $3, $4::numeric)",
        Decimal(target),
        Decimal(value),
        direction,
        Decimal(cap),
    )
    rule = achievement(
        target=Decimal(target),
        realisation=Decimal(value),
        direction=Direction(direction),
        cap=Decimal(cap),
    )
    assert sql == rule


async def test_realisation_with_evidence_late_flag_and_review(api, region_a):
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    checkpoint = await first_checkpoint(region_a)
    async with tenant_transaction(region_a.id):
        indicator = (await plan_content([plan.id]))[plan.id][0]["indicators"][0]
    variables = {
        "input": {
            "indicatorId": str(indicator.id),
            "checkpointId": str(checkpoint.id),
            "value": "95",
            "evidence": [{"url": "https://drive.example.id/a.pdf", "label": "SK"}],
        }
    }
    res = await api.as_role(region_a, EMPLOYEE, RECORD, variables)
    realisation = res.data["recordRealisation"]["realisation"]
    late = date.today() > checkpoint.deadline
    assert realisation["isLate"] is late and realisation["status"] == "SUBMITTED"
    # Only the evaluator reviews; a rejection needs a reason and emits an event.
    reject = """mutation($id: ID!, $r: String!) { rejectRealisation(id: $id, reason: $r) {
      realisation { status rejectReason } errors { field code } } }"""
    own = await api.as_role(region_a, EMPLOYEE, reject, {"id": realisation["id"], "r": "x"})
    assert own.codes == ["FORBIDDEN"]
    res = await api.as_role(region_a, SUPERVISOR, reject, {"id": realisation["id"], "r": "Kurang"})
    assert res.data["rejectRealisation"]["realisation"] == {
        "status": "REJECTED",
        "rejectReason": "Kurang",
    }
    async with tenant_transaction(region_a.id):
        assert await OutboxEvent.filter(
            tenant_id=region_a.id, topic="performance.realisation_rejected"
        ).exists()
    # A correction goes back for verification.
    res = await api.as_role(region_a, EMPLOYEE, RECORD, variables)
    assert res.data["recordRealisation"]["realisation"]["status"] == "SUBMITTED"


async def test_bad_realisations_are_refused_and_nothing_is_written(api, region_a, region_b):
    plan = await approved_plan(region_a)
    checkpoint = await first_checkpoint(region_a)
    async with tenant_transaction(region_a.id):
        indicator = (await plan_content([plan.id]))[plan.id][0]["indicators"][0]
    base = {"indicatorId": str(indicator.id), "checkpointId": str(checkpoint.id), "value": "5"}
    # The period is still PLANNING.
    res = await api.as_role(region_a, EMPLOYEE, RECORD, {"input": base})
    assert [e["code"] for e in res.data["recordRealisation"]["errors"]] == ["PERIOD_NOT_ACTIVE"]
    await advance(region_a, PeriodStatus.ACTIVE)
    other_cp = await first_checkpoint(region_b)
    bad = {
        **base,
        "value": "-1",
        "checkpointId": str(other_cp.id),
        "evidence": [{"url": "javascript:alert(1)"}],
    }
    res = await api.as_role(region_a, EMPLOYEE, RECORD, {"input": bad})
    assert {(e["field"], e["code"]) for e in res.data["recordRealisation"]["errors"]} == {
        ("checkpointId", "NOT_IN_PERIOD"),
        ("value", "OUT_OF_RANGE"),
        ("evidence[0].url", "INVALID_URL"),
    }
    # Someone else's indicator (the supervisor's view) is not theirs to fill in.
    res = await api.as_role(region_a, SUPERVISOR, RECORD, {"input": base})
    assert res.codes == ["FORBIDDEN"]
    async with tenant_transaction(region_a.id):
        assert await Realisation.filter(tenant_id=region_a.id).count() == 0
    await advance(region_a, PeriodStatus.EVALUATING)
    await advance(region_a, PeriodStatus.CLOSED)
    res = await api.as_role(region_a, EMPLOYEE, RECORD, {"input": base})
    assert [e["code"] for e in res.data["recordRealisation"]["errors"]] == ["PERIOD_CLOSED"]


SAVE_EVALUATION = """mutation($input: SaveEvaluationInput!) { saveEvaluation(input: $input) {
  evaluation { id status } errors { field code message } } }"""
FINALISE = """mutation($id: ID!) { finaliseEvaluation(id: $id) {
  evaluation { status predikat } errors { field code message } } }"""


async def test_unknown_behaviour_values_are_typed_errors_and_nothing_is_saved(api, region_a):
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    await advance(region_a, PeriodStatus.EVALUATING)
    behaviour = [
        {"code": "BERORIENTASI_PELAYANAN", "rating": "SESUAI_EKSPEKTASI"},
        {"code": "JUJUR", "rating": "SESUAI_EKSPEKTASI"},
    ]
    res = await api.as_role(
        region_a,
        SUPERVISOR,
        SAVE_EVALUATION,
        {"input": {"planId": str(plan.id), "behaviour": behaviour, "feedback": "Baik."}},
    )
    payload = res.data["saveEvaluation"]
    assert payload["evaluation"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("behaviour[1].code", "UNKNOWN_VALUE")
    ]
    async with tenant_transaction(region_a.id):
        assert not await Evaluation.filter(tenant_id=region_a.id, plan_id=plan.id).exists()


async def test_a_region_without_berakhlak_values_gets_typed_errors_never_an_unexpected_one(
    api, region_a, owner_conn
):
    """A region made without onboarding's reference data (the old demo regions) had
    finaliseEvaluation fail with "Unexpected error." (ValueError: None is not a valid
    Predikat): with no values to rate there is no behaviour rating, hence no predikat."""
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    await advance(region_a, PeriodStatus.EVALUATING)
    await owner_conn.execute("DELETE FROM behaviour_values WHERE tenant_id = $1", region_a.id)
    values = [{"code": v.code, "rating": "SESUAI_EKSPEKTASI"} for v in all_values()]
    base = {
        "planId": str(plan.id),
        "resultRating": "DI_BAWAH_EKSPEKTASI",
        "feedback": "Tingkatkan capaian.",
    }
    res = await api.as_role(
        region_a, SUPERVISOR, SAVE_EVALUATION, {"input": {**base, "behaviour": values}}
    )
    (error,) = res.data["saveEvaluation"]["errors"]
    assert (error["field"], error["code"]) == ("behaviour", "NO_BEHAVIOUR_VALUES")
    assert "BerAKHLAK" in error["message"] and "Wilayah" in error["message"]
    res = await api.as_role(region_a, SUPERVISOR, SAVE_EVALUATION, {"input": base})
    evaluation_id = res.data["saveEvaluation"]["evaluation"]["id"]
    res = await api.as_role(region_a, SUPERVISOR, FINALISE, {"id": evaluation_id})
    payload = res.data["finaliseEvaluation"]
    assert payload["evaluation"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("behaviour", "NO_BEHAVIOUR_VALUES")
    ]
    async with tenant_transaction(region_a.id):
        stored = await Evaluation.get(tenant_id=region_a.id, id=int(evaluation_id))
    assert stored.status.value == "DRAFT" and stored.predikat is None


async def test_finalising_names_each_missing_rating(api, region_a):
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    await advance(region_a, PeriodStatus.EVALUATING)
    some = [{"code": "AKUNTABEL", "rating": "SESUAI_EKSPEKTASI"}]
    res = await api.as_role(
        region_a,
        SUPERVISOR,
        SAVE_EVALUATION,
        {"input": {"planId": str(plan.id), "behaviour": some}},
    )
    evaluation_id = res.data["saveEvaluation"]["evaluation"]["id"]
    res = await api.as_role(region_a, SUPERVISOR, FINALISE, {"id": evaluation_id})
    errors = res.data["finaliseEvaluation"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("resultRating", "RATING_REQUIRED"),
        ("behaviour", "RATING_REQUIRED"),
        ("feedback", "REQUIRED"),
    ]
    assert "BERORIENTASI_PELAYANAN" in errors[1]["message"]
    assert "AKUNTABEL" not in errors[1]["message"]


async def test_evaluation_to_predikat_finalise_and_immutability(api, region_a):
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    # One entry, nothing reached: 0 % (a plan without any entry would be "no data" instead).
    async with tenant_transaction(region_a.id):
        first = (await plan_content([plan.id]))[plan.id][0]["indicators"][0]
        await realisations.record_realisation(
            actor=person(region_a, "staff1"),
            indicator_id=first.id,
            checkpoint_id=(await first_checkpoint(region_a)).id,
            value=Decimal(0),
            note=None,
            evidence=[],
        )
    await advance(region_a, PeriodStatus.EVALUATING)
    save = """mutation($input: SaveEvaluationInput!) { saveEvaluation(input: $input) {
      evaluation { id status achievement proposedResultRating resultRating behaviourRating predikat
                   selfAssessment }
      errors { field code message } } }"""
    # Nothing reached: 0% achievement, so DI_BAWAH is proposed; rating higher needs a reason.
    res = await api.as_role(
        region_a,
        SUPERVISOR,
        save,
        {"input": {"planId": str(plan.id), "resultRating": "SESUAI_EKSPEKTASI"}},
    )
    assert [e["code"] for e in res.data["saveEvaluation"]["errors"]] == ["OVERRIDE_REASON_REQUIRED"]
    values = [{"code": v.code, "rating": "DI_ATAS_EKSPEKTASI"} for v in all_values()]
    res = await api.as_role(
        region_a,
        SUPERVISOR,
        save,
        {
            "input": {
                "planId": str(plan.id),
                "resultRating": "SESUAI_EKSPEKTASI",
                "resultOverrideReason": "Realisasi belum diinput karena sistem",
                "behaviour": values,
                "feedback": "Baik, tingkatkan dokumentasi.",
            }
        },
    )
    evaluation = res.data["saveEvaluation"]["evaluation"]
    assert evaluation["achievement"] == "0.00"
    assert evaluation["proposedResultRating"] == "DI_BAWAH_EKSPEKTASI"
    assert (evaluation["behaviourRating"], evaluation["predikat"]) == ("DI_ATAS_EKSPEKTASI", "BAIK")
    self_eval = """mutation($input: SelfEvaluationInput!) { saveSelfEvaluation(input: $input) {
      evaluation { selfAssessment selfResultRating } errors { code } } }"""
    res = await api.as_role(
        region_a,
        EMPLOYEE,
        self_eval,
        {
            "input": {
                "planId": str(plan.id),
                "text": "Saya sudah berusaha",
                "resultRating": "DI_ATAS_EKSPEKTASI",
            }
        },
    )
    assert res.data["saveSelfEvaluation"]["evaluation"]["selfResultRating"] == "DI_ATAS_EKSPEKTASI"
    # The employee cannot rate themselves through the evaluator's mutation.
    res = await api.as_role(region_a, EMPLOYEE, save, {"input": {"planId": str(plan.id)}})
    assert res.codes == ["FORBIDDEN"]
    finalise = """mutation($id: ID!) { finaliseEvaluation(id: $id) {
      evaluation { status predikat appealDeadline } errors { field code } } }"""
    res = await api.as_role(region_a, SUPERVISOR, finalise, {"id": evaluation["id"]})
    final = res.data["finaliseEvaluation"]["evaluation"]
    assert final["status"] == "FINALISED" and final["predikat"] == "BAIK"
    assert final["appealDeadline"] == (date.today() + timedelta(days=14)).isoformat()
    res = await api.as_role(
        region_a, SUPERVISOR, save, {"input": {"planId": str(plan.id), "feedback": "ubah"}}
    )
    assert [e["code"] for e in res.data["saveEvaluation"]["errors"]] == ["EVALUATION_FINALISED"]
    async with tenant_transaction(region_a.id):
        (event,) = await OutboxEvent.filter(
            tenant_id=region_a.id, topic="performance.evaluation_finalised"
        )
    assert event.payload["predikat"] == "BAIK" and event.payload["low_performer"] is True
    # low_performer: an indicator (0%) is under the region's floor (60%).
    mine = "{ myEvaluations { id status predikat selfAssessment } }"
    assert (await api.as_role(region_a, EMPLOYEE, mine)).data["myEvaluations"] == [
        {
            "id": evaluation["id"],
            "status": "FINALISED",
            "predikat": "BAIK",
            "selfAssessment": "Saya sudah berusaha",
        }
    ]


async def test_finalising_without_all_ratings_is_refused(region_a):
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    await advance(region_a, PeriodStatus.EVALUATING)
    chief = person(region_a, "chief", SUPERVISOR)
    async with tenant_transaction(region_a.id):
        evaluation = await evaluations.save_evaluation(
            actor=chief, plan_id=plan.id, checkpoint_id=None, behaviour=all_values()[:3]
        )
        with pytest.raises(ValidationFailed) as failed:
            await evaluations.finalise_evaluation(actor=chief, evaluation_id=evaluation.id)
    assert {e.field for e in failed.value.errors} == {"resultRating", "behaviour", "feedback"}
    async with tenant_transaction(region_a.id):
        assert (await Evaluation.get(id=evaluation.id)).status.value == "DRAFT"


async def test_every_update_and_delete_of_a_cycle_names_the_tenant(region_a):
    """On Citus (docs/scaling.md) an UPDATE or DELETE by id alone goes to every shard;
    Tortoise's Model.save() writes one, so rows are updated with save_fields()."""
    with count_statements(keep_texts=True) as counter:
        await full_cycle(region_a)  # evaluations saved, finalised, appealed, decided
    assert any(s.startswith('UPDATE "evaluations"') for s in counter.texts)
    assert writes_by_id_alone(counter.texts) == []


async def test_appeal_reopens_for_the_reviewer_within_the_window(region_a):
    cycle = await full_cycle(region_a)  # appealed once, decided by head (chief's supervisor)
    staff = person(region_a, "staff1")
    async with tenant_transaction(region_a.id):
        evaluation = await Evaluation.get(id=cycle.evaluation_id)
        assert evaluation.status.value == "FINALISED"
        with pytest.raises(ValidationFailed) as twice:
            await evaluations.appeal_evaluation(
                actor=staff, evaluation_id=evaluation.id, reason="Lagi"
            )
        assert [e.code for e in twice.value.errors] == ["APPEAL_EXISTS"]
        with pytest.raises(ValidationFailed) as late:
            await evaluations.appeal_evaluation(
                actor=staff,
                evaluation_id=evaluation.id,
                reason="Terlambat",
                today=date.today() + timedelta(days=15),
            )
        assert "APPEAL_WINDOW_CLOSED" in [e.code for e in late.value.errors]


async def test_during_an_appeal_only_the_reviewer_rates(region_a):
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    await advance(region_a, PeriodStatus.EVALUATING)
    chief, staff = person(region_a, "chief", SUPERVISOR), person(region_a, "staff1")
    head = person(region_a, "head", SUPERVISOR)  # chief's supervisor, not an admin here
    async with tenant_transaction(region_a.id):
        evaluation = await evaluations.save_evaluation(
            actor=chief,
            plan_id=plan.id,
            checkpoint_id=None,
            result_rating=Rating.DI_BAWAH_EKSPEKTASI,
            behaviour=all_values(Rating.DI_BAWAH_EKSPEKTASI),
            feedback="Perlu perbaikan",
        )
        await evaluations.finalise_evaluation(actor=chief, evaluation_id=evaluation.id)
        await evaluations.appeal_evaluation(actor=staff, evaluation_id=evaluation.id, reason="X")
        with pytest.raises(PermissionDenied):
            await evaluations.save_evaluation(
                actor=chief, plan_id=plan.id, checkpoint_id=None, feedback="ubah"
            )
        saved = await evaluations.save_evaluation(
            actor=head,
            plan_id=plan.id,
            checkpoint_id=None,
            result_rating=Rating.DI_BAWAH_EKSPEKTASI,
            behaviour=all_values(Rating.SESUAI_EKSPEKTASI),
        )
        assert saved.predikat == "BUTUH_PERBAIKAN"
        with pytest.raises(ValidationFailed) as no_note:
            await evaluations.finalise_evaluation(actor=head, evaluation_id=evaluation.id)
        assert [e.field for e in no_note.value.errors] == ["decisionNote"]
        final, _ = await evaluations.finalise_evaluation(
            actor=head, evaluation_id=evaluation.id, decision_note="Perilaku dinilai ulang"
        )
        assert final.status.value == "FINALISED"
        appeal = (await evaluations.appeals_of([evaluation.id]))[evaluation.id]
        assert appeal.status.value == "DECIDED" and appeal.original["predikat"] == "SANGAT_KURANG"


async def test_distribution_pattern_warns_before_finalisation(api, region_a):
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    await advance(region_a, PeriodStatus.EVALUATING)
    rate = """mutation($p: ID!, $u: ID!) { setUnitRating(periodId: $p, unitId: $u, rating: BAIK) {
      distribution { rating employees rated problems { code } } errors { code } } }"""
    variables = {"p": str(region_a.period.id), "u": str(region_a.units["a"].id)}
    assert (await api.as_role(region_a, SUPERVISOR, rate, variables)).codes == ["FORBIDDEN"]
    res = await api.as_role(region_a, ADMIN, rate, variables)
    assert res.data["setUnitRating"]["distribution"] == {
        "rating": "BAIK",
        "employees": 1,
        "rated": 0,
        "problems": [],
    }
    chief = person(region_a, "chief", SUPERVISOR)
    async with tenant_transaction(region_a.id):
        evaluation = await evaluations.save_evaluation(
            actor=chief,
            plan_id=plan.id,
            checkpoint_id=None,
            result_rating=Rating.DI_BAWAH_EKSPEKTASI,
            behaviour=all_values(Rating.DI_ATAS_EKSPEKTASI),
            feedback="Cukup",
        )
    # 1 of 1 is BUTUH_PERBAIKAN: BAIK is not the largest group. Live, before finalising:
    check = '{{ distributionCheck(periodId: "{}", unitId: "{}") {{ rated problems {{ code }} }} }}'.format(
        variables["p"],
        variables["u"],
    )
    res = await api.as_role(region_a, SUPERVISOR, check)
    assert res.data["distributionCheck"] == {"rated": 1, "problems": [{"code": "NOT_LARGEST"}]}
    finalise = """mutation($id: ID!, $ack: Boolean!) { finaliseEvaluation(id: $id,
      acknowledgeDistribution: $ack) { evaluation { status } distributionProblems { code }
      errors { field code } } }"""
    res = await api.as_role(
        region_a, SUPERVISOR, finalise, {"id": str(evaluation.id), "ack": False}
    )
    assert res.data["finaliseEvaluation"]["errors"] == [
        {"field": "acknowledgeDistribution", "code": "DISTRIBUTION_PATTERN"}
    ]
    async with tenant_transaction(region_a.id):
        assert (await Evaluation.get(id=evaluation.id)).status.value == "DRAFT"
    res = await api.as_role(region_a, SUPERVISOR, finalise, {"id": str(evaluation.id), "ack": True})
    assert res.data["finaliseEvaluation"]["evaluation"]["status"] == "FINALISED"
    assert res.data["finaliseEvaluation"]["distributionProblems"] == [{"code": "NOT_LARGEST"}]


TEAM = """query($p: ID!) { myTeam(periodId: $p) { employee { name } planStatus achievementToDate
  indicators missingRealisations pendingVerifications latestPredikat } }"""
STATS = """query($p: ID!) { performanceStats(periodId: $p, groupBy: [UNIT, PREDIKAT]) {
  unitId predikat plans withAchievement averageAchievement } }"""


async def test_my_team_and_stats_show_the_live_numbers(api, region_a):
    cycle = await full_cycle(region_a)
    res = await api.as_role(region_a, SUPERVISOR, TEAM, {"p": str(region_a.period.id)})
    team = {m["employee"]["name"].split()[0]: m for m in res.data["myTeam"]}
    assert set(team) == {"Staff1", "Staff2"}
    staff1 = team["Staff1"]
    # 90/100 × 40 + (rejected: 0) × 30 + 12/12 × 30 = 66%.
    assert staff1["achievementToDate"] == "66.00" and staff1["planStatus"] == "APPROVED"
    assert staff1["indicators"] == 3 and staff1["latestPredikat"] == "BAIK"
    assert staff1["pendingVerifications"] == 1  # the third realisation
    ended = sum(1 for c in await _checkpoints(region_a) if c.ends_on < date.today())
    assert staff1["missingRealisations"] == 3 * ended - 2  # two count; the rejected one not
    assert team["Staff2"]["planStatus"] is None and team["Staff2"]["indicators"] == 0

    res = await api.as_role(region_a, ADMIN, STATS, {"p": str(region_a.period.id)})
    rows = res.data["performanceStats"]
    assert rows == [
        {
            "unitId": str(region_a.units["dinas"].id),
            "predikat": "BAIK",
            "plans": 1,
            "withAchievement": 1,
            "averageAchievement": "66.00",
        }
    ]
    assert cycle.plan_id
    # An employee sees no statistics; another region's admin sees none of these plans.
    assert (await api.as_role(region_a, EMPLOYEE, STATS, {"p": str(region_a.period.id)})).codes == [
        "FORBIDDEN"
    ]


async def _checkpoints(region):
    from kinerja_saas.performance.models import Checkpoint

    async with tenant_transaction(region.id):
        return await Checkpoint.filter(tenant_id=region.id, period_id=region.period.id)


async def test_team_and_stats_statement_counts_do_not_grow_with_rows(api, region_a, region_b):
    """5 reports or 300, 50 employees or 5,000: the same statements (set-based SQL)."""
    from tests.performance.bulk import add_reports_with_plans

    query_team = (TEAM, {"p": str(region_a.period.id)})
    await add_reports_with_plans(region_a, count=5)
    small_team = await api.as_role(region_a, SUPERVISOR, *query_team)
    small_stats = await api.as_role(region_a, ADMIN, STATS, {"p": str(region_a.period.id)})
    await add_reports_with_plans(region_b, count=300)
    big_team = await api.as_role(region_b, SUPERVISOR, TEAM, {"p": str(region_b.period.id)})
    big_stats = await api.as_role(region_b, ADMIN, STATS, {"p": str(region_b.period.id)})
    assert len(small_team.data["myTeam"]) == 2 + 5 and len(big_team.data["myTeam"]) == 2 + 300
    assert sum(r["plans"] for r in big_stats.data["performanceStats"]) == 300
    assert small_team.statements == big_team.statements
    assert small_stats.statements == big_stats.statements


async def test_rewards_and_sanctions(api, region_a, region_b):
    cycle = await full_cycle(region_a)
    query = '{{ rewardsAndSanctions(employeeId: "{}") {{ kind type evaluationId }} }}'.format(
        region_a.employees["staff1"].id
    )
    expected = [
        {"kind": "REWARD", "type": "PIAGAM_PENGHARGAAN", "evaluationId": str(cycle.evaluation_id)}
    ]
    assert (await api.as_role(region_a, EMPLOYEE, query)).data["rewardsAndSanctions"] == expected
    assert (await api.as_role(region_b, ADMIN, query)).codes == ["NOT_FOUND"]
    record = """mutation($input: RecordRewardSanctionInput!) { recordRewardOrSanction(input: $input) {
      entry { kind } errors { field code } } }"""
    variables = {
        "input": {
            "employeeId": str(region_a.employees["staff1"].id),
            "type": "RENCANA_PERBAIKAN_KINERJA",
            "reason": "Enam bulan pendampingan",
            "decidedOn": date.today().isoformat(),
        }
    }
    # An employee cannot sanction a peer; the direct supervisor can.
    assert (await api.as_role(region_a, EMPLOYEE, record, variables)).codes == ["FORBIDDEN"]
    res = await api.as_role(region_a, SUPERVISOR, record, variables)
    assert res.data["recordRewardOrSanction"]["entry"] == {"kind": "SANCTION"}
    future = {"input": {**variables["input"], "decidedOn": "2999-01-01", "reason": ""}}
    res = await api.as_role(region_a, SUPERVISOR, record, future)
    assert {e["field"] for e in res.data["recordRewardOrSanction"]["errors"]} == {
        "decidedOn",
        "reason",
    }


async def test_dialog_between_employee_and_evaluator_only(api, region_a):
    plan = await approved_plan(region_a)
    add = """mutation($input: DialogNoteInput!) { addDialogNote(input: $input) {
      note { id body author { name } } errors { field code } } }"""
    first = await api.as_role(
        region_a, SUPERVISOR, add, {"input": {"planId": str(plan.id), "body": "Progres?"}}
    )
    note_id = first.data["addDialogNote"]["note"]["id"]
    reply = await api.as_role(
        region_a,
        EMPLOYEE,
        add,
        {"input": {"planId": str(plan.id), "body": "Sudah 50%", "replyToId": note_id}},
    )
    assert reply.data["addDialogNote"]["errors"] == []
    outsider = await api.as_role(
        region_a, Role.TRAINING_OFFICER, add, {"input": {"planId": str(plan.id), "body": "Hai"}}
    )
    assert [e["code"] for e in outsider.data["addDialogNote"]["errors"]] == ["NOT_FOUND"]
    thread = await api.as_role(
        region_a, EMPLOYEE, f'{{ plan(id: "{plan.id}") {{ dialog {{ body replyToId }} }} }}'
    )
    assert thread.data["plan"]["dialog"] == [
        {"body": "Progres?", "replyToId": None},
        {"body": "Sudah 50%", "replyToId": note_id},
    ]


async def test_distribution_check_only_for_units_the_supervisor_rates(region_a):
    """A supervisor sees the distribution of a unit only when they rate someone in it or
    below it this period (their ratings count there); the region admin every unit."""
    from kinerja_saas.performance import distribution

    await approved_plan(region_a)  # staff1 in BIDANG-A, rated by chief
    period, units = region_a.period.id, region_a.units
    chief = person(region_a, "chief", SUPERVISOR)
    other = person(region_a, "other", SUPERVISOR)  # in BIDANG-B, rates nobody
    admin = person(region_a, "head", ADMIN)
    async with tenant_transaction(region_a.id):
        for actor, unit in ((chief, "a"), (chief, "dinas"), (admin, "b"), (admin, "a")):
            check = await distribution.distribution_check(
                actor=actor, period_id=period, unit_id=units[unit].id
            )
            assert check.unit_id == units[unit].id
        for actor, unit in ((chief, "b"), (other, "a"), (other, "b"), (other, "dinas")):
            with pytest.raises(PermissionDenied) as refused:
                await distribution.distribution_check(
                    actor=actor, period_id=period, unit_id=units[unit].id
                )
            assert refused.value.code == "FORBIDDEN"
