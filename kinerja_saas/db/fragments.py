"""Named SQL fragments: the pieces every domain spelled on its own, said once.

Each takes placeholders or column references already bound by the caller (`$1` is the
tenant by convention) and returns SQL text; `employee_scope` binds its own parameter on
the builder it is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kinerja_saas.auth.roles import Role
from kinerja_saas.db.builder import Sql

if TYPE_CHECKING:
    from kinerja_saas.auth.actor import Actor

# The supervision chain is walked at most this deep (a guard against a cycle in data).
MAX_SUPERVISION_DEPTH = 64


def unit_subtree(unit: str, *, tenant: str = "$1") -> str:
    """The ids of unit `unit` (a placeholder or column) and all its sub-units, by the
    materialised path: `SELECT u.id FROM org_units u WHERE …`."""
    return (
        f"SELECT u.id FROM org_units u WHERE u.tenant_id = {tenant} AND u.path LIKE"
        f" (SELECT p.path FROM org_units p WHERE p.tenant_id = {tenant} AND p.id = {unit}) || '%'"
    )


def path_under(path_column: str, path: str) -> str:
    """`path_column` is the unit whose path is `path` (a placeholder or expression) or one of
    its sub-units."""
    return f"{path_column} LIKE {path} || '%'"


def path_within(path: str, path_column: str) -> str:
    """The unit whose path is `path` lies in the subtree of the unit at `path_column` (the
    ancestors of a unit, itself included)."""
    return f"{path} LIKE {path_column} || '%'"


def supervision_chain_below(
    employee: str, *, tenant: str = "$1", depth: int | str = MAX_SUPERVISION_DEPTH
) -> str:
    """The ids of everyone below `employee` in the supervision chain (not the employee)."""
    return (
        "WITH RECURSIVE below(id, depth) AS ("
        f" SELECT id, 1 FROM employees WHERE tenant_id = {tenant} AND supervisor_id = {employee}"
        " UNION ALL SELECT e.id, b.depth + 1 FROM employees e JOIN below b"
        f" ON e.supervisor_id = b.id WHERE e.tenant_id = {tenant} AND b.depth < {depth}"
        ") SELECT id FROM below"
    )


def supervision_chain_above(
    employee: str, *, tenant: str = "$1", depth: int | str = MAX_SUPERVISION_DEPTH
) -> str:
    """The chain from `employee` upwards, itself first: rows (id, supervisor_id, depth)
    of the CTE `chain`, to be selected from."""
    return (
        "WITH RECURSIVE chain(id, supervisor_id, depth) AS ("
        f"  SELECT id, supervisor_id, 1 FROM employees WHERE tenant_id = {tenant} AND id = {employee}"
        "  UNION ALL"
        "  SELECT e.id, e.supervisor_id, c.depth + 1 FROM employees e"
        "  JOIN chain c ON e.id = c.supervisor_id"
        f"  WHERE e.tenant_id = {tenant} AND c.depth < {depth}"
        ")"
    )


def employee_scope(sql: Sql, actor: Actor, column: str = "id") -> None:
    """What employees' rows the actor may see, as a condition on `column` (an employee id)
    added to `sql.where`: the region admin all, a supervisor their chain below and
    themselves, anyone else only themselves. `$1` must be the tenant."""
    if actor.has(Role.REGION_ADMIN):
        return
    if actor.employee_id is None:
        sql.where.append("false")
        return
    me = sql.param(actor.employee_id)
    if actor.has(Role.SUPERVISOR):
        sql.where.append(f"({column} = {me} OR {column} IN ({supervision_chain_below(me)}))")
    else:
        sql.where.append(f"{column} = {me}")
