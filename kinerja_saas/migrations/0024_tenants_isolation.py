"""Row-level security on `tenants`: a region's own transaction may change only its own row.

Until now the app role could UPDATE `settings`, `status` and `plan` of every row of the
platform table `tenants` (it has no tenant_id, so no tenant policy): a request that ran in
the wrong region (issue #15) changed another region's settings. Now:

- reading stays open to the app role (a login, a survey code, a slug name any region);
- UPDATE only of the row of the transaction's own region (`id = app.tenant_id`): a region
  admin's settings. In platform scope (no region set) no row at all;
- INSERT only in platform scope: a region's transaction cannot create regions;
- a region's status and plan (platform operators' changes) only through the definer
  functions below, which refuse to run inside a region's transaction. The app role keeps
  the column privilege for `settings` alone (tenants/rls.py).

Not FORCEd: the owner (migrations, `kinerja` operator commands) is not the app role.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import TENANT_EXPR

# Runs as the owner (BYPASSRLS), so it can change any region's row; it refuses to run in a
# region's transaction, so a request or job of one region can never change another's (nor
# its own status). The caller (kinerja_saas/regions/onboarding.py) checks the actor is an operator.
_DEFINER = """
CREATE FUNCTION {name}(p_tenant bigint, p_value text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF {tenant} IS NOT NULL THEN
        RAISE EXCEPTION 'a region''s transaction cannot change a region''s {column}'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_value IS NULL OR p_value NOT IN ({allowed}) THEN
        RAISE EXCEPTION 'unknown {column} %', p_value USING ERRCODE = 'check_violation';
    END IF;
    UPDATE tenants SET {column} = p_value WHERE id = p_tenant;
    RETURN FOUND;
END $$;
REVOKE ALL ON FUNCTION {name}(bigint, text) FROM PUBLIC;
"""

FORWARD = "\n".join(
    [
        "ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;",
        "CREATE POLICY tenants_read ON tenants FOR SELECT USING (true);",
        f"CREATE POLICY tenants_own_row ON tenants FOR UPDATE"
        f" USING (id = {TENANT_EXPR}) WITH CHECK (id = {TENANT_EXPR});",
        f"CREATE POLICY tenants_create ON tenants FOR INSERT WITH CHECK ({TENANT_EXPR} IS NULL);",
        _DEFINER.format(
            name="platform_set_region_status",
            tenant=TENANT_EXPR,
            column="status",
            allowed="'ACTIVE', 'SUSPENDED'",
        ),
        _DEFINER.format(
            name="platform_set_region_plan",
            tenant=TENANT_EXPR,
            column="plan",
            allowed="'SMALL', 'STANDARD', 'LARGE'",
        ),
    ]
)

REVERSE = "\n".join(
    [
        "DROP FUNCTION platform_set_region_plan(bigint, text);",
        "DROP FUNCTION platform_set_region_status(bigint, text);",
        "DROP POLICY tenants_create ON tenants;",
        "DROP POLICY tenants_own_row ON tenants;",
        "DROP POLICY tenants_read ON tenants;",
        "ALTER TABLE tenants DISABLE ROW LEVEL SECURITY;",
    ]
)


class Migration(migrations.Migration):
    dependencies = [("models", "0023_survey_results_fillfactor")]

    operations = [ops.RunSQL(FORWARD, reverse_sql=REVERSE)]
