"""Announcements (pengumuman): a region admin's message to a unit and its sub-units, or to
the whole region, delivered by the fan-out like any other notification."""

from __future__ import annotations

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector
from kinerja_saas.notifications.events import ANNOUNCEMENT
from kinerja_saas.org.models import Unit
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.outbox.service import emit

MAX_TITLE = 200
MAX_BODY = 5000


async def send_announcement(
    *, actor: Actor, title: str, body: str, unit_id: int | None
) -> OutboxEvent:
    actor.require(Role.REGION_ADMIN)
    title, body = title.strip(), body.strip()
    errors = ErrorCollector()
    if not title:
        errors.add("title", CommonError.REQUIRED)
    elif len(title) > MAX_TITLE:
        errors.add("title", CommonError.TOO_LONG, max=MAX_TITLE)
    if not body:
        errors.add("body", CommonError.REQUIRED)
    elif len(body) > MAX_BODY:
        errors.add("body", CommonError.TOO_LONG, max=MAX_BODY)
    if unit_id is not None and not await scoped(Unit).filter(id=unit_id).exists():
        errors.add("unitId", CommonError.NOT_FOUND)
    errors.raise_if_any()
    event = await emit(
        ANNOUNCEMENT, {"judul": title, "isi": body, "unit_id": unit_id, "by": actor.user_id}
    )
    await record(
        actor=actor,
        action="notification.announcement",
        entity="outbox_event",
        entity_id=event.id,
        after={"title": title, "unit_id": unit_id},
    )
    return event
