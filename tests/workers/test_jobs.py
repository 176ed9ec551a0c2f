"""The outbox and the tenant job wrapper, with a real arq worker against the real Redis."""

import pytest
from arq import func
from arq.connections import ArqRedis, create_pool
from arq.worker import Worker

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.org.models import Employee
from kinerja_saas.outbox import service as outbox
from kinerja_saas.outbox.topics import Topic
from tenants.context import current_tenant_id, tenant_transaction
from tenants.models import RegionStatus
from tests.conftest import update_region
from workers import outbox as relay
from workers import routing
from workers.queue import redis_settings
from workers.settings import worker_options
from workers.tenant_job import tenant_job


@pytest.fixture
async def arq_redis(settings, redis):
    pool = await create_pool(redis_settings(settings))
    yield pool
    await pool.aclose()


@tenant_job
async def count_visible_employees(actor, *, note: str) -> dict:
    """A job body: sees only its tenant's rows, with no filter of its own."""
    return {"tenant": current_tenant_id(), "employees": await Employee.all().count(), "note": note}


def make_worker(settings, *extra) -> Worker:
    options = worker_options(settings, relay=False, manage_db=False)
    options["functions"] = [*options["functions"], *extra]
    options["cron_jobs"] = []  # tests run the schedulers themselves, with their own clock
    return Worker(**options, burst=True, handle_signals=False)


async def drain(settings, *extra) -> Worker:
    worker = make_worker(settings, *extra)
    await worker.async_run()
    await worker.close()
    return worker


PING = Topic("test.ping", dict, "A test event, handled by the `recorded` fixture's handler.")
FLAKY = Topic("test.flaky", dict, "A test event whose handler fails once.")


@pytest.fixture
def recorded(monkeypatch):
    """A handler for topic test.ping that leaves an audit entry in the event's region."""
    calls = []

    async def handler(actor, event_id, payload):
        calls.append((current_tenant_id(), event_id, payload))
        await AuditEntry.create(
            tenant_id=current_tenant_id(),
            actor=actor.label,
            action="test.ping",
            entity="event",
            entity_id=event_id,
        )

    monkeypatch.setitem(routing.ROUTES, PING, routing.Route(PING, handlers={"recorder": handler}))
    return calls


async def relay_all(pool, settings) -> int:
    """Relays every pending event on a connection of the relay's own role."""
    import asyncpg

    from kinerja_saas.database import relay_connection_params

    conn = await asyncpg.connect(**relay_connection_params(settings))
    total = 0
    try:
        while moved := await relay.relay_once(pool, conn, batch_size=500):
            total += moved
    finally:
        await conn.close()
    return total


async def test_tenant_job_runs_inside_its_regions_transaction(
    settings, arq_redis, region_a, region_b
):
    job_fn = func(count_visible_employees, name="count_visible_employees")
    job_a = await arq_redis.enqueue_job("count_visible_employees", region_a.id, note="a")
    job_b = await arq_redis.enqueue_job("count_visible_employees", region_b.id, note="b")
    await update_region(region_b.id, status=RegionStatus.SUSPENDED)
    await drain(settings, job_fn)
    assert await job_a.result(timeout=5) == {"tenant": region_a.id, "employees": 5, "note": "a"}
    assert await job_b.result(timeout=5) == {"skipped": "REGION_SUSPENDED"}


async def test_rolled_back_change_leaves_no_event(region_a, owner_conn):
    before = await owner_conn.fetchval(
        "SELECT count(*) FROM outbox_events WHERE tenant_id = $1", region_a.id
    )
    with pytest.raises(RuntimeError):
        async with tenant_transaction(region_a.id):
            await outbox.emit(PING, {"n": 1})
            raise RuntimeError("the mutation failed after emitting")
    after = await owner_conn.fetchval(
        "SELECT count(*) FROM outbox_events WHERE tenant_id = $1", region_a.id
    )
    assert after == before


