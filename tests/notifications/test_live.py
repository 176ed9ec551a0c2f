"""The live channel: `notificationReceived` over graphql-transport-ws, served by real uvicorn
servers, fed by the real fan-out through Redis pub/sub."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import orjson
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.tokens import issue_pair
from kinerja_saas.notifications.live import LiveFeed, LiveHub, NewNotification, live_channel
from kinerja_saas.runtime.app import create_app
from tenants.models import RegionStatus
from tests.conftest import TEST_DATABASE, update_region
from tests.notifications.helpers import emit_event, fan_out, inbox, queue

EMPLOYEE, SUPERVISOR = Role.EMPLOYEE, Role.SUPERVISOR
PROTOCOL = "graphql-transport-ws"
SUBSCRIPTION = "subscription { notificationReceived { id kind title body link isRead } }"
PROMPTLY = 5.0  # generous: the assertion is that it arrives, not how fast
QUIET = 1.0  # how long a subscriber that must get nothing is watched


@dataclass
class ApiServer:
    url: str
    hub: LiveHub


@contextlib.asynccontextmanager
async def api_server(settings) -> AsyncIterator[ApiServer]:
    """The real ASGI app under uvicorn on a free port, lifespan included."""
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started or task.done(), "uvicorn to start")
    assert server.started, task.exception()
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield ApiServer(url=f"ws://127.0.0.1:{port}/graphql", hub=app.state.live_hub)
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def servers(settings, redis):
    """Two API servers, each with its own hub, as two processes would have."""
    async with api_server(settings) as one, api_server(settings) as two:
        yield one, two


@pytest.fixture
async def pool(settings, redis):
    pool = await queue(settings)
    yield pool
    await pool.aclose()


async def wait_until(condition: Callable[[], bool], what: str, within: float = PROMPTLY):
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def open_socket(server: ApiServer, payload: dict | None) -> ClientConnection:
    ws = await connect(server.url, subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    return ws


@contextlib.asynccontextmanager
async def subscribed(
    server: ApiServer, region, role: Role, settings, *, token: str | None = None
) -> AsyncIterator[ClientConnection]:
    """A client subscribed to notificationReceived, once the hub has it and Redis has
    acknowledged the region's channel (the client cannot see that moment itself)."""
    user_id = region.accounts[role].id
    before = server.hub.subscriber_count(region.id, user_id)
    token = token or region.token(role, settings)
    ws = await open_socket(server, {"authorization": f"Bearer {token}"})
    try:
        ack = await next_message(ws)
        assert ack["type"] == "connection_ack", ack
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
        await wait_until(
            lambda: (
                server.hub.subscriber_count(region.id, user_id) > before
                and server.hub.is_listening(region.id)
            ),
            "the subscription to be registered",
        )
        yield ws
    finally:
        await ws.close()


async def next_message(ws: ClientConnection) -> dict:
    frame = await asyncio.wait_for(ws.recv(), PROMPTLY)
    # graphql-transport-ws is text: the npm graphql-ws client closes with 4004 on a binary
    # frame and Python gql refuses it, so a bytes frame is a failure here too.
    assert isinstance(frame, str), f"binary frame: {frame!r}"
    return json.loads(frame)


async def received(ws: ClientConnection) -> dict:
    message = await next_message(ws)
    assert message["type"] == "next", message
    assert not message["payload"].get("errors"), message
    return message["payload"]["data"]["notificationReceived"]


async def assert_quiet(*sockets: ClientConnection) -> None:
    """Nothing arrives on any of them for QUIET seconds (watched side by side)."""

    async def nothing(ws: ClientConnection) -> None:
        with contextlib.suppress(TimeoutError):
            message = await asyncio.wait_for(ws.recv(), QUIET)
            pytest.fail(f"unexpected message {message}")

    await asyncio.gather(*(nothing(ws) for ws in sockets))


async def closed_with(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), PROMPTLY)
    return ws.close_code


async def plan_approved(pool, region) -> int:
    """The real path: an outbox event, then the fan-out job that stores and publishes."""
    staff = region.employees["staff1"]
    event = await emit_event(
        region, "performance.plan_approved", {"plan_id": 1, "employee_id": staff.id}
    )
    await fan_out(pool, region, event)
    return event.id


