"""Responses of identical read documents, kept for a second per region and viewer.

A hot list (the employee page, a unit's people) is asked again and again with the same
document by the same person. Served from this process's memory, such a request skips
parsing, validation, the transaction and PostgreSQL; it still meets authentication (the
token and its revocation are checked before the cache is consulted) and the region's and the
login's request limits (counted as for any other request).

What makes a hit (docs/response-cache.md has the threat notes):

* The key is the region, the viewer's full identity (login, employee, roles: everything a
  resolver's visibility depends on that the token carries), the request's base URL (links
  in responses follow it), the document text, the operation name and the variables
  (canonical JSON). Two requests share an entry only when everything a field could depend on
  is the same, so an entry is never served across regions or visibility scopes: an
  attacker composing other fields or aliases sends another text, hence another key.
* Only queries, from a logged-in region user (not operators, not anonymous public fields),
  over HTTP (subscriptions run over WebSocket and never come here), without uploads; only
  results without errors are kept. Responses are bounded by the cost limit, entries by
  `response_cache_entries` (LRU).
* Each region has a generation in Redis; every mutation of the region bumps it after its
  transaction commits and before its response is sent (schema/transaction.py), and every
  operator mutation bumps the platform's. An entry is served only while both generations
  are the ones read before it was computed, so a writer sees their own write at once, and so
  does everyone else. Writes that do not go through a mutation (jobs, imports, read models
  kept by workers) are bounded by the entry's age: at most TTL_SECONDS.
* Redis unreachable: no generation, so nothing is served from or kept in the cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from redis.exceptions import RedisError

from kinerja_saas import logs
from kinerja_saas.auth.actor import Actor

TTL_SECONDS = 1.0
MAX_DOCUMENT_LENGTH = 20_000
# Memory: a response may be large (up to the cost limit); a client asking for many different
# large ones must not grow the process. Larger responses are not kept; the total is bounded.
MAX_ENTRY_BYTES = 512 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
GENERATION_KEY = "kinerja:response-cache:generation:{tenant_id}"
PLATFORM_GENERATION_KEY = "kinerja:response-cache:generation:platform"

log = logs.get_logger("kinerja.response_cache")

Key = tuple[Any, ...]
Generation = tuple[bytes | None, bytes | None]


REFRESH_AFTER = 0.5  # of the TTL: from then on one request refreshes it in the background


@dataclass(slots=True)
class Entry:
    """An answer as its `data` JSON, not as Python objects: bytes are invisible to the cyclic
    GC (a page of 100 employees is ~500 dicts and lists that every full collection would
    walk for as long as the entry lives, times 1,000 entries), and a hit sends them as they
    are (orjson.Fragment) instead of serialising them again."""

    generation: Generation
    # When the request that computed it began, before its generation and its data were read:
    # the age counts from there, so no answer is served more than TTL_SECONDS after the data
    # it shows was read (counting from when it was stored would add the query's own time,
    # hundreds of ms on a busy process).
    asked_at: float
    json: bytes  # the response's `data`, as orjson wrote it
    plan: str | None  # the region's plan when computed: its request limits on a hit
    outcome: str = "ok"  # the request's outcome label (metrics, logs) when computed
    refreshing: bool = False

    @property
    def size(self) -> int:
        return len(self.json)

    @property
    def data(self) -> orjson.Fragment:
        """`data` for a response: the stored JSON, written into the body unchanged."""
        return orjson.Fragment(self.json)


def cache_key(
    actor: Actor,
    base_url: str,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> Key | None:
    """None when the request may not be cached (no region, an operator, a long document,
    variables that are not plain JSON)."""
    if actor.tenant_id is None or actor.is_operator or len(query) > MAX_DOCUMENT_LENGTH:
        return None
    try:
        encoded = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an upload, or anything that is not JSON
        return None
    return (
        actor.tenant_id,
        actor.user_id,
        actor.employee_id,
        tuple(sorted(str(r) for r in actor.roles)),
        base_url,
        query,
        operation_name,
        encoded,
    )


def now() -> float:
    """The clock of entries' ages."""
    return time.monotonic()


