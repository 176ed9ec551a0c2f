"""Trends across campaigns (computed in SQL from the stored results) and the campaigns
connection (keyset pages, status and year filters); statement counts that do not grow."""

from datetime import timedelta

from kinerja_saas.auth.roles import Role
from kinerja_saas.surveys import admin
from kinerja_saas.surveys.models import SurveyCampaignService
from tenants.context import tenant_transaction
from tests.surveys.helpers import open_campaign, recompute, respond

ADMIN = Role.REGION_ADMIN
TRENDS = """query($s: ID, $u: ID, $last: Int!) { surveyTrends(serviceId: $s, unitId: $u,
  last: $last) { campaignName convertedIkm band bandLabel respondents change closesOn } }"""
CAMPAIGNS = """query($first: Int, $after: String, $filter: SurveyCampaignFilter) {
  surveyCampaigns(first: $first, after: $after, filter: $filter) {
    edges { cursor node { name services { name } } } pageInfo { hasNextPage endCursor } } }"""


async def campaign_over(region, service_ids, name, opens_days, closes_days) -> dict[int, str]:
    """A campaign over existing services, open today (to take responses); its codes."""
    async with tenant_transaction(region.id):
        campaign = await admin.create_campaign(
            actor=region.actor(ADMIN),
            data=admin.CampaignData(
                name=name,
                period_label=name,
                opens_on=region.today + timedelta(days=opens_days),
                closes_on=region.today + timedelta(days=closes_days),
                service_ids=service_ids,
            ),
        )
        rows = await SurveyCampaignService.filter(tenant_id=region.id, campaign_id=campaign.id)
    return campaign.id, {r.service_id: r.code for r in rows}


async def move(region, campaign_id, opens_days, closes_days) -> None:
    async with tenant_transaction(region.id):
        await admin.set_campaign_dates(
            actor=region.actor(ADMIN),
            campaign_id=campaign_id,
            opens_on=region.today + timedelta(days=opens_days),
            closes_on=region.today + timedelta(days=closes_days),
        )


async def rounds(region, answers_per_round: list[int]) -> tuple[int, list[int]]:
    """One campaign per answer value, each closed a month after the one before, all over
    the 'ktp' service: (service id, campaign ids oldest first)."""
    first = await open_campaign(region)
    ktp = first.services["ktp"]
    ids = [first.id]
    for n in range(1, len(answers_per_round)):
        campaign_id, _ = await campaign_over(region, [ktp], f"SKM {n}", -1, 1)
        ids.append(campaign_id)
    for n, (campaign_id, value) in enumerate(zip(ids, answers_per_round, strict=True)):
        await move(region, campaign_id, -1, 1)
        async with tenant_transaction(region.id):
            (row,) = await SurveyCampaignService.filter(
                tenant_id=region.id, campaign_id=campaign_id, service_id=ktp
            )
        for _ in range(n + 1):
            await respond(region, row.code, [value] * 9)
        await recompute(region, campaign_id)
        back = 30 * (len(ids) - n)
        await move(region, campaign_id, -back - 10, -back)
    return ktp, ids


async def test_trends_in_time_order_with_the_change(api, region_a):
    ktp, _ = await rounds(region_a, [4, 2, 3])
    trend = await api.as_role(region_a, ADMIN, TRENDS, {"s": str(ktp), "last": 8})
    points = trend.data["surveyTrends"]
    assert [p["convertedIkm"] for p in points] == [100.0, 50.0, 75.0]
    assert [p["respondents"] for p in points] == [1, 2, 3]
    assert [p["change"] for p in points] == [None, -50.0, 25.0]
    assert [p["band"] for p in points] == ["A", "D", "C"]
    assert points[1]["bandLabel"] == "Tidak Baik"
    assert [p["closesOn"] for p in points] == sorted(p["closesOn"] for p in points)
    last_two = await api.as_role(region_a, ADMIN, TRENDS, {"s": str(ktp), "last": 2})
    assert [p["change"] for p in last_two.data["surveyTrends"]] == [-50.0, 25.0]
    unit = await api.as_role(region_a, ADMIN, TRENDS, {"u": str(region_a.units["a"].id), "last": 8})
    assert [p["convertedIkm"] for p in unit.data["surveyTrends"]] == [100.0, 50.0, 75.0]


