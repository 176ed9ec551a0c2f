"""Every job carries its tenant; the wrapper opens that tenant's transaction first, so a
job body is isolated by row-level security exactly like a request."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from arq import Retry

from kinerja_saas.auth.actor import SYSTEM_ACTOR, Actor
from kinerja_saas.settings import Settings
from tenants.context import TenantUnavailable, tenant_transaction
from tenants.models import RegionStatus, Tenant
from workers import fair_queue
from workers.queue import enqueue

log = logging.getLogger("kinerja.jobs")


@dataclass(frozen=True)
class WorkerContext:
    queue: Any  # the worker's arq connection
    settings: Settings


MAX_TRIES = 5


def backoff_seconds(attempt: int) -> float:
    """1, 4, 16, 64 s … capped at 5 minutes."""
    return min(4 ** (attempt - 1), 300)


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
    retried with backoff; after the last try `on_final_failure(actor, exc, **kwargs)` runs.
    A job of a suspended or unknown region is skipped; `on_skip(actor, exc, **kwargs)` lets
    it record that rather than stay pending for ever. `with_worker=True` passes the worker's
    queue and settings as `worker=` (a body that enqueues follow-up jobs after its commits).

    A job whose region already runs its share of jobs is put back in the queue instead of
    running (workers/fair_queue.py).
    """

    def wrap(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(fn)
        async def job(ctx: dict, tenant_id: int, **kwargs: Any) -> Any:
            failed_before = kwargs.pop(fair_queue.FAILED_BEFORE, 0)
            attempt = ctx.get("job_try", 1) + failed_before
            settings: Settings | None = ctx.get("settings")
            job_id = ctx.get("job_id")
            if settings is None or job_id is None:  # not run by a worker of ours
                return await run(ctx, tenant_id, attempt, kwargs)
            redis = ctx["redis"]
            if not await fair_queue.take_slot(redis, settings, tenant_id, job_id):
                return await fair_queue.put_back(
                    redis,
                    settings,
                    function=fn.__qualname__,  # arq's default name of a function
                    job_id=job_id,
                    tenant_id=tenant_id,
                    failed_before=attempt - 1,
                    kwargs=kwargs,
                )
            try:
                return await run(ctx, tenant_id, attempt, kwargs)
            finally:
                await fair_queue.release_slot(redis, settings, tenant_id, job_id)

        async def run(ctx: dict, tenant_id: int, attempt: int, kwargs: dict[str, Any]) -> Any:
            actor = Actor(
                user_id=SYSTEM_ACTOR.user_id,
                tenant_id=tenant_id,
                roles=SYSTEM_ACTOR.roles,
                email=f"job:{fn.__name__}",
                request_id=ctx.get("job_id"),
            )
            scope: AbstractAsyncContextManager = (
                tenant_transaction(tenant_id) if transactional else nullcontext()
            )
            try:
                if not transactional:  # refuse suspended regions up front all the same
                    async with tenant_transaction(tenant_id):
                        pass
                if with_worker:
                    kwargs = {**kwargs, "worker": WorkerContext(ctx["redis"], ctx["settings"])}
                async with scope:
                    return await fn(actor, **kwargs)
            except TenantUnavailable as exc:
                log.warning("job %s skipped for tenant %s: %s", fn.__name__, tenant_id, exc.code)
                if on_skip is not None:
                    await on_skip(actor, exc, **kwargs)
                return {"skipped": exc.code}
            except Exception as exc:
                # Rolled back (or committed only finished steps): it can run again.
                log.exception("job %s failed (attempt %s)", fn.__name__, attempt)
                if attempt < MAX_TRIES:
                    raise Retry(defer=backoff_seconds(attempt)) from exc
                if on_final_failure is not None:
                    await on_final_failure(actor, exc, **kwargs)
                raise

        return job

    return wrap(body) if body is not None else wrap


async def enqueue_for_active_regions(queue: Any, function: str, *, run: str) -> int:
    """A cron's fan-out: one `function` job per active region, so each region's work runs in
    its own tenant transaction and is retried alone. The job id `function:tenant:run` makes
    two schedulers of the same run (e.g. the same hour) enqueue each job once."""
    region_ids = await Tenant.filter(status=RegionStatus.ACTIVE).values_list("id", flat=True)
    for tenant_id in region_ids:
        await enqueue(queue, function, job_id=f"{function}:{tenant_id}:{run}", tenant_id=tenant_id)
    return len(region_ids)
