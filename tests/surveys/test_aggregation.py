"""Aggregation in a real arq worker against the real Redis: debounced runs after a burst of
submissions, recompute equal to incremental, no response lost to a concurrent run, the
sweep of services left pending, the nightly recompute, band drops."""

import asyncio
import math
import time

import asyncpg
import pytest
from arq.connections import ArqRedis, create_pool
from tortoise import Tortoise

from kinerja_saas.auth.roles import Role
from kinerja_saas.database import relay_connection_params
from kinerja_saas.database_client import count_statements
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.surveys import aggregation, public
from kinerja_saas.surveys.models import SurveyResult
from tenants.context import tenant_transaction
from tests.notifications.helpers import fan_out_region, inbox
from tests.surveys.helpers import open_campaign, recompute, respond, token
from tests.workers.test_jobs import drain
from workers import outbox as relay
from workers.queue import redis_settings
from workers.recovery import schedule_recovery_sweeps
from workers.surveys import schedule_survey_recompute


@pytest.fixture
async def pool(settings, redis):
    pool = await create_pool(redis_settings(settings))
    yield pool
    await pool.aclose()


async def relay_at(pool, settings, fake_now: float, monkeypatch, window: float = 1.0) -> int:
    """Relays every committed event as if the clock showed `fake_now`."""
    monkeypatch.setattr(relay, "time", type("Clock", (), {"time": staticmethod(lambda: fake_now)}))
    conn = await asyncpg.connect(**relay_connection_params(settings))
    total = 0
    try:
        while moved := await relay.relay_once(pool, conn, batch_size=500, debounce_seconds=window):
            total += moved
    finally:
        await conn.close()
    return total


async def runs_of(pool, tenant_id: int) -> list:
    """The aggregation runs of the region (not the jobs put back for a later run because the
    region had its share of jobs running: workers/fair_queue.py)."""
    return [
        r
        for r in await pool.all_job_results()
        if r.function == "aggregate_survey_campaign"
        and r.kwargs.get("tenant_id") == tenant_id
        and not (isinstance(r.result, dict) and "deferred_to" in r.result)
    ]


async def snapshot(region) -> list[tuple]:
    async with tenant_transaction(region.id):
        rows = await SurveyResult.filter(tenant_id=region.id).order_by(
            "scope", "scope_id", "dimension", "value"
        )
    return [
        (
            r.scope,
            r.scope_id,
            r.dimension,
            r.value,
            r.unit_id,
            r.respondents,
            r.element_sums,
            r.converted_ikm,
            r.band,
            r.population,
        )
        for r in rows
    ]


async def test_a_burst_of_submissions_causes_one_event_per_service_and_one_run(
    pool, settings, region_a, monkeypatch
):
    campaign = await open_campaign(region_a)
    genders = ("LAKI_LAKI", "PEREMPUAN")
    services = campaign.services

    async def burst(waves: int, offset: int) -> list[int]:
        """100 submissions per wave to two services, relayed after each wave; the relay's
        clock moves 0.3 s per wave. Returns the submission events each wave wrote."""
        start = math.floor(time.time()) + 0.05
        relayed = []
        before = await submitted_events()
        for wave in range(waves):
            for i in range(100):
                service = "ktp" if i % 4 else "akta"
                answers = [1 + (i + k + wave + offset) % 4 for k in range(9)]
                await respond(
                    region_a, campaign.codes[service], answers, profile={"gender": genders[i % 2]}
                )
            await relay_at(pool, settings, start + wave * 0.3, monkeypatch)
            now = await submitted_events()
            relayed.append(now - before)
            before = now
        return relayed

    async def submitted_events() -> int:
        async with tenant_transaction(region_a.id):
            return await OutboxEvent.filter(
                tenant_id=region_a.id, topic="surveys.response_submitted"
            ).count()

    # 1,000 submissions: only the first to each service finds it not pending yet, so two
    # events, one campaign run when their window closes.
    assert await burst(10, 0) == [2] + [0] * 9
    await drain(settings)  # (other tests' leftover jobs may run and fail here too)
    runs = await runs_of(pool, region_a.id)
    assert len(runs) == 1 and runs[0].success and runs[0].result["services"] == 2
    totals = {row[:2]: row[5] for row in await snapshot(region_a) if row[2] == "TOTAL"}
    assert totals["SERVICE", services["ktp"]] == 750
    assert totals["SERVICE", services["akta"]] == 250
    assert totals["REGION", 0] == 1000
    # Once taken, the services are pending again with the next submissions: a second run.
    assert await burst(2, 1) == [2, 0]
    await drain(settings)
    runs = await runs_of(pool, region_a.id)
    assert len(runs) == 2 and all(r.success for r in runs)
    totals = {row[:2]: row[5] for row in await snapshot(region_a) if row[2] == "TOTAL"}
    assert totals["REGION", 0] == 1200
    # Recompute equals incremental, row for row.
    incremental = await snapshot(region_a)
    await recompute(region_a, campaign.id)
    assert await snapshot(region_a) == incremental


