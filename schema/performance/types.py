"""The performance cycle: periods and checkpoints, SKP plans, realisations and the dialog,
evaluations, appeals, the distribution check, rewards and sanctions, the supervisor's team view
and the dashboards' statistics.

The types; queries.py and mutations.py hold the root fields."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias

import strawberry
from strawberry.scalars import JSON

from kinerja_saas.org import queries as org_queries
from kinerja_saas.org.acting import title as acting_title
from kinerja_saas.performance import (
    consequences,
    distribution,
    monitoring,
)
from kinerja_saas.performance import queries as performance_queries
from kinerja_saas.performance.models import AppealDecider as _AppealDecider
from kinerja_saas.performance.models import AppealStatus as _AppealStatus
from kinerja_saas.performance.models import Aspect as _Aspect
from kinerja_saas.performance.models import CheckpointKind as _CheckpointKind
from kinerja_saas.performance.models import Consequence as _Consequence
from kinerja_saas.performance.models import EvaluationStatus as _EvaluationStatus
from kinerja_saas.performance.models import IndicatorSource as _IndicatorSource
from kinerja_saas.performance.models import PeriodStatus as _PeriodStatus
from kinerja_saas.performance.models import PlanStatus as _PlanStatus
from kinerja_saas.performance.models import RealisationStatus as _RealisationStatus
from kinerja_saas.performance.models import ResultKind as _ResultKind
from kinerja_saas.performance.monitoring import PlanFilter as _PlanFilter
from kinerja_saas.performance.monitoring import count_plans
from kinerja_saas.performance.rules import AchievementStatus as _AchievementStatus
from kinerja_saas.performance.rules import Direction as _Direction
from kinerja_saas.performance.rules import OrganisationRating as _OrganisationRating
from kinerja_saas.performance.rules import Predikat as _Predikat
from kinerja_saas.performance.rules import Rating as _Rating
from kinerja_saas.performance.rules import TargetKind as _TargetKind
from kinerja_saas.performance.rules import achievement_status
from schema import compiled
from schema.errors import optional_id
from schema.org.types import Employee, Unit
from schema.pagination import PageInfo

PeriodStatus: TypeAlias = _PeriodStatus
strawberry.enum(
    PeriodStatus, description="PLANNING → ACTIVE → EVALUATING → CLOSED, one step at a time."
)

if TYPE_CHECKING:
    from kinerja_saas.performance import models as m
    from kinerja_saas.performance.models import Period as PeriodModel


CheckpointKind: TypeAlias = _CheckpointKind
strawberry.enum(CheckpointKind)

AppealDecider: TypeAlias = _AppealDecider
strawberry.enum(
    AppealDecider,
    description="Who decides an appeal (PermenPANRB 6/2022): SUPERVISOR, the evaluator's own "
    "supervisor (atasan pejabat penilai kinerja); where the evaluator has none (the head of "
    "the tree), TIM_PENILAI, the region's Tim Penilai Kinerja appointed by a region admin, or "
    "REGION_ADMIN where the region's appealDeciderAtTop says so.",
)


@strawberry.type
class Checkpoint:
    id: strawberry.ID
    number: int
    label: str = strawberry.field(description="e.g. 'Triwulan I 2027'")
    starts_on: date
    ends_on: date
    deadline: date = strawberry.field(description="Last day to enter realisations on time")

    @classmethod
    def of(cls, c: Any) -> Checkpoint:
        return cls(
            id=strawberry.ID(str(c.id)),
            number=c.number,
            label=c.label,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            deadline=c.deadline,
        )


@strawberry.type(description="A region's annual performance period.")
class Period:
    id: strawberry.ID
    year: int
    name: str
    status: PeriodStatus
    checkpoint_kind: CheckpointKind
    starts_on: date
    ends_on: date

    @classmethod
    def of(cls, p: PeriodModel) -> Period:
        return cls(
            id=strawberry.ID(str(p.id)),
            year=p.year,
            name=p.name,
            status=p.status,
            checkpoint_kind=p.checkpoint_kind,
            starts_on=p.starts_on,
            ends_on=p.ends_on,
        )

    @strawberry.field
    async def checkpoints(self, info: strawberry.Info) -> list[Checkpoint]:
        rows = await info.context.loaders.checkpoints.load(int(self.id))
        return [Checkpoint.of(c) for c in rows]


PlanStatus: TypeAlias = _PlanStatus
strawberry.enum(PlanStatus, description="DRAFT → SUBMITTED → APPROVED or RETURNED")


ResultKind: TypeAlias = _ResultKind
strawberry.enum(ResultKind, description="RHK utama or tambahan")


Aspect: TypeAlias = _Aspect
strawberry.enum(Aspect, description="Aspect an indicator (IKI) measures")


Direction: TypeAlias = _Direction
strawberry.enum(Direction, description="Whether a higher or lower value is better")


RealisationStatus: TypeAlias = _RealisationStatus
strawberry.enum(RealisationStatus)


IndicatorSource: TypeAlias = _IndicatorSource
strawberry.enum(
    IndicatorSource,
    description="MANUAL: the employee enters realisations; SKM_IKM: the converted IKM of a "
    "unit or survey service fills them in after each survey aggregation",
)


TargetKind: TypeAlias = _TargetKind
strawberry.enum(
    TargetKind,
    description="How an indicator's periodic targets (one per checkpoint) and its "
    "realisations are read. CUMULATIVE: reached so far, the realisation entered at a "
    "checkpoint is the level as of it; the targets move toward the annual target "
    "(non-decreasing where higher is better, non-increasing where lower is better) and the "
    "last equals it; the year's value is the latest realisation. PER_PERIOD: each period's "
    "own amount, the realisation entered at a checkpoint is that period's alone; the targets "
    "add up to the annual target and the year's value is the sum of the realisations. "
    "PermenPANRB 6/2022 sets the SKP's targets for the year and has performance monitored "
    "periodically; how a target splits over the checkpoints is the plan's choice, stated here.",
)


AchievementStatus: TypeAlias = _AchievementStatus
strawberry.enum(
    AchievementStatus,
    description="MEASURED: computed from the entries; NO_DATA: no realisation counted (at "
    "the checkpoint), so there is no achievement (null), never 0 %; NOT_APPROVED: the plan "
    "is not approved, nothing is measured yet.",
)


async def _person(info: strawberry.Info, employee_id: int | None) -> Employee | None:
    """Someone reached through a plan: name and position, no contacts."""
    if employee_id is None:
        return None
    row = await info.context.loaders.employee.load(employee_id)
    return Employee.of(row, with_contact=False) if row else None


@strawberry.enum(
    description="In what capacity someone signed: as the official themselves, or "
    "as an acting head (SE Kepala BKN 1/SE/I/2021)"
)
class SignatureCapacity(Enum):
    OFFICIAL = "OFFICIAL"
    PLT = "PLT"
    PLH = "PLH"


@strawberry.type(
    description="Who approved, reviewed or evaluated, and in what capacity: an acting head "
    '(Plt./Plh.) signs as "Plt. Kepala <unit>" (title), the official as themselves.'
)
class Signature:
    employee_id: strawberry.ID | None
    capacity: SignatureCapacity
    acting_unit_id: strawberry.ID | None

    @classmethod
    def of(
        cls, employee_id: int | None, capacity: str | None, acting_unit_id: int | None
    ) -> Signature | None:
        if employee_id is None:
            return None
        return cls(
            employee_id=strawberry.ID(str(employee_id)),
            capacity=SignatureCapacity(capacity or "OFFICIAL"),
            acting_unit_id=optional_id(acting_unit_id),
        )

    @strawberry.field
    async def employee(self, info: strawberry.Info) -> Employee | None:
        return await _person(info, int(self.employee_id) if self.employee_id else None)

    @strawberry.field(
        description='For an acting head, what documents print before the name: "Plt. Kepala '
        'Bidang A"; null for the official'
    )
    async def title(self, info: strawberry.Info) -> str | None:
        if self.acting_unit_id is None or self.capacity is SignatureCapacity.OFFICIAL:
            return None
        unit = await info.context.loaders.unit.load(int(self.acting_unit_id))
        return acting_title(self.capacity.value, unit.name if unit else "")


@strawberry.type(description="A piece of evidence (bukti dukung): a link to a document.")
class Evidence:
    url: str
    label: str | None


@strawberry.type(
    description="What an indicator reached as of a checkpoint (the level so far); for an "
    "indicator with PER_PERIOD targets, that period's own amount."
)
class Realisation:
    id: strawberry.ID
    indicator_id: strawberry.ID
    checkpoint_id: strawberry.ID
    value: Decimal
    note: str | None
    evidence: list[Evidence]
    status: RealisationStatus
    reject_reason: str | None
    is_late: bool = strawberry.field(description="Entered after the checkpoint's deadline")
    entered_at: datetime
    reviewed_at: datetime | None
    source: IndicatorSource = strawberry.field(
        description="SKM_IKM: written by the survey aggregation (VERIFIED, never late, not "
        "reviewed, not editable by hand)"
    )
    survey_campaign_id: strawberry.ID | None = strawberry.field(
        description="The survey campaign an SKM_IKM value comes from"
    )
    review_signature: Signature | None = strawberry.field(
        description="Who verified or rejected it, and in what capacity (Plt./Plh.)"
    )

    @classmethod
    def of(cls, r: m.Realisation) -> Realisation:
        return cls(
            id=strawberry.ID(str(r.id)),
            indicator_id=strawberry.ID(str(r.indicator_id)),
            checkpoint_id=strawberry.ID(str(r.checkpoint_id)),
            value=r.value,
            note=r.note,
            evidence=[Evidence(url=e["url"], label=e.get("label")) for e in r.evidence],
            status=r.status,
            reject_reason=r.reject_reason,
            is_late=r.is_late,
            entered_at=r.entered_at,
            reviewed_at=r.reviewed_at,
            source=r.source,
            survey_campaign_id=optional_id(r.survey_campaign_id),
            review_signature=Signature.of(
                r.reviewed_by, r.reviewed_capacity, r.reviewed_acting_unit_id
            ),
        )


@strawberry.type(description="An individual performance indicator (IKI).")
class Indicator:
    id: strawberry.ID
    text: str
    aspect: Aspect
    target: Decimal
    unit: str = strawberry.field(description="Unit of the target, e.g. 'dokumen', '%', 'hari'")
    direction: Direction
    weight: Decimal = strawberry.field(description="% of the plan; a plan's weights add to 100")
    source: IndicatorSource
    source_unit_id: strawberry.ID | None = strawberry.field(
        description="SKM_IKM: the unit whose converted IKM (its own services) is the value"
    )
    source_service_id: strawberry.ID | None = strawberry.field(
        description="SKM_IKM: the survey service whose converted IKM is the value"
    )
    target_kind: TargetKind | None = strawberry.field(
        default=None,
        description="How checkpointTargets and the realisations are read; null: no periodic "
        "targets, the annual target holds at every checkpoint",
    )
    checkpoint_targets: list[Decimal] | None = strawberry.field(
        default=None,
        description="One target per checkpoint of the period, in checkpoint order: a "
        "checkpoint's evaluation and progress compare with its own target, not the annual one",
    )
    plan_id: strawberry.Private[int] = 0

    @strawberry.field(description="One per checkpoint entered, in checkpoint order.")
    async def realisations(self, info: strawberry.Info) -> list[Realisation]:
        rows = await info.context.loaders.realisations.load(int(self.id))
        return [Realisation.of(r) for r in rows]

    @strawberry.field(
        description="Since a finalised evaluation (of a checkpoint or of the year): where the "
        "value this indicator counts there now differs from the value frozen at "
        "finalisation (a later realisation, a late survey response). Shown beside the plan, "
        "never altering the evaluation (issue #18); empty when nothing changed."
    )
    async def since_changed(self, info: strawberry.Info) -> list[SinceChanged]:
        found = []
        for e in await info.context.loaders.evaluations.load(self.plan_id):
            if e.evidence is None or (kept := e.evidence.get(str(self.id))) is None:
                continue
            now = await info.context.loaders.current_values.load((self.plan_id, e.checkpoint_id))
            current = _decimal(now.get(str(self.id)))
            frozen = _decimal(kept["value"])
            if current != frozen:
                found.append(
                    SinceChanged(
                        evaluation_id=strawberry.ID(str(e.id)),
                        checkpoint_id=optional_id(e.checkpoint_id),
                        value_at_finalisation=frozen,
                        current_value=current,
                    )
                )
        return found


@strawberry.type(
    description="An indicator's value that changed after an evaluation was finalised: the "
    "value the evaluation froze and the value counted now."
)
class SinceChanged:
    evaluation_id: strawberry.ID
    checkpoint_id: strawberry.ID | None = strawberry.field(
        description="The evaluation's checkpoint; null: the year's evaluation"
    )
    value_at_finalisation: Decimal | None = strawberry.field(
        description="The realisation counted at finalisation (null: none)"
    )
    current_value: Decimal | None = strawberry.field(
        description="The realisation counted now (null: none)"
    )


@strawberry.type(description="A plan's achievement at one checkpoint, against its own targets.")
class CheckpointProgress:
    checkpoint_id: strawberry.ID
    achievement: Decimal | None = strawberry.field(
        description="Achievement (%) at the checkpoint; null: no data"
    )
    status: AchievementStatus

    @strawberry.field
    async def checkpoint(self, info: strawberry.Info) -> Checkpoint | None:
        c = await info.context.loaders.checkpoint.load(int(self.checkpoint_id))
        return Checkpoint.of(c) if c else None


@strawberry.type(description="A work result (RHK) with its indicators.")
class WorkResult:
    id: strawberry.ID
    kind: ResultKind
    text: str
    supports_result_id: strawberry.ID | None = strawberry.field(
        description="The evaluator's RHK this one supports (cascading)"
    )
    indicators: list[Indicator]


@strawberry.type(description="The approved content of a plan before a revision reopened it.")
class PlanRevision:
    revision: int
    reason: str
    created_at: datetime
    content: JSON


@strawberry.type(description="A note of the continuous performance dialog (dialog kinerja).")
class DialogNote:
    id: strawberry.ID
    indicator_id: strawberry.ID | None
    reply_to_id: strawberry.ID | None
    author_id: strawberry.ID
    body: str
    created_at: datetime

    @classmethod
    def of(cls, n: m.DialogNote) -> DialogNote:
        return cls(
            id=strawberry.ID(str(n.id)),
            indicator_id=optional_id(n.indicator_id),
            reply_to_id=optional_id(n.reply_to_id),
            author_id=strawberry.ID(str(n.author_employee_id)),
            body=n.body,
            created_at=n.created_at,
        )

    @strawberry.field
    async def author(self, info: strawberry.Info) -> Employee | None:
        return await _person(info, int(self.author_id))


@strawberry.type(description="An employee's performance plan (SKP) for a period.")
class Plan:
    id: strawberry.ID
    period_id: strawberry.ID
    employee_id: strawberry.ID
    unit_id: strawberry.ID
    evaluator_id: strawberry.ID | None = strawberry.field(
        description="Atasan langsung recorded on the plan. An approved plan keeps it when the "
        "organisation changes (updateEmployee, a unit moved); only transferEmployee reassigns "
        "it, from a date: checkpoints that ended before then keep the evaluator of that time "
        "(Evaluation.evaluatorId), later ones and the year go to the new supervisor "
        "(PermenPANRB 6/2022: the pejabat penilai kinerja is the atasan langsung of the "
        "time). Statistics follow this evaluator, not today's supervision chain."
    )
    evaluator_supervisor_id: strawberry.ID | None
    status: PlanStatus
    return_reason: str | None
    revision: int
    submitted_at: datetime | None
    approved_at: datetime | None
    updated_at: datetime
    approval_signature: Signature | None = strawberry.field(
        description="Who approved it and in what capacity (an acting head signs as Plt./Plh.)"
    )

    @classmethod
    def of(cls, p: m.Plan | dict[str, Any]) -> Plan:
        def get(name: str) -> Any:
            return p.get(name) if isinstance(p, dict) else getattr(p, name)

        return cls(
            id=strawberry.ID(str(get("id"))),
            period_id=strawberry.ID(str(get("period_id"))),
            employee_id=strawberry.ID(str(get("employee_id"))),
            unit_id=strawberry.ID(str(get("unit_id"))),
            evaluator_id=optional_id(get("evaluator_id")),
            evaluator_supervisor_id=optional_id(get("evaluator_supervisor_id")),
            status=_PlanStatus(get("status")),
            return_reason=get("return_reason"),
            revision=get("revision"),
            submitted_at=get("submitted_at"),
            approved_at=get("approved_at"),
            updated_at=get("updated_at"),
            approval_signature=Signature.of(
                get("approved_by"), get("approved_capacity"), get("approved_acting_unit_id")
            ),
        )

    @strawberry.field
    async def employee(self, info: strawberry.Info) -> Employee | None:
        return await _person(info, int(self.employee_id))

    @strawberry.field
    async def evaluator(self, info: strawberry.Info) -> Employee | None:
        return await _person(info, int(self.evaluator_id) if self.evaluator_id else None)

    @strawberry.field
    async def unit(self, info: strawberry.Info) -> Unit | None:
        unit = await info.context.loaders.unit.load(int(self.unit_id))
        return Unit.of(unit) if unit else None

    @strawberry.field(description="Work results (RHK) in order, with their indicators.")
    async def results(self, info: strawberry.Info) -> list[WorkResult]:
        content = await info.context.loaders.plan_content.load(int(self.id))
        return [
            WorkResult(
                id=strawberry.ID(str(c["result"].id)),
                kind=c["result"].kind,
                text=c["result"].text,
                supports_result_id=optional_id(c["result"].supports_result_id),
                indicators=[
                    Indicator(
                        id=strawberry.ID(str(i.id)),
                        text=i.text,
                        aspect=i.aspect,
                        target=i.target,
                        unit=i.unit_label,
                        direction=_Direction(i.direction),
                        weight=i.weight,
                        source=i.source,
                        source_unit_id=optional_id(i.source_unit_id),
                        source_service_id=optional_id(i.source_service_id),
                        target_kind=_TargetKind(i.target_kind) if i.target_kind else None,
                        checkpoint_targets=(
                            None
                            if i.checkpoint_targets is None
                            else [Decimal(t) for t in i.checkpoint_targets]
                        ),
                        plan_id=int(self.id),
                    )
                    for i in c["indicators"]
                ],
            )
            for c in content
        ]

    @strawberry.field(description="Sum of the indicators' weights; 100 before submitting.")
    async def weight_total(self, info: strawberry.Info) -> Decimal:
        return await info.context.loaders.weight_total.load(int(self.id))

    @strawberry.field(
        description="Achievement to date (%): each indicator's latest realisation (the sum of "
        "its periods' for PER_PERIOD targets) against its annual target, weighted; a missing "
        "one counts 0 % beside others. Null until the plan is approved, and null when it has "
        "no entry at all (achievementStatus says which)."
    )
    async def achievement(self, info: strawberry.Info) -> Decimal | None:
        if self.status is not _PlanStatus.APPROVED:
            return None
        return await info.context.loaders.achievement_to_date.load(int(self.id))

    @strawberry.field(description="Why achievement is what it is (NO_DATA: null, never 0 %).")
    async def achievement_status(self, info: strawberry.Info) -> AchievementStatus:
        approved = self.status is _PlanStatus.APPROVED
        value = await self.achievement(info) if approved else None
        return achievement_status(value, approved=approved)

    @strawberry.field(
        description="The plan's progress per checkpoint of its period, in order: each "
        "checkpoint's realisations against its own targets (periodic targets, else the "
        "annual); a checkpoint without any entry is NO_DATA (null), never 0 %. Empty until "
        "the plan is approved."
    )
    async def progress(self, info: strawberry.Info) -> list[CheckpointProgress]:
        if self.status is not _PlanStatus.APPROVED:
            return []
        rows = await info.context.loaders.checkpoint_achievements.load(int(self.id))
        return [
            CheckpointProgress(
                checkpoint_id=strawberry.ID(str(r["checkpoint_id"])),
                achievement=r["achievement"],
                status=achievement_status(r["achievement"]),
            )
            for r in rows
        ]

    @strawberry.field
    async def revisions(self, info: strawberry.Info) -> list[PlanRevision]:
        rows = await info.context.loaders.revisions.load(int(self.id))
        return [
            PlanRevision(
                revision=r.revision, reason=r.reason, created_at=r.created_at, content=r.content
            )
            for r in rows
        ]

    @strawberry.field(description="The dialog kinerja on this plan, oldest first.")
    async def dialog(self, info: strawberry.Info) -> list[DialogNote]:
        return [DialogNote.of(n) for n in await info.context.loaders.dialog.load(int(self.id))]

    @strawberry.field(description="Evaluations: per checkpoint, and the year's (no checkpoint).")
    async def evaluations(self, info: strawberry.Info) -> list[Evaluation]:
        rows = await info.context.loaders.evaluations.load(int(self.id))
        return [Evaluation.of(e) for e in rows]


@strawberry.type
class PlanEdge:
    cursor: str
    node: Plan


@strawberry.type
class PlanConnection:
    edges: list[PlanEdge]
    page_info: PageInfo
    filter: strawberry.Private[_PlanFilter]

    @strawberry.field(description="Number of plans matching the filter (one extra query).")
    async def total_count(self, info: strawberry.Info) -> int:
        return await count_plans(actor=info.context.require_actor(), flt=self.filter)


Rating: TypeAlias = _Rating
strawberry.enum(Rating, description="Result or behaviour rating")


Predikat: TypeAlias = _Predikat
strawberry.enum(Predikat, description="Predikat kinerja (PermenPANRB 6/2022)")


OrganisationRating: TypeAlias = _OrganisationRating
strawberry.enum(OrganisationRating, description="Predikat kinerja organisasi of a unit")


EvaluationStatus: TypeAlias = _EvaluationStatus
strawberry.enum(EvaluationStatus)


AppealStatus: TypeAlias = _AppealStatus
strawberry.enum(AppealStatus)


ConsequenceKind: TypeAlias = _Consequence
strawberry.enum(ConsequenceKind)


ConsequenceType: TypeAlias = consequences.ConsequenceType
strawberry.enum(ConsequenceType)


StatsDimension: TypeAlias = monitoring.StatsDimension
strawberry.enum(StatsDimension)


def rating_of(value: str | None) -> _Rating | None:
    return _Rating(value) if value else None


@strawberry.type(description="The evaluator's rating of one BerAKHLAK value.")
class ValueRating:
    code: str
    rating: Rating
    note: str | None


@strawberry.type(
    description="What a finalised evaluation was based on for one indicator, frozen at its "
    "first finalisation: later realisations (a late survey response moving an IKM) never "
    "alter the evaluation, and show here as sinceChanged."
)
class EvaluationEvidence:
    indicator_id: strawberry.ID
    realisation: Decimal | None = strawberry.field(
        description="The realisation counted at finalisation (null: none, 0 %)"
    )
    source: str | None = strawberry.field(description="MANUAL or SKM_IKM")
    achievement: Decimal = strawberry.field(description="Capaian (%) at finalisation")
    current_realisation: Decimal | None = strawberry.field(
        description="The realisation the indicator counts now"
    )

    @strawberry.field(description="The realisation changed after the evaluation was finalised")
    def since_changed(self) -> bool:
        return self.current_realisation != self.realisation


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@strawberry.type(description="A keberatan against a finalised evaluation.")
class Appeal:
    id: strawberry.ID
    reason: str
    status: AppealStatus
    reviewer_id: strawberry.ID | None = strawberry.field(
        description="The evaluator's supervisor, when they decide (decider SUPERVISOR)"
    )
    decider: AppealDecider
    decided_by_id: strawberry.ID | None = strawberry.field(
        description="The employee who decided it"
    )
    decision_note: str | None
    created_at: datetime
    decided_at: datetime | None
    original_predikat: Predikat | None = strawberry.field(description="Before the appeal")
    original_result_rating: Rating | None
    original_behaviour_rating: Rating | None

    @classmethod
    def of(cls, a: m.Appeal) -> Appeal:
        original = a.original or {}
        return cls(
            id=strawberry.ID(str(a.id)),
            reason=a.reason,
            status=a.status,
            reviewer_id=optional_id(a.reviewer_id),
            decider=_AppealDecider(a.decider),
            decided_by_id=optional_id(a.decided_by),
            decision_note=a.decision_note,
            created_at=a.created_at,
            decided_at=a.decided_at,
            original_predikat=_Predikat(original["predikat"]) if original.get("predikat") else None,
            original_result_rating=rating_of(original.get("result_rating")),
            original_behaviour_rating=rating_of(original.get("behaviour_rating")),
        )


@strawberry.type(description="An evaluation for a checkpoint, or for the year (no checkpoint).")
class Evaluation:
    id: strawberry.ID
    plan_id: strawberry.ID
    checkpoint_id: strawberry.ID | None
    status: EvaluationStatus
    achievement: Decimal | None = strawberry.field(
        description="Plan achievement (%) when saved: a checkpoint's evaluation compares each "
        "indicator's realisation there with the checkpoint's own target (periodic targets), "
        "else the annual one; the year's with the annual target. Null when nothing was "
        "entered (achievementStatus NO_DATA): no data is never 0 %, and there is no proposed "
        "result rating then (the evaluator's rating needs no override reason)."
    )
    proposed_result_rating: Rating | None = strawberry.field(
        description="PermenPANRB 6/2022 (no formula, no weights between results): each work "
        "result is judged through its indicators' achievement against the region's thresholds "
        "(default >= 110 % above, >= 80 % meets); DI_ATAS_EKSPEKTASI when most results are above "
        "expectation and no UTAMA result is below it, SESUAI_EKSPEKTASI when fewer than half "
        "of the UTAMA results are below it, else DI_BAWAH_EKSPEKTASI. TAMBAHAN results can "
        "raise the rating, never make up for an UTAMA result below expectation. A region with "
        "resultRatingMethod WEIGHTED_MEAN gets the weighted mean achievement instead. Null "
        "when nothing was entered (no data): there is nothing to propose."
    )
    result_rating: Rating | None = strawberry.field(
        description="The evaluator's; against the proposal only with resultOverrideReason"
    )
    result_override_reason: str | None
    behaviour: list[ValueRating]
    proposed_behaviour_rating: Rating | None = strawberry.field(
        description="From the 7 BerAKHLAK ratings (mean of 3/2/1: >= 2,5 above, < 1,5 below)"
    )
    behaviour_rating: Rating | None = strawberry.field(
        description="In force: the evaluator's choice, else the proposal"
    )
    behaviour_override_reason: str | None = strawberry.field(
        description="Why the evaluator rates behaviour against the proposal"
    )
    predikat: Predikat | None
    feedback: str | None
    self_assessment: str | None
    self_result_rating: Rating | None
    self_behaviour_rating: Rating | None
    finalised_at: datetime | None
    appeal_deadline: date | None
    evaluator_id: strawberry.ID | None = strawberry.field(
        description="Set for a checkpoint that ended before a transfer: the evaluator of that "
        "time, who evaluates it; null: the plan's evaluator"
    )
    signature: Signature | None = strawberry.field(
        description="Who finalised it and in what capacity (an acting head signs as "
        "Plt./Plh.); earlier evaluators' checkpoint results stay visible with theirs"
    )
    frozen: strawberry.Private[dict[str, Any] | None] = None

    @classmethod
    def of(cls, e: m.Evaluation) -> Evaluation:
        return cls(
            id=strawberry.ID(str(e.id)),
            plan_id=strawberry.ID(str(e.plan_id)),
            checkpoint_id=optional_id(e.checkpoint_id),
            status=e.status,
            achievement=e.achievement,
            proposed_result_rating=rating_of(e.proposed_result_rating),
            result_rating=rating_of(e.result_rating),
            result_override_reason=e.result_override_reason,
            behaviour=[
                ValueRating(code=code, rating=_Rating(v["rating"]), note=v.get("note") or None)
                for code, v in e.behaviour_ratings.items()
            ],
            proposed_behaviour_rating=rating_of(e.proposed_behaviour_rating),
            behaviour_rating=rating_of(e.behaviour_rating),
            behaviour_override_reason=e.behaviour_override_reason,
            predikat=_Predikat(e.predikat) if e.predikat else None,
            feedback=e.feedback,
            self_assessment=e.self_assessment,
            self_result_rating=rating_of(e.self_result_rating),
            self_behaviour_rating=rating_of(e.self_behaviour_rating),
            finalised_at=e.finalised_at,
            appeal_deadline=e.appeal_deadline,
            evaluator_id=optional_id(e.evaluator_id),
            signature=Signature.of(e.signed_by, e.signed_capacity, e.signed_acting_unit_id),
            frozen=e.evidence,
        )

    @strawberry.field(description="MEASURED, or NO_DATA when nothing was entered (null).")
    def achievement_status(self) -> AchievementStatus:
        return achievement_status(self.achievement)

    @strawberry.field(
        description="Null until finalised; then per indicator the evidence frozen with it"
    )
    async def evidence(self, info: strawberry.Info) -> list[EvaluationEvidence] | None:
        if self.frozen is None:
            return None
        key = (int(self.plan_id), int(self.checkpoint_id) if self.checkpoint_id else None)
        now = await info.context.loaders.current_values.load(key)
        return [
            EvaluationEvidence(
                indicator_id=strawberry.ID(indicator_id),
                realisation=_decimal(kept["value"]),
                source=kept.get("source"),
                achievement=Decimal(kept["achievement"]),
                current_realisation=_decimal(now.get(indicator_id)),
            )
            for indicator_id, kept in sorted(self.frozen.items(), key=lambda kv: int(kv[0]))
        ]

    @strawberry.field
    async def appeal(self, info: strawberry.Info) -> Appeal | None:
        a = await info.context.loaders.appeal.load(int(self.id))
        return Appeal.of(a) if a else None

    @strawberry.field
    async def checkpoint(self, info: strawberry.Info) -> Checkpoint | None:
        if self.checkpoint_id is None:
            return None
        c = await info.context.loaders.checkpoint.load(int(self.checkpoint_id))
        return Checkpoint.of(c) if c else None

    @strawberry.field
    async def plan(self, info: strawberry.Info) -> Plan | None:
        p = await info.context.loaders.plan.load(int(self.plan_id))
        return Plan.of(p) if p else None


@strawberry.type(description="A direct report, live: plan, achievement and what is missing.")
class TeamMember:
    employee: Employee
    plan_id: strawberry.ID | None
    plan_status: str | None = strawberry.field(description="PlanStatus; null: no plan yet")
    achievement_to_date: Decimal | None = strawberry.field(
        description="Approved plans: latest realisations against targets, weighted (%); "
        "null: not approved, or no entry yet (no data, never 0 %)"
    )
    indicators: int
    missing_realisations: int = strawberry.field(
        description="Indicator × checkpoint pairs of ended checkpoints with no realisation"
    )
    pending_verifications: int = strawberry.field(description="Realisations waiting for you")
    latest_predikat: Predikat | None = strawberry.field(
        description="The year's predikat, else the latest checkpoint's"
    )
    latest_evaluation_status: EvaluationStatus | None

    @strawberry.field
    async def plan(self, info: strawberry.Info) -> Plan | None:
        if self.plan_id is None:
            return None
        p = await info.context.loaders.plan.load(int(self.plan_id))
        return Plan.of(p) if p else None


@strawberry.type(description="One group of performanceStats.")
class PerformanceStatsRow:
    unit_id: strawberry.ID | None
    checkpoint_id: strawberry.ID | None
    predikat: Predikat | None
    result_rating: Rating | None
    behaviour_rating: Rating | None
    plan_status: str | None
    plans: int = strawberry.field(description="Plans in the group (× checkpoints if grouped)")
    with_achievement: int = strawberry.field(
        description="Of which approved with an achievement (at least one entry)"
    )
    no_data: int = strawberry.field(
        default=0,
        description="Of which approved without any entry (at the checkpoint): no data, left "
        "out of the average, never counted as 0 %",
    )
    average_achievement: Decimal | None = strawberry.field(
        default=None,
        description="Mean achievement of the plans with an achievement; null: none has data",
    )

    @strawberry.field
    async def unit(self, info: strawberry.Info) -> Unit | None:
        if self.unit_id is None:
            return None
        u = await info.context.loaders.unit.load(int(self.unit_id))
        return Unit.of(u) if u else None

    @strawberry.field
    async def checkpoint(self, info: strawberry.Info) -> Checkpoint | None:
        if self.checkpoint_id is None:
            return None
        c = await info.context.loaders.checkpoint.load(int(self.checkpoint_id))
        return Checkpoint.of(c) if c else None


@strawberry.type
class PredikatCount:
    predikat: Predikat
    count: int
    percent: Decimal


@strawberry.type(description="A way the distribution breaks the unit's pattern.")
class DistributionProblem:
    code: str
    predikat: list[Predikat]
    limit_percent: Decimal | None
    actual_percent: Decimal
    message: str


@strawberry.type(description="A unit's predikat distribution against its pattern (kurva).")
class DistributionCheck:
    unit_id: strawberry.ID
    period_id: strawberry.ID
    rating: OrganisationRating | None = strawberry.field(
        description="Null: the region admin has not rated the unit, so there is no pattern"
    )
    employees: int = strawberry.field(description="Plans in the unit and its sub-units")
    rated: int = strawberry.field(description="Of which have a predikat for the year")
    counts: list[PredikatCount]
    problems: list[DistributionProblem]

    @classmethod
    def of(cls, d: distribution.Distribution) -> DistributionCheck:
        rated = d.rated
        return cls(
            unit_id=strawberry.ID(str(d.unit_id)),
            period_id=strawberry.ID(str(d.period_id)),
            rating=d.rating,
            employees=d.employees,
            rated=rated,
            counts=[
                PredikatCount(
                    predikat=p,
                    count=d.counts.get(p, 0),
                    percent=(Decimal(d.counts.get(p, 0) * 100) / rated).quantize(Decimal("0.01"))
                    if rated
                    else Decimal(0),
                )
                for p in _Predikat
            ],
            problems=[problem_of(p) for p in d.problems],
        )


def problem_of(p: Any) -> DistributionProblem:
    return DistributionProblem(
        code=p.code,
        predikat=list(p.predikat),
        limit_percent=p.limit_pct,
        actual_percent=p.actual_pct,
        message=p.message,
    )


@strawberry.type(description="A reward or sanction and who decided it.")
class RewardSanction:
    id: strawberry.ID
    employee_id: strawberry.ID
    evaluation_id: strawberry.ID | None
    kind: ConsequenceKind
    type: ConsequenceType
    reason: str
    decided_on: date
    decided_by: strawberry.ID = strawberry.field(description="User account id")
    amount: int | None = strawberry.field(
        default=None,
        description="Whole rupiah of an INSENTIF_KINERJA (added to the TPP of the month it "
        "was decided in) or a PENGURANGAN_TPP (subtracted)",
    )

    @classmethod
    def of(cls, r: m.RewardSanction) -> RewardSanction:
        return cls(
            id=strawberry.ID(str(r.id)),
            employee_id=strawberry.ID(str(r.employee_id)),
            evaluation_id=optional_id(r.evaluation_id),
            kind=r.consequence,
            type=consequences.ConsequenceType(r.type),
            reason=r.reason,
            decided_on=r.decided_on,
            decided_by=strawberry.ID(str(r.decided_by)),
            amount=r.amount,
        )


@strawberry.type(description="A BerAKHLAK core value with its guide behaviours.")
class BehaviourValue:
    code: str
    name: str
    guide_behaviours: list[str]


# --- the compiled read path (schema/compiled.py): a plan, its results and indicators -------

compiled.declare(
    Indicator,
    id=compiled.Col("id"),
    text=compiled.Col("text"),
    aspect=compiled.Col("aspect"),
    target=compiled.Col("target"),
    unit=compiled.Col("unit_label"),
    direction=compiled.Col("direction"),
    weight=compiled.Col("weight"),
    source=compiled.Col("source"),
    sourceUnitId=compiled.Col("source_unit_id"),
    sourceServiceId=compiled.Col("source_service_id"),
    targetKind=compiled.Col("target_kind"),
)
compiled.declare(
    WorkResult,
    id=compiled.Col("id"),
    kind=compiled.Col("kind"),
    text=compiled.Col("text"),
    supportsResultId=compiled.Col("supports_result_id"),
    # In order (plans.plan_content): by position within the plan, then by id.
    indicators=compiled.Children(
        performance_queries.INDICATORS_TABLE,
        "result_id",
        order=performance_queries.INDICATOR_ORDER,
    ),
)
compiled.declare(
    Plan,
    id=compiled.Col("id"),
    periodId=compiled.Col("period_id"),
    employeeId=compiled.Col("employee_id"),
    unitId=compiled.Col("unit_id"),
    evaluatorId=compiled.Col("evaluator_id"),
    evaluatorSupervisorId=compiled.Col("evaluator_supervisor_id"),
    status=compiled.Col("status"),
    returnReason=compiled.Col("return_reason"),
    revision=compiled.Col("revision"),
    submittedAt=compiled.Col("submitted_at"),
    approvedAt=compiled.Col("approved_at"),
    updatedAt=compiled.Col("updated_at"),
    # People reached through a plan: name and position, never contacts (_person).
    employee=compiled.Rel(
        org_queries.EMPLOYEES_TABLE,
        "employee_id",
        reveal=lambda viewer: performance_queries.no_contacts,
    ),
    evaluator=compiled.Rel(
        org_queries.EMPLOYEES_TABLE,
        "evaluator_id",
        reveal=lambda viewer: performance_queries.no_contacts,
    ),
    unit=compiled.Rel(org_queries.UNITS_TABLE, "unit_id"),
    results=compiled.Children(
        performance_queries.PLAN_RESULTS_TABLE,
        "plan_id",
        order=performance_queries.RESULT_ORDER,
    ),
)
