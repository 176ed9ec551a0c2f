"""Mutation payloads: the result fields, then `errors: [UserError!]!` (schema/errors.py).

Declare the result fields only; `mutate` runs the body and fills the payload:

    @payload
    class PeriodPayload:
        period: Period | None

    async def open_period(self, info, input) -> PeriodPayload:
        return await mutate(PeriodPayload, lambda: performance.open_period(...), Period.of)

Each declared field without a default is null (a list: empty) when the input was refused;
a non-null field declares its own default (`queued: bool = False`). A payload that still
says something when refused (the problems of an imported file, the unread count) gets it
from `when_refused`, which sees the refusal the body raised:

    return await mutate(
        TppAttendancePayload,
        body,
        lambda count: {"imported": count},
        when_refused=lambda refusal: {"problems": ...} if isinstance(refusal, ...) else {},
    )
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, dataclass_transform

import strawberry
from strawberry.types.field import StrawberryField

from kinerja_saas.errors import DomainError
from schema.errors import UserError, run_mutation

P = TypeVar("P")
R = TypeVar("R")

# What a payload shows besides its errors when the input was refused: its fields as a dict
# (or an awaitable of one), from the refusal the body raised (None when the database
# refused a write: a unique key taken by a concurrent change, a value past a column).
WhenRefused = Callable[[DomainError | None], Any]


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
    when_refused: WhenRefused | None = None,
    refusing: tuple[type[DomainError], ...] = (),
    savepoint: bool = True,
) -> P:
    """Runs a mutation's body whole or not at all (`run_mutation`) and answers with
    `payload_type`: on refused input, its errors (and the fields `when_refused` gives);
    otherwise `present(result)` (awaited if it is a coroutine): a dict of the payload's
    fields, or else the value of its first field (the others keep their defaults). A body
    that returns None leaves every field at its default.

    Invalid input (ValidationFailed, NotFound) is refused in the payload; `refusing` names
    further errors answered so rather than as a request error (a failed login's
    AuthenticationFailed). With `savepoint=False` (see `atomically`) what the body wrote
    before refusing stays written."""
    raised: list[DomainError] = []

    async def recorded() -> R:
        try:
            return await body()
        except DomainError as refusal:
            raised.append(refusal)
            raise

    try:
        result, errors = await run_mutation(recorded, savepoint=savepoint)
    except refusing as refusal:
        errors = [UserError.of(e) for e in refusal.errors]
    if errors:
        extra = {} if when_refused is None else when_refused(raised[0] if raised else None)
        if inspect.isawaitable(extra):
            extra = await extra
        return refused(payload_type, errors, **extra)
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