async def test_aggregation_statements_do_not_grow_with_responses(region_a):
    campaign = await open_campaign(region_a)
    counts = []
    for n in (3, 30):
        for i in range(n):
            await respond(region_a, campaign.codes["ktp"], [1 + i % 4] * 9)
        async with tenant_transaction(region_a.id):
            with count_statements() as counter:
                run = await aggregation.aggregate_pending(campaign_id=campaign.id)
        assert run.services == [campaign.services["ktp"]]
        counts.append(counter.count)
    # the lock, taking the pending services, their rows and the roll-up, the realisations
    assert counts[0] == counts[1] == 4


async def test_sql_and_the_rules_agree(region_a):
    from decimal import Decimal

    from kinerja_saas.surveys import rules

    campaign = await open_campaign(region_a)
    rows = [[1 + (i * 7 + k * 3) % 4 for k in range(9)] for i in range(37)]
    for row in rows:
        await respond(region_a, campaign.codes["ktp"], row)
    await recompute(region_a, campaign.id)
    sums = [sum(col) for col in zip(*rows, strict=True)]
    expected = rules.converted(rules.ikm(rules.nrrs(sums, len(rows))))
    async with tenant_transaction(region_a.id):
        result = await SurveyResult.get(tenant_id=region_a.id, scope="SERVICE", dimension="TOTAL")
    assert result.element_sums == sums
    assert Decimal(result.converted_ikm) == expected
    assert result.band == rules.band(expected).grade


async def test_nightly_recompute_runs_for_every_active_region(pool, settings, region_a, region_b):
    a, b = await open_campaign(region_a), await open_campaign(region_b)
    await respond(region_a, a.codes["ktp"], [4] * 9)
    await respond(region_b, b.codes["akta"], [2] * 9)
    assert await schedule_survey_recompute({"redis": pool}) >= 2
    await drain(settings)
    snap_a, snap_b = await snapshot(region_a), await snapshot(region_b)
    assert {(r[0], r[8]) for r in snap_a if r[2] == "TOTAL"} == {
        ("SERVICE", "A"),
        ("UNIT", "A"),
        ("REGION", "A"),
    }
    # Each region's results only from its own responses.
    assert [r[5] for r in snap_b if r[0] == "REGION" and r[2] == "TOTAL"] == [1]
    assert all(r[1] != a.services["ktp"] for r in snap_b)


async def test_a_band_drop_notifies_the_region_admins(pool, region_a):
    campaign = await open_campaign(region_a)
    code, service_id = campaign.codes["ktp"], campaign.services["ktp"]
    for _ in range(3):
        await respond(region_a, code, [4] * 9)
    await recompute(region_a, campaign.id)  # A: 100.00
    for _ in range(6):
        await respond(region_a, code, [2] * 9)
    async with tenant_transaction(region_a.id):
        run = await aggregation.aggregate_pending(campaign_id=campaign.id)
    # (3 × 36 + 6 × 18) × 25 / (9 × 9) = 66.67: C
    assert run.band_drops == [
        {
            "campaign_id": campaign.id,
            "service_id": service_id,
            "unit_id": region_a.units["a"].id,
            "old_band": "A",
            "new_band": "C",
            "converted_ikm": "66.67",
        }
    ]
    async with tenant_transaction(region_a.id):
        events = await OutboxEvent.filter(tenant_id=region_a.id, topic="surveys.band_dropped")
    assert len(events) == 1
    # Rising again is no drop.
    for _ in range(20):
        await respond(region_a, code, [4] * 9)
    async with tenant_transaction(region_a.id):
        rise = await aggregation.aggregate_pending(campaign_id=campaign.id)
    assert rise.band_drops == []
    await fan_out_region(pool, region_a)
    (note,) = [
        n for n in await inbox(region_a, Role.REGION_ADMIN) if n.kind == "SURVEY_BAND_DROPPED"
    ]
    assert note.title == "Mutu pelayanan Layanan ktp turun ke C"
    assert "dari mutu A menjadi C" in note.body and "nilai IKM konversi 66,67." in note.body
    assert [
        n for n in await inbox(region_a, Role.EMPLOYEE) if n.kind == "SURVEY_BAND_DROPPED"
    ] == []


