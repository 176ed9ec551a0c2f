"""Services with responses not yet in their campaign's results.

A submission marks its (campaign, service) pending in the same statement that stores it;
the debounced aggregation of the campaign takes every pending service of the campaign and
refreshes them in one run (one run per campaign and window, however many services had
responses). Taking the rows and the responses in one transaction, under the submissions'
row locks, is what makes a response either counted or still pending, never lost."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

CREATE = """
CREATE TABLE survey_pending_services (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    campaign_id bigint NOT NULL,
    service_id bigint NOT NULL,
    responses integer NOT NULL DEFAULT 1 CHECK (responses > 0),
    pending_since timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, campaign_id, service_id),
    FOREIGN KEY (tenant_id, campaign_id, service_id)
        REFERENCES survey_campaign_services (tenant_id, campaign_id, service_id)
        ON DELETE CASCADE
);
COMMENT ON TABLE survey_pending_services IS
    'Campaign services with responses not yet aggregated (the debounced aggregation takes them)';
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
