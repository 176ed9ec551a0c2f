from tortoise import migrations
from tortoise.migrations import operations as ops
from kinerja_saas.org.models import ImportStatus
from kinerja_saas.training.models import CompetencyKind, RuleTrigger
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_tenant_isolation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BehaviourValue',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('code', fields.CharField(max_length=40)),
                ('name', fields.CharField(max_length=100)),
                ('guide_behaviours', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('position', fields.SmallIntField()),
            ],
            options={'table': 'behaviour_values', 'app': 'models', 'unique_together': (('tenant_id', 'code'),), 'pk_attr': 'id', 'table_description': 'One of the 7 BerAKHLAK core values, with its guide behaviours (panduan perilaku).'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Competency',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('code', fields.CharField(max_length=40)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(description='TECHNICAL: TECHNICAL\nMANAGERIAL: MANAGERIAL\nSOCIO_CULTURAL: SOCIO_CULTURAL', enum_type=CompetencyKind, max_length=16)),
                ('is_active', fields.BooleanField(default=True)),
            ],
            options={'table': 'competencies', 'app': 'models', 'unique_together': (('tenant_id', 'code'),), 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='ImportJob',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('created_by', fields.BigIntField(null=True)),
                ('filename', fields.CharField(max_length=255)),
                ('dry_run', fields.BooleanField(default=False)),
                ('deactivate_missing', fields.BooleanField(default=False)),
                ('status', fields.CharEnumField(default=ImportStatus.QUEUED, description='QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=ImportStatus, max_length=16)),
                ('phase', fields.CharField(default='queued', max_length=32)),
                ('total_rows', fields.IntField(default=0)),
                ('rows_done', fields.IntField(default=0)),
                ('error_count', fields.IntField(default=0)),
                ('summary', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'import_jobs', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "An upload of the region's roster; its rows wait in `import_rows` until the job runs."},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='ImportProblem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('job_id', fields.BigIntField()),
                ('line_no', fields.IntField()),
                ('field', fields.CharField(null=True, max_length=32)),
                ('code', fields.CharField(max_length=40)),
                ('message', fields.CharField(max_length=500)),
            ],
            options={'table': 'import_problems', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'job_id', 'line_no'])], 'pk_attr': 'id', 'table_description': 'One problem found in an import, with the CSV line it is on (0: the file itself).'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='ImportRow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('job_id', fields.BigIntField()),
                ('line_no', fields.IntField()),
                ('nip', fields.CharField(max_length=64)),
                ('nama', fields.CharField(max_length=300)),
                ('jabatan', fields.CharField(max_length=300)),
                ('jenis_jabatan', fields.CharField(max_length=64)),
                ('golongan', fields.CharField(max_length=16)),
                ('unit_path', fields.CharField(max_length=1000)),
                ('nip_atasan', fields.CharField(max_length=64)),
                ('email', fields.CharField(max_length=300)),
                ('telepon', fields.CharField(max_length=64)),
            ],
            options={'table': 'import_rows', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'job_id', 'line_no']), Index(fields=['tenant_id', 'job_id', 'nip'])], 'pk_attr': 'id', 'table_description': 'Staging: one CSV line as text, validated and merged set-based by the import job.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='SurveyElement',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('code', fields.CharField(max_length=8)),
                ('name', fields.CharField(max_length=100)),
                ('answer_labels', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('position', fields.SmallIntField()),
            ],
            options={'table': 'survey_elements', 'app': 'models', 'unique_together': (('tenant_id', 'code'),), 'pk_attr': 'id', 'table_description': "One of the 9 SKM elements (unsur), with the region's labels for answers 1–4."},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TrainingRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('trigger', fields.CharEnumField(description='PREDIKAT: PREDIKAT\nWEAK_BEHAVIOUR: WEAK_BEHAVIOUR\nWEAK_RESULT: WEAK_RESULT', enum_type=RuleTrigger, max_length=16)),
                ('trigger_value', fields.CharField(max_length=40)),
                ('competency_id', fields.BigIntField()),
                ('priority', fields.SmallIntField(default=100)),
                ('is_active', fields.BooleanField(default=True)),
            ],
            options={'table': 'training_rules', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'trigger', 'trigger_value'])], 'pk_attr': 'id', 'table_description': 'Which evaluation outcome calls for which competency, by priority (lower first).'},
            bases=['TenantModel'],
        ),
    ]
