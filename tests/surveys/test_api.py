"""The survey API: admin management, the public form and submission (no login), bad input
that writes nothing, rate limits, idempotent retries and region isolation."""

from datetime import timedelta

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import NotFound
from kinerja_saas.surveys import public
from kinerja_saas.surveys.models import (
    SurveyCampaign,
    SurveyElement,
    SurveyResponse,
    SurveyService,
)
from tenants.context import tenant_transaction
from tenants.models import Tenant
from tests.surveys.helpers import open_campaign, recompute, respond, token

ADMIN = Role.REGION_ADMIN

SUBMIT = """
mutation($code: String!, $answers: [SurveyAnswerInput!]!, $token: String!,
         $profile: SurveyProfileInput, $suggestion: String) {
  submitSurveyResponse(code: $code, answers: $answers, clientToken: $token,
                       profile: $profile, suggestion: $suggestion) {
    accepted replayed errors { field code message } } }
"""

FORM = """
query($code: String!) { surveyForm(code: $code) {
  regionName serviceName unitName isOpen suggestionMaxLength
  elements { code name answerLabels } profileFields { field values } extraQuestions { code } } }
"""


def answers(values=(3,) * 9):
    return [{"element": f"U{i}", "value": v} for i, v in enumerate(values, 1)]


async def count_responses(region) -> int:
    async with tenant_transaction(region.id):
        return await SurveyResponse.filter(tenant_id=region.id).count()


async def test_admin_creates_services_and_a_campaign_with_codes(api, region_a):
    unit = region_a.units["a"].id
    saved = await api.as_role(
        region_a,
        ADMIN,
        """mutation($unit: ID!) { saveSurveyService(input: {unitId: $unit, name: "Perekaman KTP-el",
            populationPerYear: 1000}) { service { id name sampleTarget } errors { code } } }""",
        {"unit": unit},
    )
    service = saved.data["saveSurveyService"]["service"]
    assert service["sampleTarget"] == 278
    created = await api.as_role(
        region_a,
        ADMIN,
        """mutation($s: ID!, $from: Date!, $to: Date!) { createSurveyCampaign(input: {
            name: "SKM 2026", periodLabel: "Semester I 2026", opensOn: $from, closesOn: $to,
            serviceIds: [$s], profileFields: ["ageBand", "gender"]}) {
            campaign { id profileFields services { name code sampleTarget } }
            errors { field code } } }""",
        {
            "s": service["id"],
            "from": str(region_a.today),
            "to": str(region_a.today + timedelta(days=30)),
        },
    )
    campaign = created.data["createSurveyCampaign"]["campaign"]
    assert campaign["profileFields"] == ["ageBand", "gender"]
    (covered,) = campaign["services"]
    assert len(covered["code"]) >= 24 and covered["sampleTarget"] == 278
    listed = await api.as_role(
        region_a, ADMIN, "{ surveyCampaigns { edges { node { id services { code } } } } }"
    )
    (edge,) = listed.data["surveyCampaigns"]["edges"]
    assert edge["node"]["services"][0]["code"] == covered["code"]


async def test_only_the_region_admin_manages(api, region_a):
    # (The SUPERVISOR login heads a unit: tests/surveys/test_unit_heads.py.)
    for role in (Role.EMPLOYEE, Role.TRAINING_OFFICER):
        result = await api.as_role(region_a, role, "{ surveyCampaigns { edges { cursor } } }")
        assert result.codes == ["FORBIDDEN"]
    result = await api("{ surveyCampaigns { edges { cursor } } }")
    assert result.codes == ["UNAUTHENTICATED"]


async def test_campaign_bad_input_writes_nothing(api, region_a, region_b):
    campaign = await open_campaign(region_b)  # a service of another region
    unit = region_a.units["a"].id
    async with tenant_transaction(region_a.id):
        own = await SurveyService.create(tenant_id=region_a.id, unit_id=unit, name="Own")
    query = """mutation($s: [ID!]!, $from: Date!, $to: Date!) { createSurveyCampaign(input: {
        name: "X", periodLabel: "Y", opensOn: $from, closesOn: $to, serviceIds: $s,
        profileFields: ["shoeSize"]}) { campaign { id } errors { field code } } }"""
    reversed_dates = await api.as_role(
        region_a,
        ADMIN,
        query,
        {
            "s": [str(own.id)],
            "from": str(region_a.today),
            "to": str(region_a.today - timedelta(days=1)),
        },
    )
    codes = {(e["field"], e["code"]) for e in reversed_dates.data["createSurveyCampaign"]["errors"]}
    assert ("closesOn", "DATES_REVERSED") in codes and ("profileFields", "INVALID") in codes
    foreign = await api.as_role(
        region_a,
        ADMIN,
        query,
        {
            "s": [str(campaign.services["ktp"])],
            "from": str(region_a.today),
            "to": str(region_a.today),
        },
    )
    assert ("serviceIds", "NOT_FOUND") in {
        (e["field"], e["code"]) for e in foreign.data["createSurveyCampaign"]["errors"]
    }
    async with tenant_transaction(region_a.id):
        assert await SurveyCampaign.filter(tenant_id=region_a.id).count() == 0


