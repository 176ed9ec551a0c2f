"""The only module that knows arq's enqueue API, so the queue could be swapped."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from arq import Retry, create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import (
    default_queue_name,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)

from kinerja_saas.settings import Settings

# The sorted set of queued jobs (job id → due time in ms): the fair queue re-schedules a
# waiting job by its score (workers/fair_queue.py).
QUEUE_KEY = default_queue_name
FOREVER_TRIES = 2**31 - 1  # arq's own try limit, out of the way: tenant_job decides


class RunAgain(Retry):
    """Raised by a job: arq runs the same job (same id, no copy) again after `defer`
    seconds, or, with no `defer`, at the score the job's queue entry has now."""


class WaitForSlot(RunAgain):
    """The region is at its cap: the job waits in its region's waiting list."""


class DependencyDown(RunAgain):
    """PostgreSQL or Redis could not be reached: tried again after a capped backoff."""


def in_progress_key(job_id: str) -> str:
    return in_progress_key_prefix + job_id


def redis_settings(settings: Settings) -> RedisSettings:
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set")
    return RedisSettings.from_dsn(settings.redis_url)


async def connect(settings: Settings) -> ArqRedis:
    return await create_pool(redis_settings(settings))


async def enqueue(
    redis: ArqRedis,
    function: str,
    *,
    job_id: str,
    defer: datetime | timedelta | float | None = None,
    **kwargs: Any,
) -> None:
    """Enqueues once per job id: a job id already queued, running or finished is a no-op.
    `defer`: run no earlier than this moment (datetime) or after this delay (seconds)."""
    if isinstance(defer, datetime):
        await redis.enqueue_job(function, _job_id=job_id, _defer_until=defer, **kwargs)
    else:
        await redis.enqueue_job(function, _job_id=job_id, _defer_by=defer, **kwargs)


async def unknown_jobs(redis: ArqRedis, job_ids: list[str]) -> list[str]:
    """The job ids Redis knows nothing of: not queued or deferred, not running, and no
    result kept. One round trip for the whole list."""
    if not job_ids:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.exists(
                job_key_prefix + job_id, in_progress_key_prefix + job_id, result_key_prefix + job_id
            )
        found = await pipe.execute()
    return [job_id for job_id, n in zip(job_ids, found, strict=True) if not n]


async def renew_in_progress(redis: ArqRedis, job_ids: list[str], lease_seconds: float) -> None:
    """Extends the in-progress keys of jobs this worker runs: arq lets another worker start
    a job only once its key is gone. PEXPIRE never creates a key, so a job that finished
    meanwhile is not marked running again."""
    if not job_ids:
        return
    ms = int(lease_seconds * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.pexpire(in_progress_key(job_id), ms)
        await pipe.execute()


async def requeue(redis: ArqRedis, function: str, *, job_id: str, **kwargs: Any) -> bool:
    """Enqueues a job that ended (a dead job an operator retries) again under its own id:
    arq refuses an id whose result it still keeps, so that result and its try count go
    first. False when the job is queued or running already."""
    if await redis.exists(job_key_prefix + job_id, in_progress_key(job_id)):
        return False
    await redis.delete(result_key_prefix + job_id, retry_key_prefix + job_id)
    job = await redis.enqueue_job(function, _job_id=job_id, **kwargs)
    return job is not None
