"""Which failures tell a client "the database is briefly unavailable, try again" (typed
SERVICE_UNAVAILABLE) and which stay the plain masked UNEXPECTED_MESSAGE (a bug). The
restart itself is tests/faults/test_api_faults.py."""

import asyncpg
import pytest
from graphql import GraphQLError
from tortoise.exceptions import DBConnectionError, OperationalError

from kinerja_saas.database import database_unavailable
from schema.errors import UNEXPECTED_MESSAGE, MaskUnexpectedErrors


def caused(outer: Exception, cause: BaseException) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.InterfaceError(
            "cannot call Transaction.rollback(): the underlying connection is closed"
        ),
        DBConnectionError("can't connect"),
        caused(OperationalError("wrapped"), ConnectionResetError()),
    ],
)
def test_lost_connections_count_as_unavailable(exc):
    assert database_unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        None,
        ValueError("a bug"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.QueryCanceledError("statement timeout"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        caused(OperationalError("wrapped"), asyncpg.exceptions.UndefinedColumnError("x")),
    ],
)
def test_bugs_and_bad_statements_do_not(exc):
    assert not database_unavailable(exc)


def test_the_masked_error_is_typed_only_for_an_unreachable_database():
    mask = MaskUnexpectedErrors()
    down = GraphQLError("[Errno 111] Connection refused", original_error=ConnectionRefusedError())
    bug = GraphQLError("division by zero", original_error=ZeroDivisionError())
    typed = mask.anonymise_error(down)
    assert typed.message == (
        "Layanan sedang tidak tersedia sebentar; tidak ada yang tersimpan. Silakan coba lagi."
    )
    assert typed.extensions == {"code": "SERVICE_UNAVAILABLE"}
    assert "Errno" not in str(typed.formatted)
    assert mask.anonymise_error(bug).message == UNEXPECTED_MESSAGE
    assert not mask.anonymise_error(bug).extensions
