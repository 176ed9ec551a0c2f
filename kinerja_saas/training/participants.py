"""People in training: manual assignment, self-enrolment, the training officer's actions on
their unit's assignments, and the lists of employees, supervisors and the region (JP ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, PermissionDenied
from kinerja_saas.org import queries as org_queries
from kinerja_saas.org.models import Employee
from kinerja_saas.performance.models import Period
from kinerja_saas.regions.settings import load as load_settings
from kinerja_saas.training import assignment, queries
from kinerja_saas.training.admin import officer_unit, require_admin
from kinerja_saas.training.errors import TrainingError
from kinerja_saas.training.models import (
    LIVE_STATUSES,
    AssignmentReason,
    AssignmentStatus,
    TrainingAssignment,
    TrainingBatch,
    TrainingProgramme,
)
from kinerja_saas.training.queries import AssignmentFilter as AssignmentFilter
from kinerja_saas.training.rules import attendance_problem, completion_problem, jp_shortfall
from tenants.context import current_tenant_id
from tenants.models import Tenant


@dataclass(frozen=True)
class Placed:
    assignment: TrainingAssignment
    waiting: bool  # no batch had room: on the waiting list


async def _place(
    *, actor: Actor, employee_id: int, programme_id: int, period_id: int, reason: AssignmentReason
) -> Placed:
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    programme = await scoped(TrainingProgramme).get_or_none(id=programme_id)
    if programme is None or not programme.is_active:
        errors.add("programmeId", CommonError.NOT_FOUND)
    if not await scoped(Period).filter(id=period_id).exists():
        errors.add("periodId", CommonError.NOT_FOUND)
    errors.raise_if_any()
    await assignment.lock_programmes([programme_id])
    if (
        await scoped(TrainingAssignment)
        .filter(
            employee_id=employee_id,
            programme_id=programme_id,
            period_id=period_id,
            status__in=list(LIVE_STATUSES),
        )
        .exists()
    ):
        errors.add("programmeId", TrainingError.ALREADY_ASSIGNED)
        errors.raise_if_any()
    batch_id, position = await assignment.next_seat(programme_id)
    created = await TrainingAssignment.create(
        tenant_id=tenant_id,
        employee_id=employee_id,
        programme_id=programme_id,
        period_id=period_id,
        batch_id=batch_id,
        waiting_position=None if batch_id else position,
        status=AssignmentStatus.ASSIGNED if batch_id else AssignmentStatus.WAITING,
        reason=reason,
        assigned_by=actor.user_id,
    )
    await assignment.emit_assignment_events([created.id])
    return Placed(created, waiting=batch_id is None)


async def assign_manually(
    *, actor: Actor, employee_id: int, programme_id: int, period_id: int
) -> Placed:
    """By the region admin (anyone of the region) or a supervisor (their direct reports)."""
    employee = await scoped(Employee).get_or_none(id=employee_id)
    if employee is None or not employee.is_active:
        raise NotFound(CommonError.NOT_FOUND, field="employeeId")
    if not actor.has(Role.REGION_ADMIN) and not (
        actor.has(Role.SUPERVISOR)
        and actor.employee_id is not None
        and employee.supervisor_id == actor.employee_id
    ):
        raise PermissionDenied(CommonError.FORBIDDEN)
    return await _place(
        actor=actor,
        employee_id=employee_id,
        programme_id=programme_id,
        period_id=period_id,
        reason=AssignmentReason.MANUAL,
    )


async def enrol(*, actor: Actor, programme_id: int, period_id: int) -> Placed:
    """Self-enrolment in an open programme; a full programme puts one on its waiting list."""
    if actor.employee_id is None:
        raise PermissionDenied(CommonError.FORBIDDEN)
    programme = await scoped(TrainingProgramme).get_or_none(id=programme_id)
    if programme is not None and programme.is_active and not programme.is_open:
        errors = ErrorCollector()
        errors.add("programmeId", TrainingError.NOT_OPEN)
        errors.raise_if_any()
    return await _place(
        actor=actor,
        employee_id=actor.employee_id,
        programme_id=programme_id,
        period_id=period_id,
        reason=AssignmentReason.SELF_ENROLMENT,
    )


# --- the training officer -----------------------------------------------------------------


async def _of_unit(actor: Actor, assignment_ids: list[int]) -> list[TrainingAssignment]:
    """The assignments, all of the officer's unit (the region admin: any)."""
    rows = await scoped(TrainingAssignment).filter(id__in=assignment_ids).order_by("id")
    if len(rows) != len(set(assignment_ids)):
        raise NotFound(CommonError.NOT_FOUND, field="assignmentIds")
    if actor.has(Role.REGION_ADMIN) and not actor.has(Role.TRAINING_OFFICER):
        return rows
    unit_id = await officer_unit(actor)
    programme_ids = {r.programme_id for r in rows}
    own = (
        await scoped(TrainingProgramme)
        .filter(id__in=list(programme_ids), training_unit_id=unit_id)
        .count()
    )
    if own != len(programme_ids):
        raise PermissionDenied(CommonError.FORBIDDEN)
    return rows


