"""Revocation of access tokens within seconds, on every API process.

An access token carries its login's token version and its session (auth/tokens.py). Ending
access is writing a row to `token_revocations` in the same transaction as the change
(migration 0025): "tokens of this login older than version V" (logoutEverywhere, password
change, deactivation, role change) or "tokens of this session" (logout, a reused refresh
token). After the commit a message on Redis pub/sub wakes every API process, which reads
the recent rows (one statement) into its own memory; each request is checked against that
memory only, so an authenticated request costs no SQL statement for it.

Bounded staleness without pub/sub: each process also reads the rows every
`revocation_poll_seconds` (default 2 s) while it serves requests, and a request that finds
the memory older than twice that reads first. So a revocation is refused everywhere within
about `2 × poll` seconds even with Redis down, and within a pub/sub round trip (milliseconds)
normally. Only the last `access_token_ttl_seconds` matter (older tokens have expired), so the
memory holds the revocations of the last 15 minutes, and each read covers the time since the
previous one plus a margin for transactions that committed late.

An open WebSocket of a revoked login is closed by the process that holds it (`track`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from kinerja_saas import logs, metrics
from kinerja_saas.auth import queries
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.errors import AuthError
from kinerja_saas.database_client import uncounted_context
from kinerja_saas.errors import AuthenticationFailed
from kinerja_saas.settings import Settings
from tenants.context import after_commit

log = logs.get_logger("kinerja.auth.revocation")


LATE_COMMIT_SECONDS = 60.0  # a row may become visible this long after its created_at
IDLE_SECONDS = 60.0  # with no request and no open socket this long, the loop stops
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0)  # pub/sub reconnection
SYNC_WAIT_SECONDS = 1.0  # the longest a request waits for a read of the revocations

LoginKey = tuple[bool, int | None, int]  # (is_operator, tenant_id, user_id)


def _background() -> contextvars.Context:
    """A context for tasks that outlive the request that starts them: none of its
    statements counted as the request's, none of its log fields."""
    context = uncounted_context()
    context.run(logs.clear_scope)
    return context


def login_key(actor: Actor) -> LoginKey:
    return (actor.is_operator, None if actor.is_operator else actor.tenant_id, actor.user_id)


def channel(redis_url: str | None) -> str:
    """Pub/sub channels span a Redis server: the database number is part of the name."""
    database = (
        Redis.from_url(redis_url).connection_pool.connection_kwargs.get("db", 0) if redis_url else 0
    )
    return f"kinerja:{database}:token-revocations"


# --- writing a revocation (services call these inside their transaction) -------------------


async def revoke_logins(*, tenant_id: int | None, versions: dict[int, int]) -> None:
    """Access tokens of these logins (user id -> the version they have now) issued with an
    older version stop working. `tenant_id` None: platform operators. Runs in the caller's
    transaction, which must be the logins' own region's (or platform scope)."""
    if not versions:
        return
    users = list(versions)
    await queries.revoke_token_versions(
        tenant_id=tenant_id, user_ids=users, versions=[versions[u] for u in users]
    )
    after_commit(notify)


async def revoke_session(*, tenant_id: int | None, user_id: int, session_id: int) -> None:
    """Access tokens of this session (one device's login) stop working."""
    await queries.revoke_session_tokens(tenant_id=tenant_id, user_id=user_id, session_id=session_id)
    after_commit(notify)


class _Publisher:
    """Wakes every API process after a revocation committed. Fire and forget: a lost
    message costs only the wait for the next poll."""

    def __init__(self, redis_url: str) -> None:
        self.channel = channel(redis_url)
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
        self.tasks: set[asyncio.Task] = set()

    def publish(self) -> None:
        task = asyncio.get_running_loop().create_task(self._publish(), context=_background())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _publish(self) -> None:
        try:
            await self.redis.publish(self.channel, b"1")
        except (RedisError, OSError) as exc:
            log.warning("token revocation not published (the poll will find it)", error=repr(exc))


_publishers: dict[str, _Publisher] = {}


def register_publisher(redis_url: str | None) -> None:
    """Called by each process that can publish (every API app); without one, revocations
    are still found by every process's poll."""
    if redis_url and redis_url not in _publishers:
        _publishers[redis_url] = _Publisher(redis_url)


def notify() -> None:
    for publisher in list(_publishers.values()):
        with contextlib.suppress(RuntimeError):  # no running loop (a CLI that exits)
            publisher.publish()


# --- each API process's memory of revocations --------------------------------------------


@dataclass(eq=False)
class _Tracked:
    actor: Actor
    on_revoked: Callable[[], None]


