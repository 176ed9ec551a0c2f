"""Tortoise's asyncpg client, instrumented to count SQL statements.

Tortoise loads a backend from the module named as `engine` and uses its `client_class`.
The counter lets tests pin the number of statements an operation runs (deterministic,
unlike timings) and lets benchmarks report statements per request.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import NestedTransactionContext, TransactionContextPooled


@dataclass
class StatementCounter:
    count: int = 0
    texts: list[str] | None = None  # the statements themselves, when asked for


_counter: contextvars.ContextVar[StatementCounter | None] = contextvars.ContextVar(
    "sql_statement_counter", default=None
)


@contextmanager
def count_statements(*, keep_texts: bool = False) -> Iterator[StatementCounter]:
    """Counts the statements run by this task and the tasks it starts; `keep_texts` also
    keeps their SQL, for tests that pin what a statement says (e.g. its tenant filter)."""
    counter = StatementCounter(texts=[] if keep_texts else None)
    token = _counter.set(counter)
    try:
        yield counter
    finally:
        _counter.reset(token)


def uncounted_context() -> contextvars.Context:
    """A copy of the current context whose statements no request counts: for background
    tasks started from inside a request (they outlive it and are not its work)."""
    context = contextvars.copy_context()
    context.run(_counter.set, None)
    return context


def _tick(query: str) -> None:
    counter = _counter.get()
    if counter is not None:
        counter.count += 1
        if counter.texts is not None:
            counter.texts.append(query)


class _Counting:
    async def execute_query(self, query, values=None):
        _tick(query)
        return await super().execute_query(query, values)

    async def execute_query_dict(self, query, values=None):
        _tick(query)
        return await super().execute_query_dict(query, values)

    async def execute_insert(self, query, values):
        _tick(query)
        return await super().execute_insert(query, values)

    async def execute_many(self, query, values):
        _tick(query)
        return await super().execute_many(query, values)

    async def execute_script(self, query):
        _tick(query)
        return await super().execute_script(query)

    async def copy_records(self, table: str, columns: list[str], records) -> str:
        """COPY of `records` (an iterable or async iterable of tuples) into `table`: one
        statement however many rows. PostgreSQL refuses COPY into tables with row-level
        security, so this is for temporary tables (staging) only."""
        _tick(f"COPY {table}")
        client: Any = self  # a mixin of Tortoise's asyncpg clients
        async with client.acquire_connection() as connection:
            return await connection.copy_records_to_table(table, records=records, columns=columns)


class InstrumentedTransactionWrapper(_Counting, TransactionWrapper):
    def _in_transaction(self):
        return NestedTransactionContext(InstrumentedTransactionWrapper(self))


async def _keep_session(connection: asyncpg.Connection) -> None:
    """A connection back in the pool needs no reset round trip: asyncpg has already rolled
    back any open transaction, and the app keeps no session state (the tenant and every
    other setting are transaction-local, locks are transaction-level, LISTEN runs on the
    relay's own connection). asyncpg's default reset (RESET ALL, UNLISTEN *, unlocking
    advisory locks…) cost one more round trip per request."""


class InstrumentedClient(_Counting, AsyncpgDBClient):
    async def create_pool(self, **kwargs) -> asyncpg.Pool:
        return await asyncpg.create_pool(None, reset=_keep_session, **kwargs)

    def _in_transaction(self):
        return TransactionContextPooled(InstrumentedTransactionWrapper(self), self._pool_init_lock)


client_class = InstrumentedClient
