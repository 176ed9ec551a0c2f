"""Outbox topics of the auth domain (payload types and what each means)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class ActivationRequested(TypedDict):
    user_ids: list[int]  # at most 1,000 per event (a roster import writes several)


ACTIVATION_REQUESTED = Topic(
    "auth.activation_requested",
    ActivationRequested,
    """New logins without a password (a new region's admin, a login made by hand or by a
    roster import, a re-issued activation): each gets its activation e-mail.""",
)


class RoleChanged(TypedDict):
    user_id: int
    role: str  # REGION_ADMIN or TRAINING_OFFICER
    granted: bool  # false: revoked
    perubahan: str  # the change in words, for the notification


ROLE_CHANGED = Topic(
    "auth.role_changed",
    RoleChanged,
    """A region admin granted or revoked a role of a login (grantRole, revokeRole): the
    person is told (ROLE_CHANGED).""",
)

TOPICS = (ACTIVATION_REQUESTED, ROLE_CHANGED)
