"""Competency development: training units, programmes, batches and rules (region admin),
assignment (manual, self-enrolment, a whole period), the training officer's list and
actions, and the employee's, supervisor's and region's views (JP ledger).

Assignment lists come from one joined statement per page (people, unit, programme, batch)
served as plain attributes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

import strawberry

from kinerja_saas.errors import CommonError, ValidationFailed
from kinerja_saas.training import admin, effectiveness, participants
from kinerja_saas.training.errors import TrainingNotice
from kinerja_saas.training.models import AssignmentReason as _AssignmentReason
from kinerja_saas.training.models import AssignmentStatus as _AssignmentStatus
from kinerja_saas.training.models import CompetencyKind as _CompetencyKind
from kinerja_saas.training.models import RuleTrigger as _RuleTrigger
from kinerja_saas.training.models import TrainingBatch as BatchModel
from kinerja_saas.training.models import TrainingMode as _TrainingMode
from kinerja_saas.training.models import TrainingProgramme as ProgrammeModel
from kinerja_saas.training.models import TrainingUnit as UnitModel
from schema.catalogue import Competency, CompetencyKind, RuleTrigger, TrainingRule
from schema.errors import UserError, optional_id, parse_id, run_mutation
from schema.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size
from tenants.context import current_tenant_id

TrainingMode = strawberry.enum(_TrainingMode)
TrainingAssignmentStatus = strawberry.enum(_AssignmentStatus, name="TrainingAssignmentStatus")
TrainingAssignmentReason = strawberry.enum(_AssignmentReason, name="TrainingAssignmentReason")
_ORDER = "training-assignments"
_LEDGER = "jp-ledger"


def _id(value: int) -> strawberry.ID:
    return strawberry.ID(str(value))


def _required_id(value: strawberry.ID, field: str) -> int:
    return parse_id(value, field)  # type: ignore[return-value]


# --- types --------------------------------------------------------------------------------


@strawberry.type
class TrainingUnit:
    id: strawberry.ID
    name: str
    email: str
    is_active: bool

    @classmethod
    def of(cls, u) -> TrainingUnit:
        return cls(id=_id(u.id), name=u.name, email=u.email, is_active=u.is_active)


@strawberry.type
class TrainingProgramme:
    id: strawberry.ID
    training_unit_id: strawberry.ID
    title: str
    description: str
    mode: TrainingMode
    jp_hours: int
    capacity: int = strawberry.field(description="Seats per batch")
    competency_ids: list[strawberry.ID]
    is_open: bool = strawberry.field(description="Employees may enrol themselves")
    is_active: bool

    @classmethod
    def of(cls, p, competency_ids: list[int]) -> TrainingProgramme:
        return cls(
            id=_id(p.id),
            training_unit_id=_id(p.training_unit_id),
            title=p.title,
            description=p.description,
            mode=p.mode,
            jp_hours=p.jp_hours,
            capacity=p.capacity,
            competency_ids=[_id(c) for c in sorted(competency_ids)],
            is_open=p.is_open,
            is_active=p.is_active,
        )


@strawberry.type
class TrainingBatch:
    id: strawberry.ID
    programme_id: strawberry.ID
    name: str
    starts_on: date
    ends_on: date
    capacity: int
    confirmed_at: datetime | None
    is_cancelled: bool

    @classmethod
    def of(cls, b) -> TrainingBatch:
        return cls(
            id=_id(b.id),
            programme_id=_id(b.programme_id),
            name=b.name,
            starts_on=b.starts_on,
            ends_on=b.ends_on,
            capacity=b.capacity,
            confirmed_at=b.confirmed_at,
            is_cancelled=b.is_cancelled,
        )


@strawberry.type(description="The person to train, with their unit and contact.")
class TrainingParticipant:
    id: strawberry.ID
    nip: str
    name: str
    email: str | None
    phone: str | None
    unit_id: strawberry.ID
    unit_name: str


@strawberry.type
class TrainingProgrammeRef:
    id: strawberry.ID
    title: str
    jp_hours: int
    mode: TrainingMode
    training_unit_id: strawberry.ID


@strawberry.type
class TrainingBatchRef:
    id: strawberry.ID
    name: str
    starts_on: date
    ends_on: date


@strawberry.type
class TrainingAssignment:
    id: strawberry.ID
    status: TrainingAssignmentStatus
    reason: TrainingAssignmentReason
    reason_value: str | None = strawberry.field(
        description="The predikat, indicator aspect or BerAKHLAK value that triggered it"
    )
    predikat: str | None
    evaluation_id: strawberry.ID | None
    period_id: strawberry.ID
    waiting_position: int | None = strawberry.field(description="Set while on the waiting list")
    score: float | None
    certificate_ref: str | None
    completed_at: datetime | None
    created_at: datetime
    employee: TrainingParticipant
    programme: TrainingProgrammeRef
    batch: TrainingBatchRef | None

    @classmethod
    def of(cls, r: dict[str, Any]) -> TrainingAssignment:
        return cls(
            id=_id(r["id"]),
            status=_AssignmentStatus(r["status"]),
            reason=_AssignmentReason(r["reason"]),
            reason_value=r["reason_value"],
            predikat=r["predikat"],
            evaluation_id=optional_id(r["evaluation_id"]),
            period_id=_id(r["period_id"]),
            waiting_position=r["waiting_position"],
            score=float(r["score"]) if r["score"] is not None else None,
            certificate_ref=r["certificate_ref"],
            completed_at=r["completed_at"],
            created_at=r["created_at"],
            employee=TrainingParticipant(
                id=_id(r["employee_id"]),
                nip=r["nip"],
                name=r["employee_name"],
                email=r["email"],
                phone=r["phone"],
                unit_id=_id(r["unit_id"]),
                unit_name=r["unit_name"],
            ),
            programme=TrainingProgrammeRef(
                id=_id(r["programme_id"]),
                title=r["programme_title"],
                jp_hours=r["jp_hours"],
                mode=_TrainingMode(r["mode"]),
                training_unit_id=_id(r["training_unit_id"]),
            ),
            batch=TrainingBatchRef(
                id=_id(r["batch_id"]),
                name=r["batch_name"],
                starts_on=r["starts_on"],
                ends_on=r["ends_on"],
            )
            if r["batch_id"] is not None
            else None,
        )


@strawberry.type
class TrainingAssignmentEdge:
    cursor: str
    node: TrainingAssignment


@strawberry.type
class TrainingAssignmentConnection:
    edges: list[TrainingAssignmentEdge]
    page_info: PageInfo


@strawberry.input
class TrainingAssignmentFilter:
    programme_id: strawberry.ID | None = None
    batch_id: strawberry.ID | None = None
    status: TrainingAssignmentStatus | None = None
    period_id: strawberry.ID | None = None

    def parsed(self) -> participants.AssignmentFilter:
        return participants.AssignmentFilter(
            programme_id=parse_id(self.programme_id, "filter.programmeId"),
            batch_id=parse_id(self.batch_id, "filter.batchId"),
            status=self.status,  # type: ignore[arg-type]
            period_id=parse_id(self.period_id, "filter.periodId"),
        )


@strawberry.type(description="JP completed in a year against the region's entitlement.")
class JpLedgerLine:
    employee_id: strawberry.ID
    nip: str
    name: str
    unit_name: str
    completed_jp: int
    entitlement: int
    shortfall: int


@strawberry.type
class JpLedgerEdge:
    cursor: str
    node: JpLedgerLine


@strawberry.type
class JpLedgerConnection:
    edges: list[JpLedgerEdge]
    page_info: PageInfo


@strawberry.enum
class TrainingEffectivenessGroupBy(Enum):
    PROGRAMME = "PROGRAMME"
    UNIT = "UNIT"


@strawberry.type(description="Completed trainings of a period against the next evaluation.")
class TrainingEffect:
    id: strawberry.ID | None = strawberry.field(
        description="The programme or training unit; null for the region's total"
    )
    name: str
    completed: int
    followed_up: int = strawberry.field(description="With an evaluation finalised afterwards")
    improved: int = strawberry.field(description="Predikat better than the triggering one")
    unchanged: int
    worsened: int
    improvement_rate: float | None = strawberry.field(description="improved / followedUp, %")
    achievement_delta: float | None = strawberry.field(
        description="Mean change of achievement, percentage points"
    )

    @classmethod
    def of(cls, g: effectiveness.Group) -> TrainingEffect:
        e = g.effect
        rate = e.improvement_rate
        return cls(
            id=optional_id(g.id),
            name=g.name,
            completed=e.completed,
            followed_up=e.followed_up,
            improved=e.improved,
            unchanged=e.unchanged,
            worsened=e.worsened,
            improvement_rate=float(rate) if rate is not None else None,
            achievement_delta=float(e.achievement_delta)
            if e.achievement_delta is not None
            else None,
        )


def _connection(rows: list[dict], limit: int, after: str | None) -> TrainingAssignmentConnection:
    edges = [
        TrainingAssignmentEdge(
            cursor=encode_cursor(None, r["id"], _ORDER), node=TrainingAssignment.of(r)
        )
        for r in rows[:limit]
    ]
    return TrainingAssignmentConnection(
        edges=edges, page_info=page_info(edges, has_next=len(rows) > limit, after=after)
    )


def _page(info: strawberry.Info, first: int | None, after: str | None, order: str):
    limit = page_size(first, info.context.settings.max_page_size)
    return limit, decode_cursor(after, order)[1] if after else None


async def _filtered_page(
    info: strawberry.Info,
    fetch,
    filter: TrainingAssignmentFilter | None,
    first: int | None,
    after: str | None,
) -> TrainingAssignmentConnection:
    """A page of a filtered assignment list; `fetch` (a participants function) scopes it."""
    actor = info.context.require_region_actor()
    limit, after_id = _page(info, first, after, _ORDER)
    rows = await fetch(
        actor=actor,
        filter=(filter or TrainingAssignmentFilter()).parsed(),
        limit=limit,
        after_id=after_id,
    )
    return _connection(rows, limit, after)


# --- queries ------------------------------------------------------------------------------


@strawberry.type
class TrainingQuery:
    @strawberry.field(description="The region's training units.")
    async def training_units(self, info: strawberry.Info) -> list[TrainingUnit]:
        info.context.require_region_actor()
        rows = await UnitModel.filter(tenant_id=current_tenant_id()).order_by("name")
        return [TrainingUnit.of(u) for u in rows]

    @strawberry.field(description="Training programmes; `openOnly` those open for enrolment.")
    async def training_programmes(
        self, info: strawberry.Info, open_only: bool = False
    ) -> list[TrainingProgramme]:
        info.context.require_region_actor()
        query = ProgrammeModel.filter(tenant_id=current_tenant_id())
        if open_only:
            query = query.filter(is_open=True, is_active=True)
        rows = await query.order_by("title")
        comps = await admin.programme_competencies([p.id for p in rows])
        return [TrainingProgramme.of(p, comps.get(p.id, [])) for p in rows]

    @strawberry.field(description="A programme's batches in date order.")
    async def training_batches(
        self, info: strawberry.Info, programme_id: strawberry.ID
    ) -> list[TrainingBatch]:
        info.context.require_region_actor()
        rows = await BatchModel.filter(
            tenant_id=current_tenant_id(), programme_id=_required_id(programme_id, "programmeId")
        ).order_by("starts_on", "id")
        return [TrainingBatch.of(b) for b in rows]

    @strawberry.field(description="Training officer: their unit's assignments, newest first.")
    async def training_assignments(
        self,
        info: strawberry.Info,
        filter: TrainingAssignmentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TrainingAssignmentConnection:
        return await _filtered_page(info, participants.unit_assignments, filter, first, after)

    @strawberry.field(description="The logged-in employee's trainings, newest first.")
    async def my_trainings(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> TrainingAssignmentConnection:
        actor = info.context.require_region_actor()
        limit, after_id = _page(info, first, after, _ORDER)
        rows = await participants.my_trainings(actor=actor, limit=limit, after_id=after_id)
        return _connection(rows, limit, after)

    @strawberry.field(description="A supervisor's direct reports' trainings (admin: all).")
    async def team_trainings(
        self,
        info: strawberry.Info,
        filter: TrainingAssignmentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TrainingAssignmentConnection:
        return await _filtered_page(info, participants.team_trainings, filter, first, after)

    @strawberry.field(description="Region admin: JP completed per employee in a year.")
    async def jp_ledger(
        self,
        info: strawberry.Info,
        year: int,
        below_entitlement: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> JpLedgerConnection:
        actor = info.context.require_region_actor()
        limit, after_id = _page(info, first, after, _LEDGER)
        lines = await participants.jp_ledger(
            actor=actor, year=year, below_only=below_entitlement, limit=limit, after_id=after_id
        )
        edges = [
            JpLedgerEdge(
                cursor=encode_cursor(None, line.employee_id, _LEDGER),
                node=JpLedgerLine(
                    employee_id=_id(line.employee_id),
                    nip=line.nip,
                    name=line.name,
                    unit_name=line.unit_name,
                    completed_jp=line.completed_jp,
                    entitlement=line.entitlement,
                    shortfall=line.shortfall,
                ),
            )
            for line in lines[:limit]
        ]
        return JpLedgerConnection(
            edges=edges, page_info=page_info(edges, has_next=len(lines) > limit, after=after)
        )

    @strawberry.field(
        description="Region admin: per programme or training unit (then the region's total), "
        "how the predikat and achievement of a period's completed trainings changed at the "
        "next evaluation."
    )
    async def training_effectiveness(
        self,
        info: strawberry.Info,
        period_id: strawberry.ID,
        group_by: TrainingEffectivenessGroupBy = TrainingEffectivenessGroupBy.PROGRAMME,
    ) -> list[TrainingEffect]:
        actor = info.context.require_region_actor()
        groups = await effectiveness.effectiveness(
            actor=actor,
            period_id=_required_id(period_id, "periodId"),
            group_by=effectiveness.GroupBy(group_by.value),
        )
        return [TrainingEffect.of(g) for g in groups]


# --- mutations ----------------------------------------------------------------------------


@strawberry.input
class TrainingProgrammeInput:
    training_unit_id: strawberry.ID
    title: str
    mode: TrainingMode
    jp_hours: int
    capacity: int
    competency_ids: list[strawberry.ID]
    description: str = ""
    is_open: bool = False
    is_active: bool = True

    def parsed(self) -> admin.ProgrammeData:
        return admin.ProgrammeData(
            training_unit_id=_required_id(self.training_unit_id, "trainingUnitId"),
            title=self.title,
            mode=_TrainingMode(self.mode.value),
            jp_hours=self.jp_hours,
            capacity=self.capacity,
            competency_ids=[_required_id(c, "competencyIds") for c in self.competency_ids],
            description=self.description,
            is_open=self.is_open,
            is_active=self.is_active,
        )


@strawberry.input
class TrainingRuleInput:
    trigger: RuleTrigger
    trigger_value: str
    competency_id: strawberry.ID
    programme_id: strawberry.ID | None = None
    priority: int = 100
    is_active: bool = True


@strawberry.type
class CompetencyPayload:
    competency: Competency | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TrainingUnitPayload:
    training_unit: TrainingUnit | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TrainingProgrammePayload:
    programme: TrainingProgramme | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TrainingBatchPayload:
    batch: TrainingBatch | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TrainingRulePayload:
    rule: TrainingRule | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OkPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TrainingAssignmentPayload:
    assignment: TrainingAssignment | None = None
    waiting_list: bool = strawberry.field(
        default=False, description="No batch had room: the person is on the waiting list"
    )
    message: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TrainingAssignmentsPayload:
    assignments: list[TrainingAssignment] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _assignment_rows(ids: list[int]) -> list[TrainingAssignment]:
    from tortoise import connections

    rows = await connections.get("default").execute_query_dict(
        participants.ROW + " AND a.id = ANY($2::bigint[]) ORDER BY a.id",
        [current_tenant_id(), ids],
    )
    return [TrainingAssignment.of(r) for r in rows]


async def _placed_payload(body) -> TrainingAssignmentPayload:
    placed, errors = await run_mutation(body)
    if errors:
        return TrainingAssignmentPayload(errors=errors)
    (node,) = await _assignment_rows([placed.assignment.id])
    return TrainingAssignmentPayload(
        assignment=node,
        waiting_list=placed.waiting,
        message=(
            TrainingNotice.WAITING_LIST.render(position=placed.assignment.waiting_position)
            if placed.waiting
            else None
        ),
    )


async def _row_payload(body) -> TrainingAssignmentPayload:
    row, errors = await run_mutation(body)
    if errors:
        return TrainingAssignmentPayload(errors=errors)
    (node,) = await _assignment_rows([row.id])
    return TrainingAssignmentPayload(assignment=node)


async def _batch_payload(body) -> TrainingBatchPayload:
    batch, errors = await run_mutation(body)
    return TrainingBatchPayload(batch=TrainingBatch.of(batch) if batch else None, errors=errors)


async def _ok_payload(body) -> OkPayload:
    """For a body that returns nothing: ok is true once it has run without errors."""

    async def done() -> bool:
        await body()
        return True

    ok, errors = await run_mutation(done)
    return OkPayload(ok=bool(ok), errors=errors)


def _score(value: float | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationFailed.one("score", CommonError.INVALID) from exc


@strawberry.type
class TrainingMutation:
    @strawberry.mutation(description="Region admin: creates (no id) or updates a competency.")
    async def save_competency(
        self,
        info: strawberry.Info,
        code: str,
        name: str,
        kind: CompetencyKind,
        id: strawberry.ID | None = None,
        is_active: bool = True,
    ) -> CompetencyPayload:
        actor = info.context.require_region_actor()
        competency, errors = await run_mutation(
            lambda: admin.save_competency(
                actor=actor,
                competency_id=parse_id(id, "id"),
                code=code,
                name=name,
                kind=_CompetencyKind(kind.value),
                is_active=is_active,
            )
        )
        return CompetencyPayload(
            competency=Competency.of(competency) if competency else None, errors=errors
        )

    @strawberry.mutation(description="Region admin: creates (no id) or updates a training unit.")
    async def save_training_unit(
        self,
        info: strawberry.Info,
        name: str,
        email: str,
        id: strawberry.ID | None = None,
        is_active: bool = True,
    ) -> TrainingUnitPayload:
        actor = info.context.require_region_actor()
        unit, errors = await run_mutation(
            lambda: admin.save_unit(
                actor=actor, unit_id=parse_id(id, "id"), name=name, email=email, is_active=is_active
            )
        )
        return TrainingUnitPayload(
            training_unit=TrainingUnit.of(unit) if unit else None, errors=errors
        )

    @strawberry.mutation(description="Region admin: a TRAINING_OFFICER login's unit (null: none).")
    async def set_training_officer(
        self,
        info: strawberry.Info,
        user_id: strawberry.ID,
        training_unit_id: strawberry.ID | None = None,
    ) -> OkPayload:
        actor = info.context.require_region_actor()
        return await _ok_payload(
            lambda: admin.set_officer(
                actor=actor,
                user_id=_required_id(user_id, "userId"),
                training_unit_id=parse_id(training_unit_id, "trainingUnitId"),
            )
        )

    @strawberry.mutation(
        description="Region admin: ties a webhook endpoint to a training unit (null: the "
        "region's again); it then receives only that unit's events."
    )
    async def set_webhook_endpoint_training_unit(
        self,
        info: strawberry.Info,
        endpoint_id: strawberry.ID,
        training_unit_id: strawberry.ID | None = None,
    ) -> OkPayload:
        actor = info.context.require_region_actor()
        return await _ok_payload(
            lambda: admin.set_webhook_unit(
                actor=actor,
                endpoint_id=_required_id(endpoint_id, "endpointId"),
                training_unit_id=parse_id(training_unit_id, "trainingUnitId"),
            )
        )

    @strawberry.mutation(description="Region admin: creates (no id) or updates a programme.")
    async def save_training_programme(
        self, info: strawberry.Info, input: TrainingProgrammeInput, id: strawberry.ID | None = None
    ) -> TrainingProgrammePayload:
        actor = info.context.require_region_actor()
        programme, errors = await run_mutation(
            # data before the id: a bad input field is reported first, as before
            lambda: admin.save_programme(
                actor=actor, data=input.parsed(), programme_id=parse_id(id, "id")
            )
        )
        if errors:
            return TrainingProgrammePayload(errors=errors)
        comps = await admin.programme_competencies([programme.id])
        return TrainingProgrammePayload(
            programme=TrainingProgramme.of(programme, comps.get(programme.id, []))
        )

    @strawberry.mutation(description="Region admin: a batch (angkatan) of a programme.")
    async def create_training_batch(
        self,
        info: strawberry.Info,
        programme_id: strawberry.ID,
        name: str,
        starts_on: date,
        ends_on: date,
        capacity: int | None = None,
    ) -> TrainingBatchPayload:
        actor = info.context.require_region_actor()
        return await _batch_payload(
            lambda: admin.create_batch(
                actor=actor,
                programme_id=_required_id(programme_id, "programmeId"),
                name=name,
                starts_on=starts_on,
                ends_on=ends_on,
                capacity=capacity,
            )
        )

    @strawberry.mutation(description="Region admin: creates (no id) or updates a training rule.")
    async def save_training_rule(
        self, info: strawberry.Info, input: TrainingRuleInput, id: strawberry.ID | None = None
    ) -> TrainingRulePayload:
        actor = info.context.require_region_actor()
        rule, errors = await run_mutation(
            lambda: admin.save_rule(
                actor=actor,
                rule_id=parse_id(id, "id"),
                trigger=_RuleTrigger(input.trigger.value),
                trigger_value=input.trigger_value,
                competency_id=_required_id(input.competency_id, "competencyId"),
                programme_id=parse_id(input.programme_id, "programmeId"),
                priority=input.priority,
                is_active=input.is_active,
            )
        )
        return TrainingRulePayload(rule=TrainingRule.of(rule) if rule else None, errors=errors)

    @strawberry.mutation(
        description="Region admin (anyone) or supervisor (direct reports): assigns a programme."
    )
    async def assign_training(
        self,
        info: strawberry.Info,
        employee_id: strawberry.ID,
        programme_id: strawberry.ID,
        period_id: strawberry.ID,
    ) -> TrainingAssignmentPayload:
        actor = info.context.require_region_actor()
        return await _placed_payload(
            lambda: participants.assign_manually(
                actor=actor,
                employee_id=_required_id(employee_id, "employeeId"),
                programme_id=_required_id(programme_id, "programmeId"),
                period_id=_required_id(period_id, "periodId"),
            )
        )

    @strawberry.mutation(
        description="Employee: enrols in an open programme (a full one: the waiting list)."
    )
    async def enrol_in_training(
        self, info: strawberry.Info, programme_id: strawberry.ID, period_id: strawberry.ID
    ) -> TrainingAssignmentPayload:
        actor = info.context.require_region_actor()
        return await _placed_payload(
            lambda: participants.enrol(
                actor=actor,
                programme_id=_required_id(programme_id, "programmeId"),
                period_id=_required_id(period_id, "periodId"),
            )
        )

    @strawberry.mutation(
        description="Region admin: queues the automatic assignment of a period's finalised "
        "evaluations (of an org unit with its sub-units when given)."
    )
    async def assign_training_for_period(
        self, info: strawberry.Info, period_id: strawberry.ID, unit_id: strawberry.ID | None = None
    ) -> OkPayload:
        actor = info.context.require_region_actor()
        return await _ok_payload(
            lambda: admin.request_assignment(
                actor=actor,
                period_id=_required_id(period_id, "periodId"),
                unit_id=parse_id(unit_id, "unitId"),
            )
        )

    @strawberry.mutation(description="Training officer: confirms a batch of their unit.")
    async def confirm_training_batch(
        self, info: strawberry.Info, batch_id: strawberry.ID
    ) -> TrainingBatchPayload:
        actor = info.context.require_region_actor()
        return await _batch_payload(
            lambda: participants.confirm_batch(
                actor=actor, batch_id=_required_id(batch_id, "batchId")
            )
        )

    @strawberry.mutation(description="Training officer: these participants attended.")
    async def record_training_attendance(
        self, info: strawberry.Info, assignment_ids: list[strawberry.ID]
    ) -> TrainingAssignmentsPayload:
        actor = info.context.require_region_actor()
        rows, errors = await run_mutation(
            lambda: participants.record_attendance(
                actor=actor,
                assignment_ids=[_required_id(i, "assignmentIds") for i in assignment_ids],
            )
        )
        if errors:
            return TrainingAssignmentsPayload(errors=errors)
        return TrainingAssignmentsPayload(assignments=await _assignment_rows([r.id for r in rows]))

    @strawberry.mutation(description="Training officer: completed, with score and certificate.")
    async def complete_training(
        self,
        info: strawberry.Info,
        assignment_id: strawberry.ID,
        score: float | None = None,
        certificate_ref: str | None = None,
    ) -> TrainingAssignmentPayload:
        actor = info.context.require_region_actor()
        return await _row_payload(
            lambda: participants.complete(
                actor=actor,
                assignment_id=_required_id(assignment_id, "assignmentId"),
                score=_score(score),
                certificate_ref=certificate_ref,
            )
        )

    @strawberry.mutation(description="Training officer: the participant did not come.")
    async def mark_training_no_show(
        self, info: strawberry.Info, assignment_id: strawberry.ID
    ) -> TrainingAssignmentPayload:
        actor = info.context.require_region_actor()
        return await _row_payload(
            lambda: participants.mark_no_show(
                actor=actor, assignment_id=_required_id(assignment_id, "assignmentId")
            )
        )

    @strawberry.mutation(
        description="Training officer of the unit or region admin: cancels an assignment; the "
        "seat goes to the first on the waiting list."
    )
    async def cancel_training_assignment(
        self, info: strawberry.Info, assignment_id: strawberry.ID, reason: str
    ) -> TrainingAssignmentPayload:
        actor = info.context.require_region_actor()
        return await _row_payload(
            lambda: participants.cancel(
                actor=actor,
                assignment_id=_required_id(assignment_id, "assignmentId"),
                reason=reason,
            )
        )
