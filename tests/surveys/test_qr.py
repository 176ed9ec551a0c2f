"""The QR codes of the survey page for the region admin: PNG and SVG that decode to the
absolute URL of /s/{code}, only for the REGION_ADMIN of the campaign's region."""

from __future__ import annotations

import pytest

from kinerja_saas.auth.roles import Role
from tests.surveys.helpers import open_campaign
from tests.surveys.page_helpers import expected_modules, png_modules, svg_modules


def qr_path(campaign, service: str, kind: str) -> str:
    return f"/surveys/campaigns/{campaign.id}/services/{campaign.services[service]}/qr.{kind}"


def bearer(region, role, settings) -> dict[str, str]:
    return {"authorization": f"Bearer {region.token(role, settings)}"}


async def test_png_and_svg_encode_the_page_url(http, region_a, settings):
    campaign = await open_campaign(region_a)
    url = f"http://test/s/{campaign.codes['ktp']}"  # the address the request came to
    admin = bearer(region_a, Role.REGION_ADMIN, settings)
    png = await http.get(qr_path(campaign, "ktp", "png"), headers=admin)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["x-survey-url"] == url
    assert 'filename="skm-' in png.headers["content-disposition"]
    assert png_modules(png.content, scale=10) == expected_modules(url)
    small = await http.get(qr_path(campaign, "ktp", "png") + "?scale=2", headers=admin)
    assert png_modules(small.content, scale=2) == expected_modules(url)
    assert len(small.content) < len(png.content)
    svg = await http.get(qr_path(campaign, "ktp", "svg"), headers=admin)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    modules, root = svg_modules(svg.content)
    assert modules == expected_modules(url)
    assert "width" not in root.attrib  # a viewBox only: prints sharp at any size
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and "Layanan ktp" in title.text and "Bidang A" in title.text
    # Each service its own code.
    akta = await http.get(qr_path(campaign, "akta", "png"), headers=admin)
    assert akta.headers["x-survey-url"] == f"http://test/s/{campaign.codes['akta']}"


async def test_the_survey_url_follows_the_platforms_address(http, region_a, settings, monkeypatch):
    campaign = await open_campaign(region_a)
    admin = bearer(region_a, Role.REGION_ADMIN, settings)
    # Outside production, unset: the address the request came to, whatever the frontend's.
    monkeypatch.setattr(settings, "public_url", "https://app.kinerja.example.id")
    png = await http.get(qr_path(campaign, "ktp", "png"), headers=admin)
    assert png.headers["x-survey-url"] == f"http://test/s/{campaign.codes['ktp']}"
    other = await http.get(
        qr_path(campaign, "ktp", "png"), headers={**admin, "host": "192.0.2.7:8101"}
    )
    assert other.headers["x-survey-url"] == f"http://192.0.2.7:8101/s/{campaign.codes['ktp']}"
    # The platform's address, set: QR codes follow it.
    monkeypatch.setattr(settings, "survey_public_url", "https://skm.kinerja.example.id")
    own = await http.get(qr_path(campaign, "ktp", "png"), headers=admin)
    assert (
        own.headers["x-survey-url"] == f"https://skm.kinerja.example.id/s/{campaign.codes['ktp']}"
    )
    # In production, unset: the public URL (never the request's Host header, which a
    # client chooses), and without either no QR code.
    monkeypatch.setattr(settings, "env", "production")
    monkeypatch.setattr(settings, "survey_public_url", None)
    forged = await http.get(qr_path(campaign, "ktp", "png"), headers={**admin, "host": "evil.test"})
    assert forged.headers["x-survey-url"] == (
        f"https://app.kinerja.example.id/s/{campaign.codes['ktp']}"
    )
    monkeypatch.setattr(settings, "public_url", None)
    missing = await http.get(qr_path(campaign, "ktp", "png"), headers=admin)
    assert missing.status_code == 503
    assert missing.json()["errors"][0]["extensions"]["code"] == "NO_PUBLIC_URL"


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.SUPERVISOR, Role.TRAINING_OFFICER])
async def test_only_the_region_admin_downloads(http, region_a, settings, role):
    campaign = await open_campaign(region_a)
    refused = await http.get(
        qr_path(campaign, "ktp", "png"), headers=bearer(region_a, role, settings)
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_no_or_bad_token_is_unauthenticated(http, region_a):
    campaign = await open_campaign(region_a)
    for headers in ({}, {"authorization": "Bearer nonsense"}, {"authorization": "Basic x"}):
        refused = await http.get(qr_path(campaign, "ktp", "svg"), headers=headers)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"


async def test_another_regions_campaign_is_not_found(http, region_a, region_b, settings):
    campaign = await open_campaign(region_a)
    own = await open_campaign(region_b)
    admin_b = bearer(region_b, Role.REGION_ADMIN, settings)
    for path in (
        qr_path(campaign, "ktp", "png"),
        # B's campaign id with A's service id, and the reverse.
        f"/surveys/campaigns/{own.id}/services/{campaign.services['ktp']}/qr.png",
        f"/surveys/campaigns/{campaign.id}/services/{own.services['ktp']}/qr.svg",
    ):
        found = await http.get(path, headers=admin_b)
        assert found.status_code == 404, path
        assert found.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await http.get(qr_path(own, "ktp", "svg"), headers=admin_b)).status_code == 200


async def test_bad_kind_or_scale(http, region_a, settings):
    campaign = await open_campaign(region_a)
    admin = bearer(region_a, Role.REGION_ADMIN, settings)
    assert (await http.get(qr_path(campaign, "ktp", "gif"), headers=admin)).status_code == 404
    for scale in ("0", "41", "x"):
        bad = await http.get(qr_path(campaign, "ktp", "png") + f"?scale={scale}", headers=admin)
        assert bad.status_code == 400


async def test_campaigns_list_the_survey_url_of_each_service(api, region_a, settings):
    campaign = await open_campaign(region_a)
    listed = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        "{ surveyCampaigns { edges { node { services { code surveyUrl } } } } }",
    )
    services = listed.data["surveyCampaigns"]["edges"][0]["node"]["services"]
    assert {s["surveyUrl"] for s in services} == {
        f"http://test/s/{code}" for code in campaign.codes.values()
    }
