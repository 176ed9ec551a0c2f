"""Outbox topics of competency development (payload types and what each means)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class AssignmentRequested(TypedDict):
    period_id: int
    unit_id: int | None  # a unit and its sub-units; None: the whole region
    requested_by: int | None


class Assigned(TypedDict):
    assignment_id: int
    employee_id: int
    programme_id: int
    training_unit_id: int
    batch_id: int | None  # None: on the waiting list
    period_id: int
    status: str
    waiting_position: int | None
    reason: str
    reason_value: str | None
    judul: str  # the programme's title
    jp: int  # its hours (jam pelajaran)
    jadwal: str  # the batch's dates or the waiting-list position, in Bahasa Indonesia


class TeamAssigned(TypedDict):
    supervisor_id: int
    jumlah: int
    assignment_ids: list[int]


class UnitParticipant(TypedDict):
    assignment_id: int
    employee_id: int
    nip: str
    name: str
    email: str | None
    unit_id: int
    programme_id: int
    batch_id: int | None
    status: str
    waiting_position: int | None


class UnitAssigned(TypedDict):
    training_unit_id: int
    jumlah: int
    assignments: list[UnitParticipant]  # at most UNIT_EVENT_CHUNK per event


ASSIGNMENT_REQUESTED = Topic(
    "training.assignment_requested",
    AssignmentRequested,
    """`assignTrainingForPeriod`: the set-based assignment runs for the period (or a unit).""",
)
ASSIGNED = Topic(
    "training.assigned",
    Assigned,
    """A training assignment (automatic, manual or self-enrolment, in a batch or on the
    waiting list): the employee is told.""",
)
TEAM_ASSIGNED = Topic(
    "training.team_assigned",
    TeamAssigned,
    """Members of a supervisor's team were assigned training (one event per supervisor and
    assignment run): the supervisor is told.""",
)
UNIT_ASSIGNED = Topic(
    "training.unit_assigned",
    UnitAssigned,
    """New participants for a training unit (in chunks): its training officers and the
    unit's webhook endpoints get the list.""",
)

TOPICS = (ASSIGNMENT_REQUESTED, ASSIGNED, TEAM_ASSIGNED, UNIT_ASSIGNED)
