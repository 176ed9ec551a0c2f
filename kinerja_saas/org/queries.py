"""The organisation domain's SQL: the employees read model (scoped, filtered, keyset
pages with joined relations), the unit tree's subtree move, the supervision chain, and
the structure lock. Services in this package call these; nothing else writes SQL here."""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, cast

from tortoise.expressions import Q

from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import Row, Sql, copy_records, db, json_select, scoped
from kinerja_saas.db.fragments import (
    MAX_SUPERVISION_DEPTH,
    employee_scope,
    path_under,
    supervision_chain_above,
    unit_subtree,
)
from kinerja_saas.org import rules
from kinerja_saas.org.models import ImportJob, ImportProblem
from tenants.context import current_tenant_id

EMPLOYEE_COLUMNS = (
    "id, tenant_id, nip, name, position, position_type, golongan, unit_id, supervisor_id,"
    " email, phone, is_active, created_at, updated_at"
)
UNIT_COLUMNS = (
    "id",
    "tenant_id",
    "parent_id",
    "code",
    "name",
    "kind",
    "path",
    "depth",
    "is_active",
)
ORDER_COLUMNS = {"NAME": "name", "NIP": "nip", "CREATED_AT": "created_at"}


class EmployeeRow(TypedDict):
    id: int
    tenant_id: int
    nip: str
    name: str
    position: str
    position_type: str
    golongan: str | None
    unit_id: int
    supervisor_id: int | None
    email: str | None
    phone: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class LoginVersion(TypedDict):
    id: int
    token_version: int


@dataclass(frozen=True)
class EmployeeFilter:
    unit_id: int | None = None
    include_subunits: bool = True
    search: str | None = None
    active: bool | None = None
    supervisor_id: int | None = None


RELATIONS = {
    # relation -> (join, columns): one LEFT JOIN each, so a page with its units and
    # supervisors is still one statement.
    "unit": (
        "LEFT JOIN org_units r_unit ON r_unit.tenant_id = p.tenant_id AND r_unit.id = p.unit_id",
        UNIT_COLUMNS,
    ),
    "supervisor": (
        "LEFT JOIN employees r_supervisor ON r_supervisor.tenant_id = p.tenant_id"
        " AND r_supervisor.id = p.supervisor_id",
        tuple(c.strip() for c in EMPLOYEE_COLUMNS.split(",")),
    ),
}


# --- structure ------------------------------------------------------------------------------


async def lock_org_structure() -> None:
    """Serialises changes to the unit tree and the supervision chain of one region until the
    transaction ends, so two concurrent moves cannot build a cycle that each check alone
    would have refused. Callers read the rows they check after taking it."""
    await db().execute_query(
        "SELECT pg_advisory_xact_lock(hashtextextended('kinerja:org-structure', $1))",
        [current_tenant_id()],
    )


async def move_subtree(
    *, unit_id: int, old_path: str, new_path: str, depth_delta: int, new_parent_id: int | None
) -> None:
    """Re-roots the unit and all its descendants in one statement."""
    await db().execute_query(
        "UPDATE org_units SET path = $2 || substr(path, length($3) + 1), depth = depth + $4,"
        " parent_id = CASE WHEN id = $5 THEN $6 ELSE parent_id END, updated_at = now()"
        " WHERE tenant_id = $1 AND " + path_under("path", "$3"),
        [current_tenant_id(), new_path, old_path, depth_delta, unit_id, new_parent_id],
    )


async def supervisor_chain_contains(start_id: int, target_id: int) -> bool:
    """Whether `target_id` is `start_id` or above it in the supervision chain."""
    _, rows = await db().execute_query(
        supervision_chain_above("$2", depth="$4") + " SELECT 1 FROM chain WHERE id = $3 LIMIT 1",
        [current_tenant_id(), start_id, target_id, MAX_SUPERVISION_DEPTH],
    )
    return bool(rows)


async def end_logins_of_employee(employee_id: int) -> list[LoginVersion]:
    """Deactivates the employee's login accounts and bumps their token versions."""
    rows = await db().execute_query_dict(
        "UPDATE user_accounts SET is_active = false, token_version = token_version + 1"
        " WHERE tenant_id = $1 AND employee_id = $2 RETURNING id, token_version",
        [current_tenant_id(), employee_id],
    )
    return cast(list[LoginVersion], rows)


# --- the employees read model ----------------------------------------------------------------


def _employees_where(
    actor: Actor, flt: EmployeeFilter | None = None, sql: Sql | None = None
) -> Sql:
    """The employees `actor` may see (the region admin all, a supervisor their chain below
    and themselves, anyone else themselves) that `flt` selects: the one predicate of the
    ordinary reads and of the compiled read path. On `sql` when given (its `$1` the tenant),
    whose `where` it leaves holding these conditions only."""
    if sql is None:
        sql = Sql(current_tenant_id())
    sql.where = ["tenant_id = $1"]
    employee_scope(sql, actor)
    if flt is None:
        return sql
    if flt.unit_id is not None:
        unit = sql.param(flt.unit_id)
        if flt.include_subunits:
            sql.where.append(f"unit_id IN ({unit_subtree(unit)})")
        else:
            sql.where.append(f"unit_id = {unit}")
    if flt.search:
        term = flt.search.strip()
        if rules.DIGITS.fullmatch(number := rules.normalise_nip(term)):
            term = number  # a NIP as printed: '19650812 199003 1 008'
        if rules.DIGITS.fullmatch(term):
            sql.where.append(f"nip LIKE {sql.param(term + '%')}")
        else:
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql.where.append(f"name ILIKE {sql.param('%' + escaped + '%')}")
    if flt.active is not None:
        sql.where.append(f"is_active = {sql.param(flt.active)}")
    if flt.supervisor_id is not None:
        sql.where.append(f"supervisor_id = {sql.param(flt.supervisor_id)}")
    return sql


def _page_rows(
    sql: Sql,
    *,
    actor: Actor,
    flt: EmployeeFilter,
    order: str,
    descending: bool,
    limit: int,
    after: tuple[Any, int] | None,
) -> str:
    """The SELECT of one keyset page: `limit` rows plus one (whether more follow)."""
    column = ORDER_COLUMNS[order]
    _employees_where(actor, flt, sql)
    if after is not None:
        op = "<" if descending else ">"
        sql.where.append(f"({column}, id) {op} ({sql.param(after[0])}, {sql.param(after[1])})")
    direction = "DESC" if descending else "ASC"
    return (
        f"SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE {sql.conditions()}"
        f" ORDER BY {column} {direction}, id {direction} LIMIT {sql.param(limit + 1)}"
    )


