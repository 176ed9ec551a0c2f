"""The region admin's side: competencies, training units and their officers, programmes,
batches and assignment rules. Nothing is deleted that assignments may point at: units,
programmes, competencies and rules are deactivated, and a rule may only point at active ones."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import cast

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, PermissionDenied
from kinerja_saas.notifications.models import WebhookEndpoint
from kinerja_saas.org.models import Unit
from kinerja_saas.outbox.service import emit
from kinerja_saas.performance.models import Aspect, BehaviourValue, Period
from kinerja_saas.regions.defaults import PREDIKAT
from kinerja_saas.training import events, queries, rules
from kinerja_saas.training.errors import TrainingError
from kinerja_saas.training.models import (
    Competency,
    CompetencyKind,
    ProgrammeCompetency,
    RuleTrigger,
    TrainingBatch,
    TrainingMode,
    TrainingOfficer,
    TrainingProgramme,
    TrainingRule,
    TrainingUnit,
)
from tenants.context import current_tenant_id

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")
MAX_JP = 1000
MAX_CAPACITY = rules.MAX_CAPACITY


def require_admin(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN)


def _text(errors: ErrorCollector, name: str, value: str, maximum: int) -> str:
    value = value.strip()
    if not value or len(value) > maximum:
        if value:
            errors.add(name, CommonError.TOO_LONG, max=maximum)
        else:
            errors.add(name, CommonError.REQUIRED, min=1, max=maximum)
    return value


async def _get(model, object_id: int, field_name: str = "id"):
    found = await scoped(model).get_or_none(id=object_id)
    if found is None:
        raise NotFound(CommonError.NOT_FOUND, field=field_name)
    return found


async def _save(model, object_id: int | None, values: dict):
    if object_id is None:
        return await model.create(tenant_id=current_tenant_id(), **values)
    found = await _get(model, object_id)
    for key, value in values.items():
        setattr(found, key, value)
    await found.save_fields(*values)
    return found


# --- competencies --------------------------------------------------------------------------


async def save_competency(
    *,
    actor: Actor,
    competency_id: int | None,
    code: str,
    name: str,
    kind: CompetencyKind,
    is_active: bool = True,
) -> Competency:
    require_admin(actor)
    errors = ErrorCollector()
    code = code.strip().upper()
    if not CODE.match(code):
        errors.add("code", CommonError.INVALID, example="KOMP-PELAYANAN_01")
    name = _text(errors, "name", name, 200)
    clash = scoped(Competency).filter(code=code)
    if competency_id is not None:
        clash = clash.exclude(id=competency_id)
    if await clash.exists():
        errors.add("code", CommonError.DUPLICATE)
    errors.raise_if_any()
    values = {"code": code, "name": name, "kind": kind, "is_active": is_active}
    return await _save(Competency, competency_id, values)


# --- training units and officers -------------------------------------------------------------


async def save_unit(
    *, actor: Actor, unit_id: int | None, name: str, email: str, is_active: bool = True
) -> TrainingUnit:
    require_admin(actor)
    errors = ErrorCollector()
    name = _text(errors, "name", name, 200)
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        errors.add("email", CommonError.INVALID, example="diklat@bkpsdm.go.id")
    clash = scoped(TrainingUnit).filter(name=name)
    if unit_id is not None:
        clash = clash.exclude(id=unit_id)
    if await clash.exists():
        errors.add("name", CommonError.DUPLICATE)
    errors.raise_if_any()
    return await _save(
        TrainingUnit, unit_id, {"name": name, "email": email, "is_active": is_active}
    )


async def set_officer(*, actor: Actor, user_id: int, training_unit_id: int | None) -> None:
    """Makes a TRAINING_OFFICER login belong to a unit (or to none)."""
    require_admin(actor)
    tenant_id = current_tenant_id()
    user = await scoped(UserAccount).get_or_none(id=user_id)
    errors = ErrorCollector()
    if user is None:
        raise NotFound(CommonError.NOT_FOUND, field="userId")
    if Role.TRAINING_OFFICER.value not in user.roles:
        errors.add("userId", TrainingError.NOT_TRAINING_OFFICER)
    if (
        training_unit_id is not None
        and not await scoped(TrainingUnit).filter(id=training_unit_id, is_active=True).exists()
    ):
        errors.add("trainingUnitId", CommonError.NOT_FOUND)
    errors.raise_if_any()
    await scoped(TrainingOfficer).filter(user_id=user_id).delete()
    if training_unit_id is not None:
        await TrainingOfficer.create(
            tenant_id=tenant_id, user_id=user_id, training_unit_id=training_unit_id
        )


async def officer_unit(actor: Actor) -> int:
    """The training unit of an officer's login; refused for anyone else."""
    if actor.has(Role.TRAINING_OFFICER):
        unit_id = cast(
            "int | None",
            await scoped(TrainingOfficer)
            .filter(user_id=actor.user_id)
            .first()
            .values_list("training_unit_id", flat=True),
        )
        if unit_id is not None:
            return unit_id
    raise PermissionDenied(CommonError.FORBIDDEN)


