from tortoise import migrations
from tortoise.migrations import operations as ops
from kinerja_saas.performance.models import IndicatorSource
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0016_surveys_isolation')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='Indicator',
            options={'table': 'indicators', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'plan_id']), Index(fields=['tenant_id', 'result_id'])], 'pk_attr': 'id', 'table_description': 'An individual performance indicator (IKI) of a work result. A sourced indicator'},
        ),
        ops.AddField(
            model_name='Indicator',
            name='source',
            field=fields.CharEnumField(default=IndicatorSource.MANUAL, description='MANUAL: MANUAL\nSKM_IKM: SKM_IKM', enum_type=IndicatorSource, max_length=16),
        ),
        ops.AddField(
            model_name='Indicator',
            name='source_service_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Indicator',
            name='source_unit_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Realisation',
            name='source',
            field=fields.CharEnumField(default=IndicatorSource.MANUAL, description='MANUAL: MANUAL\nSKM_IKM: SKM_IKM', enum_type=IndicatorSource, max_length=16),
        ),
        ops.AddField(
            model_name='Realisation',
            name='survey_campaign_id',
            field=fields.BigIntField(null=True),
        ),
    ]