async def test_trend_statements_do_not_grow_with_campaigns(api, region_a, region_b):
    one, _ = await rounds(region_a, [4])
    three, _ = await rounds(region_b, [4, 3, 2])
    small = await api.as_role(region_a, ADMIN, TRENDS, {"s": str(one), "last": 8})
    large = await api.as_role(region_b, ADMIN, TRENDS, {"s": str(three), "last": 8})
    assert len(small.data["surveyTrends"]) == 1 and len(large.data["surveyTrends"]) == 3
    assert small.statements == large.statements


async def test_bad_trend_input(api, region_a):
    campaign = await open_campaign(region_a)
    both = await api.as_role(
        region_a,
        ADMIN,
        TRENDS,
        {"s": str(campaign.services["ktp"]), "u": str(region_a.units["a"].id), "last": 8},
    )
    assert both.codes == ["ONE_SCOPE"]
    neither = await api.as_role(region_a, ADMIN, TRENDS, {"last": 8})
    assert neither.codes == ["ONE_SCOPE"]
    no_campaign = await api.as_role(
        region_a, ADMIN, TRENDS, {"s": str(campaign.services["ktp"]), "last": 0}
    )
    assert no_campaign.codes == ["OUT_OF_RANGE"]
    unknown = await api.as_role(region_a, ADMIN, TRENDS, {"s": "999999999", "last": 8})
    assert unknown.codes == ["NOT_FOUND"]


async def test_campaigns_in_keyset_pages_with_filters(api, region_a):
    first = await open_campaign(region_a)  # opened yesterday, open for 10 days
    ktp = first.services["ktp"]
    await campaign_over(region_a, [ktp], "Closed", -40, -20)
    await campaign_over(region_a, [ktp], "Upcoming", 5, 25)
    await campaign_over(region_a, [ktp], "Last year", -400, -380)
    names = []
    after = None
    while True:
        page = await api.as_role(region_a, ADMIN, CAMPAIGNS, {"first": 3, "after": after})
        conn = page.data["surveyCampaigns"]
        names += [e["node"]["name"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert names == ["Upcoming", "SKM Semester I", "Closed", "Last year"]

    async def filtered(**flt) -> list[str]:
        page = await api.as_role(region_a, ADMIN, CAMPAIGNS, {"filter": flt})
        return [e["node"]["name"] for e in page.data["surveyCampaigns"]["edges"]]

    assert await filtered(status="OPEN") == ["SKM Semester I"]
    assert await filtered(status="UPCOMING") == ["Upcoming"]
    assert await filtered(status="CLOSED") == ["Closed", "Last year"]
    last_year = (region_a.today - timedelta(days=390)).year
    assert "Last year" in await filtered(year=last_year)
    assert await filtered(year=2001) == []
    bad_year = await api.as_role(region_a, ADMIN, CAMPAIGNS, {"filter": {"year": 99}})
    assert bad_year.codes == ["OUT_OF_RANGE"]
    bad_cursor = await api.as_role(region_a, ADMIN, CAMPAIGNS, {"after": "bm9wZQ=="})
    assert bad_cursor.codes == ["INVALID_CURSOR"]


async def test_campaign_pages_cost_the_same_statements(api, region_a):
    first = await open_campaign(region_a)
    for n in range(4):
        await campaign_over(region_a, [first.services["ktp"]], f"SKM {n}", -n, 5)
    one = await api.as_role(region_a, ADMIN, CAMPAIGNS, {"first": 1})
    five = await api.as_role(region_a, ADMIN, CAMPAIGNS, {"first": 5})
    assert len(five.data["surveyCampaigns"]["edges"]) == 5
    assert one.statements == five.statements