# --- programmes and batches ----------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeData:
    training_unit_id: int
    title: str
    mode: TrainingMode
    jp_hours: int
    capacity: int
    competency_ids: list[int] = field(default_factory=list)
    description: str = ""
    is_open: bool = False
    is_active: bool = True


async def save_programme(
    *, actor: Actor, programme_id: int | None, data: ProgrammeData
) -> TrainingProgramme:
    require_admin(actor)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    title = _text(errors, "title", data.title, 200)
    if not 1 <= data.jp_hours <= MAX_JP:
        errors.add("jpHours", CommonError.OUT_OF_RANGE, min=1, max=MAX_JP)
    if not 1 <= data.capacity <= MAX_CAPACITY:
        errors.add("capacity", CommonError.OUT_OF_RANGE, min=1, max=MAX_CAPACITY)
    competency_ids = sorted(set(data.competency_ids))
    if not competency_ids:
        errors.add("competencyIds", CommonError.REQUIRED)
    elif await scoped(Competency).filter(id__in=competency_ids, is_active=True).count() != len(
        competency_ids
    ):
        errors.add("competencyIds", CommonError.NOT_FOUND)
    if not await scoped(TrainingUnit).filter(id=data.training_unit_id, is_active=True).exists():
        errors.add("trainingUnitId", CommonError.NOT_FOUND)
    clash = scoped(TrainingProgramme).filter(title=title)
    if programme_id is not None:
        clash = clash.exclude(id=programme_id)
    if title and await clash.exists():
        errors.add("title", CommonError.DUPLICATE)
    errors.raise_if_any()
    programme = await _save(
        TrainingProgramme,
        programme_id,
        {
            "training_unit_id": data.training_unit_id,
            "title": title,
            "description": data.description.strip(),
            "mode": data.mode,
            "jp_hours": data.jp_hours,
            "capacity": data.capacity,
            "is_open": data.is_open,
            "is_active": data.is_active,
        },
    )
    await (
        scoped(ProgrammeCompetency)
        .filter(programme_id=programme.id)
        .exclude(competency_id__in=competency_ids)
        .delete()
    )
    existing = set(
        await scoped(ProgrammeCompetency)
        .filter(programme_id=programme.id)
        .values_list("competency_id", flat=True)
    )
    await ProgrammeCompetency.bulk_create(
        [
            ProgrammeCompetency(tenant_id=tenant_id, programme_id=programme.id, competency_id=c)
            for c in competency_ids
            if c not in existing
        ]
    )
    return programme


async def programme_competencies(programme_ids: list[int]) -> dict[int, list[int]]:
    rows = (
        await scoped(ProgrammeCompetency)
        .filter(programme_id__in=programme_ids)
        .values_list("programme_id", "competency_id")
    )
    found: dict[int, list[int]] = {}
    for programme_id, competency_id in rows:
        found.setdefault(programme_id, []).append(competency_id)
    return found


