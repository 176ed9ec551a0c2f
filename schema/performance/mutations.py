"""performance: the Mutation fields, their inputs and payloads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from kinerja_saas.performance import (
    consequences,
    dialog,
    distribution,
    evaluations,
    plans,
    realisations,
)
from kinerja_saas.performance import service as performance
from kinerja_saas.performance.models import Aspect as _Aspect
from kinerja_saas.performance.models import CheckpointKind as _CheckpointKind
from kinerja_saas.performance.models import IndicatorSource as _IndicatorSource
from kinerja_saas.performance.models import PeriodStatus as _PeriodStatus
from kinerja_saas.performance.models import ResultKind as _ResultKind
from kinerja_saas.performance.rules import Direction as _Direction
from kinerja_saas.performance.rules import OrganisationRating as _OrganisationRating
from kinerja_saas.performance.rules import Rating as _Rating
from kinerja_saas.performance.rules import TargetKind as _TargetKind
from schema.errors import parse_id
from schema.payloads import mutate, payload
from schema.performance.types import (
    Appeal,
    Aspect,
    Checkpoint,
    CheckpointKind,
    ConsequenceType,
    DialogNote,
    Direction,
    DistributionCheck,
    DistributionProblem,
    Evaluation,
    IndicatorSource,
    OrganisationRating,
    Period,
    PeriodStatus,
    Plan,
    Rating,
    Realisation,
    ResultKind,
    RewardSanction,
    TargetKind,
    problem_of,
)


@strawberry.input
class OpenPeriodInput:
    year: int
    checkpoint_kind: CheckpointKind | None = strawberry.field(
        default=None, description="Default: the region's setting (performance.checkpoint)"
    )
    deadline_days: int = strawberry.field(
        default=10, description="Realisations are due this many days after a checkpoint ends"
    )


@payload
class PeriodPayload:
    period: Period | None


@payload
class CheckpointPayload:
    checkpoint: Checkpoint | None


@strawberry.type
class PerformanceMutation:
    @strawberry.mutation(description="Region admin: open a year in PLANNING with its checkpoints.")
    async def open_period(self, info: strawberry.Info, input: OpenPeriodInput) -> PeriodPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            PeriodPayload,
            lambda: performance.open_period(
                actor=actor,
                year=input.year,
                checkpoint_kind=_CheckpointKind(input.checkpoint_kind.value)
                if input.checkpoint_kind
                else None,
                deadline_days=input.deadline_days,
            ),
            Period.of,
        )

    @strawberry.mutation(description="Region admin: move a period to its next status.")
    async def advance_period(
        self, info: strawberry.Info, id: strawberry.ID, status: PeriodStatus
    ) -> PeriodPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            PeriodPayload,
            lambda: performance.advance_period(
                actor=actor, period_id=parse_id(id, "id"), status=_PeriodStatus(status.value)
            ),
            Period.of,
        )

    @strawberry.mutation(description="Region admin: move a checkpoint's deadline.")
    async def set_checkpoint_deadline(
        self, info: strawberry.Info, id: strawberry.ID, deadline: date
    ) -> CheckpointPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            CheckpointPayload,
            lambda: performance.set_checkpoint_deadline(
                actor=actor, checkpoint_id=parse_id(id, "id"), deadline=deadline
            ),
            Checkpoint.of,
        )


@strawberry.input
class IndicatorInput:
    text: str
    aspect: Aspect
    target: Decimal
    unit: str
    weight: Decimal
    direction: Direction = _Direction.HIGHER_IS_BETTER
    id: strawberry.ID | None = strawberry.field(
        default=None, description="Keep an existing indicator (and its realisations)"
    )
    source: IndicatorSource = strawberry.field(
        default=_IndicatorSource.MANUAL,
        description="SKM_IKM with sourceUnitId or sourceServiceId: the realisations fill in "
        "from the surveys (aspect KUALITAS, HIGHER_IS_BETTER, target 25–100)",
    )
    source_unit_id: strawberry.ID | None = None
    source_service_id: strawberry.ID | None = None
    target_kind: TargetKind | None = strawberry.field(
        default=None,
        description="With checkpointTargets: CUMULATIVE or PER_PERIOD (see TargetKind)",
    )
    checkpoint_targets: list[Decimal] | None = strawberry.field(
        default=None,
        description="One target per checkpoint of the period, in order (4 for a quarterly "
        "period). Refused, each naming its field: a count that is not the period's "
        "checkpoints (TARGET_COUNT), a target not above 0 or with more than 4 decimals, "
        "CUMULATIVE targets that go back (TARGETS_NOT_MONOTONE) or whose last is not the "
        "annual target (LAST_TARGET_NOT_ANNUAL), PER_PERIOD targets that do not add up to it "
        "(TARGETS_SUM_NOT_ANNUAL), targets without a kind (TARGET_KIND_REQUIRED)",
    )


@strawberry.input
class WorkResultInput:
    kind: ResultKind
    text: str
    indicators: list[IndicatorInput]
    supports_result_id: strawberry.ID | None = None
    id: strawberry.ID | None = strawberry.field(
        default=None, description="Keep an existing work result"
    )


@strawberry.input(description="The whole plan: results left out are removed.")
class SavePlanInput:
    period_id: strawberry.ID
    results: list[WorkResultInput]


@payload
class PlanPayload:
    plan: Plan | None


@payload
class PlansPayload:
    plans: list[Plan]


@strawberry.input
class EvidenceInput:
    url: str
    label: str | None = None


@strawberry.input
class RecordRealisationInput:
    indicator_id: strawberry.ID
    checkpoint_id: strawberry.ID
    value: Decimal
    note: str | None = None
    evidence: list[EvidenceInput] = strawberry.field(default_factory=list)


@payload
class RealisationPayload:
    realisation: Realisation | None


@strawberry.input
class DialogNoteInput:
    plan_id: strawberry.ID
    body: str
    indicator_id: strawberry.ID | None = None
    reply_to_id: strawberry.ID | None = None


@payload
class DialogNotePayload:
    note: DialogNote | None


def _results(items: list[WorkResultInput]) -> list[plans.ResultData]:
    return [
        plans.ResultData(
            id=parse_id(r.id, f"results[{n}].id"),
            kind=_ResultKind(r.kind.value),
            text=r.text,
            supports_result_id=parse_id(r.supports_result_id, f"results[{n}].supportsResultId"),
            indicators=[
                plans.IndicatorData(
                    id=parse_id(i.id, f"results[{n}].indicators[{k}].id"),
                    text=i.text,
                    aspect=_Aspect(i.aspect.value),
                    target=i.target,
                    unit_label=i.unit,
                    direction=_Direction(i.direction.value),
                    weight=i.weight,
                    source=_IndicatorSource(i.source.value),
                    source_unit_id=parse_id(
                        i.source_unit_id, f"results[{n}].indicators[{k}].sourceUnitId"
                    ),
                    source_service_id=parse_id(
                        i.source_service_id, f"results[{n}].indicators[{k}].sourceServiceId"
                    ),
                    target_kind=_TargetKind(i.target_kind.value) if i.target_kind else None,
                    checkpoint_targets=i.checkpoint_targets,
                )
                for k, i in enumerate(r.indicators)
            ],
        )
        for n, r in enumerate(items)
    ]


async def _plan_payload(body) -> PlanPayload:
    return await mutate(PlanPayload, body, Plan.of)


@strawberry.type
class PlanMutation:
    @strawberry.mutation(description="Employee: write your draft (or returned) plan, whole.")
    async def save_plan(self, info: strawberry.Info, input: SavePlanInput) -> PlanPayload:
        actor = info.context.require_region_actor()
        return await _plan_payload(
            lambda: plans.save_plan(
                actor=actor,
                period_id=parse_id(input.period_id, "periodId"),
                results=_results(input.results),
            )
        )

    @strawberry.mutation(description="Employee: send your plan to your evaluator.")
    async def submit_plan(self, info: strawberry.Info, id: strawberry.ID) -> PlanPayload:
        actor = info.context.require_region_actor()
        return await _plan_payload(
            lambda: plans.submit_plan(actor=actor, plan_id=parse_id(id, "id"))
        )

    @strawberry.mutation(description="Evaluator: approve a submitted plan.")
    async def approve_plan(self, info: strawberry.Info, id: strawberry.ID) -> PlanPayload:
        actor = info.context.require_region_actor()
        return await _plan_payload(
            lambda: plans.approve_plan(actor=actor, plan_id=parse_id(id, "id"))
        )

    @strawberry.mutation(description="Evaluator: return a submitted plan with a reason.")
    async def return_plan(
        self, info: strawberry.Info, id: strawberry.ID, reason: str
    ) -> PlanPayload:
        actor = info.context.require_region_actor()
        return await _plan_payload(
            lambda: plans.return_plan(actor=actor, plan_id=parse_id(id, "id"), reason=reason)
        )

    @strawberry.mutation(
        description="Employee or evaluator: reopen an approved plan as a draft; its approved "
        "content is kept as a revision."
    )
    async def revise_plan(
        self, info: strawberry.Info, id: strawberry.ID, reason: str
    ) -> PlanPayload:
        actor = info.context.require_region_actor()
        return await _plan_payload(
            lambda: plans.revise_plan(actor=actor, plan_id=parse_id(id, "id"), reason=reason)
        )

    @strawberry.mutation(
        description="Supervisor: copy your own work results (with indicators) into your direct "
        "reports' draft plans, each linked to the result it supports."
    )
    async def copy_results_down(
        self,
        info: strawberry.Info,
        result_ids: list[strawberry.ID],
        employee_ids: list[strawberry.ID],
    ) -> PlansPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            PlansPayload,
            lambda: plans.copy_results_down(
                actor=actor,
                result_ids=[parse_id(r, "resultIds") for r in result_ids],
                employee_ids=[parse_id(e, "employeeIds") for e in employee_ids],
            ),
            lambda rows: [Plan.of(p) for p in rows],
        )

    @strawberry.mutation(description="Employee: enter or correct a realisation.")
    async def record_realisation(
        self, info: strawberry.Info, input: RecordRealisationInput
    ) -> RealisationPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            RealisationPayload,
            lambda: realisations.record_realisation(
                actor=actor,
                indicator_id=parse_id(input.indicator_id, "indicatorId"),
                checkpoint_id=parse_id(input.checkpoint_id, "checkpointId"),
                value=input.value,
                note=input.note,
                evidence=[realisations.Evidence(e.url, e.label) for e in input.evidence],
            ),
            Realisation.of,
        )

    @strawberry.mutation(description="Evaluator: verify a realisation.")
    async def verify_realisation(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> RealisationPayload:
        return await _review(info, id, verified=True, reason=None)

    @strawberry.mutation(description="Evaluator: reject a realisation with a reason.")
    async def reject_realisation(
        self, info: strawberry.Info, id: strawberry.ID, reason: str
    ) -> RealisationPayload:
        return await _review(info, id, verified=False, reason=reason)

    @strawberry.mutation(description="Employee or supervisor: add to the dialog kinerja.")
    async def add_dialog_note(
        self, info: strawberry.Info, input: DialogNoteInput
    ) -> DialogNotePayload:
        actor = info.context.require_region_actor()
        return await mutate(
            DialogNotePayload,
            lambda: dialog.add_note(
                actor=actor,
                plan_id=parse_id(input.plan_id, "planId"),
                body=input.body,
                indicator_id=parse_id(input.indicator_id, "indicatorId"),
                reply_to_id=parse_id(input.reply_to_id, "replyToId"),
            ),
            DialogNote.of,
        )


async def _review(
    info: strawberry.Info, id: strawberry.ID, *, verified: bool, reason: str | None
) -> RealisationPayload:
    actor = info.context.require_region_actor()
    return await mutate(
        RealisationPayload,
        lambda: realisations.review_realisation(
            actor=actor, realisation_id=parse_id(id, "id"), verified=verified, reason=reason
        ),
        Realisation.of,
    )


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


@payload
class EvaluationPayload:
    evaluation: Evaluation | None
    distribution_problems: list[DistributionProblem] = strawberry.field(
        default_factory=list, description="Acknowledged problems of the unit's distribution"
    )


@payload
class AppealPayload:
    appeal: Appeal | None


@payload
class UnitRatingPayload:
    distribution: DistributionCheck | None


@strawberry.input
class RecordRewardSanctionInput:
    employee_id: strawberry.ID
    type: ConsequenceType
    reason: str
    decided_on: date
    evaluation_id: strawberry.ID | None = None
    amount: int | None = strawberry.field(
        default=None,
        description="Whole rupiah, for INSENTIF_KINERJA and PENGURANGAN_TPP only: enters the "
        "TPP of the month of decidedOn",
    )


@payload
class RewardSanctionPayload:
    entry: RewardSanction | None


async def _evaluation_payload(body) -> EvaluationPayload:
    return await mutate(EvaluationPayload, body, Evaluation.of)


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
        return await mutate(
            EvaluationPayload,
            lambda: evaluations.finalise_evaluation(
                actor=actor,
                evaluation_id=parse_id(id, "id"),
                acknowledge_distribution=acknowledge_distribution,
                decision_note=decision_note,
            ),
            lambda result: {
                "evaluation": Evaluation.of(result[0]),
                "distribution_problems": [problem_of(p) for p in result[1]],
            },
        )

    @strawberry.mutation(description="Employee: appeal (keberatan) within the region's window.")
    async def appeal_evaluation(
        self, info: strawberry.Info, id: strawberry.ID, reason: str
    ) -> AppealPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            AppealPayload,
            lambda: evaluations.appeal_evaluation(
                actor=actor, evaluation_id=parse_id(id, "id"), reason=reason
            ),
            Appeal.of,
        )

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

        return await mutate(UnitRatingPayload, body, DistributionCheck.of)

    @strawberry.mutation(description="Region admin or direct supervisor: record a decision.")
    async def record_reward_or_sanction(
        self, info: strawberry.Info, input: RecordRewardSanctionInput
    ) -> RewardSanctionPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            RewardSanctionPayload,
            lambda: consequences.record_consequence(
                actor=actor,
                employee_id=parse_id(input.employee_id, "employeeId"),
                type_=consequences.ConsequenceType(input.type.value),
                reason=input.reason,
                decided_on=input.decided_on,
                evaluation_id=parse_id(input.evaluation_id, "evaluationId"),
                amount=input.amount,
            ),
            RewardSanction.of,
        )
