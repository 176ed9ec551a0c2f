"""An appeal reaches training (issue #18): when the reviewer's decision changes what the
evaluation calls for, the assignment made for the old result is withdrawn while it has not
started (a programme still called for stays), and the employee never gets more than the
maximum of 2 programmes. Through the API and the real worker."""

from __future__ import annotations

import pytest
from arq.connections import create_pool

from kinerja_saas.auth.roles import Role
from kinerja_saas.performance.models import PeriodStatus
from kinerja_saas.training.models import TrainingAssignment
from tenants.context import tenant_transaction
from tests.factories import BERAKHLAK, advance, approved_plan
from tests.training.helpers import build_catalogue
from tests.workers.test_jobs import drain, relay_all
from workers.queue import redis_settings

SAVE = """mutation($input: SaveEvaluationInput!) { saveEvaluation(input: $input) {
  evaluation { id predikat behaviourRating } errors { field code message } } }"""
FINALISE = """mutation($id: ID!, $note: String) { finaliseEvaluation(id: $id,
  acknowledgeDistribution: true, decisionNote: $note) {
  evaluation { status predikat } errors { field code message } } }"""
APPEAL = """mutation($id: ID!) { appealEvaluation(id: $id, reason: "Bukti kinerja saya lengkap") {
  appeal { id } errors { field code message } } }"""


@pytest.fixture
async def arq_redis(settings, redis):
    pool = await create_pool(redis_settings(settings))
    yield pool
    await pool.aclose()


async def _run_jobs(arq_redis, settings) -> None:
    for _ in range(2):  # the finalised evaluation, then what its handler emitted
        await relay_all(arq_redis, settings)
        await drain(settings)


async def _assignments(region, employee_id: int) -> dict[int, TrainingAssignment]:
    async with tenant_transaction(region.id):
        rows = await TrainingAssignment.filter(tenant_id=region.id, employee_id=employee_id)
    return {r.programme_id: r for r in rows}


async def test_an_appeal_that_raises_the_predikat_withdraws_what_it_no_longer_calls_for(
    api, settings, arq_redis, region_a
):
    cat = await build_catalogue(region_a, capacity=5)
    staff1 = region_a.employees["staff1"].id
    plan = await approved_plan(region_a)  # no realisations: every indicator at 0 %
    await advance(region_a, PeriodStatus.ACTIVE)
    await advance(region_a, PeriodStatus.EVALUATING)
    # the evaluator: SANGAT_KURANG, every value below expectation
    r = await api.as_role(
        region_a,
        Role.SUPERVISOR,
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
    assert evaluation["predikat"] == "SANGAT_KURANG"
    r = await api.as_role(region_a, Role.SUPERVISOR, FINALISE, {"id": evaluation["id"]})
    assert r.data["finaliseEvaluation"]["errors"] == []
    await _run_jobs(arq_redis, settings)
    before = await _assignments(region_a, staff1)
    # the two rules of priority 10: PREDIKAT SANGAT_KURANG / WEAK_RESULT WAKTU -> Manajemen
    # Waktu, WEAK_BEHAVIOUR BERORIENTASI_PELAYANAN -> Pelayanan Prima
    assert set(before) == {cat.waktu, cat.pelayanan}

    # the appeal: the reviewer (the evaluator's supervisor) rates the values as expected
    # but Akuntabel: BUTUH_PERBAIKAN
    r = await api.as_role(region_a, Role.EMPLOYEE, APPEAL, {"id": evaluation["id"]})
    assert r.data["appealEvaluation"]["errors"] == []
    reviewer = Role.REGION_ADMIN  # head: chief's supervisor
    values = [
        {"code": c, "rating": "DI_BAWAH_EKSPEKTASI" if c == "AKUNTABEL" else "SESUAI_EKSPEKTASI"}
        for c in BERAKHLAK
    ]
    r = await api.as_role(
        region_a, reviewer, SAVE, {"input": {"planId": str(plan.id), "behaviour": values}}
    )
    assert r.data["saveEvaluation"]["evaluation"]["predikat"] == "BUTUH_PERBAIKAN"
    r = await api.as_role(
        region_a, reviewer, FINALISE, {"id": evaluation["id"], "note": "Keberatan diterima"}
    )
    assert r.data["finaliseEvaluation"]["evaluation"] == {
        "status": "FINALISED",
        "predikat": "BUTUH_PERBAIKAN",
    }
    await _run_jobs(arq_redis, settings)
    after = await _assignments(region_a, staff1)
    live = {p for p, a in after.items() if a.status.value != "CANCELLED"}
    # Pelayanan Prima is no longer called for: withdrawn, with the reason; Manajemen Waktu is
    # (BUTUH_PERBAIKAN, WEAK_RESULT WAKTU) and keeps its seat; Akuntabel below now calls for
    # Pemecahan Masalah: two programmes, never three
    assert after[cat.pelayanan].status.value == "CANCELLED"
    assert after[cat.pelayanan].note.startswith("Ditarik otomatis: hasil penilaian kinerja")
    assert after[cat.waktu].id == before[cat.waktu].id
    assert after[cat.waktu].batch_id == before[cat.waktu].batch_id
    assert live == {cat.waktu, cat.masalah}
