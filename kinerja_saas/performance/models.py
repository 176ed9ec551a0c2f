from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.contrib.postgres.fields import ArrayField

from tenants.models import TenantModel, nullable_text


class BehaviourValue(TenantModel):
    """One of the 7 BerAKHLAK core values, with its guide behaviours (panduan perilaku)."""

    code = fields.CharField(max_length=40)
    name = fields.CharField(max_length=100)
    guide_behaviours = fields.JSONField[list[Any]](default=list)
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
    # The deadline a "deadline near" event was emitted for: a moved deadline gets its own.
    deadline_notice_for = fields.DateField(null=True)

    class Meta:
        table = "checkpoints"
        unique_together = (("tenant_id", "period_id", "number"),)


class PlanStatus(StrEnum):
    DRAFT = "DRAFT"  # the employee writes it
    SUBMITTED = "SUBMITTED"  # waiting for the evaluator
    APPROVED = "APPROVED"  # agreed; changes only through a recorded revision
    RETURNED = "RETURNED"  # sent back with a reason; the employee edits and resubmits


class ResultKind(StrEnum):
    UTAMA = "UTAMA"  # main work result
    TAMBAHAN = "TAMBAHAN"  # additional work result


class Aspect(StrEnum):
    KUANTITAS = "KUANTITAS"
    KUALITAS = "KUALITAS"
    WAKTU = "WAKTU"
    BIAYA = "BIAYA"


class Plan(TenantModel):
    """An employee's SKP for a period. The evaluator (atasan langsung) and the evaluator's
    supervisor are fixed when the plan is written, so an organisation change later in the
    year does not move an evaluation to someone who never saw the plan."""

    period_id = fields.BigIntField()
    employee_id = fields.BigIntField()
    unit_id = fields.BigIntField()
    evaluator_id = fields.BigIntField(null=True)
    evaluator_supervisor_id = fields.BigIntField(null=True)
    status = fields.CharEnumField(PlanStatus, max_length=16, default=PlanStatus.DRAFT)
    return_reason = nullable_text()
    revision = fields.SmallIntField(default=0)
    submitted_at = fields.DatetimeField(null=True)
    approved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "plans"
        unique_together = (("tenant_id", "period_id", "employee_id"),)
        indexes = (("tenant_id", "evaluator_id"), ("tenant_id", "period_id", "unit_id"))


class PlanResult(TenantModel):
    """A work result (RHK), optionally supporting one of the evaluator's own RHK."""

    plan_id = fields.BigIntField()
    kind = fields.CharEnumField(ResultKind, max_length=16)
    text = fields.TextField()
    supports_result_id = fields.BigIntField(null=True)
    position = fields.SmallIntField()

    class Meta:
        table = "plan_results"
        indexes = (("tenant_id", "plan_id"), ("tenant_id", "supports_result_id"))


class IndicatorSource(StrEnum):
    """Where an indicator's realisations come from."""

    MANUAL = "MANUAL"  # the employee enters them
    SKM_IKM = "SKM_IKM"  # a unit's or service's converted IKM (kinerja_saas/surveys)


class Indicator(TenantModel):
    """An individual performance indicator (IKI) of a work result. A sourced indicator
    (SKM_IKM) names exactly one survey unit or service; its realisations are written by the
    survey aggregation, never by hand (CHECK and same-tenant keys in migration 0018)."""

    plan_id = fields.BigIntField()
    result_id = fields.BigIntField()
    text = fields.TextField()
    aspect = fields.CharEnumField(Aspect, max_length=16)
    target = fields.DecimalField(max_digits=16, decimal_places=4)
    unit_label = fields.CharField(max_length=50)
    direction = fields.CharField(max_length=20)  # rules.Direction
    weight = fields.DecimalField(max_digits=5, decimal_places=2)
    position = fields.SmallIntField()
    source = fields.CharEnumField(IndicatorSource, max_length=16, default=IndicatorSource.MANUAL)
    source_unit_id = fields.BigIntField(null=True)
    source_service_id = fields.BigIntField(null=True)
    # Periodic targets (migration 0030): rules.TargetKind and one target per checkpoint of the
    # period, in checkpoint order; both null: the annual target holds at every checkpoint.
    target_kind = fields.CharField(max_length=16, null=True)
    checkpoint_targets = ArrayField(element_type="numeric(16,4)", null=True)

    class Meta:
        table = "indicators"
        indexes = (("tenant_id", "plan_id"), ("tenant_id", "result_id"))


class PlanRevision(TenantModel):
    """The content of an approved plan as it was before a revision reopened it."""

    plan_id = fields.BigIntField()
    revision = fields.SmallIntField()
    reason = fields.TextField()
    content = fields.JSONField[Any]()
    created_by = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "plan_revisions"
        unique_together = (("tenant_id", "plan_id", "revision"),)


class RealisationStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


