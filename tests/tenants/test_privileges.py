"""What each database role may do: the app role (API and jobs) and the relay role."""

import asyncpg
import pytest


async def test_app_role_cannot_claim_other_regions_events(app_conn):
    for call in ("SELECT * FROM outbox_claim(10)", "SELECT outbox_backlog()"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.fetch(call)


async def test_app_role_cannot_rename_delete_regions_or_touch_operators(app_conn, region_a):
    for statement in (
        "UPDATE tenants SET slug = 'taken-over' WHERE id = $1",
        "DELETE FROM tenants WHERE id = $1",
        "UPDATE platform_operators SET password_hash = 'x' WHERE id = $1",
        "DELETE FROM platform_operators WHERE id = $1",
        "INSERT INTO platform_operators (id, email, name, is_active, token_version, created_at)"
        " VALUES ($1, 'evil@x', 'evil', true, 1, now())",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.execute(statement, region_a.id)
    # What it does need: a region's status and settings, and operators' session revocation.
    await app_conn.execute("UPDATE tenants SET settings = settings WHERE id = $1", region_a.id)
    await app_conn.execute(
        "UPDATE platform_operators SET token_version = token_version WHERE false"
    )


async def test_relay_role_sees_no_table_at_all(relay_conn, region_a):
    for table in ("employees", "outbox_events", "tenants", "user_accounts"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await relay_conn.fetch(f"SELECT 1 FROM {table} LIMIT 1")
    assert await relay_conn.fetchval("SELECT outbox_backlog()") >= 0


async def test_definer_functions_pin_their_search_path(owner_conn):
    rows = await owner_conn.fetch(
        "SELECT proname, proconfig FROM pg_proc WHERE prosecdef AND pronamespace = 'public'::regnamespace"
    )
    assert {r["proname"] for r in rows} >= {"auth_login_regions", "outbox_claim", "region_stats"}
    for r in rows:
        assert r["proconfig"] == ["search_path=pg_catalog, public, pg_temp"], r["proname"]
