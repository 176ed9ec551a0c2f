"""Reads of PostgreSQL's own catalogue that the domains need."""

from __future__ import annotations

from kinerja_saas.db.connection import db


async def unique_key_column(constraint: str) -> str | None:
    """The column of a unique key, other than tenant_id. (PostgreSQL hides the key's values
    from the error when row-level security is on, so the catalogue tells which it was.)"""
    rows = await db().execute_query_dict(
        "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid"
        " AND a.attnum = ANY(c.conkey) WHERE c.conname = $1 AND a.attname <> 'tenant_id'",
        [constraint],
    )
    return rows[0]["attname"] if len(rows) == 1 else None
