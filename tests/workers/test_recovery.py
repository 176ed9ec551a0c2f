"""Recovery sweeps: work PostgreSQL says is pending but whose job Redis lost, or whose
worker died, gets its job again, once; what is alive, fresh or finished is left alone.
(Webhook deliveries: tests/notifications/test_webhooks.py; e-mails: test_email.py.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from arq.connections import create_pool
from arq.jobs import Job, JobStatus

from kinerja_saas.database_client import count_statements
from kinerja_saas.metrics import JOBS_RECOVERED
from kinerja_saas.org.models import ImportJob, ImportStatus
from kinerja_saas.outbox.service import emit
from tenants.context import tenant_transaction
from tests.org.test_import import csv_bytes, row, upload
from tests.workers.test_jobs import PING, drain, recorded  # noqa: F401 (a fixture)
from workers.org import sweep_imports
from workers.outbox import sweep_outbox
from workers.queue import enqueue, redis_settings
from workers.recovery import RECOVERY_SWEEPS, schedule_recovery_sweeps, slot_of


@pytest.fixture
async def pool(settings, redis):
    pool = await create_pool(redis_settings(settings))
    yield pool
    await pool.aclose()


def ctx(pool, settings) -> dict:
    return {"redis": pool, "settings": settings, "job_try": 1, "job_id": "sweep:test"}


async def ping(region) -> int:
    async with tenant_transaction(region.id):
        return (await emit(PING, {"n": 1})).id


async def test_the_outbox_sweep_requeues_only_the_jobs_redis_lost(
    region_a,
    pool,
    settings,
    owner_conn,
    recorded,  # noqa: F811
):
    lost, alive, old, recent, done, unrelayed = [await ping(region_a) for _ in range(6)]
    relayed_ago = {
        lost: "10 minutes",
        alive: "10 minutes",
        old: "2 hours",  # not done however old: its job is as lost as the others'
        recent: "1 second",  # its job was in Redis before the claim committed: lost too
        done: "2 hours",
    }
    for event_id, ago in relayed_ago.items():
        await owner_conn.execute(
            f"UPDATE outbox_events SET relayed_at = now() - interval '{ago}' WHERE id = $1",
            event_id,
        )
    await owner_conn.execute("UPDATE outbox_events SET done_at = now() WHERE id = $1", done)
    # `alive`'s job is still queued; `lost`'s and `old`'s never reached Redis (or Redis
    # lost them).
    await enqueue(pool, "dispatch_event", job_id=f"outbox:{alive}", defer=3600.0,
                  tenant_id=region_a.id, event_id=alive, topic="test.ping", payload={"n": 1})  # fmt: skip
    recovered = JOBS_RECOVERED.labels(sweep="outbox")._value.get()
    with count_statements() as counter:
        report = await sweep_outbox(ctx(pool, settings), region_a.id)
    assert report == {"checked": 4, "requeued": 3, "dead": 0}
    assert JOBS_RECOVERED.labels(sweep="outbox")._value.get() == recovered + 3
    # the tenant transaction, the events not done, their dead jobs; the region check
    assert counter.count <= 5
    for event_id in (lost, old, recent):
        assert await Job(f"outbox:{event_id}", pool).status() == JobStatus.queued
    for event_id in (done, unrelayed):
        assert await Job(f"outbox:{event_id}", pool).status() == JobStatus.not_found
    assert (await sweep_outbox(ctx(pool, settings), region_a.id))["requeued"] == 0  # known now
    await pool.delete(f"arq:job:outbox:{alive}")  # keep the deferred one out of the drain
    await pool.zrem("arq:queue", f"outbox:{alive}")
    await drain(settings)
    assert sorted(call[1] for call in recorded if call[1] in relayed_ago) == [lost, old, recent]
    # Each ran once and its event is done now.
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM outbox_events WHERE id = ANY($1::bigint[]) AND done_at IS NOT NULL",
            [lost, old, recent],
        )
        == 3
    )


async def test_the_import_sweep_restarts_imports_left_queued_or_running(
    api, region_a, pool, settings, owner_conn
):
    content = csv_bytes(row("199001012015011001", "Ani", "Dinas Baru"))
    ids = []
    for _ in range(4):
        body = await upload(api, region_a, content)
        ids.append(int(body["data"]["importEmployees"]["job"]["id"]))
    queued, died, running, fresh = ids
    await owner_conn.execute(
        "UPDATE import_jobs SET created_at = now() - interval '20 minutes' WHERE id = $1", queued
    )
    for job_id, ago in ((died, "2 hours"), (running, "5 minutes")):
        await owner_conn.execute(
            "UPDATE import_jobs SET status = 'RUNNING', run_id = 'run-' || id,"
            f" started_at = now() - interval '{ago}' WHERE id = $1",
            job_id,
        )
    report = await sweep_imports(ctx(pool, settings), region_a.id)
    assert report == {"requeued": 2}
    assert await Job(f"import-sweep:{queued}:queued", pool).status() == JobStatus.queued
    assert await Job(f"import-sweep:{died}:run-{died}", pool).status() == JobStatus.queued
    assert (await sweep_imports(ctx(pool, settings), region_a.id)) == {"requeued": 2}  # same ids
    await drain(settings)
    async with tenant_transaction(region_a.id):
        status = dict(
            await ImportJob.filter(tenant_id=region_a.id, id__in=ids).values_list("id", "status")
        )
    assert status[queued] == status[died] == ImportStatus.SUCCEEDED
    assert status[running] == ImportStatus.RUNNING  # a live run is not disturbed
    assert status[fresh] == ImportStatus.QUEUED  # its own job may still come


async def test_recovery_sweeps_are_scheduled_once_per_region_and_slot(pool, settings, region_a):
    now = datetime(2026, 12, 2, 6, 17, tzinfo=UTC)
    assert slot_of(now) == slot_of(now.replace(minute=19)) == "202612020610"
    try:
        await schedule_recovery_sweeps({"redis": pool, "settings": settings}, now=now)
        for function in RECOVERY_SWEEPS:
            job = Job(f"{function}:{region_a.id}:202612020610", pool)
            assert await job.status() == JobStatus.queued
        before = await pool.zcard("arq:queue")
        await schedule_recovery_sweeps({"redis": pool, "settings": settings}, now=now)
        assert await pool.zcard("arq:queue") == before  # the same slot: nothing new
    finally:  # every region's sweeps: keep them out of later tests' drains
        for job in await pool.queued_jobs():
            if job.function in RECOVERY_SWEEPS:
                await pool.zrem("arq:queue", job.job_id)
                await pool.delete(f"arq:job:{job.job_id}")


def test_every_recovery_sweep_is_a_registered_job():
    from workers.settings import FUNCTIONS

    assert set(RECOVERY_SWEEPS) <= {f.name for f in FUNCTIONS}
