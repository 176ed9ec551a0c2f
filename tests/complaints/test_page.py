"""The public complaint pages over HTTP: /s/{code}/pengaduan (linked from the survey page)
and /pengaduan?kode=…, with the API's checks: typed messages, the signed form token as the
idempotency key, cross-site posts refused, and no personal data on the status page."""

from __future__ import annotations

import re

from kinerja_saas.auth.roles import Role
from tests.complaints.helpers import ANSWER, LIST, services
from tests.surveys.page_helpers import form_token

CODE_ON_PAGE = re.compile(r'id="kode-pelacakan"><strong>([A-Z0-9-]{14})</strong>')


async def send(http, code: str, **fields):
    page = await http.get(f"/s/{code}/pengaduan")
    data = {"token": form_token(page.text), **fields}
    return await http.post(f"/s/{code}/pengaduan", data=data)


async def test_the_survey_page_links_to_the_complaint_form(http, region_a):
    campaign = await services(region_a)
    code = campaign.codes["ktp"]
    survey = await http.get(f"/s/{code}")
    assert f'href="/s/{code}/pengaduan"' in survey.text
    form = await http.get(f"/s/{code}/pengaduan")
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    assert "<h1>Pengaduan Layanan</h1>" in form.text and "Layanan ktp" in form.text
    assert "Perilaku petugas" in form.text and "5 hari kerja" in form.text
    assert "SP4N-LAPOR!" not in form.text  # the region set no link


async def test_a_complaint_sent_on_the_page_gets_its_tracking_code_and_status(http, api, region_a):
    campaign = await services(region_a)
    code = campaign.codes["ktp"]
    page = await http.get(f"/s/{code}/pengaduan")
    token = form_token(page.text)
    fields = {
        "token": token,
        "category": "PETUGAS",
        "text": "Petugas loket membentak warga.",
        "contact": "Siti 0813-1111-2222",
    }
    sent = await http.post(f"/s/{code}/pengaduan", data=fields)
    assert sent.status_code == 200 and "<h1>Pengaduan terkirim</h1>" in sent.text
    tracking = CODE_ON_PAGE.search(sent.text).group(1)
    # A double submit (the same form posted again) shows the same code and stores nothing new.
    again = await http.post(f"/s/{code}/pengaduan", data=fields)
    assert CODE_ON_PAGE.search(again.text).group(1) == tracking
    nodes = (await api.as_role(region_a, Role.REGION_ADMIN, LIST)).data["complaints"]["nodes"]
    assert len(nodes) == 1 and nodes[0]["contact"] == "Siti 0813-1111-2222"

    status = await http.get("/pengaduan", params={"kode": tracking.lower()})
    assert status.status_code == 200 and "Sedang ditangani" in status.text
    assert "Perilaku petugas" in status.text
    for private in ("Siti", "0813", "membentak"):
        assert private not in status.text
    await api.as_role(
        region_a,
        Role.SUPERVISOR,
        ANSWER,
        {"id": nodes[0]["id"], "answer": "Petugas <b>ditegur</b>."},
    )
    answered = await http.get("/pengaduan", params={"kode": tracking})
    assert "Sudah dijawab" in answered.text
    assert "Petugas &lt;b&gt;ditegur&lt;/b&gt;." in answered.text  # escaped, never markup


async def test_bad_input_cross_site_and_unknown_codes(http, region_a):
    campaign = await services(region_a)
    code = campaign.codes["ktp"]
    bad = await send(http, code, category="WAKTU", text="  ")
    assert bad.status_code == 422 and "Isi pengaduan wajib diisi." in bad.text
    page = await http.get(f"/s/{code}/pengaduan")
    cross = await http.post(
        f"/s/{code}/pengaduan",
        data={"token": form_token(page.text), "category": "WAKTU", "text": "x"},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403 and "Pengiriman ditolak" in cross.text
    forged = await http.post(
        f"/s/{code}/pengaduan", data={"token": "A" * 46, "category": "WAKTU", "text": "x"}
    )
    assert forged.status_code == 400
    assert (await http.get("/s/no-such-code-0123456789/pengaduan")).status_code == 404
    unknown = await http.get("/pengaduan", params={"kode": "ABCD-EFGH-JKLM"})
    assert unknown.status_code == 404 and "tidak dikenal" in unknown.text
    empty = await http.get("/pengaduan")
    assert empty.status_code == 200 and 'name="kode"' in empty.text
