"""Region A can never see or change region B's rows: not through GraphQL, not through raw
SQL as the app role, not even where a query forgets to filter (RLS is the backstop)."""

import asyncpg
import pytest

from kinerja_saas.auth.roles import Role
from tenants.rls import PLATFORM_TABLES
from tests.complaints.helpers import fill_complaint_tables
from tests.factories import full_cycle
from tests.notifications.helpers import fill_notification_tables
from tests.performance.walks import fill_lifecycle_tables
from tests.surveys.helpers import fill_survey_tables
from tests.training.helpers import fill_training_tables


async def _tenant_tables(conn) -> list[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
    )
    return [r["table_name"] for r in rows if r["table_name"] not in PLATFORM_TABLES]


async def test_every_tenant_table_has_forced_rls_with_a_policy(owner_conn):
    tables = await _tenant_tables(owner_conn)
    assert {"employees", "org_units", "user_accounts", "audit_log", "outbox_events"} <= set(tables)
    for table in tables:
        row = await owner_conn.fetchrow(
            "SELECT c.relrowsecurity, c.relforcerowsecurity,"
            " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,"
            " EXISTS (SELECT 1 FROM information_schema.columns k WHERE k.table_name = c.relname"
            "         AND k.column_name = 'tenant_id') AS has_tenant"
            " FROM pg_class c WHERE c.relname = $1 AND c.relkind = 'r'",
            table,
        )
        assert row["has_tenant"], f"{table} has no tenant_id (or add it to PLATFORM_TABLES)"
        assert row["relrowsecurity"] and row["relforcerowsecurity"], f"{table}: RLS not forced"
        assert row["policies"] >= 1, f"{table}: no policy"
    # …and the policy is the tenant one for both reading and writing (not, say, USING (true)).
    policies = await owner_conn.fetch(
        "SELECT tablename, policyname, permissive, cmd, qual, with_check FROM pg_policies"
        " WHERE schemaname = 'public'"
    )
    by_table: dict[str, list] = {}
    for p in policies:
        by_table.setdefault(p["tablename"], []).append(p)
    expected = (
        "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)"
    )
    for table in tables:
        (policy,) = by_table[table]  # exactly one: another permissive policy would widen it
        assert (policy["cmd"], policy["permissive"]) == ("ALL", "PERMISSIVE"), table
        assert policy["qual"] == expected and policy["with_check"] == expected, table


async def test_every_tenant_index_leads_with_tenant_id(owner_conn):
    tables = await _tenant_tables(owner_conn)
    rows = await owner_conn.fetch(
        "SELECT t.relname AS tbl, i.relname AS idx, a.attname AS first_col"
        " FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]"
        " WHERE t.relname = ANY($1::text[]) AND NOT x.indisprimary",
        tables,
    )
    cross_tenant = {  # definer lookups
        "outbox_events_pending",
        "user_accounts_login_email",
        "survey_campaign_services_code",
        "complaints_tracking_code",  # complaint_tracking_lookup (migration 0032)
        "documents_code",
    }
    wrong = [
        (r["tbl"], r["idx"])
        for r in rows
        if r["first_col"] != "tenant_id" and r["idx"] not in cross_tenant
    ]
    assert wrong == []


async def test_app_role_is_neither_owner_nor_superuser(app_conn):
    row = await app_conn.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert row["rolsuper"] is False and row["rolbypassrls"] is False
    owners = await app_conn.fetchval(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
    )
    assert owners == 0


