"""Outbox topics of the TPP domain (payload types and what each means)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class ComputeRequested(TypedDict):
    month: str  # YYYY-MM-01
    requested_by: int | None


COMPUTE_REQUESTED = Topic(
    "tpp.compute.requested",
    ComputeRequested,
    """`computeTpp` asked for a month's TPP: one set-based computation of the region-month
    runs as a job of its own (a closed month gets correction rows).""",
)

TOPICS = (COMPUTE_REQUESTED,)
