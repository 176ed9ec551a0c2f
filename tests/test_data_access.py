"""One data-access convention: raw SQL lives in `kinerja_saas/<domain>/queries.py` (or a
`queries/` package) and the shared kit `kinerja_saas/db/`; everything else calls those.

Fails when a module elsewhere calls the connection (`execute_query*`, `execute_many`,
`execute_script`, `execute_insert`, `connections.get`) or holds SQL in a string literal
(docstrings aside), and when a second SQL builder (`f"${len(...)}"`) appears."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kinerja_saas", "schema", "workers", "tenants")

RAW_CALLS = {
    "execute_query",
    "execute_query_dict",
    "execute_many",
    "execute_script",
    "execute_insert",
}
SQL_TEXT = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\bWITH\s+RECURSIVE\b|\bON\s+CONFLICT\b|\bpg_advisory_\w+|\bset_config\("
)

# Modules that may reach the database directly, each with its reason.
ALLOWED = {
    # infrastructure below the kit
    "kinerja_saas/database_client.py": "the instrumented asyncpg client itself",
    "kinerja_saas/database.py": "creates the database at bootstrap, before Tortoise exists",
    "kinerja_saas/migrate.py": "the migration runner (owner role, its own bookkeeping table)",
    "tenants/context.py": "sets app.tenant_id per transaction; the ground floor imports no kit",
    "tenants/rls.py": "declares the row-level security policies (DDL for migrations)",
    # the process room: health checks, pool gauges, diagnostics, the demo seed
    "kinerja_saas/runtime/app.py": "readiness probe (SELECT 1)",
    "kinerja_saas/runtime/metrics.py": "reads the connection pool's size for a gauge (no query)",
    "kinerja_saas/runtime/doctor.py": "diagnostics of roles, RLS and settings in the catalogue",
    "kinerja_saas/runtime/seed.py": "demo seed checks the platform operator on its raw connection",
    # declarations, not queries
    "kinerja_saas/notifications/kinds.py": (
        "the catalogue of notification kinds: each declares its recipients as a SELECT beside"
        " its texts; only notifications/queries.py runs them (fan_out)"
    ),
}


def _modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or ".venv" in path.parts:
                continue
            found.append(path)
    return found


def _is_home_of_sql(rel: str) -> bool:
    parts = rel.split("/")
    if parts[:2] == ["kinerja_saas", "db"]:
        return True
    return parts[0] == "kinerja_saas" and (
        parts[-1] == "queries.py" or (len(parts) >= 3 and parts[-2] == "queries")
    )


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
        ):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in RAW_CALLS:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "get"
            and isinstance(node.value, ast.Name)
            and node.value.id == "connections"
        ):
            found.append(f"line {node.lineno}: connections.get")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and SQL_TEXT.search(node.value)
        ):
            found.append(f"line {node.lineno}: SQL text {node.value.strip()[:40]!r}")
    return found


def test_raw_sql_only_in_queries_and_the_kit():
    offenders = {}
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if _is_home_of_sql(rel) or rel in ALLOWED:
            continue
        found = _violations(path)
        if found:
            offenders[rel] = found
    assert not offenders, "raw SQL outside <domain>/queries.py and kinerja_saas/db/:\n" + "\n".join(
        f"{rel}: {', '.join(found)}" for rel, found in offenders.items()
    )


def test_the_allow_lists_name_only_modules_that_need_them():
    """An allowance left behind after a module was cleaned up, or naming a file that is
    gone (moved), would hide the next one who writes SQL there."""
    stale = []
    for rel in ALLOWED:
        path = ROOT / rel
        if path.exists() and not _violations(path):
            stale.append(rel)
    assert not stale, f"allowed but holding no raw SQL: {stale}"


def test_exactly_one_sql_builder():
    """A builder numbers its parameters as `f"${len(...)}"`: only the kit's `Sql` may."""
    builders = []
    pattern = re.compile(r"""f["']\$\{len\(""")
    for path in _modules():
        if pattern.search(path.read_text()):
            builders.append(path.relative_to(ROOT).as_posix())
    assert builders == ["kinerja_saas/db/builder.py"], builders