async def test_public_form_and_submission_need_no_login(api, region_a):
    campaign = await open_campaign(region_a)
    form = await api(FORM, {"code": campaign.codes["ktp"]})
    data = form.data["surveyForm"]
    assert data["regionName"] == "Kota A" and data["isOpen"] is True
    assert [e["code"] for e in data["elements"]] == [f"U{i}" for i in range(1, 10)]
    assert data["elements"][3]["answerLabels"] == ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"]
    assert {f["field"] for f in data["profileFields"]} == {
        "ageBand",
        "gender",
        "education",
        "occupation",
    }
    sent = await api(
        SUBMIT,
        {
            "code": campaign.codes["ktp"],
            "answers": answers((4, 3, 3, 4, 3, 3, 4, 3, 3)),
            "token": "tok-12345678",
            "profile": {"ageBand": "30_39", "gender": "PEREMPUAN"},
            "suggestion": "Antrean lebih tertib.",
        },
    )
    assert sent.data["submitSurveyResponse"] == {"accepted": True, "replayed": False, "errors": []}
    async with tenant_transaction(region_a.id):
        row = await SurveyResponse.get(tenant_id=region_a.id)
    assert (row.u1, row.u9, row.age_band, row.gender, row.education) == (
        4,
        3,
        "30_39",
        "PEREMPUAN",
        None,
    )
    assert row.service_id == campaign.services["ktp"]
    # The same clientToken again: success, no second row.
    again = await api(
        SUBMIT, {"code": campaign.codes["ktp"], "answers": answers(), "token": "tok-12345678"}
    )
    assert again.data["submitSurveyResponse"]["replayed"] is True
    assert await count_responses(region_a) == 1


def _errors(result) -> set[tuple[str, str]]:
    payload = result.data["submitSurveyResponse"]
    assert payload["accepted"] is False
    return {(e["field"], e["code"]) for e in payload["errors"]}


async def test_bad_submissions_write_nothing(api, region_a):
    campaign = await open_campaign(region_a, profile_fields=("gender",))
    code = campaign.codes["ktp"]

    async def send(**overrides):
        variables = {"code": code, "answers": answers(), "token": token(), **overrides}
        return await api(SUBMIT, variables)

    missing = await send(answers=answers()[:8])
    assert ("answers.U9", "REQUIRED") in _errors(missing)
    out_of_range = await send(answers=answers((3, 3, 3, 3, 5, 3, 3, 3, 0)))
    assert {("answers.U5", "OUT_OF_RANGE"), ("answers.U9", "OUT_OF_RANGE")} <= _errors(out_of_range)
    assert ("profile.gender", "INVALID") in _errors(await send(profile={"gender": "X"}))
    assert ("profile.education", "NOT_ASKED") in _errors(await send(profile={"education": "SD"}))
    long_text = await send(suggestion="x" * 1001)
    assert ("suggestion", "TOO_LONG") in _errors(long_text)
    assert ("code", "UNKNOWN_CODE") in _errors(await send(code="no-such-code-0123456789"))
    assert ("clientToken", "INVALID") in _errors(await send(token="x"))
    # The region's own text limit.
    async with tenant_transaction(region_a.id):
        tenant = await Tenant.get(id=region_a.id)
        tenant.settings = {"surveys": {"suggestion_max_length": 10}}
        await tenant.save(update_fields=["settings"])
    assert ("suggestion", "TOO_LONG") in _errors(await send(suggestion="x" * 11))
    # A closed campaign.
    async with tenant_transaction(region_a.id):
        await SurveyCampaign.filter(tenant_id=region_a.id, id=campaign.id).update(
            closes_on=region_a.today - timedelta(days=1),
            opens_on=region_a.today - timedelta(days=5),
        )
    assert ("code", "CAMPAIGN_CLOSED") in _errors(await send())
    assert await count_responses(region_a) == 0


