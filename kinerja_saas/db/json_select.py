"""JSON built by PostgreSQL: a tree of what to read, turned into one SQL statement.

The compiled read path (docs/compiled-queries.md) describes a response as a tree of these
nodes, knowing nothing of GraphQL here: an object is a list of (key, node); a node reads a
column of the current row, a constant, a row reached through a to-one key, or the same row
again. A domain's queries module builds the root (its page of rows, with the same
visibility predicate its ordinary read uses) and this module builds the JSON around it:
`json_build_object` per object, `json_agg` per list, a scalar subquery per relation.

Every value from outside the code (keys chosen by the client, constants, the domain's
arguments) is a bound parameter of the caller's `Sql`; only the declared table and column
names of the code are written into the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kinerja_saas.db.builder import Sql
from kinerja_saas.db.connection import db

# Names the code declares (tables, columns): checked, since they are written into the text.
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
MAX_KEYS = 50  # json_build_object takes at most 100 arguments


class TooWide(Exception):
    """An object with more keys than one json_build_object takes: the caller falls back."""


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"not a plain SQL name: {value!r}")
    return value


# How a column's value becomes the JSON the ordinary path would have sent.
KINDS = {
    "text": "{c}",
    "int": "{c}",
    "bool": "{c}",
    "id": "{c}::text",  # a GraphQL ID: the number as a string
    # A Decimal: str() of asyncpg's Decimal, which keeps the column's scale as numeric's
    # text does ('5.0000' for numeric(16,4); never an exponent at a scale of 0…6).
    "decimal": "{c}::text",
    "date": "{c}",  # to_json(date) is ISO 8601, as date.isoformat()
    # datetime.isoformat() of asyncpg's UTC datetimes: six digits of microseconds unless
    # there are none, and +00:00 (to_json would trim trailing zeros and follow TimeZone).
    "timestamptz": (
        "CASE WHEN {c} IS NOT NULL THEN to_char({c} AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN extract(microseconds FROM {c})::bigint"
        " % 1000000 = 0 THEN '' ELSE to_char({c} AT TIME ZONE 'UTC', '.US') END || '+00:00' END"
    ),
}


@dataclass(frozen=True)
class Column:
    """A column of the current row. `private`: shown only where the object's `reveal`
    condition holds (null elsewhere)."""

    column: str
    kind: str = "text"
    private: bool = False
    # An enum's members. Nullable: a stored value outside them reads as null, as the
    # ordinary path reads it (kinerja_saas/db/fields.py). `strict` (a non-null enum): such a
    # value fails the statement, as the ordinary path's strict read fails the request —
    # never sent as if it were a member of the schema's enum.
    choices: tuple[str, ...] = ()
    strict: bool = False


@dataclass(frozen=True)
class Const:
    """A value known before the statement runs (a type name, a flag decided in Python)."""

    value: str | int | bool | None


# A condition on the row aliased `alias`, binding what it needs on `sql`.
Reveal = Callable[[str, Sql], str]


@dataclass(frozen=True)
class Obj:
    keys: tuple[tuple[str, Node], ...]
    reveal: Reveal | None = None  # None: private columns shown


@dataclass(frozen=True)
class ToOne:
    """The row of `table` whose id is the current row's `key` column (same region), as
    `shape`; null when there is none."""

    table: str
    key: str
    shape: Obj


@dataclass(frozen=True)
class ToMany:
    """The rows of `table` whose `key` column is the current row's id (same region), where
    every `where` column is true, in `order` (ascending), as a list of `shape`."""

    table: str
    key: str
    shape: Obj
    where: tuple[str, ...] = ()
    order: tuple[str, ...] = ("id",)


@dataclass(frozen=True)
class SameRow:
    """The current row again, as another object (a connection edge's node, or columns of a
    joined row read as a nested object); null where the `present` column is null."""

    shape: Obj
    present: str | None = None


@dataclass(frozen=True)
class Cursor:
    """The keyset cursor of the current row as schema/pagination.py encodes it:
    urlsafe base64 of the JSON array [value of `column`, id, tag] (text columns only)."""

    column: str | None  # None: the cursor carries no sort value (keyset by id alone)
    tag: str


Node = Column | Const | ToOne | ToMany | SameRow | Cursor | Obj


@dataclass
class _Aliases:
    n: int = 0

    def next(self) -> str:
        self.n += 1
        return f"j{self.n}"


@dataclass
class Builder:
    sql: Sql
    aliases: _Aliases = field(default_factory=_Aliases)

    def key(self, value: str) -> str:
        return f"{self.sql.param(value)}::text"

    def obj(self, shape: Obj, alias: str) -> str:
        if len(shape.keys) > MAX_KEYS:
            raise TooWide
        if not shape.keys:
            return "json_build_object()"
        parts = [f"{self.key(k)}, {self.node(n, alias, shape)}" for k, n in shape.keys]
        return f"json_build_object({', '.join(parts)})"

    def node(self, node: Node, alias: str, parent: Obj) -> str:
        if isinstance(node, Column):
            column = f"{alias}.{_name(node.column)}"
            expr = KINDS[node.kind].format(c=column)
            if node.choices:
                known = self.sql.param(list(node.choices))
                # Not a constant (it reads the column), so never folded when the statement
                # is planned: it fails only on a row that holds an unknown value.
                fail = f" ELSE ('unknown stored choice: ' || {column})::int::text" * node.strict
                expr = f"CASE WHEN {column} = ANY({known}::text[]) THEN {expr}{fail} END"
            if node.private and parent.reveal is not None:
                expr = f"CASE WHEN {parent.reveal(alias, self.sql)} THEN {expr} END"
            return expr
        if isinstance(node, Const):
            if node.value is None:
                return "NULL::json"
            cast = {bool: "boolean", int: "bigint", str: "text"}[type(node.value)]
            return f"{self.sql.param(node.value)}::{cast}"
        if isinstance(node, ToOne):
            other = self.aliases.next()
            return (
                f"(SELECT {self.obj(node.shape, other)} FROM {_name(node.table)} {other}"
                f" WHERE {other}.tenant_id = {alias}.tenant_id"
                f" AND {other}.id = {alias}.{_name(node.key)})"
            )
        if isinstance(node, ToMany):
            other = self.aliases.next()
            where = "".join(f" AND {other}.{_name(c)}" for c in node.where)
            by = ", ".join(f"{other}.{_name(c)}" for c in node.order)
            return (
                f"coalesce((SELECT json_agg({self.obj(node.shape, other)} ORDER BY {by})"
                f" FROM {_name(node.table)} {other} WHERE {other}.tenant_id = {alias}.tenant_id"
                f" AND {other}.{_name(node.key)} = {alias}.id{where}), '[]'::json)"
            )
        if isinstance(node, SameRow):
            if node.present is None:
                return self.obj(node.shape, alias)
            present = f"{alias}.{_name(node.present)}"
            return f"CASE WHEN {present} IS NOT NULL THEN {self.obj(node.shape, alias)} END"
        if isinstance(node, Cursor):
            value = (
                "'null'" if node.column is None else f"to_json({alias}.{_name(node.column)})::text"
            )
            array = (
                f"'[' || {value} || ',' || {alias}.id::text"
                f" || ',' || to_json({self.sql.param(node.tag)}::text)::text || ']'"
            )
            return f"translate(encode(convert_to({array}, 'UTF8'), 'base64'), E'+/\\n', '-_')"
        return self.obj(node, alias)


# --- a keyset page: edges, pageInfo ---------------------------------------------------


@dataclass(frozen=True)
class Edges:
    """The page's rows in order, each as `shape` (an edge: node, cursor)."""

    shape: Obj


