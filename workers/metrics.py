"""What the worker tells operators: job metrics, the log scope of each job, and the queue
as arq stores it in Redis (this module and workers/queue.py are the ones that know arq)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from typing import Any

from arq.constants import default_queue_name, health_check_key_suffix, job_key_prefix
from arq.cron import CronJob
from arq.jobs import deserialize_job
from arq.worker import Function, Retry

from kinerja_saas import logs
from kinerja_saas.metrics import JOB_DURATION, JOBS, JOBS_IN_PROGRESS
from workers.queue import DependencyDown, WaitForSlot
from workers.tenant_job import JobDead

HEARTBEAT_KEY = default_queue_name + health_check_key_suffix  # arq:queue:health-check
QUEUE_SAMPLE = 5000  # jobs read per scrape to split the queue by function


async def on_job_start(ctx: dict) -> None:
    """Runs in the job's own task before the function: arq's lines about the job (start,
    retry, failure) carry its id too."""
    logs.enter_scope(job_id=ctx.get("job_id"), job_try=ctx.get("job_try"))


def instrument(function: Function | CronJob) -> Function | CronJob:
    """Counts runs, outcomes and durations of a job function (or cron job), and scopes its
    log lines."""
    coroutine, name = function.coroutine, function.name

    @functools.wraps(coroutine)
    async def run(ctx: dict, *args: Any, **kwargs: Any) -> Any:
        region = kwargs.get("tenant_id", args[0] if args and isinstance(args[0], int) else None)
        logs.enter_scope(function=name, region=region)
        outcome = "error"
        started = time.perf_counter()
        JOBS_IN_PROGRESS.labels(name).inc()
        try:
            result = await coroutine(ctx, *args, **kwargs)
            outcome = "ok"
            return result
        except WaitForSlot:
            outcome = "waiting"
            raise
        except DependencyDown:
            outcome = "unavailable"
            raise
        except Retry:
            outcome = "retry"
            raise
        except JobDead:
            outcome = "dead"
            raise
        except asyncio.CancelledError:  # timeout, shutdown or abort: arq decides what next
            outcome = "cancelled"
            raise
        finally:
            JOBS_IN_PROGRESS.labels(name).dec()
            JOBS.labels(name, outcome).inc()
            JOB_DURATION.labels(name).observe(time.perf_counter() - started)

    return dataclasses.replace(function, coroutine=run)


async def queue_stats(redis: Any) -> tuple[int, int, dict[str, int]]:
    """(queued, due now, queued by function among the first QUEUE_SAMPLE by due time)."""
    now_ms = int(time.time() * 1000)
    pipe = redis.pipeline(transaction=False)
    pipe.zcard(default_queue_name)
    pipe.zcount(default_queue_name, "-inf", now_ms)
    pipe.zrange(default_queue_name, 0, QUEUE_SAMPLE - 1)
    depth, ready, ids = await pipe.execute()
    by_function: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        keys = [job_key_prefix + (i.decode() if isinstance(i, bytes) else i) for i in chunk]
        for data in await redis.mget(keys):
            if data is None:  # finished between the two reads
                continue
            try:
                function = deserialize_job(data).function
            except Exception:
                function = "unreadable"
            by_function[function] = by_function.get(function, 0) + 1
    return depth, ready, by_function


async def heartbeat_alive(redis: Any) -> bool:
    return bool(await redis.exists(HEARTBEAT_KEY))


async def heartbeat(redis: Any) -> tuple[str | None, float | None]:
    """(arq's health line, seconds left before the key expires) or (None, None)."""
    pipe = redis.pipeline(transaction=False)
    pipe.get(HEARTBEAT_KEY)
    pipe.pttl(HEARTBEAT_KEY)
    value, pttl = await pipe.execute()
    if value is None:
        return None, None
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text, (pttl / 1000 if pttl and pttl > 0 else None)