async def test_unknown_code_in_the_form_is_not_found(api):
    result = await api(FORM, {"code": "no-such-code-0123456789"})
    assert result.codes == ["UNKNOWN_CODE"]


async def test_flooding_is_rate_limited_per_ip_with_retry_after(api, region_a):
    campaign = await open_campaign(region_a)
    async with tenant_transaction(region_a.id):
        tenant = await Tenant.get(id=region_a.id)
        tenant.settings = {"surveys": {"rate_limit_per_ip_per_hour": 3}}
        await tenant.save(update_fields=["settings"])
    for _ in range(3):
        ok = await api(
            SUBMIT, {"code": campaign.codes["ktp"], "answers": answers(), "token": token()}
        )
        assert ok.data["submitSurveyResponse"]["accepted"] is True
    limited = await api(
        SUBMIT, {"code": campaign.codes["akta"], "answers": answers(), "token": token()}
    )
    assert limited.codes == ["RATE_LIMITED"]
    assert 0 < limited.errors[0]["extensions"]["retryAfter"] <= 3600
    assert await count_responses(region_a) == 3


async def test_flooding_one_code_is_rate_limited(api, region_a, settings, monkeypatch):
    campaign = await open_campaign(region_a)
    monkeypatch.setattr(settings, "survey_rate_limit_per_code_per_minute", 2)
    results = [
        await api(SUBMIT, {"code": campaign.codes["akta"], "answers": answers(), "token": token()})
        for _ in range(3)
    ]
    assert [r.codes for r in results] == [[], [], ["RATE_LIMITED"]]
    assert results[2].errors[0]["extensions"]["retryAfter"] <= 60


async def test_a_code_of_region_a_never_writes_into_b(api, region_a, region_b):
    campaign = await open_campaign(region_a)
    # With region B's token the request is bound to B: the code of A is refused.
    refused = await api.as_role(
        region_b,
        Role.EMPLOYEE,
        SUBMIT,
        {"code": campaign.codes["ktp"], "answers": answers(), "token": token()},
    )
    assert refused.codes == ["REGION_MISMATCH"]
    anonymous = await api(
        SUBMIT, {"code": campaign.codes["ktp"], "answers": answers(), "token": token()}
    )
    assert anonymous.data["submitSurveyResponse"]["accepted"] is True
    assert await count_responses(region_a) == 1
    assert await count_responses(region_b) == 0


async def test_two_regions_in_one_request_are_refused(api, region_a, region_b):
    a, b = await open_campaign(region_a), await open_campaign(region_b)
    result = await api(
        """query($a: String!, $b: String!) { x: surveyForm(code: $a) { regionName }
            y: surveyForm(code: $b) { regionName } }""",
        {"a": a.codes["ktp"], "b": b.codes["ktp"]},
    )
    assert "ONE_REGION_PER_REQUEST" in result.codes


async def test_one_region_asked_several_times_in_one_request(api, region_a):
    """Sibling root fields run as separate tasks: each one enters the region."""
    code = (await open_campaign(region_a)).codes["ktp"]
    result = await api(
        "query($c: String!) { "
        + " ".join(f"f{i}: surveyForm(code: $c) {{ regionName }}" for i in range(4))
        + " }",
        {"c": code},
    )
    assert [result.data[f"f{i}"]["regionName"] for i in range(4)] == [region_a.tenant.name] * 4


RESULTS = """query($c: ID!, $g: SurveyResultsGroupBy!) { surveyResults(campaignId: $c, groupBy: $g) {
  region { respondents convertedIkm band bandLabel }
  items { id name respondents ikm convertedIkm band bandLabel population sampleTarget sampleMet
          nrr { code nrr weightedNrr } breakdowns { dimension value respondents } } } }"""


