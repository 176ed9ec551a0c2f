"""The one connection accessor."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

Row = dict[str, Any]  # a row as a raw query returns it; domains narrow it with TypedDicts


def db() -> BaseDBAsyncClient:
    """The connection (or the transaction, inside `tenant_transaction`) of the current task."""
    return connections.get("default")


async def copy_records(
    table: str, columns: list[str], records: Iterable[tuple] | AsyncIterable[tuple]
) -> str:
    """COPY into a temporary table of the current transaction (COPY is refused on tables
    with RLS); counted as one statement."""
    client: Any = db()  # the instrumented client (kinerja_saas/database_client.py)
    return await client.copy_records(table, columns, records)
