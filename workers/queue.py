"""The only module that knows arq's enqueue API, so the queue could be swapped."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix

from kinerja_saas.settings import Settings


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
