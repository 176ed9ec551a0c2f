"""The outbox relay and the event dispatcher.

The relay claims committed events of every region and enqueues each event's jobs as the
routing table (`workers/routing.py`) says: `dispatch_event` or the topic's own job, with
the job id `outbox:<event id>`, and a `fan_out_notifications` job, `notify:<event id>`,
for topics that notify someone; a debounced topic's event schedules its scope's job
instead. The claim commits only after Redis took the jobs, so a Redis outage delays
events but loses none. `dispatch_event` runs the topic's handlers, each at most once per
event (`processed_events`), so an event delivered twice is handled once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
from tortoise.transactions import in_transaction

from kinerja_saas.auth.actor import Actor
from kinerja_saas.database import relay_connection_params
from kinerja_saas.metrics import JOBS_RECOVERED
from kinerja_saas.outbox import parking
from kinerja_saas.outbox import service as outbox
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction
from workers.queue import enqueue, unknown_jobs
from workers.routing import debounce_of, handlers_of, jobs_for
from workers.tenant_job import WorkerContext, tenant_job

log = logging.getLogger("kinerja.outbox")

OUTBOX_CHANNEL = "kinerja_outbox"  # NOTIFY channel of committed events


def debounced_job(
    event: outbox.ClaimedEvent, window: float, now: float | None = None
) -> tuple[str, str, datetime, dict[str, Any]]:
    """(function, job id, run not before, kwargs) of a debounced topic's event. The job id
    names the window, so a finished run never blocks the next window's (arq keeps finished
    ids). Events are relayed after their commit, so the run at the window's end sees every
    event of the window."""
    debounce = debounce_of(event.topic)
    assert debounce is not None
    function = debounce.job
    window = max(window, 0.05)
    bucket = int((time.time() if now is None else now) // window)
    scope = {key: event.payload[key] for key in debounce.scope}
    job_id = ":".join([function, str(event.tenant_id), *map(str, scope.values()), str(bucket)])
    run_at = datetime.fromtimestamp((bucket + 1) * window, UTC)
    return function, job_id, run_at, scope


async def enqueue_jobs_of(
    redis, event: outbox.ClaimedEvent | outbox.UnfinishedEvent, only: set[str] | None = None
) -> int:
    """Enqueues the jobs of one (non-debounced) event, or those of them in `only`."""
    enqueued = 0
    for function, job_id in jobs_for(event.id, event.topic):
        if only is not None and job_id not in only:
            continue
        await enqueue(
            redis,
            function,
            job_id=job_id,
            tenant_id=event.tenant_id,
            event_id=event.id,
            topic=event.topic,
            payload=event.payload,
        )
        enqueued += 1
    return enqueued


class EnqueuedDebounced:
    """The debounced job ids a relay has enqueued, kept until they are due: a later event of
    the same scope and window costs no Redis round trip (arq would ignore the id anyway).
    Remembered only after the claim committed, so a failed batch enqueues again."""

    def __init__(self) -> None:
        self._due: dict[str, float] = {}

    def __contains__(self, job_id: str) -> bool:
        return job_id in self._due

    def add(self, jobs: dict[str, datetime]) -> None:
        now = time.time()
        self._due = {j: due for j, due in self._due.items() if due > now}
        self._due.update((j, run_at.timestamp()) for j, run_at in jobs.items())


async def relay_once(
    redis,
    conn: asyncpg.Connection,
    *,
    batch_size: int,
    debounce_seconds: float = 2.0,
    enqueued: EnqueuedDebounced | None = None,
) -> int:
    """Moves one batch of committed events to the queue; returns how many. The claim
    commits only after Redis took every job."""
    debounced: dict[str, datetime] = {}  # one enqueue per debounced job of the batch
    async with conn.transaction():
        events = await outbox.claim_batch(conn, batch_size)
        for event in events:
            if debounce_of(event.topic) is not None:
                function, job_id, run_at, scope = debounced_job(event, debounce_seconds)
                if job_id in debounced or (enqueued is not None and job_id in enqueued):
                    continue
                debounced[job_id] = run_at
                await enqueue(
                    redis,
                    function,
                    job_id=job_id,
                    defer=run_at,
                    tenant_id=event.tenant_id,
                    **scope,
                )
                continue
            await enqueue_jobs_of(redis, event)
    if enqueued is not None:
        enqueued.add(debounced)
    return len(events)


async def _wait(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    """Until stop, a commit's wake-up, or the poll interval (the fallback)."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    wake.clear()


