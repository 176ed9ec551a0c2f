"""Recovery of stranded work: what PostgreSQL says is pending but no job will run, because
Redis lost the job (a restart without persistence, a failover) or a worker died in the
middle of it. Every 10 minutes one sweep of each kind per active region looks for it in
one set-based statement and enqueues its job again under a deterministic id, so a job that
is merely queued is not doubled; the jobs themselves are idempotent. When Redis comes back
without its data, the sweeps run at once (`watch_redis_reset`), not at their next slot.

| sweep | finds | module |
|---|---|---|
| `sweep_emails` | e-mails due or left SENDING (its own cron) | workers/notifications/email.py |
| `sweep_webhooks` | webhook attempts overdue or left SENDING | workers/notifications/webhooks.py |
| `sweep_outbox` | relayed events not done whose job Redis no longer knows | workers/outbox.py |
| `sweep_imports` | roster imports QUEUED or RUNNING far too long | workers/org.py |
| `sweep_survey_pending` | survey services pending past a run (their job lost) | workers/surveys.py |
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime

from workers import jobs
from workers.tenant_job import enqueue_for_active_regions

log = logging.getLogger("kinerja.recovery")

SWEEP_EVERY_MINUTES = 10
RECOVERY_SWEEPS = (
    jobs.SWEEP_WEBHOOKS,
    jobs.SWEEP_OUTBOX,
    jobs.SWEEP_IMPORTS,
    jobs.SWEEP_SURVEY_PENDING,
)
# A key every worker keeps in Redis: when it is gone, Redis lost its data.
EPOCH_KEY = "kinerja:redis-epoch"
RESET_CHECK_SECONDS = 2.0


def slot_of(now: datetime) -> str:
    """The 10-minute slot: two schedulers in the same slot enqueue each sweep once."""
    return now.strftime("%Y%m%d%H") + f"{now.minute - now.minute % SWEEP_EVERY_MINUTES:02d}"


async def schedule_recovery_sweeps(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, every 10 minutes: each recovery sweep once per active region."""
    slot = slot_of(now or datetime.now(UTC))
    enqueued = 0
    for function in RECOVERY_SWEEPS:
        enqueued += await enqueue_for_active_regions(ctx["redis"], function, run=slot)
    return enqueued


async def run_sweeps_now(redis, run: str) -> int:
    """Every recovery sweep and the e-mail sweep, once per active region, now."""
    enqueued = 0
    for function in (*RECOVERY_SWEEPS, jobs.SWEEP_EMAILS):
        enqueued += await enqueue_for_active_regions(redis, function, run=run)
    return enqueued


async def watch_redis_reset(redis, stop: asyncio.Event) -> None:
    """Inside every worker (beside the relay): whoever finds the epoch key missing sets a
    new one (SET NX: one worker wins) and runs the sweeps under that epoch's name, so the
    jobs a data-less Redis lost are queued again within seconds of its return. A worker
    starting on an empty Redis does the same, which only costs a round of sweeps."""
    pending: str | None = None
    while not stop.is_set():
        try:
            if pending is None:
                epoch = uuid.uuid4().hex[:12]
                if await redis.set(EPOCH_KEY, epoch, nx=True):
                    pending = epoch
                    log.warning("Redis has no epoch key (new or lost its data): sweeping now")
            if pending is not None:
                count = await run_sweeps_now(redis, run=f"reset-{pending}")
                log.info("recovery sweeps enqueued after a Redis reset", extra={"jobs": count})
                pending = None
        except Exception:  # Redis or PostgreSQL still down: try again
            log.debug("Redis reset check failed; retrying", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RESET_CHECK_SECONDS)
