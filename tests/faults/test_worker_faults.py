"""A worker told to stop (SIGTERM) while a job runs: it hands the job back, releasing its
leases, and the job is completed exactly once by the next worker (kill -9 and the rest of
the recovery faults: test_recovery_faults.py).

To hold a job "in the middle" deterministically, the test locks the `notifications` table
(SHARE mode, from its own connection): the notification fan-out job of an announcement
then waits on its INSERT until the test lets go, which pg_locks shows."""

from __future__ import annotations

import contextlib
import itertools
import signal

import pytest
from arq.connections import RedisSettings, create_pool
from arq.jobs import Job
from redis.asyncio import Redis

from kinerja_saas.auth.roles import Role
from tests.faults.conftest import eventually

pytestmark = pytest.mark.faults

SEND = """mutation($input: AnnouncementInput!) {
  sendAnnouncement(input: $input) { queued errors { code } } }"""
_runs = itertools.count(1)


@contextlib.asynccontextmanager
async def table_locked(cluster, table: str):
    """Blocks INSERT/UPDATE/DELETE on `table` (reads go on) until the block ends."""
    conn = await cluster.connect()
    transaction = conn.transaction()
    await transaction.start()
    await conn.execute(f"LOCK TABLE {table} IN SHARE MODE")
    try:
        yield
    finally:
        await transaction.rollback()
        await conn.close()


async def waiting_on(cluster, table: str) -> int:
    return await cluster.fetchval(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " WHERE c.relname = $1 AND NOT l.granted",
        table,
    )


async def announcement(cluster, processes, client_for, title: str) -> int:
    """Sends an announcement to the whole demo region; returns its outbox event id."""
    api = await processes.api()
    admin = client_for(api, await cluster.token(Role.REGION_ADMIN))
    data = await admin.data(SEND, {"input": {"title": title, "body": "Rapat koordinasi."}})
    assert data["sendAnnouncement"] == {"queued": True, "errors": []}
    return await cluster.fetchval(
        "SELECT id FROM outbox_events WHERE payload->>'judul' = $1", title
    )


async def recipients(cluster) -> int:
    return await cluster.fetchval(
        "SELECT count(*) FROM user_accounts u JOIN tenants t ON t.id = u.tenant_id"
        " WHERE t.slug = 'palembang' AND u.is_active"
    )


async def notified(cluster, event_id: int) -> tuple[int, int]:
    """(rows, distinct recipients) of the event's in-app notifications."""
    conn = await cluster.connect()
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM notifications"
            " WHERE event_id = $1",
            event_id,
        )
    finally:
        await conn.close()
    return row["n"], row["users"]


async def job_result(redis_url: str, job_id: str):
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        return await Job(job_id, pool).result_info()
    finally:
        await pool.aclose()


async def test_sigterm_lets_a_running_job_finish_within_the_grace(
    cluster, private_redis, processes, client_for
):
    worker = await processes.worker(KINERJA_WORKER_SHUTDOWN_GRACE_SECONDS="20")
    async with table_locked(cluster, "notifications"):
        event_id = await announcement(cluster, processes, client_for, f"Term {next(_runs)}")
        await eventually(
            lambda: waiting_on(cluster, "notifications"), what="the fan-out waits on its INSERT"
        )
        worker.proc.send_signal(signal.SIGTERM)
        await eventually(
            lambda: _log_has(worker, "allow_pick_jobs"), what="the worker heard SIGTERM"
        )
        assert worker.proc.returncode is None  # still running: waiting for its job
    assert await worker.proc.wait() == 0
    expected = await recipients(cluster)
    assert await notified(cluster, event_id) == (expected, expected)
    # arq stores the result just after the job's commit: wait for it rather than race it.
    result = await eventually(
        lambda: job_result(private_redis.url, f"notify:{event_id}"), what="the job's result"
    )
    assert result.success and result.job_try == 1  # finished by the stopping worker


async def test_sigterm_hands_back_a_job_that_outlasts_the_grace(
    cluster, private_redis, processes, client_for
):
    worker = await processes.worker(KINERJA_WORKER_SHUTDOWN_GRACE_SECONDS="1")
    async with table_locked(cluster, "notifications"):
        event_id = await announcement(cluster, processes, client_for, f"Grace {next(_runs)}")
        await eventually(
            lambda: waiting_on(cluster, "notifications"), what="the fan-out waits on its INSERT"
        )
        worker.proc.send_signal(signal.SIGTERM)
        assert await worker.proc.wait() == 0  # cancelled its job after 1 s and stopped
        assert "cancelled, will be run again" in worker.log_tail(200)
    assert await notified(cluster, event_id) == (0, 0)  # rolled back, not half-written
    # It released its leases: the job's in-progress key and its region slot are gone, so
    # the next worker starts it at once rather than one lease later.
    redis = Redis.from_url(private_redis.url)
    try:
        assert not await redis.exists(f"arq:in-progress:notify:{event_id}")
        running = await redis.keys("kinerja:jobs:running:*")
        assert not [k for k in running if await redis.zscore(k, f"notify:{event_id}")]
    finally:
        await redis.aclose()

    await processes.worker()
    expected = await recipients(cluster)
    await eventually(
        lambda: _equals(notified(cluster, event_id), (expected, expected)),
        what="the next worker runs the handed-back job",
    )
    # arq stores the result just after the job's commit: wait for it rather than race it.
    result = await eventually(
        lambda: job_result(private_redis.url, f"notify:{event_id}"), what="the job's result"
    )
    assert result.success and result.job_try == 2


async def _equals(value, expected) -> bool:
    return await value == expected


async def _log_has(process, text: str) -> bool:
    return text in process.log_tail(400)