async def test_raw_sql_without_tenant_sees_nothing(app_conn, owner_conn, region_a, region_b):
    await full_cycle(region_a)  # a row in every table of the performance cycle
    await fill_lifecycle_tables(region_a)
    await fill_notification_tables(region_a)
    await fill_survey_tables(region_a)
    await fill_training_tables(region_a)
    from tests.tpp.helpers import fill_tpp_tables

    await fill_tpp_tables(region_a)
    await fill_complaint_tables(region_a)
    from tests.documents.helpers import fill_document_tables

    await fill_document_tables(region_a)  # not left to an earlier test of the same run
    for table in await _tenant_tables(owner_conn):
        assert await owner_conn.fetchval(f"SELECT count(*) FROM {table}") > 0 or table in (
            "import_files",
            "import_problems",
            "processed_events",
            "login_sessions",
            "import_jobs",
            "parked_jobs",  # tests/workers/test_job_failures.py checks its isolation
        ), f"nothing to hide in {table}: the check would prove nothing"
        assert await app_conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    # A tenant setting left empty by an ended transaction also matches nothing.
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(region_a.id))
        assert await app_conn.fetchval("SELECT count(*) FROM employees") == 5
    assert await app_conn.fetchval("SELECT count(*) FROM employees") == 0


async def test_tenant_a_sees_only_its_rows_without_filtering(app_conn, region_a, region_b):
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(region_a.id))
        tenants = await app_conn.fetch("SELECT DISTINCT tenant_id FROM employees")
        assert [r["tenant_id"] for r in tenants] == [region_a.id]
        updated = await app_conn.execute(
            "UPDATE employees SET name = 'x' WHERE tenant_id = $1", region_b.id
        )
        deleted = await app_conn.execute("DELETE FROM org_units WHERE tenant_id = $1", region_b.id)
        assert (updated, deleted) == ("UPDATE 0", "DELETE 0")


async def test_with_check_refuses_writing_a_row_of_another_region(app_conn, region_a, region_b):
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(region_a.id))
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await app_conn.execute(
                "INSERT INTO org_units (tenant_id, code, name, kind, path, depth, is_active,"
                " created_at, updated_at) VALUES ($1, 'X', 'X', 'DINAS', '/', 0, true, now(), now())",
                region_b.id,
            )
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(region_a.id))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            # Moving one's own row into another region is refused too.
            await app_conn.execute(
                "UPDATE employees SET tenant_id = $1 WHERE id = $2",
                region_b.id,
                region_a.employees["staff1"].id,
            )


async def test_no_tenant_table_lets_a_row_move_to_another_region(
    app_conn, owner_conn, region_a, region_b
):
    """For every tenant table (found live, so new tables are covered): with tenant A set,
    turning one of A's rows into a row of B is refused."""
    import io

    from kinerja_saas.org import importing
    from kinerja_saas.org import queries as org_queries
    from kinerja_saas.outbox import service as outbox
    from kinerja_saas.outbox.topics import Topic
    from tenants.context import tenant_transaction

    await full_cycle(region_a)
    await fill_lifecycle_tables(region_a)
    await fill_notification_tables(region_a)
    await fill_survey_tables(region_a)
    await fill_training_tables(region_a)
    from tests.tpp.helpers import fill_tpp_tables

    await fill_tpp_tables(region_a)
    await fill_complaint_tables(region_a)
    from tests.documents.helpers import fill_document_tables

    await fill_document_tables(region_a)
    async with tenant_transaction(region_a.id):
        event = await outbox.emit(Topic("test.isolation", dict, "A test event."), {})
        await outbox.mark_processed(event.id, "isolation-test")
        from kinerja_saas.outbox import parking

        await parking.park(job_id="isolation-test", function="x", kwargs={}, error="x", failures=1)
        job = await importing.stage_import(
            actor=region_a.actor(Role.REGION_ADMIN),
            filename="x.csv",
            binary=io.BytesIO(b"nip,nama,jabatan,unit\n1,A,B,C\n"),
            dry_run=True,
            deactivate_missing=False,
            max_bytes=10_000,
        )
        await org_queries.record_problems(region_a.id, job.id, [(2, "nip", "X", "x")])
        from kinerja_saas.auth.models import LoginSession

        await LoginSession.create(tenant_id=region_a.id, user_id=region_a.accounts[ADMIN].id)
    for table in await _tenant_tables(app_conn):
        async with app_conn.transaction():
            await app_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(region_a.id))
            row_id = await app_conn.fetchval(f"SELECT min(id) FROM {table}")
            assert row_id is not None, f"fixture left {table} empty for region A"
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app_conn.execute(
                    f"UPDATE {table} SET tenant_id = $1 WHERE id = $2", region_b.id, row_id
                )
    # A dead job left behind would fail `kinerja doctor` in the tests after this one.
    await owner_conn.execute("DELETE FROM parked_jobs WHERE tenant_id = $1", region_a.id)


