"""Row-level security on the survey tables, their same-tenant keys and CHECKs, and the one
cross-region lookup: a public code to its (region, campaign, service), before any tenant is
known, through a narrow definer function."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TABLES = (
    "survey_services",
    "survey_campaigns",
    "survey_campaign_services",
    "survey_responses",
    "survey_results",
)


def _fk(table: str, name: str, columns: str, target: str, action: str = "") -> str:
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_{name}_fk FOREIGN KEY (tenant_id, {columns})"
        f" REFERENCES {target} (tenant_id, id){action};"
    )


ANSWERS = " AND ".join(f"u{i} BETWEEN 1 AND 4" for i in range(1, 10))

CONSTRAINTS = "\n".join(
    [
        *(
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_fk FOREIGN KEY (tenant_id)"
            f" REFERENCES tenants (id);\n"
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_id_id_key UNIQUE (tenant_id, id);"
            for t in TABLES
        ),
        _fk("survey_services", "unit", "unit_id", "org_units"),
        _fk(
            "survey_campaign_services",
            "campaign",
            "campaign_id",
            "survey_campaigns",
            " ON DELETE CASCADE",
        ),
        _fk("survey_campaign_services", "service", "service_id", "survey_services"),
        _fk("survey_results", "campaign", "campaign_id", "survey_campaigns", " ON DELETE CASCADE"),
        f"""
-- A response belongs to a service the campaign covers.
ALTER TABLE survey_responses ADD CONSTRAINT survey_responses_campaign_service_fk
    FOREIGN KEY (tenant_id, campaign_id, service_id)
    REFERENCES survey_campaign_services (tenant_id, campaign_id, service_id) ON DELETE CASCADE;
ALTER TABLE survey_responses ADD CONSTRAINT survey_responses_answers CHECK ({ANSWERS});
ALTER TABLE survey_responses ADD CONSTRAINT survey_responses_client_token
    CHECK (length(client_token) BETWEEN 8 AND 64);
ALTER TABLE survey_services ADD CONSTRAINT survey_services_population
    CHECK (population_per_year >= 0);
ALTER TABLE survey_campaigns ADD CONSTRAINT survey_campaigns_dates CHECK (closes_on >= opens_on);
ALTER TABLE survey_results ADD CONSTRAINT survey_results_band CHECK (band IN ('A','B','C','D'));
-- Codes are unguessable and unique across regions: the lookup is by code alone.
CREATE UNIQUE INDEX survey_campaign_services_code ON survey_campaign_services (code);
ALTER TABLE survey_campaign_services ADD CONSTRAINT survey_campaign_services_code_length
    CHECK (length(code) >= 16);
-- The suggestions list of a campaign, newest first.
CREATE INDEX survey_responses_suggestions ON survey_responses (tenant_id, campaign_id, id DESC)
    WHERE suggestion IS NOT NULL;

-- A public code to its region, campaign and service (active regions only), before a tenant
-- is known: nothing else of any region is readable through it.
CREATE FUNCTION survey_code_lookup(p_code text)
RETURNS TABLE (tenant_id bigint, campaign_id bigint, service_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT cs.tenant_id, cs.campaign_id, cs.service_id
    FROM survey_campaign_services cs JOIN tenants t ON t.id = cs.tenant_id
    WHERE cs.code = p_code AND t.status = 'ACTIVE'
$$;
REVOKE ALL ON FUNCTION survey_code_lookup(text) FROM PUBLIC;
""",
    ]
)

REVERSE = "\n".join(
    [
        "DROP FUNCTION survey_code_lookup(text);",
        "DROP INDEX survey_responses_suggestions;",
        "ALTER TABLE survey_campaign_services DROP CONSTRAINT survey_campaign_services_code_length;",
        "DROP INDEX survey_campaign_services_code;",
        "ALTER TABLE survey_results DROP CONSTRAINT survey_results_band;",
        "ALTER TABLE survey_campaigns DROP CONSTRAINT survey_campaigns_dates;",
        "ALTER TABLE survey_services DROP CONSTRAINT survey_services_population;",
        "ALTER TABLE survey_responses DROP CONSTRAINT survey_responses_client_token;",
        "ALTER TABLE survey_responses DROP CONSTRAINT survey_responses_answers;",
        "ALTER TABLE survey_responses DROP CONSTRAINT survey_responses_campaign_service_fk;",
        *(f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_id_id_key CASCADE;" for t in TABLES),
        *(f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_fk;" for t in TABLES),
    ]
)


class Migration(migrations.Migration):
    dependencies = [("models", "0015_surveys")]

    operations = [
        ops.RunSQL(CONSTRAINTS, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
    ]
