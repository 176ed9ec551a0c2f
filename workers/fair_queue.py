"""Fair scheduling of jobs across regions (knows arq's queue through workers/queue.py only).

At most `KINERJA_WORKER_REGION_MAX_JOBS` jobs of one region run at once across all workers.
A job that finds its region at the cap runs nothing: it joins its region's waiting list
and its own queue entry (the same job, no copy) is pushed `KINERJA_WORKER_REGION_WAIT_SECONDS`
into the future, so the worker's slot goes to the next job in the queue, which is another
region's when the rest of the queue is this region's backlog. A region's 20,000-row import
or 100,000-recipient fan-out then holds at most the cap of a worker's `max_jobs` slots, and
another region's small job waits at most for the jobs ahead of it to be started or put
back, not for them to finish.

When a slot frees — a job ends, or a dead worker's lease lapses (found by the live
workers' lease heartbeat, workers/runner.py) — the head of the region's waiting list gets
it: the slot is reserved for that job and its queue entry made due now. So a waiting job
is put back once and then runs when its turn comes, not polled every half second; only
if nothing woke it does it look again on its own, after a wait that doubles each time
(a safety net, capped at an hour).

Redis keys per region: a sorted set of the running jobs (job id → lease expiry), a sorted
set of the waiting ones (job id → enqueue time, so the oldest goes first), and a hash of
how often each waiting job was put back; plus one set of the regions with waiting jobs.
All are changed atomically by the Lua scripts below, on Redis's own clock (workers on
machines with skewed clocks agree). A job re-run after its worker was killed has the same
id and takes its own stale slot back.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError

from kinerja_saas import logs, metrics
from kinerja_saas.settings import Settings
from workers.queue import QUEUE_KEY

log = logs.get_logger("kinerja.jobs")

WAITING_REGIONS_KEY = "kinerja:jobs:waiting-regions"
MAX_WAIT_MS = 3_600_000

# Shared by the scripts: hands free slots of the region to the head of its waiting list.
# KEYS[1] running, KEYS[2] waiting, KEYS[3] put-back counts, KEYS[4] arq's queue,
# KEYS[5] the set of waiting regions; `cap`, `lease`, `now`, `region` are locals.
_WAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local woken = 0
local free = cap - redis.call('ZCARD', KEYS[1])
while free > 0 do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #head == 0 then
    redis.call('SREM', KEYS[5], region)
    break
  end
  redis.call('ZREM', KEYS[2], head[1])
  -- Only a job still queued: one that finished or was lost is just dropped.
  if redis.call('ZSCORE', KEYS[4], head[1]) then
    redis.call('ZADD', KEYS[1], now + lease, head[1])
    redis.call('ZADD', KEYS[4], 'XX', now, head[1])
    free = free - 1
    woken = woken + 1
  else
    redis.call('HDEL', KEYS[3], head[1])
  end
end
if redis.call('ZCARD', KEYS[1]) > 0 then redis.call('PEXPIRE', KEYS[1], lease) end
if redis.call('ZCARD', KEYS[2]) > 0 then
  redis.call('PEXPIRE', KEYS[2], 86400000)
  redis.call('PEXPIRE', KEYS[3], 86400000)
end
return woken
"""

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# ARGV: job id, cap, lease ms, base wait ms, the job's enqueue time (ms), region id.
# Returns 1 when the job holds a slot, else the ms until it looks again by itself.
_TAKE = (
    _NOW
    + """
local job, cap, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local region = ARGV[6]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], job) or redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now + lease, job)
  redis.call('PEXPIRE', KEYS[1], lease)
  redis.call('ZREM', KEYS[2], job)
  redis.call('HDEL', KEYS[3], job)
  return 1
end
-- NX: a job woken but beaten to the slot keeps its place at the head.
redis.call('ZADD', KEYS[2], 'NX', tonumber(ARGV[5]), job)
local n = redis.call('HINCRBY', KEYS[3], job, 1)
redis.call('PEXPIRE', KEYS[2], 86400000)
redis.call('PEXPIRE', KEYS[3], 86400000)
redis.call('SADD', KEYS[5], region)
local wait = math.min(tonumber(ARGV[4]) * 2 ^ (n - 1), """
    + str(MAX_WAIT_MS)
    + """)
redis.call('ZADD', KEYS[4], 'XX', now + wait, job)
return -wait
"""
)

# ARGV: job id, cap, lease ms, region id.
_RELEASE = (
    _NOW
    + """
local cap, lease, region = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREM', KEYS[1], ARGV[1])
"""
    + _WAKE
)

