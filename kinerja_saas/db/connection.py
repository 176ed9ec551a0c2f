"""The one connection accessor."""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

Row = dict[str, Any]  # a row as a raw query returns it; domains narrow it with TypedDicts


def db() -> BaseDBAsyncClient:
    """The connection (or the transaction, inside `tenant_transaction`) of the current task."""
    return connections.get("default")
