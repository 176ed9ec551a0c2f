"""A unit's converted IKM as a realisation source: a unit head's "IKM ≥ 85" indicator fills
in from the survey aggregation (in a real arq worker), set-based; the employee cannot
overwrite it, the evaluator sees it; bad sources are refused with nothing written."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from arq.connections import create_pool

from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements
from kinerja_saas.errors import ValidationFailed
from kinerja_saas.performance import plans, realisations
from kinerja_saas.performance.models import (
    Aspect,
    Checkpoint,
    Indicator,
    IndicatorSource,
    PeriodStatus,
    Plan,
    PlanResult,
    Realisation,
    ResultKind,
)
from kinerja_saas.performance.rules import Direction
from kinerja_saas.surveys import admin, aggregation
from kinerja_saas.surveys.models import SurveyResult
from kinerja_saas.surveys.public import region_today
from tenants.context import tenant_transaction
from tests.factories import advance, person
from tests.surveys.helpers import open_campaign, recompute, respond
from tests.surveys.test_aggregation import relay_at
from tests.workers.test_jobs import drain
from workers.queue import redis_settings


@pytest.fixture
async def pool(settings, redis):
    pool = await create_pool(redis_settings(settings))
    yield pool
    await pool.aclose()


def ikm_plan(
    *,
    unit_id: int | None = None,
    service_id: int | None = None,
    aspect: Aspect = Aspect.KUALITAS,
    direction: Direction = Direction.HIGHER_IS_BETTER,
    target: str = "85",
) -> list[plans.ResultData]:
    """One RHK: "IKM ≥ 85" fed by the surveys (weight 60) and a manual indicator (40)."""
    return [
        plans.ResultData(
            kind=ResultKind.UTAMA,
            text="Meningkatnya kepuasan masyarakat atas pelayanan",
            indicators=[
                plans.IndicatorData(
                    text="Indeks Kepuasan Masyarakat",
                    aspect=aspect,
                    target=Decimal(target),
                    unit_label="nilai IKM",
                    direction=direction,
                    weight=Decimal(60),
                    source=IndicatorSource.SKM_IKM,
                    source_unit_id=unit_id,
                    source_service_id=service_id,
                ),
                plans.IndicatorData(
                    text="Jumlah inovasi pelayanan",
                    aspect=Aspect.KUANTITAS,
                    target=Decimal(2),
                    unit_label="inovasi",
                    direction=Direction.HIGHER_IS_BETTER,
                    weight=Decimal(40),
                ),
            ],
        )
    ]


async def approved_ikm_plan(region, key="chief", evaluator="head", **source) -> Plan:
    """`key`'s approved plan with an SKM-fed indicator (the head of unit A by default)."""
    async with tenant_transaction(region.id):
        plan = await plans.save_plan(
            actor=person(region, key), period_id=region.period.id, results=ikm_plan(**source)
        )
        await plans.submit_plan(actor=person(region, key), plan_id=plan.id)
        return await plans.approve_plan(
            actor=person(region, evaluator, Role.SUPERVISOR), plan_id=plan.id
        )


async def closing_today(region, campaign) -> None:
    """The campaign closes today in the region's own time zone (the public form counts the
    days there: from 17:00 UTC Jakarta is a day ahead of the machine's date): its checkpoint
    is today's (inside the current period)."""
    today = region_today(region.tenant)
    async with tenant_transaction(region.id):
        await admin.set_campaign_dates(
            actor=region.actor(Role.REGION_ADMIN),
            campaign_id=campaign.id,
            opens_on=today - timedelta(days=1),
            closes_on=today,
        )


async def sourced(region, plan_id: int) -> tuple[Indicator, list[Realisation]]:
    async with tenant_transaction(region.id):
        indicator = await Indicator.get(
            tenant_id=region.id, plan_id=plan_id, source=IndicatorSource.SKM_IKM
        )
        rows = await Realisation.filter(tenant_id=region.id, indicator_id=indicator.id)
    return indicator, rows


