"""Public satisfaction surveys (SKM, PermenPANRB 14/2017): the 9 elements, the services a
unit offers, campaigns with a public code per covered service, the anonymous responses and
the aggregated results (IKM).

Same-tenant foreign keys, CHECKs, RLS and the cross-region code lookup are in migration 0016.
"""

from enum import StrEnum
from typing import Any

from tortoise import fields

from tenants.models import TenantModel, nullable_text


class SurveyElement(TenantModel):
    """One of the 9 SKM elements (unsur), with the region's labels for answers 1–4."""

    code = fields.CharField(max_length=8)
    name = fields.CharField(max_length=100)
    answer_labels = fields.JSONField[list[Any]](default=list)
    position = fields.SmallIntField()

    class Meta:
        table = "survey_elements"
        unique_together = (("tenant_id", "code"),)


class SurveyService(TenantModel):
    """A public service (layanan) of a unit, e.g. "Perekaman KTP-el" at Disdukcapil."""

    unit_id = fields.BigIntField()
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    # People served per year: the population of the Krejcie-Morgan sample target.
    population_per_year = fields.IntField(default=0)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_services"
        unique_together = (("tenant_id", "unit_id", "name"),)


class SurveyCampaign(TenantModel):
    """One survey round (e.g. "SKM Semester I 2026") over some services."""

    name = fields.CharField(max_length=200)
    period_label = fields.CharField(max_length=100)
    opens_on = fields.DateField()
    closes_on = fields.DateField()
    # [{"code": "Q1", "text": "…", "required": false}] — free-text answers.
    extra_questions = fields.JSONField[list[Any]](default=list)
    # The respondent profile fields the form asks for (subset of PROFILE_FIELDS).
    profile_fields = fields.JSONField[list[Any]](default=list)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_campaigns"
        indexes = (("tenant_id", "opens_on"),)


class SurveyCampaignService(TenantModel):
    """A service covered by a campaign, with the public code of its QR code. The code alone
    names region, campaign and service (resolved by the definer function `survey_code_lookup`)."""

    campaign_id = fields.BigIntField()
    service_id = fields.BigIntField()
    code = fields.CharField(max_length=64)

    class Meta:
        table = "survey_campaign_services"
        unique_together = (("tenant_id", "campaign_id", "service_id"),)


class SurveyResponse(TenantModel):
    """One anonymous response. Nothing about the respondent beyond the optional profile."""

    campaign_id = fields.BigIntField()
    service_id = fields.BigIntField()
    u1 = fields.SmallIntField()
    u2 = fields.SmallIntField()
    u3 = fields.SmallIntField()
    u4 = fields.SmallIntField()
    u5 = fields.SmallIntField()
    u6 = fields.SmallIntField()
    u7 = fields.SmallIntField()
    u8 = fields.SmallIntField()
    u9 = fields.SmallIntField()
    age_band = fields.CharField(max_length=16, null=True)
    gender = fields.CharField(max_length=16, null=True)
    education = fields.CharField(max_length=16, null=True)
    occupation = fields.CharField(max_length=16, null=True)
    suggestion = nullable_text()
    extra_answers = fields.JSONField[dict[str, Any]](default=dict)
    client_token = fields.CharField(max_length=64)
    submitted_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_responses"
        unique_together = (("tenant_id", "campaign_id", "client_token"),)
        indexes = (("tenant_id", "campaign_id", "service_id"),)


class ResultScope(StrEnum):
    SERVICE = "SERVICE"
    UNIT = "UNIT"
    REGION = "REGION"


class SurveyResult(TenantModel):
    """The aggregate of a campaign's responses for one scope (a service, a unit's services,
    the whole region) and one slice: dimension TOTAL (value '') or a profile field's value.
    Written only by the aggregation (kinerja_saas/surveys/aggregation.py), set-based."""

    campaign_id = fields.BigIntField()
    scope = fields.CharEnumField(ResultScope, max_length=8)
    scope_id = fields.BigIntField()  # service id, unit id, or 0 for the region
    dimension = fields.CharField(max_length=16)  # TOTAL, AGE_BAND, GENDER, EDUCATION, OCCUPATION
    value = fields.CharField(max_length=16)
    unit_id = fields.BigIntField(null=True)  # the service's unit (SERVICE scope)
    respondents = fields.IntField()
    element_sums = fields.JSONField[Any]()  # the 9 sums of answers; NRR = sum / respondents
    converted_ikm = fields.DecimalField(max_digits=5, decimal_places=2)
    band = fields.CharField(max_length=1)
    population = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "survey_results"
        unique_together = (("tenant_id", "campaign_id", "scope", "scope_id", "dimension", "value"),)
