"""How jobs end when they fail, with a real arq worker against the real Redis and
PostgreSQL: an outage is retried for as long as it lasts, never using up the job's tries;
a failure of the job's own is retried a few times, then parked as dead with its error,
counted, shown, and run again by an operator; an outbox event is done only once its jobs
succeeded."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg
import pytest
from arq import func
from arq.connections import create_pool

from kinerja_saas import metrics
from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.database import owner_connection_params
from kinerja_saas.outbox import parking
from kinerja_saas.outbox import service as outbox
from kinerja_saas.outbox.topics import Topic
from kinerja_saas.runtime.doctor import check_dead_jobs
from tenants.context import current_tenant_id, tenant_transaction
from tests.workers.test_jobs import relay_all
from workers import outbox as relay
from workers import routing
from workers.queue import redis_settings
from workers.runner import make_worker
from workers.settings import worker_options
from workers.tenant_job import dependency_unavailable, tenant_job

STATE: dict = {}


@tenant_job
async def flaky_dependency_job(actor, *, key: str, outage_runs: int) -> str:
    """Fails as an unreachable PostgreSQL does for its first `outage_runs` runs."""
    STATE[key] = STATE.get(key, 0) + 1
    if STATE[key] <= outage_runs:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
    await AuditEntry.create(
        tenant_id=current_tenant_id(), actor="t", action="dep.ok", entity="job", entity_id=0
    )
    return "ok"


@tenant_job
async def buggy_job(actor, *, key: str, event_id: int = 0) -> str:
    """Fails for a reason of its own until STATE says the bug is fixed."""
    STATE[key] = STATE.get(key, 0) + 1
    if not STATE.get(f"{key}:fixed"):
        raise KeyError("kolom 'nip' tidak ada")
    return "fixed"


@pytest.fixture
async def pool(settings, redis):
    connection = await create_pool(redis_settings(settings))
    yield connection
    await connection.aclose()


def quick(settings, **extra):
    return settings.model_copy(
        update={
            "job_retry_max_seconds": 0.05,
            "job_failure_backoff_seconds": 0.0,
            "job_max_failures": 3,
            **extra,
        }
    )


async def run_burst(settings, *functions):
    options = worker_options(settings, relay=False, manage_db=False)
    options["functions"] = [*options["functions"], *(func(f) for f in functions)]
    options["cron_jobs"] = []
    worker = make_worker(settings, options, burst=True, handle_signals=False)
    await asyncio.wait_for(worker.async_run(), 60)
    await worker.close()
    return worker


def test_what_counts_as_an_outage():
    assert dependency_unavailable(ConnectionRefusedError(111, "refused"))
    assert dependency_unavailable(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert dependency_unavailable(asyncpg.exceptions.SerializationError("could not serialize"))
    assert dependency_unavailable(asyncpg.exceptions.TooManyConnectionsError("too many"))
    from redis.exceptions import ConnectionError as RedisConnectionError

    assert dependency_unavailable(RedisConnectionError("Redis down"))
    wrapped = RuntimeError("while fanning out")
    wrapped.__cause__ = asyncpg.exceptions.AdminShutdownError("terminating connection")
    assert dependency_unavailable(wrapped)
    for own in (
        KeyError("nip"),
        ValueError("bad row"),
        asyncpg.exceptions.UniqueViolationError(),
        FileNotFoundError(2, "no such file"),  # an OSError of the job's own, not an outage
    ):
        assert not dependency_unavailable(own)


async def test_an_outage_longer_than_the_tries_never_gives_the_job_up(
    settings, pool, region_a, owner_conn
):
    """Twelve runs in a row find the database unreachable, four times the budget of three
    tries: the job keeps its place, backs off (capped), and succeeds once it is back."""
    key = f"dep-{region_a.id}"
    await pool.enqueue_job(
        "flaky_dependency_job", region_a.id, key=key, outage_runs=12, _job_id=key
    )
    worker = await run_burst(quick(settings), flaky_dependency_job)
    assert STATE[key] == 13
    assert worker.jobs_failed == 0 and worker.jobs_complete >= 1
    assert await owner_conn.fetchval("SELECT count(*) FROM parked_jobs WHERE job_id = $1", key) == 0
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'dep.ok'", region_a.id
        )
        == 1
    )


async def test_a_job_failing_on_its_own_is_parked_dead_counted_and_retried(
    settings, pool, region_a, owner_conn, relay_conn
):
    key = f"bug-{region_a.id}"
    await pool.enqueue_job("buggy_job", region_a.id, key=key, _job_id=key)
    parked = metrics.JOBS_PARKED.labels("buggy_job")._value.get()
    dead_before, _ = await parking.counts(relay_conn)
    worker = await run_burst(quick(settings), buggy_job)
    assert STATE[key] == 3  # KINERJA_JOB_MAX_FAILURES tries, then no more
    assert worker.jobs_failed == 1
    row = await owner_conn.fetchrow(
        "SELECT tenant_id, function, status, error, failures, kwargs FROM parked_jobs"
        " WHERE job_id = $1",
        key,
    )
    assert (row["tenant_id"], row["function"], row["status"], row["failures"]) == (
        region_a.id,
        "buggy_job",
        "DEAD",
        3,
    )
    assert "KeyError" in row["error"] and "nip" in row["error"]
    assert metrics.JOBS_PARKED.labels("buggy_job")._value.get() == parked + 1
    assert (await parking.counts(relay_conn))[0] == dead_before + 1  # /metrics and doctor
    doctor = await check_dead_jobs(settings)
    assert doctor.failed and f"{dead_before + 1} dead" in doctor.detail

    # The operator lists it and, once the bug is fixed, retries it: same job id, fresh tries.
    env = {
        "PATH": "/usr/bin:/bin",
        "KINERJA_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
    }
    listed = await _cli(env, "jobs", "list", "--region", region_a.tenant.slug)
    assert listed.returncode == 0 and key in listed.stdout and "KeyError" in listed.stdout
    parked_id = await owner_conn.fetchval("SELECT id FROM parked_jobs WHERE job_id = $1", key)
    STATE[f"{key}:fixed"] = True
    retried = await _cli(env, "jobs", "retry", str(parked_id))
    assert retried.returncode == 0, retried.stdout + retried.stderr
    again = await _cli(env, "jobs", "retry", str(parked_id))  # not dead any more
    assert again.returncode == 1 and "Bukan job yang mati" in again.stdout
    worker = await run_burst(quick(settings), buggy_job)
    assert STATE[key] == 4 and worker.jobs_complete == 1
    assert (
        await owner_conn.fetchval("SELECT status FROM parked_jobs WHERE id = $1", parked_id)
        == "RETRIED"
    )
    assert (await parking.counts(relay_conn))[0] == dead_before


async def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "kinerja_saas.runtime.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_an_event_is_done_when_its_jobs_succeeded_not_when_relayed(
    settings, pool, region_a, owner_conn, monkeypatch
):
    """The relay marks an event relayed; it stays not done while its handler fails (here
    the database is "down" twice), and is done once the handler succeeded."""
    runs = []

    async def handler(actor, event_id, payload):
        runs.append(event_id)
        if len(runs) <= 2:
            raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")

    done = Topic("test.done", dict, "A test event whose handler fails twice.")
    monkeypatch.setitem(routing.ROUTES, done, routing.Route(done, handlers={"done": handler}))
    async with tenant_transaction(region_a.id):
        event = await outbox.emit(done, {})
    await relay_all(pool, settings)
    row = await owner_conn.fetchrow(
        "SELECT relayed_at, done_at, done_jobs FROM outbox_events WHERE id = $1", event.id
    )
    assert row["relayed_at"] is not None and row["done_at"] is None and row["done_jobs"] == []
    await run_burst(quick(settings))
    row = await owner_conn.fetchrow(
        "SELECT done_at, done_jobs FROM outbox_events WHERE id = $1", event.id
    )
    assert runs == [event.id] * 3
    assert row["done_at"] is not None and row["done_jobs"] == ["dispatch_event"]


async def test_the_outbox_sweep_leaves_dead_jobs_to_the_operator(
    settings, pool, region_a, owner_conn
):
    """An event whose job was parked as dead is not done, yet the sweep does not enqueue
    it again behind the operator's back (arq forgets the failed job after an hour)."""
    async with tenant_transaction(region_a.id):
        event = await outbox.emit(Topic("test.dead", dict, "An unrouted test event."), {})
    await relay_all(pool, settings)
    job_id = f"outbox:{event.id}"
    await pool.delete(f"arq:job:{job_id}")  # as if it had run and failed long ago
    await pool.zrem("arq:queue", job_id)
    await owner_conn.execute(
        "UPDATE outbox_events SET relayed_at = now() - interval '2 hours' WHERE id = $1", event.id
    )
    async with tenant_transaction(region_a.id):
        await parking.park(
            job_id=job_id, function="dispatch_event", kwargs={"event_id": event.id},
            error="KeyError: x", failures=5,
        )  # fmt: skip
    ctx = {"redis": pool, "settings": settings, "job_try": 1, "job_id": "sweep:dead"}
    report = await relay.sweep_outbox(ctx, region_a.id)
    assert report["dead"] >= 1
    assert not await pool.exists(f"arq:job:{job_id}")
    await owner_conn.execute("DELETE FROM parked_jobs WHERE job_id = $1", job_id)
    report = await relay.sweep_outbox(ctx, region_a.id)
    assert await pool.exists(f"arq:job:{job_id}")  # without the dead row: recovered
    await run_burst(quick(settings))
    assert await owner_conn.fetchval(
        "SELECT done_at IS NOT NULL FROM outbox_events WHERE id = $1", event.id
    )


async def test_parked_jobs_are_isolated_by_region(settings, region_a, region_b):
    async with tenant_transaction(region_a.id):
        await parking.park(
            job_id=f"iso-{region_a.id}", function="buggy_job", kwargs={}, error="x", failures=1
        )
    async with tenant_transaction(region_b.id):
        assert await parking.dead_job_ids([f"iso-{region_a.id}"]) == set()
    async with tenant_transaction(region_a.id):
        assert await parking.dead_job_ids([f"iso-{region_a.id}"]) == {f"iso-{region_a.id}"}
    conn = await asyncpg.connect(**owner_connection_params(settings))
    try:
        await conn.execute("DELETE FROM parked_jobs WHERE job_id = $1", f"iso-{region_a.id}")
    finally:
        await conn.close()