async def unit_ikm(region, campaign_id: int, unit_id: int) -> Decimal:
    async with tenant_transaction(region.id):
        row = await SurveyResult.get(
            tenant_id=region.id,
            campaign_id=campaign_id,
            scope="UNIT",
            scope_id=unit_id,
            dimension="TOTAL",
        )
    return Decimal(row.converted_ikm)


async def test_the_unit_heads_ikm_indicator_fills_in_from_a_real_worker(
    pool, settings, region_a, monkeypatch
):
    campaign = await open_campaign(region_a)
    await closing_today(region_a, campaign)
    plan = await approved_ikm_plan(region_a, unit_id=region_a.units["a"].id)
    await advance(region_a, PeriodStatus.ACTIVE)
    for answers in ([4] * 9, [3] * 9, [3] * 9):
        await respond(region_a, campaign.codes["ktp"], answers)
    await respond(region_a, campaign.codes["akta"], [1] * 9)  # another unit: not this one
    # The relay schedules the debounced job as due now; a real worker runs it.
    assert await relay_at(pool, settings, time.time() - 10, monkeypatch) >= 4
    await drain(settings)
    runs = [
        r.result
        for r in await pool.all_job_results()
        if r.function == "aggregate_survey_campaign"
        and r.kwargs.get("tenant_id") == region_a.id
        and "deferred_to" not in r.result  # a copy the fair scheduler re-enqueued
    ]
    # One run for the campaign's two services; akta's unit feeds nothing.
    assert [(r["services"], r["realisations"]) for r in runs] == [(2, 1)]
    _, (realisation,) = await sourced(region_a, plan.id)
    expected = await unit_ikm(region_a, campaign.id, region_a.units["a"].id)
    assert expected == Decimal("83.33")  # (36 + 27 + 27) × 25 / 27
    assert realisation.value == expected
    assert realisation.source is IndicatorSource.SKM_IKM
    assert realisation.survey_campaign_id == campaign.id
    assert realisation.status.value == "VERIFIED" and not realisation.is_late
    assert realisation.note == "IKM SKM Semester I: 3 responden"
    async with tenant_transaction(region_a.id):
        checkpoint = await Checkpoint.get(tenant_id=region_a.id, id=realisation.checkpoint_id)
    assert checkpoint.starts_on <= region_today(region_a.tenant) <= checkpoint.ends_on
    # More responses and a recompute move it; the same values again write nothing.
    await respond(region_a, campaign.codes["ktp"], [4] * 9)
    await recompute(region_a, campaign.id)
    _, (moved,) = await sourced(region_a, plan.id)
    assert moved.id == realisation.id and moved.value == Decimal("87.50")
    async with tenant_transaction(region_a.id):
        again = await aggregation.aggregate(campaign_id=campaign.id)
    assert again.realisations == 0


async def test_the_employee_cannot_overwrite_it_and_the_evaluator_sees_it(api, region_a):
    campaign = await open_campaign(region_a)
    await closing_today(region_a, campaign)
    plan = await approved_ikm_plan(region_a, service_id=campaign.services["ktp"])
    await advance(region_a, PeriodStatus.ACTIVE)
    await respond(region_a, campaign.codes["ktp"], [4] * 9)
    await recompute(region_a, campaign.id)
    indicator, (realisation,) = await sourced(region_a, plan.id)
    assert realisation.value == Decimal("100.00")
    chief = person(region_a, "chief", Role.SUPERVISOR)
    async with tenant_transaction(region_a.id):
        with pytest.raises(ValidationFailed) as refused:
            await realisations.record_realisation(
                actor=chief,
                indicator_id=indicator.id,
                checkpoint_id=realisation.checkpoint_id,
                value=Decimal(1),
                note=None,
                evidence=[],
            )
        assert [e.code for e in refused.value.errors] == ["SOURCED_INDICATOR"]
        with pytest.raises(ValidationFailed) as not_reviewed:
            await realisations.review_realisation(
                actor=person(region_a, "head", Role.SUPERVISOR),
                realisation_id=realisation.id,
                verified=False,
                reason="Tidak sesuai",
            )
        assert [e.code for e in not_reviewed.value.errors] == ["SOURCED_REALISATION"]
        unchanged = await Realisation.get(tenant_id=region_a.id, id=realisation.id)
    assert unchanged.value == Decimal("100.00") and unchanged.status.value == "VERIFIED"
    # The evaluator (head, the region admin login) reads it through the API.
    seen = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        """query($id: ID!) { plan(id: $id) { achievement results { indicators {
            source sourceServiceId realisations { value status source surveyCampaignId } } } } }""",
        {"id": str(plan.id)},
    )
    (ikm, manual) = seen.data["plan"]["results"][0]["indicators"]
    assert ikm["source"] == "SKM_IKM"
    assert ikm["sourceServiceId"] == str(campaign.services["ktp"])
    assert ikm["realisations"] == [
        {
            "value": "100.0000",
            "status": "VERIFIED",
            "source": "SKM_IKM",
            "surveyCampaignId": str(campaign.id),
        }
    ]
    assert manual["source"] == "MANUAL" and manual["realisations"] == []
    # IKM 100 against 85, capped at 120%: 117.65% × 60 + 0 × 40.
    assert Decimal(seen.data["plan"]["achievement"]) == Decimal("70.59")


