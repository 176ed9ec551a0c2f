from tortoise import migrations
from tortoise.migrations import operations as ops
from kinerja_saas.org.models import PositionType, UnitKind
from orjson import loads
from tenants.models import RegionKind, RegionStatus, RegionTimezone
from tortoise.contrib.postgres.fields import ArrayField
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('actor_user_id', fields.BigIntField(null=True)),
                ('actor', fields.CharField(max_length=254)),
                ('action', fields.CharField(max_length=64)),
                ('entity', fields.CharField(max_length=64)),
                ('entity_id', fields.BigIntField(null=True)),
                ('before', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('request_id', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_log', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'entity', 'entity_id']), Index(fields=['tenant_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Employee',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('nip', fields.CharField(max_length=18)),
                ('name', fields.CharField(max_length=200)),
                ('position', fields.CharField(max_length=200)),
                ('position_type', fields.CharEnumField(default=PositionType.PELAKSANA, description='STRUKTURAL: STRUKTURAL\nFUNGSIONAL: FUNGSIONAL\nPELAKSANA: PELAKSANA', enum_type=PositionType, max_length=16)),
                ('golongan', fields.CharField(null=True, max_length=8)),
                ('unit_id', fields.BigIntField()),
                ('supervisor_id', fields.BigIntField(null=True)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('phone', fields.CharField(null=True, max_length=32)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'employees', 'app': 'models', 'unique_together': (('tenant_id', 'nip'),), 'indexes': [Index(fields=['tenant_id', 'unit_id']), Index(fields=['tenant_id', 'supervisor_id']), Index(fields=['tenant_id', 'name', 'id'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='OutboxEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('topic', fields.CharField(max_length=100)),
                ('payload', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('relayed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('relay_attempts', fields.IntField(default=0)),
            ],
            options={'table': 'outbox_events', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='PlatformOperator',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('name', fields.CharField(max_length=200)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('is_active', fields.BooleanField(default=True)),
                ('token_version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'platform_operators', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Staff of the platform who onboard and look after regions.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProcessedEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('event_id', fields.BigIntField()),
                ('handler', fields.CharField(max_length=100)),
                ('processed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'processed_events', 'app': 'models', 'unique_together': (('tenant_id', 'event_id', 'handler'),), 'pk_attr': 'id', 'table_description': 'Marks an event as handled by one handler: the idempotency key of consumers.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Tenant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=63)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(description='KABUPATEN: KABUPATEN\nKOTA: KOTA\nPROVINSI: PROVINSI', enum_type=RegionKind, max_length=16)),
                ('province', fields.CharField(max_length=100)),
                ('timezone', fields.CharEnumField(default=RegionTimezone.WIB, description='WIB: Asia/Jakarta\nWITA: Asia/Makassar\nWIT: Asia/Jayapura', enum_type=RegionTimezone, max_length=32)),
                ('status', fields.CharEnumField(default=RegionStatus.ACTIVE, description='ACTIVE: ACTIVE\nSUSPENDED: SUSPENDED', enum_type=RegionStatus, max_length=16)),
                ('settings', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tenants', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A region (kabupaten/kota/provinsi) on the platform.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Unit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('parent_id', fields.BigIntField(null=True)),
                ('code', fields.CharField(max_length=50)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(description='DINAS: DINAS\nBADAN: BADAN\nKANTOR: KANTOR\nSEKRETARIAT: SEKRETARIAT\nINSPEKTORAT: INSPEKTORAT\nKECAMATAN: KECAMATAN\nKELURAHAN: KELURAHAN\nBIDANG: BIDANG\nBAGIAN: BAGIAN\nSUBBIDANG: SUBBIDANG\nUPT: UPT\nPUSKESMAS: PUSKESMAS\nSEKOLAH: SEKOLAH', enum_type=UnitKind, max_length=16)),
                ('path', fields.CharField(default='/', max_length=1000)),
                ('depth', fields.SmallIntField(default=0)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'org_units', 'app': 'models', 'unique_together': (('tenant_id', 'code'),), 'indexes': [Index(fields=['tenant_id', 'parent_id']), Index(fields=['tenant_id', 'path'])], 'pk_attr': 'id', 'table_description': 'An organisational unit. `path` is the materialised chain of ids, e.g. `/3/17/`, so'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='UserAccount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('email', fields.CharField(max_length=254)),
                ('name', fields.CharField(max_length=200)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('roles', ArrayField(default=list, element_type='TEXT')),
                ('employee_id', fields.BigIntField(null=True)),
                ('is_active', fields.BooleanField(default=True)),
                ('token_version', fields.IntField(default=1)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'user_accounts', 'app': 'models', 'unique_together': (('tenant_id', 'email'),), 'indexes': [Index(fields=['tenant_id', 'employee_id'])], 'pk_attr': 'id', 'table_description': 'A login of a region. Roles are strings of `kinerja_saas.auth.roles.Role`.'},
            bases=['TenantModel'],
        ),
    ]
