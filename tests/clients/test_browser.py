"""GraphiQL and a page using the `graphql-ws` browser build, in headless Chromium (Debian's,
driven by Playwright) against the real app, with every request to anything but the app's
own address refused: the page must work offline and on an intranet (Strawberry's default
page loaded React and GraphiQL from a CDN and showed "Loading..." forever)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from kinerja_saas.auth.roles import Role
from tests.clients.test_gql import WITHIN, announce, earlier_events_fanned_out, subscription_ready

EMPLOYEE = Role.EMPLOYEE


@pytest.fixture
async def offline_page(browser, server):
    """A page that may reach only the app (127.0.0.1:<its port>); every other request is
    aborted and listed in `page.refused`, console errors in `page.console_errors`."""
    context = await browser.new_context()
    page = await context.new_page()
    own = urlsplit(server.base_url).netloc
    refused: list[str] = []
    errors: list[str] = []

    async def only_the_app(route):
        url = route.request.url
        if urlsplit(url).netloc == own or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            refused.append(url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_the_app)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.refused, page.console_errors = refused, errors
    yield page
    await context.close()


async def test_graphiql_renders_and_runs_a_query_offline(offline_page, server, tmp_path):
    page = offline_page
    await page.goto(server.http_url)
    # The editor is up (the page said "Memuat GraphiQL…" until React rendered it).
    await page.wait_for_selector(
        ".graphiql-container .graphiql-query-editor .CodeMirror", timeout=30_000
    )
    await page.evaluate(
        """() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror
             .setValue('query Demo { __typename }')"""
    )
    await page.click(".graphiql-execute-button")
    await page.wait_for_function(
        """() => {
          const r = document.querySelector('.graphiql-response .CodeMirror');
          return r && r.CodeMirror.getValue().includes('"__typename": "Query"');
        }""",
        timeout=30_000,
    )
    await page.screenshot(path=str(tmp_path / "graphiql.png"))
    assert page.refused == [], page.refused
    assert page.console_errors == [], page.console_errors
    # Its docs come from the schema over the same endpoint (introspection).
    await page.click('button[aria-label="Show Documentation Explorer"]')
    await page.wait_for_selector(".graphiql-doc-explorer-content >> text=Query", timeout=30_000)
    assert page.refused == []


async def test_a_page_with_the_graphql_ws_browser_build_receives_a_notification(
    offline_page, server, region_a, settings, node_modules
):
    """The UMD build of the npm graphql-ws client (from the packages the test set-up
    installed), loaded into a page of the app's origin, subscribes as a frontend would."""
    page = offline_page
    await earlier_events_fanned_out(region_a, settings)
    await page.goto(f"{server.base_url}/healthz")
    await page.add_script_tag(path=str(node_modules / "graphql-ws" / "umd" / "graphql-ws.min.js"))
    await page.evaluate(
        """([url, token]) => {
          window.received = [];
          window.wsErrors = [];
          const client = graphqlWs.createClient({
            url, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0,
          });
          client.subscribe(
            { query: 'subscription { notificationReceived { id kind title isRead } }' },
            {
              next: (value) => window.received.push(value),
              error: (e) => window.wsErrors.push(String(e.code || e.message || e)),
              complete: () => {},
            },
          );
        }""",
        [server.ws_url, region_a.token(EMPLOYEE, settings)],
    )
    await subscription_ready(server, region_a, EMPLOYEE)
    sent = await announce(server, region_a, settings, "Apel pagi (browser)")
    await page.wait_for_function("() => window.received.length > 0", timeout=5_000)
    arrived = time.monotonic()
    received = await page.evaluate("() => window.received")
    assert await page.evaluate("() => window.wsErrors") == []
    notification = received[0]["data"]["notificationReceived"]
    assert (notification["kind"], notification["title"]) == ("ANNOUNCEMENT", "Apel pagi (browser)")
    assert arrived - sent < WITHIN, f"{arrived - sent:.3f} s"
    assert page.refused == [] and page.console_errors == []
