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

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import NestedTransactionContext, TransactionContextPooled


@dataclass
class StatementCounter:
    count: int = 0


_counter: contextvars.ContextVar[StatementCounter | None] = contextvars.ContextVar(
    "sql_statement_counter", default=None
)


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """Counts the statements run by this task and the tasks it starts."""
    counter = StatementCounter()
    token = _counter.set(counter)
    try:
        yield counter
    finally:
        _counter.reset(token)


def _tick() -> None:
    counter = _counter.get()
    if counter is not None:
        counter.count += 1


class _Counting:
    async def execute_query(self, query, values=None):
        _tick()
        return await super().execute_query(query, values)

    async def execute_query_dict(self, query, values=None):
        _tick()
        return await super().execute_query_dict(query, values)

    async def execute_insert(self, query, values):
        _tick()
        return await super().execute_insert(query, values)

    async def execute_many(self, query, values):
        _tick()
        return await super().execute_many(query, values)

    async def execute_script(self, query):
        _tick()
        return await super().execute_script(query)


class InstrumentedTransactionWrapper(_Counting, TransactionWrapper):
    def _in_transaction(self):
        return NestedTransactionContext(InstrumentedTransactionWrapper(self))


class InstrumentedClient(_Counting, AsyncpgDBClient):
    def _in_transaction(self):
        return TransactionContextPooled(InstrumentedTransactionWrapper(self), self._pool_init_lock)


client_class = InstrumentedClient
