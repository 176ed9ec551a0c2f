"""Fair scheduling of jobs across regions (knows arq's job ids and queue through
workers/queue.py only).

At most `KINERJA_WORKER_REGION_MAX_JOBS` jobs of one region run at once across all workers.
A job that finds its region at the cap runs nothing: it puts a copy of itself back in the
queue `KINERJA_WORKER_REGION_DEFER_SECONDS` later and ends, so the worker's slot goes to the
next job in the queue, which is another region's when the rest of the queue is this
region's backlog. A region's 20,000-row import or 100,000-recipient fan-out then holds at
most the cap of a worker's `max_jobs` slots, and another region's small job waits at most
for the jobs ahead of it to be started or put back — not for them to finish.

The running jobs of a region are a sorted set in Redis (job id → lease expiry), taken and
checked atomically in one Lua script. A job re-run after its worker was killed has the same
id and takes its own stale lease back; any other stale lease lapses after
`KINERJA_WORKER_REGION_LEASE_SECONDS`.
"""

from __future__ import annotations

import re
from typing import Any

from redis.exceptions import RedisError

from kinerja_saas import logs, metrics
from kinerja_saas.settings import Settings
from workers.queue import enqueue

log = logs.get_logger("kinerja.jobs")

# KEYS[1] the region's set; ARGV: job id, cap, lease (ms). Redis's own clock, so workers on
# machines with skewed clocks agree.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0
"""
_COPY = re.compile(r"^(?P<base>.*)~fair(?P<n>\d+)$")
FAILED_BEFORE = "_failed_before"  # kwarg of a put-back copy: failed runs of the original


def running_key(tenant_id: int) -> str:
    return f"kinerja:jobs:running:{tenant_id}"


async def take_slot(redis: Any, settings: Settings, tenant_id: int, job_id: str) -> bool:
    """True when the job may run now (and holds one of its region's slots until released)."""
    if settings.worker_region_max_jobs <= 0:
        return True
    taken = await redis.eval(
        _TAKE,
        1,
        running_key(tenant_id),
        job_id,
        settings.worker_region_max_jobs,
        settings.worker_region_lease_seconds * 1000,
    )
    return bool(taken)


async def release_slot(redis: Any, settings: Settings, tenant_id: int, job_id: str) -> None:
    if settings.worker_region_max_jobs <= 0:
        return
    # Redis gone: the lease lapses on its own; the job's outcome must not be lost over it.
    # Stricter, not looser, meanwhile (the slot stays taken), but said.
    try:
        await redis.zrem(running_key(tenant_id), job_id)
    except (RedisError, OSError) as exc:
        log.warning(
            "job slot not released (Redis); it lapses with its lease",
            region=tenant_id,
            error=type(exc).__name__,
        )


def copy_id(job_id: str) -> str:
    """`notify:7` → `notify:7~fair1` → `notify:7~fair2`: deterministic, so two workers
    putting back the same job enqueue one copy."""
    match = _COPY.match(job_id)
    if match is None:
        return f"{job_id}~fair1"
    return f"{match['base']}~fair{int(match['n']) + 1}"


async def put_back(
    redis: Any,
    settings: Settings,
    *,
    function: str,
    job_id: str,
    tenant_id: int,
    failed_before: int,
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """Enqueues a copy of the job to run a little later; the copy carries the failed runs
    so far, so the retry budget is not reset by waiting."""
    new_id = copy_id(job_id)
    extra = {FAILED_BEFORE: failed_before} if failed_before else {}
    await enqueue(
        redis,
        function,
        job_id=new_id,
        defer=settings.worker_region_defer_seconds,
        tenant_id=tenant_id,
        **kwargs,
        **extra,
    )
    metrics.JOBS_DEFERRED.labels(function).inc()
    log.debug("job put back: region at its cap", job=job_id, copy=new_id, region=tenant_id)
    return {"deferred_to": new_id}