class RevocationWatch:
    def __init__(self, settings: Settings) -> None:
        self.poll_seconds = settings.revocation_poll_seconds
        self.stale_seconds = 2 * settings.revocation_poll_seconds
        self.keep_seconds = settings.access_token_ttl_seconds + LATE_COMMIT_SECONDS
        self.redis_url = settings.redis_url
        self.channel = channel(settings.redis_url)
        self._versions: dict[LoginKey, tuple[int, float]] = {}  # -> (min version, forget at)
        self._sessions: dict[tuple[LoginKey, int], float] = {}  # -> forget at
        self._tracked: dict[LoginKey, set[_Tracked]] = {}
        self._synced_at: float | None = None  # monotonic, of the last read's start
        self._used_at = 0.0
        self._sync_task: asyncio.Task | None = None
        self._again = False
        self._loop_task: asyncio.Task | None = None
        self._closed = False
        self.syncs = 0  # reads so far
        self.listening = False  # subscribed to the channel now
        register_publisher(settings.redis_url)

    # --- the request's check -----------------------------------------------------------

    async def check(self, actor: Actor) -> None:
        """Raises TOKEN_REVOKED for a revoked access token. No statement when the memory
        is fresh (the common case); a read first when it is not."""
        now = time.monotonic()
        self._used_at = now
        if self._synced_at is None or now - self._synced_at > self.stale_seconds:
            # Bounded: with the database away the request fails on its own anyway, and
            # must not wait here first (it goes on with what was read last).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SYNC_WAIT_SECONDS):
                    await self.sync()
        self._ensure_loop()
        if self.is_revoked(actor):
            metrics.TOKENS_REVOKED_REFUSED.inc()
            raise AuthenticationFailed(AuthError.TOKEN_REVOKED)

    def is_revoked(self, actor: Actor) -> bool:
        key = login_key(actor)
        now = time.monotonic()
        minimum = self._versions.get(key)
        if minimum is not None and minimum[1] > now and (actor.token_version or 0) < minimum[0]:
            return True
        if actor.session_id is not None:
            until = self._sessions.get((key, actor.session_id))
            if until is not None and until > now:
                return True
        return False

    @contextlib.contextmanager
    def track(self, actor: Actor, on_revoked: Callable[[], None]) -> Iterator[None]:
        """While open, `on_revoked` is called (once) when the actor's token is revoked."""
        entry = _Tracked(actor, on_revoked)
        key = login_key(actor)
        self._tracked.setdefault(key, set()).add(entry)
        self._ensure_loop()
        try:
            yield
        finally:
            entries = self._tracked.get(key, set())
            entries.discard(entry)
            if not entries:
                self._tracked.pop(key, None)

    # --- reading the revocations ---------------------------------------------------------

    async def sync(self) -> None:
        """Reads the recent revocations; concurrent callers share one read, and a call
        during a read gets another read after it (the row it waits for may be newer)."""
        running = self._sync_task
        if running is not None and not running.done():
            self._again = True  # the running task reads once more before it ends
            await asyncio.shield(running)
            return
        self._sync_task = asyncio.get_running_loop().create_task(
            self._sync_rounds(), context=_background()
        )
        await asyncio.shield(self._sync_task)

    async def _sync_rounds(self) -> None:
        while True:
            self._again = False
            await self._read()
            if not self._again:
                return

    async def _read(self) -> None:
        started = time.monotonic()
        window = (
            self.keep_seconds
            if self._synced_at is None
            else min(self.keep_seconds, started - self._synced_at + LATE_COMMIT_SECONDS)
        )
        try:
            rows = await queries.token_revocations(window)
        except Exception as exc:  # the database is away: work on what was read last
            metrics.REVOCATION_SYNC_ERRORS.inc()
            log.warning("token revocations could not be read", error=repr(exc))
            return
        self.syncs += 1
        self._synced_at = started
        changed: set[LoginKey] = set()
        for r in rows:
            key: LoginKey = (r["is_operator"], r["tenant_id"], r["user_id"])
            until = started - r["age_seconds"] + self.keep_seconds
            if r["min_version"] is not None:
                known = self._versions.get(key)
                if known is None or known[0] < r["min_version"]:
                    self._versions[key] = (r["min_version"], until)
                    changed.add(key)
            if r["session_id"] is not None and (key, r["session_id"]) not in self._sessions:
                self._sessions[(key, r["session_id"])] = until
                changed.add(key)
        self._forget_old(started)
        for key in changed & set(self._tracked):
            for entry in list(self._tracked.get(key, ())):
                if self.is_revoked(entry.actor):
                    self._tracked[key].discard(entry)
                    entry.on_revoked()

    def _forget_old(self, now: float) -> None:
        for key in [k for k, (_, until) in self._versions.items() if until <= now]:
            del self._versions[key]
        for session in [k for k, until in self._sessions.items() if until <= now]:
            del self._sessions[session]

    # --- the background loop: poll, and listen on pub/sub ---------------------------------

    def _ensure_loop(self) -> None:
        if self._closed or (self._loop_task is not None and not self._loop_task.done()):
            return
        self._loop_task = asyncio.get_running_loop().create_task(self._run(), context=_background())

    def _idle(self) -> bool:
        return not self._tracked and time.monotonic() - self._used_at > IDLE_SECONDS

    async def _run(self) -> None:
        listener = asyncio.create_task(self._listen(self.redis_url)) if self.redis_url else None
        try:
            while not self._idle():
                await asyncio.sleep(self.poll_seconds)
                await self.sync()
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    async def _listen(self, redis_url: str) -> None:
        failures = 0
        while True:
            redis = Redis.from_url(redis_url, socket_connect_timeout=1)
            pubsub = redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self.listening = True
                failures = 0
                while True:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=self.poll_seconds
                    )
                    if message is not None and message.get("type") == "message":
                        await self.sync()
            except (RedisError, OSError) as exc:
                log.warning("token revocations: pub/sub lost, polling only", error=repr(exc))
            finally:
                self.listening = False
                for closing in (pubsub, redis):
                    with contextlib.suppress(Exception):
                        await closing.aclose()
            await asyncio.sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)])
            failures += 1

    async def close(self) -> None:
        self._closed = True
        for task in (self._loop_task, self._sync_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
