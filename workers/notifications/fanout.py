"""The fan-out job: one per notifying outbox event (job id `notify:<event id>`)."""

from __future__ import annotations

from typing import Any

import orjson

from kinerja_saas.auth.actor import Actor
from kinerja_saas.notifications import fanout
from kinerja_saas.notifications.live import live_channel
from tenants.context import tenant_transaction
from workers import jobs
from workers.queue import enqueue
from workers.routing import kind_of
from workers.tenant_job import WorkerContext, tenant_job


@tenant_job(transactional=False, with_worker=True)
async def fan_out_notifications(
    actor: Actor, *, worker: WorkerContext, event_id: int, topic: str, payload: dict[str, Any]
) -> dict[str, int]:
    """Commits chunk by chunk, then hands each chunk's new rows on: the live feed and one
    e-mail job per chunk (deterministic ids, so a re-run enqueues nothing twice)."""
    kind = kind_of(topic)
    if kind is None:  # its topic no longer notifies anyone (a job queued before a release)
        return {"recipients": 0, "notified": 0, "webhooks": 0}
    tenant_id = actor.tenant_id
    assert tenant_id is not None  # a region's job
    queue = worker.queue
    batch = worker.settings.notification_batch_size
    async with tenant_transaction(tenant_id):
        webhooks = await fanout.queue_webhooks(
            kind=kind, event_id=event_id, topic=topic, payload=payload
        )
    for delivery_id in webhooks:
        await enqueue(
            queue,
            jobs.DELIVER_WEBHOOK,
            job_id=f"webhook:{delivery_id}:1",
            tenant_id=tenant_id,
            delivery_id=delivery_id,
        )
    after, recipients, notified = 0, 0, 0
    while True:
        async with tenant_transaction(tenant_id):
            chunk = await fanout.fan_out_chunk(
                kind=kind,
                event_id=event_id,
                payload=payload,
                after_user_id=after,
                batch_size=batch,
            )
        recipients += chunk.recipients
        notified += len(chunk.notified)
        if chunk.notified:
            message = {"event_id": event_id, "notifications": chunk.notified}
            channel = live_channel(tenant_id, worker.settings.redis_url)
            await queue.publish(channel, orjson.dumps(message))
        if chunk.emails:
            await enqueue(
                queue,
                jobs.SEND_EMAILS,
                job_id=f"email:{event_id}:{after}",
                tenant_id=tenant_id,
                event_id=event_id,
                after_user_id=after,
                upto_user_id=chunk.last_user_id,
            )
        if chunk.recipients < batch or chunk.last_user_id is None:
            break
        after = chunk.last_user_id
    return {"recipients": recipients, "notified": notified, "webhooks": len(webhooks)}
