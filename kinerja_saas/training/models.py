from enum import StrEnum

from tortoise import fields

from tenants.models import TenantModel


class CompetencyKind(StrEnum):
    TECHNICAL = "TECHNICAL"
    MANAGERIAL = "MANAGERIAL"
    SOCIO_CULTURAL = "SOCIO_CULTURAL"


class RuleTrigger(StrEnum):
    PREDIKAT = "PREDIKAT"
    WEAK_BEHAVIOUR = "WEAK_BEHAVIOUR"
    WEAK_RESULT = "WEAK_RESULT"


class Competency(TenantModel):
    code = fields.CharField(max_length=40)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(CompetencyKind, max_length=16)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "competencies"
        unique_together = (("tenant_id", "code"),)


class TrainingRule(TenantModel):
    """Which evaluation outcome calls for which competency, by priority (lower first)."""

    trigger = fields.CharEnumField(RuleTrigger, max_length=16)
    trigger_value = fields.CharField(max_length=40)
    competency_id = fields.BigIntField()
    priority = fields.SmallIntField(default=100)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "training_rules"
        indexes = (("tenant_id", "trigger", "trigger_value"),)
