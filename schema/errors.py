"""How errors reach clients.

- Mutations return `errors: [UserError!]!` for invalid input (field, code, message) and
  nothing is written: the mutation body runs in a savepoint.
- Authentication and permission problems are GraphQL errors with `extensions.code`.
- Anything unexpected is masked ("Terjadi kesalahan yang tidak terduga.") and logged; when
  the database could not be reached (a restart, an outage) the masked error says so with the
  code SERVICE_UNAVAILABLE, so clients know that trying again is right.
- Every message comes from a declared catalogue (kinerja_saas/<domain>/errors.py,
  schema/error_codes.py), in Bahasa Indonesia; the codes are stable English constants.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.extensions.mask_errors import default_should_mask_error

from kinerja_saas.atomic import atomically
from kinerja_saas.database import database_unavailable
from kinerja_saas.errors import DomainError, FieldError, ValidationFailed
from schema.error_codes import ApiError

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


UNAVAILABLE_CODE = ApiError.SERVICE_UNAVAILABLE.value
UNAVAILABLE_MESSAGE = ApiError.SERVICE_UNAVAILABLE.render()
UNEXPECTED_MESSAGE = ApiError.UNEXPECTED.render()  # what MaskErrors says of a bug


def unavailable_error(error: GraphQLError | None = None) -> GraphQLError:
    """The client's view of a request the database could not serve: no internals."""
    return GraphQLError(
        UNAVAILABLE_MESSAGE,
        nodes=error.nodes if error else None,
        source=error.source if error else None,
        positions=error.positions if error else None,
        path=error.path if error else None,
        extensions={"code": UNAVAILABLE_CODE},
    )


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's masking (in Indonesian), with a typed error for an unreachable database;
    and, with `hide_suggestions` (production), without GraphQL's "Did you mean …?", which
    tells a stranger the schema field by field. An extension of the schema, so every
    transport (HTTP, WebSocket results, streamed ones) gets the same errors."""

    def __init__(
        self,
        *,
        should_mask_error: Callable[[GraphQLError], bool] = default_should_mask_error,
        hide_suggestions: bool = False,
        error_message: str = UNEXPECTED_MESSAGE,
    ) -> None:
        super().__init__(should_mask_error=should_mask_error, error_message=error_message)
        self.hide_suggestions = hide_suggestions

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if database_unavailable(error.original_error):
            return unavailable_error(error)
        return super().anonymise_error(error)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        if not self.hide_suggestions:
            return processed
        return [without_suggestion(e) for e in processed]


_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)


def without_suggestion(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


def expected_error(error: GraphQLError) -> bool:
    """An error the client caused: the document itself (syntax, validation, limits), a
    typed refusal (not logged in, no permission, not found, invalid input, rate limited,
    the isolation rule). Logged at INFO; anything else is unexpected (ERROR, with its
    traceback)."""
    original = error.original_error
    while isinstance(original, GraphQLError) and original is not error:
        error, original = original, original.original_error
    return original is None or isinstance(original, DomainError)


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False  # syntax and validation errors of the document itself
    return not isinstance(original, DomainError | GraphQLError)


async def run_mutation(
    body: Callable[[], Awaitable[T]], *, savepoint: bool = True
) -> tuple[T | None, list[UserError]]:
    """Runs a mutation body whole or not at all (kinerja_saas.atomic): its result, or the
    problems with its input as UserErrors. `savepoint=False`: see `atomically`."""
    result, problems = await atomically(body, savepoint=savepoint)
    return result, [UserError.of(p) for p in problems]


MAX_ID = 2**63 - 1  # bigint: a larger number would fail in the database, not as input


# ASCII digits only: int() also reads "١٢", "１２", " 12", "+12" and "1_2" as numbers, so
# one object would have many spellings (cache keys, logs, audit entries disagree).
_ID = re.compile(r"[0-9]{1,19}")


@overload
def parse_id(value: strawberry.ID | str, field: str) -> int: ...
@overload
def parse_id(value: None, field: str) -> None: ...
@overload
def parse_id(value: strawberry.ID | str | None, field: str) -> int | None: ...


def parse_id(value: strawberry.ID | str | None, field: str) -> int | None:
    if value is None:
        return None
    text = str(value)
    number = int(text) if _ID.fullmatch(text) else 0
    if not 0 < number <= MAX_ID:
        raise ValidationFailed.one(field, ApiError.INVALID_ID, name=field)
    return number


def optional_id(value: int | None) -> strawberry.ID | None:
    """The other way round: a nullable key column as a GraphQL ID."""
    return strawberry.ID(str(value)) if value is not None else None
