"""Recovery in seconds, with real `kinerja` processes on private servers (short leases and
backoffs through the settings, so each fault costs seconds here):

- a worker killed with -9 in the middle of an import, a fan-out or a survey aggregation:
  the job runs again within one lease on the live worker and completes once;
- a live job that runs for several leases is never started a second time;
- PostgreSQL stopped for 30 s under fan-outs: nothing lost or doubled, everything delivered
  within seconds of its return, no event left not done;
- Redis restarted without its data while jobs were queued: the lost jobs are found and run
  within seconds, not at the next 10-minute sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import time
from datetime import date, timedelta

import asyncpg
import httpx
import pytest

from kinerja_saas.auth.roles import Role
from tests.factories import make_nip
from tests.faults.conftest import REGION, eventually
from tests.faults.test_worker_faults import (
    SEND,
    job_result,
    notified,
    recipients,
    waiting_on,
)

pytestmark = pytest.mark.faults

LEASE_SECONDS = 3
FAST = {
    "KINERJA_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
    "KINERJA_WORKER_LEASE_RENEW_SECONDS": "1",
    "KINERJA_JOB_RETRY_MAX_SECONDS": "1",
}
_runs = itertools.count(1)


class Lock:
    """A table locked in SHARE mode from the test's own connection (writes wait, reads go
    on); `release()` is safe after the server went away."""

    def __init__(self, cluster, table: str) -> None:
        self.cluster, self.table = cluster, table
        self.conn: asyncpg.Connection | None = None

    async def __aenter__(self) -> Lock:
        self.conn = await self.cluster.connect()
        await self.conn.execute("BEGIN")
        await self.conn.execute(f"LOCK TABLE {self.table} IN SHARE MODE")
        return self

    async def release(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.execute("ROLLBACK")
            with contextlib.suppress(Exception):
                await self.conn.close()
            self.conn = None

    async def __aexit__(self, *exc) -> None:
        await self.release()


async def send_announcements(cluster, client, titles: list[str]) -> list[int]:
    for title in titles:
        data = await client.data(SEND, {"input": {"title": title, "body": "Rapat koordinasi."}})
        assert data["sendAnnouncement"] == {"queued": True, "errors": []}
    conn = await cluster.connect()
    try:
        rows = await conn.fetch(
            "SELECT id FROM outbox_events WHERE payload->>'judul' = ANY($1::text[]) ORDER BY id",
            titles,
        )
    finally:
        await conn.close()
    return [r["id"] for r in rows]


async def not_done(cluster, event_ids: list[int]) -> int:
    return await cluster.fetchval(
        "SELECT count(*) FROM outbox_events WHERE id = ANY($1::bigint[]) AND done_at IS NULL",
        event_ids,
    )


async def all_notified(cluster, event_ids: list[int], expected: int) -> bool:
    for event_id in event_ids:
        if await notified(cluster, event_id) != (expected, expected):
            return False
    return True


# --- kill -9 mid-job ---------------------------------------------------------------------


async def _start_fan_out(cluster, client, run: int):
    (event_id,) = await send_announcements(cluster, client, [f"Kill fan-out {run}"])
    expected = await recipients(cluster)

    async def done() -> bool:
        return await notified(cluster, event_id) == (expected, expected)

    return f"notify:{event_id}", done


async def _start_import(cluster, client, run: int):
    nips = [make_nip(7000 + run * 10 + n) for n in range(3)]
    unit = await cluster.fetchval(
        "SELECT u.name FROM org_units u JOIN tenants t ON t.id = u.tenant_id"
        " WHERE t.slug = $1 ORDER BY u.id LIMIT 1",
        REGION,
    )
    header = "NIP,nama,jabatan,jenis_jabatan,golongan,unit,nip_atasan,email,telepon"
    lines = [
        f"{nip},Pegawai Uji {i},Analis,PELAKSANA,III/a,{unit},,," for i, nip in enumerate(nips)
    ]
    operations = {
        "query": """mutation($file: Upload!) { importEmployees(file: $file, dryRun: false,
          deactivateMissing: false) { job { id } errors { field code message } } }""",
        "variables": {"file": None},
    }
    response = await client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("pegawai.csv", "\n".join([header, *lines]).encode(), "text/csv")},
    )
    payload = response.json()["data"]["importEmployees"]
    assert payload["errors"] == [], payload
    job_id = int(payload["job"]["id"])
    event_id = await cluster.fetchval(
        "SELECT id FROM outbox_events WHERE topic = 'org.import.requested'"
        " AND (payload->>'job_id')::bigint = $1",
        job_id,
    )

    async def done() -> bool:
        status = await cluster.fetchval("SELECT status FROM import_jobs WHERE id = $1", job_id)
        stored = await cluster.fetchval(
            "SELECT count(*) FROM employees WHERE nip = ANY($1::text[])", nips
        )
        return status == "SUCCEEDED" and stored == len(nips)

    return f"outbox:{event_id}", done


async def _open_campaign(cluster, client) -> str:
    # The SKM elements, should the demo region lack them (seeds before onboarding did).
    from kinerja_saas.regions import defaults

    conn = await cluster.connect()
    try:
        tenant_id = await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", REGION)
        await conn.executemany(
            "INSERT INTO survey_elements (tenant_id, code, name, answer_labels, position)"
            " VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT DO NOTHING",
            [
                (tenant_id, code, name, json.dumps(list(labels)), i)
                for i, (code, name, labels) in enumerate(defaults.SKM_ELEMENTS, 1)
            ],
        )
    finally:
        await conn.close()
    unit_id = await cluster.fetchval(
        "SELECT u.id FROM org_units u JOIN tenants t ON t.id = u.tenant_id"
        " WHERE t.slug = $1 ORDER BY u.id LIMIT 1",
        REGION,
    )
    saved = await client.data(
        """mutation($unit: ID!) { saveSurveyService(input: {unitId: $unit,
          name: "Layanan Uji", populationPerYear: 1000}) { service { id } errors { code } } }""",
        {"unit": str(unit_id)},
    )
    service_id = saved["saveSurveyService"]["service"]["id"]
    today = date.today()
    created = await client.data(
        """mutation($s: ID!, $from: Date!, $to: Date!) { createSurveyCampaign(input: {
          name: "SKM Uji", periodLabel: "Uji", opensOn: $from, closesOn: $to,
          serviceIds: [$s], profileFields: []}) {
          campaign { services { code } } errors { field code } } }""",
        {"s": service_id, "from": str(today), "to": str(today + timedelta(days=30))},
    )
    return created["createSurveyCampaign"]["campaign"]["services"][0]["code"]


async def _start_aggregation(cluster, client, run: int):
    code = await _open_campaign(cluster, client)
    public = httpx.AsyncClient(base_url=str(client.http.base_url), timeout=30)
    try:
        form = await public.post(
            "/graphql",
            json={
                "query": "query($code: String!) { surveyForm(code: $code) { elements { code } } }",
                "variables": {"code": code},
            },
        )
        elements = [e["code"] for e in form.json()["data"]["surveyForm"]["elements"]]
        response = await public.post(
            "/graphql",
            json={
                "query": """mutation($code: String!, $answers: [SurveyAnswerInput!]!,
                  $token: String!) { submitSurveyResponse(code: $code, answers: $answers,
                  clientToken: $token) { accepted errors { field code } } }""",
                "variables": {
                    "code": code,
                    "answers": [{"element": e, "value": 3} for e in elements],
                    "token": f"kill-aggregation-{run}",
                },
            },
        )
    finally:
        await public.aclose()
    assert response.json()["data"]["submitSurveyResponse"]["accepted"], (elements, response.text)
    campaign_id = await cluster.fetchval(
        "SELECT campaign_id FROM survey_campaign_services WHERE code = $1", code
    )

    async def done() -> bool:
        # Aggregated once: the response counted once in its service's row, none pending.
        counted = await cluster.fetchval(
            "SELECT sum(respondents) FROM survey_results WHERE campaign_id = $1"
            " AND scope = 'SERVICE' AND dimension = 'TOTAL'",
            campaign_id,
        )
        pending = await cluster.fetchval(
            "SELECT count(*) FROM survey_pending_services WHERE campaign_id = $1", campaign_id
        )
        return counted == 1 and pending == 0

    return None, done


async def _seed_settled(cluster) -> bool:
    return not await cluster.fetchval("SELECT count(*) FROM outbox_events WHERE done_at IS NULL")


KINDS = {
    "fan-out": ("notifications", _start_fan_out),
    "import": ("employees", _start_import),
    "survey aggregation": ("survey_results", _start_aggregation),
}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_killed_workers_job_runs_again_within_a_lease(
    kind, cluster, private_redis, processes, client_for
):
    table, start = KINDS[kind]
    api = await processes.api()
    admin = client_for(api, await cluster.token(Role.REGION_ADMIN))
    first = await processes.worker(**FAST)
    # The demo seed's own events (hundreds of fan-outs and e-mails) must be done first, or
    # one of their jobs is what waits on the lock and this kind's job never runs mid-kill.
    await eventually(lambda: _seed_settled(cluster), seconds=900, what="the seed's events done")
    run = next(_runs)
    async with Lock(cluster, table) as lock:
        job_id, done = await start(cluster, admin, run)
        await eventually(lambda: waiting_on(cluster, table), what=f"the {kind} waits on {table}")
        second = await processes.worker(**FAST)  # live and idle: it must take the job over
        await eventually(lambda: _log_has(second, "Starting worker"), what="the second worker")
        first.proc.kill()  # kill -9: no shutdown, no hand-back, leases not released
        killed_at = time.monotonic()
        assert await first.proc.wait() == -signal.SIGKILL
        await lock.release()
        await eventually(done, seconds=LEASE_SECONDS + 12, what=f"the {kind} completes")
    took = time.monotonic() - killed_at
    # Its lease (3 s here) lapsed and the live worker ran it: seconds, not arq's hour.
    assert took <= LEASE_SECONDS + 6, f"{kind}: {took:.1f} s after the kill"
    if job_id is not None:
        # arq stores the result just after the job's transaction commits: wait for it.
        result = await eventually(
            lambda: job_result(private_redis.url, job_id), seconds=10, what="the job's result"
        )
        assert result.success and result.job_try >= 2  # run again, completed once
    assert await done()  # and still exactly once after it


async def test_a_worker_killed_mid_email_send_sends_each_email_at_most_once(
    cluster, private_redis, processes, client_for
):
    """The mail server took the second of the announcement's e-mails and the worker died
    before its answer: within a lease the live worker settles the batch from the dead run's
    journal and sends the rest; nobody gets an e-mail twice (the one the server may have
    taken is not resent)."""
    from bench.recovery import HoldingSmtp

    sink = HoldingSmtp(hold_at=2)
    smtp = {
        "KINERJA_SMTP_HOST": "127.0.0.1",
        "KINERJA_SMTP_PORT": str(sink.port),
        "KINERJA_SMTP_SECURITY": "none",
        "KINERJA_SMTP_FROM": "Kinerja <no-reply@kinerja.example.id>",
    }
    try:
        conn = await cluster.connect()
        try:  # the region's logins take announcements by e-mail too
            await conn.execute(
                "INSERT INTO notification_preferences (tenant_id, user_id, kind, channel, enabled)"
                " SELECT u.tenant_id, u.id, 'ANNOUNCEMENT', 'EMAIL', true FROM user_accounts u"
                " JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1"
                " ON CONFLICT DO NOTHING",
                REGION,
            )
        finally:
            await conn.close()
        api = await processes.api()
        admin = client_for(api, await cluster.token(Role.REGION_ADMIN))
        first = await processes.worker(**FAST, **smtp)
        title = f"Surel putus {next(_runs)}"
        (event_id,) = await send_announcements(cluster, admin, [title])
        await eventually(lambda: _true(sink.holding), what="the 2nd e-mail is at the server")
        second = await processes.worker(**FAST, **smtp)
        await eventually(lambda: _log_has(second, "Starting worker"), what="the second worker")
        first.proc.kill()
        killed_at = time.monotonic()
        await first.proc.wait()
        sink.released = True
        due = await cluster.fetchval(
            "SELECT count(*) FROM notification_deliveries WHERE event_id = $1"
            " AND channel = 'EMAIL'",
            event_id,
        )
        assert due >= 3

        async def settled() -> bool:
            return not await cluster.fetchval(
                "SELECT count(*) FROM notification_deliveries WHERE event_id = $1"
                " AND channel = 'EMAIL' AND status IN ('PENDING', 'SENDING')",
                event_id,
            )

        await eventually(settled, seconds=LEASE_SECONDS + 12, what="every e-mail settled")
        took = time.monotonic() - killed_at
        mails = {k: n for k, n in sink.counts.items() if title in k[0]}
        assert len(mails) == due and set(mails.values()) == {1}  # each once, none twice
        statuses = await cluster.fetchval(
            "SELECT array_agg(status ORDER BY status) FROM notification_deliveries"
            " WHERE event_id = $1 AND channel = 'EMAIL'",
            event_id,
        )
        assert statuses == ["DEAD"] + ["SENT"] * (due - 1)  # the uncertain one not resent
        assert took <= LEASE_SECONDS + 6, f"{took:.1f} s after the kill"
    finally:
        sink.close()


async def _true(value) -> bool:
    return bool(value)


# --- a live job is never started twice ---------------------------------------------------


async def test_a_live_job_running_for_several_leases_is_never_started_twice(
    cluster, private_redis, processes, client_for
):
    api = await processes.api()
    admin = client_for(api, await cluster.token(Role.REGION_ADMIN))
    await processes.worker(**FAST)
    await processes.worker(**FAST)  # would start the job if its lease lapsed
    async with Lock(cluster, "notifications"):
        (event_id,) = await send_announcements(cluster, admin, [f"Panjang {next(_runs)}"])
        await eventually(lambda: waiting_on(cluster, "notifications"), what="the fan-out waits")
        await asyncio.sleep(LEASE_SECONDS * 3)  # three leases, each renewed in time
        assert await waiting_on(cluster, "notifications") == 1  # one run, not two
    expected = await recipients(cluster)
    await eventually(
        lambda: _equals(notified(cluster, event_id), (expected, expected)), what="delivered"
    )
    result = await eventually(
        lambda: job_result(private_redis.url, f"notify:{event_id}"), what="the job's result"
    )
    assert result.success and result.job_try == 1


# --- PostgreSQL stopped under fan-outs -----------------------------------------------------


async def test_postgresql_down_30_s_during_fan_outs_loses_nothing(
    cluster, private_redis, processes, client_for
):
    """Three announcements' fan-outs are running when PostgreSQL stops for 30 s (with the
    old fixed five tries, 1-4-16-64 s apart, the last try came 55 s after its return).
    Every recipient gets each exactly once within seconds of the return, and no event is
    left not done."""
    api = await processes.api()
    admin = client_for(api, await cluster.token(Role.REGION_ADMIN))
    await processes.worker(**FAST)
    run = next(_runs)
    lock = Lock(cluster, "notifications")
    await lock.__aenter__()
    try:
        events = await send_announcements(cluster, admin, [f"PG mati {run}-{i}" for i in range(3)])
        await eventually(
            lambda: _at_least(waiting_on(cluster, "notifications"), 3),
            what="the three fan-outs run",
        )
        await asyncio.to_thread(cluster.server.stop, "fast")  # disconnects everyone
    finally:
        await lock.release()
    await asyncio.sleep(30)
    await asyncio.to_thread(cluster.server.start)
    back = time.monotonic()
    expected = await recipients(cluster)
    await eventually(
        lambda: all_notified(cluster, events, expected), seconds=30, what="every fan-out"
    )
    took = time.monotonic() - back
    await eventually(lambda: _equals(not_done(cluster, events), 0), what="the events are done")
    assert took <= 10, f"delivered {took:.1f} s after PostgreSQL returned"
    assert await all_notified(cluster, events, expected)  # exactly once each


# --- Redis restarted without its data -----------------------------------------------------


async def test_jobs_lost_with_redis_data_run_within_seconds(
    cluster, private_redis, processes, client_for
):
    """Region cap 1: the first fan-out holds the slot (blocked), the next two wait in
    Redis. Redis restarts empty: the waiting jobs are gone. The workers notice the lost
    data and sweep at once, so they run seconds after, exactly once each."""
    api = await processes.api()
    admin = client_for(api, await cluster.token(Role.REGION_ADMIN))
    await processes.worker(KINERJA_WORKER_REGION_MAX_JOBS="1", **FAST)
    run = next(_runs)
    async with Lock(cluster, "notifications") as lock:
        events = await send_announcements(
            cluster, admin, [f"Redis kosong {run}-{i}" for i in range(3)]
        )
        await eventually(lambda: waiting_on(cluster, "notifications"), what="one fan-out runs")
        await eventually(
            lambda: _redis_has_waiting(private_redis), what="the others wait for the slot"
        )
        private_redis.stop()  # kill -9, no persistence: the queue is gone
        private_redis.start()
        back = time.monotonic()
        await lock.release()
        expected = await recipients(cluster)
        await eventually(
            lambda: all_notified(cluster, events, expected), seconds=30, what="all three"
        )
    took = time.monotonic() - back
    assert took <= 12, f"delivered {took:.1f} s after Redis returned"
    await eventually(lambda: _equals(not_done(cluster, events), 0), what="the events are done")
    assert await all_notified(cluster, events, expected)


async def _redis_has_waiting(server) -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(server.url)
    try:
        keys = await client.keys("kinerja:jobs:waiting:*")
        return bool(keys) and any([await client.zcard(k) for k in keys])
    finally:
        await client.aclose()


async def _equals(value, expected) -> bool:
    return await value == expected


async def _at_least(value, expected) -> bool:
    return await value >= expected


async def _log_has(process, text: str) -> bool:
    return text in process.log_tail(400)
