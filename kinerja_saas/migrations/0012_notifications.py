from tortoise import migrations
from tortoise.migrations import operations as ops
from kinerja_saas.notifications.models import Channel, DeliveryStatus
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_plans_evaluations_isolation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('event_id', fields.BigIntField()),
                ('kind', fields.CharField(max_length=60)),
                ('channel', fields.CharEnumField(description='IN_APP: IN_APP\nEMAIL: EMAIL\nWEBHOOK: WEBHOOK', enum_type=Channel, max_length=16)),
                ('user_id', fields.BigIntField(null=True)),
                ('endpoint_id', fields.BigIntField(null=True)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nDIGEST: DIGEST\nSENDING: SENDING\nSENT: SENT\nFAILED: FAILED\nDEAD: DEAD', enum_type=DeliveryStatus, max_length=16)),
                ('payload', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('response_status', fields.SmallIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification_deliveries', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'channel', 'status'])], 'pk_attr': 'id', 'table_description': 'One message of one event to one e-mail recipient or one webhook endpoint.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('user_id', fields.BigIntField()),
                ('event_id', fields.BigIntField()),
                ('kind', fields.CharField(max_length=60)),
                ('title', fields.CharField(max_length=300)),
                ('body', fields.TextField(unique=False)),
                ('link', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notifications', 'app': 'models', 'unique_together': (('tenant_id', 'event_id', 'user_id'),), 'pk_attr': 'id', 'table_description': 'One in-app notification of one user, rendered in Bahasa Indonesia when written.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('user_id', fields.BigIntField()),
                ('kind', fields.CharField(max_length=60)),
                ('channel', fields.CharEnumField(description='IN_APP: IN_APP\nEMAIL: EMAIL\nWEBHOOK: WEBHOOK', enum_type=Channel, max_length=16)),
                ('enabled', fields.BooleanField()),
            ],
            options={'table': 'notification_preferences', 'app': 'models', 'unique_together': (('tenant_id', 'user_id', 'kind', 'channel'),), 'pk_attr': 'id', 'table_description': "A user's choice for one kind and channel; absent means the kind's default."},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='NotificationSettings',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('user_id', fields.BigIntField()),
                ('email_digest', fields.BooleanField(default=False)),
                ('last_digest_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification_settings', 'app': 'models', 'unique_together': (('tenant_id', 'user_id'),), 'pk_attr': 'id', 'table_description': 'Per-user settings across kinds: one daily digest e-mail instead of one per event.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='NotificationTemplate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('kind', fields.CharField(max_length=60)),
                ('title', fields.CharField(max_length=300)),
                ('body', fields.TextField(unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_templates', 'app': 'models', 'unique_together': (('tenant_id', 'kind'),), 'pk_attr': 'id', 'table_description': "A region's own text for a kind, over the built-in one."},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('name', fields.CharField(max_length=200)),
                ('url', fields.CharField(max_length=1000)),
                ('secret', fields.CharField(max_length=100)),
                ('kinds', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('training_unit_id', fields.BigIntField(null=True)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoints', 'app': 'models', 'pk_attr': 'id', 'table_description': "A region integration or a training unit's system that receives signed POSTs."},
            bases=['TenantModel'],
        ),
    ]