async def employees_page(
    *,
    actor: Actor,
    flt: EmployeeFilter,
    order: str,
    descending: bool,
    limit: int,
    after: tuple[Any, int] | None,
    include: frozenset[str],
) -> list[dict[str, Any]]:
    """One keyset page (`limit` rows, plus one to tell whether more follow). Relations
    named in `include` come joined in, as nested dicts (None when the row has none)."""
    column = ORDER_COLUMNS[order]
    direction = "DESC" if descending else "ASC"
    sql = Sql(current_tenant_id())
    page = _page_rows(
        sql, actor=actor, flt=flt, order=order, descending=descending, limit=limit, after=after
    )
    relations = [r for r in RELATIONS if r in include]
    selected = "".join(f", r_{r}.{c} AS {r}__{c}" for r in relations for c in RELATIONS[r][1])
    joins = " ".join(RELATIONS[r][0] for r in relations)
    query = (
        f"WITH p AS ({page}) SELECT p.*{selected} FROM p {joins}"
        f" ORDER BY p.{column} {direction}, p.id {direction}"
    )
    _, rows = await db().execute_query(query, sql.params)
    # The aliases of each relation's columns, worked out once per page, not per row.
    aliased = [(r, [(f"{r}__{c}", c) for c in RELATIONS[r][1]]) for r in relations]
    return [_nest(dict(r), aliased) for r in rows]


# --- the compiled read path (kinerja_saas/db/json_select.py, docs/compiled-queries.md) ------

# The tables behind the API's types, and the to-one keys between them.
EMPLOYEES_TABLE = "employees"
UNITS_TABLE = "org_units"


def employees_page_json(
    b: json_select.Builder,
    *,
    actor: Actor,
    flt: EmployeeFilter,
    order: str,
    descending: bool,
    limit: int,
    after: tuple[Any, int] | None,
    shape: json_select.Page,
) -> str:
    """The page `employees_page` reads, as a subquery answering the connection `shape`:
    the same rows, the same visibility predicate, the same order."""
    rows = _page_rows(
        b.sql, actor=actor, flt=flt, order=order, descending=descending, limit=limit, after=after
    )
    column = ORDER_COLUMNS[order]
    return json_select.keyset_page(
        b, rows=rows, order=[(column, descending), ("id", descending)], limit=limit, shape=shape
    )


def employee_json(
    b: json_select.Builder, *, actor: Actor, employee_id: int, shape: json_select.Obj
) -> str:
    """The row `visible_employee` reads, as a subquery answering `shape` (null: none)."""
    sql = _employees_where(actor, sql=b.sql)
    sql.where.append(f"id = {sql.param(employee_id)}")
    rows = f"SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE {sql.conditions()}"
    return json_select.one_row(b, rows=rows, shape=shape)


def unit_json(b: json_select.Builder, *, unit_id: int, shape: json_select.Obj) -> str:
    """The region's unit `unit_id` as a subquery answering `shape` (null: none), as the
    `unit` loader reads it (any unit of the region, active or not)."""
    rows = (
        f"SELECT {', '.join(UNIT_COLUMNS)} FROM org_units"
        f" WHERE tenant_id = $1 AND id = {b.sql.param(unit_id)}"
    )
    return json_select.one_row(b, rows=rows, shape=shape)


def contact_condition(scope: rules.ContactScope) -> json_select.Reveal:
    """`rules.ContactScope` in SQL: whether the row aliased `alias` (an employee) shows its
    contacts."""

    def condition(alias: str, sql: Sql) -> str:
        if scope.everyone:
            return "true"
        if scope.only is None:
            return "false"
        return f"{alias}.id = {sql.param(scope.only)}::bigint"

    return condition


def _nest(row: dict[str, Any], aliased: list[tuple[str, list[tuple[str, str]]]]) -> dict[str, Any]:
    for relation, columns in aliased:
        nested = {column: row.pop(alias) for alias, column in columns}
        row[relation] = nested if nested["id"] is not None else None
    return row


async def employees_count(*, actor: Actor, flt: EmployeeFilter) -> int:
    sql = _employees_where(actor, flt)
    _, rows = await db().execute_query(
        f"SELECT count(*) AS n FROM employees WHERE {sql.conditions()}", sql.params
    )
    return rows[0]["n"]


async def visible_employee(*, actor: Actor, employee_id: int) -> EmployeeRow | None:
    sql = _employees_where(actor)
    sql.where.append(f"id = {sql.param(employee_id)}")
    _, rows = await db().execute_query(
        f"SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE {sql.conditions()}", sql.params
    )
    return cast(EmployeeRow, dict(rows[0])) if rows else None


async def employees_by_ids(ids: list[int]) -> dict[int, EmployeeRow]:
    """Batch lookup for DataLoaders (one statement however many ids)."""
    _, rows = await db().execute_query(
        f"SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
        [current_tenant_id(), ids],
    )
    return {r["id"]: cast(EmployeeRow, dict(r)) for r in rows}


# --- the employee import (org/importing.py): staged rows, checks, the merge ----------------------


STAGE_COLUMNS = ["line_no", "nip", "nama", "jabatan", "jenis_jabatan", "golongan", "unit_path",
                 "nip_atasan", "email", "telepon"]  # fmt: skip


async def stage_rows(*, tenant_id: int, job_id: int, rows: AsyncIterable[tuple]) -> int:
    """Stores a file's rows (line, the columns) for the job in ONE row of import_files, the
    columns as parallel arrays: one COPY into a temporary table (streamed, the file is never
    held whole), then one INSERT … SELECT array_agg(…). One row instead of one per line (each
    with its foreign-key checks, index entries and RLS check). Returns how many rows."""
    await db().execute_query(
        "CREATE TEMP TABLE import_stage (line_no integer, "
        + ", ".join(f"{c} text" for c in STAGE_COLUMNS[1:])
        + ") ON COMMIT DROP"
    )
    await copy_records("import_stage", STAGE_COLUMNS, rows)
    # Every array_agg of one aggregate reads the same rows in the same order.
    staged = await db().execute_query_dict(
        "INSERT INTO import_files (tenant_id, job_id, "
        + ", ".join(STAGE_COLUMNS)
        + ") SELECT $1, $2, "
        + ", ".join(f"array_agg({c})" for c in STAGE_COLUMNS)
        + " FROM import_stage HAVING count(*) > 0 RETURNING cardinality(line_no) AS n",
        [tenant_id, job_id],
    )
    return int(staged[0]["n"]) if staged else 0


