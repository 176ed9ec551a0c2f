"""The isolation rule of a request: its region is fixed before its first field runs.

By its credentials (the access token: tenants.context.Binding, opened by TenantTransaction)
or, for a request without any, by the first public field that names a region
(`tenants.context.enter_tenant`); nothing later in the request may change it.

Fields that authenticate — they take a credential of their own (a password, a refresh or
activation token) and hand out tokens — would otherwise be a way to name a second region
inside one request: `login` of region A's account followed by `createUnit`, sent with region
B's admin token, ran `createUnit` in A with B's roles. So:

- `ALONE` fields run only as the sole field of their operation: checked over the document
  before anything runs (a validation rule, fragments expanded), so a document that breaks
  it is refused whole and is never kept by the document cache;
- `ANONYMOUS` fields (login, refreshToken, activateAccount: they are `ALONE` too) are
  refused on a request that carries a token, before the request's transaction opens.

Both are declared on the fields themselves (`metadata=`), so a new authenticating field
(a password reset) is covered by marking it, and tests/security/test_composed.py composes
every field that names a region with every other field to prove the rule holds."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from schema.error_codes import ApiError

_KEY = "kinerja.authentication"
# Runs only as the sole field of its operation (logout, changePassword: they work with a
# token, but end or replace sessions).
ALONE = {_KEY: "alone"}
# Also refused on a request that already carries a token (login, refreshToken,
# activateAccount, a password reset: anything that issues tokens to who is not logged in).
ANONYMOUS = {_KEY: "anonymous"}

ALONE_CODE = ApiError.AUTHENTICATION_ALONE.value
ALONE_MESSAGE = ApiError.AUTHENTICATION_ALONE.render()
WITH_TOKEN_CODE = ApiError.ALREADY_AUTHENTICATED.value
WITH_TOKEN_MESSAGE = ApiError.ALREADY_AUTHENTICATED.render()


def authentication_kind(root: GraphQLObjectType | None, name: str) -> str | None:
    """The root field's kind, "alone" or "anonymous", or None. A field that hands out an
    access token runs alone even when nobody marked it."""
    definition = root.fields.get(name) if root is not None else None
    if definition is None:
        return None
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    metadata = getattr(strawberry_field, "metadata", None) or {}
    kind = metadata.get(_KEY)
    if kind is None and "accessToken" in getattr(get_named_type(definition.type), "fields", {}):
        return "alone"
    return kind


def root_fields(
    selections: SelectionSetNode, fragment, seen: frozenset[str] = frozenset()
) -> Iterator[FieldNode]:
    """The fields an operation selects at its root, through inline fragments and fragment
    spreads (each fragment once: a cycle is refused by validation anyway)."""
    for node in selections.selections:
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            yield from root_fields(node.selection_set, fragment, seen)
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            definition = fragment(node.name.value)
            if definition is not None:
                yield from root_fields(definition.selection_set, fragment, seen | {node.name.value})


class AuthenticationAlone(ValidationRule):
    """An operation that selects an authentication field selects nothing else: no second
    field, no alias of the same field, not even `__typename` (fields skipped by @skip or
    @include count too: the rule is about the document, not the variables)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
        root = self.context.schema.get_root_type(node.operation)
        fields = list(root_fields(node.selection_set, self.context.get_fragment))
        authenticating = [f for f in fields if authentication_kind(root, f.name.value)]
        if authenticating and len(fields) > 1:
            self.report_error(
                GraphQLError(ALONE_MESSAGE, authenticating[0], extensions={"code": ALONE_CODE})
            )


def anonymous_fields(document, operation_name: str | None, schema) -> list[str]:
    """The executed operation's root fields that refuse a request with a token."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return []
    root = schema.get_root_type(operation.operation)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return [
        f.name.value
        for f in root_fields(operation.selection_set, fragments.get)
        if authentication_kind(root, f.name.value) == "anonymous"
    ]


class AnonymousOnly(SchemaExtension):
    """Refuses login, refreshToken and activateAccount on a request that carries a token
    (valid or not), before its transaction opens: a request's region comes from its
    credentials, so a second set of credentials inside it has no region to act in."""

    def on_execute(self):
        ctx = self.execution_context
        context = ctx.context
        document = ctx.graphql_document
        if document is not None and _carries_token(context):
            if anonymous_fields(document, ctx.operation_name, ctx.schema._schema):
                raise GraphQLError(WITH_TOKEN_MESSAGE, extensions={"code": WITH_TOKEN_CODE})
        yield


def _carries_token(context) -> bool:
    if getattr(context, "actor", None) is not None:
        return True
    if getattr(context, "auth_error", None) is not None:
        return True
    request = getattr(context, "request", None)
    headers = getattr(request, "headers", None)
    return bool(headers is not None and headers.get("authorization"))
