"""The names of the queue's jobs: the worker registers each function under its name here
(`workers/settings.py`), and every enqueue (the relay, the crons, jobs that start jobs)
names the job with the same constant. A job queued in Redis carries its name, so a name
outlives a release: rename one only with an alias in the worker settings (see
`LEGACY_AGGREGATE_SURVEY_SERVICE`)."""

from __future__ import annotations

from typing import Final

# Started by outbox events (the routing table: workers/routing.py).
DISPATCH_EVENT: Final = "dispatch_event"  # the handlers of an event's topic
FAN_OUT_NOTIFICATIONS: Final = "fan_out_notifications"  # a topic's notification kind
IMPORT_EMPLOYEES: Final = "import_employees"
COMPUTE_TPP: Final = "compute_tpp"  # one region-month
BUILD_NATIONAL_EXPORT: Final = "build_national_export"  # one export's file
RENDER_DOCUMENTS: Final = "render_documents"  # one document job (a PDF or a unit's ZIP)
REDELIVER_WEBHOOK: Final = "redeliver_webhook"
AGGREGATE_SURVEY_CAMPAIGN: Final = "aggregate_survey_campaign"  # debounced per campaign

# Started by other jobs.
SEND_EMAILS: Final = "send_emails"
SEND_EMAIL_DIGEST: Final = "send_email_digest"
DELIVER_WEBHOOK: Final = "deliver_webhook"

# Started by crons, once per active region.
ANNOUNCE_DEADLINES: Final = "announce_deadlines"
REMIND_APPROVALS: Final = "remind_approvals"
RECOMPUTE_SURVEY_RESULTS: Final = "recompute_survey_results"
ASSIGN_TRAINING: Final = "assign_training"
REMIND_COMPLAINTS: Final = "remind_complaints"

# Recovery sweeps (workers/recovery.py), once per active region.
SWEEP_EMAILS: Final = "sweep_emails"
SWEEP_WEBHOOKS: Final = "sweep_webhooks"
SWEEP_IMPORTS: Final = "sweep_imports"
SWEEP_OUTBOX: Final = "sweep_outbox"
SWEEP_SURVEY_PENDING: Final = "sweep_survey_pending"

# The name of AGGREGATE_SURVEY_CAMPAIGN before migration 0022 (one run per service): jobs
# queued across an upgrade still run. Nothing enqueues it any more.
LEGACY_AGGREGATE_SURVEY_SERVICE: Final = "aggregate_survey_service"

ALL: Final = (
    DISPATCH_EVENT,
    FAN_OUT_NOTIFICATIONS,
    IMPORT_EMPLOYEES,
    COMPUTE_TPP,
    BUILD_NATIONAL_EXPORT,
    RENDER_DOCUMENTS,
    REDELIVER_WEBHOOK,
    AGGREGATE_SURVEY_CAMPAIGN,
    SEND_EMAILS,
    SEND_EMAIL_DIGEST,
    DELIVER_WEBHOOK,
    ANNOUNCE_DEADLINES,
    REMIND_APPROVALS,
    RECOMPUTE_SURVEY_RESULTS,
    ASSIGN_TRAINING,
    REMIND_COMPLAINTS,
    SWEEP_EMAILS,
    SWEEP_WEBHOOKS,
    SWEEP_IMPORTS,
    SWEEP_OUTBOX,
    SWEEP_SURVEY_PENDING,
    LEGACY_AGGREGATE_SURVEY_SERVICE,
)
