"""SKP plans, realisations and the dialog: types, queries and mutations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from kinerja_saas.performance import dialog, plans, realisations
from kinerja_saas.performance import models as m
from kinerja_saas.performance.monitoring import PlanFilter as _PlanFilter
from kinerja_saas.performance.monitoring import count_plans, list_plans
from kinerja_saas.performance.rules import Direction as _Direction
from schema.errors import UserError, optional_id, parse_id, run_mutation
from schema.org import Employee, Unit
from schema.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size

PlanStatus = strawberry.enum(m.PlanStatus, description="DRAFT → SUBMITTED → APPROVED or RETURNED")
ResultKind = strawberry.enum(m.ResultKind, description="RHK utama or tambahan")
Aspect = strawberry.enum(m.Aspect, description="Aspect an indicator (IKI) measures")
Direction = strawberry.enum(_Direction, description="Whether a higher or lower value is better")
RealisationStatus = strawberry.enum(m.RealisationStatus)
IndicatorSource = strawberry.enum(
    m.IndicatorSource,
    description="MANUAL: the employee enters realisations; SKM_IKM: the converted IKM of a "
    "unit or survey service fills them in after each survey aggregation",
)


async def _person(info: strawberry.Info, employee_id: int | None) -> Employee | None:
    """Someone reached through a plan: name and position, no contacts."""
    if employee_id is None:
        return None
    row = await info.context.loaders.employee.load(employee_id)
    return Employee.of(row, with_contact=False) if row else None


@strawberry.type(description="A piece of evidence (bukti dukung): a link to a document.")
class Evidence:
    url: str
    label: str | None


@strawberry.type(description="What an indicator reached as of a checkpoint.")
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

    @strawberry.field(description="One per checkpoint entered, in checkpoint order.")
    async def realisations(self, info: strawberry.Info) -> list[Realisation]:
        rows = await info.context.loaders.realisations.load(int(self.id))
        return [Realisation.of(r) for r in rows]


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
    evaluator_id: strawberry.ID | None = strawberry.field(description="Atasan langsung")
    evaluator_supervisor_id: strawberry.ID | None
    status: PlanStatus
    return_reason: str | None
    revision: int
    submitted_at: datetime | None
    approved_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, p: m.Plan | dict[str, Any]) -> Plan:
        get = p.get if isinstance(p, dict) else p.__getattribute__
        return cls(
            id=strawberry.ID(str(get("id"))),
            period_id=strawberry.ID(str(get("period_id"))),
            employee_id=strawberry.ID(str(get("employee_id"))),
            unit_id=strawberry.ID(str(get("unit_id"))),
            evaluator_id=optional_id(get("evaluator_id")),
            evaluator_supervisor_id=optional_id(get("evaluator_supervisor_id")),
            status=m.PlanStatus(get("status")),
            return_reason=get("return_reason"),
            revision=get("revision"),
            submitted_at=get("submitted_at"),
            approved_at=get("approved_at"),
            updated_at=get("updated_at"),
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
        description="Achievement to date (%): each indicator's latest realisation against its "
        "target, weighted; null until the plan is approved."
    )
    async def achievement(self, info: strawberry.Info) -> Decimal | None:
        if self.status is not m.PlanStatus.APPROVED:
            return None
        return await info.context.loaders.achievement_to_date.load(int(self.id))

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


from schema.evaluations import Evaluation  # noqa: E402  (mutual reference)


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


@strawberry.input
class PlanFilter:
    period_id: strawberry.ID | None = None
    unit_id: strawberry.ID | None = None
    include_subunits: bool = True
    status: PlanStatus | None = None
    predikat: str | None = strawberry.field(
        default=None, description="The year's predikat, e.g. BUTUH_PERBAIKAN"
    )
    evaluator_id: strawberry.ID | None = None


@strawberry.type
class PlanQuery:
    @strawberry.field(description="Your own plan for the period, if you have written one.")
    async def my_plan(self, info: strawberry.Info, period_id: strawberry.ID) -> Plan | None:
        actor = info.context.require_region_actor()
        plan = await plans.my_plan(actor=actor, period_id=parse_id(period_id, "periodId"))
        return Plan.of(plan) if plan else None

    @strawberry.field(description="A plan you may see: your own, your reports', or any (admin).")
    async def plan(self, info: strawberry.Info, id: strawberry.ID) -> Plan:
        actor = info.context.require_region_actor()
        return Plan.of(await plans.get_plan(actor=actor, plan_id=parse_id(id, "id")))

    @strawberry.field(
        description="Plans visible to you, by employee name: the region admin sees all, a "
        "supervisor their supervision chain, anyone else their own."
    )
    async def plans(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: PlanFilter | None = None,
    ) -> PlanConnection:
        actor = info.context.require_region_actor()
        limit = page_size(first, info.context.settings.max_page_size)
        f = filter or PlanFilter()
        flt = _PlanFilter(
            period_id=parse_id(f.period_id, "filter.periodId"),
            unit_id=parse_id(f.unit_id, "filter.unitId"),
            include_subunits=f.include_subunits,
            status=f.status.value if f.status else None,
            predikat=f.predikat,
            evaluator_id=parse_id(f.evaluator_id, "filter.evaluatorId"),
        )
        rows = await list_plans(
            actor=actor,
            flt=flt,
            limit=limit,
            after=decode_cursor(after, "plans") if after else None,
        )
        has_next = len(rows) > limit
        edges = [
            PlanEdge(cursor=encode_cursor(r["employee_name"], r["id"], "plans"), node=Plan.of(r))
            for r in rows[:limit]
        ]
        return PlanConnection(
            edges=edges, page_info=page_info(edges, has_next=has_next, after=after), filter=flt
        )


# --- mutations -------------------------------------------------------------------------------


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
        default=m.IndicatorSource.MANUAL,
        description="SKM_IKM with sourceUnitId or sourceServiceId: the realisations fill in "
        "from the surveys (aspect KUALITAS, HIGHER_IS_BETTER, target 25–100)",
    )
    source_unit_id: strawberry.ID | None = None
    source_service_id: strawberry.ID | None = None


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


@strawberry.type
class PlanPayload:
    plan: Plan | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PlansPayload:
    plans: list[Plan] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


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


@strawberry.type
class RealisationPayload:
    realisation: Realisation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DialogNoteInput:
    plan_id: strawberry.ID
    body: str
    indicator_id: strawberry.ID | None = None
    reply_to_id: strawberry.ID | None = None


@strawberry.type
class DialogNotePayload:
    note: DialogNote | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _results(items: list[WorkResultInput]) -> list[plans.ResultData]:
    return [
        plans.ResultData(
            id=parse_id(r.id, f"results[{n}].id"),
            kind=m.ResultKind(r.kind.value),
            text=r.text,
            supports_result_id=parse_id(r.supports_result_id, f"results[{n}].supportsResultId"),
            indicators=[
                plans.IndicatorData(
                    id=parse_id(i.id, f"results[{n}].indicators[{k}].id"),
                    text=i.text,
                    aspect=m.Aspect(i.aspect.value),
                    target=i.target,
                    unit_label=i.unit,
                    direction=_Direction(i.direction.value),
                    weight=i.weight,
                    source=m.IndicatorSource(i.source.value),
                    source_unit_id=parse_id(
                        i.source_unit_id, f"results[{n}].indicators[{k}].sourceUnitId"
                    ),
                    source_service_id=parse_id(
                        i.source_service_id, f"results[{n}].indicators[{k}].sourceServiceId"
                    ),
                )
                for k, i in enumerate(r.indicators)
            ],
        )
        for n, r in enumerate(items)
    ]


async def _plan_payload(body) -> PlanPayload:
    plan, errors = await run_mutation(body)
    return PlanPayload(plan=Plan.of(plan) if plan else None, errors=errors)


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
        result, errors = await run_mutation(
            lambda: plans.copy_results_down(
                actor=actor,
                result_ids=[parse_id(r, "resultIds") for r in result_ids],
                employee_ids=[parse_id(e, "employeeIds") for e in employee_ids],
            )
        )
        return PlansPayload(plans=[Plan.of(p) for p in result or []], errors=errors)

    @strawberry.mutation(description="Employee: enter or correct a realisation.")
    async def record_realisation(
        self, info: strawberry.Info, input: RecordRealisationInput
    ) -> RealisationPayload:
        actor = info.context.require_region_actor()
        realisation, errors = await run_mutation(
            lambda: realisations.record_realisation(
                actor=actor,
                indicator_id=parse_id(input.indicator_id, "indicatorId"),
                checkpoint_id=parse_id(input.checkpoint_id, "checkpointId"),
                value=input.value,
                note=input.note,
                evidence=[realisations.Evidence(e.url, e.label) for e in input.evidence],
            )
        )
        return RealisationPayload(
            realisation=Realisation.of(realisation) if realisation else None, errors=errors
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
        note, errors = await run_mutation(
            lambda: dialog.add_note(
                actor=actor,
                plan_id=parse_id(input.plan_id, "planId"),
                body=input.body,
                indicator_id=parse_id(input.indicator_id, "indicatorId"),
                reply_to_id=parse_id(input.reply_to_id, "replyToId"),
            )
        )
        return DialogNotePayload(note=DialogNote.of(note) if note else None, errors=errors)


async def _review(
    info: strawberry.Info, id: strawberry.ID, *, verified: bool, reason: str | None
) -> RealisationPayload:
    actor = info.context.require_region_actor()
    realisation, errors = await run_mutation(
        lambda: realisations.review_realisation(
            actor=actor, realisation_id=parse_id(id, "id"), verified=verified, reason=reason
        )
    )
    return RealisationPayload(
        realisation=Realisation.of(realisation) if realisation else None, errors=errors
    )
