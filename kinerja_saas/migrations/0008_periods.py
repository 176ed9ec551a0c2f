from tortoise import migrations
from tortoise.migrations import operations as ops
from kinerja_saas.performance.models import CheckpointKind, PeriodStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_import_columns_and_runs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Checkpoint',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('period_id', fields.BigIntField()),
                ('number', fields.SmallIntField()),
                ('label', fields.CharField(max_length=50)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
                ('deadline', fields.DateField()),
            ],
            options={'table': 'checkpoints', 'app': 'models', 'unique_together': (('tenant_id', 'period_id', 'number'),), 'pk_attr': 'id', 'table_description': 'A monthly, quarterly or semester checkpoint, with its deadline for realisations.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Period',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('year', fields.SmallIntField()),
                ('name', fields.CharField(max_length=100)),
                ('status', fields.CharEnumField(default=PeriodStatus.PLANNING, description='PLANNING: PLANNING\nACTIVE: ACTIVE\nEVALUATING: EVALUATING\nCLOSED: CLOSED', enum_type=PeriodStatus, max_length=16)),
                ('checkpoint_kind', fields.CharEnumField(description='MONTHLY: MONTHLY\nQUARTERLY: QUARTERLY\nSEMESTER: SEMESTER', enum_type=CheckpointKind, max_length=16)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'periods', 'app': 'models', 'unique_together': (('tenant_id', 'year'),), 'pk_attr': 'id', 'table_description': "A region's annual performance period."},
            bases=['TenantModel'],
        ),
    ]
