"""Row-level security on every tenant table, same-tenant composite foreign keys, the
append-only audit log, and the narrow SECURITY DEFINER functions that must look across
tenants (login lookup by e-mail, outbox relay claim, outbox backlog).

The definer functions run as the migration (owner) role, which therefore needs to be a
superuser or have BYPASSRLS; `kinerja migrate` checks that.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TENANT_TABLES = [
    "org_units",
    "employees",
    "user_accounts",
    "audit_log",
    "outbox_events",
    "processed_events",
]

CONSTRAINTS = """
ALTER TABLE org_units ADD CONSTRAINT org_units_tenant_id_id_key UNIQUE (tenant_id, id);
ALTER TABLE employees ADD CONSTRAINT employees_tenant_id_id_key UNIQUE (tenant_id, id);
ALTER TABLE org_units ADD CONSTRAINT org_units_parent_fk
    FOREIGN KEY (tenant_id, parent_id) REFERENCES org_units (tenant_id, id);
ALTER TABLE employees ADD CONSTRAINT employees_unit_fk
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_units (tenant_id, id);
ALTER TABLE employees ADD CONSTRAINT employees_supervisor_fk
    FOREIGN KEY (tenant_id, supervisor_id) REFERENCES employees (tenant_id, id);
ALTER TABLE employees ADD CONSTRAINT employees_not_own_supervisor
    CHECK (supervisor_id IS NULL OR supervisor_id <> id);
ALTER TABLE employees ADD CONSTRAINT employees_nip_digits CHECK (nip ~ '^[0-9]{18}$');
ALTER TABLE user_accounts ADD CONSTRAINT user_accounts_employee_fk
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id);
CREATE INDEX org_units_tenant_path_prefix ON org_units (tenant_id, path text_pattern_ops);
CREATE INDEX employees_tenant_nip_prefix ON employees (tenant_id, nip text_pattern_ops);
CREATE INDEX outbox_events_pending ON outbox_events (id) WHERE relayed_at IS NULL;
-- Login looks an e-mail up across regions (auth_login_regions), before a tenant is known.
CREATE INDEX user_accounts_login_email ON user_accounts (email);
""" + "".join(
    f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id);\n"
    for t in TENANT_TABLES
)

CONSTRAINTS_REVERSE = "".join(
    f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_fk;\n" for t in TENANT_TABLES
) + """
DROP INDEX user_accounts_login_email;
DROP INDEX outbox_events_pending;
DROP INDEX employees_tenant_nip_prefix;
DROP INDEX org_units_tenant_path_prefix;
ALTER TABLE user_accounts DROP CONSTRAINT user_accounts_employee_fk;
ALTER TABLE employees DROP CONSTRAINT employees_nip_digits;
ALTER TABLE employees DROP CONSTRAINT employees_not_own_supervisor;
ALTER TABLE employees DROP CONSTRAINT employees_supervisor_fk;
ALTER TABLE employees DROP CONSTRAINT employees_unit_fk;
ALTER TABLE org_units DROP CONSTRAINT org_units_parent_fk;
ALTER TABLE employees DROP CONSTRAINT employees_tenant_id_id_key;
ALTER TABLE org_units DROP CONSTRAINT org_units_tenant_id_id_key;
"""

APPEND_ONLY_AUDIT = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""

DEFINER_FUNCTIONS = """
-- Which regions have an active login with this e-mail: lets `login` work without a slug.
CREATE FUNCTION auth_login_regions(p_email text)
RETURNS TABLE (tenant_id bigint, slug text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT u.tenant_id, t.slug::text
    FROM user_accounts u JOIN tenants t ON t.id = u.tenant_id
    WHERE u.email = lower(p_email) AND u.is_active
    ORDER BY t.slug
$$;
REVOKE ALL ON FUNCTION auth_login_regions(text) FROM PUBLIC;

-- Claims committed, unrelayed outbox events of every region. The row locks are held
-- until the caller's transaction ends, so a failed enqueue rolls the claim back.
CREATE FUNCTION outbox_claim(p_limit integer)
RETURNS TABLE (id bigint, tenant_id bigint, topic text, payload jsonb)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    WITH picked AS (
        SELECT o.id FROM outbox_events o
        WHERE o.relayed_at IS NULL
        ORDER BY o.id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox_events o
    SET relayed_at = now(), relay_attempts = o.relay_attempts + 1
    FROM picked WHERE o.id = picked.id
    RETURNING o.id, o.tenant_id, o.topic::text, o.payload::jsonb
$$;
REVOKE ALL ON FUNCTION outbox_claim(integer) FROM PUBLIC;

-- Number of events waiting for the relay (for readiness and metrics).
CREATE FUNCTION outbox_backlog()
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT count(*) FROM outbox_events WHERE relayed_at IS NULL
$$;
REVOKE ALL ON FUNCTION outbox_backlog() FROM PUBLIC;
"""

DEFINER_FUNCTIONS_REVERSE = """
DROP FUNCTION outbox_backlog();
DROP FUNCTION outbox_claim(integer);
DROP FUNCTION auth_login_regions(text);
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [
        ops.RunSQL(CONSTRAINTS, reverse_sql=CONSTRAINTS_REVERSE),
        *[ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TENANT_TABLES],
        ops.RunSQL(
            APPEND_ONLY_AUDIT,
            reverse_sql="DROP TRIGGER audit_log_no_change ON audit_log;"
            "DROP FUNCTION audit_log_append_only();",
        ),
        ops.RunSQL(DEFINER_FUNCTIONS, reverse_sql=DEFINER_FUNCTIONS_REVERSE),
    ]
