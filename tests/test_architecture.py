"""The layers the imports obey (docs/architecture.md, the contracts in pyproject.toml):

    kinerja_saas.runtime  >  schema | workers  >  domains (kinerja_saas.*)  >  tenants  >  leaves

`make test` runs `lint-imports` before pytest; these tests run the same contracts, so pytest
alone checks them too, and show that each rule catches the import it forbids."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kinerja_saas", "schema", "workers", "tenants")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(root)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


# (the module that gets the import, the import, the contract it breaks)
LAYERS = "Layers: runtime > schema | workers > domains > tenants > leaves"
PLACES = "Every module of the core has its place"
VIOLATIONS = {
    "a domain imports the API": ("kinerja_saas.auth.roles", "schema.view", LAYERS),
    "a domain imports a job": ("kinerja_saas.org.rules", "workers.org", LAYERS),
    "a domain imports the runtime": (
        "kinerja_saas.outbox.models",
        "kinerja_saas.runtime.app",
        PLACES,
    ),
    "the API imports the workers": ("schema.pagination", "workers.queue", LAYERS),
    "a job imports the API": ("workers.fair_queue", "schema.errors", LAYERS),
    "the API imports the runtime": ("schema.errors", "kinerja_saas.runtime.survey_pages", LAYERS),
    "tenancy imports a domain": ("tenants.plans", "kinerja_saas.regions.defaults", LAYERS),
    "tenancy imports the settings": ("tenants.rls", "kinerja_saas.settings", LAYERS),
    "a leaf imports tenancy": ("kinerja_saas.errors", "tenants.models", LAYERS),
    "a function-local import counts too": (
        "kinerja_saas.performance.rules",
        "schema.performance",
        LAYERS,
    ),
}
LOCAL = "a function-local import counts too"


@pytest.fixture(scope="module")
def broken_contracts(tmp_path_factory: pytest.TempPathFactory) -> str:
    """lint-imports over a copy of the four packages (Python files and pyproject.toml) with
    every import of VIOLATIONS added, and a module of the core in no layer: the report of
    its broken contracts."""
    root = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            root / package,
            ignore=lambda folder, names: [
                n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()
            ],
        )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for case, (importer, imported, _) in VIOLATIONS.items():
        path = root / (importer.replace(".", "/") + ".py")
        line = f"def _later():\n    import {imported}" if case == LOCAL else f"import {imported}"
        path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")
    (root / "kinerja_saas" / "unplaced_module.py").write_text(
        '"""Not listed in the contracts."""\n'
    )
    result = _lint_imports(root)
    assert result.returncode != 0, result.stdout
    return result.stdout.split("Broken contracts")[-1]


def _section(report: str, contract: str) -> str:
    """The part of the report under one contract's heading."""
    after = report.split(contract, 1)[-1]
    for other in (LAYERS, PLACES):
        if other != contract:
            after = after.split(other, 1)[0]
    return after


@pytest.mark.parametrize("case", VIOLATIONS)
def test_each_forbidden_import_breaks_a_contract(broken_contracts: str, case: str) -> None:
    importer, imported, contract = VIOLATIONS[case]
    assert f"- {importer} -> {imported} (l." in _section(broken_contracts, contract)


def test_a_module_of_the_core_in_no_layer_breaks_the_exhaustive_contract(
    broken_contracts: str,
) -> None:
    section = _section(broken_contracts, PLACES)
    assert "not listed as layers" in section
    assert "- kinerja_saas.unplaced_module" in section


def _function_local_imports(path: Path, base: Path = ROOT) -> list[str]:
    """Imports of the project's own packages inside a function or class body."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for inner in ast.walk(node):
            names = []
            if isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            elif isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                names = [inner.module]
            for name in names:
                if name.split(".")[0] in PACKAGES:
                    found.append(f"{path.relative_to(base)}:{inner.lineno}: {name}")
    return sorted(set(found))


# Function-local imports below the runtime that are accepted, each with its reason, as
# "path: module" (e.g. "workers/tenant_job.py: workers.routing"). Keep it empty: move the
# code, or reach the higher module through a hook, instead.
ACCEPTED_LOCAL_IMPORTS: dict[str, str] = {}


def test_no_function_local_imports_below_the_runtime() -> None:
    """Imports sit at the top of the module, where the contracts and a reader see them: none
    dodges an import cycle inside a function. Only the runtime's CLI loads lazily (its
    commands import what they run, so `kinerja --help` stays quick); the contracts check
    those imports as well."""
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(("kinerja_saas/runtime/", "kinerja_saas/migrations/")):
                continue
            offenders += _function_local_imports(path)
    unaccepted = [
        o for o in offenders if re.sub(r":\d+:", ":", o, count=1) not in ACCEPTED_LOCAL_IMPORTS
    ]
    assert unaccepted == []


def test_the_function_local_import_check_sees_one(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text(
        "import tenants.rls\n\n\n"
        "class Later:\n    import schema.view\n\n\n"
        "def later():\n    import json\n    from tenants.context import check_region\n"
    )
    assert _function_local_imports(module, tmp_path) == [
        "probe.py:10: tenants.context",
        "probe.py:5: schema.view",
    ]
