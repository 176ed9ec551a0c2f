"""Each GraphQL operation runs in one transaction of the caller's tenant.

The transaction is opened after parsing and validation (an invalid document costs no
database work) and rolled back when the result carries errors, so a failing operation
leaves the database as it was.
"""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from tenants.context import tenant_transaction


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
        except _Rollback:
            is_mutation = self.execution_context.operation_type == OperationType.MUTATION
            if is_mutation and any(v is not None for v in (result.data or {}).values()):
                # Payloads that resolved before the failure must not read as saved.
                result.errors.append(
                    GraphQLError(
                        "The operation failed, so none of its changes were saved.",
                        extensions={"code": "ROLLED_BACK"},
                    )
                )
