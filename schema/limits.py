"""Cost limit: each selected field costs 1, times the page sizes of the lists above it.

Depth, alias and token limits come from Strawberry's extensions; Strawberry has no cost
limit of its own, and variables (page sizes) are only known at execution time.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from schema.pagination import DEFAULT_PAGE_SIZE


def _page(field: FieldNode, variables: dict[str, Any]) -> int:
    for arg in field.arguments or ():
        if arg.name.value == "first":
            if isinstance(arg.value, IntValueNode):
                return int(arg.value.value)
            if isinstance(arg.value, VariableNode):
                value = variables.get(arg.value.name.value)
                return int(value) if isinstance(value, int) else DEFAULT_PAGE_SIZE
    return 1


def _cost(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    multiplier: int,
    depth: int = 0,
) -> int:
    if selection_set is None or depth > 50:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            page = _page(selection, variables) if selection.arguments else 1
            total += multiplier + _cost(
                selection.selection_set, fragments, variables, multiplier * max(page, 1), depth + 1
            )
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, fragments, variables, multiplier, depth + 1)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += _cost(fragment.selection_set, fragments, variables, multiplier, depth + 1)
    return total


def operation_cost(document, operation_name: str | None, variables: dict[str, Any]) -> int:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for op in operations:
        if operation_name is None or (op.name and op.name.value == operation_name):
            return _cost(op.selection_set, fragments, variables or {}, 1)
    return 0


class CostLimit(SchemaExtension):
    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self):
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            cost = operation_cost(ctx.graphql_document, ctx.operation_name, ctx.variables or {})
            if cost > self.max_cost:
                raise GraphQLError(
                    f"Query cost {cost} exceeds the limit of {self.max_cost}; ask for fewer"
                    " fields or smaller pages.",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost},
                )
        yield
