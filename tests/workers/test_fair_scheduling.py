"""Fair scheduling of jobs across regions, with a real arq worker against the real Redis: a
region's backlog holds at most its cap of the worker's slots, so another region's job
queued behind it runs before the backlog is done."""

from __future__ import annotations

import asyncio

import pytest
from arq import func
from arq.connections import create_pool
from arq.worker import Worker

from kinerja_saas import metrics
from tenants.context import current_tenant_id
from workers import fair_queue
from workers.queue import enqueue, redis_settings
from workers.runner import make_worker
from workers.settings import worker_options
from workers.tenant_job import tenant_job

RUNS: list[tuple[str, int]] = []  # (event, tenant) in the order the bodies ran
STATE: dict = {}


@tenant_job
async def slow_region_job(actor, *, n: int) -> dict:
    """Region A's backlog: each run holds its slot until region B's job has run."""
    RUNS.append(("a-start", current_tenant_id()))
    STATE["running"] += 1
    STATE["most_running"] = max(STATE["most_running"], STATE["running"])
    try:
        # Bounded only so a broken scheduler fails the test instead of hanging it.
        await asyncio.wait_for(STATE["b_ran"].wait(), timeout=20)
    finally:
        STATE["running"] -= 1
    RUNS.append(("a-done", current_tenant_id()))
    return {"n": n}


@tenant_job
async def small_region_job(actor) -> dict:
    RUNS.append(("b", current_tenant_id()))
    STATE["b_ran"].set()
    return {}


@pytest.fixture
async def pool(settings, redis):
    connection = await create_pool(redis_settings(settings))
    yield connection
    await connection.aclose()


def fair_worker(settings, *functions, cap: int) -> Worker:
    fair = settings.model_copy(update={"worker_region_max_jobs": cap})
    options = worker_options(fair, relay=False, manage_db=False)
    options["functions"] = [func(f) for f in functions]
    options["cron_jobs"] = []
    return Worker(**options, burst=True, handle_signals=False)


async def test_another_regions_job_runs_before_a_regions_backlog_finishes(
    settings, pool, region_a, region_b
):
    RUNS.clear()
    STATE.update(b_ran=asyncio.Event(), running=0, most_running=0)
    backlog = 30
    for n in range(backlog):
        await enqueue(
            pool, "slow_region_job", job_id=f"fair-a-{region_a.id}-{n}", tenant_id=region_a.id, n=n
        )
    await enqueue(pool, "small_region_job", job_id=f"fair-b-{region_b.id}", tenant_id=region_b.id)

    worker = fair_worker(settings, slow_region_job, small_region_job, cap=2)
    await worker.async_run()
    await worker.close()

    b_at = RUNS.index(("b", region_b.id))
    before_b = RUNS[:b_at]
    # Only region A's cap of jobs had started, none had finished, when B's job ran.
    assert before_b == [("a-start", region_a.id)] * 2
    assert STATE["most_running"] == 2
    # Then the whole backlog ran, each job once.
    assert RUNS.count(("a-start", region_a.id)) == backlog
    assert RUNS.count(("a-done", region_a.id)) == backlog
    assert worker.jobs_failed == 0
    assert await pool.zcard(fair_queue.running_key(region_a.id)) == 0  # every slot released


@tenant_job
async def short_region_job(actor, *, n: int) -> dict:
    RUNS.append(("short", n))
    STATE["running"] += 1
    STATE["most_running"] = max(STATE["most_running"], STATE["running"])
    try:
        await asyncio.sleep(0.05)
    finally:
        STATE["running"] -= 1
    return {"n": n}


async def test_a_waiting_job_is_woken_by_the_freed_slot_without_copies(
    settings, pool, redis, region_a
):
    """Cap 1, twelve jobs of one region: each runs once, one at a time, and each waits
    for a slot by being put back at most once (the freed slot wakes it: its own look-again
    is 30 s away, far beyond what the run takes), never as a copy with another id."""
    RUNS.clear()
    STATE.update(running=0, most_running=0)
    jobs = 12
    for n in range(jobs):
        await enqueue(
            pool, "short_region_job", job_id=f"wake-{region_a.id}-{n}", tenant_id=region_a.id, n=n
        )
    put_back = metrics.JOBS_DEFERRED.labels("short_region_job")._value.get()
    worker = fair_worker(settings, short_region_job, cap=1)
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(worker.async_run(), 20)
    elapsed = asyncio.get_running_loop().time() - started
    await worker.close()
    assert sorted(n for _, n in RUNS) == list(range(jobs))  # each once
    assert STATE["most_running"] == 1
    put_backs = metrics.JOBS_DEFERRED.labels("short_region_job")._value.get() - put_back
    assert put_backs <= jobs  # at most one put-back per waiting job …
    assert elapsed < 10  # … each woken by a freed slot, not by its 30 s timer
    keys = [k.decode() for k in await redis.keys("arq:*wake-*")]
    assert not [k for k in keys if "~" in k]  # no copies under other ids
    assert worker.jobs_failed == 0
    assert await redis.zcard(fair_queue.waiting_key(region_a.id)) == 0
    assert await pool.zcard(fair_queue.running_key(region_a.id)) == 0


