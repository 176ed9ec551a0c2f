"""The compiled read path: a query whose every field has an SQL twin runs as one statement
whose JSON PostgreSQL builds (docs/compiled-queries.md).

A page of 100 employees with unit and supervisor is ~1,100 GraphQL fields; executed field
by field in Python that is most of the request. Here a validated query operation (after
every guard and validation rule: this runs at execution, inside the request's tenant
transaction) is walked once: if every selected field is declared compilable, the operation
becomes one SQL statement (kinerja_saas/db/json_select.py) whose text is the response's
`data`. Anything else — an undeclared field, arguments a field does not declare, a
directive other than @skip/@include, a root field's arguments its compiler refuses (the
ordinary resolver then reports them), a null where the schema promises a value — is left
to the ordinary executor, unchanged: this path never changes an answer.

Declarations sit next to the types: `declare(Type, field=Col(...) | Rel(...))` maps a type's
fields to columns and to-one relations (names the domain's queries module gives), a
`connection(...)` a Relay connection, `root(name)` a Query field's compiler, which checks
the arguments with the same code as its resolver and answers with the domain's query (the
same visibility predicate as the ordinary read). Field-level visibility (contacts of a
person reached through a relation) comes from the domain's rule, in SQL, through `Rel`'s
`reveal`.

The walk of a document (which fields, which keys, fragments and @skip/@include resolved) is
kept per document text, operation and the values of the variables its directives read, in
a bounded store created beside the document cache; it does not depend on the viewer (the
viewer enters only when the statement is built, through the root's predicate and `reveal`).
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    BooleanValueNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    is_abstract_type,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types.arguments import convert_arguments
from strawberry.types.graphql import OperationType

from kinerja_saas import logs
from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import Sql, json_select
from tenants.context import current_tenant_id

log = logs.get_logger("kinerja.compiled")

MAX_DOCUMENT_LENGTH = 20_000


class NotCompilable(Exception):
    """This document (or these arguments) take the ordinary path."""


# --- declarations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """A column of the type's row. `private`: shown only where the relation that reached
    the row reveals it (Rel.reveal); shown on rows reached from a root."""

    column: str
    private: bool = False


@dataclass(frozen=True)
class Rel:
    """A to-one relation: the row of `table` whose id is this row's `key` (same region).
    `reveal(viewer)`: the condition (json_select.Reveal) under which the target's private
    columns show."""

    table: str
    key: str
    reveal: Callable[[Actor], json_select.Reveal] | None = None


@dataclass(frozen=True)
class Children:
    """A to-many relation: the rows of `table` whose `key` is this row's id (same region),
    where every `where` column is true, in `order`."""

    table: str
    key: str
    where: tuple[str, ...] = ()
    order: tuple[str, ...] = ("id",)


@dataclass(frozen=True)
class Nested:
    """Columns of the same row (a joined row's) read as a nested object of the field's
    type; null where the `present` column is null."""

    present: str | None = None


@dataclass(frozen=True)
class Root:
    """What a root field's compiler answers: `build(builder, shape)` returns the subquery
    of the field's value; `cursor` is the (column, tag) of a connection's cursors, None
    where cursors are not compiled (the document then takes the ordinary path when it
    selects one)."""

    build: Callable[[json_select.Builder, Any], str]
    cursor: tuple[str | None, str] | None = None
    has_previous: bool = False


RootCompiler = Callable[..., Any]  # returns a Root, or an awaitable of one

_TYPES: dict[str, dict[str, Col | Rel | Children | Nested]] = {}
_CONNECTIONS: dict[str, tuple[str, str]] = {}  # connection type → (edge type, node type)
_ROOTS: dict[str, RootCompiler] = {}
PAGE_INFO = "PageInfo"
PAGE_INFO_FIELDS = {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}


def _type_name(cls: Any) -> str:
    return cls.__strawberry_definition__.name


def declare(cls: Any, **fields: Col | Rel | Children | Nested) -> None:
    """The compilable fields of a Strawberry type (GraphQL field names)."""
    _TYPES[_type_name(cls)] = dict(fields)


class DeclarationError(TypeError):
    """A declaration that would let the compiled path show what the ordinary one hides."""


def _private_columns(schema: Any, type_name: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """The type's private columns, with those of the objects read from the same row
    (`Nested`, shown under the same reveal), as `Type.field`."""
    owner = schema.get_type(type_name)
    found: list[str] = []
    for name, spec in _TYPES.get(type_name, {}).items():
        if isinstance(spec, Col) and spec.private:
            found.append(f"{type_name}.{name}")
        elif isinstance(spec, Nested) and isinstance(owner, GraphQLObjectType):
            definition = owner.fields.get(name)
            target = _named(definition.type) if definition is not None else None
            if target is not None and target not in seen:
                found += _private_columns(schema, target, seen | {type_name})
    return found


def check_declarations(schema: Any) -> None:
    """Refuses (DeclarationError) a relation to a type with private columns that has no
    `reveal` — a `Rel` without one, or a `Children` (which has none): the target's private
    columns would show on every row it reaches, whoever the viewer. Run when the schema is
    built (schema/schema.py), once every type is declared and every field's type known."""
    for type_name, fields in _TYPES.items():
        owner = schema.get_type(type_name)
        if not isinstance(owner, GraphQLObjectType):
            raise DeclarationError(f"{type_name}: declared but not an object type of the schema")
        for name, spec in fields.items():
            definition = owner.fields.get(name)
            if definition is None:
                raise DeclarationError(f"{type_name}.{name}: declared but not a field")
            if not isinstance(spec, Rel | Children) or (isinstance(spec, Rel) and spec.reveal):
                continue
            target = _named(definition.type)
            if private := _private_columns(schema, target):
                raise DeclarationError(
                    f"{type_name}.{name}: a relation to {target} without a reveal, and "
                    f"{', '.join(private)} {'is' if len(private) == 1 else 'are'} private "
                    "(give the Rel a reveal; a Children relation cannot reach private columns)"
                )


def _named(type_: Any) -> str:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return str(type_.name)


def connection(cls: Any, *, edge: Any, node: Any) -> None:
    _CONNECTIONS[_type_name(cls)] = (_type_name(edge), _type_name(node))


def root(name: str) -> Callable[[RootCompiler], RootCompiler]:
    """Registers the compiler of the Query field `name`: called with the request's context
    and the field's arguments as its resolver receives them; raises (anything) to refuse."""

    def register(compiler: RootCompiler) -> RootCompiler:
        _ROOTS[name] = compiler
        return compiler

    return register


# --- the walk: document → selection tree --------------------------------------------------

# A selection tree: (response key, item) in the order of the response. Items:
#   ("typename", name) | ("col", column, kind, private, choices, strict)
#   ("rel", Rel, tree, nullable)
#   ("edges", tree) | ("node", tree) | ("cursor",) | ("pageInfo", tree)
#   ("hasNextPage",) | ("hasPreviousPage",) | ("startCursor",) | ("endCursor",)
Tree = tuple[tuple[str, tuple[Any, ...]], ...]

_SCALAR_KINDS = {
    "ID": "id",
    "String": "text",
    "Int": "int",
    "Boolean": "bool",
    "DateTime": "timestamptz",
    "Date": "date",
    "Decimal": "decimal",
}


@dataclass(frozen=True)
class RootPlan:
    key: str
    name: str
    node: FieldNode
    tree: Tree


@dataclass(frozen=True)
class Plan:
    roots: tuple[RootPlan, ...]


@dataclass
class _Walk:
    schema: Any  # GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    directive_vars: dict[str, Any] = field(default_factory=dict)

    def included(self, node: Any) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include") or len(directive.arguments) != 1:
                raise NotCompilable
            value = directive.arguments[0].value
            if isinstance(value, VariableNode):
                flag = self.variables.get(value.name.value)
                self.directive_vars[value.name.value] = flag
            elif isinstance(value, BooleanValueNode):
                flag = value.value
            else:
                raise NotCompilable
            if not isinstance(flag, bool):
                raise NotCompilable
            if (name == "skip") == flag:
                return False
        return True

    def collect(
        self, type_: GraphQLObjectType, sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """CollectFields of the spec: fields by response key, in order, fragments merged."""
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def applies(condition: Any) -> bool:
            if condition is None:
                return True
            named = self.schema.get_type(condition.name.value)
            if named is type_:
                return True
            return is_abstract_type(named) and self.schema.is_sub_type(named, type_)

        def walk(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not self.included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    grouped.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if applies(selection.type_condition):
                        walk(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in visited:
                        continue
                    visited.add(name)
                    fragment = self.fragments.get(name)
                    if fragment is None:
                        raise NotCompilable
                    if applies(fragment.type_condition):
                        walk(fragment.selection_set)
                else:
                    raise NotCompilable

        for s in sets:
            walk(s)
        return grouped

    def subsets(self, nodes: list[FieldNode]) -> list[SelectionSetNode]:
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        if not sets:
            raise NotCompilable
        return sets

    def tree(self, type_: GraphQLObjectType, sets: list[SelectionSetNode]) -> Tree:
        declared = _TYPES.get(type_.name)
        connection_of = _CONNECTIONS.get(type_.name)
        items: list[tuple[str, tuple[Any, ...]]] = []
        for key, nodes in self.collect(type_, sets).items():
            name = nodes[0].name.value
            if any(n.arguments for n in nodes):
                raise NotCompilable
            if name == "__typename":
                items.append((key, ("typename", type_.name)))
                continue
            definition = type_.fields.get(name)
            if definition is None:
                raise NotCompilable
            if connection_of is not None:
                items.append((key, self.connection_item(type_, name, nodes, connection_of)))
                continue
            if type_.name == PAGE_INFO and name in PAGE_INFO_FIELDS:
                items.append((key, (name,)))
                continue
            spec = declared.get(name) if declared else None
            if isinstance(spec, Col):
                kind = _leaf_kind(definition.type)
                choices = _enum_values(definition.type)
                strict = isinstance(definition.type, GraphQLNonNull)
                items.append((key, ("col", spec.column, kind, spec.private, choices, strict)))
            elif isinstance(spec, Rel):
                nullable = not isinstance(definition.type, GraphQLNonNull)
                target = _object(definition.type)
                items.append((key, ("rel", spec, self.tree(target, self.subsets(nodes)), nullable)))
            elif isinstance(spec, Children):
                target = _list_of_objects(definition.type)
                items.append((key, ("children", spec, self.tree(target, self.subsets(nodes)))))
            elif isinstance(spec, Nested):
                target = _object(definition.type)
                items.append((key, ("nested", spec, self.tree(target, self.subsets(nodes)))))
            else:
                raise NotCompilable
        return tuple(items)

    def connection_item(
        self, type_: GraphQLObjectType, name: str, nodes: list[FieldNode], of: tuple[str, str]
    ) -> tuple[Any, ...]:
        if name == "edges":
            edges_type = type_.fields[name].type
            if isinstance(edges_type, GraphQLNonNull):
                edges_type = edges_type.of_type
            if not isinstance(edges_type, GraphQLList):
                raise NotCompilable
            edge = _object(edges_type.of_type)
            if edge.name != of[0]:
                raise NotCompilable
            inner: list[tuple[str, tuple[Any, ...]]] = []
            for key, edge_nodes in self.collect(edge, self.subsets(nodes)).items():
                edge_field = edge_nodes[0].name.value
                if any(n.arguments for n in edge_nodes):
                    raise NotCompilable
                if edge_field == "__typename":
                    inner.append((key, ("typename", edge.name)))
                elif edge_field == "cursor":
                    inner.append((key, ("cursor",)))
                elif edge_field == "node":
                    node_type = _object(edge.fields["node"].type)
                    inner.append((key, ("node", self.tree(node_type, self.subsets(edge_nodes)))))
                else:
                    raise NotCompilable
            return ("edges", tuple(inner))
        if name == "pageInfo":
            info = _object(type_.fields[name].type)
            if info.name != PAGE_INFO:
                raise NotCompilable
            return ("pageInfo", self.tree(info, self.subsets(nodes)))
        raise NotCompilable  # totalCount and anything else: the ordinary resolver


def _object(type_: Any) -> GraphQLObjectType:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLObjectType):
        raise NotCompilable
    return type_


def _list_of_objects(type_: Any) -> GraphQLObjectType:
    """The item type of [T!]! (non-null items only: a list never holds a null here)."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLList) or not isinstance(type_.of_type, GraphQLNonNull):
        raise NotCompilable
    return _object(type_.of_type)


def _leaf_kind(type_: Any) -> str:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        raise NotCompilable
    if isinstance(type_, GraphQLEnumType):
        # Stored as the member's value; sent as its name: compiled only where they agree.
        if all(name == value.value for name, value in type_.values.items()):
            return "text"
        raise NotCompilable
    if isinstance(type_, GraphQLScalarType) and type_.name in _SCALAR_KINDS:
        return _SCALAR_KINDS[type_.name]
    raise NotCompilable


def _enum_values(type_: Any) -> tuple[str, ...]:
    """An enum field's values. A stored value outside them is read as null where the field
    is nullable (the ordinary path's lenient read, kinerja_saas/db/fields.py), and fails the
    statement where it is not (the ordinary path's strict read fails): never sent."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLEnumType):
        return tuple(str(v.value) for v in type_.values.values())
    return ()


def plan_of(
    schema: Any,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    directive_vars: dict[str, Any] | None = None,
) -> Plan:
    """The operation's plan; NotCompilable if any part takes the ordinary path. The values
    of the variables its directives read, up to the end or the refusal, are put into
    `directive_vars`: the walk depends on nothing else of the variables."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, variables, {} if directive_vars is None else directive_vars)
    query = schema.query_type
    roots = []
    for key, nodes in walk.collect(query, [operation.selection_set]).items():
        name = nodes[0].name.value
        if name not in _ROOTS or len(nodes) != 1:
            raise NotCompilable
        target = _object(query.fields[name].type)
        tree = walk.tree(target, walk.subsets(nodes))
        roots.append(RootPlan(key, name, nodes[0], tree))
    if not roots:
        raise NotCompilable
    return Plan(tuple(roots))


# --- from the tree to json_select's shape, per request ------------------------------------


def _shape(tree: Tree, viewer: Actor, reveal: json_select.Reveal | None = None) -> json_select.Obj:
    keys: list[tuple[str, json_select.Node]] = []
    for key, item in tree:
        kind = item[0]
        if kind == "typename":
            keys.append((key, json_select.Const(item[1])))
        elif kind == "col":
            keys.append((key, json_select.Column(item[1], item[2], item[3], item[4], item[5])))
        elif kind == "rel":
            spec: Rel = item[1]
            inner = _shape(item[2], viewer, spec.reveal(viewer) if spec.reveal else None)
            keys.append((key, json_select.ToOne(spec.table, spec.key, inner)))
        elif kind == "children":
            many: Children = item[1]
            inner = _shape(item[2], viewer)
            keys.append(
                (key, json_select.ToMany(many.table, many.key, inner, many.where, many.order))
            )
        elif kind == "nested":
            nested: Nested = item[1]
            inner = _shape(item[2], viewer, reveal)
            keys.append((key, json_select.SameRow(inner, nested.present)))
        else:
            raise NotCompilable
    return json_select.Obj(tuple(keys), reveal)


def _page(tree: Tree, viewer: Actor, root: Root) -> json_select.Page:
    def cursor() -> json_select.Cursor:
        if root.cursor is None:
            raise NotCompilable
        return json_select.Cursor(*root.cursor)

    keys: list[tuple[str, Any]] = []
    for key, item in tree:
        kind = item[0]
        if kind == "typename":
            keys.append((key, json_select.Const(item[1])))
        elif kind == "edges":
            edge: list[tuple[str, json_select.Node]] = []
            for edge_key, edge_item in item[1]:
                if edge_item[0] == "typename":
                    edge.append((edge_key, json_select.Const(edge_item[1])))
                elif edge_item[0] == "cursor":
                    edge.append((edge_key, cursor()))
                else:
                    edge.append((edge_key, json_select.SameRow(_shape(edge_item[1], viewer))))
            keys.append((key, json_select.Edges(json_select.Obj(tuple(edge)))))
        elif kind == "pageInfo":
            info: list[tuple[str, json_select.PageNode]] = []
            for info_key, info_item in item[1]:
                what = info_item[0]
                if what == "typename":
                    info.append((info_key, json_select.Const(info_item[1])))
                elif what == "hasNextPage":
                    info.append((info_key, json_select.HasNextPage()))
                elif what == "hasPreviousPage":
                    info.append((info_key, json_select.Const(root.has_previous)))
                elif what in ("startCursor", "endCursor"):
                    info.append((info_key, json_select.EdgeCursor(what == "endCursor", cursor())))
                else:
                    raise NotCompilable
            keys.append((key, json_select.PageInfo(tuple(info))))
        else:
            raise NotCompilable
    return json_select.Page(tuple(keys))


# --- the plans' store and the extension ---------------------------------------------------


class PlanStore:
    """Plans by (document text, operation name) → (directive variables, {their values →
    plan or None: not compilable}); bounded like the document cache it sits beside."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._plans: OrderedDict[tuple[str, str | None], dict[tuple[Any, ...], Plan | None]] = (
            OrderedDict()
        )
        self._directive_vars: dict[tuple[str, str | None], tuple[str, ...]] = {}
        self.served = 0  # requests answered by a compiled statement (tests, diagnostics)

    def get(
        self, query: str, operation: str | None, variables: dict[str, Any]
    ) -> tuple[bool, Plan | None]:
        key = (query, operation)
        plans = self._plans.get(key)
        if plans is None:
            return False, None
        names = self._directive_vars.get(key, ())
        values = tuple(variables.get(n) for n in names)
        if values not in plans:
            return False, None
        self._plans.move_to_end(key)
        return True, plans[values]

    def keep(
        self,
        query: str,
        operation: str | None,
        directive_vars: dict[str, Any],
        plan: Plan | None,
    ) -> None:
        if len(query) > MAX_DOCUMENT_LENGTH or self.max_entries <= 0:
            return
        key = (query, operation)
        names = tuple(sorted(directive_vars))
        if self._directive_vars.get(key, names) != names:
            self._plans.pop(key, None)
        self._directive_vars[key] = names
        plans = self._plans.setdefault(key, {})
        if len(plans) < 16:  # a few combinations of flags per document
            plans[tuple(directive_vars[n] for n in names)] = plan
        self._plans.move_to_end(key)
        while len(self._plans) > self.max_entries:
            dropped, _ = self._plans.popitem(last=False)
            self._directive_vars.pop(dropped, None)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    return None


class CompiledReads(SchemaExtension):
    """Answers a compilable query with one statement, inside the request's transaction
    (placed after TenantTransaction); anything else runs as ever."""

    def __init__(self, *, store: PlanStore) -> None:
        self.store = store

    async def on_execute(self):
        ec = self.execution_context
        try:
            result = await self._answer()
        except (NotCompilable, json_select.TooWide):
            result = None
        except Exception as exc:
            # The statement failed (or anything after the plan): answered as a result with
            # the error, as a resolver's failure would be, never raised from this hook: raised
            # while the hooks are entered, it would skip TenantTransaction's exit (the
            # transaction left open, idle, holding the region's slot and a connection) and
            # MaskErrors (the driver's message sent to the client).
            result = ExecutionResult(data=None, errors=[self._failure(exc)])
        if result is not None:
            ec.result = result
            self.store.served += 1
        yield

    def _failure(self, exc: Exception) -> GraphQLError:
        """The error of a failed compiled answer: at the operation's first root field (the
        ordinary path reports it at the resolver that failed), masked like any bug."""
        if isinstance(exc, GraphQLError):
            return exc
        ec = self.execution_context
        operation = (
            _operation(ec.graphql_document, ec.operation_name) if ec.graphql_document else None
        )
        first = (
            next((s for s in operation.selection_set.selections if isinstance(s, FieldNode)), None)
            if operation
            else None
        )
        if first is None:
            return GraphQLError(str(exc), original_error=exc)
        key = (first.alias or first.name).value
        return GraphQLError(str(exc), nodes=[first], path=[key], original_error=exc)

    async def _answer(self) -> ExecutionResult | None:
        ec = self.execution_context
        context = ec.context
        actor = getattr(context, "actor", None)
        if (
            ec.operation_type != OperationType.QUERY
            or actor is None
            or actor.tenant_id is None
            or actor.is_operator
            or getattr(context, "auth_error", None) is not None
            or ec.graphql_document is None
            or not isinstance(ec.query, str)
        ):
            return None
        schema = ec.schema._schema
        query_type = schema.query_type
        assert query_type is not None
        operation = _operation(ec.graphql_document, ec.operation_name)
        if operation is None:
            return None
        coerced = get_variable_values(
            schema, operation.variable_definitions or (), ec.variables or {}
        )
        if isinstance(coerced, list):  # the ordinary path reports them
            return None
        variables = coerced.coerced
        found, plan = self.store.get(ec.query, ec.operation_name, variables)
        if not found:
            directive_vars: dict[str, Any] = {}
            try:
                plan = plan_of(schema, ec.graphql_document, operation, variables, directive_vars)
            except NotCompilable:
                plan = None  # for these values of the directives' variables read so far
            self.store.keep(ec.query, ec.operation_name, directive_vars, plan)
        if plan is None:
            return None
        builder = json_select.Builder(Sql(current_tenant_id()))
        roots: list[tuple[str, str]] = []  # (response key, subquery)
        for root_plan in plan.roots:
            definition = query_type.fields[root_plan.name]
            raw = get_argument_values(definition, root_plan.node, coerced)
            strawberry_field = definition.extensions["strawberry-definition"]
            try:
                kwargs = convert_arguments(
                    raw,
                    strawberry_field.arguments,
                    scalar_registry=ec.schema.schema_converter.scalar_registry,
                    config=ec.schema.config,
                )
                root_ = _ROOTS[root_plan.name](context, **kwargs)
                if inspect.isawaitable(root_):
                    root_ = await root_
            except Exception as exc:
                # Refused arguments, a missing right: the resolver raises it again, with its
                # path and code.
                raise NotCompilable from exc
            shape = (
                _page(root_plan.tree, actor, root_)
                if _CONNECTIONS.get(_object(definition.type).name)
                else _shape(root_plan.tree, actor)
            )
            roots.append((root_plan.key, root_.build(builder, shape)))
        texts = await json_select.fetch(builder, [expr for _, expr in roots])
        data: dict[str, Any] = {}
        for root_plan, text in zip(plan.roots, texts, strict=True):
            definition = query_type.fields[root_plan.name]
            if text is None and isinstance(definition.type, GraphQLNonNull):
                return None  # the resolver's error (not found…), from the ordinary path
            # Sent as PostgreSQL wrote it: orjson embeds the text without reading it.
            data[root_plan.key] = None if text is None else orjson.Fragment(text)
        return ExecutionResult(data=data, errors=None)
