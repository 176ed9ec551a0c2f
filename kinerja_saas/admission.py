"""Admission control: fair sharing of one API process between regions.

- Request limits per region and per login, by the region's plan (tenants/plans.py), counted
  in Redis so every API process shares them. Redis down or slow: the request goes through,
  logged and counted (the limits protect the platform, they must not take it down).
- A cap on one region's operations running at once in this process (a share of the
  database pool), so one region's rush leaves connections for the others; an operation
  waiting too long for a slot is refused with BUSY rather than left hanging.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import itertools
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from kinerja_saas import logs, metrics
from kinerja_saas.auth.actor import Actor
from kinerja_saas.errors import ErrorCode
from kinerja_saas.ratelimit import RateLimited, hit_all, unchecked
from kinerja_saas.settings import Settings
from tenants.context import on_region_found
from tenants.errors import TenancyError
from tenants.plans import limits_of

log = logs.get_logger("kinerja.fair_share")

WINDOW_SECONDS = 60
USAGE_SECONDS = 5.0  # a region's usage of the process: a decaying average over about this


class RequestLimiter:
    def __init__(self, redis: Any, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings

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
            unchecked("requests", exc)
            return
        if user_wait is not None:
            metrics.REQUESTS_REFUSED.labels("user").inc()
            raise RateLimited(retry_after=user_wait, source="akun ini")
        if region_wait is not None:
            metrics.REQUESTS_REFUSED.labels("region").inc()
            raise RateLimited(retry_after=region_wait, source="wilayah ini")


class RegionBusy(RateLimited):
    """The region already runs its share of this process's database work."""

    code = "BUSY"

    def __init__(self, busy: ErrorCode = TenancyError.BUSY, *, retry_after: int = 1) -> None:
        super().__init__(busy, retry_after=retry_after)