async def test_incremental_runs_roll_units_and_region_up_to_the_recompute(region_a):
    """Each incremental run reads the responses of the pending services only and the
    stored rows of the others; after every run, every row (totals and profile slices, two
    services sharing a unit) equals the full recompute."""
    campaign = await open_campaign(
        region_a, populations={"ktp": 1000, "akta": 100, "kk": 50, "sim": 70}
    )
    profiles = [
        {"gender": "PEREMPUAN", "age_band": "20_29"},
        {"gender": "LAKI_LAKI", "education": "SMA"},
        {"occupation": "PNS"},
        {},
    ]

    async def run() -> list[int]:
        async with tenant_transaction(region_a.id):
            return (await aggregation.aggregate_pending(campaign_id=campaign.id)).services

    async def equals_recompute() -> list[tuple]:
        incremental = await snapshot(region_a)
        await recompute(region_a, campaign.id)
        assert await snapshot(region_a) == incremental
        return incremental

    for k, service in enumerate(("ktp", "akta", "kk", "sim")):  # ktp and sim share unit a
        for i in range(5 + k):
            answers = [1 + (i * 3 + k + e) % 4 for e in range(9)]
            await respond(region_a, campaign.codes[service], answers, profile=profiles[i % 4])
        assert await run() == [campaign.services[service]]
        await equals_recompute()
    assert await run() == []  # nothing pending: nothing read, nothing written
    # A later response is pending, and counted by the next run.
    await respond(region_a, campaign.codes["ktp"], [4] * 9, profile={"gender": "PEREMPUAN"})
    region_total = {r[:4]: r[5] for r in await snapshot(region_a)}[("REGION", 0, "TOTAL", "")]
    assert region_total == 5 + 6 + 7 + 8
    assert await run() == [campaign.services["ktp"]]
    rows = await equals_recompute()
    assert {r[:4]: r[5] for r in rows}[("REGION", 0, "TOTAL", "")] == 27


async def test_concurrent_incremental_runs_and_a_recompute_agree(region_a):
    """Four runs of a campaign at once and a full recompute among them: one at a time on
    the campaign's lock, no deadlock, no pending service left, and the rows end equal to a
    recompute's."""
    import asyncio

    services = ("ktp", "akta", "kk", "sim")
    campaign = await open_campaign(region_a, populations=dict.fromkeys(services, 100))
    for k, service in enumerate(services):
        for i in range(4 + k):
            answers = [1 + (i + k * 2 + e) % 4 for e in range(9)]
            await respond(region_a, campaign.codes[service], answers, profile={"occupation": "PNS"})

    async def run() -> list[int]:
        async with tenant_transaction(region_a.id):
            return (await aggregation.aggregate_pending(campaign_id=campaign.id)).services

    taken = await asyncio.gather(*(run() for _ in services))
    assert sorted(s for t in taken for s in t) == sorted(campaign.services[s] for s in services)
    incremental = await snapshot(region_a)
    assert {r[:4]: r[5] for r in incremental}[("REGION", 0, "TOTAL", "")] == 4 + 5 + 6 + 7
    await recompute(region_a, campaign.id)
    assert await snapshot(region_a) == incremental
    await respond(region_a, campaign.codes["kk"], [2] * 9)
    await asyncio.wait_for(
        asyncio.gather(run(), recompute(region_a, campaign.id), run(), run()), timeout=30
    )
    after = await snapshot(region_a)
    assert {r[:4]: r[5] for r in after}[("REGION", 0, "TOTAL", "")] == 23
    assert await run() == []
    await recompute(region_a, campaign.id)
    assert await snapshot(region_a) == after


async def _wait_until_a_run_waits_for_a_lock(database: str) -> None:
    """Until a backend taking the pending services waits on a row lock (at most 10 s)."""
    conn = await asyncpg.connect(database)
    try:
        for _ in range(200):
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
                " AND query LIKE 'DELETE FROM survey_pending_services%'"
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    raise AssertionError("the run never waited for the uncommitted submission")