async def period_opened(pool, region) -> int:
    """A region-wide event: one message naming every login of the region."""
    event = await emit_event(region, "performance.period_opened", {"year": 2031})
    await fan_out(pool, region, event)
    return event.id


async def test_subscriber_gets_its_own_new_notification_and_no_one_else_does(
    servers, settings, pool, region_a, region_b
):
    server, _ = servers
    async with (
        subscribed(server, region_a, EMPLOYEE, settings) as employee,
        subscribed(server, region_a, SUPERVISOR, settings) as colleague,
        subscribed(server, region_b, EMPLOYEE, settings) as elsewhere,
    ):
        event_id = await plan_approved(pool, region_a)
        note = await received(employee)
        (stored,) = [n for n in await inbox(region_a, EMPLOYEE) if n.event_id == event_id]
        assert note["id"] == str(stored.id)
        assert note["kind"] == "PLAN_APPROVED" and note["title"] == stored.title
        assert note["body"] == stored.body and note["link"] == stored.link
        assert note["isRead"] is False
        await assert_quiet(employee, colleague, elsewhere)

        # A region-wide event reaches both subscribers of the region, the other region none.
        event_id = await period_opened(pool, region_a)
        for ws, role in ((employee, EMPLOYEE), (colleague, SUPERVISOR)):
            note = await received(ws)
            (stored,) = [n for n in await inbox(region_a, role) if n.event_id == event_id]
            assert note["id"] == str(stored.id) and note["kind"] == "PERIOD_OPENED"
        await assert_quiet(employee, colleague, elsewhere)


async def test_two_api_servers_each_deliver_to_their_own_subscribers(
    servers, settings, pool, region_a
):
    one, two = servers
    async with (
        subscribed(one, region_a, EMPLOYEE, settings) as on_one,
        subscribed(two, region_a, SUPERVISOR, settings) as on_two,
        subscribed(two, region_a, EMPLOYEE, settings) as second_tab,
    ):
        event_id = await period_opened(pool, region_a)
        got = [await received(ws) for ws in (on_one, on_two, second_tab)]
        assert {n["kind"] for n in got} == {"PERIOD_OPENED"}
        employee_note, supervisor_note = [
            next(n for n in await inbox(region_a, role) if n.event_id == event_id)
            for role in (EMPLOYEE, SUPERVISOR)
        ]
        assert got[0]["id"] == got[2]["id"] == str(employee_note.id)
        assert got[1]["id"] == str(supervisor_note.id)
        await assert_quiet(on_one, on_two, second_tab)


async def test_connection_init_is_refused_with_4403_without_a_valid_region_users_token(
    servers, settings, region_a, region_b
):
    server, _ = servers
    secret = settings.jwt_secret or ""
    employee = region_a.actor(EMPLOYEE)
    operator = Actor(
        user_id=1,
        tenant_id=None,
        roles=frozenset({Role.PLATFORM_OPERATOR}),
        email="ops@kinerja.test",
        is_operator=True,
    )
    refresh = issue_pair(
        employee, token_version=1, secret=secret, access_ttl=60, refresh_ttl=60
    ).refresh_token
    await update_region(region_b.id, status=RegionStatus.SUSPENDED)
    refused = {
        "no payload": None,
        "no token": {"other": "x"},
        "not bearer": {"authorization": f"Basic {region_a.token(EMPLOYEE, settings)}"},
        "garbage": {"authorization": "Bearer not-a-token"},
        "expired": {"authorization": f"Bearer {region_a.token(EMPLOYEE, settings, ttl=-30)}"},
        "refresh token": {"authorization": f"Bearer {refresh}"},
        "forged": {"authorization": f"Bearer {region_a.token(EMPLOYEE, settings)[:-4]}AAAA"},
        "operator": {
            "authorization": "Bearer "
            + issue_pair(
                operator, token_version=1, secret=secret, access_ttl=60, refresh_ttl=60
            ).access_token
        },
        "suspended region": {"authorization": f"Bearer {region_b.token(EMPLOYEE, settings)}"},
    }
    for case, payload in refused.items():
        ws = await open_socket(server, payload)
        assert await closed_with(ws) == 4403, case
    # Subscribing without connection_init is refused too (4401, as the protocol says).
    async with connect(server.url, subprotocols=[PROTOCOL]) as ws:
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
        assert await closed_with(ws) == 4401
    assert server.hub.subscriber_count(region_b.id) == 0


