"""How errors reach clients.

- Mutations return `errors: [UserError!]!` for invalid input (field, code, message) and
  nothing is written: the mutation body runs in a savepoint.
- Authentication and permission problems are GraphQL errors with `extensions.code`.
- Anything unexpected is masked ("Unexpected error.") and logged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from asyncpg.exceptions import UniqueViolationError
from graphql import GraphQLError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from kinerja_saas.errors import DomainError, FieldError, NotFound, ValidationFailed

T = TypeVar("T")


@strawberry.type(description="A problem with the input of a mutation; nothing was written.")
class UserError:
    field: str | None = strawberry.field(
        description="Input field, camelCase; null: the whole input"
    )
    code: str = strawberry.field(description="Stable machine-readable code, e.g. NIP_FORMAT")
    message: str

    @classmethod
    def of(cls, error: FieldError) -> UserError:
        return cls(field=error.field, code=error.code, message=error.message)


def public_error(exc: DomainError) -> GraphQLError:
    extensions = {"code": exc.code}
    if exc.field:
        extensions["field"] = exc.field
    return GraphQLError(exc.message, extensions=extensions, original_error=exc)


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False  # syntax and validation errors of the document itself
    return not isinstance(original, DomainError | GraphQLError)


# Unique keys a concurrent request can still hit after the service's own check: the
# column that clashed (the last of the key) becomes the field of a DUPLICATE error.
UNIQUE_KEY = re.compile(r"Key \((?:tenant_id, )?([a-z_]+)\)=")


async def run_mutation(body: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Runs a mutation body in a savepoint: on invalid input it is rolled back whole."""
    try:
        async with in_transaction():
            return await body(), []
    except (ValidationFailed, NotFound) as exc:
        return None, [UserError.of(e) for e in exc.errors]
    except IntegrityError as exc:
        match = UNIQUE_KEY.search(getattr(exc.__cause__, "detail", None) or "")
        if not isinstance(exc.__cause__, UniqueViolationError) or match is None:
            raise
        column = match.group(1)
        field = column.split("_")[0] + "".join(p.capitalize() for p in column.split("_")[1:])
        return None, [
            UserError(
                field=field,
                code="DUPLICATE",
                message=f"This {column} was just taken by a concurrent change.",
            )
        ]


def parse_id(value: strawberry.ID | str | None, field: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number <= 0:
        raise ValidationFailed([FieldError(field, "INVALID_ID", f"{value!r} is not a valid id.")])
    return number