async def test_a_response_committing_during_a_run_is_counted_not_lost(region_a, settings):
    """A submission still open when the campaign's run starts: the run waits for it on the
    pending row, then counts it; nothing stays pending."""
    campaign = await open_campaign(region_a)
    await respond(region_a, campaign.codes["ktp"], [4] * 9)
    inserted, release = asyncio.Event(), asyncio.Event()

    async def open_submission() -> None:
        found = await public.resolve_code_with_rules(campaign.codes["ktp"])
        assert found is not None
        target, rules = found
        async with tenant_transaction(region_a.id):
            answers = {f"U{i}": 2 for i in range(1, 10)}
            submission = public.Submission(answers=answers, client_token=token())
            await public.submit(target, submission, rules)
            inserted.set()
            await release.wait()

    async def run() -> list[int]:
        async with tenant_transaction(region_a.id):
            return (await aggregation.aggregate_pending(campaign_id=campaign.id)).services

    submission = asyncio.create_task(open_submission())
    await inserted.wait()
    running = asyncio.create_task(run())
    await _wait_until_a_run_waits_for_a_lock(settings.database_url)
    assert not running.done()
    release.set()
    await submission
    assert await running == [campaign.services["ktp"]]
    totals = {row[:2]: row[5] for row in await snapshot(region_a) if row[2] == "TOTAL"}
    assert totals["REGION", 0] == 2
    assert await run() == []


async def test_the_sweep_aggregates_services_left_pending(pool, settings, region_a, region_b):
    """A pending service whose aggregation job was lost is aggregated by the sweep once it
    is stale; a freshly pending one is left to its own job; each region sweeps its own."""
    a, b = await open_campaign(region_a), await open_campaign(region_b)
    await respond(region_a, a.codes["ktp"], [4] * 9)
    await respond(region_a, a.codes["akta"], [3] * 9)
    await respond(region_b, b.codes["ktp"], [1] * 9)
    async with tenant_transaction(region_a.id):
        await Tortoise.get_connection("default").execute_query(
            "UPDATE survey_pending_services SET pending_since = now() - interval '10 minutes'"
            " WHERE tenant_id = $1 AND service_id = $2",
            [region_a.id, a.services["ktp"]],
        )
    assert await schedule_recovery_sweeps({"redis": pool}) >= 2
    await drain(settings)
    totals = {row[:2]: row[5] for row in await snapshot(region_a) if row[2] == "TOTAL"}
    # The stale service's run took the whole campaign's pending services.
    assert totals["SERVICE", a.services["ktp"]] == 1
    assert totals["SERVICE", a.services["akta"]] == 1
    assert await snapshot(region_b) == []  # fresh: its own job will run it
    async with tenant_transaction(region_b.id):
        assert await aggregation.stale_pending_campaigns(older_than_seconds=0) == [b.id]


async def test_a_recompute_counts_pending_responses_once(region_a):
    """A recompute while responses are pending counts each of them once and takes them, so
    the next run adds nothing; the result equals a recompute with nothing pending."""
    campaign = await open_campaign(region_a)
    for answers in ([4] * 9, [3] * 9):
        await respond(region_a, campaign.codes["ktp"], answers)
    async with tenant_transaction(region_a.id):
        first = await aggregation.aggregate_pending(campaign_id=campaign.id)
    assert first.services == [campaign.services["ktp"]]
    await respond(region_a, campaign.codes["ktp"], [1] * 9)  # pending
    await respond(region_a, campaign.codes["akta"], [2] * 9)  # pending, a new service
    run = await recompute(region_a, campaign.id)
    assert run.services == sorted([campaign.services["ktp"], campaign.services["akta"]])
    totals = {row[:2]: row[5] for row in await snapshot(region_a) if row[2] == "TOTAL"}
    assert totals["SERVICE", campaign.services["ktp"]] == 3
    assert totals["SERVICE", campaign.services["akta"]] == 1
    assert totals["REGION", 0] == 4
    rows = await snapshot(region_a)
    async with tenant_transaction(region_a.id):
        assert (await aggregation.aggregate_pending(campaign_id=campaign.id)).services == []
    await recompute(region_a, campaign.id)
    assert await snapshot(region_a) == rows


async def test_only_submissions_that_write_an_event_wake_the_relay(region_a, settings):
    """The outbox trigger notifies for statements that wrote events: the second submission
    to a pending service writes none and wakes nobody (notifications arrive in commit
    order, so the third one's arrival bounds the wait)."""
    campaign = await open_campaign(region_a)
    listener = await asyncpg.connect(settings.database_url)
    received: asyncio.Queue = asyncio.Queue()
    await listener.add_listener("kinerja_outbox", lambda *args: received.put_nowait(args))
    try:
        await respond(region_a, campaign.codes["ktp"], [4] * 9)  # ktp pending: an event
        await asyncio.wait_for(received.get(), timeout=10)
        await respond(region_a, campaign.codes["ktp"], [3] * 9)  # still pending: none
        await respond(region_a, campaign.codes["akta"], [2] * 9)  # akta pending: an event
        await asyncio.wait_for(received.get(), timeout=10)
        await asyncio.sleep(0)  # let any notification already read be delivered
        assert received.empty()
    finally:
        await listener.close()


