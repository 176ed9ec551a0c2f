"""Fair scheduling of jobs across regions, with a real arq worker against the real Redis: a
region's backlog holds at most its cap of the worker's slots, so another region's job
queued behind it runs before the backlog is done."""

from __future__ import annotations

import asyncio

import pytest
from arq import func
from arq.connections import create_pool
from arq.worker import Worker

from tenants.context import current_tenant_id
from workers import fair_queue
from workers.queue import enqueue, redis_settings
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


@tenant_job
async def failing_job(actor, *, key: str) -> None:
    STATE.setdefault(key, 0)
    STATE[key] += 1
    raise RuntimeError("always fails")


@pytest.fixture
async def pool(settings, redis):
    connection = await create_pool(redis_settings(settings))
    yield connection
    await connection.aclose()


def fair_worker(settings, *functions, cap: int) -> Worker:
    fair = settings.model_copy(
        update={"worker_region_max_jobs": cap, "worker_region_defer_seconds": 0.05}
    )
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
    # Then the whole backlog ran, each job once (put-back copies ran instead of it).
    assert RUNS.count(("a-start", region_a.id)) == backlog
    assert RUNS.count(("a-done", region_a.id)) == backlog
    assert worker.jobs_failed == 0
    assert await pool.zcard(fair_queue.running_key(region_a.id)) == 0  # every slot released


async def test_put_back_copies_keep_the_retry_budget(settings, pool, region_a, monkeypatch):
    """A copy counts the failed runs of the job it replaces: waiting for a slot does not
    buy a failing job more attempts."""
    key = f"fails-{region_a.id}"
    # The original failed twice (job_try 3) before it was put back.
    await enqueue(
        pool,
        "failing_job",
        job_id=fair_queue.copy_id(f"fail-{region_a.id}"),
        tenant_id=region_a.id,
        key=key,
        **{fair_queue.FAILED_BEFORE: 2},
    )
    monkeypatch.setattr("workers.tenant_job.backoff_seconds", lambda attempt: 0)
    worker = fair_worker(settings, failing_job, cap=2)
    await worker.async_run()
    await worker.close()
    assert STATE[key] == 3  # attempts 3, 4 and 5 of MAX_TRIES = 5
    assert worker.jobs_failed == 1


def test_copy_ids_are_deterministic():
    assert fair_queue.copy_id("notify:7") == "notify:7~fair1"
    assert fair_queue.copy_id("notify:7~fair1") == "notify:7~fair2"
    assert fair_queue.copy_id("email:7:0~fair12") == "email:7:0~fair13"


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
