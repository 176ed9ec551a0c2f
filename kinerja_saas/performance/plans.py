"""SKP plans: writing the work results (RHK) and indicators (IKI), the approval workflow,
revisions of an approved plan, and copying a supervisor's RHK down to their reports.

A plan is saved whole (the frontend's form), validated whole, and written set-based: a
handful of statements however many results and indicators it has."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, PermissionDenied
from kinerja_saas.org.models import Employee
from kinerja_saas.outbox.service import emit
from kinerja_saas.outbox.topics import Topic
from kinerja_saas.performance import events, queries
from kinerja_saas.performance.access import Relation, require, require_evaluator, visible_plan
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import (
    Aspect,
    Checkpoint,
    CheckpointKind,
    Indicator,
    IndicatorSource,
    Period,
    PeriodStatus,
    Plan,
    PlanResult,
    PlanRevision,
    PlanStatus,
    Realisation,
    ResultKind,
)
from kinerja_saas.performance.rules import Direction, TargetKind, periodic_target_problems
from kinerja_saas.performance.sources import check_sources, fill_plan_from_surveys
from tenants.context import current_tenant_id

MAX_RESULTS = 30
MAX_INDICATORS_PER_RESULT = 10
MAX_TEXT = 2000
MAX_UNIT_LABEL = 50
MAX_TARGET = Decimal("1e11")
WEIGHT_TOTAL = Decimal(100)
EDITABLE = (PlanStatus.DRAFT, PlanStatus.RETURNED)
# Plans are written while the year is planned or running (new hires, revisions).
WRITABLE_PERIOD = (PeriodStatus.PLANNING, PeriodStatus.ACTIVE)


@dataclass
class IndicatorData:
    text: str
    aspect: Aspect
    target: Decimal
    unit_label: str
    direction: Direction
    weight: Decimal
    id: int | None = None
    source: IndicatorSource = IndicatorSource.MANUAL
    source_unit_id: int | None = None
    source_service_id: int | None = None
    # Periodic targets: one per checkpoint of the period, in order (rules.TargetKind says how
    # they and the realisations are read); both None: the annual target at every checkpoint.
    target_kind: TargetKind | None = None
    checkpoint_targets: list[Decimal] | None = None


@dataclass
class ResultData:
    kind: ResultKind
    text: str
    indicators: list[IndicatorData] = field(default_factory=list)
    supports_result_id: int | None = None
    id: int | None = None


def _now() -> datetime:
    return datetime.now(UTC)


async def _period(period_id: int, field: str = "periodId") -> Period:
    period = await scoped(Period).get_or_none(id=period_id)
    if period is None:
        raise NotFound(CommonError.NOT_FOUND, field=field)
    return period


def _require_writable_period(errors: ErrorCollector, period: Period, field: str) -> None:
    if period.status not in WRITABLE_PERIOD:
        errors.add(field, PerformanceError.PERIOD_NOT_OPEN_FOR_PLANS, status=period.status.value)


async def _supervisors_of(employee: Employee) -> tuple[int | None, int | None]:
    """The employee's atasan langsung and that person's own supervisor."""
    if employee.supervisor_id is None:
        return None, None
    above = await scoped(Employee).get_or_none(id=employee.supervisor_id)
    return employee.supervisor_id, above.supervisor_id if above else None


# --- reading -----------------------------------------------------------------------------


async def plan_content(plan_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Results with their indicators, in order, per plan (two statements for any number)."""
    results = await scoped(PlanResult).filter(plan_id__in=plan_ids).order_by("plan_id", "position")
    indicators = await scoped(Indicator).filter(plan_id__in=plan_ids).order_by("position")
    by_result: dict[int, list[Indicator]] = {}
    for ind in indicators:
        by_result.setdefault(ind.result_id, []).append(ind)
    content: dict[int, list[dict[str, Any]]] = {pid: [] for pid in plan_ids}
    for res in results:
        content[res.plan_id].append({"result": res, "indicators": by_result.get(res.id, [])})
    return content


