"""The npm `graphql-ws` client (6.4.2, what browser and Node frontends use), run by Node,
subscribed to `notificationReceived` on the real app: it closed with 4004 "Message is missing
the 'type' property" while the server sent binary frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from pathlib import Path

from kinerja_saas.auth.roles import Role
from tests.clients.test_gql import WITHIN, announce, earlier_events_fanned_out, subscription_ready

SCRIPT = Path(__file__).with_name("graphql_ws_subscriber.cjs")
EMPLOYEE = Role.EMPLOYEE


@contextlib.asynccontextmanager
async def node_subscriber(node_modules: Path, url: str, token: str, messages: int = 1):
    process = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node",
        str(SCRIPT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "NODE_PATH": str(node_modules),
            "KINERJA_WS_URL": url,
            "KINERJA_WS_TOKEN": token,
            "KINERJA_WS_MESSAGES": str(messages),
        },
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def next_line(process) -> dict:
    line = await asyncio.wait_for(process.stdout.readline(), 10)
    if not line:
        err = await process.stderr.read()
        raise AssertionError(f"node exited ({process.returncode}): {err.decode()}")
    return json.loads(line)


async def test_the_npm_graphql_ws_client_receives_a_notification_within_a_second(
    node_modules, server, region_a, settings
):
    await earlier_events_fanned_out(region_a, settings)
    token = region_a.token(EMPLOYEE, settings)
    async with node_subscriber(node_modules, server.ws_url, token) as node:
        assert await next_line(node) == {"connected": True}
        await subscription_ready(server, region_a, EMPLOYEE)
        sent = await announce(server, region_a, settings, "Apel pagi (graphql-ws)")
        message = await next_line(node)
        arrived = time.monotonic()
        assert "next" in message, message
        assert not message["next"].get("errors"), message
        notification = message["next"]["data"]["notificationReceived"]
        assert notification["kind"] == "ANNOUNCEMENT"
        assert notification["title"] == "Apel pagi (graphql-ws)"
        assert arrived - sent < WITHIN, f"{arrived - sent:.3f} s"
        assert await asyncio.wait_for(node.wait(), 10) == 0


async def test_the_npm_client_is_told_4403_for_a_bad_token(node_modules, server):
    async with node_subscriber(node_modules, server.ws_url, "not-a-token") as node:
        lines = [await next_line(node)]
        while "error" not in lines[-1]:
            lines.append(await next_line(node))
        assert await asyncio.wait_for(node.wait(), 10) == 1
    assert lines == [{"closed": 4403, "reason": "Forbidden"}, {"error": "Forbidden", "code": 4403}]
