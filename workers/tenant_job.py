"""Every job carries its tenant; the wrapper opens that tenant's transaction first, so a
job body is isolated by row-level security exactly like a request."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Retry

from kinerja_saas.auth.actor import SYSTEM_ACTOR, Actor
from tenants.context import TenantUnavailable, tenant_transaction

log = logging.getLogger("kinerja.jobs")

MAX_TRIES = 5


def backoff_seconds(attempt: int) -> float:
    """1, 4, 16, 64 s … capped at 5 minutes."""
    return min(4 ** (attempt - 1), 300)


def tenant_job(
    body: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Any]]:
    """Wraps `body(actor, **kwargs)` as an arq job `job(ctx, tenant_id, **kwargs)`."""

    @functools.wraps(body)
    async def job(ctx: dict, tenant_id: int, **kwargs: Any) -> Any:
        actor = Actor(
            user_id=SYSTEM_ACTOR.user_id,
            tenant_id=tenant_id,
            roles=SYSTEM_ACTOR.roles,
            email=f"job:{body.__name__}",
            request_id=ctx.get("job_id"),
        )
        try:
            async with tenant_transaction(tenant_id):
                return await body(actor, **kwargs)
        except TenantUnavailable as exc:
            log.warning("job %s skipped for tenant %s: %s", body.__name__, tenant_id, exc.code)
            return {"skipped": exc.code}
        except Exception as exc:
            # The transaction rolled back, so the job can run again from the start.
            attempt = ctx.get("job_try", 1)
            log.exception("job %s failed (attempt %s)", body.__name__, attempt)
            if attempt < MAX_TRIES:
                raise Retry(defer=backoff_seconds(attempt)) from exc
            raise

    return job
