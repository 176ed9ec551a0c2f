"""Every enum column of every model (CharEnumField; not the lenient ones) has a CHECK in
PostgreSQL listing exactly its enum's members (migration 0038 and the ones before it), so a
value written around the application (psql, a bad migration, an import bug) is refused by
the database instead of failing later reads.

A member added to an enum in code must reach its column's CHECK through a new migration
(drop the constraint and add it again with the new list): until then this suite fails, and
the application's first write of the new member would fail too."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.fields.data import CharEnumFieldInstance

from kinerja_saas.db.fields import LenientCharEnumFieldInstance

UNKNOWN = "TIDAK"  # fits every column (the shortest is varchar(8))


def enum_columns() -> list[tuple[str, str, list[str]]]:
    """(table, column, the enum's values) of every strict enum column of every model.

    A lenient one (LenientCharEnumField: org_units.kind, employees.position_type) has no
    CHECK on purpose (migration 0038): a CHECK applies to every UPDATE of a row, so a stored
    value the lenient read tolerates would make its row impossible to change at all."""
    found = []
    for app in Tortoise.apps.values():
        for model in app.values():
            for name, field in model._meta.fields_map.items():
                if isinstance(field, CharEnumFieldInstance) and not isinstance(
                    field, LenientCharEnumFieldInstance
                ):
                    found.append(
                        (
                            model._meta.db_table,
                            field.source_field or name,
                            [str(m.value) for m in field.enum_type],
                        )
                    )
    return sorted(found)


# `(kind)::text = ANY ((ARRAY['PLT'::character varying, ...])::text[])` or, for a text
# column, `kind = ANY (ARRAY['SKP'::text, ...])`, as pg_get_constraintdef renders `IN (...)`.
def listed_values(definition: str, column: str) -> list[str] | None:
    match = re.search(
        rf"\(*{re.escape(column)}\)*(?:::text)? = ANY \(\(?ARRAY\[([^\]]*)\]", definition
    )
    if match is None:
        return None
    return re.findall(r"'((?:[^']|'')*)'", match.group(1))


async def checks_of(conn: asyncpg.Connection, table: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT conname, convalidated, pg_get_constraintdef(oid) AS definition"
        " FROM pg_constraint WHERE contype = 'c' AND conrelid = $1::regclass ORDER BY conname",
        table,
    )


async def test_the_models_have_enum_columns():
    columns = {(t, c) for t, c, _ in enum_columns()}
    # The discovery itself: the columns of the issue are among those found.
    assert {("plans", "status"), ("plan_results", "kind"), ("indicators", "aspect")} <= columns
    assert len(columns) >= 26


async def test_every_enum_column_has_a_check_listing_exactly_its_members(owner_conn):
    problems = []
    for table, column, members in enum_columns():
        listed = [
            (row["conname"], row["convalidated"], values)
            for row in await checks_of(owner_conn, table)
            if (values := listed_values(row["definition"], column)) is not None
        ]
        if not listed:
            problems.append(
                f"{table}.{column} has no CHECK listing its values {members}: add one in a "
                "new migration"
            )
            continue
        for name, validated, values in listed:
            if sorted(values) != sorted(members):
                problems.append(
                    f"{table}.{column}: CHECK {name} allows {sorted(values)}, the enum has "
                    f"{sorted(members)}. A member added to (or removed from) the enum in code "
                    "needs a new migration that drops this constraint and adds it again with "
                    "the enum's members written out literally (see migration 0038)."
                )
            if not validated:
                problems.append(f"{table}.{column}: CHECK {name} is NOT VALID")
    assert not problems, "\n".join(problems)


def _filler(data_type: str) -> Any:
    """A value of the type, for the NOT NULL columns of a fabricated row."""
    if data_type in ("bigint", "integer", "smallint"):
        return 1
    if data_type == "numeric":
        return Decimal(1)
    if data_type == "boolean":
        return False
    if data_type == "date":
        return date(2026, 1, 1)
    if data_type.startswith("timestamp"):
        return datetime(2026, 1, 1, tzinfo=UTC)
    if data_type in ("jsonb", "json"):
        return "{}"
    if data_type == "ARRAY":
        return []
    return "X"


# Columns (NOT NULL or not) whose other CHECKs a fabricated row must satisfy before the
# enum's is reached; the column under test is always given its own value.
FILLERS: dict[tuple[str, str], Any] = {
    ("tenants", "slug"): "cek-enum",
    ("employees", "nip"): "1" * 18,
    ("survey_results", "band"): "A",
    ("indicators", "direction"): "HIGHER_IS_BETTER",
    ("indicators", "target"): Decimal(1),
    ("indicators", "weight"): Decimal(1),
    ("training_programmes", "capacity"): 1,
    ("training_programmes", "jp_hours"): 1,
    ("acting_appointments", "ends_on"): date(2026, 1, 2),
    # an e-mail delivery has its recipient
    ("notification_deliveries", "channel"): "EMAIL",
    ("notification_deliveries", "user_id"): 1,
}


async def _write(
    conn: asyncpg.Connection, table: str, column: str, value: str, sibling_values: dict[str, str]
) -> None:
    """Inserts one row into `table` with `column` = value, every other NOT NULL column
    without a default filled (the other enum columns with a member), in a savepoint."""
    rows = await conn.fetch(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = $1 AND is_nullable = 'NO'"
        " AND column_default IS NULL AND is_identity = 'NO' AND is_generated = 'NEVER'",
        table,
    )
    values: dict[str, Any] = {c: v for (t, c), v in FILLERS.items() if t == table}
    for row in rows:
        name = row["column_name"]
        values.setdefault(name, sibling_values.get(name))
        if values[name] is None:
            values[name] = _filler(row["data_type"])
    values[column] = value
    names = list(values)
    async with conn.transaction():
        await conn.execute(
            f"INSERT INTO {table} ({', '.join(names)})"
            f" VALUES ({', '.join(f'${i}' for i in range(1, len(names) + 1))})",
            *values.values(),
        )
        raise _RolledBack


class _RolledBack(Exception):
    pass


async def _lists(conn: asyncpg.Connection, table: str, column: str, constraint: str) -> bool:
    """Whether `constraint` of `table` is one listing the values of `column`."""
    definition = await conn.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = $1::regclass AND conname = $2",
        table,
        constraint,
    )
    return listed_values(definition, column) is not None


async def test_an_unknown_value_is_refused_by_postgresql_and_every_member_accepted(owner_conn):
    """Written straight into the table, around the application, as psql or a migration
    would: PostgreSQL refuses an unknown value with check_violation, and takes each member.
    Foreign keys and triggers are off in this rolled-back transaction (replica), so that a
    row can be fabricated in every table; CHECK constraints still apply."""
    columns = enum_columns()
    first_member = {}
    for table, column, members in columns:
        first_member.setdefault(table, {})[column] = members[0]
    tx = owner_conn.transaction()
    await tx.start()
    try:
        await owner_conn.execute("SET LOCAL session_replication_role = replica")
        for table, column, members in columns:
            siblings = first_member[table]
            for member in members:
                # A member may still be refused by a rule across columns (an IN_APP
                # delivery, an SKM_IKM indicator without its source), never by its list.
                try:
                    await _write(owner_conn, table, column, member, siblings)
                except _RolledBack:
                    pass
                except asyncpg.CheckViolationError as other:
                    assert not await _lists(owner_conn, table, column, other.constraint_name)
            with pytest.raises(asyncpg.CheckViolationError) as refused:
                await _write(owner_conn, table, column, UNKNOWN, siblings)
            assert await _lists(owner_conn, table, column, refused.value.constraint_name), (
                f"{table}.{column}: refused by {refused.value.constraint_name}, not its enum CHECK"
            )
    finally:
        await tx.rollback()
