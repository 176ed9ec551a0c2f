"""Realisations: what each indicator reached as of a checkpoint, with evidence (bukti
dukung), verified or rejected by the evaluator. An entry after the checkpoint's deadline is
kept and flagged late, never refused for lateness alone.

A realisation is the indicator's value as of the checkpoint (the count reached so far,
or the current level of a rate), so the latest one is the year's value; for an indicator
with PER_PERIOD targets it is that period's amount alone, and the year's value is their sum
(rules.TargetKind)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.outbox.service import emit
from kinerja_saas.performance import events, queries
from kinerja_saas.performance.access import Relation, require, require_evaluator, visible_plan
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import (
    Checkpoint,
    Evaluation,
    EvaluationStatus,
    Indicator,
    IndicatorSource,
    Period,
    PeriodStatus,
    PlanStatus,
    Realisation,
    RealisationStatus,
)

MAX_NOTE = 2000
MAX_EVIDENCE = 10
MAX_URL = 2000
MAX_LABEL = 200
MAX_VALUE = Decimal("1e11")
# Realisations are entered while the year runs and while it is evaluated.
OPEN_FOR_REALISATIONS = (PeriodStatus.ACTIVE, PeriodStatus.EVALUATING)


@dataclass(frozen=True)
class Evidence:
    url: str
    label: str | None = None


def _check_evidence(errors: ErrorCollector, evidence: list[Evidence]) -> None:
    if len(evidence) > MAX_EVIDENCE:
        errors.add("evidence", CommonError.TOO_MANY, max=MAX_EVIDENCE)
    for n, item in enumerate(evidence):
        parts = urlsplit(item.url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors.add(f"evidence[{n}].url", PerformanceError.INVALID_URL)
        elif len(item.url) > MAX_URL:
            errors.add(f"evidence[{n}].url", CommonError.TOO_LONG, max=MAX_URL)
        if item.label is not None and len(item.label) > MAX_LABEL:
            errors.add(f"evidence[{n}].label", CommonError.TOO_LONG, max=MAX_LABEL)


def _check_value(errors: ErrorCollector, value: Decimal) -> None:
    try:
        ok = value.is_finite() and 0 <= value <= MAX_VALUE
    except InvalidOperation:
        ok = False
    if not ok:
        errors.add("value", CommonError.OUT_OF_RANGE, min=0, max=MAX_VALUE)
    elif value != value.quantize(Decimal("0.0001")):
        errors.add("value", CommonError.TOO_PRECISE, places=4)


async def record_realisation(
    *,
    actor: Actor,
    indicator_id: int,
    checkpoint_id: int,
    value: Decimal,
    note: str | None,
    evidence: list[Evidence],
    today: date | None = None,
) -> Realisation:
    """Enters or corrects the employee's realisation of one indicator at one checkpoint.
    A correction goes back to the evaluator for verification."""
    today = today or date.today()
    indicator = await scoped(Indicator).get_or_none(id=indicator_id)
    if indicator is None:
        raise NotFound(CommonError.NOT_FOUND, field="indicatorId")
    plan, relations = await visible_plan(actor, indicator.plan_id, field="indicatorId")
    require(relations, Relation.OWNER)
    errors = ErrorCollector()
    if indicator.source is not IndicatorSource.MANUAL:
        errors.add("indicatorId", PerformanceError.SOURCED_INDICATOR, source=indicator.source.value)
    checkpoint = await scoped(Checkpoint).get_or_none(id=checkpoint_id)
    if checkpoint is None or checkpoint.period_id != plan.period_id:
        errors.add("checkpointId", PerformanceError.NOT_IN_PERIOD)
    else:
        period = await scoped(Period).get(id=plan.period_id)
        if period.status is PeriodStatus.CLOSED:
            errors.add("checkpointId", PerformanceError.PERIOD_CLOSED)
        elif period.status not in OPEN_FOR_REALISATIONS:
            errors.add("checkpointId", PerformanceError.PERIOD_NOT_ACTIVE)
        if checkpoint.starts_on > today:
            errors.add("checkpointId", PerformanceError.NOT_STARTED, checkpoint=checkpoint.label)
        if (
            await scoped(Evaluation)
            .filter(
                plan_id=plan.id,
                checkpoint_id=checkpoint.id,
                status=EvaluationStatus.FINALISED,
            )
            .exists()
        ):
            errors.add(
                "checkpointId",
                PerformanceError.EVALUATION_FINALISED,
                checkpoint=checkpoint.label,
            )
    if plan.status is not PlanStatus.APPROVED:
        errors.add("indicatorId", PerformanceError.PLAN_NOT_APPROVED)
    _check_value(errors, value)
    if note is not None and len(note) > MAX_NOTE:
        errors.add("note", CommonError.TOO_LONG, max=MAX_NOTE)
    _check_evidence(errors, evidence)
    errors.raise_if_any()
    assert checkpoint is not None

    late = today > checkpoint.deadline
    realisation_id = await queries.upsert_manual_realisation(
        plan.id,
        indicator.id,
        checkpoint.id,
        value,
        (note or "").strip() or None,
        _evidence_json(evidence),
        late,
    )
    realisation = await scoped(Realisation).get(id=realisation_id)
    await record(
        actor=actor,
        action="realisation.enter",
        entity="realisation",
        entity_id=realisation.id,
        after={"value": str(value), "late": late, "checkpoint_id": checkpoint.id},
    )
    return realisation


def _evidence_json(evidence: list[Evidence]) -> str:
    import orjson

    return orjson.dumps(
        [{"url": e.url.strip(), "label": (e.label or "").strip() or None} for e in evidence]
    ).decode()


async def review_realisation(
    *, actor: Actor, realisation_id: int, verified: bool, reason: str | None = None
) -> Realisation:
    """The evaluator verifies a realisation, or rejects it with a reason."""
    realisation = await scoped(Realisation).filter(id=realisation_id).select_for_update().first()
    if realisation is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    plan, relations = await visible_plan(actor, realisation.plan_id, field="id")
    require_evaluator(relations, plan)
    errors = ErrorCollector()
    if realisation.source is not IndicatorSource.MANUAL:
        errors.add("id", PerformanceError.SOURCED_REALISATION, source=realisation.source.value)
    period = await scoped(Period).get(id=plan.period_id)
    if period.status is PeriodStatus.CLOSED:
        errors.add("id", PerformanceError.PERIOD_CLOSED)
    if not verified and not (reason or "").strip():
        errors.add("reason", CommonError.REQUIRED)
    elif reason is not None and len(reason) > MAX_NOTE:
        errors.add("reason", CommonError.TOO_LONG, max=MAX_NOTE)
    errors.raise_if_any()
    realisation.status = RealisationStatus.VERIFIED if verified else RealisationStatus.REJECTED
    realisation.reject_reason = None if verified else (reason or "").strip()
    realisation.reviewed_by = actor.employee_id
    realisation.reviewed_at = datetime.now(UTC)
    await realisation.save_fields("status", "reject_reason", "reviewed_by", "reviewed_at")
    await record(
        actor=actor,
        action="realisation.verify" if verified else "realisation.reject",
        entity="realisation",
        entity_id=realisation.id,
        after={"status": realisation.status.value, "reason": realisation.reject_reason},
    )
    if not verified:
        await emit(
            events.REALISATION_REJECTED,
            {
                "realisation_id": realisation.id,
                "plan_id": plan.id,
                "employee_id": plan.employee_id,
                "indicator_id": realisation.indicator_id,
                "checkpoint_id": realisation.checkpoint_id,
                "reason": realisation.reject_reason,
            },
        )
    return realisation


async def realisations_of(indicator_ids: list[int]) -> dict[int, list[Realisation]]:
    grouped: dict[int, list[Realisation]] = {i: [] for i in indicator_ids}
    for r in (
        await scoped(Realisation).filter(indicator_id__in=indicator_ids).order_by("checkpoint_id")
    ):
        grouped[r.indicator_id].append(r)
    return grouped