class ResponseCache:
    """One per API process; the generations are shared by all processes through Redis."""

    def __init__(self, redis: Any, max_entries: int, ttl_seconds: float = TTL_SECONDS) -> None:
        self.redis = redis
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self.bytes = 0  # of the entries kept
        self.background: set[asyncio.Task] = set()  # refreshes running (strong references)
        self._running: dict[tuple[Key, Generation], asyncio.Future[Entry | None]] = {}
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.redis is not None and self.max_entries > 0

    async def generation(self, tenant_id: int) -> Generation | None:
        """The region's and the platform's generations; None when Redis does not answer
        (then nothing is cached)."""
        try:
            region, platform = await self.redis.mget(
                GENERATION_KEY.format(tenant_id=tenant_id), PLATFORM_GENERATION_KEY
            )
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("response cache off for this request: %s", type(exc).__name__)
            return None
        return (region, platform)

    def get(self, key: Key, generation: Generation) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.generation != generation or now() - entry.asked_at > self.ttl_seconds:
            self._drop(key)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def due_for_refresh(self, entry: Entry) -> bool:
        age = now() - entry.asked_at
        return not entry.refreshing and age > self.ttl_seconds * REFRESH_AFTER

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def peek(self, key: Key) -> Entry | None:
        """The entry of `key`, whatever its age or generation (its plan, before a hit)."""
        return self._entries.get(key)

    def keep(
        self,
        key: Key,
        generation: Generation,
        data: dict[str, Any],
        plan: str | None,
        outcome: str = "ok",
        asked_at: float | None = None,
    ) -> Entry | None:
        """The entry of `data`, computed by a request that began at `asked_at` (now() read
        before its generation; None: now). None when `data` is not JSON: nothing kept,
        nobody served from it."""
        try:
            encoded = orjson.dumps(data)
        except TypeError:
            self._drop(key)
            return None
        entry = Entry(generation, now() if asked_at is None else asked_at, encoded, plan, outcome)
        self._drop(key)
        if entry.size > MAX_ENTRY_BYTES:
            return entry  # for requests waiting on this computation, not kept
        self._entries[key] = entry
        self.bytes += entry.size
        while len(self._entries) > self.max_entries or self.bytes > MAX_TOTAL_BYTES:
            self._drop(next(iter(self._entries)))
        return entry

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry.size

    # One computation per key and generation at a time: when an entry expires under load,
    # the requests of the same viewer, document and variables arriving meanwhile wait for
    # the one computing it instead of each running the query (the tail of a hot list).

    def running(self, key: Key, generation: Generation) -> asyncio.Future[Entry | None] | None:
        return self._running.get((key, generation))

    @contextlib.contextmanager
    def computing(
        self, key: Key, generation: Generation
    ) -> Iterator[Callable[[Entry | None], None]]:
        """While open, others of (key, generation) wait; they get the entry passed to the
        callback, or None (an error, an exception: each then runs its own request)."""
        slot = (key, generation)
        future: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        first = slot not in self._running
        if first:
            self._running[slot] = future

        def publish(entry: Entry | None) -> None:
            if not future.done():
                future.set_result(entry)

        try:
            yield publish
        finally:
            if not future.done():
                future.set_result(None)
            if first and self._running.get(slot) is future:
                del self._running[slot]

    def __len__(self) -> int:
        return len(self._entries)


async def bump_generation(redis: Any, tenant_id: int | None) -> None:
    """After a mutation committed: every process's entries of the region (or, for an
    operator's mutation, of every region) stop being served."""
    if redis is None:
        return
    key = (
        PLATFORM_GENERATION_KEY if tenant_id is None else GENERATION_KEY.format(tenant_id=tenant_id)
    )
    try:
        await redis.incr(key)
    except (RedisError, OSError, TimeoutError) as exc:
        # The entries then live out their TTL: a writer may read their old data for up to
        # TTL_SECONDS. Logged at ERROR: it breaks the read-your-writes promise.
        log.error("response cache generation not bumped: %s", type(exc).__name__)
