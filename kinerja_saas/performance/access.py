"""Who may do what with a plan and everything hanging off it (realisations, evaluations,
dialog). Relations are read from the plan itself: its employee, its evaluator (atasan
langsung when the plan was written) and the evaluator's supervisor, plus the region admin
and anyone higher up the current supervision chain, who may only read."""

from __future__ import annotations

from enum import Enum

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, NotFound, PermissionDenied
from kinerja_saas.org.service import supervises
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import Plan


class Relation(Enum):
    OWNER = "OWNER"  # the employee whose plan it is
    EVALUATOR = "EVALUATOR"  # approves the plan, verifies realisations, evaluates
    REVIEWER = "REVIEWER"  # the evaluator's supervisor: decides appeals
    ADMIN = "ADMIN"  # region admin: reads everything, decides appeals nobody else can
    CHAIN = "CHAIN"  # higher up the supervision chain: reads only


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
    if not found and me is not None and await supervises(me, plan.employee_id):
        found.add(Relation.CHAIN)
    return frozenset(found)


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
}


def require(relations: frozenset[Relation], *allowed: Relation) -> None:
    if not relations.intersection(allowed):
        raise PermissionDenied(
            PerformanceError.FORBIDDEN, allowed=[RELATION_LABELS[r] for r in allowed]
        )


def require_evaluator(relations: frozenset[Relation], plan: Plan) -> None:
    """The plan's evaluator; the region admin for someone with no atasan langsung (the head
    of the region)."""
    require(
        relations,
        Relation.EVALUATOR if plan.evaluator_id is not None else Relation.ADMIN,
    )
