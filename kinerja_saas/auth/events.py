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

TOPICS = (ACTIVATION_REQUESTED,)
