"""Periodic targets (issue #18), walked through the GraphQL API in a freshly onboarded region
(the fixture region has the reference data onboarding gives and a quarterly period):

- an employee on track in Q1 is measured against Q1's own targets (100 %, "Sesuai"), not
  the annual target (25 %, "Di Bawah": the bug the issue found as 52,08 %);
- a quarter without entries is "no data" (null, NO_DATA) in the evaluation, the plan's
  progress and the per-checkpoint statistics, never 0;
- bad periodic targets are refused with typed errors naming the field, nothing written;
- copyResultsDown copies an indicator's periodic targets and its source;
- after a finalised evaluation a later realisation shows on the plan's indicator as
  sinceChanged (value at finalisation and now), the evaluation unchanged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.db import db
from kinerja_saas.performance import rules
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import PeriodStatus, Plan
from kinerja_saas.performance.rules import Direction, TargetKind
from tenants.context import tenant_transaction
from tests.factories import BERAKHLAK, advance

EMPLOYEE, SUPERVISOR, ADMIN = Role.EMPLOYEE, Role.SUPERVISOR, Role.REGION_ADMIN

SAVE_PLAN = """mutation($input: SavePlanInput!) { savePlan(input: $input) {
  plan { id results { indicators { id targetKind checkpointTargets } } }
  errors { field code message } } }"""
STEP = """mutation($id: ID!) { %s(id: $id) { plan { status } errors { code } } }"""
RECORD = """mutation($input: RecordRealisationInput!) { recordRealisation(input: $input) {
  realisation { id } errors { field code message } } }"""
SAVE_EVALUATION = """mutation($input: SaveEvaluationInput!) { saveEvaluation(input: $input) {
  evaluation { id achievement achievementStatus proposedResultRating }
  errors { field code message } } }"""
FINALISE = """mutation($id: ID!) { finaliseEvaluation(id: $id, acknowledgeDistribution: true) {
  evaluation { status achievement } errors { field code message } } }"""
PERIODS = """{ periods { id checkpointKind checkpoints { id number label } } }"""
MY_PLAN = """query($p: ID!) { myPlan(periodId: $p) { id achievement achievementStatus
  progress { checkpointId achievement status checkpoint { number } }
  results { indicators { id text targetKind checkpointTargets
    sinceChanged { evaluationId checkpointId valueAtFinalisation currentValue } } } } }"""
STATS = """query($p: ID!) { performanceStats(periodId: $p, groupBy: [CHECKPOINT]) {
  checkpointId plans withAchievement noData averageAchievement } }"""


def periodic_plan(period_id: int, **first) -> dict:
    """One UTAMA result: permits issued, 100 a year, CUMULATIVE 25/50/75/100 (weight 60),
    and reports, 40 a year, PER_PERIOD 10 each quarter (weight 40)."""
    permits = {
        "text": "Jumlah izin diterbitkan",
        "aspect": "KUANTITAS",
        "target": "100",
        "unit": "dokumen",
        "weight": "60",
        "targetKind": "CUMULATIVE",
        "checkpointTargets": ["25", "50", "75", "100"],
        **first,
    }
    reports = {
        "text": "Laporan pengawasan",
        "aspect": "KUANTITAS",
        "target": "40",
        "unit": "laporan",
        "weight": "40",
        "targetKind": "PER_PERIOD",
        "checkpointTargets": ["10", "10", "10", "10"],
    }
    return {
        "periodId": str(period_id),
        "results": [
            {"kind": "UTAMA", "text": "Pelayanan perizinan", "indicators": [permits, reports]}
        ],
    }


async def _quarters(api, region) -> list[str]:
    r = await api.as_role(region, EMPLOYEE, PERIODS)
    (period,) = [p for p in r.data["periods"] if p["id"] == str(region.period.id)]
    assert period["checkpointKind"] == "QUARTERLY"
    return [c["id"] for c in sorted(period["checkpoints"], key=lambda c: c["number"])]


async def _approved_periodic_plan(api, region) -> tuple[str, list[str]]:
    r = await api.as_role(region, EMPLOYEE, SAVE_PLAN, {"input": periodic_plan(region.period.id)})
    saved = r.data["savePlan"]
    assert saved["errors"] == []
    plan_id = saved["plan"]["id"]
    assert (await api.as_role(region, EMPLOYEE, STEP % "submitPlan", {"id": plan_id})).data[
        "submitPlan"
    ]["errors"] == []
    r = await api.as_role(region, SUPERVISOR, STEP % "approvePlan", {"id": plan_id})
    assert r.data["approvePlan"]["plan"]["status"] == "APPROVED"
    indicators = [i["id"] for i in saved["plan"]["results"][0]["indicators"]]
    return plan_id, indicators


async def _record(api, region, indicator_id: str, checkpoint_id: str, value: str) -> None:
    r = await api.as_role(
        region,
        EMPLOYEE,
        RECORD,
        {"input": {"indicatorId": indicator_id, "checkpointId": checkpoint_id, "value": value}},
    )
    assert r.data["recordRealisation"]["errors"] == []


async def test_a_quarter_is_measured_against_its_own_target_and_no_data_is_never_zero(
    api, region_a
):
    plan_id, (permits, reports) = await _approved_periodic_plan(api, region_a)
    q1, q2, q3, q4 = await _quarters(api, region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    # On track in Q1: 25 permits (Q1's cumulative target) and 10 reports (Q1's own).
    await _record(api, region_a, permits, q1, "25")
    await _record(api, region_a, reports, q1, "10")

    r = await api.as_role(
        region_a, SUPERVISOR, SAVE_EVALUATION, {"input": {"planId": plan_id, "checkpointId": q1}}
    )
    q1_evaluation = r.data["saveEvaluation"]["evaluation"]
    # Against the annual targets this was 25 % and "Di Bawah" (the 52,08 %).
    assert q1_evaluation["achievement"] == "100.00"
    assert q1_evaluation["achievementStatus"] == "MEASURED"
    assert q1_evaluation["proposedResultRating"] == "SESUAI_EKSPEKTASI"

    # Q2: nothing entered. No data, no proposal, never 0.
    r = await api.as_role(
        region_a,
        SUPERVISOR,
        SAVE_EVALUATION,
        {"input": {"planId": plan_id, "checkpointId": q2, "resultRating": "SESUAI_EKSPEKTASI"}},
    )
    q2_evaluation = r.data["saveEvaluation"]
    assert q2_evaluation["errors"] == []  # no proposal to differ from: no reason needed
    assert {
        k: q2_evaluation["evaluation"][k]
        for k in ("achievement", "achievementStatus", "proposedResultRating")
    } == {"achievement": None, "achievementStatus": "NO_DATA", "proposedResultRating": None}

    # The plan's progress: Q1 against its own targets, the other quarters no data; to date
    # each indicator against the annual target (25 of 100 permits, 10 of 40 reports).
    r = await api.as_role(region_a, EMPLOYEE, MY_PLAN, {"p": str(region_a.period.id)})
    plan = r.data["myPlan"]
    assert [
        (p["checkpoint"]["number"], p["achievement"], p["status"]) for p in plan["progress"]
    ] == [
        (1, "100.00", "MEASURED"),
        (2, None, "NO_DATA"),
        (3, None, "NO_DATA"),
        (4, None, "NO_DATA"),
    ]
    assert (plan["achievement"], plan["achievementStatus"]) == ("25.00", "MEASURED")

    # The trend statistics: Q2-Q4 count the plan as no data, not as 0 %.
    r = await api.as_role(region_a, ADMIN, STATS, {"p": str(region_a.period.id)})
    rows = {row["checkpointId"]: row for row in r.data["performanceStats"]}
    assert rows[q1] == {
        "checkpointId": q1,
        "plans": 1,
        "withAchievement": 1,
        "noData": 0,
        "averageAchievement": "100.00",
    }
    for quarter in (q2, q3, q4):
        assert rows[quarter] == {
            "checkpointId": quarter,
            "plans": 1,
            "withAchievement": 0,
            "noData": 1,
            "averageAchievement": None,
        }

    # Q2 behind: 40 of Q2's cumulative 50 permits (80 %), 5 of Q2's own 10 reports (50 %):
    # 0,6 × 80 + 0,4 × 50 = 68 %; to date 40 of 100 permits and 15 of 40 reports.
    await _record(api, region_a, permits, q2, "40")
    await _record(api, region_a, reports, q2, "5")
    below = {"planId": plan_id, "checkpointId": q2, "resultRating": "DI_BAWAH_EKSPEKTASI"}
    r = await api.as_role(region_a, SUPERVISOR, SAVE_EVALUATION, {"input": below})
    assert r.data["saveEvaluation"]["evaluation"]["achievement"] == "68.00"
    assert r.data["saveEvaluation"]["evaluation"]["proposedResultRating"] == "DI_BAWAH_EKSPEKTASI"
    r = await api.as_role(region_a, EMPLOYEE, MY_PLAN, {"p": str(region_a.period.id)})
    plan = r.data["myPlan"]
    assert [p["achievement"] for p in plan["progress"]] == ["100.00", "68.00", None, None]
    assert plan["achievement"] == "39.00"  # 0,6 × 40 + 0,4 × 37,5


async def test_a_plan_without_any_entry_has_no_progress_not_zero(api, region_a):
    await _approved_periodic_plan(api, region_a)
    r = await api.as_role(region_a, EMPLOYEE, MY_PLAN, {"p": str(region_a.period.id)})
    plan = r.data["myPlan"]
    assert (plan["achievement"], plan["achievementStatus"]) == (None, "NO_DATA")
    assert {p["status"] for p in plan["progress"]} == {"NO_DATA"}
    stats = """query($p: ID!) { performanceStats(periodId: $p, groupBy: []) {
      plans withAchievement noData averageAchievement } }"""
    r = await api.as_role(region_a, ADMIN, stats, {"p": str(region_a.period.id)})
    assert r.data["performanceStats"] == [
        {"plans": 1, "withAchievement": 0, "noData": 1, "averageAchievement": None}
    ]
    team = """query($p: ID!) { myTeam(periodId: $p) { employee { id } planStatus
      achievementToDate } }"""
    r = await api.as_role(region_a, SUPERVISOR, team, {"p": str(region_a.period.id)})
    staff1 = str(region_a.employees["staff1"].id)
    (member,) = [m for m in r.data["myTeam"] if m["employee"]["id"] == staff1]
    assert (member["planStatus"], member["achievementToDate"]) == ("APPROVED", None)


BAD_TARGETS = [
    pytest.param(
        {"checkpointTargets": ["50", "100"]},
        "checkpointTargets",
        "TARGET_COUNT",
        "Isi 4 target, satu untuk setiap triwulan periode ini; sekarang 2.",
        id="count-must-match-the-period's-checkpoints",
    ),
    pytest.param(
        {"checkpointTargets": ["25", "50", "47.5", "100"]},
        "checkpointTargets[2]",
        "TARGETS_NOT_MONOTONE",
        "Target kumulatif triwulan ke-3 (47,5) tidak boleh lebih kecil dari triwulan ke-2 (50).",
        id="cumulative-targets-never-go-back",
    ),
    pytest.param(
        {"checkpointTargets": ["25", "50", "75", "90.5"]},
        "checkpointTargets[3]",
        "LAST_TARGET_NOT_ANNUAL",
        "Target kumulatif triwulan terakhir harus sama dengan target tahunan 100; sekarang 90,5.",
        id="last-cumulative-target-is-the-annual-target",
    ),
    pytest.param(
        {"targetKind": "PER_PERIOD", "checkpointTargets": ["25", "25", "25", "20"]},
        "checkpointTargets",
        "TARGETS_SUM_NOT_ANNUAL",
        "Jumlah target per triwulan harus sama dengan target tahunan 100; sekarang 95.",
        id="per-period-targets-add-up-to-the-annual-target",
    ),
    pytest.param(
        {"targetKind": None},
        "targetKind",
        "TARGET_KIND_REQUIRED",
        "Nyatakan jenis target per periode: CUMULATIVE (kumulatif) atau PER_PERIOD.",
        id="targets-state-their-kind",
    ),
    pytest.param(
        {"checkpointTargets": ["0", "50", "75", "100"]},
        "checkpointTargets[0]",
        "OUT_OF_RANGE",
        None,
        id="each-target-above-zero",
    ),
]


@pytest.mark.parametrize(("change", "field", "code", "message"), BAD_TARGETS)
async def test_bad_periodic_targets_are_refused_naming_the_field(
    api, region_a, change, field, code, message
):
    r = await api.as_role(
        region_a, EMPLOYEE, SAVE_PLAN, {"input": periodic_plan(region_a.period.id, **change)}
    )
    (error,) = r.data["savePlan"]["errors"]
    assert (error["field"], error["code"]) == (f"results[0].indicators[0].{field}", code)
    if message is not None:
        assert error["message"] == message
    async with tenant_transaction(region_a.id):
        assert not await Plan.filter(tenant_id=region_a.id).exists()


def test_lower_is_better_cumulative_targets_move_down_toward_the_annual_one():
    problems = rules.periodic_target_problems(
        kind=TargetKind.CUMULATIVE,
        targets=[Decimal(8), Decimal(9), Decimal(6), Decimal(5)],
        annual=Decimal(5),
        direction=Direction.LOWER_IS_BETTER,
        checkpoints=4,
        checkpoint_word="triwulan",
    )
    assert [(p.code, p.index) for p in problems] == [(PerformanceError.TARGETS_NOT_MONOTONE, 1)]


async def test_sql_target_and_year_value_follow_the_python_rules(region_a):
    """kinerja_indicator_target / kinerja_year_value (migration 0030) against rules."""
    cases = [
        (Decimal(100), [Decimal(25), Decimal(50)], 2),
        (Decimal(100), [Decimal(25), Decimal(50)], None),
        (Decimal(100), None, 1),
        (Decimal(100), [Decimal(25)], 3),  # out of range: the annual target
    ]
    async with tenant_transaction(region_a.id):
        conn = db()
        for target, targets, number in cases:
            rows = await conn.execute_query_dict(
                "SELECT kinerja_indicator_target($1::numeric, $2::numeric[], $3::int) AS t",
                [target, targets, number],
            )
            assert rows[0]["t"] == rules.indicator_target(
                target=target, checkpoint_targets=targets, number=number
            )
        for kind in (None, TargetKind.CUMULATIVE, TargetKind.PER_PERIOD):
            values = [Decimal(10), Decimal(5), Decimal("7.5")]
            rows = await conn.execute_query_dict(
                "SELECT kinerja_year_value($1, $2::numeric, $3::numeric) AS v",
                [kind.value if kind else None, values[-1], sum(values)],
            )
            assert rows[0]["v"] == rules.year_value(kind, values)


async def test_copy_results_down_copies_periodic_targets_and_the_source(api, region_a):
    own = periodic_plan(region_a.period.id)
    own["results"][0]["indicators"].append(
        {
            "text": "IKM bidang",
            "aspect": "KUALITAS",
            "target": "85",
            "unit": "indeks",
            "weight": "0.01",
            "source": "SKM_IKM",
            "sourceUnitId": str(region_a.units["a"].id),
        }
    )
    r = await api.as_role(region_a, SUPERVISOR, SAVE_PLAN, {"input": own})
    assert r.data["savePlan"]["errors"] == []
    result_id = (
        await api.as_role(
            region_a,
            SUPERVISOR,
            """query($p: ID!) { myPlan(periodId: $p) { results { id } } }""",
            {"p": str(region_a.period.id)},
        )
    ).data["myPlan"]["results"][0]["id"]
    copy = """mutation($r: [ID!]!, $e: [ID!]!) { copyResultsDown(resultIds: $r, employeeIds: $e) {
      plans { employeeId results { supportsResultId indicators {
        targetKind checkpointTargets source sourceUnitId } } }
      errors { field code message } } }"""
    staff = [str(region_a.employees[k].id) for k in ("staff1", "staff2")]
    r = await api.as_role(region_a, SUPERVISOR, copy, {"r": [result_id], "e": staff})
    assert r.data["copyResultsDown"]["errors"] == []
    for plan in r.data["copyResultsDown"]["plans"]:
        (result,) = plan["results"]
        assert result["supportsResultId"] == result_id
        assert [
            (i["targetKind"], i["checkpointTargets"], i["source"], i["sourceUnitId"])
            for i in result["indicators"]
        ] == [
            ("CUMULATIVE", ["25.0000", "50.0000", "75.0000", "100.0000"], "MANUAL", None),
            ("PER_PERIOD", ["10.0000", "10.0000", "10.0000", "10.0000"], "MANUAL", None),
            (None, None, "SKM_IKM", str(region_a.units["a"].id)),
        ]


async def test_a_later_realisation_shows_as_since_changed_never_altering_the_evaluation(
    api, region_a
):
    plan_id, (permits, reports) = await _approved_periodic_plan(api, region_a)
    q1, _, _, q4 = await _quarters(api, region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    await _record(api, region_a, permits, q1, "25")
    await _record(api, region_a, reports, q1, "10")
    await advance(region_a, PeriodStatus.EVALUATING)
    r = await api.as_role(
        region_a,
        SUPERVISOR,
        SAVE_EVALUATION,
        {
            "input": {
                "planId": plan_id,
                "resultRating": "DI_BAWAH_EKSPEKTASI",
                "behaviour": [{"code": c, "rating": "SESUAI_EKSPEKTASI"} for c in BERAKHLAK],
                "feedback": "Tingkatkan capaian.",
            }
        },
    )
    year = r.data["saveEvaluation"]["evaluation"]
    assert year["achievement"] == "25.00"  # the year: 25 of 100 permits, 10 of 40 reports
    r = await api.as_role(region_a, SUPERVISOR, FINALISE, {"id": year["id"]})
    assert r.data["finaliseEvaluation"]["errors"] == []

    r = await api.as_role(region_a, EMPLOYEE, MY_PLAN, {"p": str(region_a.period.id)})
    indicators = r.data["myPlan"]["results"][0]["indicators"]
    assert [i["sinceChanged"] for i in indicators] == [[], []]

    # Q4 entered late, while the year is evaluated: the plan shows it, the evaluation not.
    await _record(api, region_a, permits, q4, "100")
    r = await api.as_role(region_a, EMPLOYEE, MY_PLAN, {"p": str(region_a.period.id)})
    indicators = {i["id"]: i for i in r.data["myPlan"]["results"][0]["indicators"]}
    assert indicators[permits]["sinceChanged"] == [
        {
            "evaluationId": year["id"],
            "checkpointId": None,
            "valueAtFinalisation": "25.0000",
            "currentValue": "100.0000",
        }
    ]
    assert indicators[reports]["sinceChanged"] == []
    r = await api.as_role(region_a, EMPLOYEE, """{ myEvaluations { id achievement status } }""")
    assert {"id": year["id"], "achievement": "25.00", "status": "FINALISED"} in r.data[
        "myEvaluations"
    ]


async def test_progress_and_since_changed_stay_behind_the_plans_visibility(api, region_a, region_b):
    """The new fields hang off a plan: whoever cannot see the plan reads none of them,
    in the region (a training officer outside the chain) or from another region."""
    plan_id, _ = await _approved_periodic_plan(api, region_a)
    query = """query($id: ID!) { plan(id: $id) { progress { achievement }
      results { indicators { checkpointTargets sinceChanged { currentValue } } } } }"""
    r = await api.as_role(region_a, Role.TRAINING_OFFICER, query, {"id": plan_id})
    assert r.codes == ["NOT_FOUND"]
    r = await api.as_role(region_b, ADMIN, query, {"id": plan_id})
    assert r.codes == ["NOT_FOUND"]
    listing = """{ plans(first: 10) { edges { node { progress { achievement } } } } }"""
    r = await api.as_role(region_b, ADMIN, listing)
    assert r.data["plans"]["edges"] == []
    # the plan's own people see them
    r = await api.as_role(region_a, SUPERVISOR, query, {"id": plan_id})
    assert len(r.data["plan"]["progress"]) == 4


async def test_a_survey_fed_index_cannot_add_up_per_period(api, region_a):
    plan = periodic_plan(region_a.period.id)
    plan["results"][0]["indicators"][1] = {
        "text": "IKM bidang",
        "aspect": "KUALITAS",
        "target": "340",
        "unit": "indeks",
        "weight": "40",
        "source": "SKM_IKM",
        "sourceUnitId": str(region_a.units["a"].id),
        "targetKind": "PER_PERIOD",
        "checkpointTargets": ["85", "85", "85", "85"],
    }
    r = await api.as_role(region_a, EMPLOYEE, SAVE_PLAN, {"input": plan})
    fields = {(e["field"], e["code"]) for e in r.data["savePlan"]["errors"]}
    assert ("results[0].indicators[1].targetKind", "SOURCE_MISMATCH") in fields