async def test_event_survives_a_redis_outage_and_is_handled_once(
    settings, arq_redis, region_a, recorded, owner_conn, relay_conn
):
    async with tenant_transaction(region_a.id):
        event = await outbox.emit(PING, {"n": 42})

    # Redis unreachable: the relay fails and the claim is rolled back.
    dead = ArqRedis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with pytest.raises(Exception):  # noqa: B017 - any connection error
        await relay.relay_once(dead, relay_conn, batch_size=500)
    await dead.aclose()
    row = await owner_conn.fetchrow("SELECT relayed_at FROM outbox_events WHERE id = $1", event.id)
    assert row["relayed_at"] is None

    # Redis back: relayed, then handled exactly once by a real worker.
    assert await relay_all(arq_redis, settings) >= 1
    assert await relay_all(arq_redis, settings) == 0
    await drain(settings)
    assert recorded == [(region_a.id, event.id, {"n": 42})]

    # A second delivery of the same event (at-least-once queues do that) changes nothing.
    await arq_redis.enqueue_job(
        "dispatch_event",
        region_a.id,
        event_id=event.id,
        topic="test.ping",
        payload={"n": 42},
        _job_id=f"redelivery:{event.id}",
    )
    await drain(settings)
    assert len(recorded) == 1
    async with tenant_transaction(region_a.id):
        assert await AuditEntry.filter(action="test.ping", entity_id=event.id).count() == 1


async def test_concurrent_relays_never_claim_the_same_event(settings, region_a, relay_conn):
    import asyncpg

    from kinerja_saas.database import relay_connection_params

    async with tenant_transaction(region_a.id):
        event = await outbox.emit(PING, {"n": 7})
    other = await asyncpg.connect(**relay_connection_params(settings))
    try:
        async with relay_conn.transaction():
            mine = [e.id for e in await outbox.claim_batch(relay_conn, 10_000)]
            async with other.transaction():
                theirs = [e.id for e in await outbox.claim_batch(other, 10_000)]
        assert event.id in mine and event.id not in theirs
    finally:
        await other.close()


@pytest.mark.parametrize(
    ("error", "backoff"),
    [
        (RuntimeError("a bug of the handler's own"), "backoff_seconds"),
        (ConnectionError("SMTP down"), "outage_backoff_seconds"),  # an outage
    ],
)
async def test_failing_handler_is_retried_with_backoff_and_runs_once_when_it_succeeds(
    settings, arq_redis, region_a, monkeypatch, owner_conn, error, backoff
):
    import workers.tenant_job as wrapper

    attempts = []

    async def flaky(actor, event_id, payload):
        attempts.append(event_id)
        await AuditEntry.create(
            tenant_id=current_tenant_id(),
            actor="t",
            action="flaky",
            entity="event",
            entity_id=event_id,
        )
        if len(attempts) == 1:
            raise error

    delays = []
    monkeypatch.setattr(wrapper, backoff, lambda attempt, *_: delays.append(attempt) or 0.01)
    monkeypatch.setitem(routing.ROUTES, FLAKY, routing.Route(FLAKY, handlers={"flaky": flaky}))
    async with tenant_transaction(region_a.id):
        event = await outbox.emit(FLAKY, {})
    await relay_all(arq_redis, settings)
    await drain(settings)
    assert attempts == [event.id, event.id] and delays == [1]
    processed = await owner_conn.fetchval(
        "SELECT count(*) FROM processed_events WHERE event_id = $1", event.id
    )
    # The failed attempt was rolled back whole, so only the successful one left a trace.
    partial = await owner_conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'flaky' AND entity_id = $1", event.id
    )
    assert (processed, partial) == (1, 1)


def test_backoff_grows_and_is_capped():
    from workers.tenant_job import backoff_seconds

    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 5, 9)] == [1, 4, 16, 64, 256, 300]


async def test_a_committed_event_wakes_the_relay_without_waiting_for_the_poll(
    settings, arq_redis, region_a
):
    """With a 60 s poll interval, only the commit's NOTIFY can bring the job in seconds."""
    import asyncio

    from arq.jobs import Job, JobStatus

    slow_poll = settings.model_copy(update={"outbox_poll_seconds": 60.0})
    await relay_all(arq_redis, settings)  # no backlog: the relay's first pass finds nothing
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run_relay(arq_redis, slow_poll, stop))
    try:
        await asyncio.sleep(0.5)  # connected, listening, backlog relayed, now waiting
        async with tenant_transaction(region_a.id):
            event = await outbox.emit(PING, {"n": 1})
        job = Job(f"outbox:{event.id}", arq_redis)
        async with asyncio.timeout(10):  # polling Redis: the job is queued by another task
            for _ in range(1000):
                if await job.status() is not JobStatus.not_found:
                    break
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
