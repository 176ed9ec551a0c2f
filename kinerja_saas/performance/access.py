"""Who may do what with a plan and everything hanging off it (realisations, evaluations,
dialog). Relations are read from the plan itself: its employee, its evaluator (atasan
langsung when the plan was written, until a transfer reassigns it) and the evaluator's
supervisor, plus the region admin and anyone higher up the current supervision chain, who
may only read. Three more see a plan because they act on part of it: an acting head
(Plt./Plh., org/acting.py) standing in for its evaluator today, a former evaluator who
evaluates a checkpoint from before a transfer, and a member of the Tim Penilai Kinerja with
an appeal of it to decide.

Who signs as evaluator is decided by `sign_as_evaluator`: the evaluator in force for the
checkpoint (`evaluator_of`), or an acting head standing in for them that day; the answer
says in what capacity, and is stored with the approval, review or evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, NotFound, PermissionDenied
from kinerja_saas.org.acting import acting_for
from kinerja_saas.org.models import ActingKind
from kinerja_saas.org.service import supervises
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import (
    Appeal,
    AppealDecider,
    AppraisalTeamMember,
    Evaluation,
    Plan,
)


class Relation(Enum):
    OWNER = "OWNER"  # the employee whose plan it is
    EVALUATOR = "EVALUATOR"  # approves the plan, verifies realisations, evaluates
    REVIEWER = "REVIEWER"  # the evaluator's supervisor: decides appeals
    ADMIN = "ADMIN"  # region admin: reads everything, acts for the head of the region
    CHAIN = "CHAIN"  # higher up the supervision chain: reads only
    ACTING = "ACTING"  # acting head (Plt./Plh.) standing in for the evaluator today
    FORMER_EVALUATOR = "FORMER_EVALUATOR"  # evaluates a checkpoint from before a transfer
    APPRAISAL_TEAM = "APPRAISAL_TEAM"  # Tim Penilai Kinerja, with an appeal of it to decide


@dataclass(frozen=True)
class Signature:
    """Who signs and in what capacity: `capacity` None is the official themselves, PLT/PLH
    an acting head of `acting_unit_id`."""

    employee_id: int | None
    capacity: ActingKind | None = None
    acting_unit_id: int | None = None


async def relations_to(actor: Actor, plan: Plan) -> frozenset[Relation]:
    found = set()
    me = actor.employee_id
    if me is not None:
        if plan.employee_id == me:
            found.add(Relation.OWNER)
        if plan.evaluator_id == me:
            found.add(Relation.EVALUATOR)
        if plan.evaluator_supervisor_id == me:
            found.add(Relation.REVIEWER)
    if actor.has(Role.REGION_ADMIN):
        found.add(Relation.ADMIN)
    if found or me is None:
        return frozenset(found)
    if await supervises(me, plan.employee_id):
        found.add(Relation.CHAIN)
    elif plan.evaluator_id is not None and await acting_for(
        acting_id=me, evaluator_id=plan.evaluator_id
    ):
        found.add(Relation.ACTING)
    elif await scoped(Evaluation).filter(plan_id=plan.id, evaluator_id=me).exists():
        found.add(Relation.FORMER_EVALUATOR)
    elif await _team_appeal_of(me, plan):
        found.add(Relation.APPRAISAL_TEAM)
    return frozenset(found)


async def _team_appeal_of(me: int, plan: Plan) -> bool:
    if not await scoped(AppraisalTeamMember).filter(employee_id=me).exists():
        return False
    evaluation_ids = scoped(Evaluation).filter(plan_id=plan.id).values_list("id", flat=True)
    return (
        await scoped(Appeal)
        .filter(evaluation_id__in=await evaluation_ids, decider=AppealDecider.TIM_PENILAI)
        .exists()
    )


async def visible_plan(
    actor: Actor, plan_id: int, *, field: str = "planId", lock: bool = False
) -> tuple[Plan, frozenset[Relation]]:
    """The plan and the actor's relations to it. A plan the actor may not see is reported
    as missing, so ids of other people's plans reveal nothing."""
    query = scoped(Plan).filter(id=plan_id)
    plan = await (query.select_for_update() if lock else query).first()
    relations = await relations_to(actor, plan) if plan is not None else frozenset()
    if plan is None or not relations:
        raise NotFound(CommonError.NOT_FOUND, field=field)
    return plan, relations


# How messages name those who may act (Bahasa Indonesia).
RELATION_LABELS = {
    Relation.OWNER: "pegawai yang bersangkutan",
    Relation.EVALUATOR: "pejabat penilai",
    Relation.REVIEWER: "atasan pejabat penilai",
    Relation.ADMIN: "admin wilayah",
    Relation.CHAIN: "atasan dalam rantai pengawasan",
    Relation.ACTING: "Plt./Plh. pejabat penilai",
    Relation.FORMER_EVALUATOR: "pejabat penilai checkpoint itu",
    Relation.APPRAISAL_TEAM: "Tim Penilai Kinerja",
}


def refuse(*allowed: Relation) -> PermissionDenied:
    return PermissionDenied(
        PerformanceError.FORBIDDEN, allowed=[RELATION_LABELS[r] for r in allowed]
    )


def require(relations: frozenset[Relation], *allowed: Relation) -> None:
    if not relations.intersection(allowed):
        raise refuse(*allowed)


async def evaluator_of(plan: Plan, checkpoint_id: int | None) -> int | None:
    """The evaluator in force for a checkpoint: the one a transfer pinned on its evaluation
    (it ended before the transfer), else the plan's. The year's is always the plan's."""
    if checkpoint_id is not None:
        pinned = (
            await scoped(Evaluation)
            .filter(plan_id=plan.id, checkpoint_id=checkpoint_id)
            .first()
            .values_list("evaluator_id", flat=True)
        )
        if pinned is not None:
            return int(pinned)  # type: ignore[call-overload]
    return plan.evaluator_id


async def sign_as_evaluator(
    actor: Actor,
    plan: Plan,
    relations: frozenset[Relation],
    *,
    evaluator_id: int | None,
    today: date | None = None,
) -> Signature:
    """The evaluator `evaluator_id` themselves, or an acting head (Plt./Plh.) standing in
    for them on `today` (the region's today by default); the region admin for someone
    with no atasan langsung (the head of the region). Anyone else is refused."""
    me = actor.employee_id
    if evaluator_id is None:
        require(relations, Relation.ADMIN)
        return Signature(me)
    if me is not None and me == evaluator_id:
        return Signature(me)
    if me is not None and me != plan.employee_id:
        acting = await acting_for(acting_id=me, evaluator_id=evaluator_id, today=today)
        if acting is not None:
            return Signature(me, acting.kind, acting.unit_id)
    raise refuse(Relation.EVALUATOR, Relation.ACTING)


async def require_evaluator(actor: Actor, relations: frozenset[Relation], plan: Plan) -> Signature:
    """The plan's evaluator (approving, returning), or their acting head."""
    return await sign_as_evaluator(actor, plan, relations, evaluator_id=plan.evaluator_id)
