from tortoise import fields

from tenants.models import TenantModel


class BehaviourValue(TenantModel):
    """One of the 7 BerAKHLAK core values, with its guide behaviours (panduan perilaku)."""

    code = fields.CharField(max_length=40)
    name = fields.CharField(max_length=100)
    guide_behaviours = fields.JSONField(default=list)
    position = fields.SmallIntField()

    class Meta:
        table = "behaviour_values"
        unique_together = (("tenant_id", "code"),)
