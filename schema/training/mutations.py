"""training: the Mutation fields, their inputs and payloads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry

from kinerja_saas.errors import CommonError, ValidationFailed
from kinerja_saas.training import admin, participants
from kinerja_saas.training import queries as training_queries
from kinerja_saas.training.errors import TrainingNotice
from kinerja_saas.training.models import CompetencyKind as _CompetencyKind
from kinerja_saas.training.models import RuleTrigger as _RuleTrigger
from kinerja_saas.training.models import TrainingMode as _TrainingMode
from schema.errors import parse_id
from schema.payloads import mutate, payload
from schema.training.types import (
    Competency,
    CompetencyKind,
    RuleTrigger,
    TrainingAssignment,
    TrainingBatch,
    TrainingMode,
    TrainingProgramme,
    TrainingRule,
    TrainingUnit,
    required_id,
)


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
            training_unit_id=required_id(self.training_unit_id, "trainingUnitId"),
            title=self.title,
            mode=_TrainingMode(self.mode.value),
            jp_hours=self.jp_hours,
            capacity=self.capacity,
            competency_ids=[required_id(c, "competencyIds") for c in self.competency_ids],
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


@payload
class CompetencyPayload:
    competency: Competency | None


@payload
class TrainingUnitPayload:
    training_unit: TrainingUnit | None


@payload
class TrainingProgrammePayload:
    programme: TrainingProgramme | None


@payload
class TrainingBatchPayload:
    batch: TrainingBatch | None


@payload
class TrainingRulePayload:
    rule: TrainingRule | None


@payload
class OkPayload:
    ok: bool = False


@payload
class TrainingAssignmentPayload:
    assignment: TrainingAssignment | None
    waiting_list: bool = strawberry.field(
        default=False, description="No batch had room: the person is on the waiting list"
    )
    message: str | None


@payload
class TrainingAssignmentsPayload:
    assignments: list[TrainingAssignment]


async def _assignment_rows(ids: list[int]) -> list[TrainingAssignment]:
    rows = await training_queries.assignments_by_ids(ids)
    return [TrainingAssignment.of(r) for r in rows]


async def _placed_payload(body) -> TrainingAssignmentPayload:
    async def present(placed: Any) -> dict[str, Any]:
        (node,) = await _assignment_rows([placed.assignment.id])
        return {
            "assignment": node,
            "waiting_list": placed.waiting,
            "message": (
                TrainingNotice.WAITING_LIST.render(position=placed.assignment.waiting_position)
                if placed.waiting
                else None
            ),
        }

    return await mutate(TrainingAssignmentPayload, body, present)


async def _row_payload(body) -> TrainingAssignmentPayload:
    async def present(row: Any) -> dict[str, Any]:
        (node,) = await _assignment_rows([row.id])
        return {"assignment": node}

    return await mutate(TrainingAssignmentPayload, body, present)


async def _batch_payload(body) -> TrainingBatchPayload:
    return await mutate(TrainingBatchPayload, body, TrainingBatch.of)


async def _ok_payload(body) -> OkPayload:
    """For a body that returns nothing: ok is true once it has run without errors."""

    async def done() -> bool:
        await body()
        return True

    return await mutate(OkPayload, done)


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
        return await mutate(
            CompetencyPayload,
            lambda: admin.save_competency(
                actor=actor,
                competency_id=parse_id(id, "id"),
                code=code,
                name=name,
                kind=_CompetencyKind(kind.value),
                is_active=is_active,
            ),
            Competency.of,
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
        return await mutate(
            TrainingUnitPayload,
            lambda: admin.save_unit(
                actor=actor, unit_id=parse_id(id, "id"), name=name, email=email, is_active=is_active
            ),
            TrainingUnit.of,
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
                user_id=required_id(user_id, "userId"),
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
                endpoint_id=required_id(endpoint_id, "endpointId"),
                training_unit_id=parse_id(training_unit_id, "trainingUnitId"),
            )
        )

    @strawberry.mutation(description="Region admin: creates (no id) or updates a programme.")
    async def save_training_programme(
        self, info: strawberry.Info, input: TrainingProgrammeInput, id: strawberry.ID | None = None
    ) -> TrainingProgrammePayload:
        actor = info.context.require_region_actor()

        async def present(programme: Any) -> TrainingProgramme:
            comps = await admin.programme_competencies([programme.id])
            return TrainingProgramme.of(programme, comps.get(programme.id, []))

        return await mutate(
            TrainingProgrammePayload,
            # data before the id: a bad input field is reported first, as before
            lambda: admin.save_programme(
                actor=actor, data=input.parsed(), programme_id=parse_id(id, "id")
            ),
            present,
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
                programme_id=required_id(programme_id, "programmeId"),
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
        return await mutate(
            TrainingRulePayload,
            lambda: admin.save_rule(
                actor=actor,
                rule_id=parse_id(id, "id"),
                trigger=_RuleTrigger(input.trigger.value),
                trigger_value=input.trigger_value,
                competency_id=required_id(input.competency_id, "competencyId"),
                programme_id=parse_id(input.programme_id, "programmeId"),
                priority=input.priority,
                is_active=input.is_active,
            ),
            TrainingRule.of,
        )

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
                employee_id=required_id(employee_id, "employeeId"),
                programme_id=required_id(programme_id, "programmeId"),
                period_id=required_id(period_id, "periodId"),
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
                programme_id=required_id(programme_id, "programmeId"),
                period_id=required_id(period_id, "periodId"),
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
                period_id=required_id(period_id, "periodId"),
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
                actor=actor, batch_id=required_id(batch_id, "batchId")
            )
        )

    @strawberry.mutation(description="Training officer: these participants attended.")
    async def record_training_attendance(
        self, info: strawberry.Info, assignment_ids: list[strawberry.ID]
    ) -> TrainingAssignmentsPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            TrainingAssignmentsPayload,
            lambda: participants.record_attendance(
                actor=actor,
                assignment_ids=[required_id(i, "assignmentIds") for i in assignment_ids],
            ),
            lambda rows: _assignment_rows([r.id for r in rows]),
        )

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
                assignment_id=required_id(assignment_id, "assignmentId"),
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
                actor=actor, assignment_id=required_id(assignment_id, "assignmentId")
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
                assignment_id=required_id(assignment_id, "assignmentId"),
                reason=reason,
            )
        )
