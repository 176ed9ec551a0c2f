"""Each GraphQL operation runs in one transaction of the caller's tenant.

The transaction is opened after parsing and validation (an invalid document costs no
database work) and rolled back when the result carries errors, so a failing operation
leaves the database as it was.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from kinerja_saas.database import database_unavailable
from kinerja_saas.errors import DomainError
from schema.errors import unavailable_error
from tenants.context import tenant_transaction

log = logging.getLogger("kinerja.graphql")


class _Rollback(Exception):
    pass


class TenantTransaction(SchemaExtension):
    async def on_execute(self):
        context = self.execution_context.context
        if context.auth_error is not None:
            raise context.auth_error
        tenant_id = context.actor.tenant_id if context.actor else None
        try:
            async with tenant_transaction(tenant_id):
                yield
                result = self.execution_context.result
                if result is not None and getattr(result, "errors", None):
                    raise _Rollback
        except Exception as exc:
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
                raise GraphQLError("Unexpected error.") from exc
            is_mutation = self.execution_context.operation_type == OperationType.MUTATION
            if is_mutation and any(v is not None for v in (result.data or {}).values()):
                # Payloads that resolved before the failure must not read as saved.
                result.errors.append(
                    GraphQLError(
                        "The operation failed, so none of its changes were saved.",
                        extensions={"code": "ROLLED_BACK"},
                    )
                )
