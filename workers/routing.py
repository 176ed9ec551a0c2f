"""Which jobs an outbox event starts: read by the relay (workers/outbox.py) when it enqueues
them, and by every job of an event when it ends (workers/tenant_job.py), to know whether it
was the event's last."""

from __future__ import annotations

from kinerja_saas.notifications.kinds import BY_TOPIC
from kinerja_saas.notifications.webhooks import REDELIVERY_TOPIC

# Topics whose event is a job of its own (long or stepwise work), not `dispatch_event`.
ROUTES: dict[str, str] = {
    "org.import.requested": "import_employees",
    REDELIVERY_TOPIC: "redeliver_webhook",  # after the redeliverWebhook mutation committed
}


def jobs_for(event_id: int, topic: str) -> list[tuple[str, str]]:
    """(function, job id) of each job an event starts: its handlers, and the notification
    fan-out when a notification kind comes from the topic."""
    jobs = [(ROUTES.get(topic, "dispatch_event"), f"outbox:{event_id}")]
    if topic in BY_TOPIC:
        jobs.append(("fan_out_notifications", f"notify:{event_id}"))
    return jobs
