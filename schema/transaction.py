"""Each GraphQL operation runs in one transaction of the caller's tenant.

The transaction is opened after parsing and validation (an invalid document costs no
database work) and rolled back when the result carries errors, so a failing operation
leaves the database as it was. Fair sharing (kinerja_saas/admission.py) comes first: the
operation waits for one of its region's slots, and the region's and the login's request
limits are counted once the region is known to be active (its plan is read with the
tenant setting, in the same statement).
"""

from __future__ import annotations

import contextlib
import logging

from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from kinerja_saas.database import database_unavailable
from kinerja_saas.errors import DomainError
from kinerja_saas.ratelimit import RateLimited
from schema.error_codes import ApiError
from schema.errors import UNEXPECTED_MESSAGE, unavailable_error
from schema.response_cache import bump_generation
from tenants.context import Binding, tenant_transaction

log = logging.getLogger("kinerja.graphql")


class _Rollback(Exception):
    pass


class TenantTransaction(SchemaExtension):
    async def on_execute(self):
        context = self.execution_context.context
        if context.auth_error is not None:
            raise context.auth_error
        actor = context.actor
        tenant_id = actor.tenant_id if actor else None
        fair_share = context.fair_share
        admit = None
        if fair_share is not None and actor is not None:

            async def admit(plan: str | None) -> None:
                context.region_plan = plan  # a cached response's request limits
                if not context.request_counted:
                    await fair_share.limiter.admit(actor, plan)

        slot = fair_share.slots.slot(tenant_id) if fair_share else contextlib.nullcontext()
        # The request's region, fixed before its first field: by the token, or (none) by
        # the first public field that names one (tenants/context.py, schema/isolation.py).
        binding = Binding(
            tenant_id,
            fixed=actor is not None,
            visits=actor is not None and actor.is_operator,
            serial=self.execution_context.operation_type == OperationType.MUTATION,
        )
        try:
            async with slot, tenant_transaction(tenant_id, admit=admit, binding=binding):
                yield
                result = self.execution_context.result
                if result is not None and getattr(result, "errors", None):
                    raise _Rollback
            if binding.serial:
                # Committed: cached reads of the region stop being served before this
                # response leaves, so the writer (and everyone) reads the write at once.
                await _invalidate_cached_reads(context, actor)
        except Exception as exc:
            if isinstance(exc, RateLimited):
                _retry_after(context, exc.retry_after)
                raise
            if not isinstance(exc, _Rollback):
                if database_unavailable(exc):
                    # Opening or committing failed: the server restarted or is out of reach.
                    # A typed error, not the driver's message; the pool replaces the broken
                    # connection, so the next request can succeed.
                    log.warning("database unavailable (%s): request refused", type(exc).__name__)
                    raise unavailable_error() from exc
                if isinstance(exc, GraphQLError | DomainError):
                    raise
                # Raised here, it would skip MaskErrors (which works on results): mask it.
                log.exception("the operation's transaction failed")
                raise GraphQLError(UNEXPECTED_MESSAGE) from exc
            is_mutation = self.execution_context.operation_type == OperationType.MUTATION
            if is_mutation and any(v is not None for v in (result.data or {}).values()):
                # Payloads that resolved before the failure must not read as saved.
                result.errors.append(
                    GraphQLError(
                        ApiError.ROLLED_BACK.render(),
                        extensions={"code": ApiError.ROLLED_BACK.value},
                    )
                )


async def _invalidate_cached_reads(context, actor) -> None:
    if actor is not None:
        await bump_generation(context.redis, None if actor.is_operator else actor.tenant_id)
    elif context.public_tenant_id is not None:  # a public form's submission
        await bump_generation(context.redis, context.public_tenant_id)
    # Anonymous without a region (login, refreshToken, activateAccount): their writes are
    # sessions, met by the revocation check before any cached response.


def _retry_after(context, seconds: int) -> None:
    """HTTP clients and proxies understand Retry-After without reading the body."""
    if isinstance(context.response, Response):  # not on a WebSocket
        context.response.headers["Retry-After"] = str(seconds)
