"""The tenant of the current request or job, and the transaction that carries it.

Row-level security reads `app.tenant_id`, set transaction-locally (`set_config(…, true)`) as
the first statement of the transaction, so it is safe with pooled connections. Every ORM call
in the block is bound to the transaction's connection through Tortoise's contextvars.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from tortoise import connections
from tortoise.transactions import in_transaction

from kinerja_saas.errors import AuthenticationFailed
from tenants.fair_share import attribute_to_region

_OUTSIDE = object()  # no tenant transaction is open
_current_tenant: contextvars.ContextVar[object] = contextvars.ContextVar(
    "current_tenant", default=_OUTSIDE
)


# The callbacks to run once the outermost tenant transaction has committed (a list shared
# with the tasks started inside it, e.g. sibling GraphQL fields); None: none is open.
_after_commit: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "after_commit", default=None
)


def after_commit(callback: Callable[[], None]) -> None:
    """Runs `callback` once the outermost tenant transaction commits, never on rollback
    (at once when no tenant transaction is open). It must be quick and must not raise:
    e.g. it schedules a Redis message about what was committed."""
    pending = _after_commit.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)


class NoTenant(RuntimeError):
    """Tenant-scoped code ran outside a tenant transaction, or in platform scope."""


def current_tenant_id() -> int:
    tenant_id = _current_tenant.get()
    if not isinstance(tenant_id, int):
        raise NoTenant("no tenant in context")
    return tenant_id


class TenantUnavailable(AuthenticationFailed):
    """The region does not exist or is suspended: nothing of it is served."""


async def _set_tenant_setting(conn, tenant_id: int | None) -> tuple[str | None, str | None]:
    """Sets the tenant and reads its status and plan in one round trip."""
    _, rows = await conn.execute_query(
        "SELECT set_config('app.tenant_id', $1, true) AS tenant, t.status, t.plan"
        " FROM (SELECT 1) AS one LEFT JOIN tenants t ON t.id = NULLIF($1, '')::bigint",
        ["" if tenant_id is None else str(tenant_id)],
    )
    return rows[0]["status"], rows[0]["plan"]


@asynccontextmanager
async def tenant_transaction(
    tenant_id: int | None,
    *,
    require_active: bool = True,
    admit: Callable[[str | None], Awaitable[None]] | None = None,
) -> AsyncIterator[object]:
    """One transaction scoped to `tenant_id` (None: platform scope, tenant tables empty).

    Nested inside another tenant transaction it is a savepoint, and the outer tenant is
    restored when it ends (a transaction-local setting survives RELEASE SAVEPOINT).
    `admit(plan)` runs once the region is known to be active, with its plan (read in the
    same statement), and may refuse the work by raising (the API's rate limits).
    """
    outer = _current_tenant.get()
    pending: list[Callable[[], None]] | None = None
    if _after_commit.get() is None:
        pending = []
        pending_token = _after_commit.set(pending)
    try:
        async with _transaction(tenant_id, outer, require_active, admit) as conn:
            yield conn
    finally:
        if pending is not None:
            _after_commit.reset(pending_token)
    for callback in pending or ():
        callback()  # reached only when the transaction committed


@asynccontextmanager
async def _transaction(
    tenant_id: int | None,
    outer: object,
    require_active: bool,
    admit: Callable[[str | None], Awaitable[None]] | None,
) -> AsyncIterator[object]:
    async with in_transaction() as conn:
        # A new top-level transaction starts with no tenant (the setting is transaction-
        # local): platform scope needs no statement there.
        status, plan = (
            (None, None)
            if tenant_id is None and outer is _OUTSIDE
            else await _set_tenant_setting(conn, tenant_id)
        )
        if tenant_id is not None and require_active and status != "ACTIVE":
            raise TenantUnavailable(
                "This region is suspended." if status else "This region does not exist.",
                code="REGION_SUSPENDED" if status else "REGION_UNKNOWN",
            )
        if admit is not None:
            await admit(plan)
        token = _current_tenant.set(tenant_id)
        try:
            yield conn
        finally:
            _current_tenant.reset(token)
    if outer is not _OUTSIDE and outer != tenant_id:
        await _set_tenant_setting(connections.get("default"), outer)  # type: ignore[arg-type]


async def enter_tenant(tenant_id: int) -> None:
    """Switches the rest of the current transaction to `tenant_id`: after `login`, the
    request that started anonymous resolves the new user's payload in their region, and a
    public survey submission runs in the code's region (and counts as its, fair_share.py).
    The enclosing `tenant_transaction` restores its own tenant when it ends."""
    if _current_tenant.get() is _OUTSIDE:
        raise NoTenant("enter_tenant needs an open tenant transaction")
    attribute_to_region(tenant_id)
    await _set_tenant_setting(connections.get("default"), tenant_id)
    _current_tenant.set(tenant_id)
