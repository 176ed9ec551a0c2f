"""The API's shape: `schema/` mirrors the domains and never touches the ORM or SQL.

- `schema/<domain>/` packages all have the same files: types.py, queries.py, mutations.py
  (and `__init__.py`); a package with subscriptions adds subscriptions.py. Everything else
  in `schema/` is request infrastructure, at the top level.
- No module in `schema/` imports Tortoise or asyncpg, a model class (other than for type
  annotations, under `if TYPE_CHECKING:`) or a models module, opens a connection, runs SQL
  or builds an ORM query: reads live in `kinerja_saas/<domain>/queries.py`, writes in the
  domain's services. Enums declared beside the models are values, not the ORM: allowed.
- The modules of `schema/` import each other without cycles, at the top of the file: a
  back reference between types is a `strawberry.lazy` annotation, never a mutual import.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from tortoise.models import Model

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"

DOMAIN_FILES = {"__init__.py", "types.py", "queries.py", "mutations.py"}
OPTIONAL_FILES = {"subscriptions.py"}
DOMAINS = {
    "auth",
    "regions",
    "org",
    "performance",
    "notifications",
    "surveys",
    "training",
    "tpp",
    "complaints",
    "exports",
    "documents",
}
INFRASTRUCTURE = {
    "__init__",
    "schema",
    "view",
    "context",
    "isolation",
    "limits",
    "dataloaders",
    "pagination",
    "transaction",
    "document_cache",
    "response_cache",  # identical reads per region and viewer (docs/response-cache.md)
    "execution",  # plain scalar fields without graphql-core's per-field path
    "compiled",  # queries with an SQL twin for every field: one statement (compiled-queries.md)
    "errors",
    "payloads",
    "uploads",  # what an Upload argument is over Starlette
    "error_codes",  # the API's declared error codes
}
NOT_DOMAINS = {"graphiql"}  # GraphiQL's assets and their refresh script

FORBIDDEN_MODULES = ("tortoise", "asyncpg")
FORBIDDEN_NAMES = {"connections", "in_transaction", "Tortoise"}
FORBIDDEN_ATTRIBUTES = {
    "execute_query",
    "execute_query_dict",
    "execute_script",
    "execute_many",
    "execute_insert",
    "filter",
    "exclude",
    "get_or_none",
    "get_or_create",
    "update_or_create",
    "order_by",
    "values_list",
    "select_related",
    "prefetch_related",
    "fetch_related",
    "select_for_update",
    "bulk_create",
    "bulk_update",
    "annotate",
    "raw",
}
SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\b.+\bSET|DELETE\s+FROM|WITH\s+\w+\s+AS)\b",
    re.DOTALL,  # the project writes SQL keywords in capitals; prose does not
)


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    """ids of the nodes inside `if TYPE_CHECKING:` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def _is_model(module: str, name: str) -> bool:
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    return isinstance(obj, type) and issubclass(obj, Model)


def orm_violations(source: str) -> list[str]:
    """Every way a module's source touches the ORM or SQL."""
    tree = ast.parse(source)
    typing_only = _type_checking_blocks(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"{line}: imports {alias.name}")
                elif alias.name.split(".")[-1] == "models" and id(node) not in typing_only:
                    found.append(f"{line}: imports the models module {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{line}: imports from {node.module}")
                continue
            if id(node) in typing_only:
                continue
            for alias in node.names:
                if alias.name == "models":
                    found.append(f"{line}: imports the models module {node.module}.models")
                elif node.module.split(".")[-1] == "models" and _is_model(node.module, alias.name):
                    found.append(f"{line}: imports the model {node.module}.{alias.name}")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"{line}: uses {node.id}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in FORBIDDEN_ATTRIBUTES
        ):
            found.append(f"{line}: calls .{node.func.attr}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL.search(node.value)
        ):
            found.append(f"{line}: SQL text {node.value[:40]!r}")
    return found


