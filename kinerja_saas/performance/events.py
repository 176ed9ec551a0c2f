"""Outbox topics of the performance cycle (payload types and what each means)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class PeriodOpened(TypedDict):
    period_id: int
    year: int


class PlanEvent(TypedDict):
    plan_id: int
    period_id: int
    employee_id: int
    evaluator_id: int | None  # None for the head of the tree: the region admins act
    status: str  # PlanStatus after the transition


class PlanReturned(PlanEvent):
    reason: str


class RealisationRejected(TypedDict):
    realisation_id: int
    plan_id: int
    employee_id: int
    indicator_id: int
    checkpoint_id: int
    reason: str | None


class EvaluationFinalised(TypedDict):
    evaluation_id: int
    plan_id: int
    period_id: int
    checkpoint_id: int | None  # None: the annual evaluation
    employee_id: int
    evaluator_id: int | None
    predikat: str | None
    result_rating: str | None
    behaviour_rating: str | None
    achievement: str | None  # a decimal, as text
    low_performer: bool
    after_appeal: bool


class EvaluationAppealed(TypedDict):
    evaluation_id: int
    appeal_id: int
    employee_id: int
    evaluator_id: int | None
    reviewer_id: int | None  # the evaluator's supervisor, when they decide
    decider: str  # AppealDecider: SUPERVISOR, TIM_PENILAI or REGION_ADMIN


class DialogNoteAdded(TypedDict):
    note_id: int
    plan_id: int
    author_employee_id: int | None
    recipient_employee_id: int | None


class ConsequenceRecorded(TypedDict):
    id: int
    employee_id: int
    consequence: str  # REWARD or SANCTION
    type: str


class CheckpointDeadlineNear(TypedDict):
    period_id: int
    year: int
    checkpoint_id: int
    number: int
    label: str
    ends_on: str  # ISO dates
    deadline: str
    days_left: int


PERIOD_OPENED = Topic(
    "performance.period_opened",
    PeriodOpened,
    """A region admin opened a performance period: every login of the region is told.""",
)
PLAN_SUBMITTED = Topic(
    "performance.plan_submitted",
    PlanEvent,
    """An employee submitted their SKP plan: their evaluator is asked to approve it.""",
)
PLAN_APPROVED = Topic(
    "performance.plan_approved",
    PlanEvent,
    """The evaluator approved a plan: the employee is told.""",
)
PLAN_RETURNED = Topic(
    "performance.plan_returned",
    PlanReturned,
    """The evaluator returned a plan with a reason: the employee is told.""",
)
REALISATION_REJECTED = Topic(
    "performance.realisation_rejected",
    RealisationRejected,
    """The evaluator rejected a realisation: the employee is told why.""",
)
EVALUATION_FINALISED = Topic(
    "performance.evaluation_finalised",
    EvaluationFinalised,
    """An evaluation was finalised (or decided after an appeal): the employee is told, and
    training is assigned when it calls for some (`low_performer`).""",
)
EVALUATION_APPEALED = Topic(
    "performance.evaluation_appealed",
    EvaluationAppealed,
    """An employee appealed their evaluation (keberatan): the reviewer is asked to decide.""",
)
DIALOG_NOTE_ADDED = Topic(
    "performance.dialog_note_added",
    DialogNoteAdded,
    """A note in the dialog kinerja of a plan: the other side is told.""",
)
CONSEQUENCE_RECORDED = Topic(
    "performance.consequence_recorded",
    ConsequenceRecorded,
    """A reward or sanction was recorded: the employee is told.""",
)
CHECKPOINT_DEADLINE_NEAR = Topic(
    "performance.checkpoint_deadline_near",
    CheckpointDeadlineNear,
    """The hourly cron found a checkpoint's realisation deadline within the region's notice
    days (once per checkpoint and deadline): employees with realisations missing are
    reminded.""",
)

TOPICS = (
    PERIOD_OPENED,
    PLAN_SUBMITTED,
    PLAN_APPROVED,
    PLAN_RETURNED,
    REALISATION_REJECTED,
    EVALUATION_FINALISED,
    EVALUATION_APPEALED,
    DIALOG_NOTE_ADDED,
    CONSEQUENCE_RECORDED,
    CHECKPOINT_DEADLINE_NEAR,
)