async def stage_for_sql(tenant_id: int, job_id: int) -> None:
    """Unnests the job's rows into a temporary table of this transaction and analyses the
    columns the checks and the merge join or filter on (the others change no plan), from a
    sample of 3,000 rows (default_statistics_target 10): enough for row counts and distinct
    values. No index: with nested loops off (the region's tables may have grown since their
    last analysis) every join here is a hash join, which needs none."""
    conn = db()
    # Sorts and hashes of 20,000 rows in memory, not spilled to disk (4 MB by default).
    await conn.execute_query(  # SET LOCAL, three at once
        "SELECT set_config('enable_nestloop', 'off', true), set_config('work_mem', '64MB', true),"
        " set_config('default_statistics_target', '10', true)"
    )
    await conn.execute_query(
        "CREATE TEMP TABLE staged ON COMMIT DROP AS SELECT f.tenant_id, f.job_id, u.*"
        " FROM import_files f, unnest(" + ", ".join(f"f.{c}" for c in STAGE_COLUMNS) + ")"
        " AS u(" + ", ".join(STAGE_COLUMNS) + ")"
        " WHERE f.tenant_id = $1 AND f.job_id = $2",
        [tenant_id, job_id],
    )
    await conn.execute_query(
        "ANALYZE staged (tenant_id, job_id, line_no, nip, nip_atasan, email, unit_path)"
    )


async def record_problems(tenant_id: int, job_id: int, problems: list[tuple]) -> None:
    if problems:
        await db().execute_many(
            "INSERT INTO import_problems (tenant_id, job_id, line_no, field, code, message)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            cast(list[list[Any]], [(tenant_id, job_id, *p) for p in problems]),
        )


async def resolve_units(tenant_id: int, job_id: int) -> int:
    """Maps every path of the file to a unit, creating the missing ones level by level.
    Returns how many units were created."""
    conn = db()
    _, paths = await conn.execute_query(  # the spelling of the first line naming a path wins
        "SELECT unit_path FROM staged WHERE tenant_id = $1 AND job_id = $2"
        " GROUP BY unit_path ORDER BY min(line_no)",
        [tenant_id, job_id],
    )
    # (path, parent path, depth, name, kind); keys are lower()ed by PostgreSQL alone, so the
    # file's rows and the region's units compare under one collation.
    prefixes: dict[str, tuple[str, str | None, int, str, str]] = {}
    for row in paths:
        parts = row["unit_path"].split("/")
        for depth in range(1, len(parts) + 1):
            display = "/".join(parts[:depth])
            parent = "/".join(parts[: depth - 1]) if depth > 1 else None
            name = parts[depth - 1]
            prefixes.setdefault(
                display, (display, parent, depth, name, rules.guess_unit_kind(name, depth))
            )
    await conn.execute_query(
        "CREATE TEMP TABLE import_units (key text PRIMARY KEY, parent_key text, depth int,"
        " name text, kind text, unit_id bigint, created boolean DEFAULT false) ON COMMIT DROP"
    )
    await conn.execute_many(
        "INSERT INTO import_units (key, parent_key, depth, name, kind)"
        " VALUES (lower($1), lower($2), $3, $4, $5) ON CONFLICT (key) DO NOTHING",
        cast(list[list[Any]], list(prefixes.values())),
    )
    await conn.execute_query(
        "WITH RECURSIVE named(id, key) AS ("
        "  SELECT id, lower(name)::text FROM org_units WHERE tenant_id = $1 AND parent_id IS NULL"
        "  UNION ALL SELECT u.id, n.key || '/' || lower(u.name) FROM org_units u"
        "  JOIN named n ON u.parent_id = n.id WHERE u.tenant_id = $1)"
        " UPDATE import_units iu SET unit_id = m.id"
        " FROM (SELECT key, min(id) AS id FROM named GROUP BY key) m WHERE m.key = iu.key",
        [tenant_id],
    )
    created = 0
    max_depth = max((p[2] for p in prefixes.values()), default=0)
    for depth in range(1, max_depth + 1):
        _, rows = await conn.execute_query(
            "WITH todo AS ("
            "  SELECT iu.key, iu.name, iu.kind, p.unit_id AS parent_id, p_unit.path AS parent_path,"
            "    nextval(pg_get_serial_sequence('org_units', 'id')) AS id"
            "  FROM import_units iu"
            "  LEFT JOIN import_units p ON p.key = iu.parent_key"
            "  LEFT JOIN org_units p_unit ON p_unit.tenant_id = $1 AND p_unit.id = p.unit_id"
            "  WHERE iu.depth = $2 AND iu.unit_id IS NULL),"
            " ins AS ("
            "  INSERT INTO org_units (id, tenant_id, parent_id, code, name, kind, path, depth,"
            "    is_active, created_at, updated_at)"
            "  SELECT id, $1, parent_id,"
            # IMP-<id> is reserved (rules.IMPORT_UNIT_CODE); a unit recoded by hand before
            # the reservation may hold it still: then a suffix nobody chooses by hand.
            "    CASE WHEN EXISTS (SELECT 1 FROM org_units o WHERE o.tenant_id = $1"
            "      AND o.code = 'IMP-' || todo.id)"
            "    THEN 'IMP-' || todo.id || '-' || substr(md5(random()::text), 1, 6)"
            "    ELSE 'IMP-' || todo.id END, name, kind,"
            "    COALESCE(parent_path, '/') || id || '/', $2 - 1, true, now(), now() FROM todo"
            "  RETURNING id)"
            " UPDATE import_units iu SET unit_id = todo.id, created = true FROM todo"
            " WHERE iu.key = todo.key RETURNING iu.key",
            [tenant_id, depth],
        )
        created += len(rows)
    return created


