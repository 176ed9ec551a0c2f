"""What each database role may do: the app role (API and jobs) and the relay role."""

import json

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
    # What it does need: operators' session revocation (a region's settings: below).
    await app_conn.execute(
        "UPDATE platform_operators SET token_version = token_version WHERE false"
    )


async def _in_region(conn, tenant_id: int | None) -> None:
    await conn.execute(
        "SELECT set_config('app.tenant_id', $1, true)", "" if tenant_id is None else str(tenant_id)
    )


async def test_a_regions_transaction_changes_only_its_own_row_of_tenants(
    app_conn, owner_conn, region_a, region_b
):
    """As the app role in region B's transaction: A's row cannot be changed (0 rows), B's
    own settings can; no region's status or plan, not even its own; no new region."""
    before = await owner_conn.fetchrow("SELECT * FROM tenants WHERE id = $1", region_a.id)
    async with app_conn.transaction():
        await _in_region(app_conn, region_b.id)
        for statement in (
            "UPDATE tenants SET settings = '{\"x\": 1}' WHERE id = $1",
            "UPDATE tenants SET settings = settings WHERE true AND id = $1",
        ):
            assert await app_conn.execute(statement, region_a.id) == "UPDATE 0"
        assert (
            await app_conn.execute(
                "UPDATE tenants SET settings = settings WHERE id = $1", region_b.id
            )
            == "UPDATE 1"
        )
        # Every row, as a forgotten filter would: only B's own.
        assert await app_conn.execute("UPDATE tenants SET settings = settings") == "UPDATE 1"
    for statement, args in (
        ("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", (region_a.id,)),
        ("UPDATE tenants SET plan = 'LARGE' WHERE id = $1", (region_b.id,)),
        ("SELECT platform_set_region_status($1, 'SUSPENDED')", (region_a.id,)),
        ("SELECT platform_set_region_plan($1, 'LARGE')", (region_a.id,)),
        ("SELECT platform_set_region_status($1, 'SUSPENDED')", (region_b.id,)),
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with app_conn.transaction():
                await _in_region(app_conn, region_b.id)
                await app_conn.execute(statement, *args)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):  # the RLS check of INSERT
        async with app_conn.transaction():
            await _in_region(app_conn, region_b.id)
            await app_conn.execute(
                "INSERT INTO tenants (slug, name, kind, province, timezone, status, settings,"
                " plan, created_at) VALUES ('made-in-b', 'X', 'KOTA', 'X', 'Asia/Jakarta',"
                " 'ACTIVE', '{}', 'STANDARD', now())"
            )
    assert await owner_conn.fetchrow("SELECT * FROM tenants WHERE id = $1", region_a.id) == before


async def test_platform_scope_changes_no_region_row_but_through_the_operators_functions(
    app_conn, owner_conn, region_a
):
    """With no region set (an operator's request, or an anonymous one) the app role changes
    no row directly; a status or plan goes through the definer functions."""
    await owner_conn.execute(
        "UPDATE tenants SET settings = '{\"x\": 1}' WHERE id = $1", region_a.id
    )
    assert (
        await app_conn.execute("UPDATE tenants SET settings = '{}' WHERE id = $1", region_a.id)
        == "UPDATE 0"
    )
    async with app_conn.transaction():
        await _in_region(app_conn, None)  # set, then empty: what a pooled connection has
        assert await app_conn.fetchval("SELECT platform_set_region_plan($1, 'LARGE')", region_a.id)
        with pytest.raises(asyncpg.CheckViolationError):
            await app_conn.fetchval("SELECT platform_set_region_status($1, 'GONE')", region_a.id)
    row = await owner_conn.fetchrow("SELECT plan, settings FROM tenants WHERE id = $1", region_a.id)
    assert row["plan"] == "STANDARD", "the failed call rolled the transaction back"
    assert await app_conn.fetchval("SELECT platform_set_region_plan($1, 'LARGE')", region_a.id)
    assert (
        await owner_conn.fetchval("SELECT plan FROM tenants WHERE id = $1", region_a.id) == "LARGE"
    )
    assert json.loads(row["settings"]) == {"x": 1}


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
