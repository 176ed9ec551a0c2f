"""The public survey page /s/{code} over HTTP (the ASGI app through httpx): the form, the
same validation as submitSurveyResponse with messages per field, Post/Redirect/Get,
idempotent double posts, rate limits, closed and unknown codes, escaping, cross-site
posts, and region isolation."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from kinerja_saas.database_client import count_statements
from kinerja_saas.org.models import Unit
from kinerja_saas.surveys import form_token
from kinerja_saas.surveys.models import (
    SurveyCampaign,
    SurveyElement,
    SurveyResponse,
    SurveyService,
)
from tenants.context import tenant_transaction
from tenants.models import Tenant
from tests.surveys.helpers import open_campaign
from tests.surveys.page_helpers import fieldset, full_answers
from tests.surveys.page_helpers import form_token as token_of


async def responses(region) -> list[SurveyResponse]:
    async with tenant_transaction(region.id):
        return await SurveyResponse.filter(tenant_id=region.id).order_by("id")


async def region_settings(region, **surveys) -> None:
    async with tenant_transaction(region.id):
        tenant = await Tenant.get(id=region.id)
        tenant.settings = {"surveys": surveys}
        await tenant.save(update_fields=["settings"])


async def served(http, code: str) -> tuple[str, str]:
    page = await http.get(f"/s/{code}")
    assert page.status_code == 200, page.text
    return page.text, token_of(page.text)


async def test_the_form_shows_region_unit_service_elements_and_profile(http, region_a):
    campaign = await open_campaign(region_a, profile_fields=("gender", "education"))
    page = await http.get(f"/s/{campaign.codes['ktp']}")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"  # every visitor gets its own token
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert '<html lang="id">' in html
    for text in ("Kota A", "Layanan ktp", "Bidang A", "Survei Kepuasan Masyarakat"):
        assert text in html
    for name in ("Persyaratan", "Biaya/tarif", "Sarana dan prasarana"):
        assert name in html
    assert [re.findall(r'value="(\d)"', fieldset(html, f"U{i}")) for i in range(1, 10)] == [
        ["1", "2", "3", "4"]
    ] * 9
    assert "Sangat mahal" in fieldset(html, "U4") and "Gratis" in fieldset(html, "U4")
    # Only the profile fields the campaign asks, with their allowed values.
    assert 'name="gender"' in html and 'name="education"' in html
    assert 'name="age_band"' not in html and 'name="occupation"' not in html
    assert '<option value="PEREMPUAN">Perempuan</option>' in html
    assert "Apa yang perlu diperbaiki?" in html and 'name="q_Q1"' in html
    assert 'name="suggestion"' in html and 'maxlength="1000"' in html
    assert form_token.is_valid("x" * 40, campaign.codes["ktp"], token_of(html)) is False
    # Nothing to fetch besides the page: no scripts, no external fonts, styles or images.
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)
    # Light for a slow phone connection: about 8 KB (2 KB gzipped) with the CSS inline.
    assert len(page.content) < 12_000


async def test_the_form_page_runs_three_statements(http, region_a):
    """The code (the definer lookup), the region, then the whole form in one statement."""
    campaign = await open_campaign(region_a)
    with count_statements() as counter:
        page = await http.get(f"/s/{campaign.codes['ktp']}")
    assert page.status_code == 200 and "Sarana dan prasarana" in page.text
    assert counter.count == 3


async def test_a_valid_post_redirects_to_the_thank_you_page(http, region_a):
    campaign = await open_campaign(region_a)
    code = campaign.codes["ktp"]
    _, token = await served(http, code)
    posted = await http.post(
        f"/s/{code}",
        data={
            **full_answers((4, 3, 3, 4, 3, 3, 4, 3, 2)),
            "token": token,
            "gender": "PEREMPUAN",
            "age_band": "",
            "suggestion": "Antrean\r\nlebih tertib.",
            "q_Q1": "Ruang tunggu",
        },
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/s/{code}/terima-kasih"
    thanks = await http.get(posted.headers["location"])
    assert thanks.status_code == 200
    assert "Terima kasih!" in thanks.text and "Layanan ktp" in thanks.text
    (row,) = await responses(region_a)
    assert (row.u1, row.u4, row.u9, row.gender, row.age_band) == (4, 4, 2, "PEREMPUAN", None)
    assert (row.suggestion, row.extra_answers) == ("Antrean\nlebih tertib.", {"Q1": "Ruang tunggu"})
    assert row.client_token == token and row.service_id == campaign.services["ktp"]


async def test_a_double_post_is_one_response(http, region_a):
    campaign = await open_campaign(region_a)
    code = campaign.codes["akta"]
    _, token = await served(http, code)
    for _ in range(2):
        posted = await http.post(f"/s/{code}", data={**full_answers(), "token": token})
        assert posted.status_code == 303
    assert len(await responses(region_a)) == 1
    # A second visit gets a new token: a second response.
    _, other = await served(http, code)
    assert other != token
    await http.post(f"/s/{code}", data={**full_answers(), "token": other})
    assert len(await responses(region_a)) == 2


async def test_invalid_fields_get_their_message_and_answers_are_kept(http, region_a):
    campaign = await open_campaign(region_a, profile_fields=("gender",))
    await region_settings(region_a, suggestion_max_length=10)
    code = campaign.codes["ktp"]
    _, token = await served(http, code)
    answers = full_answers((4, 1, 2, 3, 4, 1, 2, 3, 4))
    del answers["U3"], answers["U9"]
    answers["U5"] = "7"
    posted = await http.post(
        f"/s/{code}",
        data={**answers, "token": token, "gender": "KUCING", "suggestion": "terlalu panjang"},
    )
    assert posted.status_code == 422
    html = posted.text
    assert "2 unsur belum dijawab" in html
    for element in ("U3", "U9"):
        assert 'class="q bad"' in fieldset(html, element)
        assert "Pilih salah satu jawaban." in fieldset(html, element)
    assert "Pilih salah satu dari empat jawaban." in fieldset(html, "U5")
    assert "bad" not in fieldset(html, "U1")
    # The answers given stay chosen, the texts stay filled in.
    assert 'value="4" checked' in fieldset(html, "U1")
    assert 'value="2" checked' in fieldset(html, "U7")
    assert "checked" not in fieldset(html, "U3")
    assert "Pilih salah satu pilihan yang tersedia." in html  # the gender
    assert "Saran paling banyak 10 karakter." in html
    assert ">terlalu panjang</textarea>" in html
    # The same token, so fixing and sending again is still one response.
    assert token_of(html) == token
    assert await responses(region_a) == []
    fixed = {**full_answers(), "token": token, "gender": "LAKI_LAKI", "suggestion": "Cepat"}
    assert (await http.post(f"/s/{code}", data=fixed)).status_code == 303
    assert (await http.post(f"/s/{code}", data=fixed)).status_code == 303
    assert [r.gender for r in await responses(region_a)] == ["LAKI_LAKI"]


async def test_a_hand_made_post_of_fields_not_on_the_form_writes_nothing(http, region_a):
    campaign = await open_campaign(region_a, profile_fields=("gender",))
    code = campaign.codes["ktp"]
    _, token = await served(http, code)
    posted = await http.post(
        f"/s/{code}",
        data={**full_answers(), "U10": "3", "education": "SD", "q_ZZ": "x", "token": token},
    )
    assert posted.status_code == 422
    assert "Unsur ini tidak dikenal." in posted.text
    assert "Survei ini tidak menanyakan data ini." in posted.text
    assert "Pertanyaan ini tidak dikenal." in posted.text
    repeated = await http.post(
        f"/s/{code}",
        content=f"U1=3&U1=4&{_encoded(full_answers())}&token={token}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert repeated.status_code == 422
    assert await responses(region_a) == []


def _encoded(values: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in values.items() if k != "U1")


async def test_flooding_gets_a_friendly_429_with_when_to_retry(http, region_a, settings):
    campaign = await open_campaign(region_a)
    await region_settings(region_a, rate_limit_per_ip_per_hour=2)
    code = campaign.codes["ktp"]
    for _ in range(2):
        _, token = await served(http, code)
        assert (await http.post(f"/s/{code}", data={**full_answers(), "token": token})).is_redirect
    _, token = await served(http, code)
    limited = await http.post(
        f"/s/{code}", data={**full_answers((2,) * 9), "token": token, "suggestion": "Halo"}
    )
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 3600
    assert "coba lagi dalam" in limited.text and "WIB" in limited.text
    assert (
        'value="2" checked' in fieldset(limited.text, "U1") and ">Halo</textarea>" in limited.text
    )
    assert len(await responses(region_a)) == 2


async def test_one_code_flooded_from_many_places_is_limited(http, region_a, settings, monkeypatch):
    campaign = await open_campaign(region_a)
    monkeypatch.setattr(settings, "survey_rate_limit_per_code_per_minute", 1)
    code = campaign.codes["akta"]
    statuses = []
    for _ in range(2):
        _, token = await served(http, code)
        statuses.append(
            (await http.post(f"/s/{code}", data={**full_answers(), "token": token})).status_code
        )
    assert statuses == [303, 429]


async def test_unknown_closed_and_not_yet_open_codes(http, region_a):
    unknown = await http.get("/s/no-such-code-0123456789")
    assert unknown.status_code == 404 and "Survei tidak ditemukan" in unknown.text
    assert (await http.post("/s/x", data={"token": "x"})).status_code == 404
    campaign = await open_campaign(region_a)
    code = campaign.codes["ktp"]
    _, token = await served(http, code)
    async with tenant_transaction(region_a.id):
        await SurveyCampaign.filter(tenant_id=region_a.id, id=campaign.id).update(
            opens_on=region_a.today - timedelta(days=9),
            closes_on=region_a.today - timedelta(days=1),
        )
    closed = await http.get(f"/s/{code}")
    assert closed.status_code == 410 and "Survei sudah ditutup" in closed.text
    late = await http.post(f"/s/{code}", data={**full_answers(), "token": token})
    assert late.status_code == 410
    async with tenant_transaction(region_a.id):
        await SurveyCampaign.filter(tenant_id=region_a.id, id=campaign.id).update(
            opens_on=region_a.today + timedelta(days=2),
            closes_on=region_a.today + timedelta(days=9),
        )
    early = await http.get(f"/s/{code}")
    assert early.status_code == 403 and "Survei belum dibuka" in early.text
    assert await responses(region_a) == []


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


async def test_region_controlled_texts_are_escaped(http, region_a):
    campaign = await open_campaign(region_a, profile_fields=("gender",))
    async with tenant_transaction(region_a.id):
        await SurveyElement.filter(tenant_id=region_a.id, code="U1").update(
            name=HOSTILE, answer_labels=[HOSTILE, "b", "c", "d"]
        )
        await SurveyService.filter(tenant_id=region_a.id, id=campaign.services["ktp"]).update(
            name=HOSTILE
        )
        await Unit.filter(tenant_id=region_a.id, id=region_a.units["a"].id).update(name=HOSTILE)
        await SurveyCampaign.filter(tenant_id=region_a.id, id=campaign.id).update(
            name=HOSTILE,
            period_label=HOSTILE,
            extra_questions=[{"code": "Q1", "text": HOSTILE, "required": True}],
        )
    code = campaign.codes["ktp"]
    html, token = await served(http, code)
    invalid = await http.post(
        f"/s/{code}", data={"token": token, "suggestion": HOSTILE, "q_Q1": HOSTILE}
    )
    thanks_post = await http.post(
        f"/s/{code}", data={**full_answers(), "token": token, "q_Q1": "ok"}
    )
    thanks = await http.get(thanks_post.headers["location"])
    for page in (html, invalid.text, thanks.text):
        assert "<script>" not in page and "<img" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img" in page


async def test_cross_site_posts_are_refused(http, region_a):
    campaign = await open_campaign(region_a)
    code, other_code = campaign.codes["ktp"], campaign.codes["akta"]
    _, token = await served(http, code)
    data = {**full_answers(), "token": token}
    for headers in (
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
    ):
        refused = await http.post(f"/s/{code}", data=data, headers=headers)
        assert refused.status_code == 403 and "Pengiriman ditolak" in refused.text
    # No token, a forged one, one of another code, an expired one: the form again, answers
    # kept, with a fresh token.
    stale = form_token.issue(
        "dev-only-secret-change-me-dev-only-secret", code, now=time.time() - 2 * 86400
    )
    for bad in ("", "A" * 46, token_of((await http.get(f"/s/{other_code}")).text), stale):
        again = await http.post(f"/s/{code}", data={**data, "token": bad})
        assert again.status_code == 400, bad
        assert "kedaluwarsa atau tidak sah" in again.text
        assert 'value="3" checked' in fieldset(again.text, "U1")
        assert form_token.is_valid(
            "dev-only-secret-change-me-dev-only-secret", code, token_of(again.text)
        )
    assert await responses(region_a) == []
    # The page's own origin (and the configured public URL's) may post.
    same = await http.post(f"/s/{code}", data=data, headers={"origin": "http://test"})
    assert same.status_code == 303
    _, token = await served(http, code)
    public = await http.post(
        f"/s/{code}",
        data={**data, "token": token},
        headers={"origin": "http://127.0.0.1:8000", "sec-fetch-site": "same-origin"},
    )
    assert public.status_code == 303
    assert len(await responses(region_a)) == 2


async def test_a_code_of_region_a_never_writes_into_b(http, region_a, region_b):
    a, b = await open_campaign(region_a), await open_campaign(region_b)
    _, token = await served(http, a.codes["ktp"])
    assert (
        await http.post(f"/s/{a.codes['ktp']}", data={**full_answers(), "token": token})
    ).is_redirect
    # A token of region A's form does not open region B's.
    refused = await http.post(f"/s/{b.codes['ktp']}", data={**full_answers(), "token": token})
    assert refused.status_code == 400
    (row,) = await responses(region_a)
    assert row.campaign_id == a.id
    assert await responses(region_b) == []


@pytest.mark.parametrize("path", ["/s/", "/s/a/b/c"])
async def test_other_paths_are_not_the_page(http, path):
    assert (await http.get(path)).status_code == 404


@pytest.fixture
def vanishing(monkeypatch, owner_conn):
    """After the page's code lookup found its target, the owner runs `sql` (campaign id,
    service id): what a concurrent deletion or suspension does between the lookup and the
    form's read."""
    from kinerja_saas.surveys import public

    def arm(sql: str) -> None:
        lookup, with_rules = public.resolve_code, public.resolve_code_with_rules

        async def after(found, target):
            if target is not None:
                await owner_conn.execute(
                    sql, target.tenant_id, target.campaign_id, target.service_id
                )
            return found

        async def resolve(code):
            found = await lookup(code)
            return await after(found, found)

        async def resolve_with_rules(code):
            found = await with_rules(code)
            return await after(found, found[0] if found else None)

        monkeypatch.setattr(public, "resolve_code", resolve)
        monkeypatch.setattr(public, "resolve_code_with_rules", resolve_with_rules)

    arm.disarm = monkeypatch.undo  # type: ignore[attr-defined]
    return arm