async def create_batch(
    *,
    actor: Actor,
    programme_id: int,
    name: str,
    starts_on: date,
    ends_on: date,
    capacity: int | None = None,
) -> TrainingBatch:
    require_admin(actor)
    programme = await _get(TrainingProgramme, programme_id, "programmeId")
    errors = ErrorCollector()
    name = _text(errors, "name", name, 100)
    seats = programme.capacity if capacity is None else capacity
    errors.extend(rules.batch_problems(starts_on=starts_on, ends_on=ends_on, capacity=seats))
    if not programme.is_active:
        errors.add("programmeId", CommonError.INACTIVE)
    errors.raise_if_any()
    return await TrainingBatch.create(
        tenant_id=current_tenant_id(),
        programme_id=programme_id,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=seats,
    )


# --- rules ----------------------------------------------------------------------------------


async def save_rule(
    *,
    actor: Actor,
    rule_id: int | None,
    trigger: RuleTrigger,
    trigger_value: str,
    competency_id: int,
    programme_id: int | None = None,
    priority: int = 100,
    is_active: bool = True,
) -> TrainingRule:
    require_admin(actor)
    errors = ErrorCollector()
    value = trigger_value.strip().upper()
    if trigger is RuleTrigger.PREDIKAT:
        allowed = set(PREDIKAT)
    elif trigger is RuleTrigger.WEAK_RESULT:
        allowed = {a.value for a in Aspect}
    else:
        allowed = set(
            cast("list[str]", await scoped(BehaviourValue).values_list("code", flat=True))
        )
    if value not in allowed:
        errors.add("triggerValue", CommonError.INVALID, values=sorted(allowed))
    if not 0 <= priority <= 32000:
        errors.add("priority", CommonError.OUT_OF_RANGE, min=0, max=32000)
    competency = await scoped(Competency).get_or_none(id=competency_id)
    if competency is None or not competency.is_active:
        errors.add("competencyId", CommonError.NOT_FOUND)
    if programme_id is not None:
        programme = await scoped(TrainingProgramme).get_or_none(id=programme_id)
        if programme is None or not programme.is_active:
            errors.add("programmeId", CommonError.NOT_FOUND)
    errors.raise_if_any()
    return await _save(
        TrainingRule,
        rule_id,
        {
            "trigger": trigger,
            "trigger_value": value,
            "competency_id": competency_id,
            "programme_id": programme_id,
            "priority": priority,
            "is_active": is_active,
        },
    )


async def request_assignment(*, actor: Actor, period_id: int, unit_id: int | None) -> None:
    """Queues the set-based assignment of a period (or an org unit with its sub-units)
    through the outbox: the worker's handler runs it after this commits."""
    require_admin(actor)
    errors = ErrorCollector()
    if not await scoped(Period).filter(id=period_id).exists():
        errors.add("periodId", CommonError.NOT_FOUND)
    if unit_id is not None and not await scoped(Unit).filter(id=unit_id).exists():
        errors.add("unitId", CommonError.NOT_FOUND)
    errors.raise_if_any()
    await emit(
        events.ASSIGNMENT_REQUESTED,
        {"period_id": period_id, "unit_id": unit_id, "requested_by": actor.user_id},
    )


async def set_webhook_unit(*, actor: Actor, endpoint_id: int, training_unit_id: int | None):
    """Ties a webhook endpoint (made with createWebhookEndpoint) to a training unit: it then
    receives only that unit's events, e.g. its new participants (`TRAINING_UNIT_ASSIGNED`)."""
    require_admin(actor)
    endpoint = await scoped(WebhookEndpoint).get_or_none(id=endpoint_id)
    if endpoint is None:
        raise NotFound(CommonError.NOT_FOUND, field="endpointId")
    if (
        training_unit_id is not None
        and not await scoped(TrainingUnit).filter(id=training_unit_id, is_active=True).exists()
    ):
        errors = ErrorCollector()
        errors.add("trainingUnitId", CommonError.NOT_FOUND)
        errors.raise_if_any()
    await scoped(WebhookEndpoint).filter(id=endpoint_id).update(training_unit_id=training_unit_id)


async def rebuild_read_models(*, actor: Actor) -> None:
    """Recomputes the region's training read models (JP per employee and year, the
    effectiveness pairs) from the completed assignments and the evaluations, with the SQL the
    writing transactions use. Nothing should need it: each write keeps them current; it is
    the check and the repair (`kinerja tenant rebuild-read-models`)."""
    require_admin(actor)
    await queries.rebuild_read_models()
