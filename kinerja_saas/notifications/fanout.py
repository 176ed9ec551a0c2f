"""Fan-out of one outbox event to its recipients, a chunk of recipients per statement.

Each chunk is one statement: it resolves the next recipients in user-id order, applies
their preferences, stores their in-app notifications and queues their e-mails, every text
rendered by the database. The unique keys make a re-run (or a second worker) add nothing,
so the caller can commit chunk by chunk and a worker killed half-way loses nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from tortoise import connections

from kinerja_saas.notifications.kinds import Kind
from kinerja_saas.notifications.models import NotificationTemplate
from kinerja_saas.notifications.rendering import compile_text, event_values
from tenants.context import current_tenant_id
from tenants.models import Tenant


def _db():
    return connections.get("default")


@dataclass
class Chunk:
    recipients: int  # resolved in this chunk (stored now or before)
    last_user_id: int | None
    notified: list[tuple[int, int]] = field(default_factory=list)  # new (id, user id)
    emails: int = 0  # new e-mail deliveries to send now (not held for a digest)


class _Params:
    def __init__(self, *values: Any) -> None:
        self.values = list(values)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


async def _texts(kind: Kind) -> tuple[str, str]:
    override = await NotificationTemplate.get_or_none(tenant_id=current_tenant_id(), kind=kind.name)
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
    p = _Params(
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
    rows = await _db().execute_query_dict(
        f"""
WITH r AS MATERIALIZED (
    SELECT * FROM ({kind.recipients}) r0 WHERE r0.user_id > $3 ORDER BY r0.user_id LIMIT $4
), p AS (
    SELECT r.*, coalesce(pi.enabled, $6) AS in_app, coalesce(pe.enabled, $7) AS email
    FROM r
    LEFT JOIN notification_preferences pi ON pi.tenant_id = $1 AND pi.user_id = r.user_id
        AND pi.kind = $5 AND pi.channel = 'IN_APP'
    LEFT JOIN notification_preferences pe ON pe.tenant_id = $1 AND pe.user_id = r.user_id
        AND pe.kind = $5 AND pe.channel = 'EMAIL'
), ins AS (
    INSERT INTO notifications (tenant_id, user_id, event_id, kind, title, body, link, created_at)
    SELECT $1, r.user_id, $8, $5, left({title_sql}, 300), {body_sql}, {link_sql}, now()
    FROM p r WHERE r.in_app
    ON CONFLICT (tenant_id, event_id, user_id) DO NOTHING
    RETURNING id, user_id
), mail AS (
    INSERT INTO notification_deliveries (tenant_id, event_id, kind, channel, user_id, status,
        payload, attempts, created_at, updated_at)
    SELECT $1, $8, $5, 'EMAIL', r.user_id,
        CASE WHEN s.email_digest THEN 'DIGEST' ELSE 'PENDING' END,
        jsonb_build_object('subject', {title_sql}, 'body', {body_sql}, 'link', {link_sql}),
        0, now(), now()
    FROM p r LEFT JOIN notification_settings s ON s.tenant_id = $1 AND s.user_id = r.user_id
    WHERE r.email
    ON CONFLICT (tenant_id, event_id, user_id) WHERE channel = 'EMAIL' DO NOTHING
    RETURNING status
)
SELECT (SELECT count(*) FROM r) AS recipients, (SELECT max(user_id) FROM r) AS last_user_id,
    (SELECT coalesce(jsonb_agg(jsonb_build_array(id, user_id) ORDER BY user_id), '[]')
     FROM ins) AS notified,
    (SELECT count(*) FROM mail WHERE status = 'PENDING') AS emails,
    $2::jsonb IS NOT NULL AS typed  -- types $2 for kinds whose recipients ignore the payload
""",
        p.values,
    )
    row = rows[0]
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
    await _db().execute_query(
        """
INSERT INTO notification_deliveries (tenant_id, event_id, kind, channel, endpoint_id, status,
    payload, attempts, created_at, updated_at)
SELECT $1, $2, $3::text, 'WEBHOOK', w.id, 'PENDING', $4::jsonb, 0, now(), now()
FROM webhook_endpoints w
WHERE w.tenant_id = $1 AND w.is_active AND (w.kinds = '[]'::jsonb OR w.kinds ? $3::text)
    AND (w.training_unit_id IS NULL
        OR w.training_unit_id = ($4::jsonb->'data'->>'training_unit_id')::bigint)
ON CONFLICT (tenant_id, event_id, endpoint_id) WHERE channel = 'WEBHOOK' DO NOTHING
""",
        [current_tenant_id(), event_id, kind.name, orjson.dumps(body).decode()],
    )
    waiting = await _db().execute_query_dict(
        "SELECT id FROM notification_deliveries WHERE tenant_id = $1 AND event_id = $2"
        " AND channel = 'WEBHOOK' AND status = 'PENDING' AND attempts = 0 ORDER BY id",
        [current_tenant_id(), event_id],
    )
    return [r["id"] for r in waiting]
