"""Outbox topics of the notifications domain (payload types and what each means). The
notification kinds that other domains' topics cause are in `kinds.py`; which topic causes
which kind is in the routing table (`workers.routing`)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class Announcement(TypedDict):
    judul: str  # the title, as the admin wrote it
    isi: str  # the body
    unit_id: int | None  # a unit and its sub-units; None: the whole region
    by: int | None  # the admin's user id


class ApprovalReminder(TypedDict):
    day: str  # the region's day (ISO date): one reminder a day
    days: int  # the region's approvalReminderDays
    before: str  # plans submitted before this moment are overdue (ISO timestamp)


class WebhookRedelivery(TypedDict):
    delivery_id: int
    attempt: int


ANNOUNCEMENT = Topic(
    "notifications.announcement",
    Announcement,
    """A region admin's announcement (`sendAnnouncement`): every login of a unit and its
    sub-units, or of the region, gets it.""",
)
APPROVAL_REMINDER = Topic(
    "notifications.approval_reminder",
    ApprovalReminder,
    """The daily cron found plans waiting for approval longer than the region's setting:
    their evaluators are reminded.""",
)
WEBHOOK_REDELIVERY = Topic(
    "notifications.webhook_redelivery",
    WebhookRedelivery,
    """`redeliverWebhook` committed: the delivery's new round of attempts starts.""",
)

TOPICS = (ANNOUNCEMENT, APPROVAL_REMINDER, WEBHOOK_REDELIVERY)