async def test_nothing_is_written_outside_an_open_approved_plan(region_a):
    """A draft plan, a period still PLANNING, or a finalised checkpoint: no realisation."""
    campaign = await open_campaign(region_a)
    await closing_today(region_a, campaign)
    async with tenant_transaction(region_a.id):
        draft = await plans.save_plan(
            actor=person(region_a, "staff1"),
            period_id=region_a.period.id,
            results=ikm_plan(unit_id=region_a.units["a"].id),
        )
    approved = await approved_ikm_plan(region_a, unit_id=region_a.units["a"].id)
    await respond(region_a, campaign.codes["ktp"], [3] * 9)
    await recompute(region_a, campaign.id)  # the period is PLANNING
    assert (await sourced(region_a, approved.id))[1] == []
    await advance(region_a, PeriodStatus.ACTIVE)
    await recompute(region_a, campaign.id)
    assert len((await sourced(region_a, approved.id))[1]) == 1
    assert (await sourced(region_a, draft.id))[1] == []


BAD_SOURCES = [
    ({"unit_id": None, "service_id": None}, "results[0].indicators[0].sourceUnitId"),
    ({"unit_id": 10**12}, "results[0].indicators[0].sourceUnitId"),
    ({"service_id": 10**12}, "results[0].indicators[0].sourceServiceId"),
    ({"unit": "a", "aspect": Aspect.KUANTITAS}, "results[0].indicators[0].aspect"),
    (
        {"unit": "a", "direction": Direction.LOWER_IS_BETTER},
        "results[0].indicators[0].direction",
    ),
    ({"unit": "a", "target": "120"}, "results[0].indicators[0].target"),
    ({"unit": "a", "target": "20"}, "results[0].indicators[0].target"),
]


@pytest.mark.parametrize(("source", "field"), BAD_SOURCES)
async def test_a_bad_source_is_refused_and_nothing_written(region_a, source, field):
    source = dict(source)
    if "unit" in source:
        source["unit_id"] = region_a.units[source.pop("unit")].id
    async with tenant_transaction(region_a.id):
        with pytest.raises(ValidationFailed) as refused:
            await plans.save_plan(
                actor=person(region_a, "chief"),
                period_id=region_a.period.id,
                results=ikm_plan(**source),
            )
        assert field in {e.field for e in refused.value.errors}
        assert not await Plan.exists(tenant_id=region_a.id)


