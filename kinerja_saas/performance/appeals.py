"""Who decides an appeal (keberatan), and the region's Tim Penilai Kinerja.

PermenPANRB 6/2022 has the employee's objection to their evaluation decided by the
evaluator's own superior (atasan pejabat penilai kinerja). Where there is none — the
evaluator heads the tree (a unit head evaluated by the top of the region, or the top
itself) — the region's Tim Penilai Kinerja decides, whose members a region admin appoints.
The region admin decides such appeals only where the region's setting
`performance.appeal_decider_at_top` is REGION_ADMIN. The decider is fixed when the appeal is
made (`Appeal.decider`), so a later organisation change does not move it."""

from __future__ import annotations

from typing import Any

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.org.acting import acting_for
from kinerja_saas.org.models import Employee
from kinerja_saas.performance.access import (
    Relation,
    Signature,
    evaluator_of,
    refuse,
    require,
)
from kinerja_saas.performance.models import (
    Appeal,
    AppealDecider,
    AppraisalTeamMember,
    Evaluation,
    Plan,
)
from kinerja_saas.regions.settings import current_settings
from tenants.context import current_tenant_id


async def _decider_at_top() -> AppealDecider:
    return AppealDecider((await current_settings()).performance.appeal_decider_at_top)


async def decider_of(plan: Plan, evaluation: Evaluation) -> tuple[AppealDecider, int | None]:
    """Who decides an appeal of `evaluation`: the supervisor of its evaluator (as recorded on
    the plan; for a checkpoint pinned to an earlier evaluator, that person's supervisor),
    else the region's choice for the head of the tree."""
    evaluator_id = await evaluator_of(plan, evaluation.checkpoint_id)
    if evaluator_id == plan.evaluator_id:
        reviewer_id = plan.evaluator_supervisor_id
    else:
        reviewer_id = (
            await scoped(Employee)
            .filter(id=evaluator_id)
            .first()
            .values_list("supervisor_id", flat=True)
        )
    if reviewer_id is not None and evaluator_id is not None:
        return AppealDecider.SUPERVISOR, int(reviewer_id)
    return await _decider_at_top(), None


async def require_decider(
    actor: Actor, relations: frozenset[Relation], plan: Plan, evaluation: Evaluation
) -> Signature:
    """Only the appeal's decider rates and finalises it; refused for anyone else."""
    appeal = await scoped(Appeal).get(evaluation_id=evaluation.id)
    me = actor.employee_id
    decider = AppealDecider(appeal.decider)
    if decider is AppealDecider.SUPERVISOR and appeal.reviewer_id is None:
        decider = AppealDecider.REGION_ADMIN  # an appeal made before deciders were recorded
    if decider is AppealDecider.SUPERVISOR:
        assert appeal.reviewer_id is not None
        if me == appeal.reviewer_id:
            return Signature(me)
        if me is not None and me != plan.employee_id:
            acting = await acting_for(acting_id=me, evaluator_id=appeal.reviewer_id)
            if acting is not None:
                return Signature(me, acting.kind, acting.unit_id)
        raise refuse(Relation.REVIEWER)
    if decider is AppealDecider.TIM_PENILAI:
        evaluator_id = await evaluator_of(plan, evaluation.checkpoint_id)
        if (
            me is not None
            and me not in (plan.employee_id, evaluator_id)
            and await scoped(AppraisalTeamMember).filter(employee_id=me).exists()
        ):
            return Signature(me)
        raise refuse(Relation.APPRAISAL_TEAM)
    require(relations, Relation.ADMIN)
    return Signature(me)


# --- the Tim Penilai Kinerja -------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN)


async def _employee(employee_id: int) -> Employee:
    employee = await scoped(Employee).get_or_none(id=employee_id)
    if employee is None:
        raise NotFound(CommonError.NOT_FOUND, field="employeeId")
    return employee


async def appoint_team_member(*, actor: Actor, employee_id: int) -> list[dict[str, Any]]:
    """Adds an active employee to the Tim Penilai Kinerja (again: nothing changes)."""
    _require_admin(actor)
    employee = await _employee(employee_id)
    if not employee.is_active:
        errors = ErrorCollector()
        errors.add("employeeId", CommonError.INACTIVE)
        errors.raise_if_any()
    if not await scoped(AppraisalTeamMember).filter(employee_id=employee.id).exists():
        member = await AppraisalTeamMember.create(
            tenant_id=current_tenant_id(),
            employee_id=employee.id,
            appointed_by=actor.user_id or None,
        )
        await record(
            actor=actor,
            action="appraisal_team.appoint",
            entity="appraisal_team_member",
            entity_id=member.id,
            after={"employee_id": employee.id},
        )
    return await team(actor=actor)


async def remove_team_member(*, actor: Actor, employee_id: int) -> list[dict[str, Any]]:
    _require_admin(actor)
    employee = await _employee(employee_id)
    member = await scoped(AppraisalTeamMember).get_or_none(employee_id=employee.id)
    if member is not None:
        await scoped(AppraisalTeamMember).filter(id=member.id).delete()
        await record(
            actor=actor,
            action="appraisal_team.remove",
            entity="appraisal_team_member",
            entity_id=member.id,
            before={"employee_id": employee.id},
        )
    return await team(actor=actor)


async def team(*, actor: Actor) -> list[dict[str, Any]]:
    """The region's Tim Penilai Kinerja, as employee rows (anyone of the region may know
    who they are)."""
    ids: Any = await scoped(AppraisalTeamMember).values_list("employee_id", flat=True)
    return await scoped(Employee).filter(id__in=list(ids)).order_by("name", "id").values()