def _check_from(rows, allowed: tuple[AssignmentStatus, ...]) -> None:
    errors = ErrorCollector()
    for row in rows:
        if row.status not in allowed:
            errors.add(
                "assignmentIds",
                TrainingError.INVALID_STATUS,
                id=str(row.id),
                status=row.status.value,
                allowed=[s.value for s in allowed],
            )
    errors.raise_if_any()


async def _set(rows, **values: Any) -> list[TrainingAssignment]:
    values["updated_at"] = datetime.now(UTC)
    await scoped(TrainingAssignment).filter(id__in=[r.id for r in rows]).update(**values)
    for row in rows:
        for key, value in values.items():
            setattr(row, key, value)
    return rows


async def confirm_batch(*, actor: Actor, batch_id: int) -> TrainingBatch:
    """The unit confirms a batch: its seated participants become CONFIRMED."""
    batch = await scoped(TrainingBatch).get_or_none(id=batch_id)
    if batch is None:
        raise NotFound(CommonError.NOT_FOUND, field="batchId")
    unit_id = await officer_unit(actor)
    programme = await scoped(TrainingProgramme).get(id=batch.programme_id)
    if programme.training_unit_id != unit_id:
        raise PermissionDenied(CommonError.FORBIDDEN)
    if batch.is_cancelled:
        errors = ErrorCollector()
        errors.add("batchId", TrainingError.CANCELLED)
        errors.raise_if_any()
    batch.confirmed_at = batch.confirmed_at or datetime.now(UTC)
    await batch.save_fields("confirmed_at")
    await (
        scoped(TrainingAssignment)
        .filter(batch_id=batch_id, status=AssignmentStatus.ASSIGNED)
        .update(status=AssignmentStatus.CONFIRMED, updated_at=datetime.now(UTC))
    )
    return batch


async def _batches(rows) -> dict[int, TrainingBatch]:
    ids = list({r.batch_id for r in rows if r.batch_id is not None})
    return {b.id: b for b in await scoped(TrainingBatch).filter(id__in=ids)}


async def record_attendance(
    *, actor: Actor, assignment_ids: list[int], today: date | None = None
) -> list[TrainingAssignment]:
    """Attendance from the batch's first day on (training/rules.attendance_problem)."""
    today = today or date.today()
    rows = await _of_unit(actor, assignment_ids)
    _check_from(rows, (AssignmentStatus.ASSIGNED, AssignmentStatus.CONFIRMED))
    errors = ErrorCollector()
    batches = await _batches(rows)
    problems = {
        p
        for r in rows
        if r.batch_id is not None
        and (
            p := attendance_problem(
                field="assignmentIds",
                batch_name=batches[r.batch_id].name,
                starts_on=batches[r.batch_id].starts_on,
                today=today,
            )
        )
    }
    errors.extend(sorted(problems, key=lambda p: p.message))
    errors.raise_if_any()
    return await _set(rows, status=AssignmentStatus.ATTENDED)


async def complete(
    *,
    actor: Actor,
    assignment_id: int,
    score: Decimal | None,
    certificate_ref: str | None,
    today: date | None = None,
) -> TrainingAssignment:
    """Completion (and the JP it counts) on or after the batch's last day."""
    today = today or date.today()
    rows = await _of_unit(actor, [assignment_id])
    errors = ErrorCollector()
    if score is not None and not Decimal(0) <= score <= Decimal(100):
        errors.add("score", CommonError.OUT_OF_RANGE, min=0, max=100)
    certificate = (certificate_ref or "").strip() or None
    if certificate is not None and len(certificate) > 200:
        errors.add("certificateRef", CommonError.TOO_LONG, max=200)
    errors.raise_if_any()
    _check_from(
        rows,
        (AssignmentStatus.ASSIGNED, AssignmentStatus.CONFIRMED, AssignmentStatus.ATTENDED),
    )
    batch = (await _batches(rows)).get(rows[0].batch_id)
    if batch is not None and (
        problem := completion_problem(
            field="assignmentId", batch_name=batch.name, ends_on=batch.ends_on, today=today
        )
    ):
        errors.extend([problem])
        errors.raise_if_any()
    (row,) = await _set(
        rows,
        status=AssignmentStatus.COMPLETED,
        score=score,
        certificate_ref=certificate,
        completed_at=datetime.now(UTC),
    )
    return row


