from enum import StrEnum

from tortoise import fields

from tenants.models import TenantModel, nullable_text


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
    # Optional: the programme to use; else the best active programme of the competency.
    programme_id = fields.BigIntField(null=True)
    priority = fields.SmallIntField(default=100)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "training_rules"
        indexes = (("tenant_id", "trigger", "trigger_value"),)


class TrainingMode(StrEnum):
    KLASIKAL = "KLASIKAL"  # classroom
    DARING = "DARING"  # online
    BLENDED = "BLENDED"


class AssignmentStatus(StrEnum):
    WAITING = "WAITING"  # on the programme's waiting list (no batch with room)
    ASSIGNED = "ASSIGNED"  # has a seat in a batch
    CONFIRMED = "CONFIRMED"  # the training unit confirmed the batch
    ATTENDED = "ATTENDED"
    COMPLETED = "COMPLETED"  # with score and certificate reference; its JP count
    NO_SHOW = "NO_SHOW"
    CANCELLED = "CANCELLED"


# Statuses that hold the (employee, programme, period) key: a no-show or a cancellation
# frees it, so the person can be assigned again.
LIVE_STATUSES = (
    AssignmentStatus.WAITING,
    AssignmentStatus.ASSIGNED,
    AssignmentStatus.CONFIRMED,
    AssignmentStatus.ATTENDED,
    AssignmentStatus.COMPLETED,
)
# Statuses that take a seat of their batch.
SEATED_STATUSES = (
    AssignmentStatus.ASSIGNED,
    AssignmentStatus.CONFIRMED,
    AssignmentStatus.ATTENDED,
    AssignmentStatus.COMPLETED,
)


class AssignmentReason(StrEnum):
    PREDIKAT = "PREDIKAT"  # the evaluation's predikat matched a rule
    WEAK_RESULT = "WEAK_RESULT"  # an indicator under the floor, by its aspect
    WEAK_BEHAVIOUR = "WEAK_BEHAVIOUR"  # a BerAKHLAK value rated DI_BAWAH_EKSPEKTASI
    MANUAL = "MANUAL"  # a supervisor or the region admin
    SELF_ENROLMENT = "SELF_ENROLMENT"


class TrainingUnit(TenantModel):
    """A unit that runs training (BPSDM, the BKPSDM diklat division, an external provider)."""

    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "training_units"
        unique_together = (("tenant_id", "name"),)


class TrainingOfficer(TenantModel):
    """A TRAINING_OFFICER login's unit: one unit per login (unique user_id)."""

    training_unit_id = fields.BigIntField()
    user_id = fields.BigIntField()

    class Meta:
        table = "training_officers"
        unique_together = (("tenant_id", "user_id"),)
        indexes = (("tenant_id", "training_unit_id"),)


class TrainingProgramme(TenantModel):
    training_unit_id = fields.BigIntField()
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    mode = fields.CharEnumField(TrainingMode, max_length=16)
    jp_hours = fields.SmallIntField()
    capacity = fields.IntField()  # seats per batch
    is_open = fields.BooleanField(default=False)  # employees may enrol themselves
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "training_programmes"
        unique_together = (("tenant_id", "title"),)
        indexes = (("tenant_id", "training_unit_id"),)


class ProgrammeCompetency(TenantModel):
    programme_id = fields.BigIntField()
    competency_id = fields.BigIntField()

    class Meta:
        table = "training_programme_competencies"
        unique_together = (("tenant_id", "programme_id", "competency_id"),)
        indexes = (("tenant_id", "competency_id"),)


class TrainingBatch(TenantModel):
    """An angkatan of a programme, with its dates and seats."""

    programme_id = fields.BigIntField()
    name = fields.CharField(max_length=100)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    capacity = fields.IntField()
    confirmed_at = fields.DatetimeField(null=True)
    is_cancelled = fields.BooleanField(default=False)

    class Meta:
        table = "training_batches"
        indexes = (("tenant_id", "programme_id", "starts_on"),)


class TrainingAssignment(TenantModel):
    employee_id = fields.BigIntField()
    programme_id = fields.BigIntField()
    period_id = fields.BigIntField()
    batch_id = fields.BigIntField(null=True)
    waiting_position = fields.IntField(null=True)
    status = fields.CharEnumField(AssignmentStatus, max_length=16)
    reason = fields.CharEnumField(AssignmentReason, max_length=16)
    reason_value = fields.CharField(max_length=40, null=True)  # predikat, aspect or value code
    evaluation_id = fields.BigIntField(null=True)
    predikat = fields.CharField(max_length=24, null=True)
    competency_id = fields.BigIntField(null=True)
    rule_id = fields.BigIntField(null=True)
    assigned_by = fields.BigIntField(null=True)  # user; null for the worker
    score = fields.DecimalField(max_digits=5, decimal_places=2, null=True)
    certificate_ref = fields.CharField(max_length=200, null=True)
    note = nullable_text()
    completed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "training_assignments"
        indexes = (
            ("tenant_id", "batch_id", "status"),
            ("tenant_id", "programme_id", "status"),
            ("tenant_id", "employee_id", "period_id"),
        )
