"""Competency development: training units, programmes, batches and rules (region admin),
assignment (manual, self-enrolment, a whole period), the training officer's list and
actions, and the employee's, supervisor's and region's views (JP ledger).

Assignment lists come from one joined statement per page (people, unit, programme, batch)
served as plain attributes."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias

import strawberry

from kinerja_saas.training import effectiveness
from kinerja_saas.training.models import AssignmentReason as _AssignmentReason
from kinerja_saas.training.models import AssignmentStatus as _AssignmentStatus
from kinerja_saas.training.models import CompetencyKind as _CompetencyKind
from kinerja_saas.training.models import RuleTrigger as _RuleTrigger
from kinerja_saas.training.models import TrainingMode as _TrainingMode
from schema import compiled
from schema.errors import optional_id, parse_id
from schema.pagination import PageInfo

if TYPE_CHECKING:
    from kinerja_saas.training.models import Competency as CompetencyModel
    from kinerja_saas.training.models import TrainingRule as TrainingRuleModel

TrainingMode: TypeAlias = _TrainingMode
strawberry.enum(TrainingMode)


TrainingAssignmentStatus: TypeAlias = _AssignmentStatus
strawberry.enum(TrainingAssignmentStatus, name="TrainingAssignmentStatus")


TrainingAssignmentReason: TypeAlias = _AssignmentReason
strawberry.enum(TrainingAssignmentReason, name="TrainingAssignmentReason")


def to_id(value: int) -> strawberry.ID:
    return strawberry.ID(str(value))


def required_id(value: strawberry.ID, field: str) -> int:
    return parse_id(value, field)


@strawberry.type
class TrainingUnit:
    id: strawberry.ID
    name: str
    email: str
    is_active: bool

    @classmethod
    def of(cls, u) -> TrainingUnit:
        return cls(id=to_id(u.id), name=u.name, email=u.email, is_active=u.is_active)


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
            id=to_id(p.id),
            training_unit_id=to_id(p.training_unit_id),
            title=p.title,
            description=p.description,
            mode=p.mode,
            jp_hours=p.jp_hours,
            capacity=p.capacity,
            competency_ids=[to_id(c) for c in sorted(competency_ids)],
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
            id=to_id(b.id),
            programme_id=to_id(b.programme_id),
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
            id=to_id(r["id"]),
            status=_AssignmentStatus(r["status"]),
            reason=_AssignmentReason(r["reason"]),
            reason_value=r["reason_value"],
            predikat=r["predikat"],
            evaluation_id=optional_id(r["evaluation_id"]),
            period_id=to_id(r["period_id"]),
            waiting_position=r["waiting_position"],
            score=float(r["score"]) if r["score"] is not None else None,
            certificate_ref=r["certificate_ref"],
            completed_at=r["completed_at"],
            created_at=r["created_at"],
            employee=TrainingParticipant(
                id=to_id(r["employee_id"]),
                nip=r["nip"],
                name=r["employee_name"],
                email=r["email"],
                phone=r["phone"],
                unit_id=to_id(r["unit_id"]),
                unit_name=r["unit_name"],
            ),
            programme=TrainingProgrammeRef(
                id=to_id(r["programme_id"]),
                title=r["programme_title"],
                jp_hours=r["jp_hours"],
                mode=_TrainingMode(r["mode"]),
                training_unit_id=to_id(r["training_unit_id"]),
            ),
            batch=TrainingBatchRef(
                id=to_id(r["batch_id"]),
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


CompetencyKind: TypeAlias = _CompetencyKind
strawberry.enum(CompetencyKind)


RuleTrigger: TypeAlias = _RuleTrigger
strawberry.enum(RuleTrigger)


@strawberry.type
class Competency:
    id: strawberry.ID
    code: str
    name: str
    kind: CompetencyKind
    is_active: bool

    @classmethod
    def of(cls, c: CompetencyModel) -> Competency:
        return cls(
            id=strawberry.ID(str(c.id)),
            code=c.code,
            name=c.name,
            kind=c.kind,
            is_active=c.is_active,
        )


@strawberry.type
class TrainingRule:
    id: strawberry.ID
    trigger: RuleTrigger
    trigger_value: str
    competency_id: strawberry.ID
    programme_id: strawberry.ID | None = strawberry.field(
        description="The programme the rule assigns; none: the best programme of the competency"
    )
    priority: int
    is_active: bool

    @strawberry.field(
        description="The programme the rule assigns (programmeId's); null: none named, the "
        "best active programme of the competency is chosen at assignment"
    )
    async def programme(self, info: strawberry.Info) -> TrainingProgrammeRef | None:
        if self.programme_id is None:
            return None
        p = await info.context.loaders.training_programme.load(int(self.programme_id))
        if p is None:
            return None
        return TrainingProgrammeRef(
            id=to_id(p.id),
            title=p.title,
            jp_hours=p.jp_hours,
            mode=p.mode,
            training_unit_id=to_id(p.training_unit_id),
        )

    @classmethod
    def of(cls, r: TrainingRuleModel) -> TrainingRule:
        return cls(
            id=strawberry.ID(str(r.id)),
            trigger=r.trigger,
            trigger_value=r.trigger_value,
            competency_id=strawberry.ID(str(r.competency_id)),
            programme_id=strawberry.ID(str(r.programme_id)) if r.programme_id else None,
            priority=r.priority,
            is_active=r.is_active,
        )


# --- the compiled read path (schema/compiled.py): the columns of the assignments' row ------

compiled.declare(
    TrainingParticipant,
    id=compiled.Col("employee_id"),
    nip=compiled.Col("nip"),
    name=compiled.Col("employee_name"),
    email=compiled.Col("email"),
    phone=compiled.Col("phone"),
    unitId=compiled.Col("unit_id"),
    unitName=compiled.Col("unit_name"),
)
compiled.declare(
    TrainingProgrammeRef,
    id=compiled.Col("programme_id"),
    title=compiled.Col("programme_title"),
    jpHours=compiled.Col("jp_hours"),
    mode=compiled.Col("mode"),
    trainingUnitId=compiled.Col("training_unit_id"),
)
compiled.declare(
    TrainingBatchRef,
    id=compiled.Col("batch_id"),
    name=compiled.Col("batch_name"),
    startsOn=compiled.Col("starts_on"),
    endsOn=compiled.Col("ends_on"),
)
compiled.declare(
    TrainingAssignment,
    id=compiled.Col("id"),
    status=compiled.Col("status"),
    reason=compiled.Col("reason"),
    reasonValue=compiled.Col("reason_value"),
    predikat=compiled.Col("predikat"),
    evaluationId=compiled.Col("evaluation_id"),
    periodId=compiled.Col("period_id"),
    waitingPosition=compiled.Col("waiting_position"),
    certificateRef=compiled.Col("certificate_ref"),
    completedAt=compiled.Col("completed_at"),
    createdAt=compiled.Col("created_at"),
    employee=compiled.Nested(),
    programme=compiled.Nested(),
    batch=compiled.Nested(present="batch_id"),
)
compiled.connection(
    TrainingAssignmentConnection, edge=TrainingAssignmentEdge, node=TrainingAssignment
)
