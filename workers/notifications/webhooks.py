"""Webhook jobs. `deliver_webhook` makes one attempt of one delivery (job id
`webhook:<delivery id>:<attempt>`, so each attempt is enqueued once); `redeliver_webhook`
starts a redelivery's first attempt from its outbox event, after the mutation committed;
`sweep_webhooks` (workers/recovery.py runs it per region) re-enqueues the attempts whose job was lost
or whose worker died mid-send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.metrics import JOBS_RECOVERED
from kinerja_saas.notifications import webhooks
from kinerja_saas.notifications.models import DeliveryStatus
from tenants.context import tenant_transaction
from workers import jobs
from workers.queue import enqueue
from workers.tenant_job import WorkerContext, tenant_job


async def _enqueue_attempt(
    worker: WorkerContext,
    tenant_id: int,
    delivery_id: int,
    attempt: int,
    first_attempt: int,
    due: datetime | None,
) -> None:
    """Once per (delivery, attempt): the job id is deterministic; `due` None: now."""
    await enqueue(
        worker.queue,
        jobs.DELIVER_WEBHOOK,
        job_id=f"webhook:{delivery_id}:{attempt}",
        defer=due,
        tenant_id=tenant_id,
        delivery_id=delivery_id,
        attempt=attempt,
        first_attempt=first_attempt,
    )


@tenant_job(transactional=False, with_worker=True)
async def deliver_webhook(
    actor: Actor,
    *,
    worker: WorkerContext,
    delivery_id: int,
    attempt: int = 1,
    first_attempt: int = 1,
) -> dict[str, Any]:
    """Claim and commit, POST with no transaction open, then record the outcome and, for a
    retry, enqueue the next attempt deferred by its backoff. `first_attempt` is where the
    current round began (a redelivery starts a new round of `webhook_max_attempts`)."""
    settings = worker.settings
    tenant_id = actor.tenant_id
    assert tenant_id is not None
    async with tenant_transaction(tenant_id):
        claim = await webhooks.claim_delivery(
            delivery_id=delivery_id,
            attempt=attempt,
            stale_after_seconds=settings.webhook_timeout_seconds
            + webhooks.STALE_CLAIM_MARGIN_SECONDS,
        )
    if isinstance(claim, webhooks.NotClaimed):
        # Already handled by an earlier run of this job (or a concurrent one). If that run
        # stored a retry but died before enqueueing it, enqueue it now (same id: once).
        if claim.status is DeliveryStatus.PENDING and claim.attempts == attempt:
            await _enqueue_attempt(
                worker, tenant_id, delivery_id, attempt + 1, first_attempt, claim.next_attempt_at
            )
        return {"sent": False, "status": claim.status.value if claim.status else None}
    outcome = await webhooks.post_delivery(
        claim,
        timeout_seconds=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_private_urls_allowed,  # checked again at each attempt
    )
    decision = webhooks.decide(
        outcome,
        attempt=attempt,
        first_attempt=first_attempt,
        max_attempts=settings.webhook_max_attempts,
        backoff_base=settings.webhook_backoff_base_seconds,
        backoff_max=settings.webhook_backoff_max_seconds,
    )
    async with tenant_transaction(tenant_id):
        due = await webhooks.record_outcome(claim, outcome, decision)
    if decision.status is DeliveryStatus.PENDING and due is not None:
        await _enqueue_attempt(worker, tenant_id, delivery_id, attempt + 1, first_attempt, due)
    return {
        "sent": True,
        "status": decision.status.value,
        "response_status": outcome.response_status,
    }


@tenant_job(transactional=False, with_worker=True)
async def redeliver_webhook(
    actor: Actor, *, worker: WorkerContext, event_id: int, topic: str, payload: dict[str, Any]
) -> dict[str, int]:
    """The outbox event of `redeliverWebhook`: enqueues the new round's first attempt."""
    assert actor.tenant_id is not None
    delivery_id, attempt = int(payload["delivery_id"]), int(payload["attempt"])
    await _enqueue_attempt(worker, actor.tenant_id, delivery_id, attempt, attempt, None)
    return {"delivery_id": delivery_id, "attempt": attempt}


@tenant_job(transactional=False, with_worker=True)
async def sweep_webhooks(actor: Actor, *, worker: WorkerContext) -> dict[str, int]:
    """Recovery of one region: each stranded delivery gets its attempt's job again. The
    job id is the attempt's own, so an attempt whose job is merely queued or deferred is
    not doubled, and the claim in PostgreSQL sends each attempt once whatever happens."""
    settings = worker.settings
    assert actor.tenant_id is not None
    async with tenant_transaction(actor.tenant_id):
        stranded = await webhooks.stranded_deliveries(
            max_attempts=settings.webhook_max_attempts,
            stale_claim_seconds=settings.webhook_timeout_seconds
            + webhooks.STALE_CLAIM_MARGIN_SECONDS,
        )
    for s in stranded:
        await _enqueue_attempt(
            worker, actor.tenant_id, s.delivery_id, s.attempt, s.first_attempt, None
        )
    JOBS_RECOVERED.labels(sweep="webhooks").inc(len(stranded))
    return {"requeued": len(stranded)}
