"""Row-level security: the SQL that migrations use, and the app role set-up.

Policy: a row is visible and writable only when its tenant_id equals the transaction's
`app.tenant_id`. With no tenant set (or an empty one, which is what a transaction-local
setting reverts to on a pooled connection) nothing matches.
"""

from __future__ import annotations

TENANT_EXPR = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"

# Platform tables: no tenant_id, no RLS. Every other table must have both (see tests).
PLATFORM_TABLES = frozenset({"tenants", "platform_operators", "tortoise_migrations"})

# The app role may append to these but never change or delete a row.
APPEND_ONLY_TABLES = ("audit_log",)


def enable_rls(table: str) -> str:
    return f"""
ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "{table}"
    USING (tenant_id = {TENANT_EXPR})
    WITH CHECK (tenant_id = {TENANT_EXPR});
"""


def disable_rls(table: str) -> str:
    return f"""
DROP POLICY IF EXISTS tenant_isolation ON "{table}";
ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY;
"""


def app_role_statements(role: str, password: str | None) -> list[str]:
    """Idempotent: creates or updates the non-owner app role and grants it table access."""
    quoted_pw = "NULL" if password is None else "'" + password.replace("'", "''") + "'"
    statements = [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE "{role}" LOGIN;
            END IF;
        END $$;""",
        f'ALTER ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE '
        f"PASSWORD {quoted_pw}",
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        f'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO "{role}"',
        f'REVOKE ALL ON tortoise_migrations FROM "{role}"',
    ]
    statements += [f'REVOKE UPDATE, DELETE ON "{t}" FROM "{role}"' for t in APPEND_ONLY_TABLES]
    return statements
