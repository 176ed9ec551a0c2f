"""Outbox topics of the complaints domain (payload types and what each means)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class ComplaintOverdue(TypedDict):
    complaint_id: int
    service_id: int
    tracking_code: str  # shown grouped (ABCD-EFGH-JKLM); never the contact or the text
    due_on: str  # ISO date
    batas: str  # the due day in Indonesian, e.g. "7 Desember 2026"


OVERDUE = Topic(
    "complaints.overdue",
    ComplaintOverdue,
    """The daily run found a complaint still unanswered after its due day (the region's
    answerDueWorkingDays): the head of the service's unit is reminded, once.""",
)
ESCALATED = Topic(
    "complaints.escalated",
    ComplaintOverdue,
    """A complaint the unit head was reminded of is still unanswered after the region's
    escalateAfterWorkingDays more: the region admins are told, once.""",
)

TOPICS = (OVERDUE, ESCALATED)
