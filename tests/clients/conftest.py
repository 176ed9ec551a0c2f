"""Third-party clients against the real app under uvicorn: Python `gql`, the npm
`graphql-ws` client run by Node, GraphiQL and a page in headless Chromium.

Node packages are installed by this set-up from the npm registry into .kinerja/npm (a cache:
installed once, reused while the pinned versions match); without node/npm those tests skip.
Chromium is Debian's, driven by Playwright (which cannot download its own browser here)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from kinerja_saas.notifications.live import LiveHub
from kinerja_saas.runtime.app import create_app
from tests.conftest import ROOT

NPM_DIR = ROOT / ".kinerja" / "npm"
# Pinned: the client versions these tests speak to (graphql is graphql-ws's peer).
NPM_PACKAGES = {"graphql-ws": "6.4.2", "ws": "8.23.0", "graphql": "16.15.0"}
CHROMIUM = shutil.which("chromium")


@dataclass
class LiveServer:
    base_url: str
    hub: LiveHub | None

    @property
    def http_url(self) -> str:
        return f"{self.base_url}/graphql"

    @property
    def ws_url(self) -> str:
        return self.http_url.replace("http://", "ws://", 1)


@contextlib.asynccontextmanager
async def live_server(settings) -> AsyncIterator[LiveServer]:
    """The real ASGI app under uvicorn on a free port of 127.0.0.1, lifespan included."""
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(1000):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, task.exception() if task.done() else "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app.state.live_hub)
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def server(settings, redis):
    async with live_server(settings) as running:
        yield running


async def wait_until(condition, what: str, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def _installed(name: str) -> str | None:
    with contextlib.suppress(OSError, ValueError):
        found = json.loads((NPM_DIR / "node_modules" / name / "package.json").read_text())
        return found.get("version")
    return None


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The pinned npm packages under .kinerja/npm/node_modules (installed on first use)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "node and npm are not installed (apt-get install nodejs npm): the npm graphql-ws "
            "client cannot run"
        )
    if any(_installed(name) != version for name, version in NPM_PACKAGES.items()):
        NPM_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(NPM_DIR),
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--loglevel=error",
                *(f"{name}@{version}" for name, version in NPM_PACKAGES.items()),
            ],
            check=True,
            timeout=300,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )
    for name, version in NPM_PACKAGES.items():
        assert _installed(name) == version, f"npm did not install {name}@{version}"
    return NPM_DIR / "node_modules"


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI without chromium: .ci/run should have installed it")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        await chromium.close()
