"""End to end: a citizen complains on a phone in headless Chromium (Debian's, driven by
Playwright as tests/surveys/test_page_e2e.py does) and follows the complaint's status."""

from __future__ import annotations

import pytest

from kinerja_saas.auth.roles import Role
from tests.complaints.helpers import ANSWER, LIST, services
from tests.surveys.test_page_e2e import CHROMIUM, PHONE, app_server

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
async def base_url(settings, redis):
    async with app_server(settings) as url:
        yield url


@pytest.fixture
async def phone():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = await browser.new_context(**PHONE)
        yield await context.new_page()
        await browser.close()


async def test_a_citizen_complains_on_a_phone_and_reads_the_answer(
    phone, base_url, api, region_a, tmp_path
):
    campaign = await services(region_a)
    survey = f"{base_url}/s/{campaign.codes['ktp']}"
    await phone.goto(survey)
    await phone.get_by_role(
        "link", name="Ada keluhan? Sampaikan pengaduan tentang layanan ini"
    ).tap()
    await phone.wait_for_url(f"{survey}/pengaduan")
    assert await phone.locator("h1").inner_text() == "Pengaduan Layanan"
    assert await phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await phone.get_by_text("Waktu pelayanan").tap()
    await phone.fill("#text", "Antrean KTP-el lebih dari tiga jam.")
    await phone.fill("#contact", "0812-9999-0000")
    await phone.screenshot(path=tmp_path / "pengaduan.png", full_page=True)
    await phone.get_by_role("button", name="Kirim pengaduan").tap()
    await phone.wait_for_selector("#kode-pelacakan")
    assert await phone.locator("h1").inner_text() == "Pengaduan terkirim"
    tracking = (await phone.locator("#kode-pelacakan").inner_text()).strip()
    assert len(tracking) == 14

    (node,) = (await api.as_role(region_a, Role.REGION_ADMIN, LIST)).data["complaints"]["nodes"]
    assert (node["category"], node["contact"]) == ("WAKTU", "0812-9999-0000")
    await api.as_role(
        region_a, Role.SUPERVISOR, ANSWER, {"id": node["id"], "answer": "Nomor antrean dipasang."}
    )
    await phone.get_by_role("link", name="halaman status pengaduan").tap()
    await phone.wait_for_selector("#jawaban")
    assert await phone.locator("#status").inner_text() == "Sudah dijawab"
    assert await phone.locator("#jawaban").inner_text() == "Nomor antrean dipasang."
    body = await phone.locator("body").inner_text()
    assert "0812" not in body and "tiga jam" not in body
