"""Row-level security on the tables of onboarding and roster import, their same-tenant
foreign keys, and the operators' overview of every region (counts only, no people data)."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TENANT_TABLES = [
    "behaviour_values",
    "survey_elements",
    "competencies",
    "training_rules",
    "import_jobs",
    "import_rows",
    "import_problems",
]

CONSTRAINTS = "".join(
    f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id);\n"
    for t in TENANT_TABLES
) + """
ALTER TABLE competencies ADD CONSTRAINT competencies_tenant_id_id_key UNIQUE (tenant_id, id);
ALTER TABLE training_rules ADD CONSTRAINT training_rules_competency_fk
    FOREIGN KEY (tenant_id, competency_id) REFERENCES competencies (tenant_id, id);
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_tenant_id_id_key UNIQUE (tenant_id, id);
ALTER TABLE import_rows ADD CONSTRAINT import_rows_job_fk
    FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE import_problems ADD CONSTRAINT import_problems_job_fk
    FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE;
"""

CONSTRAINTS_REVERSE = """
ALTER TABLE import_problems DROP CONSTRAINT import_problems_job_fk;
ALTER TABLE import_rows DROP CONSTRAINT import_rows_job_fk;
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_tenant_id_id_key;
ALTER TABLE training_rules DROP CONSTRAINT training_rules_competency_fk;
ALTER TABLE competencies DROP CONSTRAINT competencies_tenant_id_id_key;
""" + "".join(f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_fk;\n" for t in TENANT_TABLES)

REGION_STATS = """
-- Operators see how big and how busy each region is, never its rows.
CREATE FUNCTION region_stats(p_tenant_ids bigint[])
RETURNS TABLE (tenant_id bigint, employees bigint, units bigint, last_activity timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT t.id,
        (SELECT count(*) FROM employees e WHERE e.tenant_id = t.id AND e.is_active),
        (SELECT count(*) FROM org_units u WHERE u.tenant_id = t.id AND u.is_active),
        (SELECT max(a.created_at) FROM audit_log a WHERE a.tenant_id = t.id)
    FROM unnest(p_tenant_ids) AS t(id)
$$;
REVOKE ALL ON FUNCTION region_stats(bigint[]) FROM PUBLIC;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0003_onboarding_and_import")]

    operations = [
        ops.RunSQL(CONSTRAINTS, reverse_sql=CONSTRAINTS_REVERSE),
        *[ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TENANT_TABLES],
        ops.RunSQL(REGION_STATS, reverse_sql="DROP FUNCTION region_stats(bigint[]);"),
    ]