# Rules between rows, each one statement over `staged` (see _stage_for_sql); parameters
# $1 tenant, $2 job.
CROSS_ROW_CHECKS = (
    # A NIP twice in the file.
    """SELECT r.line_no, 'nip', 'DUPLICATE_IN_FILE',
              'NIP ' || r.nip || ' juga ada di baris ' || f.first_line || '.'
       FROM staged r JOIN (
           SELECT nip, min(line_no) AS first_line FROM staged
           WHERE tenant_id = $1 AND job_id = $2 GROUP BY nip HAVING count(*) > 1) f
         ON f.nip = r.nip AND r.line_no > f.first_line
       WHERE r.tenant_id = $1 AND r.job_id = $2""",
    # A supervisor who is neither in the file nor an (active) employee of the region.
    """SELECT r.line_no, 'nip_atasan',
              CASE WHEN e.id IS NULL THEN 'UNKNOWN_SUPERVISOR' ELSE 'INACTIVE_SUPERVISOR' END,
              CASE WHEN e.id IS NULL
                   THEN 'Tidak ada pegawai dengan NIP ' || r.nip_atasan
                        || ' di berkas ini maupun di wilayah ini.'
                   ELSE 'Atasan ' || r.nip_atasan || ' sudah dinonaktifkan; cantumkan di berkas'
                        || ' untuk mengaktifkannya kembali, atau tunjuk atasan lain.' END
       FROM staged r
       LEFT JOIN employees e ON e.tenant_id = $1 AND e.nip = r.nip_atasan
       WHERE r.tenant_id = $1 AND r.job_id = $2 AND r.nip_atasan ~ '^[0-9]{18}$'
         AND r.nip_atasan <> r.nip
         AND NOT EXISTS (SELECT 1 FROM staged o
                         WHERE o.tenant_id = $1 AND o.job_id = $2 AND o.nip = r.nip_atasan)
         AND (e.id IS NULL OR NOT e.is_active)""",
    # An e-mail given to two people in the file.
    """SELECT r.line_no, 'email', 'DUPLICATE_IN_FILE',
              'E-mail ' || r.email || ' juga dipakai di baris ' || f.first_line || '.'
       FROM staged r JOIN (
           SELECT email, min(line_no) AS first_line FROM staged
           WHERE tenant_id = $1 AND job_id = $2 AND email <> ''
           GROUP BY email HAVING count(DISTINCT nip) > 1) f
         ON f.email = r.email AND r.line_no > f.first_line
       WHERE r.tenant_id = $1 AND r.job_id = $2""",
    # An e-mail whose login belongs to somebody else.
    """SELECT r.line_no, 'email', 'EMAIL_TAKEN',
              'E-mail ' || r.email || ' sudah menjadi akun pegawai lain di wilayah ini.'
       FROM staged r
       JOIN user_accounts a ON a.tenant_id = $1 AND a.email = r.email
       JOIN employees e ON e.tenant_id = $1 AND e.id = a.employee_id
       WHERE r.tenant_id = $1 AND r.job_id = $2 AND r.email <> '' AND e.nip <> r.nip""",
    # A path that names a deactivated unit.
    """WITH RECURSIVE named(id, name_path, is_active) AS (
           SELECT id, lower(name)::text, is_active FROM org_units
           WHERE tenant_id = $1 AND parent_id IS NULL
           UNION ALL
           SELECT u.id, n.name_path || '/' || lower(u.name), u.is_active
           FROM org_units u JOIN named n ON u.parent_id = n.id WHERE u.tenant_id = $1)
       , dead AS (SELECT name_path FROM named WHERE NOT is_active)
       -- a path's prefixes (one per level) against the deactivated units' paths: a hash
       -- join; and nothing at all to do (one-time filter) in a region without any
       SELECT DISTINCT ON (r.line_no) r.line_no, 'unit', 'INACTIVE_UNIT',
              'Unit ' || r.unit_path || ' adalah, atau berada di bawah, unit yang dinonaktifkan.'
       FROM staged r
       CROSS JOIN LATERAL string_to_array(lower(r.unit_path), '/') AS parts
       CROSS JOIN LATERAL generate_series(1, cardinality(parts)) AS k
       JOIN dead d ON d.name_path = array_to_string(parts[1:k], '/')
       WHERE r.tenant_id = $1 AND r.job_id = $2
         AND EXISTS (SELECT 1 FROM org_units x WHERE x.tenant_id = $1 AND NOT x.is_active)""",
)

# With deactivateMissing: a supervisor outside the file would be deactivated by this import.
SUPERVISOR_LEAVING = """
SELECT r.line_no, 'nip_atasan', 'SUPERVISOR_NOT_IN_FILE',
       'Atasan ' || r.nip_atasan || ' tidak ada di berkas, sehingga impor ini akan'
       || ' menonaktifkannya.'
FROM staged r
WHERE r.tenant_id = $1 AND r.job_id = $2 AND r.nip_atasan <> ''
  AND NOT EXISTS (SELECT 1 FROM staged o WHERE o.nip = r.nip_atasan)
  AND EXISTS (SELECT 1 FROM employees e WHERE e.tenant_id = $1 AND e.nip = r.nip_atasan)
"""

# The roster as it will be: the file's supervision links over the region's.
_GRAPH = """
    SELECT nip, NULLIF(nip_atasan, '') FROM staged WHERE tenant_id = $1 AND job_id = $2
    UNION ALL
    SELECT e.nip, s.nip FROM employees e
    LEFT JOIN employees s ON s.tenant_id = e.tenant_id AND s.id = e.supervisor_id
    WHERE e.tenant_id = $1 AND NOT EXISTS (
        SELECT 1 FROM staged r WHERE r.tenant_id = $1 AND r.job_id = $2 AND r.nip = e.nip)
"""

# Everyone some chain from the top reaches. Linear (UNION deduplicates), unlike the walk
# below; whoever it does not reach sits in or under a cycle.
_REACHED = f"""
WITH RECURSIVE graph(nip, sup) AS ({_GRAPH}),
down(nip) AS (
    SELECT g.nip FROM graph g
    WHERE g.sup IS NULL OR NOT EXISTS (SELECT 1 FROM graph p WHERE p.nip = g.sup)
    UNION
    SELECT g.nip FROM graph g JOIN down d ON g.sup = d.nip
)"""
CYCLE_PRESENT = (
    _REACHED
    + " SELECT count(*) AS n FROM graph g WHERE NOT EXISTS (SELECT 1 FROM down d WHERE d.nip = g.nip)"
)
# When the walk below gives up (a cycle longer than it follows): every unreached line.
CYCLE_UNREACHED = (
    _REACHED
    + """ SELECT r.line_no, 'nip_atasan', 'CYCLE',
       'Rantai atasan membentuk lingkaran: NIP ' || r.nip
       || ' tidak pernah sampai ke pimpinan tertinggi.'
    FROM staged r WHERE r.tenant_id = $1 AND r.job_id = $2
      AND NOT EXISTS (SELECT 1 FROM down d WHERE d.nip = r.nip)"""
)

# Supervision cycles, each with its path for the message.
CYCLE_CHECK = f"""
WITH RECURSIVE graph(nip, sup) AS ({_GRAPH}), walk(start, cur, path) AS (
    SELECT g.nip, g.sup, ARRAY[g.nip] FROM graph g
    WHERE g.sup IS NOT NULL AND g.sup <> g.nip
      AND EXISTS (SELECT 1 FROM staged r WHERE r.tenant_id = $1 AND r.job_id = $2
                  AND r.nip = g.nip)
    UNION ALL
    SELECT w.start, g.sup, w.path || w.cur FROM walk w JOIN graph g ON g.nip = w.cur
    WHERE w.cur <> w.start AND NOT (w.cur = ANY(w.path[2:])) AND g.sup IS NOT NULL
      AND cardinality(w.path) < 64
)
SELECT r.line_no, 'nip_atasan', 'CYCLE',
       'Rantai atasan membentuk lingkaran: ' || array_to_string(w.path || w.start, ' → ') || '.'
FROM walk w JOIN staged r ON r.tenant_id = $1 AND r.job_id = $2 AND r.nip = w.start
WHERE w.cur = w.start
"""