class Realisation(TenantModel):
    """What an indicator reached as of a checkpoint, with its evidence (bukti dukung)."""

    plan_id = fields.BigIntField()
    indicator_id = fields.BigIntField()
    checkpoint_id = fields.BigIntField()
    value = fields.DecimalField(max_digits=16, decimal_places=4)
    note = nullable_text()
    evidence = fields.JSONField[list[Any]](default=list)
    status = fields.CharEnumField(
        RealisationStatus, max_length=16, default=RealisationStatus.SUBMITTED
    )
    reject_reason = nullable_text()
    is_late = fields.BooleanField(default=False)
    entered_at = fields.DatetimeField()
    reviewed_by = fields.BigIntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    # MANUAL: entered by the employee; SKM_IKM: written by the survey aggregation (VERIFIED,
    # never late, nobody reviews it; `survey_campaign_id` names the campaign it came from).
    source = fields.CharEnumField(IndicatorSource, max_length=16, default=IndicatorSource.MANUAL)
    survey_campaign_id = fields.BigIntField(null=True)

    class Meta:
        table = "realisations"
        unique_together = (("tenant_id", "indicator_id", "checkpoint_id"),)
        indexes = (("tenant_id", "plan_id", "checkpoint_id"),)


class EvaluationStatus(StrEnum):
    DRAFT = "DRAFT"
    FINALISED = "FINALISED"  # immutable, unless an appeal reopens it
    APPEALED = "APPEALED"  # reopened for the evaluator's supervisor


class Evaluation(TenantModel):
    """The evaluation of a plan for one checkpoint, or for the year (checkpoint_id null)."""

    plan_id = fields.BigIntField()
    period_id = fields.BigIntField()
    employee_id = fields.BigIntField()
    checkpoint_id = fields.BigIntField(null=True)
    status = fields.CharEnumField(EvaluationStatus, max_length=16, default=EvaluationStatus.DRAFT)
    achievement = fields.DecimalField(max_digits=7, decimal_places=2, null=True)
    proposed_result_rating = fields.CharField(max_length=24, null=True)
    result_rating = fields.CharField(max_length=24, null=True)
    result_override_reason = nullable_text()
    behaviour_ratings = fields.JSONField[dict[str, Any]](
        default=dict
    )  # value code -> {rating, note}
    # The behaviour rating in force: the evaluator's choice, else the proposal from the values.
    behaviour_rating = fields.CharField(max_length=24, null=True)
    proposed_behaviour_rating = fields.CharField(max_length=24, null=True)
    chosen_behaviour_rating = fields.CharField(max_length=24, null=True)
    behaviour_override_reason = nullable_text()
    predikat = fields.CharField(max_length=24, null=True)
    feedback = nullable_text()
    self_assessment = nullable_text()
    self_result_rating = fields.CharField(max_length=24, null=True)
    self_behaviour_rating = fields.CharField(max_length=24, null=True)
    # Frozen at the first finalisation: indicator id -> {value, achievement, source}
    # (strings of decimals); the evaluation keeps being computed from it afterwards.
    evidence = fields.JSONField[dict[str, Any] | None](null=True)
    finalised_at = fields.DatetimeField(null=True)
    finalised_by = fields.BigIntField(null=True)
    appeal_deadline = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "evaluations"
        indexes = (("tenant_id", "employee_id"), ("tenant_id", "period_id", "predikat"))


class AppealStatus(StrEnum):
    OPEN = "OPEN"
    DECIDED = "DECIDED"


class Appeal(TenantModel):
    """A keberatan against a finalised evaluation; `original` keeps what was appealed."""

    evaluation_id = fields.BigIntField()
    reason = fields.TextField()
    status = fields.CharEnumField(AppealStatus, max_length=16, default=AppealStatus.OPEN)
    reviewer_id = fields.BigIntField(null=True)
    original = fields.JSONField[Any]()
    decision_note = nullable_text()
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appeals"
        unique_together = (("tenant_id", "evaluation_id"),)


class UnitRating(TenantModel):
    """The organisation's own rating (predikat kinerja organisasi) of a unit for a period,
    which sets the distribution pattern its employees' predikat must follow."""

    unit_id = fields.BigIntField()
    period_id = fields.BigIntField()
    rating = fields.CharField(max_length=24)
    set_by = fields.BigIntField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "unit_ratings"
        unique_together = (("tenant_id", "period_id", "unit_id"),)


class DialogNote(TenantModel):
    """Continuous feedback (dialog kinerja) on a plan or one of its indicators, threaded."""

    plan_id = fields.BigIntField()
    indicator_id = fields.BigIntField(null=True)
    reply_to_id = fields.BigIntField(null=True)
    author_employee_id = fields.BigIntField()
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "dialog_notes"
        indexes = (("tenant_id", "plan_id", "created_at"),)


class Consequence(StrEnum):
    REWARD = "REWARD"
    SANCTION = "SANCTION"


class RewardSanction(TenantModel):
    """A reward (e.g. a certificate or incentive for SANGAT_BAIK) or sanction (e.g. a
    six-month improvement plan after a low predikat), with who decided it."""

    employee_id = fields.BigIntField()
    evaluation_id = fields.BigIntField(null=True)
    consequence = fields.CharEnumField(Consequence, max_length=16)
    type = fields.CharField(max_length=40)
    reason = fields.TextField()
    decided_on = fields.DateField()
    decided_by = fields.BigIntField()
    # Whole rupiah of an INSENTIF_KINERJA / PENGURANGAN_TPP: enters that month's TPP.
    amount = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rewards_sanctions"
        indexes = (("tenant_id", "employee_id"),)
