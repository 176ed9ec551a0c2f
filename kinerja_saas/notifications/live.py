"""The live feed of new in-app notifications.

After each committed chunk the fan-out publishes `{"event_id": …, "notifications": [[id,
user_id], …]}` on the region's Redis channel. Each API process runs one `LiveHub`: a single
Redis pub/sub connection, subscribed only to the channels of regions that have a subscriber in
this process, which hands each notification id to that user's own feeds (one per open
subscription). The feed carries ids only: the subscriber loads the row itself, as its user, in
a short tenant transaction, so what a message claims never reaches a client unchecked.

Pub/sub is fire-and-forget: a message published while the hub is reconnecting is lost for the
live channel only; the notification itself is in the user's inbox (`myNotifications`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger("kinerja.notifications.live")

FEED_SIZE = 100  # notifications waiting per subscriber before the oldest are dropped
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)  # between reconnection attempts, then the last
PING_SECONDS = 15.0  # a silent connection is pinged; two intervals without a reply: dead

_hub_numbers = itertools.count(1)


def channel_prefix(redis_url: str | None) -> str:
    """Pub/sub channels are shared by a whole Redis server, not per database number: the
    database is part of the name, so deployments (or test runs) on one server never share."""
    database = (
        Redis.from_url(redis_url).connection_pool.connection_kwargs.get("db", 0) if redis_url else 0
    )
    return f"kinerja:{database}:notifications:"


def keepalive(redis_url: str) -> dict[str, bool]:
    """TCP keepalive for the long-lived pub/sub connection, so a peer that vanished without a
    FIN is noticed; a unix socket has no such option (redis-py's UnixDomainSocketConnection
    refuses `socket_keepalive`, and the hub then crashed on every connect)."""
    return {} if redis_url.startswith("unix:") else {"socket_keepalive": True}


def live_channel(tenant_id: int, redis_url: str | None) -> str:
    return f"{channel_prefix(redis_url)}{tenant_id}"


def _tenant_of(channel: bytes | str, prefix: str) -> int | None:
    name = channel.decode() if isinstance(channel, bytes) else channel
    suffix = name.removeprefix(prefix)
    return int(suffix) if suffix != name and suffix.isdigit() else None


@dataclass(frozen=True, slots=True)
class NewNotification:
    notification_id: int
    event_id: int


class LiveFeed:
    """One subscriber's queue of new notifications, bounded: when the client reads slower
    than notifications come, the oldest waiting ones are dropped (the client finds them in
    its inbox) so that a stalled client cannot grow the process's memory."""

    def __init__(self, size: int) -> None:
        self._items: deque[NewNotification] = deque(maxlen=size)
        self._ready = asyncio.Event()
        self.dropped = 0

    def put(self, item: NewNotification) -> None:
        if len(self._items) == self._items.maxlen:
            self.dropped += 1  # deque(maxlen) drops the oldest on append
        self._items.append(item)
        self._ready.set()

    async def get(self) -> NewNotification:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


