"""Unit heads read their own unit's (and sub-units') survey results, trends, suggestions and
campaigns; other non-admins are FORBIDDEN; another region's ids are NOT_FOUND.

The fixture region: DINAS (head) ─ BIDANG-A (chief, the SUPERVISOR login: heads it) and
BIDANG-B; service 'ktp' is BIDANG-A's, 'akta' BIDANG-B's."""

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import PermissionDenied
from kinerja_saas.surveys import results
from kinerja_saas.surveys.access import results_scope
from kinerja_saas.surveys.models import ResultScope
from tenants.context import tenant_transaction
from tests.factories import person
from tests.surveys.helpers import open_campaign, recompute, respond

HEAD = Role.SUPERVISOR  # the login of `chief`, who heads BIDANG-A

RESULTS = """query($c: ID!, $g: SurveyResultsGroupBy!) {
  surveyResults(campaignId: $c, groupBy: $g) { region { respondents } items { name } } }"""
SUGGESTIONS = """query($c: ID!) { surveySuggestions(campaignId: $c, first: 10) {
  edges { node { text serviceName } } } }"""
TRENDS = """query($s: ID, $u: ID) { surveyTrends(serviceId: $s, unitId: $u) {
  campaignId convertedIkm respondents } }"""
CAMPAIGNS = "{ surveyCampaigns { edges { node { id services { name } } } } }"


async def surveyed(region):
    campaign = await open_campaign(region)
    await respond(region, campaign.codes["ktp"], [4] * 9, suggestion="Antrean KTP lama")
    await respond(region, campaign.codes["akta"], [2] * 9, suggestion="Akta lambat")
    await recompute(region, campaign.id)
    return campaign


async def test_a_unit_head_sees_their_unit_only(api, region_a):
    campaign = await surveyed(region_a)
    c = str(campaign.id)
    by_service = await api.as_role(region_a, HEAD, RESULTS, {"c": c, "g": "SERVICE"})
    assert by_service.data["surveyResults"] == {"region": None, "items": [{"name": "Layanan ktp"}]}
    by_unit = await api.as_role(region_a, HEAD, RESULTS, {"c": c, "g": "UNIT"})
    assert by_unit.data["surveyResults"]["items"] == [{"name": "Bidang A"}]
    suggestions = await api.as_role(region_a, HEAD, SUGGESTIONS, {"c": c})
    assert [e["node"] for e in suggestions.data["surveySuggestions"]["edges"]] == [
        {"text": "Antrean KTP lama", "serviceName": "Layanan ktp"}
    ]
    mine = await api.as_role(region_a, HEAD, TRENDS, {"s": str(campaign.services["ktp"])})
    assert mine.data["surveyTrends"] == [{"campaignId": c, "convertedIkm": 100.0, "respondents": 1}]
    unit = await api.as_role(region_a, HEAD, TRENDS, {"u": str(region_a.units["a"].id)})
    assert [p["convertedIkm"] for p in unit.data["surveyTrends"]] == [100.0]
    for variables in ({"s": str(campaign.services["akta"])}, {"u": str(region_a.units["b"].id)}):
        other = await api.as_role(region_a, HEAD, TRENDS, variables)
        assert other.codes == ["FORBIDDEN"]
    listed = await api.as_role(region_a, HEAD, CAMPAIGNS)
    assert [e["node"] for e in listed.data["surveyCampaigns"]["edges"]] == [
        {"id": c, "services": [{"name": "Layanan ktp"}]}
    ]
    # The region admin sees everything, the region's total included.
    admin = await api.as_role(region_a, Role.REGION_ADMIN, RESULTS, {"c": c, "g": "SERVICE"})
    assert admin.data["surveyResults"]["region"] == {"respondents": 2}
    assert len(admin.data["surveyResults"]["items"]) == 2


async def test_the_head_of_a_parent_unit_sees_its_sub_units(region_a):
    campaign = await surveyed(region_a)
    head = person(region_a, "head", Role.SUPERVISOR)  # heads DINAS, without the admin role
    async with tenant_transaction(region_a.id):
        found = await results.campaign_results(
            actor=head, campaign_id=campaign.id, group_by=ResultScope.UNIT
        )
    assert found.region is None
    assert sorted(i.name for i in found.items) == ["Bidang A", "Bidang B"]


@pytest.mark.parametrize(
    "who",
    [
        ("staff1", Role.SUPERVISOR),  # a supervisor whose own atasan is in the same unit
        ("staff1", Role.EMPLOYEE),
        ("other", Role.TRAINING_OFFICER),
    ],
)
async def test_other_non_admins_are_forbidden(region_a, who):
    campaign = await surveyed(region_a)
    actor = person(region_a, *who)
    async with tenant_transaction(region_a.id):
        with pytest.raises(PermissionDenied):
            await results_scope(actor)
        with pytest.raises(PermissionDenied):
            await results.campaign_results(
                actor=actor, campaign_id=campaign.id, group_by=ResultScope.SERVICE
            )
        with pytest.raises(PermissionDenied):
            await results.trends(
                actor=actor, service_id=campaign.services["ktp"], unit_id=None, last=5
            )


async def test_another_regions_ids_are_not_found(api, region_a, region_b):
    mine, theirs = await surveyed(region_a), await surveyed(region_b)
    for role in (HEAD, Role.REGION_ADMIN):
        found = await api.as_role(region_a, role, RESULTS, {"c": str(theirs.id), "g": "UNIT"})
        assert found.codes == ["NOT_FOUND"]
        suggestions = await api.as_role(region_a, role, SUGGESTIONS, {"c": str(theirs.id)})
        assert suggestions.codes == ["NOT_FOUND"]
        for variables in (
            {"s": str(theirs.services["ktp"])},
            {"u": str(region_b.units["a"].id)},
        ):
            trend = await api.as_role(region_a, role, TRENDS, variables)
            assert trend.codes == ["NOT_FOUND"]
        listed = await api.as_role(region_a, role, CAMPAIGNS)
        assert [e["node"]["id"] for e in listed.data["surveyCampaigns"]["edges"]] == [str(mine.id)]
