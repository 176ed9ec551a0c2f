"""Shared test factories: what a test needs in place before its own step, built through the
services as the application would build it (never by hand-written rows, unless a module says
why). One home for them, so a new test module composes instead of copying set-up.

    region = await build_region(password_hash)      # onboarded: reference data, a roster,
                                                    # the year's period, one login per role
    plan = await approved_plan(region)               # staff1's plan, approved by chief
    plan_id = await evaluable_plan(region, [(ResultKind.UTAMA, "100", "90")])
                                                    # + realisations, period EVALUATING
    evaluation = await finalised_evaluation(region, plan_id)
    cycle = await full_cycle(region)                 # one of everything

The region's people (tests/conftest.py's `region_a`/`region_b` fixtures are `build_region`):

    DINAS (head) ─ BIDANG-A (chief ← head) ─ staff1, staff2 (← chief)
                 └ BIDANG-B (other ← head)

Dates a region compares with its today take `region.today` (its own time zone), never the
machine's date (tests/conftest.py says why).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.service import user_actor
from kinerja_saas.auth.tokens import issue_pair
from kinerja_saas.org import service as org
from kinerja_saas.org.models import PositionType, UnitKind
from kinerja_saas.performance import dialog, distribution, evaluations, plans, realisations
from kinerja_saas.performance import service as periods
from kinerja_saas.performance.consequences import ConsequenceType, record_consequence
from kinerja_saas.performance.models import (
    Aspect,
    Checkpoint,
    Evaluation,
    PeriodStatus,
    ResultKind,
)
from kinerja_saas.performance.rules import Direction, OrganisationRating, Rating
from kinerja_saas.regions.onboarding import seed_reference_data
from kinerja_saas.settings import Settings
from kinerja_saas.surveys.public import region_today
from tenants.context import tenant_transaction
from tenants.models import RegionKind, Tenant

# --- a region: onboarded, its roster, its period, its logins ---------------------------------

_slugs = itertools.count(1)
_nips = itertools.count(1)


def make_nip(n: int | None = None, *, gender: str = "1") -> str:
    n = next(_nips) if n is None else n
    year = 1970 + n % 25
    return f"{year}{1 + n % 12:02d}{1 + n % 28:02d}{year + 25}{1 + n % 12:02d}{gender}{1 + n % 999:03d}"


@dataclass
class Region:
    tenant: Tenant
    units: dict[str, Any] = field(default_factory=dict)
    employees: dict[str, Any] = field(default_factory=dict)
    accounts: dict[Role, UserAccount] = field(default_factory=dict)
    period: Any = None

    @property
    def id(self) -> int:
        return self.tenant.id

    @property
    def today(self) -> date:
        """Today in the region's own time zone, as the platform counts its days."""
        return region_today(self.tenant)

    def actor(self, role: Role) -> Actor:
        return user_actor(self.accounts[role])

    def token(self, role: Role, settings: Settings, *, ttl: int = 600) -> str:
        return issue_pair(
            self.actor(role),
            token_version=1,
            secret=settings.jwt_secret or "",
            access_ttl=ttl,
            refresh_ttl=ttl,
        ).access_token


async def build_region(password_hash: str, *, name: str = "Kota Uji") -> Region:
    """A region with a small tree, a supervision chain and one login per role:

    DINAS (head) ─ BIDANG-A (chief ← head) ─ staff1, staff2 (← chief)
                 └ BIDANG-B (other ← head)
    """
    slug = f"uji-{os.getpid()}-{next(_slugs)}"
    tenant = await Tenant.create(slug=slug, name=name, kind=RegionKind.KOTA, province="Uji")
    region = Region(tenant)
    admin = Actor(
        user_id=0, tenant_id=tenant.id, roles=frozenset({Role.REGION_ADMIN}), email="fixture"
    )
    async with tenant_transaction(tenant.id):
        await seed_reference_data(tenant.id)  # what onboarding gives every region
        dinas = await org.create_unit(
            actor=admin, name="Dinas Uji", code="DINAS", kind=UnitKind.DINAS, parent_id=None
        )
        bidang_a = await org.create_unit(
            actor=admin, name="Bidang A", code="BID-A", kind=UnitKind.BIDANG, parent_id=dinas.id
        )
        bidang_b = await org.create_unit(
            actor=admin, name="Bidang B", code="BID-B", kind=UnitKind.BIDANG, parent_id=dinas.id
        )
        region.units = {"dinas": dinas, "a": bidang_a, "b": bidang_b}

        async def person(key: str, unit, supervisor=None, ptype=PositionType.PELAKSANA):
            emp = await org.create_employee(
                actor=admin,
                data=org.EmployeeData(
                    nip=make_nip(),
                    name=f"{key.title()} {slug}",
                    position=key,
                    position_type=ptype,
                    golongan="III/a",
                    unit_id=unit.id,
                    supervisor_id=supervisor.id if supervisor else None,
                    email=f"{key}@{slug}.test",
                ),
            )
            region.employees[key] = emp
            return emp

        head = await person("head", dinas, ptype=PositionType.STRUKTURAL)
        chief = await person("chief", bidang_a, head, PositionType.STRUKTURAL)
        await person("staff1", bidang_a, chief)
        await person("staff2", bidang_a, chief)
        await person("other", bidang_b, head)
        # The current year's period, as a region running the cycle has.
        region.period = await periods.open_period(
            actor=admin, year=date.today().year, checkpoint_kind=None, deadline_days=10
        )
        for role, emp_key in (
            (Role.REGION_ADMIN, "head"),
            (Role.SUPERVISOR, "chief"),
            (Role.EMPLOYEE, "staff1"),
            (Role.TRAINING_OFFICER, "other"),
        ):
            region.accounts[role] = await UserAccount.create(
                tenant_id=tenant.id,
                email=f"{role.value.lower()}@{slug}.test",
                name=f"{role.value} {slug}",
                password_hash=password_hash,
                roles=sorted({role.value, Role.EMPLOYEE.value}),
                employee_id=region.employees[emp_key].id,
            )
    return region