class LiveHub:
    """The process's one listener on the regions' notification channels.

    `subscribe()` registers a feed synchronously (so cancellation can never leak one) and
    asks for the Redis SUBSCRIBE / UNSUBSCRIBE in the background; the listener task starts
    with the first subscriber, reconnects after a Redis outage with backoff and then
    subscribes again to every region that still has subscribers.
    """

    def __init__(self, redis_url: str, *, feed_size: int = FEED_SIZE) -> None:
        self._redis_url = redis_url
        self._feed_size = feed_size
        self._feeds: dict[tuple[int, int], set[LiveFeed]] = {}
        self._per_region: Counter[int] = Counter()
        self._pubsub: PubSub | None = None  # the current connection, None while down
        self._requested: set[int] = set()  # SUBSCRIBE sent on the current connection
        self._confirmed: set[int] = set()  # ... and acknowledged by Redis
        self._sync_lock = asyncio.Lock()
        self._listener: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._closed = False
        self.client_name = f"kinerja-live-{os.getpid()}-{next(_hub_numbers)}"
        self.reconnects = 0

    # --- subscribers ---------------------------------------------------------------------

    @contextlib.contextmanager
    def subscribe(self, tenant_id: int, user_id: int) -> Iterator[LiveFeed]:
        if self._closed:
            raise RuntimeError("the live hub is closed")
        feed = LiveFeed(self._feed_size)
        key = (tenant_id, user_id)
        self._feeds.setdefault(key, set()).add(feed)
        self._per_region[tenant_id] += 1
        self._start()
        if self._per_region[tenant_id] == 1:
            self._request_sync()
        try:
            yield feed
        finally:
            feeds = self._feeds.get(key, set())
            feeds.discard(feed)
            if not feeds:
                self._feeds.pop(key, None)
            self._per_region[tenant_id] -= 1
            if self._per_region[tenant_id] <= 0:
                del self._per_region[tenant_id]
                self._request_sync()
            if feed.dropped:
                log.warning(
                    "live feed of user %s in region %s dropped %s notifications (slow client)",
                    user_id,
                    tenant_id,
                    feed.dropped,
                )

    def subscriber_count(self, tenant_id: int, user_id: int | None = None) -> int:
        if user_id is None:
            return self._per_region.get(tenant_id, 0)
        return len(self._feeds.get((tenant_id, user_id), ()))

    def is_listening(self, tenant_id: int) -> bool:
        """Redis has acknowledged the region's channel on the current connection."""
        return self._pubsub is not None and tenant_id in self._confirmed

    async def close(self) -> None:
        self._closed = True
        tasks = [t for t in (self._listener, *self._background) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- the Redis side ------------------------------------------------------------------

    def _start(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name=self.client_name)

    def _request_sync(self) -> None:
        pubsub = self._pubsub
        if pubsub is None or self._closed:
            return  # not connected: the listener subscribes to what is wanted on connecting
        task = asyncio.create_task(self._sync(pubsub))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _sync(self, pubsub: PubSub) -> None:
        """Brings the connection's channels in line with the regions that have subscribers.
        Commands are only written here; the listener reads their acknowledgements."""
        async with self._sync_lock:
            if pubsub is not self._pubsub:
                return  # that connection is gone; the next one syncs on its own
            wanted = set(self._per_region)
            add, drop = wanted - self._requested, self._requested - wanted
            try:
                if add:
                    await pubsub.subscribe(*(live_channel(t, self._redis_url) for t in sorted(add)))
                if drop:
                    await pubsub.unsubscribe(
                        *(live_channel(t, self._redis_url) for t in sorted(drop))
                    )
            except (RedisError, OSError) as exc:
                log.warning("live hub: updating subscriptions failed (%s)", exc)
                return  # the listener sees the broken connection and reconnects
            self._requested = wanted

    async def _listen(self) -> None:
        failures = 0
        while True:
            redis = Redis.from_url(
                self._redis_url, client_name=self.client_name, **keepalive(self._redis_url)
            )
            pubsub = redis.pubsub()
            try:
                await pubsub.connect()
                self._pubsub, self._requested, self._confirmed = pubsub, set(), set()
                await self._sync(pubsub)
                if failures:
                    log.info("live hub reconnected to Redis")
                failures = 0
                await self._read(pubsub)
            except (RedisError, OSError) as exc:
                log.warning("live hub lost Redis (%s); reconnecting", exc)
            except Exception:
                log.exception("live hub failed; reconnecting")
            finally:
                self._pubsub = None
                self._confirmed = set()
                for closing in (pubsub, redis):
                    with contextlib.suppress(Exception):
                        await closing.aclose()
            self.reconnects += 1
            await asyncio.sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)])
            failures += 1

    async def _read(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        while True:
            message = await pubsub.get_message(timeout=PING_SECONDS)
            if message is None:
                if loop.time() - last_heard > 2 * PING_SECONDS:
                    raise ConnectionError("Redis did not answer a ping")
                await pubsub.ping()
                continue
            last_heard = loop.time()
            kind = message["type"]
            tenant_id = (
                _tenant_of(message["channel"], channel_prefix(self._redis_url))
                if message["channel"]
                else None
            )
            if tenant_id is None:
                continue  # a pong
            if kind == "message":
                self._dispatch(tenant_id, message["data"])
            elif kind == "subscribe":
                self._confirmed.add(tenant_id)
            elif kind == "unsubscribe":
                self._confirmed.discard(tenant_id)

    def _dispatch(self, tenant_id: int, data: bytes) -> None:
        if not self._per_region.get(tenant_id):
            return  # the last subscriber left before the UNSUBSCRIBE took effect
        try:
            body = orjson.loads(data)
            event_id = int(body["event_id"])
            pairs = [(int(n), int(u)) for n, u in body["notifications"]]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning(
                "live hub: malformed message on %s ignored",
                live_channel(tenant_id, self._redis_url),
            )
            return
        # One message may name thousands of recipients (a region-wide event): one dict
        # lookup each, and only this process's subscribers get anything.
        for notification_id, user_id in pairs:
            for feed in self._feeds.get((tenant_id, user_id), ()):
                feed.put(NewNotification(notification_id, event_id))