# ARGV: cap, lease ms, region id. The heartbeat's check of a region with waiting jobs:
# slots that lapsed (a dead worker's) go to the waiting jobs.
_WAKE_REGION = (
    _NOW
    + """
local cap, lease, region = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
"""
    + _WAKE
)

# KEYS: running sets; ARGV[i]: the job id of KEYS[i], ARGV[#KEYS + 1] the lease (ms).
_RENEW = (
    _NOW
    + """
local lease = tonumber(ARGV[#KEYS + 1])
for i, key in ipairs(KEYS) do
  if redis.call('ZADD', key, 'XX', 'CH', now + lease, ARGV[i]) == 1 then
    redis.call('PEXPIRE', key, lease)
  end
end
return 0
"""
)


def running_key(tenant_id: int) -> str:
    return f"kinerja:jobs:running:{tenant_id}"


def waiting_key(tenant_id: int) -> str:
    return f"kinerja:jobs:waiting:{tenant_id}"


def put_backs_key(tenant_id: int) -> str:
    return f"kinerja:jobs:put-backs:{tenant_id}"


def _keys(tenant_id: int) -> list[str]:
    return [
        running_key(tenant_id),
        waiting_key(tenant_id),
        put_backs_key(tenant_id),
        QUEUE_KEY,
        WAITING_REGIONS_KEY,
    ]


def _lease_ms(settings: Settings) -> int:
    return int(settings.worker_lease_seconds * 1000)


async def take_slot(
    redis: Any, settings: Settings, tenant_id: int, job_id: str, enqueued_ms: int = 0
) -> bool:
    """True when the job may run now (and holds one of its region's slots until released).
    False: the job is in its region's waiting list and its queue entry was pushed back;
    the caller ends the run with `WaitForSlot` so arq keeps that entry as it is."""
    if settings.worker_region_max_jobs <= 0:
        return True
    taken = await redis.eval(
        _TAKE,
        len(_keys(tenant_id)),
        *_keys(tenant_id),
        job_id,
        settings.worker_region_max_jobs,
        _lease_ms(settings),
        int(settings.worker_region_wait_seconds * 1000),
        enqueued_ms,
        tenant_id,
    )
    return taken == 1


async def release_slot(redis: Any, settings: Settings, tenant_id: int, job_id: str) -> None:
    """Gives the slot back and hands it to the head of the region's waiting list."""
    if settings.worker_region_max_jobs <= 0:
        return
    # Redis gone: the lease lapses on its own; the job's outcome must not be lost over it.
    # Stricter, not looser, meanwhile (the slot stays taken), but said.
    try:
        await redis.eval(
            _RELEASE,
            len(_keys(tenant_id)),
            *_keys(tenant_id),
            job_id,
            settings.worker_region_max_jobs,
            _lease_ms(settings),
            tenant_id,
        )
    except (RedisError, OSError) as exc:
        log.warning(
            "job slot not released (Redis); it lapses with its lease",
            region=tenant_id,
            error=type(exc).__name__,
        )


async def renew_slots(redis: Any, settings: Settings, held: dict[str, int]) -> None:
    """Extends the leases of the slots this worker's running jobs hold (job id → region);
    a slot that lapsed or was released meanwhile is not taken back (ZADD XX)."""
    if not held or settings.worker_region_max_jobs <= 0:
        return
    items = list(held.items())
    await redis.eval(
        _RENEW,
        len(items),
        *[running_key(tenant_id) for _, tenant_id in items],
        *[job_id for job_id, _ in items],
        _lease_ms(settings),
    )


async def wake_lapsed(redis: Any, settings: Settings) -> int:
    """For each region with waiting jobs: slots whose lease lapsed (their worker died) go
    to the waiting jobs. Run by every worker's lease heartbeat; returns how many woke."""
    if settings.worker_region_max_jobs <= 0:
        return 0
    woken = 0
    for member in await redis.smembers(WAITING_REGIONS_KEY):
        tenant_id = int(member)
        woken += await redis.eval(
            _WAKE_REGION,
            len(_keys(tenant_id)),
            *_keys(tenant_id),
            settings.worker_region_max_jobs,
            _lease_ms(settings),
            tenant_id,
        )
    return woken


def count_put_back(function: str, job_id: str, tenant_id: int) -> None:
    metrics.JOBS_DEFERRED.labels(function).inc()
    log.debug("job waits for a slot of its region", job=job_id, region=tenant_id)
