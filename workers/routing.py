"""The routing table: what consumes each outbox topic. One row per declared topic
(`kinerja_saas.outbox.catalogue`), each with at least one consumer:

- `handlers`: functions `dispatch_event` runs for the event, each at most once per event
  (`processed_events`, keyed by the handler's name: keep names stable);
- `job`: a job of its own instead of `dispatch_event` (long or stepwise work);
- `debounce`: the event only schedules a debounced job for its scope (payload keys):
  events of one scope within one window share one run;
- `notify`: the notification kind the event causes (in-app, e-mail and the webhooks of
  the endpoints that take the kind), run by `fan_out_notifications`.

The relay (`workers/outbox.py`) starts an event's jobs from here, and a job's end is
checked against the same list (`jobs_for`), so an event is done when all have succeeded.
`kinerja events` prints this table with the catalogue (docs/events.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kinerja_saas.auth import events as auth
from kinerja_saas.auth.actor import Actor
from kinerja_saas.complaints import events as complaints
from kinerja_saas.documents import events as documents
from kinerja_saas.exports import events as exports
from kinerja_saas.notifications import events as notifications
from kinerja_saas.notifications.kinds import BY_NAME, Kind
from kinerja_saas.org import events as org
from kinerja_saas.outbox.topics import Topic
from kinerja_saas.performance import events as performance
from kinerja_saas.surveys import events as surveys
from kinerja_saas.tpp import events as tpp
from kinerja_saas.training import events as training
from workers import jobs
from workers.tenant_job import use_routing
from workers.training import on_assignment_requested, on_evaluation_finalised

Handler = Callable[[Actor, int, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Debounce:
    job: str
    scope: tuple[str, ...]  # payload keys: one run per scope and window


@dataclass(frozen=True)
class Route:
    topic: Topic[Any]
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    job: str | None = None
    debounce: Debounce | None = None
    notify: Kind | None = None

    def __post_init__(self) -> None:
        if not (self.handlers or self.job or self.debounce or self.notify):
            raise ValueError(f"{self.topic}: a route needs a consumer")
        if self.job and self.handlers:
            raise ValueError(f"{self.topic}: an own job or handlers, not both")
        if self.debounce and (self.handlers or self.job or self.notify):
            raise ValueError(f"{self.topic}: a debounced topic has no other consumer")


def _kind(name: str) -> Kind:
    return BY_NAME[name]


_TABLE = (
    # auth
    Route(auth.ACTIVATION_REQUESTED, notify=_kind("ACCOUNT_ACTIVATION")),
    Route(auth.ROLE_CHANGED, notify=_kind("ROLE_CHANGED")),
    # org
    Route(org.IMPORT_REQUESTED, job=jobs.IMPORT_EMPLOYEES),
    Route(org.IMPORT_FINISHED, notify=_kind("IMPORT_FINISHED")),
    Route(org.ACTING_APPOINTED, notify=_kind("ACTING_APPOINTED")),
    Route(org.ACTING_ENDS_CHANGED, notify=_kind("ACTING_ENDS_CHANGED")),
    # performance
    Route(performance.PERIOD_OPENED, notify=_kind("PERIOD_OPENED")),
    Route(performance.PLAN_SUBMITTED, notify=_kind("PLAN_SUBMITTED")),
    Route(performance.PLAN_APPROVED, notify=_kind("PLAN_APPROVED")),
    Route(performance.PLAN_RETURNED, notify=_kind("PLAN_RETURNED")),
    Route(performance.REALISATION_REJECTED, notify=_kind("REALISATION_REJECTED")),
    Route(
        performance.EVALUATION_FINALISED,
        handlers={"training.assign_for_evaluation": on_evaluation_finalised},
        notify=_kind("EVALUATION_FINALISED"),
    ),
    Route(performance.EVALUATION_APPEALED, notify=_kind("EVALUATION_APPEALED")),
    Route(performance.DIALOG_NOTE_ADDED, notify=_kind("DIALOG_NOTE")),
    Route(performance.CONSEQUENCE_RECORDED, notify=_kind("CONSEQUENCE_RECORDED")),
    Route(performance.CHECKPOINT_DEADLINE_NEAR, notify=_kind("DEADLINE_NEAR")),
    # surveys
    Route(
        surveys.RESPONSE_SUBMITTED,
        debounce=Debounce(jobs.AGGREGATE_SURVEY_CAMPAIGN, ("campaign_id",)),
    ),
    Route(surveys.BAND_DROPPED, notify=_kind("SURVEY_BAND_DROPPED")),
    # training
    Route(
        training.ASSIGNMENT_REQUESTED,
        handlers={"training.assign_for_period": on_assignment_requested},
    ),
    Route(training.ASSIGNED, notify=_kind("TRAINING_ASSIGNED")),
    Route(training.TEAM_ASSIGNED, notify=_kind("TRAINING_TEAM_ASSIGNED")),
    Route(training.UNIT_ASSIGNED, notify=_kind("TRAINING_UNIT_ASSIGNED")),
    # tpp
    Route(tpp.COMPUTE_REQUESTED, job=jobs.COMPUTE_TPP),
    # complaints
    Route(complaints.OVERDUE, notify=_kind("COMPLAINT_OVERDUE")),
    Route(complaints.ESCALATED, notify=_kind("COMPLAINT_ESCALATED")),
    # exports
    Route(exports.EXPORT_REQUESTED, job=jobs.BUILD_NATIONAL_EXPORT),
    # documents
    Route(documents.DOCUMENTS_REQUESTED, job=jobs.RENDER_DOCUMENTS),
    # notifications
    Route(notifications.ANNOUNCEMENT, notify=_kind("ANNOUNCEMENT")),
    Route(notifications.APPROVAL_REMINDER, notify=_kind("APPROVAL_OVERDUE")),
    # after the redeliverWebhook mutation committed
    Route(notifications.WEBHOOK_REDELIVERY, job=jobs.REDELIVER_WEBHOOK),
)

ROUTES: dict[str, Route] = {route.topic.name: route for route in _TABLE}


def route_of(topic: str) -> Route | None:
    return ROUTES.get(topic)


def kind_of(topic: str) -> Kind | None:
    route = ROUTES.get(topic)
    return route.notify if route else None


def handlers_of(topic: str) -> Mapping[str, Handler]:
    route = ROUTES.get(topic)
    return route.handlers if route else {}


def debounce_of(topic: str) -> Debounce | None:
    route = ROUTES.get(topic)
    return route.debounce if route else None


def jobs_for(event_id: int, topic: str) -> list[tuple[str, str]]:
    """(job name, job id) of each job a (non-debounced) event starts: its own job or
    `dispatch_event` (which runs its handlers), and the notification fan-out when it
    notifies someone. A topic with no route (an event written before its topic was
    retired) gets `dispatch_event`, which finds no handler and marks it done."""
    route = ROUTES.get(topic)
    found = [((route.job if route else None) or jobs.DISPATCH_EVENT, f"outbox:{event_id}")]
    if route is not None and route.notify is not None:
        found.append((jobs.FAN_OUT_NOTIFICATIONS, f"notify:{event_id}"))
    return found


# A job's end is checked against this table (workers/tenant_job.py cannot import it).
use_routing(jobs_for)

__all__ = [
    "ROUTES",
    "Debounce",
    "Handler",
    "Route",
    "debounce_of",
    "handlers_of",
    "jobs_for",
    "kind_of",
    "route_of",
]
