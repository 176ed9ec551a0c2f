"""Revocation of access tokens within seconds, and operators' own password change.

`token_revocations` is the log each API process reads (kinerja_saas/auth/revocation.py):
one row per login whose access tokens older than a version are refused (logoutEverywhere,
password change, deactivation, role change) or per session whose access tokens are
refused (logout, a reused refresh token). It holds ids only and is a platform table: the
app role has no privilege on it at all, and goes through two definer functions:

- `auth_revoke_tokens`: appends rows for logins of the transaction's own region (or, in
  platform scope, for operators); a region's transaction cannot revoke another region's
  logins or an operator's. It also drops rows a day old, a bounded batch at a time.
- `auth_token_revocations`: the rows of the last seconds, for every region, with their age.

`operator_change_password`: the app role may read operators but not write their password
hashes; this changes one operator's hash (compare-and-swap on the hash the caller
verified the current password against) and bumps its token version, in platform scope only.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORWARD = """
CREATE TABLE token_revocations (
    id bigserial PRIMARY KEY,
    tenant_id bigint REFERENCES tenants (id) ON DELETE CASCADE,  -- NULL: a platform operator
    is_operator boolean NOT NULL,
    user_id bigint NOT NULL,
    min_version integer,  -- the login's access tokens of an older version are refused
    session_id bigint,  -- the access tokens of this session are refused
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT token_revocations_scope CHECK (is_operator = (tenant_id IS NULL)),
    CONSTRAINT token_revocations_what CHECK (min_version IS NOT NULL OR session_id IS NOT NULL)
);
CREATE INDEX token_revocations_created ON token_revocations (created_at);

CREATE FUNCTION auth_revoke_tokens(
    p_tenant bigint, p_users bigint[], p_versions integer[], p_session bigint
) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_count integer;
BEGIN
    IF p_tenant IS DISTINCT FROM NULLIF(current_setting('app.tenant_id', true), '')::bigint THEN
        RAISE EXCEPTION 'tokens can be revoked only in their own region''s transaction'
            USING ERRCODE = '42501';
    END IF;
    INSERT INTO token_revocations (tenant_id, is_operator, user_id, min_version, session_id)
    SELECT p_tenant, p_tenant IS NULL, u.user_id, u.version, p_session
    FROM unnest(p_users, p_versions) AS u (user_id, version)
    WHERE u.user_id IS NOT NULL AND (u.version IS NOT NULL OR p_session IS NOT NULL);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    DELETE FROM token_revocations WHERE id IN (
        SELECT id FROM token_revocations WHERE created_at < now() - interval '1 day'
        ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED);
    RETURN v_count;
END $$;
REVOKE ALL ON FUNCTION auth_revoke_tokens(bigint, bigint[], integer[], bigint) FROM PUBLIC;

CREATE FUNCTION auth_token_revocations(p_window_seconds double precision)
RETURNS TABLE (
    id bigint, tenant_id bigint, is_operator boolean, user_id bigint, min_version integer,
    session_id bigint, age_seconds double precision
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT r.id, r.tenant_id, r.is_operator, r.user_id, r.min_version, r.session_id,
        extract(epoch FROM clock_timestamp() - r.created_at)::float8
    FROM token_revocations r
    WHERE r.created_at > clock_timestamp() - make_interval(secs => p_window_seconds)
    ORDER BY r.id
$$;
REVOKE ALL ON FUNCTION auth_token_revocations(double precision) FROM PUBLIC;

CREATE FUNCTION operator_change_password(p_operator bigint, p_current_hash text, p_new_hash text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_version integer;
BEGIN
    IF NULLIF(current_setting('app.tenant_id', true), '') IS NOT NULL THEN
        RAISE EXCEPTION 'an operator''s password changes only in platform scope'
            USING ERRCODE = '42501';
    END IF;
    UPDATE platform_operators SET password_hash = p_new_hash, token_version = token_version + 1
    WHERE id = p_operator AND is_active AND password_hash = p_current_hash
    RETURNING token_version INTO v_version;
    RETURN v_version;  -- NULL: inactive, or the hash changed since the caller read it
END $$;
REVOKE ALL ON FUNCTION operator_change_password(bigint, text, text) FROM PUBLIC;
"""

REVERSE = """
DROP FUNCTION operator_change_password(bigint, text, text);
DROP FUNCTION auth_token_revocations(double precision);
DROP FUNCTION auth_revoke_tokens(bigint, bigint[], integer[], bigint);
DROP TABLE token_revocations;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0024_tenants_isolation")]

    operations = [ops.RunSQL(FORWARD, reverse_sql=REVERSE)]
