"""Responses not yet in their campaign's results, by campaign service.

A submission appends its response id to its campaign service's row in the statement that
stores it; the debounced aggregation of the campaign takes the rows (waiting for
submissions still holding one) and adds those responses to the stored results: one run per
campaign and window, costing what arrived since the last. See surveys.aggregation."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

CREATE = """
CREATE TABLE survey_pending_services (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    campaign_id bigint NOT NULL,
    service_id bigint NOT NULL,
    response_ids bigint[] NOT NULL CHECK (cardinality(response_ids) > 0),
    pending_since timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, campaign_id, service_id),
    FOREIGN KEY (tenant_id, campaign_id, service_id)
        REFERENCES survey_campaign_services (tenant_id, campaign_id, service_id)
        ON DELETE CASCADE
);
-- A public code to its target and what a submission is checked against, before any tenant
-- is known: the same data the public form shows (the campaign's dates and questions, the
-- element codes, the region's survey limits and time zone), nothing else of the region.
-- PL/pgSQL, not SQL: a definer SQL function is not inlined and is planned on every call
-- (~0.9 ms); PL/pgSQL keeps its plan for the session (~0.15 ms). The same for the lookup.
CREATE FUNCTION survey_code_rules(p_code text)
RETURNS TABLE (tenant_id bigint, campaign_id bigint, service_id bigint, timezone text,
    survey_settings jsonb, opens_on date, closes_on date, profile_fields jsonb,
    extra_questions jsonb, element_codes text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT cs.tenant_id, cs.campaign_id, cs.service_id, t.timezone::text,
        t.settings -> 'surveys', c.opens_on, c.closes_on, c.profile_fields, c.extra_questions,
        ARRAY(SELECT e.code::text FROM survey_elements e WHERE e.tenant_id = cs.tenant_id
              ORDER BY e.position)
    FROM survey_campaign_services cs
    JOIN tenants t ON t.id = cs.tenant_id
    JOIN survey_campaigns c ON c.tenant_id = cs.tenant_id AND c.id = cs.campaign_id
    WHERE cs.code = p_code AND t.status = 'ACTIVE';
END
$$;
CREATE OR REPLACE FUNCTION survey_code_lookup(p_code text)
RETURNS TABLE (tenant_id bigint, campaign_id bigint, service_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT cs.tenant_id, cs.campaign_id, cs.service_id
    FROM survey_campaign_services cs JOIN tenants t ON t.id = cs.tenant_id
    WHERE cs.code = p_code AND t.status = 'ACTIVE';
END
$$;
REVOKE ALL ON FUNCTION survey_code_rules(text) FROM PUBLIC;
-- The outbox trigger (0014) notified on every INSERT statement, also one that wrote no
-- event: now every survey submission's statement. Only statements that wrote events wake
-- the relay now (a NOTIFY also serialises commits on the notification queue).
DROP TRIGGER outbox_events_notify ON outbox_events;
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify('kinerja_outbox', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
COMMENT ON TABLE survey_pending_services IS
    'Responses not yet aggregated, by campaign service (the debounced aggregation takes them)';
"""

NOTIFY_AS_BEFORE = """
DROP TRIGGER outbox_events_notify ON outbox_events;
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM pg_notify('kinerja_outbox', '');
    RETURN NULL;
END
$f$;
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
"""

LOOKUP_AS_BEFORE = """
CREATE OR REPLACE FUNCTION survey_code_lookup(p_code text)
RETURNS TABLE (tenant_id bigint, campaign_id bigint, service_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $f$
    SELECT cs.tenant_id, cs.campaign_id, cs.service_id
    FROM survey_campaign_services cs JOIN tenants t ON t.id = cs.tenant_id
    WHERE cs.code = p_code AND t.status = 'ACTIVE'
$f$;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0021_region_plans")]

    operations = [
        ops.RunSQL(
            CREATE,
            reverse_sql=NOTIFY_AS_BEFORE
            + LOOKUP_AS_BEFORE
            + "DROP FUNCTION survey_code_rules(text); DROP TABLE survey_pending_services;",
        ),
        ops.RunSQL(
            enable_rls("survey_pending_services"),
            reverse_sql=disable_rls("survey_pending_services"),
        ),
    ]