def cross_row_checks(*, deactivate_missing: bool) -> list[str]:
    """The statements of the rules between rows ($1 tenant, $2 job), each returning
    (line, field, code, message) rows."""
    return [*CROSS_ROW_CHECKS, SUPERVISOR_LEAVING] if deactivate_missing else list(CROSS_ROW_CHECKS)


async def problems_found(check: str, tenant_id: int, job_id: int) -> list[Any]:
    """The rows one check (of `cross_row_checks`) finds."""
    _, found = await db().execute_query(check, [tenant_id, job_id])
    return list(found)  # records: the problem columns are unnamed


async def supervision_may_change(tenant_id: int, job_id: int) -> bool:
    """Whether the file brings a new employee or another supervisor for one: otherwise the
    chains stay those of the region, which never holds a cycle, and none need be looked for."""
    _, rows = await db().execute_query(
        "SELECT EXISTS (SELECT 1 FROM staged r"
        " LEFT JOIN employees e ON e.tenant_id = $1 AND e.nip = r.nip"
        " LEFT JOIN employees s ON s.tenant_id = $1 AND s.id = e.supervisor_id"
        " WHERE r.tenant_id = $1 AND r.job_id = $2"
        " AND (e.id IS NULL OR s.nip IS DISTINCT FROM NULLIF(r.nip_atasan, ''))) AS changes",
        [tenant_id, job_id],
    )
    return bool(rows[0]["changes"])


async def unreached_count(tenant_id: int, job_id: int) -> int:
    """How many of the roster-to-be no chain from the top reaches (0: no cycle)."""
    _, rows = await db().execute_query(CYCLE_PRESENT, [tenant_id, job_id])
    return rows[0]["n"]


async def supervision_cycles(tenant_id: int, job_id: int) -> list[Any]:
    _, found = await db().execute_query(CYCLE_CHECK, [tenant_id, job_id])
    return list(found)  # records: the problem columns are unnamed


async def unreached_lines(tenant_id: int, job_id: int) -> list[Any]:
    _, found = await db().execute_query(CYCLE_UNREACHED, [tenant_id, job_id])
    return list(found)  # records: the problem columns are unnamed


_IN_FILE = "SELECT nip FROM staged WHERE tenant_id = $1 AND job_id = $2"

EMPLOYEE_SNAPSHOT = (
    "jsonb_build_object('nip', {t}.nip, 'name', {t}.name, 'position', {t}.position,"
    " 'position_type', {t}.position_type, 'golongan', {t}.golongan, 'unit_id', {t}.unit_id,"
    " 'supervisor_id', {t}.supervisor_id, 'email', {t}.email, 'phone', {t}.phone,"
    " 'is_active', {t}.is_active)"
)


class UpsertedRow(TypedDict):
    id: int
    inserted: bool
    changed: bool  # inserted, or a column other than the supervisor changed
    supervisor_changed: bool


async def upsert_employees_from_file(
    *, tenant_id: int, job_id: int, updated_columns: list[str], with_supervisors: bool
) -> list[UpsertedRow]:
    """Inserts the file's new employees and updates the changed ones ($1 tenant, $2 job;
    `updated_columns` are the columns the file sets besides the supervisor); one row per
    employee written. With `with_supervisors` (the file has nip_atasan) each supervisor is
    resolved by NIP in the same statement: new employees' ids are taken from the sequence
    first, so a supervisor inserted by this very statement can be pointed at (the
    self-referencing key is checked at its end) and no second pass rewrites the new rows.

    Only the rows that differ from the stored employee (`todo`) go to the INSERT: the
    comparison of its ON CONFLICT's WHERE, made first, with the supervisor compared by NIP
    (NIPs are unique in the region and, validated, in the file: the file's supervisor
    resolves to the stored one exactly when their NIPs are equal). An unchanged row of a
    re-import costs a hash probe, not a conflicting insert that locks the employee's row and
    a supervisor lookup. The snapshot before of each employee it writes goes to
    import_before (create_import_before) from the same statement's read, for the audit and
    the position history."""
    columns = [*updated_columns, "supervisor_id"] if with_supervisors else updated_columns
    new_values = {
        "name": "t.nama",
        "position": "t.jabatan",
        "position_type": "t.jenis_jabatan",
        "golongan": "NULLIF(t.golongan, '')",
        "unit_id": "t.unit_id",
        "supervisor_id": "COALESCE(sf.id, sr.id)" if with_supervisors else "NULL::bigint",
        "email": "NULLIF(t.email, '')",
        "phone": "NULLIF(t.telepon, '')",
    }
    # What the file says against what is stored, column by column (the supervisor by NIP).
    compared = [
        ("s.stored_supervisor_nip", "NULLIF(s.nip_atasan, '')")
        if c == "supervisor_id"
        else (f"s.stored_{c}", new_values[c].replace("t.", "s."))
        for c in columns
    ]
    return cast(
        list[UpsertedRow],
        await db().execute_query_dict(
            "WITH src AS MATERIALIZED ("
            "  SELECT r.nip, r.nama, r.jabatan, r.jenis_jabatan, r.golongan, r.nip_atasan, r.email,"
            "    r.telepon, iu.unit_id, e.id AS old_id,"
            + "".join(f" e.{c} AS stored_{c}," for c in _SNAPSHOT_COLUMNS)
            + " sup.nip AS stored_supervisor_nip,"
            "    COALESCE(e.id, nextval(pg_get_serial_sequence('employees', 'id'))) AS id"
            # a row without its unit (never: resolve_units maps every path) would write a
            # NULL unit_id and fail the statement, never be dropped silently
            "  FROM staged r LEFT JOIN import_units iu ON iu.key = lower(r.unit_path)"
            "  LEFT JOIN employees e ON e.tenant_id = $1 AND e.nip = r.nip"
            "  LEFT JOIN employees sup ON sup.tenant_id = $1 AND sup.id = e.supervisor_id"
            "  WHERE r.tenant_id = $1 AND r.job_id = $2),"
            " todo AS MATERIALIZED (SELECT s.* FROM src s WHERE s.old_id IS NULL OR ("
            + ", ".join(stored for stored, _ in compared)
            + ", s.stored_is_active) IS DISTINCT FROM ("
            + ", ".join(given for _, given in compared)
            + ", true)),"
            " up AS ("
            "  INSERT INTO employees (id, tenant_id, nip, name, position, position_type, golongan,"
            "    unit_id, supervisor_id, email, phone, is_active, created_at, updated_at)"
            "  SELECT t.id, $1, t.nip, "
            + ", ".join(new_values[c] for c in _UPSERT_COLUMNS)
            + ", true, now(), now() FROM todo t"
            # the supervisor from the file (new or existing), else an employee of the region
            + (
                "  LEFT JOIN src sf ON sf.nip = NULLIF(t.nip_atasan, '')"
                "  LEFT JOIN employees sr ON sf.nip IS NULL AND sr.tenant_id = $1"
                "    AND sr.nip = NULLIF(t.nip_atasan, '')"
                if with_supervisors
                else ""
            )
            + "  ON CONFLICT (tenant_id, nip) DO UPDATE SET "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
            + ", is_active = true, updated_at = now() WHERE ("
            + ", ".join(f"employees.{c}" for c in columns)
            + ", employees.is_active) IS DISTINCT FROM ("
            + ", ".join(f"EXCLUDED.{c}" for c in columns)
            + ", true) RETURNING employees.id, (xmax = 0) AS inserted, "
            + ", ".join(f"employees.{c}" for c in columns)
            + ", employees.is_active),"
            # the snapshot of the written rows only, from the statement's own read
            " before AS (INSERT INTO import_before (id, snapshot)"
            "  SELECT t.id, jsonb_build_object("
            + ", ".join(f"'{c}', t.stored_{c}" for c in _SNAPSHOT_COLUMNS)
            + ") FROM up JOIN todo t ON t.id = up.id WHERE t.old_id IS NOT NULL)"
            " SELECT up.id, up.inserted,"
            "  up.inserted OR ("
            + ", ".join(f"up.{c}" for c in updated_columns)
            + ", up.is_active) IS DISTINCT FROM ("
            + ", ".join(f"t.stored_{c}" for c in updated_columns)
            + ", t.stored_is_active) AS changed,"
            + (
                "  up.supervisor_id IS DISTINCT FROM t.stored_supervisor_id AS supervisor_changed"
                if with_supervisors
                else "  false AS supervisor_changed"
            )
            + " FROM up JOIN todo t ON t.id = up.id",
            [tenant_id, job_id],
        ),
    )


