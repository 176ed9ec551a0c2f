"""Row-level security: the SQL that migrations use, and the app role set-up.

Policy: a row is visible and writable only when its tenant_id equals the transaction's
`app.tenant_id`. With no tenant set (or an empty one, which is what a transaction-local
setting reverts to on a pooled connection) nothing matches.
"""

from __future__ import annotations

TENANT_EXPR = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"

# Platform tables: no tenant_id, no RLS. Every other table must have both (see tests).
PLATFORM_TABLES = frozenset(
    {
        "tenants",
        "platform_operators",
        "operator_sessions",
        "tortoise_migrations",
        # ids only, no privilege for the app role: read and written through definer
        # functions that keep a region to its own logins (migration 0025)
        "token_revocations",
    }
)

# The app role may append to these but never change or delete a row.
APPEND_ONLY_TABLES = ("audit_log", "plan_revisions")


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


def _login_role(role: str, password: str | None) -> list[str]:
    quoted_pw = "NULL" if password is None else "'" + password.replace("'", "''") + "'"
    return [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE "{role}" LOGIN;
            END IF;
        END $$;""",
        f'ALTER ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE '
        f"PASSWORD {quoted_pw}",
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        # Start from nothing, so a privilege dropped here is really gone on upgrade.
        f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"',
        f'REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM "{role}"',
    ]


# The functions each role may call (see the migrations).
APP_FUNCTIONS = (
    "auth_login_regions(text)",
    "region_stats(bigint[])",
    "kinerja_achievement(numeric, numeric, text, numeric)",
    # The performance read models (migration 0033): the triggers of the app's own writes
    # call these, and the rebuild is the recompute of `kinerja rebuild-read-models`.
    "kinerja_region_cap(bigint)",
    "kinerja_progress_refresh(bigint, bigint[])",
    "kinerja_progress_rebuild(bigint)",
    "survey_code_lookup(text)",
    "survey_code_rules(text)",
    "complaint_tracking_lookup(text)",
    "document_code_lookup(text)",
    "auth_revoke_tokens(bigint, bigint[], integer[], bigint)",
    "auth_token_revocations(double precision)",
    "operator_change_password(bigint, text, text)",
    # A region's status and plan: platform operators' changes, refused in a region's
    # transaction (migration 0024).
    "platform_set_region_status(bigint, text)",
    "platform_set_region_plan(bigint, text)",
)
RELAY_FUNCTIONS = ("outbox_claim(integer)", "outbox_backlog()", "job_health()")


def app_role_statements(role: str, password: str | None) -> list[str]:
    """Idempotent: the role the API and the job workers use. It owns nothing, bypasses no
    RLS, reads and writes tenant tables (RLS decides which rows), and has only what it needs
    of the platform tables: regions are created (in platform scope) and a region's own
    settings changed by its own transaction (RLS on tenants, migration 0024), never
    deleted or renamed; status and plan only through the operators' definer functions;
    operators are only read (and their sessions revoked)."""
    statements = [
        *_login_role(role, password),
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        f'REVOKE ALL ON tortoise_migrations FROM "{role}"',
        f'REVOKE ALL ON tenants, platform_operators FROM "{role}"',
        f'GRANT SELECT, INSERT ON tenants TO "{role}"',
        f'GRANT UPDATE (settings) ON tenants TO "{role}"',
        f'GRANT SELECT ON platform_operators TO "{role}"',
        f'GRANT UPDATE (token_version) ON platform_operators TO "{role}"',
        f'REVOKE DELETE ON operator_sessions FROM "{role}"',
        f'REVOKE ALL ON token_revocations FROM "{role}"',
    ]
    statements += [f'REVOKE UPDATE, DELETE ON "{t}" FROM "{role}"' for t in APPEND_ONLY_TABLES]
    statements += [f'GRANT EXECUTE ON FUNCTION {f} TO "{role}"' for f in APP_FUNCTIONS]
    return statements


def relay_role_statements(role: str, password: str | None) -> list[str]:
    """Idempotent: the outbox relay's role. It can claim every region's committed events
    through the definer functions and nothing else: no table, no row."""
    return [
        *_login_role(role, password),
        f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}"',
        *[f'GRANT EXECUTE ON FUNCTION {f} TO "{role}"' for f in RELAY_FUNCTIONS],
    ]
