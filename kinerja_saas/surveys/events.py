"""Outbox topics of the survey domain (payload types and what each means)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class ResponseSubmitted(TypedDict):
    campaign_id: int
    service_id: int


class BandDropped(TypedDict):
    campaign_id: int
    service_id: int
    unit_id: int
    old_band: str  # quality band before the aggregation (A, B, C, D)
    new_band: str
    converted_ikm: str  # a decimal, as text


RESPONSE_SUBMITTED = Topic(
    "surveys.response_submitted",
    ResponseSubmitted,
    """A public response made a campaign's service pending (written only when it was not
    pending yet): schedules the campaign's debounced aggregation.""",
)
BAND_DROPPED = Topic(
    "surveys.band_dropped",
    BandDropped,
    """An aggregation lowered a service's IKM quality band (e.g. B to C): the region admins
    are told.""",
)

TOPICS = (RESPONSE_SUBMITTED, BAND_DROPPED)