# The columns of an employee's snapshot (EMPLOYEE_SNAPSHOT), in its order.
_SNAPSHOT_COLUMNS = ("nip", "name", "position", "position_type", "golongan", "unit_id",
                     "supervisor_id", "email", "phone", "is_active")  # fmt: skip

# The columns the upsert's INSERT sets from the file (its ON CONFLICT updates the given ones).
_UPSERT_COLUMNS = ("name", "position", "position_type", "golongan", "unit_id", "supervisor_id",
                   "email", "phone")  # fmt: skip


async def create_import_before() -> tuple[int, Any]:
    """import_before: the snapshot of every employee this import changes, as it was, written
    by the statements that change them (upsert_employees_from_file,
    deactivate_employees_not_in_file) from their own reads, for the audit entries, the
    position history and the returning employees' logins."""
    return await db().execute_query(
        "CREATE TEMP TABLE import_before (id bigint PRIMARY KEY, snapshot jsonb NOT NULL)"
        " ON COMMIT DROP"
    )


async def deactivate_employees_not_in_file(*, tenant_id: int, job_id: int) -> list[Row]:
    """Deactivates the region's active employees the file does not name; returns their ids.
    Their snapshot before (the same but active) goes to import_before."""
    return await db().execute_query_dict(
        "WITH off AS (UPDATE employees e SET is_active = false, updated_at = now()"
        f" WHERE e.tenant_id = $1 AND e.is_active AND e.nip NOT IN ({_IN_FILE})"
        " RETURNING e.id, " + EMPLOYEE_SNAPSHOT.format(t="e") + " AS after),"
        " before AS (INSERT INTO import_before (id, snapshot)"
        "  SELECT id, jsonb_set(after, '{is_active}', 'true') FROM off)"
        " SELECT id FROM off",
        [tenant_id, job_id],
    )


async def end_logins_of_deactivated(*, tenant_id: int, employee_ids: list[int]) -> list[Row]:
    """Ends the logins of the deactivated employees ($2), region admins' excepted."""
    return await db().execute_query_dict(
        "UPDATE user_accounts SET is_active = false, token_version = token_version + 1"
        " WHERE tenant_id = $1 AND employee_id = ANY($2::bigint[])"
        " AND NOT ('REGION_ADMIN' = ANY(roles)) RETURNING id, token_version",
        [tenant_id, employee_ids],
    )


async def audit_import(
    *,
    tenant_id: int,
    actor_user_id: int | None,
    actor_label: str,
    request_id: str,
    written_ids: list[int],
) -> tuple[int, Any]:
    """One audit entry per employee the import changed ($5: the ids the upsert and the
    deactivation wrote; nobody else can differ from the snapshot), with only the fields
    that changed."""
    return await db().execute_query(
        "INSERT INTO audit_log (tenant_id, actor_user_id, actor, action, entity, entity_id,"
        " before, after, request_id, created_at)"
        " SELECT $1, $2, $3, CASE WHEN b.id IS NULL THEN 'employee.import_create'"
        "   WHEN NOT (d.after ->> 'is_active')::boolean THEN 'employee.import_deactivate'"
        "   ELSE 'employee.import_update' END, 'employee', d.id,"
        "   CASE WHEN b.id IS NULL THEN NULL ELSE (SELECT jsonb_object_agg(k, b.snapshot -> k)"
        "     FROM jsonb_object_keys(d.after) k WHERE d.after -> k IS DISTINCT FROM b.snapshot -> k) END,"
        "   CASE WHEN b.id IS NULL THEN d.after ELSE (SELECT jsonb_object_agg(k, d.after -> k)"
        "     FROM jsonb_object_keys(d.after) k WHERE d.after -> k IS DISTINCT FROM b.snapshot -> k) END,"
        "   $4, now()"
        " FROM (SELECT e.id, " + EMPLOYEE_SNAPSHOT.format(t="e") + " AS after FROM employees e"
        "   WHERE e.tenant_id = $1 AND e.id = ANY($5::bigint[])) d"
        " LEFT JOIN import_before b ON b.id = d.id"
        " WHERE b.id IS NULL OR b.snapshot IS DISTINCT FROM d.after",
        [tenant_id, actor_user_id, actor_label, request_id, written_ids],
    )