async def test_the_socket_closes_with_4403_when_the_access_token_expires(
    servers, settings, region_a
):
    server, _ = servers
    token = region_a.token(EMPLOYEE, settings, ttl=2)
    async with subscribed(server, region_a, EMPLOYEE, settings, token=token) as ws:
        assert await closed_with(ws) == 4403
    await wait_until(lambda: server.hub.subscriber_count(region_a.id) == 0, "the cleanup")


async def test_a_subscription_keeps_no_transaction_open(
    servers, settings, pool, region_a, owner_conn
):
    server, _ = servers
    idle_in_transaction = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = $1 AND state LIKE 'idle in transaction%'"
    )
    async with (
        subscribed(server, region_a, EMPLOYEE, settings) as employee,
        subscribed(server, region_a, SUPERVISOR, settings),
    ):
        assert await owner_conn.fetchval(idle_in_transaction, TEST_DATABASE) == 0
        await plan_approved(pool, region_a)
        await received(employee)
        assert await owner_conn.fetchval(idle_in_transaction, TEST_DATABASE) == 0
        app_sessions = await owner_conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND usename = $2",
            TEST_DATABASE,
            settings.app_db_user,
        )
        assert app_sessions > 0  # the check looks at the app's real connections


async def test_disconnect_removes_the_subscriber_and_the_redis_subscription(
    servers, settings, region_a, redis
):
    server, _ = servers
    user_id = region_a.accounts[EMPLOYEE].id
    async with subscribed(server, region_a, EMPLOYEE, settings):
        assert server.hub.subscriber_count(region_a.id, user_id) == 1
        assert (await redis.pubsub_numsub(live_channel(region_a.id, settings.redis_url)))[0][1] == 1
    await wait_until(
        lambda: (
            server.hub.subscriber_count(region_a.id) == 0
            and not server.hub.is_listening(region_a.id)
        ),
        "the hub to forget the subscriber and unsubscribe",
    )
    assert (await redis.pubsub_numsub(live_channel(region_a.id, settings.redis_url)))[0][1] == 0


async def test_the_hub_reconnects_after_losing_redis(servers, settings, pool, region_a, redis):
    server, _ = servers
    async with subscribed(server, region_a, EMPLOYEE, settings) as ws:
        before = server.hub.reconnects
        clients = await redis.client_list()
        (hub_client,) = [c for c in clients if c["name"] == server.hub.client_name]
        await redis.execute_command("CLIENT", "KILL", "ID", hub_client["id"])
        await wait_until(
            lambda: server.hub.reconnects > before and server.hub.is_listening(region_a.id),
            "the hub to reconnect and subscribe again",
        )
        await plan_approved(pool, region_a)
        assert (await received(ws))["kind"] == "PLAN_APPROVED"


async def test_a_message_never_delivers_anything_but_the_subscribers_own_rows(
    servers, settings, pool, region_a
):
    """The hub trusts nothing a message says: each id is loaded as the subscriber."""
    server, _ = servers
    employee_id = region_a.accounts[EMPLOYEE].id
    supervisor_id = region_a.accounts[SUPERVISOR].id
    async with (
        subscribed(server, region_a, EMPLOYEE, settings) as employee,
        subscribed(server, region_a, SUPERVISOR, settings) as supervisor,
    ):
        event_id = await plan_approved(pool, region_a)
        await received(employee)
        (stored,) = [n for n in await inbox(region_a, EMPLOYEE) if n.event_id == event_id]
        channel = live_channel(region_a.id, settings.redis_url)
        for forged in (
            {"event_id": event_id, "notifications": [[stored.id, supervisor_id]]},  # not theirs
            {"event_id": event_id + 1, "notifications": [[stored.id, employee_id]]},  # wrong event
            {"event_id": event_id, "notifications": [[stored.id + 10_000, employee_id]]},
            {"notifications": "garbage"},
        ):
            await pool.publish(channel, orjson.dumps(forged))
        await pool.publish(channel, b"not json")
        await assert_quiet(employee, supervisor)
        await plan_approved(pool, region_a)  # the hub survived the garbage
        assert (await received(employee))["kind"] == "PLAN_APPROVED"