def _snapshot(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A plan's results and indicators as JSON, for its revision history."""
    return [
        {
            "id": c["result"].id,
            "kind": c["result"].kind.value,
            "text": c["result"].text,
            "supports_result_id": c["result"].supports_result_id,
            "indicators": [
                {
                    "id": i.id,
                    "text": i.text,
                    "aspect": i.aspect.value,
                    "target": str(i.target),
                    "unit_label": i.unit_label,
                    "direction": i.direction,
                    "weight": str(i.weight),
                    "source": i.source.value,
                    "source_unit_id": i.source_unit_id,
                    "source_service_id": i.source_service_id,
                    "target_kind": i.target_kind,
                    "checkpoint_targets": (
                        None
                        if i.checkpoint_targets is None
                        else [str(t) for t in i.checkpoint_targets]
                    ),
                }
                for i in c["indicators"]
            ],
        }
        for c in content
    ]


async def my_plan(*, actor: Actor, period_id: int) -> Plan | None:
    if actor.employee_id is None:
        return None
    return await scoped(Plan).get_or_none(period_id=period_id, employee_id=actor.employee_id)


async def get_plan(*, actor: Actor, plan_id: int) -> Plan:
    plan, _ = await visible_plan(actor, plan_id, field="id")
    return plan


# --- writing -----------------------------------------------------------------------------


def _check_text(errors: ErrorCollector, field: str, value: str, max_length: int) -> None:
    if not value.strip():
        errors.add(field, CommonError.REQUIRED)
    elif len(value) > max_length:
        errors.add(field, CommonError.TOO_LONG, max=max_length)


def _check_number(errors: ErrorCollector, field: str, value: Decimal, *, upper: Decimal) -> None:
    try:
        ok = value.is_finite() and 0 < value <= upper
    except InvalidOperation:
        ok = False
    if not ok:
        errors.add(field, CommonError.OUT_OF_RANGE, min=0, max=upper)
    elif value != value.quantize(Decimal("0.0001")):
        errors.add(field, CommonError.TOO_PRECISE, places=4)


CHECKPOINT_WORDS = {
    CheckpointKind.MONTHLY: "bulan",
    CheckpointKind.QUARTERLY: "triwulan",
    CheckpointKind.SEMESTER: "semester",
}


async def _check_periodic_targets(
    errors: ErrorCollector, period: Period, items: list[tuple[str, IndicatorData]]
) -> None:
    """Each indicator's periodic targets against the period's checkpoints and its annual
    target (rules.periodic_target_problems); a kind without targets or targets without a
    kind are refused, each under the field that is wrong."""
    periodic = [(at, ind) for at, ind in items if ind.target_kind or ind.checkpoint_targets]
    if not periodic:
        return
    checkpoints = await scoped(Checkpoint).filter(period_id=period.id).count()
    word = CHECKPOINT_WORDS[period.checkpoint_kind]
    for at, ind in periodic:
        if ind.target_kind is None:
            errors.add(f"{at}.targetKind", PerformanceError.TARGET_KIND_REQUIRED)
            continue
        if ind.target_kind is TargetKind.PER_PERIOD and ind.source is IndicatorSource.SKM_IKM:
            # An IKM is a level measured per survey, never an amount that adds up.
            errors.add(
                f"{at}.targetKind",
                PerformanceError.SOURCE_MISMATCH,
                expected="CUMULATIVE atau tanpa target per periode (IKM adalah tingkat, "
                "bukan jumlah per periode)",
            )
            continue
        if not ind.checkpoint_targets:
            errors.add(f"{at}.checkpointTargets", CommonError.REQUIRED)
            continue
        before = len(errors.errors)
        for n, value in enumerate(ind.checkpoint_targets):
            _check_number(errors, f"{at}.checkpointTargets[{n}]", value, upper=MAX_TARGET)
        if len(errors.errors) > before:
            continue
        for problem in periodic_target_problems(
            kind=ind.target_kind,
            targets=ind.checkpoint_targets,
            annual=ind.target,
            direction=ind.direction,
            checkpoints=checkpoints,
            checkpoint_word=word,
        ):
            suffix = "" if problem.index is None else f"[{problem.index}]"
            errors.add(f"{at}.checkpointTargets{suffix}", problem.code, **problem.params)


async def _validate_content(
    errors: ErrorCollector,
    plan: Plan | None,
    results: list[ResultData],
    evaluator_plan_id: Any,
    period: Period,
) -> None:
    if not results:
        errors.add("results", CommonError.REQUIRED)
    if len(results) > MAX_RESULTS:
        errors.add("results", CommonError.TOO_MANY, max=MAX_RESULTS)
    own_results: set[int] = set()
    own_indicators: set[int] = set()
    if plan is not None:
        own_results = set(
            cast(
                "list[int]",
                await scoped(PlanResult).filter(plan_id=plan.id).values_list("id", flat=True),
            )
        )
        own_indicators = set(
            cast(
                "list[int]",
                await scoped(Indicator).filter(plan_id=plan.id).values_list("id", flat=True),
            )
        )
    supported = {r.supports_result_id for r in results if r.supports_result_id is not None}
    supportable: set[int] = set()
    if supported and evaluator_plan_id is not None:
        supportable = set(
            cast(
                "list[int]",
                await scoped(PlanResult)
                .filter(plan_id=evaluator_plan_id, id__in=supported)
                .values_list("id", flat=True),
            )
        )
    seen_results: set[int] = set()
    seen_indicators: set[int] = set()
    for r_no, result in enumerate(results):
        base = f"results[{r_no}]"
        if result.id is not None and (result.id not in own_results or result.id in seen_results):
            errors.add(f"{base}.id", CommonError.NOT_FOUND)
        seen_results.add(result.id or 0)
        _check_text(errors, f"{base}.text", result.text, MAX_TEXT)
        if result.supports_result_id is not None and result.supports_result_id not in supportable:
            errors.add(f"{base}.supportsResultId", CommonError.NOT_FOUND)
        if not result.indicators:
            errors.add(f"{base}.indicators", CommonError.REQUIRED)
        if len(result.indicators) > MAX_INDICATORS_PER_RESULT:
            errors.add(f"{base}.indicators", CommonError.TOO_MANY, max=MAX_INDICATORS_PER_RESULT)
        for i_no, ind in enumerate(result.indicators):
            at = f"{base}.indicators[{i_no}]"
            if ind.id is not None and (ind.id not in own_indicators or ind.id in seen_indicators):
                errors.add(f"{at}.id", CommonError.NOT_FOUND)
            seen_indicators.add(ind.id or 0)
            _check_text(errors, f"{at}.text", ind.text, MAX_TEXT)
            _check_text(errors, f"{at}.unit", ind.unit_label, MAX_UNIT_LABEL)
            _check_number(errors, f"{at}.target", ind.target, upper=MAX_TARGET)
            _check_number(errors, f"{at}.weight", ind.weight, upper=WEIGHT_TOTAL)
    located = [
        (f"results[{r_no}].indicators[{i_no}]", ind)
        for r_no, result in enumerate(results)
        for i_no, ind in enumerate(result.indicators)
    ]
    await check_sources(errors, located)
    await _check_periodic_targets(errors, period, located)
    dropped = own_indicators - seen_indicators
    if dropped:
        with_values = await scoped(Realisation).filter(indicator_id__in=dropped).exists()
        if with_values:
            errors.add("results", PerformanceError.HAS_REALISATIONS)


async def save_plan(*, actor: Actor, period_id: int, results: list[ResultData]) -> Plan:
    """Creates or replaces the content of the actor's own plan while it is a draft (or
    returned). Ids of existing results and indicators keep them (and their realisations and
    dialog); those left out are deleted; those without an id are added."""
    if actor.employee_id is None:
        raise PermissionDenied(CommonError.FORBIDDEN)
    tenant_id = current_tenant_id()
    period = await _period(period_id)
    employee = await scoped(Employee).get(id=actor.employee_id)
    plan = (
        await scoped(Plan)
        .filter(period_id=period_id, employee_id=employee.id)
        .select_for_update()
        .first()
    )
    errors = ErrorCollector()
    _require_writable_period(errors, period, "periodId")
    if plan is not None and plan.status not in EDITABLE:
        errors.add(
            "periodId",
            PerformanceError.PLAN_LOCKED,
            status=plan.status.value,
        )
    evaluator_id, evaluator_supervisor_id = await _supervisors_of(employee)
    evaluator_plan_id = None
    if evaluator_id is not None:
        evaluator_plan_id = (
            await scoped(Plan)
            .filter(period_id=period_id, employee_id=evaluator_id)
            .first()
            .values_list("id", flat=True)
        )
    await _validate_content(errors, plan, results, evaluator_plan_id, period)
    errors.raise_if_any()

    created = plan is None
    if plan is None:
        plan = await Plan.create(
            tenant_id=tenant_id,
            period_id=period_id,
            employee_id=employee.id,
            unit_id=employee.unit_id,
            evaluator_id=evaluator_id,
            evaluator_supervisor_id=evaluator_supervisor_id,
        )
    else:
        # Drafts follow the organisation: the evaluator is whoever supervises now.
        plan.unit_id = employee.unit_id
        plan.evaluator_id = evaluator_id
        plan.evaluator_supervisor_id = evaluator_supervisor_id
        await plan.save_fields("unit_id", "evaluator_id", "evaluator_supervisor_id")
    await queries.write_plan_content(plan.id, results)
    await record(
        actor=actor,
        action="plan.create" if created else "plan.update",
        entity="plan",
        entity_id=plan.id,
        after={"results": len(results), "indicators": sum(len(r.indicators) for r in results)},
    )
    return plan


# --- workflow ----------------------------------------------------------------------------


async def _plan_in_period(plan: Plan) -> Period:
    return await scoped(Period).get(id=plan.period_id)


weight_totals = queries.weight_totals


def _invalid_status(plan: Plan, target: PlanStatus) -> None:
    errors = ErrorCollector()
    errors.add(
        "id", PerformanceError.INVALID_TRANSITION, current=plan.status.value, target=target.value
    )
    errors.raise_if_any()


async def submit_plan(*, actor: Actor, plan_id: int) -> Plan:
    plan, relations = await visible_plan(actor, plan_id, field="id", lock=True)
    require(relations, Relation.OWNER)
    if plan.status not in EDITABLE:
        _invalid_status(plan, PlanStatus.SUBMITTED)
    errors = ErrorCollector()
    _require_writable_period(errors, await _plan_in_period(plan), "id")
    content = (await plan_content([plan.id]))[plan.id]
    if not any(c["result"].kind is ResultKind.UTAMA for c in content):
        errors.add("results", PerformanceError.MAIN_RESULT_REQUIRED)
    total = (await weight_totals([plan.id]))[plan.id]
    if total != WEIGHT_TOTAL:
        errors.add("results", PerformanceError.WEIGHTS_NOT_100, total=total)
    errors.raise_if_any()
    plan.status = PlanStatus.SUBMITTED
    plan.submitted_at = _now()
    plan.return_reason = None
    await plan.save_fields("status", "submitted_at", "return_reason")
    await _transition(actor, plan, "plan.submit", events.PLAN_SUBMITTED)
    return plan


async def approve_plan(*, actor: Actor, plan_id: int) -> Plan:
    plan, relations = await visible_plan(actor, plan_id, field="id", lock=True)
    require_evaluator(relations, plan)
    if plan.status is not PlanStatus.SUBMITTED:
        _invalid_status(plan, PlanStatus.APPROVED)
    plan.status = PlanStatus.APPROVED
    plan.approved_at = _now()
    await plan.save_fields("status", "approved_at")
    await _transition(actor, plan, "plan.approve", events.PLAN_APPROVED)
    # Survey-fed indicators get the results already aggregated now, not at the next run.
    await fill_plan_from_surveys(plan_id=plan.id)
    return plan


async def return_plan(*, actor: Actor, plan_id: int, reason: str) -> Plan:
    plan, relations = await visible_plan(actor, plan_id, field="id", lock=True)
    require_evaluator(relations, plan)
    if plan.status is not PlanStatus.SUBMITTED:
        _invalid_status(plan, PlanStatus.RETURNED)
    errors = ErrorCollector()
    _check_text(errors, "reason", reason, MAX_TEXT)
    errors.raise_if_any()
    plan.status = PlanStatus.RETURNED
    plan.return_reason = reason.strip()
    await plan.save_fields("status", "return_reason")
    await _transition(actor, plan, "plan.return", events.PLAN_RETURNED, reason=plan.return_reason)
    return plan


async def revise_plan(*, actor: Actor, plan_id: int, reason: str) -> Plan:
    """Reopens an approved plan as a draft; its approved content is kept as a revision."""
    plan, relations = await visible_plan(actor, plan_id, field="id", lock=True)
    require(relations, Relation.OWNER, Relation.EVALUATOR)
    if plan.status is not PlanStatus.APPROVED:
        _invalid_status(plan, PlanStatus.DRAFT)
    errors = ErrorCollector()
    _check_text(errors, "reason", reason, MAX_TEXT)
    _require_writable_period(errors, await _plan_in_period(plan), "id")
    errors.raise_if_any()
    content = (await plan_content([plan.id]))[plan.id]
    plan.revision += 1
    await PlanRevision.create(
        tenant_id=plan.tenant_id,
        plan_id=plan.id,
        revision=plan.revision,
        reason=reason.strip(),
        content=_snapshot(content),
        created_by=actor.user_id,
    )
    plan.status = PlanStatus.DRAFT
    plan.approved_at = None
    await plan.save_fields("status", "approved_at", "revision")
    # No event: nobody is told of a revision (the plan goes back to DRAFT, then SUBMITTED).
    await _transition(actor, plan, "plan.revise", None, reason=reason)
    return plan


async def _transition(
    actor: Actor, plan: Plan, action: str, topic: Topic[Any] | None, **extra: Any
) -> None:
    await record(
        actor=actor,
        action=action,
        entity="plan",
        entity_id=plan.id,
        after={"status": plan.status.value, **extra},
    )
    if topic is None:
        return
    await emit(
        topic,
        {
            "plan_id": plan.id,
            "period_id": plan.period_id,
            "employee_id": plan.employee_id,
            "evaluator_id": plan.evaluator_id,
            "status": plan.status.value,
            **extra,
        },
    )


async def revisions_of(plan_ids: list[int]) -> dict[int, list[PlanRevision]]:
    grouped: dict[int, list[PlanRevision]] = {pid: [] for pid in plan_ids}
    for rev in await scoped(PlanRevision).filter(plan_id__in=plan_ids).order_by("revision"):
        grouped[rev.plan_id].append(rev)
    return grouped


# --- cascading ---------------------------------------------------------------------------


async def copy_results_down(
    *, actor: Actor, result_ids: list[int], employee_ids: list[int]
) -> list[Plan]:
    """Copies the actor's own work results, with their indicators, into the draft plans of
    direct reports (creating the plans), each linked to the result it supports. A result
    already copied into a plan is not copied again. Set-based: the same few statements for
    one report or three hundred."""
    if actor.employee_id is None:
        raise PermissionDenied(CommonError.FORBIDDEN)
    errors = ErrorCollector()
    if not result_ids:
        errors.add("resultIds", CommonError.REQUIRED)
    if not employee_ids:
        errors.add("employeeIds", CommonError.REQUIRED)
    errors.raise_if_any()
    sources = await scoped(PlanResult).filter(id__in=result_ids)
    source_plans = {
        p.id: p
        for p in await scoped(Plan).filter(
            id__in={s.plan_id for s in sources}, employee_id=actor.employee_id
        )
    }
    if len(sources) != len(set(result_ids)) or any(s.plan_id not in source_plans for s in sources):
        errors.add("resultIds", CommonError.NOT_FOUND)
    elif len(source_plans) != 1:
        errors.add("resultIds", PerformanceError.MIXED_PERIODS)
    errors.raise_if_any()
    period = await _period(next(iter(source_plans.values())).period_id, "resultIds")
    _require_writable_period(errors, period, "resultIds")
    reports = await scoped(Employee).filter(
        id__in=employee_ids, supervisor_id=actor.employee_id, is_active=True
    )
    missing = set(employee_ids) - {e.id for e in reports}
    if missing:
        errors.add(
            "employeeIds",
            PerformanceError.NOT_A_REPORT,
            employees=[str(e) for e in sorted(missing)],
        )
    locked = (
        await scoped(Plan)
        .filter(
            period_id=period.id,
            employee_id__in=employee_ids,
            status__not_in=list(EDITABLE),
        )
        .values_list("employee_id", flat=True)
    )
    if locked:
        errors.add(
            "employeeIds",
            PerformanceError.PLAN_LOCKED,
            status="SUBMITTED/APPROVED",
            employees=[str(e) for e in sorted(locked)],
        )
    errors.raise_if_any()

    my_supervisor = cast(
        "int | None",
        await scoped(Employee)
        .filter(id=actor.employee_id)
        .first()
        .values_list("supervisor_id", flat=True),
    )
    await queries.copy_results_into_reports(
        period_id=period.id,
        supervisor_id=actor.employee_id,
        supervisor_of_supervisor=my_supervisor,
        employee_ids=employee_ids,
        result_ids=result_ids,
    )
    await record(
        actor=actor,
        action="plan.copy_down",
        entity="plan",
        entity_id=next(iter(source_plans)),
        after={"result_ids": sorted(result_ids), "employee_ids": sorted(employee_ids)},
    )
    return (
        await scoped(Plan)
        .filter(period_id=period.id, employee_id__in=employee_ids)
        .order_by("employee_id")
    )
