"""The tenant of the current request or job, and the transaction that carries it.

Row-level security reads `app.tenant_id`, set transaction-locally (`set_config(…, true)`) as
the first statement of the transaction, so it is safe with pooled connections. Every ORM call
in the block is bound to the transaction's connection through Tortoise's contextvars.

A request is bound to one region (`Binding`) before its first field runs: by its credentials,
or for a request without any, by the first public field that names a region (`enter_tenant`).
From then on nothing in the request can move its transaction to another region: neither
`enter_tenant` nor a nested `tenant_transaction` (RegionMismatch). Row-level security cannot
tell such a switch from a legitimate one, so this is where it is refused.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tortoise import connections
from tortoise.transactions import in_transaction

from kinerja_saas.errors import AuthenticationFailed, PermissionDenied
from tenants.errors import TenancyError

_OUTSIDE = object()  # no tenant transaction is open

# Called with the region's id when an operation that started without one enters it
# (`enter_tenant`): admission control (kinerja_saas/admission.py) registers itself here, so
# the ground floor never imports what sits above it.
_region_found_hooks: list[Callable[[int], None]] = []


def on_region_found(hook: Callable[[int], None]) -> None:
    """Registers `hook(tenant_id)`, called by `enter_tenant` before the switch (idempotent)."""
    if hook not in _region_found_hooks:
        _region_found_hooks.append(hook)


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


REGION_MISMATCH_MESSAGE = TenancyError.REGION_MISMATCH.render()


class RegionMismatch(PermissionDenied):
    """Something in a request bound to one region reached for another."""

    code = "REGION_MISMATCH"

    def __init__(self) -> None:
        super().__init__(TenancyError.REGION_MISMATCH)


@dataclass(eq=False)
class Binding:
    """The region one request is bound to: one object per request, shared by every task of
    it (graphql-core runs sibling query fields as tasks with copies of the contextvars; a
    copy holds the same object, so a binding made in one is seen by all).

    - a region's user: `fixed` to their region from the start;
    - a platform operator: `fixed` to no region; `visits` lets operator fields work in a
      region inside a nested transaction (a savepoint that restores platform scope), never
      switch the request into one;
    - no credentials: not fixed until the first public field names a region (`enter_tenant`).
      Until then a nested transaction may look into a region (login checks the password in
      each region the e-mail has a login in) without binding the request.

    `serial`: the operation's fields run one after another (a mutation). Sibling query
    fields share one connection at once, so in a query no field may move the connection to
    another region even for a moment."""

    tenant_id: int | None
    fixed: bool
    visits: bool = False
    serial: bool = True

    def check_visit(self, tenant_id: int | None) -> None:
        if tenant_id == self.tenant_id:
            return
        if not self.serial or (self.fixed and not self.visits):
            raise RegionMismatch()

    def check_enter(self, tenant_id: int) -> None:
        if tenant_id == self.tenant_id:
            return
        if self.fixed:
            raise RegionMismatch()
        self.tenant_id, self.fixed = tenant_id, True


_binding: contextvars.ContextVar[Binding | None] = contextvars.ContextVar(
    "request_binding", default=None
)


def check_region(tenant_id: int | None) -> None:
    """The guards' second line: an actor of `tenant_id` is admitted only by a transaction of
    the same region (or none is open: a subscription between events, a test)."""
    current = _current_tenant.get()
    if current is not _OUTSIDE and current != tenant_id:
        raise RegionMismatch()


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
    binding: Binding | None = None,
) -> AsyncIterator[object]:
    """One transaction scoped to `tenant_id` (None: platform scope, tenant tables empty).

    Nested inside another tenant transaction it is a savepoint, and the outer tenant is
    restored when it ends (a transaction-local setting survives RELEASE SAVEPOINT); inside a
    bound request (`binding`, given by the request's own transaction) it must stay in the
    request's region (Binding.check_visit).
    `admit(plan)` runs once the region is known to be active, with its plan (read in the
    same statement), and may refuse the work by raising (the API's rate limits).
    """
    outer = _current_tenant.get()
    if binding is None:
        bound = _binding.get()
        if bound is not None and outer is not _OUTSIDE:
            bound.check_visit(tenant_id)
    pending: list[Callable[[], None]] | None = None
    if _after_commit.get() is None:
        pending = []
        pending_token = _after_commit.set(pending)
    try:
        async with _transaction(tenant_id, outer, require_active, admit, binding) as conn:
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
    binding: Binding | None,
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
                TenancyError.REGION_SUSPENDED if status else TenancyError.REGION_UNKNOWN
            )
        if admit is not None:
            await admit(plan)
        token = _current_tenant.set(tenant_id)
        bound_token = _binding.set(binding) if binding is not None else None
        try:
            yield conn
        finally:
            if bound_token is not None:
                _binding.reset(bound_token)
            _current_tenant.reset(token)
    if outer is not _OUTSIDE and outer != tenant_id:
        await _set_tenant_setting(connections.get("default"), outer)  # type: ignore[arg-type]


async def enter_tenant(tenant_id: int) -> None:
    """Switches the rest of the current transaction to `tenant_id`: after `login`, the
    request that started anonymous resolves the new user's payload in their region, and a
    public survey submission runs in the code's region (and counts as its: the
    `on_region_found` hooks, kinerja_saas/admission.py).
    The enclosing `tenant_transaction` restores its own tenant when it ends.

    In a request, only the first region named may be entered: it binds the request, and any
    other region is refused (RegionMismatch) before anything runs there."""
    if _current_tenant.get() is _OUTSIDE:
        raise NoTenant("enter_tenant needs an open tenant transaction")
    bound = _binding.get()
    if bound is not None:
        bound.check_enter(tenant_id)
    for hook in _region_found_hooks:
        hook(tenant_id)
    await _set_tenant_setting(connections.get("default"), tenant_id)
    _current_tenant.set(tenant_id)