def _modules() -> list[Path]:
    return sorted(p for p in SCHEMA.rglob("*.py") if "graphiql" not in p.parts)


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_schema_module_never_touches_the_orm_or_sql(path: Path) -> None:
    assert orm_violations(path.read_text()) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tortoise import connections", "imports from tortoise"),
        ("import tortoise.transactions", "imports tortoise.transactions"),
        ("from asyncpg.exceptions import UniqueViolationError", "imports from asyncpg"),
        ("from kinerja_saas.org.models import Unit", "imports the model"),
        ("from kinerja_saas.org import models", "imports the models module"),
        ("import kinerja_saas.org.models as m", "imports the models module"),
        ("async def f(db):\n    await db.execute_query_dict('x')", "calls .execute_query_dict"),
        ("async def f(M):\n    return await M.filter(id=1)", "calls .filter"),
        ("async def f(M):\n    return await M.get_or_none(id=1)", "calls .get_or_none"),
        ("def f():\n    return connections.get('default')", "uses connections"),
        ("Q = 'SELECT id FROM units WHERE tenant_id = $1'", "SQL text"),
        ("Q = 'UPDATE units SET name = $1'", "SQL text"),
    ],
)
def test_the_check_catches(source: str, expected: str) -> None:
    """The check is not vacuous: each way of touching the ORM or SQL is flagged."""
    assert any(expected in v for v in orm_violations(source)), orm_violations(source)


def test_the_check_allows_what_is_not_the_orm() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from kinerja_saas.org.models import UnitKind\n"  # an enum beside the models
        "if TYPE_CHECKING:\n"
        "    from kinerja_saas.org.models import Unit\n"  # an annotation only
        "def f(row: dict):\n"
        "    return row.get('id'), 'Select a unit from the list.'\n"
    )
    assert orm_violations(source) == []


def _packages() -> list[Path]:
    return sorted(p for p in SCHEMA.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def test_every_domain_package_has_the_same_files() -> None:
    packages = {p.name: p for p in _packages() if p.name not in NOT_DOMAINS}
    assert set(packages) == DOMAINS
    for name, package in packages.items():
        files = {f.name for f in package.glob("*.py")}
        assert files - OPTIONAL_FILES == DOMAIN_FILES, name
        assert not [d for d in package.iterdir() if d.is_dir() and d.name != "__pycache__"], name


def test_only_infrastructure_at_the_top_of_schema() -> None:
    """A new feature's API goes in its domain's package, not beside the infrastructure."""
    assert {p.stem for p in SCHEMA.glob("*.py")} <= INFRASTRUCTURE


def _schema_imports(path: Path) -> tuple[set[str], list[str]]:
    """The schema modules a module imports at run time, and imports not at its top."""
    tree = ast.parse(path.read_text())
    typing_only = _type_checking_blocks(tree)
    top = {id(n) for n in tree.body}
    imported: set[str] = set()
    nested: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in typing_only:
            continue
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        )
        targets = {n for n in names if (ROOT / Path(*n.split("."))).with_suffix(".py").exists()}
        targets = {n for n in targets if n.startswith("schema.")}
        if targets and id(node) not in top:
            nested.append(f"{node.lineno}: {', '.join(sorted(targets))}")
        imported |= targets
    return imported, nested


def test_schema_modules_import_each_other_at_the_top_without_cycles() -> None:
    graph: dict[str, set[str]] = {}
    nested: dict[str, list[str]] = {}
    for path in _modules():
        imported, late = _schema_imports(path)
        graph[_name(path)] = imported
        if late:
            nested[_name(path)] = late
    assert nested == {}

    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        assert module not in trail, " -> ".join([*trail, module])
        if module in done:
            return
        for other in graph.get(module, ()):
            visit(other, [*trail, module])
        done.add(module)

    for module in graph:
        visit(module, [])


def test_every_mutation_payload_is_made_by_the_payload_helper() -> None:
    """One helper (schema/payloads.py) declares them all: its result fields, then
    `errors: [UserError!]!`; no payload class writes that boilerplate by hand."""
    from strawberry.types.base import get_object_definition

    from schema.schema import Mutation

    payloads = {}
    for field in get_object_definition(Mutation, strict=True).fields:
        kind = getattr(field.type, "of_type", field.type)
        if isinstance(kind, type) and kind.__name__.endswith("Payload"):
            payloads[kind.__name__] = kind
    assert len(payloads) > 30
    for name, kind in payloads.items():
        assert "__payload_fields__" in vars(kind), name
        fields = [f.python_name for f in get_object_definition(kind, strict=True).fields]
        assert fields[-1] == "errors" and fields[:-1] == list(kind.__payload_fields__), name
