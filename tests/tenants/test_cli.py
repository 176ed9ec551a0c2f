"""`kinerja tenant create` and `kinerja tenant import`, as an operator runs them."""

import os
import subprocess
import sys
from pathlib import Path

from kinerja_saas.org.models import Employee
from tenants.context import tenant_transaction
from tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[2]


def kinerja(settings, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "KINERJA_ENV": "test",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "kinerja_saas.runtime.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_onboard_and_import_the_sample_roster_from_the_command_line(settings):
    slug = f"kota-cli-{os.getpid()}"
    created = kinerja(
        settings,
        "tenant",
        "create",
        "--slug",
        slug,
        "--name",
        "Kota CLI",
        "--kind",
        "KOTA",
        "--province",
        "Bengkulu",
        "--admin-name",
        "Admin",
        "--admin-email",
        f"admin@{slug}.go.id",
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert "onboarded" in created.stdout and "activateAccount" in created.stdout
    again = kinerja(
        settings,
        "tenant",
        "create",
        "--slug",
        slug,
        "--name",
        "X",
        "--kind",
        "KOTA",
        "--province",
        "B",
        "--admin-name",
        "A",
        "--admin-email",
        "a@b.go.id",
    )
    assert again.returncode == 1 and "DUPLICATE" in again.stdout

    imported = kinerja(settings, "tenant", "import", slug, str(ROOT / "docs" / "sample-roster.csv"))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "created 11" in imported.stdout
    tenant = await Tenant.get(slug=slug)
    async with tenant_transaction(tenant.id):
        assert await Employee.filter(tenant_id=tenant.id).count() == 11

    bad = ROOT / ".kinerja" / "bad-roster.csv"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text("NIP,nama,jabatan,unit\n123,A,B,C\n")
    refused = kinerja(settings, "tenant", "import", slug, str(bad))
    assert refused.returncode == 1 and "NIP_FORMAT" in refused.stdout
