"""Less Python per field: plain scalar fields are read without graphql-core's per-field
machinery.

A page of 100 employees with their unit and supervisor has about 1,100 fields; 800 of them
are plain attributes (id, nip, name…) of objects the resolvers already built. graphql-core
executes each through the same path as a resolver that may await, fail or return an object:
a Path, a ResolveInfo, Strawberry's wrapper, the awaitable checks and complete_value. That
per-field work, not PostgreSQL, was most of the request (bench/README.md).

A field is "plain" when Strawberry itself would only read the attribute: it has no resolver,
no field extensions, no permission classes (Strawberry's `is_basic_field`, whose resolver it
marks `_is_default`), and its type is a scalar or an enum. Such a field is read and serialised
here, exactly as Strawberry's default resolver and graphql-core's complete_leaf_value would.
Anything unusual (an exception, null in a non-null field, a value the scalar cannot
serialise) goes back to graphql-core's own path, which then raises the error it always
raised, with its path. With a schema extension that wraps every resolver (graphql middleware),
nothing is taken out of the ordinary path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

_ORDINARY = object()  # "take graphql-core's path for this field"

Reader = Callable[[Any], Any]


def _strawberry_field(resolve: Any) -> StrawberryField | None:
    """The StrawberryField behind one of Strawberry's basic-field resolvers."""
    if not getattr(resolve, "_is_default", False):
        return None
    for cell in resolve.__closure__ or ():
        if isinstance(cell.cell_contents, StrawberryField):
            return cell.cell_contents
    return None


def _reader(field: StrawberryField, output_type: Any) -> Reader | None:
    nullable = not isinstance(output_type, GraphQLNonNull)
    named = output_type if nullable else output_type.of_type
    if not is_leaf_type(named) or not field.is_basic_field:
        return None
    get, name, serialize = field.default_resolver, field.python_name, named.serialize

    def read(source: Any) -> Any:
        try:
            value = get(source, name)
            if value is None:
                return None if nullable else _ORDINARY
            serialized = serialize(value)
        except Exception:
            return _ORDINARY
        if serialized is None or serialized is Undefined:
            return _ORDINARY
        return serialized

    return read


_readers: dict[GraphQLObjectType, dict[str, Reader]] = {}


def plain_readers(parent_type: GraphQLObjectType) -> dict[str, Reader]:
    """Field name → reader of each plain scalar field of `parent_type` (computed once)."""
    readers = _readers.get(parent_type)
    if readers is None:
        readers = {}
        for name, definition in parent_type.fields.items():
            field = _strawberry_field(definition.resolve)
            reader = _reader(field, definition.type) if field is not None else None
            if reader is not None:
                readers[name] = reader
        _readers[parent_type] = readers
    return readers


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        wrapped = self.middleware_manager is not None and self.middleware_manager.middlewares
        readers = None if wrapped else plain_readers(parent_type)
        if not readers:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        # graphql-core's loop (executor.execute_fields), with plain fields read directly.
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                reader = readers.get(field_details_list[0].node.name.value)
                if reader is not None:
                    value = reader(source_value)
                    if value is not _ORDINARY:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[f] for f in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    async def _gather_fields(self, results: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        if len(fields) == 1:
            results[fields[0]] = await results[fields[0]]
        else:
            values = await gather_with_cancel(*(results[f] for f in fields))
            results.update(zip(fields, values, strict=True))
        return results
