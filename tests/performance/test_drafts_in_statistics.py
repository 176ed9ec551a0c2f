"""A DRAFT evaluation's predikat is no result yet (issue #18): it never counts in a team's
latestPredikat, in the predikat statistics or in the plans list filtered by predikat; the
finalised one does. Through the API."""

from __future__ import annotations

from kinerja_saas.auth.roles import Role
from kinerja_saas.performance.models import PeriodStatus
from tests.factories import BERAKHLAK, advance, approved_plan

SUPERVISOR = Role.SUPERVISOR
SAVE = """mutation($input: SaveEvaluationInput!) { saveEvaluation(input: $input) {
  evaluation { id predikat status } errors { code } } }"""
TEAM = """query($p: ID!) { myTeam(periodId: $p) { employee { name } latestPredikat } }"""
STATS = """query($p: ID!) { performanceStats(periodId: $p, groupBy: [PREDIKAT]) {
  predikat plans } }"""
FILTERED = """query($p: ID!) { plans(filter: {periodId: $p, predikat: "SANGAT_KURANG"}) {
  totalCount edges { node { id } } } }"""


async def test_a_draft_predikat_counts_nowhere_until_finalised(api, region_a):
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    await advance(region_a, PeriodStatus.EVALUATING)
    r = await api.as_role(
        region_a,
        SUPERVISOR,
        SAVE,
        {
            "input": {
                "planId": str(plan.id),
                "resultRating": "DI_BAWAH_EKSPEKTASI",
                "behaviour": [{"code": c, "rating": "DI_BAWAH_EKSPEKTASI"} for c in BERAKHLAK],
                "feedback": "Perlu pembinaan.",
            }
        },
    )
    evaluation = r.data["saveEvaluation"]["evaluation"]
    assert (evaluation["status"], evaluation["predikat"]) == ("DRAFT", "SANGAT_KURANG")
    period = {"p": str(region_a.period.id)}
    staff1 = region_a.employees["staff1"].name

    async def latest() -> str | None:
        r = await api.as_role(region_a, SUPERVISOR, TEAM, period)
        team = r.data["myTeam"]
        return next(m["latestPredikat"] for m in team if m["employee"]["name"] == staff1)

    async def counted() -> dict:
        r = await api.as_role(region_a, Role.REGION_ADMIN, STATS, period)
        return {row["predikat"]: row["plans"] for row in r.data["performanceStats"]}

    async def filtered() -> int:
        r = await api.as_role(region_a, Role.REGION_ADMIN, FILTERED, period)
        assert len(r.data["plans"]["edges"]) == r.data["plans"]["totalCount"]
        return r.data["plans"]["totalCount"]

    assert await latest() is None
    assert "SANGAT_KURANG" not in await counted()
    assert await filtered() == 0
    r = await api.as_role(
        region_a,
        SUPERVISOR,
        """mutation($id: ID!) { finaliseEvaluation(id: $id, acknowledgeDistribution: true) {
          errors { code } } }""",
        {"id": evaluation["id"]},
    )
    assert r.data["finaliseEvaluation"]["errors"] == []
    assert await latest() == "SANGAT_KURANG"
    assert (await counted())["SANGAT_KURANG"] == 1
    assert await filtered() == 1
