"""The only module that knows arq's enqueue API, so the queue could be swapped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

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
    defer_until: datetime | None = None,
    **kwargs: Any,
) -> None:
    """Enqueues once per job id: a job id already queued, running or finished is a no-op.
    `defer_until`: not before then (debounced jobs)."""
    await redis.enqueue_job(function, _job_id=job_id, _defer_until=defer_until, **kwargs)
