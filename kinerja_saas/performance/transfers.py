"""Transfers (mutasi) in the middle of a year, and what they do to the performance cycle.

The rule (issue #18; PermenPANRB 6/2022 has the pejabat penilai kinerja be the atasan
langsung of the time):

- An approved plan keeps the evaluator recorded on it when the organisation changes
  (`updateEmployee`, a unit moved): nobody silently inherits a plan they never agreed.
  Only a transfer (`transferEmployee`) reassigns it, explicitly and with a date.
- A transfer moves the employee (unit, supervisor, jabatan), writes their position history
  and reassigns their plans of every period still open on the effective date to the new
  supervisor; the plan, its content, realisations and evaluations stay where they are.
- Each checkpoint is evaluated by whoever was the plan's evaluator on the checkpoint's last
  day: checkpoints that ended before the transfer keep the earlier evaluator (pinned on
  their evaluation), later ones and the year go to the new one, who sees the earlier
  evaluators' checkpoint results on the plan.
- Statistics follow the evaluator recorded on the plan, not today's supervision chain."""

from __future__ import annotations

from datetime import date
from typing import Any

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector
from kinerja_saas.org import positions
from kinerja_saas.org import service as org
from kinerja_saas.org.errors import ActingError
from kinerja_saas.org.models import Employee
from kinerja_saas.performance import queries
from kinerja_saas.performance.models import Period, PeriodStatus, Plan


async def transfer_employee(
    *,
    actor: Actor,
    employee_id: int,
    effective_on: date,
    unit_id: Any = org.UNSET,
    supervisor_id: Any = org.UNSET,
    position: Any = org.UNSET,
) -> tuple[Employee, list[Plan]]:
    """Moves the employee from `effective_on` and reassigns their open plans (see the
    module's rule). Returns the employee and the plans reassigned."""
    org.require_region_admin(actor)
    errors = ErrorCollector()
    if unit_id is org.UNSET and supervisor_id is org.UNSET and position is org.UNSET:
        errors.add("unitId", ActingError.NOTHING_TO_TRANSFER)
    before = await scoped(Employee).get_or_none(id=employee_id)
    if before is None:
        errors.add("employeeId", CommonError.NOT_FOUND)
    elif not before.is_active:
        errors.add("employeeId", CommonError.INACTIVE)
    else:
        await positions.check_effective(errors, employee_id, effective_on)
    errors.raise_if_any()
    assert before is not None
    after = await org.update_employee(
        actor=actor,
        employee_id=employee_id,
        data=org.EmployeeData(unit_id=unit_id, supervisor_id=supervisor_id, position=position),
        effective_on=effective_on,  # writes the position history from that day
    )
    new_evaluator = after.supervisor_id
    new_evaluator_supervisor = (
        await scoped(Employee)
        .filter(id=new_evaluator)
        .first()
        .values_list("supervisor_id", flat=True)
        if new_evaluator is not None
        else None
    )
    open_periods = await scoped(Period).filter(
        starts_on__lte=effective_on, ends_on__gte=effective_on, status__not=PeriodStatus.CLOSED
    )
    plans = (
        await scoped(Plan)
        .filter(employee_id=employee_id, period_id__in=[p.id for p in open_periods])
        .select_for_update()
    )
    for plan in plans:
        before_plan = {
            "unit_id": plan.unit_id,
            "evaluator_id": plan.evaluator_id,
            "evaluator_supervisor_id": plan.evaluator_supervisor_id,
        }
        if plan.evaluator_id is not None and plan.evaluator_id != new_evaluator:
            await queries.pin_checkpoint_evaluator(
                plan_id=plan.id,
                period_id=plan.period_id,
                employee_id=plan.employee_id,
                ended_before=effective_on,
                evaluator_id=plan.evaluator_id,
            )
        plan.unit_id = after.unit_id
        plan.evaluator_id = new_evaluator
        plan.evaluator_supervisor_id = new_evaluator_supervisor
        await plan.save_fields("unit_id", "evaluator_id", "evaluator_supervisor_id")
        await record(
            actor=actor,
            action="plan.reassign",
            entity="plan",
            entity_id=plan.id,
            before=before_plan,
            after={
                "unit_id": plan.unit_id,
                "evaluator_id": plan.evaluator_id,
                "evaluator_supervisor_id": plan.evaluator_supervisor_id,
                "effective_on": effective_on.isoformat(),
            },
        )
    await record(
        actor=actor,
        action="employee.transfer",
        entity="employee",
        entity_id=employee_id,
        before={
            "unit_id": before.unit_id,
            "supervisor_id": before.supervisor_id,
            "position": before.position,
        },
        after={
            "unit_id": after.unit_id,
            "supervisor_id": after.supervisor_id,
            "position": after.position,
            "effective_on": effective_on.isoformat(),
            "plans": [p.id for p in plans],
        },
    )
    return after, list(plans)
