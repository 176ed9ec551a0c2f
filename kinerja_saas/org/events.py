"""Outbox topics of the organisation domain (payload types and what each means)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class ImportRequested(TypedDict):
    job_id: int


class ImportFinished(TypedDict):
    job_id: int
    status: str  # ImportStatus: SUCCEEDED or FAILED
    created_by: int | None  # the admin who uploaded the roster
    problems: int  # rows refused


class ActingAppointed(TypedDict):
    appointment_id: int
    employee_id: int  # the acting head
    unit_id: int
    kind: str  # PLT or PLH
    jabatan: str  # "Plt. Kepala Bidang A", for the notification
    periode: str  # "1 Desember 2026 sampai 31 Desember 2026"


class ActingEndsChanged(TypedDict):
    appointment_id: int
    employee_id: int  # the acting head
    unit_id: int
    jabatan: str  # "Plt. Kepala Bidang A", for the notification
    periode: str  # the new range, "1 Desember 2026 sampai 15 Desember 2026"


IMPORT_REQUESTED = Topic(
    "org.import.requested",
    ImportRequested,
    """`importEmployees` queued a roster upload: the import runs as a job of its own.""",
)
IMPORT_FINISHED = Topic(
    "org.import.finished",
    ImportFinished,
    """A roster import ended (succeeded or failed): the admin who started it is told.""",
)

ACTING_APPOINTED = Topic(
    "org.acting_appointed",
    ActingAppointed,
    """A region admin appointed an acting head (Plt./Plh.) of a unit for a date range: the
    person is told (ACTING_APPOINTED).""",
)

ACTING_ENDS_CHANGED = Topic(
    "org.acting_ends_changed",
    ActingEndsChanged,
    """A region admin ended an acting appointment early or corrected its end date
    (endActingAppointment): the acting head is told the new range (ACTING_ENDS_CHANGED).""",
)

TOPICS = (IMPORT_REQUESTED, IMPORT_FINISHED, ACTING_APPOINTED, ACTING_ENDS_CHANGED)
