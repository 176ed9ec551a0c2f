"""Continuous feedback (dialog kinerja): threaded notes between an employee and their
evaluator (and the evaluator's supervisor) on a plan or one of its indicators, any time."""

from __future__ import annotations

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector
from kinerja_saas.outbox.service import emit
from kinerja_saas.performance import events
from kinerja_saas.performance.access import Relation, require, visible_plan
from kinerja_saas.performance.models import DialogNote, Indicator
from tenants.context import current_tenant_id

MAX_BODY = 5000


async def add_note(
    *,
    actor: Actor,
    plan_id: int,
    body: str,
    indicator_id: int | None = None,
    reply_to_id: int | None = None,
) -> DialogNote:
    plan, relations = await visible_plan(actor, plan_id)
    require(relations, Relation.OWNER, Relation.EVALUATOR, Relation.REVIEWER)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    if not body.strip():
        errors.add("body", CommonError.REQUIRED)
    elif len(body) > MAX_BODY:
        errors.add("body", CommonError.TOO_LONG, max=MAX_BODY)
    if (
        indicator_id is not None
        and not await scoped(Indicator).filter(id=indicator_id, plan_id=plan.id).exists()
    ):
        errors.add("indicatorId", CommonError.NOT_FOUND)
    if (
        reply_to_id is not None
        and not await scoped(DialogNote).filter(id=reply_to_id, plan_id=plan.id).exists()
    ):
        errors.add("replyToId", CommonError.NOT_FOUND)
    errors.raise_if_any()
    assert actor.employee_id is not None  # every relation above is an employee's
    note = await DialogNote.create(
        tenant_id=tenant_id,
        plan_id=plan.id,
        indicator_id=indicator_id,
        reply_to_id=reply_to_id,
        author_employee_id=actor.employee_id,
        body=body.strip(),
    )
    await record(actor=actor, action="dialog.note", entity="plan", entity_id=plan.id)
    # Tell the other side: the employee, or the evaluator when the employee wrote.
    recipient = plan.evaluator_id if actor.employee_id == plan.employee_id else plan.employee_id
    await emit(
        events.DIALOG_NOTE_ADDED,
        {
            "note_id": note.id,
            "plan_id": plan.id,
            "author_employee_id": actor.employee_id,
            "recipient_employee_id": recipient,
        },
    )
    return note


async def notes_of(plan_ids: list[int]) -> dict[int, list[DialogNote]]:
    grouped: dict[int, list[DialogNote]] = {p: [] for p in plan_ids}
    for note in await scoped(DialogNote).filter(plan_id__in=plan_ids).order_by("created_at", "id"):
        grouped[note.plan_id].append(note)
    return grouped