async def test_a_waiting_jobs_own_look_again_doubles(settings, pool, redis, region_a):
    """Nothing woke it (say its region's slots stay taken): it looks again after the wait,
    then twice that, and so on, keeping its place at the head of the waiting list."""
    one = settings.model_copy(
        update={"worker_region_max_jobs": 1, "worker_region_wait_seconds": 10.0}
    )
    holder, waiter = f"hold-{region_a.id}", f"wait-{region_a.id}"
    await enqueue(pool, "short_region_job", job_id=waiter, tenant_id=region_a.id, n=0)
    assert await fair_queue.take_slot(redis, one, region_a.id, holder)
    dues = []
    for _ in range(3):
        seconds, micros = await redis.time()
        now_ms = seconds * 1000 + micros // 1000
        assert not await fair_queue.take_slot(redis, one, region_a.id, waiter, 5)
        dues.append(round((await redis.zscore("arq:queue", waiter) - now_ms) / 1000))
    assert dues == [10, 20, 40]
    assert await redis.zrange(fair_queue.waiting_key(region_a.id), 0, -1) == [waiter.encode()]
    # The slot frees: the waiter gets it (reserved) and is due now.
    await fair_queue.release_slot(redis, one, region_a.id, holder)
    now_ms = (await redis.time())[0] * 1000
    assert await redis.zscore("arq:queue", waiter) <= now_ms + 1000
    assert await redis.zscore(fair_queue.running_key(region_a.id), waiter)
    assert await fair_queue.take_slot(redis, one, region_a.id, waiter)
    await fair_queue.release_slot(redis, one, region_a.id, waiter)
    await redis.delete("arq:job:" + waiter)
    await redis.zrem("arq:queue", waiter)


async def test_a_dead_workers_slot_goes_to_the_waiting_job_within_a_lease(
    settings, pool, redis, region_a
):
    """A worker died holding the region's only slot (its lease is never renewed): the live
    worker's heartbeat hands the lapsed slot to the waiting job, which runs within about a
    lease, though its own look-again is 30 s away."""
    RUNS.clear()
    STATE.update(running=0, most_running=0)
    fair = settings.model_copy(
        update={
            "worker_region_max_jobs": 1,
            "worker_lease_seconds": 1.0,
            "worker_lease_renew_seconds": 0.3,
        }
    )
    assert await fair_queue.take_slot(redis, fair, region_a.id, "job-of-a-dead-worker")
    await enqueue(
        pool, "short_region_job", job_id=f"after-dead-{region_a.id}", tenant_id=region_a.id, n=1
    )
    options = worker_options(fair, relay=False, manage_db=False)
    options["functions"] = [func(short_region_job)]
    options["cron_jobs"] = []
    worker = make_worker(fair, options, burst=True, handle_signals=False)
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(worker.async_run(), 20)
    elapsed = asyncio.get_running_loop().time() - started
    await worker.close()
    assert RUNS == [("short", 1)]
    assert elapsed < 5  # one lease (1 s) and a heartbeat, not the 30 s look-again


async def test_a_killed_workers_job_takes_its_own_slot_back(settings, redis, region_a):
    one = settings.model_copy(update={"worker_region_max_jobs": 1})
    assert await fair_queue.take_slot(redis, one, region_a.id, "job-1")
    # job-1's worker died without releasing: another job of the region must wait …
    assert not await fair_queue.take_slot(redis, one, region_a.id, "job-2")
    # … but job-1, re-run by arq under the same id, gets its slot back.
    assert await fair_queue.take_slot(redis, one, region_a.id, "job-1")
    await fair_queue.release_slot(redis, one, region_a.id, "job-1")
    assert await fair_queue.take_slot(redis, one, region_a.id, "job-2")
    await fair_queue.release_slot(redis, one, region_a.id, "job-2")
