"""Row-level security on periods and checkpoints, and their same-tenant keys."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

CONSTRAINTS = """
ALTER TABLE periods ADD CONSTRAINT periods_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id);
ALTER TABLE periods ADD CONSTRAINT periods_tenant_id_id_key UNIQUE (tenant_id, id);
ALTER TABLE checkpoints ADD CONSTRAINT checkpoints_tenant_fk
    FOREIGN KEY (tenant_id) REFERENCES tenants (id);
ALTER TABLE checkpoints ADD CONSTRAINT checkpoints_period_fk
    FOREIGN KEY (tenant_id, period_id) REFERENCES periods (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE periods ADD CONSTRAINT periods_dates CHECK (starts_on <= ends_on);
ALTER TABLE checkpoints ADD CONSTRAINT checkpoints_dates
    CHECK (starts_on <= ends_on AND deadline >= starts_on);
"""
CONSTRAINTS_REVERSE = """
ALTER TABLE checkpoints DROP CONSTRAINT checkpoints_dates;
ALTER TABLE periods DROP CONSTRAINT periods_dates;
ALTER TABLE checkpoints DROP CONSTRAINT checkpoints_period_fk;
ALTER TABLE checkpoints DROP CONSTRAINT checkpoints_tenant_fk;
ALTER TABLE periods DROP CONSTRAINT periods_tenant_id_id_key;
ALTER TABLE periods DROP CONSTRAINT periods_tenant_fk;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0008_periods")]

    operations = [
        ops.RunSQL(CONSTRAINTS, reverse_sql=CONSTRAINTS_REVERSE),
        ops.RunSQL(enable_rls("periods"), reverse_sql=disable_rls("periods")),
        ops.RunSQL(enable_rls("checkpoints"), reverse_sql=disable_rls("checkpoints")),
    ]
