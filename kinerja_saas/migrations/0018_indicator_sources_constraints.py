"""Indicator sources: a sourced indicator names exactly one unit or survey service of its
own region (same-tenant keys), a survey-fed realisation names its campaign, and the
indexes the aggregation and the trends read by."""

from tortoise import migrations
from tortoise.migrations import operations as ops

CONSTRAINTS = """
-- Rows written by SQL that predates the sources (copies, bulk loads) are MANUAL.
ALTER TABLE indicators ALTER COLUMN source SET DEFAULT 'MANUAL';
ALTER TABLE realisations ALTER COLUMN source SET DEFAULT 'MANUAL';
ALTER TABLE indicators ADD CONSTRAINT indicators_source_target CHECK (
    (source = 'MANUAL' AND source_unit_id IS NULL AND source_service_id IS NULL)
    OR (source = 'SKM_IKM' AND num_nonnulls(source_unit_id, source_service_id) = 1));
ALTER TABLE indicators ADD CONSTRAINT indicators_source_unit_fk
    FOREIGN KEY (tenant_id, source_unit_id) REFERENCES org_units (tenant_id, id);
ALTER TABLE indicators ADD CONSTRAINT indicators_source_service_fk
    FOREIGN KEY (tenant_id, source_service_id) REFERENCES survey_services (tenant_id, id);
ALTER TABLE realisations ADD CONSTRAINT realisations_source_campaign CHECK (
    source = 'SKM_IKM' OR survey_campaign_id IS NULL);
ALTER TABLE realisations ADD CONSTRAINT realisations_survey_campaign_fk
    FOREIGN KEY (tenant_id, survey_campaign_id) REFERENCES survey_campaigns (tenant_id, id)
    ON DELETE SET NULL (survey_campaign_id);
-- The aggregation finds the indicators a unit's or service's results feed.
CREATE INDEX indicators_skm_unit ON indicators (tenant_id, source_unit_id)
    WHERE source_unit_id IS NOT NULL;
CREATE INDEX indicators_skm_service ON indicators (tenant_id, source_service_id)
    WHERE source_service_id IS NOT NULL;
-- Trends: a scope's totals across campaigns.
CREATE INDEX survey_results_trends ON survey_results (tenant_id, scope, scope_id)
    WHERE dimension = 'TOTAL';
"""

REVERSE = """
DROP INDEX survey_results_trends;
DROP INDEX indicators_skm_service;
DROP INDEX indicators_skm_unit;
ALTER TABLE realisations DROP CONSTRAINT realisations_survey_campaign_fk;
ALTER TABLE realisations DROP CONSTRAINT realisations_source_campaign;
ALTER TABLE indicators DROP CONSTRAINT indicators_source_service_fk;
ALTER TABLE indicators DROP CONSTRAINT indicators_source_unit_fk;
ALTER TABLE indicators DROP CONSTRAINT indicators_source_target;
ALTER TABLE realisations ALTER COLUMN source DROP DEFAULT;
ALTER TABLE indicators ALTER COLUMN source DROP DEFAULT;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0017_indicator_sources")]

    operations = [ops.RunSQL(CONSTRAINTS, reverse_sql=REVERSE)]
