"""Evaluations per checkpoint and for the year: the evaluator's result and behaviour
ratings, the predikat from the matrix, the employee's self-evaluation beside it, feedback,
finalisation (after which nothing changes), and appeals (keberatan) that reopen a finalised
evaluation for the evaluator's supervisor with the original kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.outbox.service import emit
from kinerja_saas.performance import events, queries, rules
from kinerja_saas.performance.access import Relation, require, require_evaluator, visible_plan
from kinerja_saas.performance.achievement import (
    indicator_evidence,
    result_indicator_achievements,
)
from kinerja_saas.performance.distribution import problems_for_plan
from kinerja_saas.performance.errors import BehaviourRatingError, PerformanceError
from kinerja_saas.performance.models import (
    Appeal,
    AppealStatus,
    BehaviourValue,
    Checkpoint,
    Evaluation,
    EvaluationStatus,
    Period,
    PeriodStatus,
    Plan,
    PlanStatus,
)
from kinerja_saas.performance.rules import Rating
from kinerja_saas.regions.settings import PerformanceSettings, current_settings
from tenants.context import current_tenant_id

MAX_TEXT = 5000
# What the evaluator's rating sets (with _recompute): what a save writes and the audit shows.
RATING_FIELDS = (
    "achievement",
    "proposed_result_rating",
    "result_rating",
    "result_override_reason",
    "behaviour_ratings",
    "proposed_behaviour_rating",
    "chosen_behaviour_rating",
    "behaviour_override_reason",
    "behaviour_rating",
    "predikat",
    "feedback",
)
FINALISED_FIELDS = (
    *RATING_FIELDS,
    "evidence",
    "status",
    "finalised_at",
    "finalised_by",
    "appeal_deadline",
)


@dataclass(frozen=True)
class ValueRating:
    code: str
    rating: Rating
    note: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _snapshot(evaluation: Evaluation) -> dict[str, Any]:
    out = {f: getattr(evaluation, f) for f in RATING_FIELDS}
    out["achievement"] = str(out["achievement"]) if out["achievement"] is not None else None
    return out


async def _performance_settings() -> PerformanceSettings:
    return (await current_settings()).performance


async def _check_timing(
    errors: ErrorCollector, plan: Plan, checkpoint_id: int | None, today: date
) -> None:
    """A checkpoint is evaluated once it has started, while the year runs; the year once
    the period is EVALUATING. Nothing after CLOSED."""
    period = await scoped(Period).get(id=plan.period_id)
    if period.status is PeriodStatus.CLOSED:
        errors.add("planId", PerformanceError.PERIOD_CLOSED)
        return
    if checkpoint_id is None:
        if period.status is not PeriodStatus.EVALUATING:
            errors.add("planId", PerformanceError.PERIOD_NOT_EVALUATING)
        return
    checkpoint = await scoped(Checkpoint).get_or_none(id=checkpoint_id)
    if checkpoint is None or checkpoint.period_id != plan.period_id:
        errors.add("checkpointId", PerformanceError.NOT_IN_PERIOD)
    elif period.status is PeriodStatus.PLANNING or checkpoint.starts_on > today:
        errors.add("checkpointId", PerformanceError.NOT_STARTED, checkpoint=checkpoint.label)


async def _evaluation_for(plan: Plan, checkpoint_id: int | None) -> Evaluation:
    """The evaluation row of (plan, checkpoint), created if missing, locked. Concurrent
    first saves meet at the unique index instead of failing."""
    await queries.ensure_evaluation(
        plan_id=plan.id,
        period_id=plan.period_id,
        employee_id=plan.employee_id,
        checkpoint_id=checkpoint_id,
    )
    return (
        await scoped(Evaluation)
        .filter(plan_id=plan.id, checkpoint_id=checkpoint_id)
        .select_for_update()
        .get()
    )


def _require_evaluator(relations: frozenset[Relation], plan: Plan, evaluation: Evaluation) -> None:
    """Who rates: the evaluator; during an appeal the evaluator's supervisor. The region
    admin stands in where the plan has no such person."""
    if evaluation.status is not EvaluationStatus.APPEALED:
        require_evaluator(relations, plan)
        return
    who = Relation.REVIEWER if plan.evaluator_supervisor_id is not None else Relation.ADMIN
    require(relations, who)


async def _recompute(evaluation: Evaluation, settings: PerformanceSettings) -> None:
    """Achievement, proposed result rating, behaviour rating and predikat from what is
    stored now (the realisations may have changed since the last save)."""
    cap = Decimal(str(settings.achievement_cap))
    rows = await result_indicator_achievements(
        evaluation.plan_id, checkpoint_id=evaluation.checkpoint_id, cap=cap
    )
    # Once finalised, the evaluation is computed from the evidence frozen then (an appeal is
    # decided on it too); later realisations do not count.
    frozen = evaluation.evidence or {}
    for r in rows:
        if (kept := frozen.get(str(r["id"]))) is not None:
            r["a"] = Decimal(kept["achievement"])
            r["has_value"] = kept["value"] is not None
    above = Decimal(str(settings.result_threshold_above))
    expected = Decimal(str(settings.result_threshold_expected))
    weighted = [rules.Weighted(achievement=r["a"], weight=r["weight"]) for r in rows]
    if not any(r["has_value"] for r in rows):
        # No entry at all (at the checkpoint): "no data", never 0 %, and nothing to propose;
        # the evaluator rates on what they know (no proposal to differ from).
        evaluation.achievement = None
        evaluation.proposed_result_rating = None
    else:
        evaluation.achievement = (
            rules.plan_achievement(weighted)
            if sum((w.weight for w in weighted), Decimal(0)) > 0
            else Decimal(0)
        )
        evaluation.proposed_result_rating = _proposal(
            evaluation.achievement, rows, settings, above, expected
        ).value
    _rate_behaviour_and_predikat(evaluation, await _value_codes())


def _proposal(
    achievement: Decimal,
    rows: list[dict],
    settings: PerformanceSettings,
    above: Decimal,
    expected: Decimal,
) -> Rating:
    if settings.result_rating_method == "WEIGHTED_MEAN":
        return rules.proposed_result_rating(achievement, above=above, expected=expected)
    return _regulation_proposal(rows, above, expected)


def _rate_behaviour_and_predikat(evaluation: Evaluation, codes: list[str]) -> None:
    rated = evaluation.behaviour_ratings
    evaluation.proposed_behaviour_rating = (
        rules.behaviour_rating(Rating(rated[c]["rating"]) for c in codes).value
        if codes and all(c in rated for c in codes)
        else None
    )
    evaluation.behaviour_rating = (
        evaluation.chosen_behaviour_rating or evaluation.proposed_behaviour_rating
    )
    evaluation.predikat = (
        rules.predikat(
            behaviour=Rating(evaluation.behaviour_rating), result=Rating(evaluation.result_rating)
        ).value
        if evaluation.behaviour_rating and evaluation.result_rating
        else None
    )


def _regulation_proposal(rows: list[dict], above: Decimal, expected: Decimal) -> Rating:
    """PermenPANRB 6/2022: each work result judged through its indicators, then the rule of
    rules.result_rating_by_regulation (no weights between results)."""
    by_result: dict[int, tuple[str, list[rules.Weighted]]] = {}
    for r in rows:
        _, items = by_result.setdefault(r["result_id"], (r["kind"], []))
        items.append(rules.Weighted(achievement=r["a"], weight=r["weight"]))
    levels = [
        rules.ResultLevel(rules.ResultKind(kind), level)
        for kind, items in by_result.values()
        if (level := rules.result_level(items, above=above, expected=expected)) is not None
    ]
    if not levels:
        return Rating.DI_BAWAH_EKSPEKTASI
    return rules.result_rating_by_regulation(levels)


async def _value_codes() -> list[str]:
    return cast(
        "list[str]",
        await scoped(BehaviourValue).order_by("position").values_list("code", flat=True),
    )


async def save_evaluation(
    *,
    actor: Actor,
    plan_id: int,
    checkpoint_id: int | None,
    result_rating: Rating | None = None,
    result_override_reason: str | None = None,
    behaviour: list[ValueRating] | None = None,
    feedback: str | None = None,
    today: date | None = None,
    behaviour_rating: Rating | None = None,
    behaviour_override_reason: str | None = None,
) -> Evaluation:
    """The evaluator's draft: only what is given changes; behaviour ratings merge by value.
    `behaviour_rating` sets the behaviour rating against the one proposed from the values
    (with `behaviour_override_reason` when it differs)."""
    today = today or date.today()
    plan, relations = await visible_plan(actor, plan_id)
    errors = ErrorCollector()
    if plan.status is not PlanStatus.APPROVED:
        errors.add("planId", PerformanceError.PLAN_NOT_APPROVED)
    await _check_timing(errors, plan, checkpoint_id, today)
    errors.raise_if_any()
    evaluation = await _evaluation_for(plan, checkpoint_id)
    _require_evaluator(relations, plan, evaluation)
    if evaluation.status is EvaluationStatus.FINALISED:
        errors.add("planId", PerformanceError.EVALUATION_FINALISED)
        errors.raise_if_any()
    codes = set(await _value_codes())
    if behaviour and not codes:
        # A region onboarded by hand, without the reference data: nothing to rate against.
        errors.add("behaviour", PerformanceError.NO_BEHAVIOUR_VALUES)
    for n, item in enumerate(behaviour or []):
        if codes and item.code not in codes:
            errors.add(f"behaviour[{n}].code", PerformanceError.UNKNOWN_VALUE, value=item.code)
        if item.note is not None and len(item.note) > MAX_TEXT:
            errors.add(f"behaviour[{n}].note", CommonError.TOO_LONG, max=MAX_TEXT)
    for name, text in (
        ("feedback", feedback),
        ("resultOverrideReason", result_override_reason),
        ("behaviourOverrideReason", behaviour_override_reason),
    ):
        if text is not None and len(text) > MAX_TEXT:
            errors.add(name, CommonError.TOO_LONG, max=MAX_TEXT)
    errors.raise_if_any()

    before = _snapshot(evaluation)
    if result_rating is not None:
        evaluation.result_rating = result_rating.value
    if result_override_reason is not None:
        evaluation.result_override_reason = result_override_reason.strip() or None
    if feedback is not None:
        evaluation.feedback = feedback.strip() or None
    if behaviour_rating is not None:
        evaluation.chosen_behaviour_rating = behaviour_rating.value
    if behaviour_override_reason is not None:
        evaluation.behaviour_override_reason = behaviour_override_reason.strip() or None
    if behaviour:
        merged = dict(evaluation.behaviour_ratings)
        for item in behaviour:
            merged[item.code] = {"rating": item.rating.value, "note": (item.note or "").strip()}
        evaluation.behaviour_ratings = merged
    settings = await _performance_settings()
    await _recompute(evaluation, settings)
    _check_override(errors, evaluation)
    errors.raise_if_any()
    await evaluation.save_fields(*RATING_FIELDS)
    await record(
        actor=actor,
        action="evaluation.save",
        entity="evaluation",
        entity_id=evaluation.id,
        before=before,
        after=_snapshot(evaluation),
    )
    return evaluation


RATING_LABELS = {
    Rating.DI_ATAS_EKSPEKTASI.value: "Di Atas Ekspektasi",
    Rating.SESUAI_EKSPEKTASI.value: "Sesuai Ekspektasi",
    Rating.DI_BAWAH_EKSPEKTASI.value: "Di Bawah Ekspektasi",
}


def _check_override(errors: ErrorCollector, evaluation: Evaluation) -> None:
    """A rating against the platform's proposal needs the evaluator's reason."""
    # No data, no proposal: nothing to rate against, so the evaluator's rating stands alone.
    if (
        evaluation.result_rating is not None
        and evaluation.proposed_result_rating is not None
        and evaluation.result_rating != evaluation.proposed_result_rating
        and not evaluation.result_override_reason
    ):
        errors.add(
            "resultOverrideReason",
            PerformanceError.OVERRIDE_REASON_REQUIRED,
            proposed=RATING_LABELS.get(evaluation.proposed_result_rating or "", "belum ada"),
            rating=RATING_LABELS[evaluation.result_rating],
        )
    if (
        evaluation.chosen_behaviour_rating is not None
        and evaluation.proposed_behaviour_rating is not None
        and evaluation.chosen_behaviour_rating != evaluation.proposed_behaviour_rating
        and not evaluation.behaviour_override_reason
    ):
        errors.add(
            "behaviourOverrideReason",
            BehaviourRatingError.OVERRIDE_REASON_REQUIRED,
            proposed=RATING_LABELS[evaluation.proposed_behaviour_rating],
            rating=RATING_LABELS[evaluation.chosen_behaviour_rating],
        )


async def save_self_evaluation(
    *,
    actor: Actor,
    plan_id: int,
    checkpoint_id: int | None,
    text: str,
    result_rating: Rating | None = None,
    behaviour_rating: Rating | None = None,
    today: date | None = None,
) -> Evaluation:
    """The employee's own view, kept beside the evaluator's until the evaluation is final."""
    today = today or date.today()
    plan, relations = await visible_plan(actor, plan_id)
    require(relations, Relation.OWNER)
    errors = ErrorCollector()
    if plan.status is not PlanStatus.APPROVED:
        errors.add("planId", PerformanceError.PLAN_NOT_APPROVED)
    if not text.strip():
        errors.add("text", CommonError.REQUIRED)
    elif len(text) > MAX_TEXT:
        errors.add("text", CommonError.TOO_LONG, max=MAX_TEXT)
    await _check_timing(errors, plan, checkpoint_id, today)
    errors.raise_if_any()
    evaluation = await _evaluation_for(plan, checkpoint_id)
    if evaluation.status is not EvaluationStatus.DRAFT:
        errors.add("planId", PerformanceError.EVALUATION_FINALISED)
        errors.raise_if_any()
    evaluation.self_assessment = text.strip()
    evaluation.self_result_rating = result_rating.value if result_rating else None
    evaluation.self_behaviour_rating = behaviour_rating.value if behaviour_rating else None
    await evaluation.save_fields("self_assessment", "self_result_rating", "self_behaviour_rating")
    await record(
        actor=actor,
        action="evaluation.self",
        entity="evaluation",
        entity_id=evaluation.id,
        after={
            "result": evaluation.self_result_rating,
            "behaviour": evaluation.self_behaviour_rating,
        },
    )
    return evaluation


async def _locked_evaluation(actor: Actor, evaluation_id: int) -> tuple[Evaluation, Plan, Any]:
    evaluation = await scoped(Evaluation).filter(id=evaluation_id).select_for_update().first()
    if evaluation is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    plan, relations = await visible_plan(actor, evaluation.plan_id, field="id")
    return evaluation, plan, relations


async def finalise_evaluation(
    *,
    actor: Actor,
    evaluation_id: int,
    acknowledge_distribution: bool = False,
    decision_note: str | None = None,
    today: date | None = None,
) -> tuple[Evaluation, list[rules.DistributionProblem]]:
    """Makes the evaluation final. An annual evaluation that would leave a rated unit's
    predikat outside its distribution pattern is refused unless acknowledged; the problems
    are returned either way."""
    today = today or date.today()
    evaluation, plan, relations = await _locked_evaluation(actor, evaluation_id)
    errors = ErrorCollector()
    if evaluation.status is EvaluationStatus.FINALISED:
        errors.add("id", PerformanceError.EVALUATION_FINALISED)
        errors.raise_if_any()
    _require_evaluator(relations, plan, evaluation)
    await _check_timing(errors, plan, evaluation.checkpoint_id, today)
    settings = await _performance_settings()
    if evaluation.evidence is None:
        # Frozen from now on: later realisations never alter this evaluation.
        evaluation.evidence = await indicator_evidence(
            plan.id,
            checkpoint_id=evaluation.checkpoint_id,
            cap=Decimal(str(settings.achievement_cap)),
        )
    await _recompute(evaluation, settings)
    if evaluation.result_rating is None:
        errors.add("resultRating", PerformanceError.RATING_REQUIRED)
    codes = await _value_codes()
    missing = [c for c in codes if c not in evaluation.behaviour_ratings]
    if not codes:
        # Without values there is no behaviour rating, hence no predikat: say so instead of
        # finalising an evaluation that has none.
        errors.add("behaviour", PerformanceError.NO_BEHAVIOUR_VALUES)
    if missing:
        errors.add("behaviour", PerformanceError.RATING_REQUIRED, missing=missing)
    if not evaluation.feedback:
        errors.add("feedback", CommonError.REQUIRED)
    _check_override(errors, evaluation)
    appealed = evaluation.status is EvaluationStatus.APPEALED
    if appealed and not (decision_note or "").strip():
        errors.add("decisionNote", CommonError.REQUIRED)
    errors.raise_if_any()
    problems: list[rules.DistributionProblem] = []
    if evaluation.checkpoint_id is None:
        await evaluation.save_fields(*RATING_FIELDS)  # the unit's count must include this predikat
        problems = await problems_for_plan(plan)
        if problems and not acknowledge_distribution:
            errors.add(
                "acknowledgeDistribution",
                PerformanceError.DISTRIBUTION_PATTERN,
                problems=" ".join(p.message for p in problems),
            )
            errors.raise_if_any()

    evaluation.status = EvaluationStatus.FINALISED
    evaluation.finalised_at = _now()
    evaluation.finalised_by = actor.user_id
    evaluation.appeal_deadline = today + timedelta(days=settings.appeal_window_days)
    await evaluation.save_fields(*FINALISED_FIELDS)
    if appealed:
        await (
            scoped(Appeal)
            .filter(evaluation_id=evaluation.id)
            .update(
                status=AppealStatus.DECIDED,
                decision_note=(decision_note or "").strip(),
                decided_at=_now(),
            )
        )
    await record(
        actor=actor,
        action="evaluation.finalise",
        entity="evaluation",
        entity_id=evaluation.id,
        after={**_snapshot(evaluation), "acknowledged_problems": [p.code for p in problems]},
    )
    assert evaluation.predikat is not None  # rated above (RATING_FIELDS)
    assert evaluation.evidence is not None  # frozen above
    low = rules.is_low_performer(
        predikat_=rules.Predikat(evaluation.predikat),
        # No data at all is no indicator under the floor (nothing was measured).
        indicator_achievements=[
            Decimal(str(v["achievement"])) for v in evaluation.evidence.values()
        ]
        if evaluation.achievement is not None
        else [],
        low_predikat=list(settings.low_performer_predikat),
        indicator_floor=Decimal(str(settings.low_indicator_floor)),
    )
    await emit(
        events.EVALUATION_FINALISED,
        {
            "evaluation_id": evaluation.id,
            "plan_id": plan.id,
            "period_id": plan.period_id,
            "checkpoint_id": evaluation.checkpoint_id,
            "employee_id": plan.employee_id,
            "evaluator_id": plan.evaluator_id,
            "predikat": evaluation.predikat,
            "result_rating": evaluation.result_rating,
            "behaviour_rating": evaluation.behaviour_rating,
            "achievement": None if evaluation.achievement is None else str(evaluation.achievement),
            "low_performer": low,
            "after_appeal": appealed,
        },
    )
    return evaluation, problems


async def appeal_evaluation(
    *, actor: Actor, evaluation_id: int, reason: str, today: date | None = None
) -> Appeal:
    """The employee's keberatan, within the region's window after finalisation."""
    today = today or date.today()
    evaluation, plan, relations = await _locked_evaluation(actor, evaluation_id)
    require(relations, Relation.OWNER)
    errors = ErrorCollector()
    if evaluation.status is not EvaluationStatus.FINALISED:
        errors.add("id", PerformanceError.NOT_FINALISED)
    elif evaluation.appeal_deadline is not None and today > evaluation.appeal_deadline:
        errors.add("id", PerformanceError.APPEAL_WINDOW_CLOSED, deadline=evaluation.appeal_deadline)
    if await scoped(Appeal).filter(evaluation_id=evaluation.id).exists():
        errors.add("id", PerformanceError.APPEAL_EXISTS)
    period = await scoped(Period).get(id=plan.period_id)
    if period.status is PeriodStatus.CLOSED:
        errors.add("id", PerformanceError.PERIOD_CLOSED)
    if not reason.strip():
        errors.add("reason", CommonError.REQUIRED)
    elif len(reason) > MAX_TEXT:
        errors.add("reason", CommonError.TOO_LONG, max=MAX_TEXT)
    errors.raise_if_any()
    appeal = await Appeal.create(
        tenant_id=current_tenant_id(),
        evaluation_id=evaluation.id,
        reason=reason.strip(),
        reviewer_id=plan.evaluator_supervisor_id,
        original=_snapshot(evaluation),
    )
    evaluation.status = EvaluationStatus.APPEALED
    await evaluation.save_fields("status")
    await record(
        actor=actor,
        action="evaluation.appeal",
        entity="evaluation",
        entity_id=evaluation.id,
        after={"appeal_id": appeal.id},
    )
    await emit(
        events.EVALUATION_APPEALED,
        {
            "evaluation_id": evaluation.id,
            "appeal_id": appeal.id,
            "employee_id": plan.employee_id,
            "evaluator_id": plan.evaluator_id,
            "reviewer_id": plan.evaluator_supervisor_id,
        },
    )
    return appeal


async def evaluations_of_plans(plan_ids: list[int]) -> dict[int, list[Evaluation]]:
    grouped: dict[int, list[Evaluation]] = {p: [] for p in plan_ids}
    for e in await scoped(Evaluation).filter(plan_id__in=plan_ids).order_by("checkpoint_id"):
        grouped[e.plan_id].append(e)
    return grouped


async def my_evaluations(*, actor: Actor, period_id: int | None) -> list[Evaluation]:
    if actor.employee_id is None:
        return []
    query = scoped(Evaluation).filter(employee_id=actor.employee_id)
    if period_id is not None:
        query = query.filter(period_id=period_id)
    return await query.order_by("-period_id", "checkpoint_id")


async def appeals_of(evaluation_ids: list[int]) -> dict[int, Appeal]:
    return {
        a.evaluation_id: a for a in await scoped(Appeal).filter(evaluation_id__in=evaluation_ids)
    }
