from tortoise import fields

from tenants.models import TenantModel


class SurveyElement(TenantModel):
    """One of the 9 SKM elements (unsur), with the region's labels for answers 1–4."""

    code = fields.CharField(max_length=8)
    name = fields.CharField(max_length=100)
    answer_labels = fields.JSONField(default=list)
    position = fields.SmallIntField()

    class Meta:
        table = "survey_elements"
        unique_together = (("tenant_id", "code"),)