async def run_relay(redis, settings: Settings, stop: asyncio.Event) -> None:
    """Relays until `stop` is set; survives Redis and PostgreSQL outages by retrying.

    A committed event wakes it at once (a statement trigger NOTIFYs OUTBOX_CHANNEL,
    migration 0014), so an event reaches its job in milliseconds; the poll interval is only
    the fallback for a missed notification (e.g. while the connection was down)."""
    conn: asyncpg.Connection | None = None
    wake = asyncio.Event()
    enqueued = EnqueuedDebounced()
    failing = False  # one warning with its traceback per outage, not one per poll
    while not stop.is_set():
        try:
            if conn is None or conn.is_closed():
                conn = await asyncpg.connect(**relay_connection_params(settings))
                await conn.add_listener(OUTBOX_CHANNEL, lambda *_: wake.set())
            moved = await relay_once(
                redis,
                conn,
                batch_size=settings.outbox_batch_size,
                debounce_seconds=settings.survey_aggregate_debounce_seconds,
                enqueued=enqueued,
            )
        except Exception:
            if failing:
                log.debug("outbox relay still failing; retrying", exc_info=True)
            else:
                log.warning("outbox relay failed; retrying", exc_info=True)
            failing = True
            moved = 0
            if conn is not None and not conn.is_closed():
                await conn.close()
            conn = None
        else:
            if failing:
                log.info("outbox relay recovered")
            failing = False
        if moved < settings.outbox_batch_size:
            await _wait(stop, wake, settings.outbox_poll_seconds)
    if conn is not None and not conn.is_closed():
        await conn.close()


@tenant_job
async def dispatch_event(
    actor: Actor, *, event_id: int, topic: str, payload: dict[str, Any]
) -> list[str]:
    """Runs each handler of the topic once; returns the handlers that ran now."""
    ran = []
    for name, handler in handlers_of(topic).items():
        async with in_transaction():  # a savepoint per handler
            if await outbox.mark_processed(event_id, name):
                await handler(actor, event_id, payload)
                ran.append(name)
    return ran


# An event's jobs are in Redis before its claim commits, so a relayed event that is not
# done and whose job Redis does not know (not queued, not running, no result) lost it,
# whatever its age: no grace is needed (relayed_at and now() are the database's clock).
RELAYED_GRACE_SECONDS = 0.0
# A debounced event not done this long after its relay lost its job (its window is ~1 s).
DEBOUNCED_GRACE_SECONDS = 60.0


@tenant_job(transactional=False, with_worker=True)
async def sweep_outbox(actor: Actor, *, worker: WorkerContext) -> dict[str, int]:
    """Recovery of one region's relayed events that are not done and whose jobs Redis lost
    (a restart without persistence, a failover): one SELECT over the events not done, one
    of their dead jobs (left to the operator), one pipelined look-up of their job ids, and
    the lost jobs enqueued again under the same ids. A debounced topic's lost run is
    enqueued once per scope."""
    assert actor.tenant_id is not None
    async with tenant_transaction(actor.tenant_id):
        events = await outbox.relayed_not_done(older_than_seconds=RELAYED_GRACE_SECONDS)
        expected = {
            e.id: [
                (function, job_id)
                for function, job_id in jobs_for(e.id, e.topic)
                if function not in e.done_jobs
            ]
            for e in events
            if debounce_of(e.topic) is None
        }
        dead = await parking.dead_job_ids([j for pairs in expected.values() for _, j in pairs])
    lost = set(
        await unknown_jobs(
            worker.queue, [j for pairs in expected.values() for _, j in pairs if j not in dead]
        )
    )
    requeued = 0
    by_id = {e.id: e for e in events}
    for event_id, pairs in expected.items():
        only = {job_id for _, job_id in pairs if job_id in lost}
        if only:
            requeued += await enqueue_jobs_of(worker.queue, by_id[event_id], only=only)
    requeued += await _requeue_debounced(worker, actor.tenant_id, events)
    JOBS_RECOVERED.labels(sweep="outbox").inc(requeued)
    return {"checked": len(events), "requeued": requeued, "dead": len(dead)}


async def _requeue_debounced(worker: WorkerContext, tenant_id: int, events: list) -> int:
    """One run per scope (e.g. campaign) of debounced events long past their window and
    still not done; the id names the newest such event, so a later sweep of the same state
    enqueues nothing more and a new lost event gets a run of its own."""
    newest: dict[tuple, tuple[str, dict[str, Any], int]] = {}
    for event in events:
        debounce = debounce_of(event.topic)
        if debounce is None or event.relayed_seconds_ago < DEBOUNCED_GRACE_SECONDS:
            continue
        function = debounce.job
        scope = {key: event.payload[key] for key in debounce.scope}
        newest[(function, *scope.values())] = (function, scope, event.id)
    for function, scope, event_id in newest.values():
        job_id = ":".join([function, str(tenant_id), *map(str, scope.values()), f"sweep{event_id}"])
        await enqueue(worker.queue, function, job_id=job_id, tenant_id=tenant_id, **scope)
    return len(newest)
