from tortoise import migrations
from tortoise.migrations import operations as ops
from kinerja_saas.training.models import AssignmentReason, AssignmentStatus, TrainingMode
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0018_indicator_sources_constraints')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProgrammeCompetency',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('programme_id', fields.BigIntField()),
                ('competency_id', fields.BigIntField()),
            ],
            options={'table': 'training_programme_competencies', 'app': 'models', 'unique_together': (('tenant_id', 'programme_id', 'competency_id'),), 'indexes': [Index(fields=['tenant_id', 'competency_id'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TrainingAssignment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('employee_id', fields.BigIntField()),
                ('programme_id', fields.BigIntField()),
                ('period_id', fields.BigIntField()),
                ('batch_id', fields.BigIntField(null=True)),
                ('waiting_position', fields.IntField(null=True)),
                ('status', fields.CharEnumField(description='WAITING: WAITING\nASSIGNED: ASSIGNED\nCONFIRMED: CONFIRMED\nATTENDED: ATTENDED\nCOMPLETED: COMPLETED\nNO_SHOW: NO_SHOW\nCANCELLED: CANCELLED', enum_type=AssignmentStatus, max_length=16)),
                ('reason', fields.CharEnumField(description='PREDIKAT: PREDIKAT\nWEAK_RESULT: WEAK_RESULT\nWEAK_BEHAVIOUR: WEAK_BEHAVIOUR\nMANUAL: MANUAL\nSELF_ENROLMENT: SELF_ENROLMENT', enum_type=AssignmentReason, max_length=16)),
                ('reason_value', fields.CharField(null=True, max_length=40)),
                ('evaluation_id', fields.BigIntField(null=True)),
                ('predikat', fields.CharField(null=True, max_length=24)),
                ('competency_id', fields.BigIntField(null=True)),
                ('rule_id', fields.BigIntField(null=True)),
                ('assigned_by', fields.BigIntField(null=True)),
                ('score', fields.DecimalField(null=True, max_digits=5, decimal_places=2)),
                ('certificate_ref', fields.CharField(null=True, max_length=200)),
                ('note', fields.TextField(null=True, unique=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'training_assignments', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'batch_id', 'status']), Index(fields=['tenant_id', 'programme_id', 'status']), Index(fields=['tenant_id', 'employee_id', 'period_id'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TrainingBatch',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('programme_id', fields.BigIntField()),
                ('name', fields.CharField(max_length=100)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
                ('capacity', fields.IntField()),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('is_cancelled', fields.BooleanField(default=False)),
            ],
            options={'table': 'training_batches', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'programme_id', 'starts_on'])], 'pk_attr': 'id', 'table_description': 'An angkatan of a programme, with its dates and seats.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TrainingOfficer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('training_unit_id', fields.BigIntField()),
                ('user_id', fields.BigIntField()),
            ],
            options={'table': 'training_officers', 'app': 'models', 'unique_together': (('tenant_id', 'user_id'),), 'indexes': [Index(fields=['tenant_id', 'training_unit_id'])], 'pk_attr': 'id', 'table_description': "A TRAINING_OFFICER login's unit: one unit per login (unique user_id)."},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TrainingProgramme',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('training_unit_id', fields.BigIntField()),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('mode', fields.CharEnumField(description='KLASIKAL: KLASIKAL\nDARING: DARING\nBLENDED: BLENDED', enum_type=TrainingMode, max_length=16)),
                ('jp_hours', fields.SmallIntField()),
                ('capacity', fields.IntField()),
                ('is_open', fields.BooleanField(default=False)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'training_programmes', 'app': 'models', 'unique_together': (('tenant_id', 'title'),), 'indexes': [Index(fields=['tenant_id', 'training_unit_id'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TrainingUnit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant_id', fields.BigIntField()),
                ('name', fields.CharField(max_length=200)),
                ('email', fields.CharField(max_length=254)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'training_units', 'app': 'models', 'unique_together': (('tenant_id', 'name'),), 'pk_attr': 'id', 'table_description': 'A unit that runs training (BPSDM, the BKPSDM diklat division, an external provider).'},
            bases=['TenantModel'],
        ),
        ops.AddField(
            model_name='TrainingRule',
            name='programme_id',
            field=fields.BigIntField(null=True),
        ),
    ]