async def mark_no_show(
    *, actor: Actor, assignment_id: int, today: date | None = None
) -> TrainingAssignment:
    """A participant who will not come or did not: their seat goes to the first on the
    programme's waiting list while the batch has not started (assignment.free_seats)."""
    rows = await _of_unit(actor, [assignment_id])
    _check_from(rows, (AssignmentStatus.ASSIGNED, AssignmentStatus.CONFIRMED))
    (row,) = rows
    await assignment.lock_programmes([row.programme_id])
    await _set(rows, status=AssignmentStatus.NO_SHOW)
    await assignment.free_seats([(row.programme_id, row.batch_id)], today=today or date.today())
    return row


async def cancel(*, actor: Actor, assignment_id: int, reason: str) -> TrainingAssignment:
    """Cancels (officer of the unit or region admin); a freed seat goes to the first on the
    programme's waiting list."""
    rows = await _of_unit(actor, [assignment_id])
    errors = ErrorCollector()
    if not reason.strip():
        errors.add("reason", CommonError.REQUIRED)
    errors.raise_if_any()
    _check_from(
        rows,
        (AssignmentStatus.WAITING, AssignmentStatus.ASSIGNED, AssignmentStatus.CONFIRMED),
    )
    (row,) = rows
    await assignment.lock_programmes([row.programme_id])
    await _set(rows, status=AssignmentStatus.CANCELLED, note=reason.strip())
    await assignment.free_seats([(row.programme_id, row.batch_id)], today=date.today())
    return row


# --- lists ----------------------------------------------------------------------------------

ROW = queries.ROW


async def unit_assignments(
    *, actor: Actor, filter: AssignmentFilter, limit: int, after_id: int | None
) -> list[dict]:
    """The officer's unit's assignments, newest first (limit + 1 rows: one tells more)."""
    unit_id = await officer_unit(actor)
    return await queries.assignments_page(
        flt=filter, training_unit_id=unit_id, limit=limit, after_id=after_id
    )


async def my_trainings(*, actor: Actor, limit: int, after_id: int | None) -> list[dict]:
    if actor.employee_id is None:
        return []
    return await queries.assignments_page(
        flt=AssignmentFilter(), employee_id=actor.employee_id, limit=limit, after_id=after_id
    )


async def team_trainings(
    *, actor: Actor, filter: AssignmentFilter, limit: int, after_id: int | None
) -> list[dict]:
    """A supervisor's direct reports' trainings, and while they are an acting head
    (Plt./Plh.) those of the heads they stand in for, as in `myTeam` (the region admin:
    everyone's). An acting head need not hold the SUPERVISOR role."""
    if actor.has(Role.REGION_ADMIN):
        return await queries.assignments_page(flt=filter, limit=limit, after_id=after_id)
    if actor.employee_id is None or not (
        actor.has(Role.SUPERVISOR) or await org_queries.heads_acted_for(actor.employee_id)
    ):
        raise PermissionDenied(CommonError.FORBIDDEN)
    return await queries.assignments_page(
        flt=filter, supervisor_id=actor.employee_id, limit=limit, after_id=after_id
    )


@dataclass(frozen=True)
class LedgerLine:
    employee_id: int
    nip: str
    name: str
    unit_name: str
    completed_jp: int
    entitlement: int

    @property
    def shortfall(self) -> int:
        return jp_shortfall(self.completed_jp, self.entitlement)


async def jp_ledger(
    *, actor: Actor, year: int, below_only: bool, limit: int, after_id: int | None
) -> list[LedgerLine]:
    """JP completed per active employee in the year (in the region's time zone), against the
    region's entitlement; `below_only` keeps those under it. Keyset pages by employee id,
    read from the JP read model (two statements whatever the page)."""
    require_admin(actor)
    tenant = await Tenant.get(id=current_tenant_id())
    entitlement = load_settings(tenant.settings).training.annual_jp_entitlement
    rows = await queries.jp_ledger_rows(
        year=year,
        below_only=below_only,
        entitlement=entitlement,
        after_id=after_id,
        limit=limit,
    )
    return [
        LedgerLine(r["id"], r["nip"], r["name"], r["unit_name"], r["jp"], entitlement) for r in rows
    ]


def this_year(today: date | None = None) -> int:
    return (today or date.today()).year
