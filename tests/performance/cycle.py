"""Builders for tests of the performance cycle: plans, realisations and evaluations made
through the services, as the fixture region's people (see tests/conftest.build_region):

    head (REGION_ADMIN) ─ chief (SUPERVISOR) ─ staff1 (EMPLOYEE), staff2
                        └ other
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.performance import dialog, distribution, evaluations, plans, realisations
from kinerja_saas.performance import service as periods
from kinerja_saas.performance.consequences import ConsequenceType, record_consequence
from kinerja_saas.performance.models import Aspect, Checkpoint, PeriodStatus, ResultKind
from kinerja_saas.performance.rules import Direction, OrganisationRating, Rating
from tenants.context import tenant_transaction

BERAKHLAK = (
    "BERORIENTASI_PELAYANAN",
    "AKUNTABEL",
    "KOMPETEN",
    "HARMONIS",
    "LOYAL",
    "ADAPTIF",
    "KOLABORATIF",
)


def person(region: Any, key: str, *roles: Role) -> Actor:
    """An actor for any fixture employee (only four have logins)."""
    return Actor(
        user_id=0,
        tenant_id=region.id,
        roles=frozenset(roles or (Role.EMPLOYEE,)),
        email=f"{key}@test",
        employee_id=region.employees[key].id,
    )


def plan_results(weights: tuple[str, ...] = ("40", "30", "30")) -> list[plans.ResultData]:
    """Two work results, three indicators (one where lower is better)."""
    w = [Decimal(x) for x in weights]
    return [
        plans.ResultData(
            kind=ResultKind.UTAMA,
            text="Terlaksananya pelayanan perizinan tepat waktu",
            indicators=[
                plans.IndicatorData(
                    text="Jumlah izin diterbitkan",
                    aspect=Aspect.KUANTITAS,
                    target=Decimal(100),
                    unit_label="dokumen",
                    direction=Direction.HIGHER_IS_BETTER,
                    weight=w[0],
                ),
                plans.IndicatorData(
                    text="Rata-rata waktu penyelesaian",
                    aspect=Aspect.WAKTU,
                    target=Decimal(5),
                    unit_label="hari",
                    direction=Direction.LOWER_IS_BETTER,
                    weight=w[1],
                ),
            ],
        ),
        plans.ResultData(
            kind=ResultKind.TAMBAHAN,
            text="Tersusunnya laporan bulanan",
            indicators=[
                plans.IndicatorData(
                    text="Laporan tepat waktu",
                    aspect=Aspect.KUALITAS,
                    target=Decimal(12),
                    unit_label="laporan",
                    direction=Direction.HIGHER_IS_BETTER,
                    weight=w[2],
                )
            ],
        ),
    ]


async def approved_plan(region: Any, key: str = "staff1", evaluator: str = "chief"):
    """`key`'s plan, written, submitted and approved by `evaluator`."""
    async with tenant_transaction(region.id):
        plan = await plans.save_plan(
            actor=person(region, key), period_id=region.period.id, results=plan_results()
        )
        await plans.submit_plan(actor=person(region, key), plan_id=plan.id)
        return await plans.approve_plan(
            actor=person(region, evaluator, Role.SUPERVISOR), plan_id=plan.id
        )


async def advance(region: Any, status: PeriodStatus) -> None:
    admin = person(region, "head", Role.REGION_ADMIN)
    async with tenant_transaction(region.id):
        await periods.advance_period(actor=admin, period_id=region.period.id, status=status)


async def first_checkpoint(region: Any) -> Checkpoint:
    async with tenant_transaction(region.id):
        return (
            await Checkpoint.filter(tenant_id=region.id, period_id=region.period.id)
            .order_by("number")
            .first()
        )


def all_values(rating: Rating = Rating.SESUAI_EKSPEKTASI) -> list[evaluations.ValueRating]:
    return [evaluations.ValueRating(code, rating) for code in BERAKHLAK]