async def test_a_suspended_regions_subscription_ends_with_region_suspended(
    servers, settings, pool, region_a
):
    server, _ = servers
    async with subscribed(server, region_a, EMPLOYEE, settings) as ws:
        event_id = await plan_approved(pool, region_a)
        note = await received(ws)
        await update_region(region_a.id, status=RegionStatus.SUSPENDED)
        message = {
            "event_id": event_id,
            "notifications": [[int(note["id"]), region_a.accounts[EMPLOYEE].id]],
        }
        await pool.publish(live_channel(region_a.id, settings.redis_url), orjson.dumps(message))
        error = await next_message(ws)
        assert error["type"] == "next"
        assert [e["extensions"]["code"] for e in error["payload"]["errors"]] == ["REGION_SUSPENDED"]
        assert (await next_message(ws))["type"] == "complete"
    await wait_until(lambda: server.hub.subscriber_count(region_a.id) == 0, "the cleanup")


async def test_queries_and_mutations_are_refused_over_the_socket(servers, settings, region_a):
    server, _ = servers
    token = region_a.token(EMPLOYEE, settings)
    async with connect(server.url, subprotocols=[PROTOCOL]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert (await next_message(ws))["type"] == "connection_ack"
        query = "{ myNotifications(first: 1) { edges { node { id } } } }"
        await ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": {"query": query}}))
        error = await next_message(ws)
        assert error["type"] == "error" and error["payload"][0]["extensions"]["code"] == "USE_HTTP"


async def test_a_slow_subscribers_feed_keeps_only_the_newest():
    feed = LiveFeed(size=3)
    for n in range(1, 6):
        feed.put(NewNotification(notification_id=n, event_id=1))
    assert feed.dropped == 2
    assert [(await feed.get()).notification_id for _ in range(3)] == [3, 4, 5]
    waiting = asyncio.create_task(feed.get())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    feed.put(NewNotification(notification_id=6, event_id=1))
    assert (await asyncio.wait_for(waiting, PROMPTLY)).notification_id == 6


async def test_the_hub_stops_cleanly(settings, redis):
    hub = LiveHub(settings.redis_url)
    with hub.subscribe(tenant_id=999_999, user_id=1):
        await wait_until(lambda: hub.is_listening(999_999), "the hub to listen")
    await hub.close()
    assert not hub.is_listening(999_999)
    with pytest.raises(RuntimeError):
        with hub.subscribe(tenant_id=999_999, user_id=1):
            pass
    clients = await redis.client_list()
    assert hub.client_name not in {c["name"] for c in clients}


async def test_the_hub_listens_over_a_unix_socket(tmp_path):
    """A Redis URL of a unix socket (unix://…): the hub connects and delivers. It passed
    `socket_keepalive`, which redis-py refuses for a unix socket, and crashed on every
    connect, so no notification was ever delivered live under the embedded Redis."""
    from redis.asyncio import Redis

    from kinerja_saas.runtime.embedded import Valkey

    socket_path = tmp_path / "v.sock"
    server = await asyncio.create_subprocess_exec(
        *(Valkey.executable(), "--port", "0", "--unixsocket", str(socket_path), "--save", ""),
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_until(socket_path.exists, "valkey to listen on its socket")
        url = f"unix://{socket_path}"
        hub = LiveHub(url)
        try:
            with hub.subscribe(tenant_id=7, user_id=3) as feed:
                await wait_until(lambda: hub.is_listening(7), "the hub to listen")
                publisher = Redis.from_url(url)
                message = {"event_id": 1, "notifications": [[41, 3], [42, 4]]}
                await publisher.publish(live_channel(7, url), orjson.dumps(message))
                await publisher.aclose()
                item = await asyncio.wait_for(feed.get(), PROMPTLY)
                assert (item.notification_id, item.event_id) == (41, 1)
            assert hub.reconnects == 0
        finally:
            await hub.close()
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 10)
