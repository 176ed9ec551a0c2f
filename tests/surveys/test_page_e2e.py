"""End to end: the survey page in headless Chromium (Debian's `chromium`, driven by
Playwright with `executable_path`; Playwright's own browser download is not used) on a
phone-sized viewport, against the real app under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator

import pytest
import uvicorn

from kinerja_saas.runtime.app import create_app
from kinerja_saas.surveys.models import SurveyResponse
from tenants.context import tenant_transaction
from tests.surveys.helpers import open_campaign

CHROMIUM = shutil.which("chromium")
# Skipped on a developer's machine without chromium; never in CI, which installs it.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (.ci/run installs it: apt-get install -y chromium)",
)
PHONE = {  # a small Android phone
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "id-ID",
}


@contextlib.asynccontextmanager
async def app_server(settings) -> AsyncIterator[str]:
    """The real ASGI app under uvicorn on a free port; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, task.exception() if task.done() else "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def base_url(settings, redis):
    async with app_server(settings) as url:
        yield url


@pytest.fixture(scope="module")
async def browser():
    from playwright.async_api import async_playwright

    if CHROMIUM is None:
        pytest.fail("CI without chromium: .ci/run should have installed it")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        await chromium.close()


@pytest.fixture
async def phone(browser):
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    yield page
    await context.close()


async def stored(region) -> list[SurveyResponse]:
    async with tenant_transaction(region.id):
        return await SurveyResponse.filter(tenant_id=region.id).order_by("id")


async def test_a_respondent_fills_in_and_submits_on_a_phone(phone, base_url, region_a, tmp_path):
    campaign = await open_campaign(region_a, profile_fields=("gender", "education"))
    requested: list[tuple[str, str]] = []
    phone.on("request", lambda request: requested.append((request.method, request.url)))
    url = f"{base_url}/s/{campaign.codes['ktp']}"
    response = await phone.goto(url)
    assert response is not None and response.status == 200
    assert await phone.locator("h1").inner_text() == "Survei Kepuasan Masyarakat"
    assert "Layanan ktp" in await phone.locator(".svc").inner_text()
    assert requested == [("GET", url)]  # the page needs nothing else: no CSS, font or script file
    # Mobile-first: nothing wider than the phone.
    assert await phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for i, value in enumerate((4, 3, 3, 4, 3, 3, 4, 3, 2), 1):
        # Tapping the label's text chooses the answer.
        await phone.locator(f"#U{i} label.opt").nth(value - 1).tap()
    await phone.select_option("select[name=gender]", "PEREMPUAN")
    await phone.fill("#q_Q1", "Ruang tunggu")
    await phone.fill("#suggestion", "Petugas ramah, antrean perlu nomor.")
    await phone.screenshot(path=tmp_path / "form.png", full_page=True)
    await phone.get_by_role("button", name="Kirim").tap()
    await phone.wait_for_url(f"{url}/terima-kasih")
    assert await phone.locator("h1").inner_text() == "Terima kasih!"
    await phone.screenshot(path=tmp_path / "thanks.png")
    await phone.reload()  # Post/Redirect/Get: reloading the thank-you page posts nothing
    assert [m for m, _ in requested].count("POST") == 1
    (row,) = await stored(region_a)
    assert [getattr(row, f"u{i}") for i in range(1, 10)] == [4, 3, 3, 4, 3, 3, 4, 3, 2]
    assert (row.gender, row.education, row.extra_answers) == (
        "PEREMPUAN",
        None,
        {"Q1": "Ruang tunggu"},
    )
    assert row.suggestion == "Petugas ramah, antrean perlu nomor."


async def test_an_incomplete_submission_shows_the_messages_and_keeps_answers(
    phone, base_url, region_a, tmp_path
):
    campaign = await open_campaign(region_a)
    url = f"{base_url}/s/{campaign.codes['akta']}"
    await phone.goto(url)
    for i in range(1, 8):  # U8 and U9 left out
        await phone.check(f"input[name=U{i}][value='3']")
    await phone.fill("#suggestion", "Kurang kursi")
    await phone.get_by_role("button", name="Kirim").tap()
    await phone.wait_for_load_state()
    assert "2 unsur belum dijawab" in await phone.locator("[role=alert]").inner_text()
    await phone.screenshot(path=tmp_path / "invalid.png")  # to look at when it fails
    for element in ("U8", "U9"):
        assert await phone.locator(f"#{element} .err").inner_text() == "Pilih salah satu jawaban."
    assert await phone.locator("#U1 .err").count() == 0
    assert await phone.is_checked("input[name=U7][value='3']")
    assert await phone.input_value("#suggestion") == "Kurang kursi"
    assert await stored(region_a) == []
    # Fixing it sends the same form token: one response.
    await phone.check("input[name=U8][value='2']")
    await phone.locator("#U8").screenshot(path=tmp_path / "invalid-u8.png")
    await phone.check("input[name=U9][value='4']")
    await phone.get_by_role("button", name="Kirim").tap()
    await phone.wait_for_url(f"{url}/terima-kasih")
    (row,) = await stored(region_a)
    assert (row.u7, row.u8, row.u9, row.suggestion) == (3, 2, 4, "Kurang kursi")