@dataclass
class Cycle:
    plan_id: int
    indicator_ids: list[int]
    checkpoint_id: int
    realisation_ids: list[int]
    evaluation_id: int
    appeal_id: int


async def full_cycle(region: Any) -> Cycle:
    """One of everything: a plan revised once, realisations (one rejected), dialog, a rated
    unit, a finalised annual evaluation, an appeal decided by the reviewer, a reward."""
    staff, chief = person(region, "staff1"), person(region, "chief", Role.SUPERVISOR)
    head = person(region, "head", Role.REGION_ADMIN, Role.SUPERVISOR)
    plan = await approved_plan(region)
    async with tenant_transaction(region.id):
        await plans.revise_plan(actor=staff, plan_id=plan.id, reason="Target diperbarui")
        content = (await plans.plan_content([plan.id]))[plan.id]
        results = plan_results()
        for r, c in zip(results, content, strict=True):
            r.id = c["result"].id
            for i, ind in zip(r.indicators, c["indicators"], strict=True):
                i.id = ind.id
        await plans.save_plan(actor=staff, period_id=region.period.id, results=results)
        await plans.submit_plan(actor=staff, plan_id=plan.id)
        await plans.approve_plan(actor=chief, plan_id=plan.id)
        await dialog.add_note(actor=chief, plan_id=plan.id, body="Bagaimana progresnya?")
    indicator_ids = [i.id for c in content for i in c["indicators"]]
    await advance(region, PeriodStatus.ACTIVE)
    checkpoint = await first_checkpoint(region)
    realisation_ids = []
    async with tenant_transaction(region.id):
        for ind_id, value in zip(indicator_ids, ("90", "5", "12"), strict=True):
            r = await realisations.record_realisation(
                actor=staff,
                indicator_id=ind_id,
                checkpoint_id=checkpoint.id,
                value=Decimal(value),
                note=None,
                evidence=[realisations.Evidence("https://drive.example.id/bukti.pdf", "Bukti")],
            )
            realisation_ids.append(r.id)
        await realisations.review_realisation(
            actor=chief, realisation_id=realisation_ids[0], verified=True
        )
        await realisations.review_realisation(
            actor=chief, realisation_id=realisation_ids[1], verified=False, reason="Bukti kurang"
        )
    await advance(region, PeriodStatus.EVALUATING)
    async with tenant_transaction(region.id):
        await distribution.set_unit_rating(
            actor=head,
            period_id=region.period.id,
            unit_id=region.units["dinas"].id,
            rating=OrganisationRating.BAIK,
        )
        evaluation = await evaluations.save_evaluation(
            actor=chief,
            plan_id=plan.id,
            checkpoint_id=None,
            result_rating=Rating.SESUAI_EKSPEKTASI,
            result_override_reason="Beban kerja tambahan",
            behaviour=all_values(),
            feedback="Pertahankan kinerja.",
        )
        await evaluations.finalise_evaluation(
            actor=chief, evaluation_id=evaluation.id, acknowledge_distribution=True
        )
        appeal = await evaluations.appeal_evaluation(
            actor=staff, evaluation_id=evaluation.id, reason="Bukti sudah lengkap"
        )
        await evaluations.finalise_evaluation(
            actor=head,
            evaluation_id=evaluation.id,
            acknowledge_distribution=True,
            decision_note="Penilaian dipertahankan",
        )
        await record_consequence(
            actor=chief,
            employee_id=region.employees["staff1"].id,
            type_=ConsequenceType.PIAGAM_PENGHARGAAN,
            reason="Kinerja baik",
            decided_on=date.today(),
            evaluation_id=evaluation.id,
        )
    return Cycle(
        plan_id=plan.id,
        indicator_ids=indicator_ids,
        checkpoint_id=checkpoint.id,
        realisation_ids=realisation_ids,
        evaluation_id=evaluation.id,
        appeal_id=appeal.id,
    )
