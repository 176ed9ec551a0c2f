"""Fair sharing of one API process between regions.

- Request limits per region and per login, by the region's plan (tenants/plans.py), counted
  in Redis so every API process shares them. Redis down or slow: the request goes through
  and a warning is logged (the limits protect the platform, they must not take it down).
- A cap on one region's operations running at once in this process (a share of the
  database pool), so one region's rush leaves connections for the others; an operation
  waiting too long for a slot is refused with BUSY rather than left hanging.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError

from kinerja_saas import logs, metrics
from kinerja_saas.auth.actor import Actor
from kinerja_saas.ratelimit import RateLimited, hit_all
from kinerja_saas.settings import Settings
from tenants.plans import limits_of

log = logs.get_logger("kinerja.fair_share")

WINDOW_SECONDS = 60
WARN_EVERY_SECONDS = 30.0  # one warning per process per outage, not one per request


class RequestLimiter:
    def __init__(self, redis: Any, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self._warned_at: float | None = None

    async def admit(self, actor: Actor, plan: str | None) -> None:
        """Counts one operation of `actor` in their region; raises RateLimited when the
        region or the login is over its plan's limit for the current minute."""
        if self.redis is None or not self.settings.rate_limits_enabled or actor.tenant_id is None:
            return
        limits = limits_of(plan, self.settings.plan_limits)
        region_key = f"kinerja:rl:region:{actor.tenant_id}"
        user_key = f"kinerja:rl:user:{actor.tenant_id}:{actor.user_id}"
        try:
            async with asyncio.timeout(self.settings.rate_limit_timeout_seconds):
                user_wait, region_wait = await hit_all(
                    self.redis,
                    [
                        (user_key, limits.user_requests_per_minute, WINDOW_SECONDS),
                        (region_key, limits.region_requests_per_minute, WINDOW_SECONDS),
                    ],
                )
        except (RedisError, OSError, TimeoutError) as exc:
            self._unavailable(exc)
            return
        if user_wait is not None:
            metrics.REQUESTS_REFUSED.labels("user").inc()
            raise RateLimited(
                f"Too many requests from this login; try again in {user_wait} seconds.",
                retry_after=user_wait,
            )
        if region_wait is not None:
            metrics.REQUESTS_REFUSED.labels("region").inc()
            raise RateLimited(
                f"Too many requests from this region; try again in {region_wait} seconds.",
                retry_after=region_wait,
            )

    def _unavailable(self, exc: BaseException) -> None:
        metrics.RATE_LIMIT_UNAVAILABLE.inc()
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(
                "rate limits unavailable, requests let through unchecked",
                error=f"{type(exc).__name__}: {exc}",
            )


class RegionBusy(RateLimited):
    """The region already runs its share of this process's database work."""

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message, retry_after=retry_after, code="BUSY")


class RegionSlots:
    """At most `capacity` operations of one region hold a slot at once, and at most `total`
    of all regions together (None: no process-wide bound). The anonymous operations
    (logins, public surveys; key None) of every region share `anonymous_capacity` slots:
    their region is known only once they run.

    When a slot frees, it goes to the waiting region with the fewest operations running
    (then the one waiting longest), not to the next in line: with a process-wide bound near
    what the CPU can run at once, a small region's operation waits for one slot to free,
    not for a big region's queue to drain.
    """

    def __init__(
        self,
        capacity: int,
        wait_seconds: float,
        anonymous_capacity: int | None = None,
        total: int | None = None,
    ) -> None:
        self.capacity = capacity
        self.anonymous_capacity = anonymous_capacity or capacity
        self.total = total
        self.wait_seconds = wait_seconds
        self._running: dict[int | None, int] = {}
        self._queues: dict[int | None, collections.deque[tuple[int, asyncio.Future]]] = {}
        self._arrivals = itertools.count()

    def waiting(self, tenant_id: int | None) -> int:
        """Operations of the region waiting for a slot now."""
        return len(self._queues.get(tenant_id, ()))

    def running(self, tenant_id: int | None) -> int:
        return self._running.get(tenant_id, 0)

    def _room(self, tenant_id: int | None) -> bool:
        limit = self.capacity if tenant_id is not None else self.anonymous_capacity
        if self._running.get(tenant_id, 0) >= limit:
            return False
        return self.total is None or sum(self._running.values()) < self.total

    def _start(self, tenant_id: int | None) -> None:
        self._running[tenant_id] = self._running.get(tenant_id, 0) + 1

    def _finish(self, tenant_id: int | None) -> None:
        self._running[tenant_id] -= 1
        self._hand_on()

    def _hand_on(self) -> None:
        """Gives free slots to waiting regions, the least busy first."""
        while True:
            ready = [t for t, q in self._queues.items() if q and self._room(t)]
            if not ready:
                return
            chosen = min(ready, key=lambda t: (self._running.get(t, 0), self._queues[t][0][0]))
            _, future = self._queues[chosen].popleft()
            self._start(chosen)
            future.set_result(None)

    @contextlib.asynccontextmanager
    async def slot(self, tenant_id: int | None) -> AsyncIterator[None]:
        queue = self._queues.setdefault(tenant_id, collections.deque())
        if not queue and self._room(tenant_id):
            self._start(tenant_id)
        else:
            future = asyncio.get_running_loop().create_future()
            queue.append((next(self._arrivals), future))
            try:
                async with asyncio.timeout(self.wait_seconds):
                    await asyncio.shield(future)
            except (TimeoutError, asyncio.CancelledError) as exc:
                if future.done():  # granted as the wait ended: hand the slot on
                    self._finish(tenant_id)
                else:  # still queued (a granted future is always done)
                    future.cancel()
                    for entry in queue:
                        if entry[1] is future:
                            queue.remove(entry)
                            break
                if isinstance(exc, asyncio.CancelledError):
                    raise
                metrics.REQUESTS_REFUSED.labels("busy").inc()
                raise RegionBusy(
                    "The region has too many requests running; try again in a moment."
                ) from None
        try:
            yield
        finally:
            self._finish(tenant_id)


class FairShare:
    """What one API process applies to each GraphQL operation."""

    def __init__(self, redis: Any, settings: Settings) -> None:
        self.limiter = RequestLimiter(redis, settings)
        self.slots = RegionSlots(
            settings.region_db_slots,
            settings.region_db_wait_seconds,
            # Half the pool: one region's public flood or login burst leaves the other half.
            anonymous_capacity=max(settings.region_db_slots, settings.db_pool_max // 2),
            total=settings.api_running_operations,
        )