async def test_results_per_service_and_unit(api, region_a):
    campaign = await open_campaign(region_a)
    worksheet = [
        (4, 3, 3, 4, 3, 3, 4, 3, 3),
        (3, 3, 2, 4, 3, 3, 3, 2, 3),
        (4, 4, 3, 4, 4, 4, 4, 3, 4),
        (3, 2, 2, 4, 3, 3, 3, 2, 3),
        (3, 3, 3, 4, 3, 4, 4, 3, 3),
    ]
    for row in worksheet:
        await respond(region_a, campaign.codes["ktp"], list(row), profile={"gender": "PEREMPUAN"})
    await respond(region_a, campaign.codes["akta"], [1] * 9, suggestion="Petugas tidak ada.")
    await recompute(region_a, campaign.id)
    by_service = await api.as_role(
        region_a, ADMIN, RESULTS, {"c": str(campaign.id), "g": "SERVICE"}
    )
    data = by_service.data["surveyResults"]
    items = {i["name"]: i for i in data["items"]}
    ktp = items["Layanan ktp"]
    assert (ktp["respondents"], ktp["convertedIkm"], ktp["band"], ktp["bandLabel"]) == (
        5,
        80.56,
        "B",
        "Baik",
    )
    assert [n["nrr"] for n in ktp["nrr"]] == [3.4, 3.0, 2.6, 4.0, 3.2, 3.4, 3.6, 2.6, 3.2]
    assert ktp["nrr"][0]["weightedNrr"] == 0.3778
    assert (ktp["population"], ktp["sampleTarget"], ktp["sampleMet"]) == (1000, 278, False)
    assert {(b["dimension"], b["value"], b["respondents"]) for b in ktp["breakdowns"]} == {
        ("GENDER", "PEREMPUAN", 5)
    }
    assert (items["Layanan akta"]["convertedIkm"], items["Layanan akta"]["band"]) == (25.0, "D")
    # The region pools every response: (145 + 9) × 25 / (9 × 6) = 71.30, C.
    assert data["region"] == {
        "respondents": 6,
        "convertedIkm": 71.3,
        "band": "C",
        "bandLabel": "Kurang Baik",
    }
    by_unit = await api.as_role(region_a, ADMIN, RESULTS, {"c": str(campaign.id), "g": "UNIT"})
    assert {i["name"]: i["respondents"] for i in by_unit.data["surveyResults"]["items"]} == {
        "Bidang A": 5,
        "Bidang B": 1,
    }
    suggestions = await api.as_role(
        region_a,
        ADMIN,
        """query($c: ID!) { surveySuggestions(campaignId: $c, search: "petugas", first: 5) {
            edges { node { text serviceName } } pageInfo { hasNextPage } } }""",
        {"c": str(campaign.id)},
    )
    edges = suggestions.data["surveySuggestions"]["edges"]
    assert [e["node"]["text"] for e in edges] == ["Petugas tidak ada."]


async def test_results_of_a_stay_in_a(api, region_a, region_b):
    campaign = await open_campaign(region_a)
    await respond(region_a, campaign.codes["ktp"], [4] * 9)
    await recompute(region_a, campaign.id)
    foreign = await api.as_role(region_b, ADMIN, RESULTS, {"c": str(campaign.id), "g": "SERVICE"})
    assert foreign.codes == ["NOT_FOUND"]
    recompute_b = await api.as_role(
        region_b,
        ADMIN,
        "mutation($c: ID!) { recomputeSurveyResults(campaignId: $c) { errors { code } } }",
        {"c": str(campaign.id)},
    )
    assert recompute_b.data["recomputeSurveyResults"]["errors"] == [{"code": "NOT_FOUND"}]


PUBLISHED = """query($slug: String!) { publishedSurveyResults(regionSlug: $slug) {
  campaignName region { respondents band } items { scope name convertedIkm } } }"""


async def test_published_results_are_public_only_once_published(api, region_a, region_b):
    campaign = await open_campaign(region_a)
    await respond(region_a, campaign.codes["ktp"], [4] * 9)
    await recompute(region_a, campaign.id)
    before = await api(PUBLISHED, {"slug": region_a.tenant.slug})
    assert before.data["publishedSurveyResults"] == []
    published = await api.as_role(
        region_a,
        ADMIN,
        "mutation($c: ID!) { publishSurveyResults(campaignId: $c) { campaign { publishedAt } } }",
        {"c": str(campaign.id)},
    )
    assert published.data["publishSurveyResults"]["campaign"]["publishedAt"]
    after = await api(PUBLISHED, {"slug": region_a.tenant.slug})
    (shown,) = after.data["publishedSurveyResults"]
    assert shown["region"] == {"respondents": 1, "band": "A"}
    assert {(i["scope"], i["name"]) for i in shown["items"]} == {
        ("SERVICE", "Layanan ktp"),
        ("UNIT", "Bidang A"),
    }
    other = await api(PUBLISHED, {"slug": region_b.tenant.slug})
    assert other.data["publishedSurveyResults"] == []
    publish_b = await api.as_role(
        region_b,
        ADMIN,
        "mutation($c: ID!) { publishSurveyResults(campaignId: $c) { errors { code } } }",
        {"c": str(campaign.id)},
    )
    assert publish_b.data["publishSurveyResults"]["errors"] == [{"code": "NOT_FOUND"}]


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.TRAINING_OFFICER])
async def test_results_are_for_the_region_admin(api, region_a, role):
    campaign = await open_campaign(region_a)
    result = await api.as_role(region_a, role, RESULTS, {"c": str(campaign.id), "g": "SERVICE"})
    assert result.codes == ["FORBIDDEN"]