async def test_the_relay_enqueues_a_debounced_job_once_per_window(
    pool, settings, region_a, monkeypatch
):
    """Events of one campaign and window in separate batches: one enqueue (the relay
    remembers the job until it is due). A batch whose enqueue failed is not remembered,
    so the next batch enqueues it."""
    campaign = await open_campaign(region_a)
    calls: list[str] = []
    every: list[str] = []  # removed from the queue at the end: they are due in 100 s
    real_enqueue = relay.enqueue

    async def counting(redis, function, *, job_id, **kwargs):
        calls.append(job_id)
        every.append(job_id)
        return await real_enqueue(redis, function, job_id=job_id, **kwargs)

    monkeypatch.setattr(relay, "enqueue", counting)
    fake_now = math.floor(time.time()) + 100.25  # a window of its own
    monkeypatch.setattr(relay, "time", type("Clock", (), {"time": staticmethod(lambda: fake_now)}))
    enqueued = relay.EnqueuedDebounced()
    conn = await asyncpg.connect(**relay_connection_params(settings))

    async def relay_all(redis) -> None:
        while await relay.relay_once(
            redis, conn, batch_size=500, enqueued=enqueued, debounce_seconds=1
        ):
            pass

    try:
        await relay_all(pool)  # other tests' leftovers first
        calls.clear()
        await respond(region_a, campaign.codes["ktp"], [4] * 9)
        await relay_all(pool)
        await respond(region_a, campaign.codes["akta"], [3] * 9)
        await relay_all(pool)
        ours = [j for j in calls if j.startswith(f"aggregate_survey_campaign:{region_a.id}:")]
        assert len(ours) == 1
        # The next window, its enqueue failing: the claim rolls back, nothing remembered.
        fake_now += 1
        async with tenant_transaction(region_a.id):
            await aggregation.aggregate_pending(campaign_id=campaign.id)  # ktp, akta taken
        await respond(region_a, campaign.codes["ktp"], [1] * 9)  # pending anew: an event
        dead = ArqRedis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
        with pytest.raises(Exception):  # noqa: B017 (any connection error)
            await relay.relay_once(dead, conn, batch_size=500, enqueued=enqueued)
        calls.clear()
        await relay_all(pool)
        assert [j for j in calls if j.startswith(f"aggregate_survey_campaign:{region_a.id}:")]
    finally:
        await conn.close()
        for job_id in every:
            await pool.zrem("arq:queue", job_id)
            await pool.delete(f"arq:job:{job_id}")


async def test_a_region_s_campaigns_recomputed_together_equal_one_by_one(region_a):
    """The nightly recompute's one pass over several campaigns (pending responses among
    them) writes the rows each campaign's own recompute writes."""
    first = await open_campaign(region_a)
    second = await open_campaign(region_a, populations={"kk": 40, "sim": 70})
    for k in range(6):
        await respond(region_a, first.codes["ktp" if k % 2 else "akta"], [1 + k % 4] * 9)
        await respond(region_a, second.codes["kk" if k % 3 else "sim"], [4 - k % 4] * 9)
    async with tenant_transaction(region_a.id):
        run = await aggregation.aggregate_campaigns(campaign_ids=[second.id, first.id])
    assert run.rows["REGION"] == 2  # one region total per campaign
    together = sorted(await snapshot(region_a), key=repr)  # (rows name no campaign)
    for campaign in (first, second):
        await recompute(region_a, campaign.id)
    assert sorted(await snapshot(region_a), key=repr) == together
    assert {r[0] for r in together} == {"SERVICE", "UNIT", "REGION"}


async def test_a_region_s_recompute_runs_the_same_statements_for_two_campaigns_as_for_one(
    region_a,
):
    """The locks, the recompute and the fill of survey-fed indicators take one statement
    each for all of a region's campaigns, never one per campaign."""
    first = await open_campaign(region_a)
    second = await open_campaign(region_a, populations={"kk": 40, "sim": 70})
    await respond(region_a, first.codes["ktp"], [3] * 9)
    await respond(region_a, second.codes["kk"], [2] * 9)
    async with tenant_transaction(region_a.id):
        with count_statements() as one:
            await aggregation.aggregate_campaigns(campaign_ids=[first.id])
        with count_statements() as both:
            await aggregation.aggregate_campaigns(campaign_ids=[second.id, first.id])
    # lock, recompute, drop stale rows, take pending, add them, fill: both with a pending one
    assert one.count == both.count == 6
