"""Rewards and sanctions recorded against employees (and the evaluation that led to them),
decided by the region admin or the employee's direct supervisor."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, PermissionDenied
from kinerja_saas.indonesian import number
from kinerja_saas.org import service as org
from kinerja_saas.org.models import Employee
from kinerja_saas.outbox.service import emit
from kinerja_saas.performance import events
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import (
    Consequence,
    Evaluation,
    EvaluationStatus,
    RewardSanction,
)
from tenants.context import current_tenant_id

MAX_REASON = 2000
MAX_AMOUNT = 1_000_000_000  # whole rupiah


class ConsequenceType(StrEnum):
    # rewards
    PIAGAM_PENGHARGAAN = "PIAGAM_PENGHARGAAN"  # certificate of appreciation
    INSENTIF_KINERJA = "INSENTIF_KINERJA"  # performance incentive (TPP)
    PRIORITAS_PENGEMBANGAN = "PRIORITAS_PENGEMBANGAN"  # priority for development/career
    # sanctions
    RENCANA_PERBAIKAN_KINERJA = "RENCANA_PERBAIKAN_KINERJA"  # six-month improvement plan
    TEGURAN = "TEGURAN"  # written reprimand
    PENGURANGAN_TPP = "PENGURANGAN_TPP"  # reduced performance allowance


REWARDS = {
    ConsequenceType.PIAGAM_PENGHARGAAN,
    ConsequenceType.INSENTIF_KINERJA,
    ConsequenceType.PRIORITAS_PENGEMBANGAN,
}


# The types whose amount (whole rupiah) enters the TPP of the month decided (kinerja_saas/tpp).
AMOUNT_TYPES = {ConsequenceType.INSENTIF_KINERJA, ConsequenceType.PENGURANGAN_TPP}


def kind_of(type_: ConsequenceType) -> Consequence:
    return Consequence.REWARD if type_ in REWARDS else Consequence.SANCTION


async def record_consequence(
    *,
    actor: Actor,
    employee_id: int,
    type_: ConsequenceType,
    reason: str,
    decided_on: date,
    evaluation_id: int | None = None,
    today: date | None = None,
    amount: int | None = None,
) -> RewardSanction:
    tenant_id = current_tenant_id()
    today = today or date.today()
    employee = await scoped(Employee).get_or_none(id=employee_id)
    if employee is None:
        raise NotFound(CommonError.NOT_FOUND, field="employeeId")
    is_supervisor = actor.employee_id is not None and employee.supervisor_id == actor.employee_id
    if not (actor.has(Role.REGION_ADMIN) or is_supervisor):
        raise PermissionDenied(CommonError.FORBIDDEN)
    errors = ErrorCollector()
    if not reason.strip():
        errors.add("reason", CommonError.REQUIRED)
    elif len(reason) > MAX_REASON:
        errors.add("reason", CommonError.TOO_LONG, max=MAX_REASON)
    if decided_on > today or decided_on < today - timedelta(days=366):
        errors.add(
            "decidedOn", CommonError.OUT_OF_RANGE, min=today - timedelta(days=366), max=today
        )
    if evaluation_id is not None:
        evaluation = await scoped(Evaluation).get_or_none(id=evaluation_id)
        if evaluation is None or evaluation.employee_id != employee.id:
            errors.add("evaluationId", CommonError.NOT_FOUND)
        elif evaluation.status is not EvaluationStatus.FINALISED:
            errors.add("evaluationId", PerformanceError.NOT_FINALISED)
    if amount is not None:
        if type_ not in AMOUNT_TYPES:
            errors.add("amount", PerformanceError.AMOUNT_NOT_ALLOWED)
        elif not 0 < amount <= MAX_AMOUNT:
            errors.add("amount", CommonError.OUT_OF_RANGE, min="Rp1", max=f"Rp{number(MAX_AMOUNT)}")
    errors.raise_if_any()
    entry = await RewardSanction.create(
        amount=amount,
        tenant_id=tenant_id,
        employee_id=employee.id,
        evaluation_id=evaluation_id,
        consequence=kind_of(type_),
        type=type_.value,
        reason=reason.strip(),
        decided_on=decided_on,
        decided_by=actor.user_id,
    )
    await record(
        actor=actor,
        action=f"{entry.consequence.value.lower()}.record",
        entity="employee",
        entity_id=employee.id,
        after={"type": type_.value, "evaluation_id": evaluation_id, "amount": amount},
    )
    await emit(
        events.CONSEQUENCE_RECORDED,
        {
            "id": entry.id,
            "employee_id": employee.id,
            "consequence": entry.consequence.value,
            "type": type_.value,
        },
    )
    return entry


async def consequences_of(*, actor: Actor, employee_id: int) -> list[RewardSanction]:
    """Visible to the employee, their supervision chain and the region admin."""
    await org.get_employee(actor=actor, employee_id=employee_id)  # NotFound when not visible
    return (
        await scoped(RewardSanction).filter(employee_id=employee_id).order_by("-decided_on", "-id")
    )
