from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_login_sessions_isolation')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ImportJob',
            name='columns',
            field=fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='ImportJob',
            name='run_id',
            field=fields.CharField(null=True, max_length=36),
        ),
        ops.AlterField(
            model_name='ImportRow',
            name='email',
            field=fields.TextField(unique=False),
        ),
        ops.AlterField(
            model_name='ImportRow',
            name='golongan',
            field=fields.TextField(unique=False),
        ),
        ops.AlterField(
            model_name='ImportRow',
            name='jabatan',
            field=fields.TextField(unique=False),
        ),
        ops.AlterField(
            model_name='ImportRow',
            name='jenis_jabatan',
            field=fields.TextField(unique=False),
        ),
        ops.AlterField(
            model_name='ImportRow',
            name='nama',
            field=fields.TextField(unique=False),
        ),
        ops.AlterField(
            model_name='ImportRow',
            name='nip',
            field=fields.TextField(unique=False),
        ),
        ops.AlterField(
            model_name='ImportRow',
            name='nip_atasan',
            field=fields.TextField(unique=False),
        ),
        ops.AlterField(
            model_name='ImportRow',
            name='telepon',
            field=fields.TextField(unique=False),
        ),
        ops.AlterField(
            model_name='ImportRow',
            name='unit_path',
            field=fields.TextField(unique=False),
        ),
    ]
