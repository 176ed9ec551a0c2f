"""Every job carries its tenant; the wrapper opens that tenant's transaction first, so a
job body is isolated by row-level security exactly like a request.

How a job ends (arq sees one job id throughout: no copies):
- it succeeds: the outbox event it handles records it (`done_jobs`), and the event is done
  once all its jobs are;
- its region is at its cap: it waits for a slot (workers/fair_queue.py);
- a dependency is unavailable (PostgreSQL, Redis): it runs again after 0.5, 1, 2 … s up to
  `KINERJA_JOB_RETRY_MAX_SECONDS`, for as long as the outage lasts; outages never use up
  its tries;
- it fails for a reason of its own: it runs again after `job_failure_backoff_seconds` × 4ⁿ,
  and after `KINERJA_JOB_MAX_FAILURES` failures it is parked as dead in PostgreSQL with its
  error (`kinerja jobs list|retry`), and `on_final_failure` runs.
"""

from __future__ import annotations

import functools
import logging
import random
import socket
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import asyncpg
from redis.exceptions import RedisError

from kinerja_saas import metrics
from kinerja_saas.auth.actor import SYSTEM_ACTOR, Actor
from kinerja_saas.outbox import parking
from kinerja_saas.outbox import service as outbox
from kinerja_saas.settings import Settings
from tenants.context import TenantUnavailable, tenant_transaction
from tenants.models import RegionStatus, Tenant
from workers import fair_queue
from workers.queue import DependencyDown, RunAgain, WaitForSlot, enqueue

log = logging.getLogger("kinerja.jobs")

# Jobs queued before fair waiting replaced put-back copies carry this; it is dropped.
LEGACY_FAILED_BEFORE = "_failed_before"
FAILURES_TTL_SECONDS = 86_400


@dataclass(frozen=True)
class WorkerContext:
    queue: Any  # the worker's arq connection
    settings: Settings


class JobDead(Exception):
    """The job failed for a reason of its own too often and was parked (arq records it as
    failed and forgets it; PostgreSQL keeps it for an operator)."""


def backoff_seconds(attempt: int, base: float = 1.0) -> float:
    """After a failure of the job's own: base × 1, 4, 16, 64 … capped at 5 minutes."""
    return min(base * 4 ** (attempt - 1), 300)


def outage_backoff_seconds(attempt: int, cap: float) -> float:
    """While a dependency is down: 0.5, 1, 2, 4 … s up to `cap`, ±20 % so that the jobs
    an outage stopped do not all hit the returning server in the same instant."""
    return min(0.5 * 2 ** min(attempt - 1, 20), cap) * random.uniform(0.8, 1.0)


# What an unreachable, restarting or overloaded PostgreSQL or Redis raises. Narrower than
# the API's database_unavailable (any OSError): a job's own file or socket error is a
# failure of its own, not an outage to wait out for ever.
_OUTAGE = (
    ConnectionError,  # refused, reset, aborted; Tortoise's DBConnectionError
    TimeoutError,
    socket.gaierror,  # the server's name does not resolve
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InternalClientError,  # protocol state broken by a lost connection
    RedisError,
)


def dependency_unavailable(exc: BaseException) -> bool:
    """An outage rather than the job's own fault: PostgreSQL unreachable, restarting or out
    of connections, a transaction to simply run again (serialization failure, deadlock),
    or Redis unreachable; the exception or what caused it."""
    seen: BaseException | None = exc
    for _ in range(6):  # the cause chain is short; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, _OUTAGE):
            return True
        if isinstance(seen, asyncpg.InterfaceError) and "closed" in str(seen):
            return True
        sqlstate = getattr(seen, "sqlstate", None) or ""
        if sqlstate[:2] in ("08", "40", "53") or sqlstate.startswith("57P"):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def failures_key(job_id: str) -> str:
    return f"kinerja:jobs:failures:{job_id}"


