"""A use case run whole or not at all: the one place that turns the database's refusals of
an input into field errors. The API's mutations run their bodies here (schema/errors.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from asyncpg.exceptions import UniqueViolationError
from tortoise.exceptions import IntegrityError
from tortoise.exceptions import ValidationError as ModelValidationError
from tortoise.transactions import in_transaction

from kinerja_saas.db.catalogue import unique_key_column
from kinerja_saas.errors import CommonError, FieldError, NotFound, ValidationFailed, api_field

T = TypeVar("T")


async def atomically(
    body: Callable[[], Awaitable[T]], *, savepoint: bool = True
) -> tuple[T | None, list[FieldError]]:
    """Runs a use case in a savepoint: on invalid input it is rolled back whole, and the
    problems come back as field errors.

    `savepoint=False` only for a body whose one write is a single statement after all its
    checks (atomic by itself); any database error still fails the whole request. It saves
    two round trips on the public hot path (submitSurveyResponse)."""
    try:
        if not savepoint:
            return await body(), []
        async with in_transaction():
            return await body(), []
    except (ValidationFailed, NotFound) as exc:
        return None, exc.errors
    except ModelValidationError as exc:
        # A value past a column's limits that the service did not check itself (Tortoise
        # checks lengths on save and in lookups): "<column>: Length of '…' 300 > 40".
        column, _, detail = str(exc).partition(":")
        field = api_field(column.strip())
        too_long = "Length of" in detail
        return None, [
            FieldError.of(field, CommonError.TOO_LONG if too_long else CommonError.INVALID)
        ]
    except IntegrityError as exc:
        # Another request committed the same key after this one's own check.
        cause = exc.__cause__
        if not isinstance(cause, UniqueViolationError) or not cause.constraint_name:
            raise
        clashing = await unique_key_column(cause.constraint_name)
        if clashing is None:
            raise
        return None, [FieldError.of(api_field(clashing), CommonError.DUPLICATE)]