async def test_another_regions_unit_or_service_is_no_source(api, region_a, region_b):
    other = await open_campaign(region_b)
    for name, value in (
        ("sourceUnitId", region_b.units["a"].id),
        ("sourceServiceId", other.services["ktp"]),
    ):
        saved = await api.as_role(
            region_a,
            Role.SUPERVISOR,
            """mutation($period: ID!, $id: ID!) { savePlan(input: {periodId: $period, results: [
                {kind: UTAMA, text: "Kepuasan", indicators: [{text: "IKM", aspect: KUALITAS,
                 target: 85, unit: "nilai", weight: 100, source: SKM_IKM, FIELD: $id}]}]}) {
                plan { id } errors { field code } } }""".replace("FIELD", name),
            {"period": str(region_a.period.id), "id": str(value)},
        )
        assert saved.data["savePlan"] == {
            "plan": None,
            "errors": [{"field": f"results[0].indicators[0].{name}", "code": "NOT_FOUND"}],
        }
    async with tenant_transaction(region_a.id):
        assert not await Plan.exists(tenant_id=region_a.id)


async def test_the_fill_is_one_statement_however_many_indicators(region_a):
    campaign = await open_campaign(region_a)
    await closing_today(region_a, campaign)
    await approved_ikm_plan(region_a, unit_id=region_a.units["a"].id)
    await advance(region_a, PeriodStatus.ACTIVE)
    await respond(region_a, campaign.codes["ktp"], [3] * 9)
    counts, written = [], []
    for extra in ("staff1", "staff2"):
        async with tenant_transaction(region_a.id):
            with count_statements() as counter:
                run = await aggregation.aggregate_pending(campaign_id=campaign.id)
        counts.append(counter.count)
        written.append(run.realisations)
        await respond(region_a, campaign.codes["ktp"], [4] * 9)
        # Another approved plan fed by the same unit (revised in the active period).
        await approved_ikm_plan(
            region_a, key=extra, evaluator="chief", unit_id=region_a.units["a"].id
        )
    async with tenant_transaction(region_a.id):
        with count_statements() as counter:
            run = await aggregation.aggregate_pending(campaign_id=campaign.id)
    counts.append(counter.count)
    written.append(run.realisations)
    assert written == [1, 2, 3]
    # the lock, taking the pending services, their rows and the roll-up, the fill
    assert counts[0] == counts[1] == counts[2] == 4


async def test_copying_results_down_keeps_an_indicator_s_source(region_a):
    """A supervisor's survey-fed indicator copied into a report's plan stays fed by the
    same unit's results, as the supervisor's own is."""
    unit_id = region_a.units["a"].id
    async with tenant_transaction(region_a.id):
        plan = await plans.save_plan(
            actor=person(region_a, "chief"),
            period_id=region_a.period.id,
            results=ikm_plan(unit_id=unit_id),
        )
        result_ids = [r.id for r in await PlanResult.filter(tenant_id=region_a.id, plan_id=plan.id)]
        (copy,) = await plans.copy_results_down(
            actor=person(region_a, "chief"),
            result_ids=result_ids,
            employee_ids=[region_a.employees["staff1"].id],
        )
        mine = await Indicator.filter(tenant_id=region_a.id, plan_id=plan.id).order_by("position")
        theirs = await Indicator.filter(tenant_id=region_a.id, plan_id=copy.id).order_by("position")
    assert IndicatorSource.SKM_IKM in {i.source for i in mine}
    assert [(i.source, i.source_unit_id, i.source_service_id) for i in theirs] == [
        (i.source, i.source_unit_id, i.source_service_id) for i in mine
    ]


async def test_a_plan_approved_after_the_last_run_is_filled_at_its_approval(region_a):
    """Results aggregated before the plan existed reach its survey-fed indicator when it is
    approved, without waiting for the next aggregation."""
    campaign = await open_campaign(region_a)
    await closing_today(region_a, campaign)
    await advance(region_a, PeriodStatus.ACTIVE)
    for answers in ([4] * 9, [3] * 9):
        await respond(region_a, campaign.codes["ktp"], answers)
    await recompute(region_a, campaign.id)  # before the plan exists
    plan = await approved_ikm_plan(region_a, unit_id=region_a.units["a"].id)
    _, (realisation,) = await sourced(region_a, plan.id)
    assert realisation.value == await unit_ikm(region_a, campaign.id, region_a.units["a"].id)
    assert realisation.survey_campaign_id == campaign.id