class RegionSlots:
    """At most `capacity` operations of one region hold a slot at once, and at most `total`
    of all regions together (None: no process-wide bound). The anonymous operations
    (logins, public surveys; key None) of every region share `anonymous_capacity` slots
    until they name their region (`attribute_to_region`).

    With a process-wide bound, the slots are shared between the regions at work: those with
    an operation running or waiting, or one that ended less than `active_seconds` ago. Each
    may hold `total // regions at work` (at least one, at most its `capacity`), so a region
    alone uses every slot, and a big region's rush beside small regions leaves slots free
    for their next operations instead of filling the process between them (people think
    between clicks: a small region is idle most of the time, yet at work).

    Slots bound how many operations run, not for how long. With `busy_seconds_per_second`
    a region that dominates the process (used more of its time lately than all the other
    regions at work together) is paced: its operations may hold slots for its equal share of
    those seconds each second, plus what the others left of their shares (max-min), with a
    burst of `burst_seconds`; past that its next operation waits until the time has come
    back. Set below what the cores can do, this keeps headroom for the others: one slot held
    back to back by a big region's heavy operations keeps a core busy, and everything of a
    small region (its logins' password checks, every statement's wake-up on the event loop)
    would queue behind it. A region alone, or regions busy alike, are never paced.

    When a slot frees, it goes to the waiting region with the fewest operations running
    (then the one waiting longest), not to the next in line: a small region's operation
    waits for one slot to free, not for a big region's queue to drain.
    """

    def __init__(
        self,
        capacity: int,
        wait_seconds: float,
        anonymous_capacity: int | None = None,
        total: int | None = None,
        busy: ErrorCode = TenancyError.BUSY,
        active_seconds: float = 0.0,
        busy_seconds_per_second: float | None = None,
        burst_seconds: float = 1.0,  # a paced region's operation of a second starts at once
    ) -> None:
        self.capacity = capacity
        self.anonymous_capacity = anonymous_capacity or capacity
        self.total = total
        self.wait_seconds = wait_seconds
        self.busy = busy
        self._running: dict[int | None, int] = {}
        self._queues: dict[int | None, collections.deque[tuple[int, asyncio.Future]]] = {}
        self._arrivals = itertools.count()
        self._in_use = 0  # slots held, all regions
        self.active_seconds = active_seconds
        self._last_ended: dict[int | None, float] = {}  # region -> when its last slot freed
        self.busy_seconds_per_second = busy_seconds_per_second
        self.burst_seconds = burst_seconds
        self._budget: dict[int, tuple[float, float]] = {}  # region -> (seconds left, as of)
        self._usage: dict[int, tuple[float, float]] = {}  # region -> (seconds/second, as of)
        self._wake: asyncio.TimerHandle | None = None
        self._wake_due = 0.0
        self._at_work_memo: frozenset[int] | None = None  # see _regions
        self._at_work_until = 0.0

    def waiting(self, tenant_id: int | None) -> int:
        """Operations of the region waiting for a slot now."""
        return len(self._queues.get(tenant_id, ()))

    def running(self, tenant_id: int | None) -> int:
        return self._running.get(tenant_id, 0)

    def share(self, tenant_id: int | None) -> int:
        """The slots the region may hold now."""
        if tenant_id is None:
            # Anonymous operations name their region within a statement or two: they pass
            # through rather than queue behind each other (a small region's login must not
            # wait for a big region's to find its region).
            return self.anonymous_capacity
        if self.total is None:
            return self.capacity
        return min(self.capacity, max(1, self.total // self._regions_at_work(tenant_id)))

    def _regions_at_work(self, tenant_id: int) -> int:
        regions = self._regions()
        return len(regions) + (tenant_id not in regions)

    def _regions(self) -> frozenset[int]:
        """The regions at work now; kept until the slots change or a region's recent
        operation falls out of `active_seconds` (every slot decision asks)."""
        now = time.monotonic()
        if self._at_work_memo is not None and now < self._at_work_until:
            return self._at_work_memo
        at_work = set(self._running) | set(self._queues)  # both hold no empty entries
        until = math.inf
        if self.active_seconds:
            since = now - self.active_seconds
            for t, ended in list(self._last_ended.items()):
                if ended >= since:
                    at_work.add(t)
                    until = min(until, ended + self.active_seconds)
                else:
                    del self._last_ended[t]
        self._at_work_memo = frozenset(t for t in at_work if t is not None)
        self._at_work_until = until
        return self._at_work_memo

    def _has_room(self, tenant_id: int | None) -> bool:
        return self._running.get(tenant_id, 0) < self.share(tenant_id) and not self.paced_for(
            tenant_id
        )

    def paced_for(self, tenant_id: int | None) -> float:
        """Seconds until the region may start another operation (0: now)."""
        if self.busy_seconds_per_second is None or tenant_id is None:
            return 0.0
        rate = self.allowance(tenant_id)
        if rate is None:
            return 0.0
        left = self._seconds_left(tenant_id, rate)
        return 0.0 if left >= 0 else -left / rate

    def allowance(self, tenant_id: int) -> float | None:
        """The slot seconds per second the region may use now; None (unpaced) when it is
        alone or does not dominate: uses no more of the process lately than all the others
        at work together (regions busy alike share it by slots alone, at full speed). A
        dominant region gets its equal share, or more when the others use less of theirs
        (each keeps what it used lately, up to its equal share)."""
        busy = self.busy_seconds_per_second
        if busy is None:  # not paced at all
            return None
        others = [self.usage(t) for t in self._regions() if t != tenant_id]
        if not others or self.usage(tenant_id) <= sum(others):
            return None
        equal = busy / (len(others) + 1)
        kept = sum(min(used, equal) for used in others)
        return max(equal, busy - kept)

    def usage(self, tenant_id: int) -> float:
        """Slot seconds per second the region's operations held lately (decaying average)."""
        value, as_of = self._usage.get(tenant_id, (0.0, 0.0))
        return value * math.exp(-(time.monotonic() - as_of) / USAGE_SECONDS)

    def _seconds_left(self, tenant_id: int, rate: float) -> float:
        now = time.monotonic()
        left, as_of = self._budget.get(tenant_id, (self.burst_seconds, now))
        return min(self.burst_seconds, left + (now - as_of) * rate)

    def _charge(self, tenant_id: int | None, seconds: float) -> None:
        """Counts an operation's time: in the region's usage, and against its allowance
        when it shares the process."""
        if self.busy_seconds_per_second is None or tenant_id is None:
            return
        now = time.monotonic()
        self._usage[tenant_id] = (self.usage(tenant_id) + seconds / USAGE_SECONDS, now)
        rate = self.allowance(tenant_id)
        if rate is None:
            self._budget.pop(tenant_id, None)  # alone: nothing owed
            return
        self._budget[tenant_id] = (self._seconds_left(tenant_id, rate) - seconds, now)

    def _room(self, tenant_id: int | None) -> bool:
        if not self._has_room(tenant_id):
            return False
        return self.total is None or self._in_use < self.total

    def _start(self, tenant_id: int | None) -> None:
        self._running[tenant_id] = self._running.get(tenant_id, 0) + 1
        self._in_use += 1
        self._at_work_memo = None

    def _drop(self, tenant_id: int | None) -> None:
        """Takes one slot off the region's count (and the process's)."""
        self._running[tenant_id] -= 1
        if not self._running[tenant_id]:
            del self._running[tenant_id]  # kept small: every decision walks the regions
        self._in_use -= 1
        self._at_work_memo = None
        if self.active_seconds:
            self._last_ended[tenant_id] = time.monotonic()

    def _finish(self, tenant_id: int | None) -> None:
        self._drop(tenant_id)
        self._hand_on()
        if self.busy_seconds_per_second is not None:
            self._wake_when_paced()

    def _hand_on(self) -> None:
        """Gives free slots to waiting regions, the least busy first."""
        while True:
            ready = [t for t, q in self._queues.items() if q and self._room(t)]
            if not ready:
                return
            chosen = min(ready, key=lambda t: (self._running.get(t, 0), self._queues[t][0][0]))
            _, future = self._queues[chosen].popleft()
            if not self._queues[chosen]:
                del self._queues[chosen]
            self._start(chosen)
            future.set_result(None)

    def _wake_when_paced(self) -> None:
        """Waiting regions held back only by their pacing get no slot-freed event to wake
        them: a timer hands on when the first of them may start."""
        waits = [w for w in (self.paced_for(t) for t, q in self._queues.items() if q) if w > 0]
        if not waits:
            return
        # A region leaving the regions at work changes every allowance: wake then too.
        self._regions()
        if self._at_work_until != math.inf:
            waits.append(max(0.0, self._at_work_until - time.monotonic()))
        due = time.monotonic() + min(waits)
        if self._wake is not None:
            if self._wake_due <= due:
                return
            self._wake.cancel()
        self._wake_due = due
        self._wake = asyncio.get_running_loop().call_later(min(waits), self._woken)

    def _woken(self) -> None:
        self._wake = None
        self._hand_on()
        self._wake_when_paced()

    async def _acquire(self, held: HeldSlot) -> None:
        """Takes a slot for `held.key`, waiting in its region's queue when there is no room;
        RegionBusy after `wait_seconds`."""
        if not self._queues.get(held.key) and self._room(held.key):
            self._start(held.key)
            held.active, held.since = True, time.monotonic()
            return
        queue = self._queues.setdefault(held.key, collections.deque())
        future = asyncio.get_running_loop().create_future()
        queue.append((next(self._arrivals), future))
        self._at_work_memo = None
        if self.busy_seconds_per_second is not None:
            self._wake_when_paced()
        try:
            async with asyncio.timeout(self.wait_seconds):
                await asyncio.shield(future)
        except (TimeoutError, asyncio.CancelledError) as exc:
            if future.done():  # granted as the wait ended: hand the slot on
                self._finish(held.key)
            else:  # still queued (a granted future is always done)
                future.cancel()
                for entry in queue:
                    if entry[1] is future:
                        queue.remove(entry)
                        self._at_work_memo = None
                        break
                if not queue and self._queues.get(held.key) is queue:
                    del self._queues[held.key]
            if isinstance(exc, asyncio.CancelledError):
                raise
            metrics.REQUESTS_REFUSED.labels("busy").inc()
            raise RegionBusy(self.busy) from None
        held.active, held.since = True, time.monotonic()

    def move(self, held: HeldSlot, tenant_id: int) -> None:
        """The operation holding `held` turned out to be region `tenant_id`'s: from now on
        its slot counts as that region's, in place (the region may hold one over its share
        until it ends; its next operations wait). Never waits: the operation already holds
        its transaction and connection, and queueing it then would let anonymous traffic
        hold the pool while it waits."""
        if not held.active or held.key == tenant_id:
            return
        self._drop(held.key)
        held.key = tenant_id
        self._start(tenant_id)  # the process-wide count is back where it was
        self._hand_on()  # the old key may have room now

    @contextlib.asynccontextmanager
    async def slot(self, tenant_id: int | None) -> AsyncIterator[HeldSlot]:
        held = HeldSlot(self, tenant_id)
        await self._acquire(held)
        token = _held_slots.set((*_held_slots.get(), held))
        try:
            yield held
        finally:
            if held.active:  # the accounting first: nothing below may leak the slot
                held.active = False
                self._charge(held.key, time.monotonic() - held.since)
                self._finish(held.key)
            _held_slots.reset(token)


@dataclass(eq=False)
class HeldSlot:
    slots: RegionSlots
    key: int | None  # the region (None: not known yet)
    active: bool = False
    since: float = 0.0  # when the slot was granted (a moved slot keeps it: the region pays)


# The slots the running operation holds (the API's, a password check's): an anonymous
# operation's slots move to its region once a service finds out which (attribute_to_region).
_held_slots: contextvars.ContextVar[tuple[HeldSlot, ...]] = contextvars.ContextVar(
    "kinerja_held_slots", default=()
)


def attribute_to_region(tenant_id: int) -> None:
    """Called by a service when an anonymous operation (a login, a public survey submission)
    finds its region: the operation's slots count as that region's from now on, so one
    region's logins and public traffic take that region's share, not every region's
    anonymous share. No-op outside a slot (workers, the CLI, the survey page)."""
    for held in _held_slots.get():
        if held.key is None:
            held.slots.move(held, tenant_id)


# `enter_tenant` (tenants/context.py) calls it through a hook: tenancy imports nothing above
# it. Registered on import: slots exist only once this module is imported, so a process that
# never imported it has nothing to move.
on_region_found(attribute_to_region)


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
            active_seconds=settings.region_active_seconds,
            busy_seconds_per_second=settings.api_busy_seconds_per_second,
        )
