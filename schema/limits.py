"""Cost limit: every selected field costs 1, times the sizes of the lists above it.

A connection counts as its `first` argument (or the default page size), a plain list as
LIST_ESTIMATE items. Depth, alias and token limits come from Strawberry's extensions;
Strawberry has no cost limit of its own, and page sizes given as variables are only
known at execution time, so this runs when execution starts, before any SQL.

On a document kept by the document cache (schema/document_cache.py) the verdicts that
depend only on its text are memoised with it: DocumentShape's fragment expansion,
password-mutation count and NUL scan of the literals, and the cost per operation name and
values of the page-size variables the cost read. Variables' NUL characters are checked on
every request; nothing here depends on the viewer or the region.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from schema.document_cache import DocumentStore
from schema.error_codes import ApiError
from schema.pagination import DEFAULT_PAGE_SIZE

LIST_ESTIMATE = 10  # a plain list (a unit's children…): typically a handful
MAX_WALK_DEPTH = 50
MAX_COSTS_PER_DOCUMENT = 16  # memoised costs per document: operation name × page sizes


class DocumentRules(SchemaExtension):
    """The document's validation rules and token limit, set in one hook: what Strawberry's
    `AddValidationRules` (once per list of rules) and `MaxTokensLimiter` each set in a hook
    of their own — the same rules appended in the same order, the same parse option — with
    one extension instance and one hook per request instead of three."""

    def __init__(self, validation_rules: tuple[type, ...], max_tokens: int) -> None:
        self.validation_rules = validation_rules
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = context.validation_rules + self.validation_rules
        context.parse_options["max_tokens"] = self.max_tokens
        yield


def _page_size(value: Any) -> int | None:
    return value if isinstance(value, int) else None


class _Estimator:
    """cost(selections, m) = m × cost(selections, 1), so each fragment is costed once per
    type and the walk stays linear in the document even for nested fragment spreads."""

    def __init__(self, schema: GraphQLSchema, document, variables: dict[str, Any]) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, str], int] = {}
        self.read: dict[str, None] = {}  # the variables the cost depends on, in order

    def _first(self, field: FieldNode) -> int | None:
        for arg in field.arguments or ():
            if arg.name.value != "first":
                continue
            if isinstance(arg.value, IntValueNode):
                return int(arg.value.value)
            if isinstance(arg.value, VariableNode):
                self.read[arg.value.name.value] = None
                return _page_size(self.variables.get(arg.value.name.value))
        return None

    def _size(self, field: FieldNode, return_type, parent: GraphQLObjectType) -> int:
        if parent.name.endswith("Connection"):
            return 1  # edges: already counted by the connection's page size
        if get_named_type(return_type).name.endswith("Connection"):
            return max(self._first(field) or DEFAULT_PAGE_SIZE, 1)
        unwrapped = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        return LIST_ESTIMATE if isinstance(unwrapped, GraphQLList) else 1

    def cost(self, selections: SelectionSetNode | None, parent, depth: int = 0) -> int:
        if (
            selections is None
            or depth > MAX_WALK_DEPTH
            or not isinstance(parent, GraphQLObjectType)
        ):
            return 0
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                definition = parent.fields.get(node.name.value)
                if definition is None:  # __typename and introspection
                    total += 1
                    continue
                size = self._size(node, definition.type, parent)
                total += 1 + size * self.cost(
                    node.selection_set, get_named_type(definition.type), depth + 1
                )
            elif isinstance(node, InlineFragmentNode):
                target = (
                    self.schema.get_type(node.type_condition.name.value)
                    if node.type_condition
                    else parent
                )
                total += self.cost(node.selection_set, target, depth + 1)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is None:
                    continue
                key = (node.name.value, parent.name)
                if key not in self.memo:
                    self.memo[key] = 0  # a cycle (refused by validation) counts nothing
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    self.memo[key] = self.cost(fragment.selection_set, target, depth + 1)
                total += self.memo[key]
        return total


def operation_cost_and_reads(
    schema: GraphQLSchema, document, operation_name: str | None, variables: dict[str, Any]
) -> tuple[int, tuple[str, ...]]:
    """The cost, and the names of the variables it read (their values are all it depends
    on besides the document and the operation name)."""
    estimator = _Estimator(schema, document, variables or {})
    for op in document.definitions:
        if not isinstance(op, OperationDefinitionNode):
            continue
        if operation_name is None or (op.name and op.name.value == operation_name):
            root = schema.get_root_type(op.operation)
            return estimator.cost(op.selection_set, root), tuple(estimator.read)
    return 0, ()


def operation_cost(
    schema: GraphQLSchema, document, operation_name: str | None, variables: dict[str, Any]
) -> int:
    return operation_cost_and_reads(schema, document, operation_name, variables)[0]


class CostLimit(SchemaExtension):
    def __init__(self, *, max_cost: int, store: DocumentStore | None = None) -> None:
        self.max_cost = max_cost
        self.store = store

    def _cost(self, document) -> int:
        ctx = self.execution_context
        variables = ctx.variables or {}
        memo = self.store.memo(ctx.query, document) if self.store is not None else None
        # operation name → (the variables the cost reads, their page sizes → cost)
        operations = memo.setdefault("cost", {}) if memo is not None else {}
        known = operations.get(ctx.operation_name)
        if known is not None:
            names, costs = known
            cost = costs.get(tuple(_page_size(variables.get(name)) for name in names))
            if cost is not None:
                return cost
        cost, names = operation_cost_and_reads(
            ctx.schema._schema, document, ctx.operation_name, variables
        )
        # The names read depend only on the document and the operation name. Bounded: a
        # client choosing operation names or page sizes cannot grow the memo.
        if memo is not None and sum(len(c) for _, c in operations.values()) < (
            MAX_COSTS_PER_DOCUMENT
        ):
            names, costs = operations.setdefault(ctx.operation_name, (names, {}))
            costs[tuple(_page_size(variables.get(name)) for name in names)] = cost
        return cost

    def on_execute(self):
        document = self.execution_context.graphql_document
        if document is not None:
            cost = self._cost(document)
            if cost > self.max_cost:
                raise GraphQLError(
                    ApiError.QUERY_TOO_COSTLY.render(cost=cost, max=self.max_cost),
                    extensions={"code": ApiError.QUERY_TOO_COSTLY.value, "cost": cost},
                )
        yield


AUTH_MUTATIONS = frozenset({"login", "refreshToken", "activateAccount"})


def _nul_in_value(value: Any, path: str) -> str | None:
    """The path of the first string holding a NUL character in a variable's value."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _nul_in_value(item, f"{path}.{key}" if isinstance(key, str) else path)
        if found:
            return found
    return None


