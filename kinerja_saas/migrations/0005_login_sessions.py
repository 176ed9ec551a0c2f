from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_onboarding_isolation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('user_id', fields.BigIntField()),
                ('generation', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_sessions', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'user_id'])], 'pk_attr': 'id', 'table_description': 'One login of a region user (a device). Its refresh token carries the generation; each'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='OperatorSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('operator_id', fields.BigIntField()),
                ('generation', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'operator_sessions', 'app': 'models', 'indexes': [Index(fields=['operator_id'])], 'pk_attr': 'id', 'table_description': 'The same for platform operators (a platform table: operators belong to no region).'},
            bases=['Model'],
        ),
    ]
