"""Recovery of stranded work: what PostgreSQL says is pending but no job will run, because
Redis lost the job (a restart without persistence, a failover) or a worker died in the
middle of it. Every 10 minutes one sweep of each kind per active region looks for it in
one set-based statement and enqueues its job again under a deterministic id, so a job that
is merely queued is not doubled; the jobs themselves are idempotent.

| sweep | finds | module |
|---|---|---|
| `sweep_emails` | e-mails due or left SENDING (its own cron) | workers/notifications/email.py |
| `sweep_webhooks` | webhook attempts overdue or left SENDING | workers/notifications/webhooks.py |
| `sweep_outbox` | relayed events whose job Redis no longer knows | workers/outbox.py |
| `sweep_imports` | roster imports QUEUED or RUNNING far too long | workers/org.py |
| `sweep_survey_pending` | survey services pending past a run (their job lost) | workers/surveys.py |
"""

from __future__ import annotations

from datetime import UTC, datetime

from workers.tenant_job import enqueue_for_active_regions

SWEEP_EVERY_MINUTES = 10
RECOVERY_SWEEPS = ("sweep_webhooks", "sweep_outbox", "sweep_imports", "sweep_survey_pending")


def slot_of(now: datetime) -> str:
    """The 10-minute slot: two schedulers in the same slot enqueue each sweep once."""
    return now.strftime("%Y%m%d%H") + f"{now.minute - now.minute % SWEEP_EVERY_MINUTES:02d}"


async def schedule_recovery_sweeps(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, every 10 minutes: each recovery sweep once per active region."""
    slot = slot_of(now or datetime.now(UTC))
    enqueued = 0
    for function in RECOVERY_SWEEPS:
        enqueued += await enqueue_for_active_regions(ctx["redis"], function, run=slot)
    return enqueued