DELETE_CAMPAIGN = "DELETE FROM survey_campaigns WHERE tenant_id = $1 AND id = $2 AND $3 > 0"
# The service leaves the campaign: its code and the row a response refers to go.
DELETE_SERVICE = (
    "DELETE FROM survey_campaign_services WHERE tenant_id = $1 AND campaign_id = $2"
    " AND service_id = $3"
)
SUSPEND = "UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1 AND $2 > 0 AND $3 > 0"


@pytest.mark.parametrize(
    ("sql", "status"), [(DELETE_CAMPAIGN, 410), (DELETE_SERVICE, 410), (SUSPEND, 404)]
)
async def test_a_campaign_gone_mid_request_is_a_page_not_an_error(
    http, region_a, vanishing, owner_conn, sql, status
):
    """Deleted (410) or its region suspended (404) between the code's lookup and the form's
    read, or the response's insert: a page that says so, never a 500, nothing written."""
    title = "Survei tidak tersedia lagi" if status == 410 else "Survei tidak ditemukan"
    for i, (path, method) in enumerate((("", "GET"), ("/terima-kasih", "GET"), ("", "POST"))):
        await owner_conn.execute("UPDATE tenants SET status = 'ACTIVE' WHERE id = $1", region_a.id)
        campaign = await open_campaign(region_a, populations={f"ktp{i}": 100})
        code = campaign.codes[f"ktp{i}"]
        _, token = await served(http, code)
        vanishing(sql)
        data = {**full_answers(), "token": token} if method == "POST" else None
        page = await http.request(method, f"/s/{code}{path}", data=data)
        vanishing.disarm()
        assert page.status_code == status, (path, method, page.text[:300])
        assert title in page.text
        assert not await owner_conn.fetchval(
            "SELECT count(*) FROM survey_responses WHERE tenant_id = $1", region_a.id
        )
