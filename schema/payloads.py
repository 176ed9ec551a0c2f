"""Mutation payloads: the result fields, then `errors: [UserError!]!` (schema/errors.py).

Declare the result fields only; `mutate` runs the body and fills the payload:

    @payload
    class PeriodPayload:
        period: Period | None

    async def open_period(self, info, input) -> PeriodPayload:
        return await mutate(PeriodPayload, lambda: performance.open_period(...), Period.of)

Each declared field without a default is null (a list: empty) when the input was refused;
a non-null field declares its own default (`queued: bool = False`).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, dataclass_transform

import strawberry
from strawberry.types.field import StrawberryField

from schema.errors import UserError, run_mutation

P = TypeVar("P")
R = TypeVar("R")


def _annotation_text(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else repr(annotation)


@dataclass_transform(
    order_default=False, kw_only_default=True, field_specifiers=(strawberry.field, StrawberryField)
)
def payload(cls: type[P]) -> type[P]:
    """Makes `cls` a mutation payload type: its fields (null, or empty lists, unless they
    say otherwise), then `errors: [UserError!]!`."""
    target: Any = cls
    annotations = inspect.get_annotations(cls)
    names = list(annotations)
    for name in names:
        is_list = _annotation_text(annotations[name]).startswith("list[")
        declared = cls.__dict__.get(name, dataclasses.MISSING)
        if declared is dataclasses.MISSING:
            field = strawberry.field(default_factory=list) if is_list else None
            setattr(target, name, field)
        elif (
            isinstance(declared, StrawberryField)
            and declared.default is dataclasses.MISSING
            and declared.default_factory is dataclasses.MISSING
        ):
            if is_list:
                declared.default_factory = list
            else:
                declared.default = None
    target.__annotations__["errors"] = list[UserError]
    target.errors = strawberry.field(default_factory=list)
    target.__payload_fields__ = tuple(names)
    return strawberry.type(target)


async def mutate(
    payload_type: type[P],
    body: Callable[[], Awaitable[R]],
    present: Callable[[R], Any] | None = None,
    *,
    savepoint: bool = True,
) -> P:
    """Runs a mutation's body whole or not at all (`run_mutation`) and answers with
    `payload_type`: on refused input, its errors; otherwise `present(result)` (awaited if
    it is a coroutine): a dict of the payload's fields, or else the value of its first
    field (the others keep their defaults). A body that returns None leaves every field at
    its default."""
    result, errors = await run_mutation(body, savepoint=savepoint)
    if errors:
        return refused(payload_type, errors)
    return await _present(payload_type, result, present)


def refused(payload_type: type[P], errors: list[UserError], **fields: Any) -> P:
    """The payload of refused input: its errors (and any field the caller still fills)."""
    make: Any = payload_type
    return make(**fields, errors=errors)


async def _present(
    payload_type: type[P], result: R | None, present: Callable[[R], Any] | None = None
) -> P:
    """The payload of a body that succeeded (see `mutate`)."""
    make: Any = payload_type
    if result is None:
        return make()
    value = result if present is None else present(result)
    if inspect.isawaitable(value):
        value = await value
    if isinstance(value, dict):
        return make(**value)
    return make(**{make.__payload_fields__[0]: value})
