from tortoise import migrations
from tortoise.migrations import operations as ops
from kinerja_saas.surveys.models import ResultScope
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0014_outbox_notify")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SurveyCampaign",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("tenant_id", fields.BigIntField()),
                ("name", fields.CharField(max_length=200)),
                ("period_label", fields.CharField(max_length=100)),
                ("opens_on", fields.DateField()),
                ("closes_on", fields.DateField()),
                (
                    "extra_questions",
                    fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
                ),
                (
                    "profile_fields",
                    fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
                ),
                (
                    "published_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "survey_campaigns",
                "app": "models",
                "indexes": [Index(fields=["tenant_id", "opens_on"])],
                "pk_attr": "id",
                "table_description": 'One survey round (e.g. "SKM Semester I 2026") over some services.',
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="SurveyCampaignService",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("tenant_id", fields.BigIntField()),
                ("campaign_id", fields.BigIntField()),
                ("service_id", fields.BigIntField()),
                ("code", fields.CharField(max_length=64)),
            ],
            options={
                "table": "survey_campaign_services",
                "app": "models",
                "unique_together": (("tenant_id", "campaign_id", "service_id"),),
                "pk_attr": "id",
                "table_description": "A service covered by a campaign, with the public code of its QR code. The code alone",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="SurveyResponse",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("tenant_id", fields.BigIntField()),
                ("campaign_id", fields.BigIntField()),
                ("service_id", fields.BigIntField()),
                ("u1", fields.SmallIntField()),
                ("u2", fields.SmallIntField()),
                ("u3", fields.SmallIntField()),
                ("u4", fields.SmallIntField()),
                ("u5", fields.SmallIntField()),
                ("u6", fields.SmallIntField()),
                ("u7", fields.SmallIntField()),
                ("u8", fields.SmallIntField()),
                ("u9", fields.SmallIntField()),
                ("age_band", fields.CharField(null=True, max_length=16)),
                ("gender", fields.CharField(null=True, max_length=16)),
                ("education", fields.CharField(null=True, max_length=16)),
                ("occupation", fields.CharField(null=True, max_length=16)),
                ("suggestion", fields.TextField(null=True, unique=False)),
                (
                    "extra_answers",
                    fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads),
                ),
                ("client_token", fields.CharField(max_length=64)),
                ("submitted_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "survey_responses",
                "app": "models",
                "unique_together": (("tenant_id", "campaign_id", "client_token"),),
                "indexes": [Index(fields=["tenant_id", "campaign_id", "service_id"])],
                "pk_attr": "id",
                "table_description": "One anonymous response. Nothing about the respondent beyond the optional profile.",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="SurveyResult",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("tenant_id", fields.BigIntField()),
                ("campaign_id", fields.BigIntField()),
                (
                    "scope",
                    fields.CharEnumField(
                        description="SERVICE: SERVICE\nUNIT: UNIT\nREGION: REGION",
                        enum_type=ResultScope,
                        max_length=8,
                    ),
                ),
                ("scope_id", fields.BigIntField()),
                ("dimension", fields.CharField(max_length=16)),
                ("value", fields.CharField(max_length=16)),
                ("unit_id", fields.BigIntField(null=True)),
                ("respondents", fields.IntField()),
                ("element_sums", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ("converted_ikm", fields.DecimalField(max_digits=5, decimal_places=2)),
                ("band", fields.CharField(max_length=1)),
                ("population", fields.IntField(default=0)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "survey_results",
                "app": "models",
                "unique_together": (
                    ("tenant_id", "campaign_id", "scope", "scope_id", "dimension", "value"),
                ),
                "pk_attr": "id",
                "table_description": "The aggregate of a campaign's responses for one scope (a service, a unit's services,",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="SurveyService",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("tenant_id", fields.BigIntField()),
                ("unit_id", fields.BigIntField()),
                ("name", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="", unique=False)),
                ("population_per_year", fields.IntField(default=0)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "survey_services",
                "app": "models",
                "unique_together": (("tenant_id", "unit_id", "name"),),
                "pk_attr": "id",
                "table_description": 'A public service (layanan) of a unit, e.g. "Perekaman KTP-el" at Disdukcapil.',
            },
            bases=["TenantModel"],
        ),
    ]