async def _count_failure(redis: Any, job_id: str, kind: str, fallback: int) -> int:
    """How often the job failed this way so far (a Redis hash per job id; arq's own try
    count also grows with every wait for a slot). Redis gone: arq's count."""
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(failures_key(job_id), kind, 1)
            pipe.expire(failures_key(job_id), FAILURES_TTL_SECONDS)
            count, _ = await pipe.execute()
        return int(count)
    except (RedisError, OSError):
        return fallback


async def _forget_failures(redis: Any, job_id: str) -> None:
    try:
        await redis.delete(failures_key(job_id))
    except (RedisError, OSError):
        pass  # expires on its own


def tenant_job(
    body: Callable[..., Awaitable[Any]] | None = None,
    *,
    transactional: bool = True,
    on_final_failure: Callable[..., Awaitable[None]] | None = None,
    on_skip: Callable[..., Awaitable[None]] | None = None,
    with_worker: bool = False,
) -> Any:
    """Wraps `body(actor, **kwargs)` as an arq job `job(ctx, tenant_id, **kwargs)`.

    `transactional=False` is for long jobs that commit in steps (to show progress); their
    body opens `tenant_transaction(actor.tenant_id)` for each step itself. Failures are
    retried as the module says; when the job is parked as dead
    `on_final_failure(actor, exc, **kwargs)` runs. A job of a suspended or unknown region
    is skipped; `on_skip(actor, exc, **kwargs)` lets it record that rather than stay
    pending for ever. `with_worker=True` passes the worker's queue and settings as
    `worker=` (a body that enqueues follow-up jobs after its commits).

    A job with an `event_id` (and `topic`) of the outbox records its success on the event.
    """

    def wrap(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        name = fn.__qualname__  # arq's default name of a function

        @functools.wraps(fn)
        async def job(ctx: dict, tenant_id: int, **kwargs: Any) -> Any:
            kwargs.pop(LEGACY_FAILED_BEFORE, None)
            settings: Settings | None = ctx.get("settings")
            job_id = ctx.get("job_id")
            if settings is None or job_id is None:  # not run by a worker of ours
                return await run(ctx, tenant_id, kwargs, None)
            redis = ctx["redis"]
            enqueued = ctx.get("enqueue_time")
            enqueued_ms = int(enqueued.timestamp() * 1000) if enqueued else 0
            if not await fair_queue.take_slot(redis, settings, tenant_id, job_id, enqueued_ms):
                fair_queue.count_put_back(name, job_id, tenant_id)
                raise WaitForSlot()  # its queue entry already says when it looks again
            leases = ctx.get("leases")
            if leases is not None:
                leases[job_id] = tenant_id  # renewed by the worker's lease heartbeat
            try:
                return await run(ctx, tenant_id, kwargs, settings)
            finally:
                if leases is not None:
                    leases.pop(job_id, None)
                await fair_queue.release_slot(redis, settings, tenant_id, job_id)

        async def run(
            ctx: dict, tenant_id: int, kwargs: dict[str, Any], settings: Settings | None
        ) -> Any:
            actor = Actor(
                user_id=SYSTEM_ACTOR.user_id,
                tenant_id=tenant_id,
                roles=SYSTEM_ACTOR.roles,
                email=f"job:{fn.__name__}",
                request_id=ctx.get("job_id"),
            )
            event_id, topic = kwargs.get("event_id"), kwargs.get("topic")
            # The outbox event this job is one of (its done_jobs are marked), if any.
            event = (
                (event_id, topic)
                if isinstance(event_id, int) and event_id > 0 and isinstance(topic, str)
                else None
            )
            scope: AbstractAsyncContextManager = (
                tenant_transaction(tenant_id) if transactional else nullcontext()
            )
            try:
                if not transactional:  # refuse suspended regions up front all the same
                    async with tenant_transaction(tenant_id):
                        pass
                call_kwargs = kwargs
                if with_worker:
                    call_kwargs = {**kwargs, "worker": WorkerContext(ctx["redis"], ctx["settings"])}
                async with scope:
                    result = await fn(actor, **call_kwargs)
                    if event is not None and transactional:  # with the handlers' own commit
                        await _event_job_done(event[0], name, event[1])
                if event is not None and not transactional:
                    async with tenant_transaction(tenant_id):
                        await _event_job_done(event[0], name, event[1])
            except TenantUnavailable as exc:
                log.warning("job %s skipped for tenant %s: %s", fn.__name__, tenant_id, exc.code)
                if on_skip is not None:
                    await on_skip(actor, exc, **kwargs)
                return {"skipped": exc.code}
            except Exception as exc:
                # Rolled back (or committed only finished steps): it can run again.
                if settings is None:
                    raise
                await _failed(ctx, settings, actor, exc, kwargs)
                raise  # not reached: _failed raises
            if ctx.get("job_id"):
                await _forget_failures(ctx["redis"], ctx["job_id"])
            return result

        async def _failed(
            ctx: dict, settings: Settings, actor: Actor, exc: Exception, kwargs: dict[str, Any]
        ) -> None:
            job_id, redis = ctx["job_id"], ctx["redis"]
            job_try = ctx.get("job_try", 1)
            if dependency_unavailable(exc):
                n = await _count_failure(redis, job_id, "unavailable", job_try)
                delay = outage_backoff_seconds(n, settings.job_retry_max_seconds)
                # One line per job and outage, not one per try.
                (log.warning if n == 1 else log.debug)(
                    "job %s: a dependency is unavailable (%s); retrying every ≤ %.0f s",
                    fn.__name__,
                    type(exc).__name__,
                    settings.job_retry_max_seconds,
                )
                raise DependencyDown(defer=delay) from exc
            failures = await _count_failure(redis, job_id, "failed", job_try)
            log.error(
                "job %s failed (failure %s of %s)",
                fn.__name__,
                failures,
                settings.job_max_failures,
                exc_info=exc,
            )
            if failures < settings.job_max_failures:
                raise RunAgain(
                    defer=backoff_seconds(failures, settings.job_failure_backoff_seconds)
                ) from exc
            try:
                async with tenant_transaction(actor.tenant_id, require_active=False):
                    await parking.park(
                        job_id=job_id,
                        function=name,
                        kwargs=kwargs,
                        error=f"{type(exc).__name__}: {exc}",
                        failures=failures,
                    )
                if on_final_failure is not None:
                    await on_final_failure(actor, exc, **kwargs)
            except Exception as park_exc:
                if dependency_unavailable(park_exc):  # parked once the database is back
                    raise DependencyDown(
                        defer=outage_backoff_seconds(1, settings.job_retry_max_seconds)
                    ) from exc
                raise
            metrics.JOBS_PARKED.labels(name).inc()
            await _forget_failures(redis, job_id)
            raise JobDead(f"parked as dead after {failures} failures: {exc}") from exc

        return job

    return wrap(body) if body is not None else wrap


# Which jobs an outbox event starts (`workers.routing.jobs_for`), to tell whether a job was
# its event's last. The routing table registers it when imported (`use_routing`): it imports
# the handlers' modules, which import this one, so this module cannot import it.
_routing: list[Callable[[int, str], list[tuple[str, str]]]] = []


def use_routing(jobs_for: Callable[[int, str], list[tuple[str, str]]]) -> None:
    _routing[:] = [jobs_for]


async def _event_job_done(event_id: int, job: str, topic: str) -> None:
    if not _routing:
        raise RuntimeError("the routing table (workers.routing) is not loaded")
    expected = [function for function, _ in _routing[0](event_id, topic)]
    await outbox.mark_job_done(event_id, job, expected)


async def enqueue_for_active_regions(queue: Any, function: str, *, run: str) -> int:
    """A cron's fan-out: one `function` job per active region, so each region's work runs in
    its own tenant transaction and is retried alone. The job id `function:tenant:run` makes
    two schedulers of the same run (e.g. the same hour) enqueue each job once."""
    region_ids = await Tenant.filter(status=RegionStatus.ACTIVE).values_list("id", flat=True)
    for tenant_id in region_ids:
        await enqueue(queue, function, job_id=f"{function}:{tenant_id}:{run}", tenant_id=tenant_id)
    return len(region_ids)