@dataclass(frozen=True)
class HasNextPage:
    pass


@dataclass(frozen=True)
class EdgeCursor:
    """The cursor of the page's first (`last=False`) or last row; null on an empty page."""

    last: bool
    cursor: Cursor


PageNode = Edges | HasNextPage | EdgeCursor | Const


@dataclass(frozen=True)
class PageInfo:
    keys: tuple[tuple[str, PageNode], ...]


@dataclass(frozen=True)
class Page:
    """A connection: keys of Edges, PageInfo, Const (its type name)."""

    keys: tuple[tuple[str, Edges | PageInfo | Const], ...]


def keyset_page(
    b: Builder, *, rows: str, order: list[tuple[str, bool]], limit: int, shape: Page
) -> str:
    """A subquery answering the connection `shape` over `rows`: a SELECT of the page's rows
    (at most `limit` + 1 of them, in `order`, (column, descending) pairs; the one more tells
    whether a next page follows)."""
    if len(shape.keys) > MAX_KEYS:
        raise TooWide
    cte, alias = b.aliases.next(), b.aliases.next()
    by = ", ".join(f"{alias}.{_name(c)} {'DESC' if d else 'ASC'}" for c, d in order)
    back = ", ".join(f"{alias}.{_name(c)} {'ASC' if d else 'DESC'}" for c, d in order)
    # Bound once, when first written: a parameter the text never names has no type, and
    # PostgreSQL refuses the statement (a page selecting only pageInfo's hasPreviousPage).
    bound: list[str] = []

    def limit_param() -> str:
        if not bound:
            bound.append(b.sql.param(limit))
        return bound[0]

    def page() -> str:
        return f"(SELECT * FROM {cte} {alias} ORDER BY {by} LIMIT {limit_param()})"

    def part(node: Edges | PageInfo | Const | PageNode) -> str:
        if isinstance(node, Edges):
            edge = b.obj(node.shape, alias)
            return (
                f"coalesce((SELECT json_agg({edge} ORDER BY {by}) FROM {page()} {alias}), '[]'::json)"
            )
        if isinstance(node, PageInfo):
            if len(node.keys) > MAX_KEYS:
                raise TooWide
            if not node.keys:
                return "json_build_object()"
            inner = ", ".join(f"{b.key(k)}, {part(n)}" for k, n in node.keys)
            return f"json_build_object({inner})"
        if isinstance(node, HasNextPage):
            return f"((SELECT count(*) FROM {cte}) > {limit_param()})"
        if isinstance(node, EdgeCursor):
            cursor = b.node(node.cursor, alias, Obj(()))
            return f"(SELECT {cursor} FROM {page()} {alias} ORDER BY {back if node.last else by} LIMIT 1)"
        return b.node(node, alias, Obj(()))

    body = ", ".join(f"{b.key(k)}, {part(n)}" for k, n in shape.keys)
    return f"(WITH {cte} AS ({rows}) SELECT json_build_object({body}))"


def one_row(b: Builder, *, rows: str, shape: Obj) -> str:
    """A subquery answering `shape` over the one row `rows` selects (null when none)."""
    alias = b.aliases.next()
    return f"(SELECT {b.obj(shape, alias)} FROM ({rows}) {alias})"


async def fetch(b: Builder, roots: list[str]) -> list[str | None]:
    """Runs the statement answering each of `roots` (subqueries), in one row: each root's
    JSON as text (None: SQL null)."""
    columns = ", ".join(f"({expr})::text AS r{i}" for i, expr in enumerate(roots))
    client: Any = db()
    _, rows = await client.execute_query(f"SELECT {columns}", b.sql.params)
    return [rows[0][f"r{i}"] for i in range(len(roots))]
