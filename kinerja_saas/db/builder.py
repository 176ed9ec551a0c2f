"""The one SQL builder: WHERE clauses and their positional parameters, numbered `$n` in
the order they are added, as asyncpg expects."""

from __future__ import annotations

from typing import Any


class Sql:
    """`Sql(tenant_id, period_id)` binds `$1`, `$2`; each `param(value)` (or call) binds the
    next number and returns its placeholder; `where` collects conditions joined by AND."""

    def __init__(self, *params: Any) -> None:
        self.params: list[Any] = list(params)
        self.where: list[str] = []

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    __call__ = param

    def conditions(self, *, prefix: str = "") -> str:
        """The conditions joined by AND (`prefix` before each, e.g. " AND " to extend a
        WHERE already written); "true" when there are none and no prefix."""
        if prefix:
            return "".join(f"{prefix}{w}" for w in self.where)
        return " AND ".join(self.where) if self.where else "true"