async def test_audit_log_is_append_only_for_the_app_role(app_conn, region_a):
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(region_a.id))
        assert await app_conn.fetchval("SELECT count(*) FROM audit_log") > 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.execute("DELETE FROM audit_log")


ADMIN = Role.REGION_ADMIN


async def test_graphql_reads_of_another_region_find_nothing(api, region_a, region_b):
    b_emp = region_b.employees["staff1"].id
    b_unit = region_b.units["a"].id
    res = await api.as_role(region_a, ADMIN, f'{{ employee(id: "{b_emp}") {{ id }} }}')
    assert res.codes == ["NOT_FOUND"]
    res = await api.as_role(region_a, ADMIN, f'{{ unit(id: "{b_unit}") {{ id }} }}')
    assert res.data["unit"] is None
    res = await api.as_role(
        region_a,
        ADMIN,
        f'{{ employees(first: 50, filter: {{unitId: "{b_unit}"}}) {{ totalCount edges {{ node {{ id }} }} }} }}',
    )
    assert res.data["employees"] == {"totalCount": 0, "edges": []}
    res = await api.as_role(
        region_a,
        ADMIN,
        "{ employees(first: 100) { totalCount edges { node { id } } } units { id } }",
    )
    a_ids = {str(e.id) for e in region_a.employees.values()}
    assert {e["node"]["id"] for e in res.data["employees"]["edges"]} == a_ids
    assert res.data["employees"]["totalCount"] == 5
    assert {u["id"] for u in res.data["units"]} == {str(u.id) for u in region_a.units.values()}


async def test_graphql_writes_to_another_region_are_refused(api, region_a, region_b, owner_conn):
    b_emp = region_b.employees["staff1"]
    b_unit = region_b.units["b"]
    for mutation in (
        f'updateEmployee(id: "{b_emp.id}", input: {{name: "Hacked"}}) {{ errors {{ code }} }}',
        f'deactivateEmployee(id: "{b_emp.id}") {{ errors {{ code }} }}',
        f'updateUnit(id: "{b_unit.id}", input: {{name: "Hacked"}}) {{ errors {{ code }} }}',
        f'deactivateUnit(id: "{b_unit.id}") {{ errors {{ code }} }}',
    ):
        res = await api.as_role(region_a, ADMIN, f"mutation {{ {mutation} }}")
        payload = next(iter(res.data.values()))
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"], mutation
    row = await owner_conn.fetchrow("SELECT name, is_active FROM employees WHERE id = $1", b_emp.id)
    assert (row["name"], row["is_active"]) == (b_emp.name, True)
    unit = await owner_conn.fetchrow(
        "SELECT name, is_active FROM org_units WHERE id = $1", b_unit.id
    )
    assert (unit["name"], unit["is_active"]) == ("Bidang B", True)


async def test_referencing_another_regions_unit_or_supervisor_is_refused(api, region_a, region_b):
    res = await api.as_role(
        region_a,
        ADMIN,
        'mutation($u: ID!, $s: ID!) { createEmployee(input: {nip: "198001012005011001",'
        ' name: "X", position: "Staf", unitId: $u, supervisorId: $s}) { employee { id }'
        " errors { field code } } }",
        {"u": str(region_b.units["a"].id), "s": str(region_b.employees["chief"].id)},
    )
    errors = {(e["field"], e["code"]) for e in res.data["createEmployee"]["errors"]}
    assert errors == {("unitId", "NOT_FOUND"), ("supervisorId", "NOT_FOUND")}