async def record_import_positions(
    *, tenant_id: int, written_ids: list[int], created_by: int | None
) -> tuple[int, Any]:
    """The roster import's position history, in one statement for every employee it wrote
    ($2), as org/positions.record_change does for one: a new employee's first stretch opens on
    the region's today; an employee whose unit, supervisor or jabatan changed (against
    import_before) has their open stretch closed the day before (written from the snapshot
    when they had none) and a new one opened, or the open stretch amended when it began today
    or later. Written by data-modifying CTEs over disjoint rows of one snapshot."""
    return await db().execute_query(
        f"WITH day AS MATERIALIZED (SELECT {REGION_DAY} AS d),"
        " moved AS MATERIALIZED ("
        "  SELECT e.id, e.unit_id, e.supervisor_id, e.position, b.id IS NULL AS is_new,"
        "    (b.snapshot ->> 'unit_id')::bigint AS old_unit_id,"
        "    (b.snapshot ->> 'supervisor_id')::bigint AS old_supervisor_id,"
        "    b.snapshot ->> 'position' AS old_position, h.id AS open_id,"
        "    h.starts_on IS NOT NULL AND h.starts_on >= day.d AS amend"
        "  FROM employees e CROSS JOIN day LEFT JOIN import_before b ON b.id = e.id"
        # Each written employee's open stretch (the latest), for all of them at once: a
        # hash join, where a LATERAL probe per employee cost ~0.3-1 s of 20,000.
        "  LEFT JOIN (SELECT DISTINCT ON (p.employee_id) p.employee_id, p.id, p.starts_on"
        "    FROM position_history p WHERE p.tenant_id = $1 AND p.employee_id = ANY($2::bigint[])"
        "    AND p.ends_on IS NULL ORDER BY p.employee_id, p.id DESC) h ON h.employee_id = e.id"
        "  WHERE e.tenant_id = $1 AND e.id = ANY($2::bigint[]) AND (b.id IS NULL"
        "    OR (e.unit_id, e.supervisor_id, e.position) IS DISTINCT FROM"
        "    ((b.snapshot ->> 'unit_id')::bigint, (b.snapshot ->> 'supervisor_id')::bigint,"
        "     b.snapshot ->> 'position'))),"
        " amended AS (UPDATE position_history p SET unit_id = m.unit_id,"
        "    supervisor_id = m.supervisor_id, position = m.position FROM moved m"
        "  WHERE p.tenant_id = $1 AND p.id = m.open_id AND m.amend RETURNING p.id),"
        " closed AS (UPDATE position_history p SET ends_on = (SELECT d FROM day) - 1"
        "  FROM moved m WHERE p.tenant_id = $1 AND p.id = m.open_id AND NOT m.amend"
        "  RETURNING p.id)"
        " INSERT INTO position_history (tenant_id, employee_id, unit_id, supervisor_id,"
        "  position, starts_on, ends_on, created_by, created_at)"
        # where someone without a history was until yesterday, then the new stretches
        " SELECT $1, m.id, m.old_unit_id, m.old_supervisor_id, m.old_position, NULL::date,"
        "  (SELECT d FROM day) - 1, $3::bigint, now() FROM moved m"
        "  WHERE NOT m.is_new AND m.open_id IS NULL"
        " UNION ALL"
        " SELECT $1, m.id, m.unit_id, m.supervisor_id, m.position, (SELECT d FROM day),"
        "  NULL::date, $3::bigint, now() FROM moved m WHERE NOT m.amend",
        [tenant_id, written_ids, created_by],
    )


async def follow_changed_emails(*, tenant_id: int, job_id: int) -> tuple[int, Any]:
    """A changed e-mail follows to the employee's login when no other login has it."""
    return await db().execute_query(
        "UPDATE user_accounts a SET email = e.email FROM employees e"
        " WHERE a.tenant_id = $1 AND e.tenant_id = $1 AND a.employee_id = e.id"
        f" AND e.nip IN ({_IN_FILE}) AND e.email IS NOT NULL AND a.email <> e.email"
        " AND NOT EXISTS (SELECT 1 FROM user_accounts o WHERE o.tenant_id = $1"
        "   AND o.email = e.email)",
        [tenant_id, job_id],
    )


async def reactivate_logins_of_returning(*, tenant_id: int, job_id: int) -> tuple[int, Any]:
    """Employees the file brings back get their login back."""
    return await db().execute_query(
        "UPDATE user_accounts a SET is_active = true FROM import_before b"
        " WHERE a.tenant_id = $1 AND a.employee_id = b.id AND NOT a.is_active"
        " AND NOT (b.snapshot ->> 'is_active')::boolean"
        f" AND (b.snapshot ->> 'nip') IN ({_IN_FILE})",
        [tenant_id, job_id],
    )


async def link_unlinked_logins(*, tenant_id: int, job_id: int) -> tuple[int, Any]:
    """Links an unlinked login with the same e-mail to the employee."""
    return await db().execute_query(
        "UPDATE user_accounts a SET employee_id = e.id FROM employees e"
        f" WHERE a.tenant_id = $1 AND a.employee_id IS NULL AND e.tenant_id = $1"
        f" AND e.email = a.email AND e.nip IN ({_IN_FILE})",
        [tenant_id, job_id],
    )


async def create_logins_from_file(*, tenant_id: int, job_id: int) -> list[Row]:
    """Creates a login for each active employee of the file with an e-mail and none yet."""
    return await db().execute_query_dict(
        "INSERT INTO user_accounts (tenant_id, email, name, password_hash, roles, employee_id,"
        " is_active, token_version, created_at)"
        " SELECT $1, e.email, e.name, NULL, ARRAY['EMPLOYEE'], e.id, true, 1, now()"
        " FROM employees e"
        f" WHERE e.tenant_id = $1 AND e.nip IN ({_IN_FILE}) AND e.email IS NOT NULL AND e.is_active"
        " AND NOT EXISTS (SELECT 1 FROM user_accounts a WHERE a.tenant_id = $1"
        "   AND a.employee_id = e.id)"
        " ON CONFLICT (tenant_id, email) DO NOTHING RETURNING id",
        [tenant_id, job_id],
    )


async def dry_run_counts(
    *, tenant_id: int, job_id: int, deactivate_missing: bool
) -> tuple[int, Any]:
    """What the import would do: created, existing, deactivated ($3 deactivate missing)."""
    return await db().execute_query(
        "SELECT count(*) FILTER (WHERE e.id IS NULL) AS created,"
        " count(e.id) AS existing,"
        " (SELECT count(*) FROM employees m WHERE $3 AND m.tenant_id = $1 AND m.is_active"
        "  AND NOT EXISTS (SELECT 1 FROM staged s WHERE s.nip = m.nip)) AS deactivated"
        " FROM staged r LEFT JOIN employees e ON e.tenant_id = $1 AND e.nip = r.nip"
        " WHERE r.tenant_id = $1 AND r.job_id = $2",
        [tenant_id, job_id, deactivate_missing],
    )


