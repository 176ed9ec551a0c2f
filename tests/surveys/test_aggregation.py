"""Aggregation in a real arq worker against the real Redis: debounced runs after a burst of
submissions, recompute equal to incremental, the nightly recompute, band drops."""

import math
import time

import asyncpg
import pytest
from arq.connections import create_pool

from kinerja_saas.auth.roles import Role
from kinerja_saas.database import relay_connection_params
from kinerja_saas.database_client import count_statements
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.surveys import aggregation
from kinerja_saas.surveys.models import SurveyResult
from tenants.context import tenant_transaction
from tests.notifications.helpers import fan_out_region, inbox
from tests.surveys.helpers import open_campaign, recompute, respond
from tests.workers.test_jobs import drain
from workers import outbox as relay
from workers.queue import redis_settings
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
        if r.function == "aggregate_survey_service"
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


async def test_a_burst_of_submissions_causes_a_handful_of_runs(
    pool, settings, region_a, monkeypatch
):
    campaign = await open_campaign(region_a)
    genders = ("LAKI_LAKI", "PEREMPUAN")
    # 1,000 submissions in 10 waves, relayed after each wave; the relay's clock moves 0.3 s
    # per wave from the start of a window, so the waves fall in 3 windows of 1 s: 3 windows
    # × 2 services = 6 runs (the last one due at most 3 s from now).
    start = math.floor(time.time()) + 0.05
    for wave in range(10):
        for i in range(100):
            service = "ktp" if i % 4 else "akta"
            answers = [1 + (i + k + wave) % 4 for k in range(9)]
            await respond(
                region_a, campaign.codes[service], answers, profile={"gender": genders[i % 2]}
            )
        assert await relay_at(pool, settings, start + wave * 0.3, monkeypatch) >= 100
    await drain(settings)  # (other tests' leftover jobs may run and fail here too)
    runs = await runs_of(pool, region_a.id)
    assert len(runs) == 6 and all(r.success for r in runs)
    totals = {row[:2]: row[5] for row in await snapshot(region_a) if row[2] == "TOTAL"}
    services = campaign.services
    assert totals["SERVICE", services["ktp"]] == 750
    assert totals["SERVICE", services["akta"]] == 250
    assert totals["REGION", 0] == 1000
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
                await aggregation.aggregate(
                    campaign_id=campaign.id, service_id=campaign.services["ktp"]
                )
        counts.append(counter.count)
    # locks, service rows, roll-up lock, unit and region rows, survey-fed realisations
    assert counts[0] == counts[1] <= 5


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
        run = await aggregation.aggregate(campaign_id=campaign.id, service_id=service_id)
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
        rise = await aggregation.aggregate(campaign_id=campaign.id, service_id=service_id)
    assert rise.band_drops == []
    await fan_out_region(pool, region_a)
    (note,) = [
        n for n in await inbox(region_a, Role.REGION_ADMIN) if n.kind == "SURVEY_BAND_DROPPED"
    ]
    assert note.title == "Mutu pelayanan Layanan ktp turun ke C"
    assert "dari mutu A menjadi C" in note.body and "66.67" in note.body
    assert [
        n for n in await inbox(region_a, Role.EMPLOYEE) if n.kind == "SURVEY_BAND_DROPPED"
    ] == []


async def test_incremental_runs_roll_units_and_region_up_to_the_recompute(region_a):
    """Each incremental run reads its service's responses only and rolls its unit and the
    region up from the stored service rows; once every service's run is done, every row
    (totals and profile slices, two services sharing a unit) equals the full recompute."""
    campaign = await open_campaign(
        region_a, populations={"ktp": 1000, "akta": 100, "kk": 50, "sim": 70}
    )
    profiles = [
        {"gender": "PEREMPUAN", "age_band": "20_29"},
        {"gender": "LAKI_LAKI", "education": "SMA"},
        {"occupation": "PNS"},
        {},
    ]

    async def run(service: str) -> None:
        async with tenant_transaction(region_a.id):
            await aggregation.aggregate(
                campaign_id=campaign.id, service_id=campaign.services[service]
            )

    for k, service in enumerate(("ktp", "akta", "kk", "sim")):  # ktp and sim share unit a
        for i in range(5 + k):
            answers = [1 + (i * 3 + k + e) % 4 for e in range(9)]
            await respond(region_a, campaign.codes[service], answers, profile=profiles[i % 4])
        await run(service)
    # A later response to ktp: the region lags until ktp's own run, then matches again.
    await respond(region_a, campaign.codes["ktp"], [4] * 9, profile={"gender": "PEREMPUAN"})
    await run("akta")
    region_total = {r[:4]: r[5] for r in await snapshot(region_a)}[("REGION", 0, "TOTAL", "")]
    assert region_total == 5 + 6 + 7 + 8
    await run("ktp")
    incremental = await snapshot(region_a)
    assert {r[:4]: r[5] for r in incremental}[("REGION", 0, "TOTAL", "")] == 27
    await recompute(region_a, campaign.id)
    assert await snapshot(region_a) == incremental


async def test_concurrent_incremental_runs_and_a_recompute_agree(region_a):
    """Incremental runs of four services at once (their service rows side by side, the
    roll-ups one at a time) and a full recompute among them: no deadlock, and the rows
    end equal to a recompute's."""
    import asyncio

    services = ("ktp", "akta", "kk", "sim")
    campaign = await open_campaign(region_a, populations=dict.fromkeys(services, 100))
    for k, service in enumerate(services):
        for i in range(4 + k):
            answers = [1 + (i + k * 2 + e) % 4 for e in range(9)]
            await respond(region_a, campaign.codes[service], answers, profile={"occupation": "PNS"})

    async def run(service: str) -> None:
        async with tenant_transaction(region_a.id):
            await aggregation.aggregate(
                campaign_id=campaign.id, service_id=campaign.services[service]
            )

    await asyncio.gather(*(run(s) for s in services))
    incremental = await snapshot(region_a)
    assert {r[:4]: r[5] for r in incremental}[("REGION", 0, "TOTAL", "")] == 4 + 5 + 6 + 7
    await recompute(region_a, campaign.id)
    assert await snapshot(region_a) == incremental
    await respond(region_a, campaign.codes["kk"], [2] * 9)
    await asyncio.wait_for(
        asyncio.gather(run("ktp"), recompute(region_a, campaign.id), run("kk"), run("sim")),
        timeout=30,
    )
    after = await snapshot(region_a)
    assert {r[:4]: r[5] for r in after}[("REGION", 0, "TOTAL", "")] == 23
    await recompute(region_a, campaign.id)
    assert await snapshot(region_a) == after