def test_the_guard_sees_what_it_forbids():
    """The guard itself: a module with a raw call and an SQL literal is caught, a docstring
    mentioning SQL is not."""
    sample = ROOT / "tests" / "_data_access_sample.py"
    sample.write_text(
        '"""SELECT x FROM y in a docstring is prose."""\n'
        "from tortoise import connections\n"
        "async def f():\n"
        "    return await connections.get('default').execute_query_dict(\n"
        "        'SELECT id FROM employees WHERE tenant_id = $1', [1])\n"
    )
    try:
        found = _violations(sample)
    finally:
        sample.unlink()
    assert [f.split(":")[1].strip() for f in found] == [
        ".execute_query_dict",
        "connections.get",
        "SQL text 'SELECT id FROM employees WHERE tenant_i'",
    ] or len(found) == 3, found


# Reads of schema/ move into domain queries under another change; until then they keep
# their own tenant filters.
TENANT_FILTER_ALLOWED = {
    "kinerja_saas/db/scoped.py": "the scoped accessor itself",
}


def _hand_written_tenant_filters(path: Path) -> list[int]:
    """Lines of `Model.filter/get/get_or_none/exists(tenant_id=current_tenant_id(), …)`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"filter", "get", "get_or_none", "exists"}
        ):
            for kw in node.keywords:
                if (
                    kw.arg == "tenant_id"
                    and isinstance(kw.value, ast.Call)
                    and isinstance(kw.value.func, ast.Name)
                    and kw.value.func.id == "current_tenant_id"
                ):
                    found.append(node.lineno)
    return found


def test_reads_of_the_current_region_use_scoped():
    """`scoped(Model)` says "this region's rows" once; a hand-written
    `Model.filter(tenant_id=current_tenant_id(), …)` is refused."""
    offenders = {}
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel in TENANT_FILTER_ALLOWED:
            continue
        lines = _hand_written_tenant_filters(path)
        if lines:
            offenders[rel] = lines
    assert not offenders, offenders


def test_the_builder_numbers_parameters_in_order():
    from kinerja_saas.db import Sql

    sql = Sql(7, 8)
    assert sql.param("a") == "$3"
    assert sql("b") == "$4"  # callable, as the notification texts' compiler uses it
    sql.where += ["x = $3", "y = $4"]
    assert sql.params == [7, 8, "a", "b"]
    assert sql.conditions() == "x = $3 AND y = $4"
    assert sql.conditions(prefix=" AND ") == " AND x = $3 AND y = $4"
    assert Sql().conditions() == "true"


def test_scoped_filters_by_the_current_region():
    from kinerja_saas.db import scoped
    from kinerja_saas.org.models import Unit
    from tenants.context import _current_tenant  # what tenant_transaction sets

    token = _current_tenant.set(4242)
    try:
        text = scoped(Unit).filter(id=1).sql(params_inline=True)
    finally:
        _current_tenant.reset(token)
    assert '"tenant_id"=4242' in text.replace(" ", ""), text


def test_employee_scope_fragment():
    from kinerja_saas.auth.actor import Actor
    from kinerja_saas.auth.roles import Role
    from kinerja_saas.db import Sql
    from kinerja_saas.db.fragments import employee_scope

    def scope(*roles: Role, employee_id: int | None = 5) -> Sql:
        sql = Sql(1)
        actor = Actor(9, 1, frozenset(roles), "x@example.id", employee_id=employee_id)
        employee_scope(sql, actor, "p.employee_id")
        return sql

    assert scope(Role.REGION_ADMIN).where == []
    assert scope(Role.EMPLOYEE, employee_id=None).where == ["false"]
    assert scope(Role.EMPLOYEE).where == ["p.employee_id = $2"]
    supervisor = scope(Role.SUPERVISOR)
    assert supervisor.params == [1, 5]
    assert supervisor.where[0].startswith("(p.employee_id = $2 OR p.employee_id IN (WITH RECURSIVE")