async def delete_import_rows(*, tenant_id: int, job_id: int) -> tuple[int, Any]:
    """Drops the job's staged rows."""
    return await db().execute_query(
        "DELETE FROM import_files WHERE tenant_id = $1 AND job_id = $2", [tenant_id, job_id]
    )


async def claim_import(*, tenant_id: int, job_id: int, run_id: str) -> list[Row]:
    """Claims the job for run $3 if it is still to run; no row when finished."""
    return await db().execute_query_dict(
        "UPDATE import_jobs SET status = 'RUNNING', phase = 'validating', run_id = $3,"
        " started_at = now() WHERE tenant_id = $1 AND id = $2"
        " AND status IN ('QUEUED', 'RUNNING') RETURNING id",
        [tenant_id, job_id, run_id],
    )


async def lock_import_job(*, tenant_id: int, job_id: int) -> list[Row]:
    """The job's status and owning run, locked."""
    return await db().execute_query_dict(
        "SELECT status, run_id FROM import_jobs WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        [tenant_id, job_id],
    )


async def count_staged() -> list[Row]:
    return await db().execute_query_dict("SELECT count(*) AS n FROM staged")


async def count_import_problems(*, tenant_id: int, job_id: int) -> list[Row]:
    """How many problems the job has."""
    return await db().execute_query_dict(
        "SELECT count(*) AS n FROM import_problems WHERE tenant_id = $1 AND job_id = $2",
        [tenant_id, job_id],
    )


async def stranded_import_rows(
    *, queued_seconds: float, running_seconds: float, limit: int
) -> list[Row]:
    """Imports QUEUED longer than $2 seconds or RUNNING longer than $3."""
    return await db().execute_query_dict(
        "SELECT id, run_id FROM import_jobs WHERE tenant_id = $1 AND ("
        " (status = 'QUEUED' AND created_at < now() - make_interval(secs => $2::float8))"
        " OR (status = 'RUNNING' AND started_at < now() - make_interval(secs => $3::float8)))"
        " ORDER BY id LIMIT $4",
        [current_tenant_id(), queued_seconds, running_seconds, limit],
    )


# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def import_job(job_id: int) -> ImportJob | None:
    """One of the region's imports."""
    return await scoped(ImportJob).get_or_none(id=job_id)


async def latest_import_jobs(limit: int) -> list[ImportJob]:
    """The region's latest imports, newest first."""
    return await scoped(ImportJob).order_by("-id").limit(limit)


async def import_problems(
    job_id: int, *, after: tuple[int, int] | None, limit: int
) -> list[ImportProblem]:
    """An import's problems by line, then id: `limit` of them after the (line, id) given."""
    query = scoped(ImportProblem).filter(job_id=job_id)
    if after:
        line, row_id = after
        query = query.filter(Q(line_no__gt=line) | Q(line_no=line, id__gt=row_id))
    return await query.order_by("line_no", "id").limit(limit)


# --- acting officials (Plt./Plh.) ----------------------------------------------------------------

# The heads of unit `a.unit_id`: its employees (active or not: a vacant post keeps its
# former holder's reports pointing at them) whose own supervisor is outside the unit.
UNIT_HEADS = (
    "SELECT h.id FROM employees h WHERE h.tenant_id = $1 AND h.unit_id = a.unit_id"
    " AND NOT EXISTS (SELECT 1 FROM employees s WHERE s.tenant_id = $1"
    " AND s.id = h.supervisor_id AND s.unit_id = a.unit_id)"
)


# Today in the region's own time zone (`tenants.timezone`), so that no statement is spent
# reading the region first; an appointment is checked against the caller's day, else this.
REGION_DAY = "(SELECT (now() AT TIME ZONE t.timezone)::date FROM tenants t WHERE t.id = $1)"
ACTING_DAY = f"coalesce($3::date, {REGION_DAY})"


class ActingRow(TypedDict):
    id: int
    unit_id: int
    kind: str


async def acting_for(*, acting_id: int, evaluator_id: int, today: Any) -> ActingRow | None:
    """The appointment under which `acting_id` stands in for `evaluator_id` on `today` (None:
    the region's today): an appointment of theirs in force that day, of a unit
    `evaluator_id` heads."""
    rows = await db().execute_query_dict(
        "SELECT a.id, a.unit_id, a.kind FROM acting_appointments a"
        f" WHERE a.tenant_id = $1 AND a.employee_id = $2"
        f" AND {ACTING_DAY} BETWEEN a.starts_on AND a.ends_on"
        f" AND $4 IN ({UNIT_HEADS}) ORDER BY a.starts_on LIMIT 1",
        [current_tenant_id(), acting_id, today, evaluator_id],
    )
    return cast(ActingRow, rows[0]) if rows else None


def acting_heads_for_sql(evaluator: str) -> str:
    """The ids of the acting heads (Plt./Plh.) standing in for `evaluator` (a placeholder or
    expression) today in the region's own time zone."""
    return (
        "SELECT a.employee_id FROM acting_appointments a WHERE a.tenant_id = $1"
        f" AND {REGION_DAY} BETWEEN a.starts_on AND a.ends_on AND {evaluator} IN ({UNIT_HEADS})"
    )


def heads_acted_for_sql(acting: str) -> str:
    """The ids of everyone employee `acting` (a placeholder) stands in for today in the
    region's own time zone: the heads of the units they act for, themselves excepted."""
    return (
        f"SELECT x.id FROM acting_appointments a CROSS JOIN LATERAL ({UNIT_HEADS}) x"
        f" WHERE a.tenant_id = $1 AND a.employee_id = {acting} AND x.id <> {acting}"
        f" AND {REGION_DAY} BETWEEN a.starts_on AND a.ends_on"
    )


async def heads_acted_for(acting_id: int) -> list[int]:
    """Everyone employee `acting_id` stands in for today (Plt./Plh.), in the region's time zone."""
    rows = await db().execute_query_dict(
        heads_acted_for_sql("$2"), [current_tenant_id(), acting_id]
    )
    return [r["id"] for r in rows]


async def lock_unit(unit_id: int) -> bool:
    """Locks the unit's row (appointments of one unit are checked and written one at a
    time); false when the region has no such unit."""
    rows = await db().execute_query_dict(
        "SELECT id FROM org_units WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        [current_tenant_id(), unit_id],
    )
    return bool(rows)