# --- plans -----------------------------------------------------------------------------------

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


# --- realisations and evaluations ------------------------------------------------------------


def one_indicator_result(kind: ResultKind, n: int, weight: str) -> plans.ResultData:
    """A work result with one indicator, target 100 (higher is better), of `weight` %."""
    return plans.ResultData(
        kind=kind,
        text=f"Hasil kerja {kind.value.lower()} {n}",
        indicators=[
            plans.IndicatorData(
                text=f"Indikator {n}",
                aspect=Aspect.KUANTITAS,
                target=Decimal(100),
                unit_label="dokumen",
                direction=Direction.HIGHER_IS_BETTER,
                weight=Decimal(weight),
            )
        ],
    )


async def realise(
    region: Any, indicator_values: list[tuple[int, str]], *, key: str = "staff1"
) -> list[int]:
    """`key` enters a realisation for each (indicator id, value) at the first checkpoint
    (the period must be ACTIVE). Returns the realisations' ids."""
    checkpoint = await first_checkpoint(region)
    ids = []
    async with tenant_transaction(region.id):
        for indicator_id, value in indicator_values:
            realisation = await realisations.record_realisation(
                actor=person(region, key),
                indicator_id=indicator_id,
                checkpoint_id=checkpoint.id,
                value=Decimal(value),
                note=None,
                evidence=[],
            )
            ids.append(realisation.id)
    return ids


async def evaluable_plan(region: Any, results: list[tuple[ResultKind, str, str]]) -> int:
    """staff1's approved plan with one indicator (target 100) per result, realised at the
    first checkpoint as given; the period then EVALUATING. `results`: (kind, weight, value)."""
    staff, chief = person(region, "staff1"), person(region, "chief", Role.SUPERVISOR)
    async with tenant_transaction(region.id):
        plan = await plans.save_plan(
            actor=staff,
            period_id=region.period.id,
            results=[one_indicator_result(k, n, w) for n, (k, w, _) in enumerate(results)],
        )
        await plans.submit_plan(actor=staff, plan_id=plan.id)
        await plans.approve_plan(actor=chief, plan_id=plan.id)
        content = (await plans.plan_content([plan.id]))[plan.id]
    await advance(region, PeriodStatus.ACTIVE)
    await realise(
        region,
        [(c["indicators"][0].id, value) for c, (_, _, value) in zip(content, results, strict=True)],
    )
    await advance(region, PeriodStatus.EVALUATING)
    return plan.id


async def finalised_evaluation(
    region: Any,
    plan_id: int,
    *,
    rating: Rating = Rating.SESUAI_EKSPEKTASI,
    override_reason: str | None = None,
    evaluator: str = "chief",
) -> Evaluation:
    """The plan's annual evaluation, every rating `rating`, saved and finalised by its
    evaluator (the period must be EVALUATING). A result rating other than the proposed one
    needs `override_reason`."""
    actor = person(region, evaluator, Role.SUPERVISOR)
    async with tenant_transaction(region.id):
        evaluation = await evaluations.save_evaluation(
            actor=actor,
            plan_id=plan_id,
            checkpoint_id=None,
            result_rating=rating,
            result_override_reason=override_reason,
            behaviour=all_values(rating),
            feedback="Catatan atasan.",
        )
        finalised, _problems = await evaluations.finalise_evaluation(
            actor=actor, evaluation_id=evaluation.id, acknowledge_distribution=True
        )
        return finalised


# --- the whole cycle ---------------------------------------------------------------------


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
