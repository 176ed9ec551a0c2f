"""Fan-out of one outbox event to its recipients, a chunk of recipients per statement.

Each chunk is one statement: it resolves the next recipients in user-id order, applies
their preferences, stores their in-app notifications and queues their e-mails, every text
rendered by the database. The unique keys make a re-run (or a second worker) add nothing,
so the caller can commit chunk by chunk and a worker killed half-way loses nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from kinerja_saas.db import Sql, scoped
from kinerja_saas.notifications import queries
from kinerja_saas.notifications.kinds import Kind
from kinerja_saas.notifications.models import NotificationTemplate
from kinerja_saas.notifications.rendering import compile_text, event_values
from tenants.context import current_tenant_id
from tenants.models import Tenant


@dataclass
class Chunk:
    recipients: int  # resolved in this chunk (stored now or before)
    last_user_id: int | None
    notified: list[tuple[int, int]] = field(default_factory=list)  # new (id, user id)
    emails: int = 0  # new e-mail deliveries to send now (not held for a digest)


async def _texts(kind: Kind) -> tuple[str, str]:
    override = await scoped(NotificationTemplate).get_or_none(kind=kind.name)
    return (override.title, override.body) if override else (kind.title, kind.body)


async def fan_out_chunk(
    *, kind: Kind, event_id: int, payload: dict[str, Any], after_user_id: int, batch_size: int
) -> Chunk:
    """Notifies the next `batch_size` recipients after `after_user_id`, in the current
    tenant transaction."""
    tenant_id = current_tenant_id()
    region = await Tenant.get(id=tenant_id)
    title, body = await _texts(kind)
    values = event_values(kind, payload, region.name)
    # $1 tenant, $2 payload, $3 after, $4 batch, $5 kind, $6/$7 defaults, $8 event
    p = Sql(
        tenant_id,
        orjson.dumps(payload).decode(),
        after_user_id,
        batch_size,
        kind.name,
        kind.in_app,
        kind.email,
        event_id,
    )
    title_sql = compile_text(title, kind=kind, values=values, param=p)
    body_sql = compile_text(body, kind=kind, values=values, param=p)
    link_sql = compile_text(kind.link, kind=kind, values=values, param=p) if kind.link else "NULL"
    row = await queries.fan_out(
        p, recipients=kind.recipients, title=title_sql, body=body_sql, link=link_sql
    )
    notified = row["notified"]
    if isinstance(notified, str):
        notified = orjson.loads(notified)
    return Chunk(
        recipients=row["recipients"],
        last_user_id=row["last_user_id"],
        notified=[(n[0], n[1]) for n in notified],
        emails=row["emails"],
    )


async def queue_webhooks(
    *, kind: Kind, event_id: int, topic: str, payload: dict[str, Any]
) -> list[int]:
    """One delivery per active endpoint that takes this kind (all kinds when its list is
    empty). An endpoint of a training unit (`training_unit_id`) takes only events about that
    unit (the payload's `training_unit_id`); the region's own endpoints take every event.
    Returns the ids of the event's deliveries never attempted yet, new or not, so a re-run
    of a fan-out that died before enqueueing them enqueues them (job ids are once)."""
    body = {"event_id": event_id, "kind": kind.name, "topic": topic, "data": payload}
    return await queries.queue_webhook_deliveries(
        event_id=event_id, kind=kind.name, body=orjson.dumps(body).decode()
    )
