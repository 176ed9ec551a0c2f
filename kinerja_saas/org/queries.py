"""The organisation domain's SQL: the employees read model (scoped, filtered, keyset
pages with joined relations), the unit tree's subtree move, the supervision chain, and
the structure lock. Services in this package call these; nothing else writes SQL here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, cast

from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import Sql, db
from kinerja_saas.db.fragments import (
    MAX_SUPERVISION_DEPTH,
    employee_scope,
    supervision_chain_above,
    unit_subtree,
)
from kinerja_saas.org import rules
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
        " WHERE tenant_id = $1 AND path LIKE $3 || '%'",
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


def _employees_where(actor: Actor, flt: EmployeeFilter | None = None) -> Sql:
    sql = Sql(current_tenant_id())
    sql.where.append("tenant_id = $1")
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
    sql = _employees_where(actor, flt)
    if after is not None:
        op = "<" if descending else ">"
        sql.where.append(f"({column}, id) {op} ({sql.param(after[0])}, {sql.param(after[1])})")
    direction = "DESC" if descending else "ASC"
    page = (
        f"SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE {sql.conditions()}"
        f" ORDER BY {column} {direction}, id {direction} LIMIT {sql.param(limit + 1)}"
    )
    relations = [r for r in RELATIONS if r in include]
    selected = "".join(f", r_{r}.{c} AS {r}__{c}" for r in relations for c in RELATIONS[r][1])
    joins = " ".join(RELATIONS[r][0] for r in relations)
    query = (
        f"WITH p AS ({page}) SELECT p.*{selected} FROM p {joins}"
        f" ORDER BY p.{column} {direction}, p.id {direction}"
    )
    _, rows = await db().execute_query(query, sql.params)
    return [_nest(dict(r), relations) for r in rows]


def _nest(row: dict[str, Any], relations: list[str]) -> dict[str, Any]:
    for relation in relations:
        prefix = relation + "__"
        nested = {k[len(prefix) :]: row.pop(k) for k in [k for k in row if k.startswith(prefix)]}
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
