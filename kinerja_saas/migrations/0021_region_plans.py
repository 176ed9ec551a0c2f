"""Region plans (tenants/plans.py): every region starts STANDARD; the column's database
default covers the regions already on the platform and rows written by plain SQL."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from tenants.plans import RegionPlan


class Migration(migrations.Migration):
    dependencies = [('models', '0020_training_isolation')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Tenant',
            name='plan',
            field=fields.CharEnumField(default=RegionPlan.STANDARD, db_default=RegionPlan.STANDARD, description='SMALL: SMALL\nSTANDARD: STANDARD\nLARGE: LARGE', enum_type=RegionPlan, max_length=16),
        ),
        ops.RunSQL(
            "ALTER TABLE tenants ADD CONSTRAINT tenants_plan_known"
            " CHECK (plan IN ('SMALL', 'STANDARD', 'LARGE'));",
            reverse_sql="ALTER TABLE tenants DROP CONSTRAINT tenants_plan_known;",
        ),
    ]