def _nul_in_literal(node: Any, path: str) -> str | None:
    if isinstance(node, StringValueNode):
        return path if "\x00" in node.value else None
    if isinstance(node, ObjectValueNode):
        for field in node.fields:
            found = _nul_in_literal(field.value, f"{path}.{field.name.value}")
            if found:
                return found
    if isinstance(node, ListValueNode):
        for item in node.values:
            found = _nul_in_literal(item, path)
            if found:
                return found
    return None


def nul_character_field(document, variables: dict[str, Any]) -> str | None:
    """The argument (or input field, dotted) whose text holds a NUL character, if any:
    PostgreSQL cannot store one in text, so it is refused as input, not met as a crash."""
    return nul_in_variables(variables) or nul_in_literals(document)


def nul_in_variables(variables: dict[str, Any]) -> str | None:
    for name, value in (variables or {}).items():
        found = _nul_in_value(value, name)
        if found:
            return found
    return None


def nul_in_literals(document) -> str | None:
    stack = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, ArgumentNode):
            found = _nul_in_literal(node.value, node.name.value)
            if found:
                return found
            continue
        for key in node.keys:
            child = getattr(node, key, None)
            if isinstance(child, tuple | list):
                stack.extend(c for c in child if hasattr(c, "keys"))
            elif hasattr(child, "keys") and key not in ("loc",):
                stack.append(child)
    return None


def expanded_selections(document, limit: int) -> int:
    """How many field selections the document has once its fragments are expanded,
    counting each fragment once (memoised) and stopping early past `limit`."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, int] = {}

    def size(selections: SelectionSetNode | None) -> int:
        total = 0
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                total += 1 + size(node.selection_set)
            elif isinstance(node, InlineFragmentNode):
                total += size(node.selection_set)
            elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
                name = node.name.value
                if name not in memo:
                    memo[name] = limit + 1  # a cycle: refuse
                    memo[name] = size(fragments[name].selection_set)
                total += memo[name]
            if total > limit:
                return total
        return total

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += size(definition.selection_set)
    return total


def document_shape(document, max_selections: int) -> tuple[ApiError | None, str | None]:
    """DocumentShape's verdict from the text alone: the refusal due before the variables
    are looked at (a fragment bomb, two password-checking mutations), else the argument
    whose literal holds a NUL character (refused after the variables' own)."""
    if expanded_selections(document, max_selections) > max_selections:
        return ApiError.QUERY_TOO_LARGE, None
    auth_fields = sum(
        1
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        for node in d.selection_set.selections
        if isinstance(node, FieldNode) and node.name.value in AUTH_MUTATIONS
    )
    if auth_fields > 1:
        return ApiError.ONE_AUTH_PER_REQUEST, None
    return None, nul_in_literals(document)


class DocumentShape(SchemaExtension):
    """Runs before validation: refuses documents whose fragments expand past a size that
    validation itself would take seconds over (fragment bombs), more than one
    password-checking mutation per request (each costs ~0.1 s of CPU by design), and text
    with a NUL character (INVALID_CHARACTER, naming the argument)."""

    def __init__(self, *, max_selections: int, store: DocumentStore | None = None) -> None:
        self.max_selections = max_selections
        self.store = store

    def on_validate(self):
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is not None:
            memo = self.store.memo(ctx.query, document) if self.store is not None else None
            key = ("shape", self.max_selections)
            verdict = memo.get(key) if memo is not None else None
            if verdict is None:
                verdict = document_shape(document, self.max_selections)
                if memo is not None:
                    memo[key] = verdict
            refusal, literal_field = verdict
            if refusal is ApiError.QUERY_TOO_LARGE:
                raise GraphQLError(
                    ApiError.QUERY_TOO_LARGE.render(max=self.max_selections),
                    extensions={"code": ApiError.QUERY_TOO_LARGE.value},
                )
            if refusal is ApiError.ONE_AUTH_PER_REQUEST:
                raise GraphQLError(
                    ApiError.ONE_AUTH_PER_REQUEST.render(),
                    extensions={"code": ApiError.ONE_AUTH_PER_REQUEST.value},
                )
            field = nul_in_variables(ctx.variables or {}) or literal_field
            if field is not None:
                raise GraphQLError(
                    ApiError.INVALID_CHARACTER.render(name=field),
                    extensions={"code": ApiError.INVALID_CHARACTER.value, "field": field},
                )
        yield
