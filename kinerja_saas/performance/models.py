from enum import StrEnum

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


class PeriodStatus(StrEnum):
    PLANNING = "PLANNING"  # plans (SKP) are drafted and approved
    ACTIVE = "ACTIVE"  # realisations are entered per checkpoint
    EVALUATING = "EVALUATING"  # supervisors evaluate the year
    CLOSED = "CLOSED"  # final: nothing changes any more


class CheckpointKind(StrEnum):
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    SEMESTER = "SEMESTER"


class Period(TenantModel):
    """A region's annual performance period."""

    year = fields.SmallIntField()
    name = fields.CharField(max_length=100)
    status = fields.CharEnumField(PeriodStatus, max_length=16, default=PeriodStatus.PLANNING)
    checkpoint_kind = fields.CharEnumField(CheckpointKind, max_length=16)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "periods"
        unique_together = (("tenant_id", "year"),)


class Checkpoint(TenantModel):
    """A monthly, quarterly or semester checkpoint, with its deadline for realisations."""

    period_id = fields.BigIntField()
    number = fields.SmallIntField()
    label = fields.CharField(max_length=50)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    deadline = fields.DateField()

    class Meta:
        table = "checkpoints"
        unique_together = (("tenant_id", "period_id", "number"),)