async def test_the_public_form_runs_three_statements(api, region_a):
    """The form, pinned: the code (one definer function), the region, then the form in one
    statement under RLS (region, campaign, service, unit, elements with their labels)."""
    campaign = await open_campaign(region_a)
    form = await api(FORM, {"code": campaign.codes["ktp"]})
    data = form.data["surveyForm"]
    assert len(data["elements"]) == 9 and data["unitName"] == "Bidang A"
    assert [q["code"] for q in data["extraQuestions"]] == ["Q1"]
    assert form.statements == 3


async def test_a_form_shows_its_own_regions_labels_and_nothing_of_another(api, region_a, region_b):
    a, b = await open_campaign(region_a), await open_campaign(region_b)
    labels_b = ["Mahal sekali", "Mahal", "Terjangkau", "Gratis"]
    async with tenant_transaction(region_b.id):
        await SurveyElement.filter(tenant_id=region_b.id, code="U4").update(answer_labels=labels_b)
    form_a = (await api(FORM, {"code": a.codes["ktp"]})).data["surveyForm"]
    form_b = (await api(FORM, {"code": b.codes["ktp"]})).data["surveyForm"]
    assert (form_a["regionName"], form_b["regionName"]) == ("Kota A", "Kota B")
    assert form_a["elements"][3]["answerLabels"] == [
        "Sangat mahal",
        "Cukup mahal",
        "Murah",
        "Gratis",
    ]
    assert form_b["elements"][3]["answerLabels"] == labels_b
    # In region A's transaction, region B's campaign and service are not found.
    target_b = await public.resolve_code(b.codes["ktp"])
    assert target_b is not None
    async with tenant_transaction(region_a.id):
        with pytest.raises(NotFound):
            await public.form(target_b)


async def test_a_submission_runs_three_statements(api, region_a):
    """The public hot path, pinned: the code with its rules (one definer function), the
    region, the response with its pending row and event (one statement), inside the
    request's transaction. No savepoint: its one write is a single statement."""
    campaign = await open_campaign(region_a)
    variables = {"code": campaign.codes["ktp"], "answers": answers(), "token": token()}
    sent = await api(SUBMIT, variables)
    assert sent.data["submitSurveyResponse"]["accepted"] is True
    assert sent.statements == 3
    refused = await api(SUBMIT, {**variables, "token": token(), "answers": answers()[:8]})
    assert "REQUIRED" in {e["code"] for e in refused.data["submitSurveyResponse"]["errors"]}
    assert await count_responses(region_a) == 1


async def test_the_rules_lookup_serves_the_codes_own_region_and_only_active_ones(
    region_a, region_b, owner_conn
):
    """`survey_code_rules` (no tenant needed) returns the code's target with its own
    campaign's questions and its own region's limits, not another region's; nothing for a
    suspended region or an unknown code."""
    a = await open_campaign(region_a, profile_fields=("gender",))
    b = await open_campaign(region_b)
    async with tenant_transaction(region_a.id):
        tenant = await Tenant.get(id=region_a.id)
        tenant.settings = {"surveys": {"suggestion_max_length": 10}}
        await tenant.save(update_fields=["settings"])
    found = await public.resolve_code_with_rules(a.codes["ktp"])
    assert found is not None
    target, rules = found
    assert target == public.CodeTarget(region_a.id, a.id, a.services["ktp"])
    assert rules.element_codes == tuple(f"U{i}" for i in range(1, 10)) and rules.is_open
    assert rules.profile_fields == ("gender",) and rules.suggestion_max_length == 10
    assert [q["code"] for q in rules.extra_questions] == ["Q1"]
    other = await public.resolve_code_with_rules(b.codes["ktp"])
    assert other is not None
    assert other[0].tenant_id == region_b.id and other[1].suggestion_max_length != 10
    assert len(other[1].profile_fields) == 4
    assert await public.resolve_code_with_rules("x" * 20) is None
    await owner_conn.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", region_a.id)
    try:
        assert await public.resolve_code_with_rules(a.codes["ktp"]) is None
    finally:
        await owner_conn.execute("UPDATE tenants SET status = 'ACTIVE' WHERE id = $1", region_a.id)
