"""Evaluations, appeals, the distribution check, rewards and sanctions, the supervisor's
team view and the dashboards' statistics."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from kinerja_saas.performance import consequences, distribution, evaluations, monitoring
from kinerja_saas.performance import models as m
from kinerja_saas.performance.achievement import achievement_cap
from kinerja_saas.performance.rules import OrganisationRating as _OrganisationRating
from kinerja_saas.performance.rules import Predikat as _Predikat
from kinerja_saas.performance.rules import Rating as _Rating
from schema.errors import UserError, optional_id, parse_id, run_mutation
from schema.org import Employee, Unit
from schema.performance import Checkpoint

Rating = strawberry.enum(_Rating, description="Result or behaviour rating")
Predikat = strawberry.enum(_Predikat, description="Predikat kinerja (PermenPANRB 6/2022)")
OrganisationRating = strawberry.enum(
    _OrganisationRating, description="Predikat kinerja organisasi of a unit"
)
EvaluationStatus = strawberry.enum(m.EvaluationStatus)
AppealStatus = strawberry.enum(m.AppealStatus)
ConsequenceKind = strawberry.enum(m.Consequence)
ConsequenceType = strawberry.enum(consequences.ConsequenceType)
StatsDimension = strawberry.enum(monitoring.StatsDimension)


def _rating(value: str | None) -> _Rating | None:
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
    reviewer_id: strawberry.ID | None
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
            decision_note=a.decision_note,
            created_at=a.created_at,
            decided_at=a.decided_at,
            original_predikat=_Predikat(original["predikat"]) if original.get("predikat") else None,
            original_result_rating=_rating(original.get("result_rating")),
            original_behaviour_rating=_rating(original.get("behaviour_rating")),
        )


@strawberry.type(description="An evaluation for a checkpoint, or for the year (no checkpoint).")
class Evaluation:
    id: strawberry.ID
    plan_id: strawberry.ID
    checkpoint_id: strawberry.ID | None
    status: EvaluationStatus
    achievement: Decimal | None = strawberry.field(description="Plan achievement (%) when saved")
    proposed_result_rating: Rating | None = strawberry.field(
        description="PermenPANRB 6/2022 (no formula, no weights between results): each work "
        "result is judged through its indicators' achievement against the region's thresholds "
        "(default >= 110 % above, >= 80 % meets); DI_ATAS_EKSPEKTASI when most results are above "
        "expectation and no UTAMA result is below it, SESUAI_EKSPEKTASI when fewer than half "
        "of the UTAMA results are below it, else DI_BAWAH_EKSPEKTASI. TAMBAHAN results can "
        "raise the rating, never make up for an UTAMA result below expectation. A region with "
        "resultRatingMethod WEIGHTED_MEAN gets the weighted mean achievement instead."
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
    frozen: strawberry.Private[dict | None] = None

    @classmethod
    def of(cls, e: m.Evaluation) -> Evaluation:
        return cls(
            id=strawberry.ID(str(e.id)),
            plan_id=strawberry.ID(str(e.plan_id)),
            checkpoint_id=optional_id(e.checkpoint_id),
            status=e.status,
            achievement=e.achievement,
            proposed_result_rating=_rating(e.proposed_result_rating),
            result_rating=_rating(e.result_rating),
            result_override_reason=e.result_override_reason,
            behaviour=[
                ValueRating(code=code, rating=_Rating(v["rating"]), note=v.get("note") or None)
                for code, v in e.behaviour_ratings.items()
            ],
            proposed_behaviour_rating=_rating(e.proposed_behaviour_rating),
            behaviour_rating=_rating(e.behaviour_rating),
            behaviour_override_reason=e.behaviour_override_reason,
            predikat=_Predikat(e.predikat) if e.predikat else None,
            feedback=e.feedback,
            self_assessment=e.self_assessment,
            self_result_rating=_rating(e.self_result_rating),
            self_behaviour_rating=_rating(e.self_behaviour_rating),
            finalised_at=e.finalised_at,
            appeal_deadline=e.appeal_deadline,
            frozen=e.evidence,
        )

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
        description="Approved plans: latest realisations against targets, weighted (%)"
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
    with_achievement: int = strawberry.field(description="Of which approved, with achievement")
    average_achievement: Decimal | None

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
            problems=[_problem(p) for p in d.problems],
        )


def _problem(p: Any) -> DistributionProblem:
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
        )


@strawberry.type
class EvaluationQuery:
    @strawberry.field(description="Your evaluations, newest period first.")
    async def my_evaluations(
        self, info: strawberry.Info, period_id: strawberry.ID | None = None
    ) -> list[Evaluation]:
        actor = info.context.require_region_actor()
        rows = await evaluations.my_evaluations(
            actor=actor, period_id=parse_id(period_id, "periodId")
        )
        return [Evaluation.of(e) for e in rows]

    @strawberry.field(
        description="Your direct reports, live: one statement however many there are."
    )
    async def my_team(self, info: strawberry.Info, period_id: strawberry.ID) -> list[TeamMember]:
        actor = info.context.require_region_actor()
        rows = await monitoring.my_team(
            actor=actor, period_id=parse_id(period_id, "periodId"), cap=await achievement_cap()
        )
        return [
            TeamMember(
                employee=Employee.of(r, viewer=actor),
                plan_id=optional_id(r["plan_id"]),
                plan_status=r["plan_status"],
                achievement_to_date=r["achievement"],
                indicators=r["indicators"],
                missing_realisations=r["missing_realisations"],
                pending_verifications=r["pending_verifications"],
                latest_predikat=_Predikat(r["latest_predikat"]) if r["latest_predikat"] else None,
                latest_evaluation_status=m.EvaluationStatus(r["latest_evaluation_status"])
                if r["latest_evaluation_status"]
                else None,
            )
            for r in rows
        ]

    @strawberry.field(
        description="Counts of plans and average achievement, grouped in the database. "
        "Group by CHECKPOINT for trends across checkpoints."
    )
    async def performance_stats(
        self,
        info: strawberry.Info,
        period_id: strawberry.ID,
        group_by: list[StatsDimension],
        unit_id: strawberry.ID | None = None,
    ) -> list[PerformanceStatsRow]:
        actor = info.context.require_region_actor()
        rows = await monitoring.performance_stats(
            actor=actor,
            period_id=parse_id(period_id, "periodId"),
            unit_id=parse_id(unit_id, "unitId"),
            by=[monitoring.StatsDimension(d.value) for d in group_by],
            cap=await achievement_cap(),
        )
        return [
            PerformanceStatsRow(
                unit_id=optional_id(r.get("unit_id")),
                checkpoint_id=optional_id(r.get("checkpoint_id")),
                predikat=_Predikat(r["predikat"]) if r.get("predikat") else None,
                result_rating=_rating(r.get("result_rating")),
                behaviour_rating=_rating(r.get("behaviour_rating")),
                plan_status=r.get("plan_status"),
                plans=r["plans"],
                with_achievement=r["with_achievement"],
                average_achievement=r["average_achievement"],
            )
            for r in rows
        ]

    @strawberry.field(description="A unit's predikat distribution against its pattern, live.")
    async def distribution_check(
        self, info: strawberry.Info, period_id: strawberry.ID, unit_id: strawberry.ID
    ) -> DistributionCheck:
        actor = info.context.require_region_actor()
        d = await distribution.distribution_check(
            actor=actor,
            period_id=parse_id(period_id, "periodId"),
            unit_id=parse_id(unit_id, "unitId"),
        )
        return DistributionCheck.of(d)

    @strawberry.field(description="Rewards and sanctions of an employee visible to you.")
    async def rewards_and_sanctions(
        self, info: strawberry.Info, employee_id: strawberry.ID
    ) -> list[RewardSanction]:
        actor = info.context.require_region_actor()
        rows = await consequences.consequences_of(
            actor=actor, employee_id=parse_id(employee_id, "employeeId")
        )
        return [RewardSanction.of(r) for r in rows]


# --- mutations -------------------------------------------------------------------------------


@strawberry.input
class ValueRatingInput:
    code: str = strawberry.field(description="BerAKHLAK value code, e.g. AKUNTABEL")
    rating: Rating
    note: str | None = None


@strawberry.input(description="Only the fields given change; behaviour merges by value.")
class SaveEvaluationInput:
    plan_id: strawberry.ID
    checkpoint_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: the year's evaluation"
    )
    result_rating: Rating | None = None
    result_override_reason: str | None = None
    behaviour: list[ValueRatingInput] | None = None
    behaviour_rating: Rating | None = strawberry.field(
        default=None,
        description="Sets the behaviour rating against the one proposed from the values; "
        "when it differs, behaviourOverrideReason is required (OVERRIDE_REASON_REQUIRED)",
    )
    behaviour_override_reason: str | None = None
    feedback: str | None = None


@strawberry.input
class SelfEvaluationInput:
    plan_id: strawberry.ID
    text: str
    checkpoint_id: strawberry.ID | None = None
    result_rating: Rating | None = None
    behaviour_rating: Rating | None = None


@strawberry.type
class EvaluationPayload:
    evaluation: Evaluation | None = None
    distribution_problems: list[DistributionProblem] = strawberry.field(
        default_factory=list, description="Acknowledged problems of the unit's distribution"
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AppealPayload:
    appeal: Appeal | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UnitRatingPayload:
    distribution: DistributionCheck | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RecordRewardSanctionInput:
    employee_id: strawberry.ID
    type: ConsequenceType
    reason: str
    decided_on: date
    evaluation_id: strawberry.ID | None = None


@strawberry.type
class RewardSanctionPayload:
    entry: RewardSanction | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _evaluation_payload(body) -> EvaluationPayload:
    evaluation, errors = await run_mutation(body)
    return EvaluationPayload(
        evaluation=Evaluation.of(evaluation) if evaluation else None, errors=errors
    )


@strawberry.type
class EvaluationMutation:
    @strawberry.mutation(description="Evaluator: rate, comment, give feedback (a draft).")
    async def save_evaluation(
        self, info: strawberry.Info, input: SaveEvaluationInput
    ) -> EvaluationPayload:
        actor = info.context.require_region_actor()
        return await _evaluation_payload(
            lambda: evaluations.save_evaluation(
                actor=actor,
                plan_id=parse_id(input.plan_id, "planId"),
                checkpoint_id=parse_id(input.checkpoint_id, "checkpointId"),
                result_rating=_Rating(input.result_rating.value) if input.result_rating else None,
                result_override_reason=input.result_override_reason,
                behaviour=None
                if input.behaviour is None
                else [
                    evaluations.ValueRating(b.code, _Rating(b.rating.value), b.note)
                    for b in input.behaviour
                ],
                feedback=input.feedback,
                behaviour_rating=_Rating(input.behaviour_rating.value)
                if input.behaviour_rating
                else None,
                behaviour_override_reason=input.behaviour_override_reason,
            )
        )

    @strawberry.mutation(description="Employee: your self-evaluation beside the evaluator's.")
    async def save_self_evaluation(
        self, info: strawberry.Info, input: SelfEvaluationInput
    ) -> EvaluationPayload:
        actor = info.context.require_region_actor()
        return await _evaluation_payload(
            lambda: evaluations.save_self_evaluation(
                actor=actor,
                plan_id=parse_id(input.plan_id, "planId"),
                checkpoint_id=parse_id(input.checkpoint_id, "checkpointId"),
                text=input.text,
                result_rating=_Rating(input.result_rating.value) if input.result_rating else None,
                behaviour_rating=_Rating(input.behaviour_rating.value)
                if input.behaviour_rating
                else None,
            )
        )

    @strawberry.mutation(
        description="Evaluator (or, on appeal, their supervisor): make the evaluation final. "
        "Refused while the unit's distribution breaks its pattern, unless acknowledged."
    )
    async def finalise_evaluation(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        acknowledge_distribution: bool = False,
        decision_note: str | None = None,
    ) -> EvaluationPayload:
        actor = info.context.require_region_actor()
        result, errors = await run_mutation(
            lambda: evaluations.finalise_evaluation(
                actor=actor,
                evaluation_id=parse_id(id, "id"),
                acknowledge_distribution=acknowledge_distribution,
                decision_note=decision_note,
            )
        )
        if result is None:
            return EvaluationPayload(errors=errors)
        evaluation, problems = result
        return EvaluationPayload(
            evaluation=Evaluation.of(evaluation),
            distribution_problems=[_problem(p) for p in problems],
        )

    @strawberry.mutation(description="Employee: appeal (keberatan) within the region's window.")
    async def appeal_evaluation(
        self, info: strawberry.Info, id: strawberry.ID, reason: str
    ) -> AppealPayload:
        actor = info.context.require_region_actor()
        appeal, errors = await run_mutation(
            lambda: evaluations.appeal_evaluation(
                actor=actor, evaluation_id=parse_id(id, "id"), reason=reason
            )
        )
        if appeal is None:
            return AppealPayload(errors=errors)
        return AppealPayload(appeal=Appeal.of(appeal))

    @strawberry.mutation(description="Region admin: a unit's organisational rating (kurva).")
    async def set_unit_rating(
        self,
        info: strawberry.Info,
        period_id: strawberry.ID,
        unit_id: strawberry.ID,
        rating: OrganisationRating,
    ) -> UnitRatingPayload:
        actor = info.context.require_region_actor()

        async def body() -> distribution.Distribution:
            p, u = parse_id(period_id, "periodId"), parse_id(unit_id, "unitId")
            await distribution.set_unit_rating(
                actor=actor, period_id=p, unit_id=u, rating=_OrganisationRating(rating.value)
            )
            return await distribution.distribution_check(actor=actor, period_id=p, unit_id=u)

        result, errors = await run_mutation(body)
        return UnitRatingPayload(
            distribution=DistributionCheck.of(result) if result else None, errors=errors
        )

    @strawberry.mutation(description="Region admin or direct supervisor: record a decision.")
    async def record_reward_or_sanction(
        self, info: strawberry.Info, input: RecordRewardSanctionInput
    ) -> RewardSanctionPayload:
        actor = info.context.require_region_actor()
        entry, errors = await run_mutation(
            lambda: consequences.record_consequence(
                actor=actor,
                employee_id=parse_id(input.employee_id, "employeeId"),
                type_=consequences.ConsequenceType(input.type.value),
                reason=input.reason,
                decided_on=input.decided_on,
                evaluation_id=parse_id(input.evaluation_id, "evaluationId"),
            )
        )
        return RewardSanctionPayload(
            entry=RewardSanction.of(entry) if entry else None, errors=errors
        )


from schema.plans import Plan  # noqa: E402  (mutual reference)
