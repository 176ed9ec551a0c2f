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
COMMENT ON TABLE survey_pending_services IS
    'Responses not yet aggregated, by campaign service (the debounced aggregation takes them)';
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0020_training_isolation")]

    operations = [
        ops.RunSQL(CREATE, reverse_sql="DROP TABLE survey_pending_services;"),
        ops.RunSQL(
            enable_rls("survey_pending_services"),
            reverse_sql=disable_rls("survey_pending_services"),
        ),
    ]
