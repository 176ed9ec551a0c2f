"""arq worker configuration: `kinerja worker` (or `arq workers.settings.WorkerSettings`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from arq import cron, func

from kinerja_saas.database import close_db, init_app_db
from kinerja_saas.settings import ConfigurationError, Settings, get_settings
from workers import jobs
from workers.complaints import remind_complaints, schedule_complaint_reminders
from workers.documents import RENDER_TIMEOUT_SECONDS, render_documents
from workers.exports import build_national_export
from workers.metrics import instrument, on_job_start
from workers.notifications.email import (
    SWEEP_EVERY_MINUTES,
    schedule_email_digests,
    schedule_email_sweeps,
    send_email_digest,
    send_emails,
    sweep_emails,
)
from workers.notifications.fanout import fan_out_notifications
from workers.notifications.reminders import remind_approvals, schedule_reminders
from workers.notifications.webhooks import deliver_webhook, redeliver_webhook, sweep_webhooks
from workers.org import IMPORT_TIMEOUT_SECONDS, import_employees, sweep_imports
from workers.outbox import dispatch_event, run_relay, sweep_outbox
from workers.performance import announce_deadlines, schedule_deadline_notices
from workers.queue import FOREVER_TRIES, redis_settings
from workers.recovery import schedule_recovery_sweeps, watch_redis_reset
from workers.surveys import (
    aggregate_survey_campaign,
    recompute_survey_results,
    schedule_survey_recompute,
    sweep_survey_pending,
)
from workers.tpp import compute_tpp
from workers.training import assign_training, schedule_training_assignment

# arq's try limit is out of the way (FOREVER_TRIES): workers/tenant_job.py decides when a
# job gives up, and an outage never makes it.
FUNCTIONS = [
    func(dispatch_event, name=jobs.DISPATCH_EVENT, max_tries=FOREVER_TRIES),
    func(
        import_employees,
        name=jobs.IMPORT_EMPLOYEES,
        max_tries=FOREVER_TRIES,
        timeout=IMPORT_TIMEOUT_SECONDS,
    ),
    func(compute_tpp, name=jobs.COMPUTE_TPP, max_tries=FOREVER_TRIES, timeout=3600),
    func(
        build_national_export,
        name=jobs.BUILD_NATIONAL_EXPORT,
        max_tries=FOREVER_TRIES,
        timeout=3600,
    ),
    func(remind_complaints, name=jobs.REMIND_COMPLAINTS, max_tries=FOREVER_TRIES),
    func(
        render_documents,
        name=jobs.RENDER_DOCUMENTS,
        max_tries=FOREVER_TRIES,
        timeout=RENDER_TIMEOUT_SECONDS,
    ),
    func(announce_deadlines, name=jobs.ANNOUNCE_DEADLINES, max_tries=FOREVER_TRIES),
    func(
        fan_out_notifications,
        name=jobs.FAN_OUT_NOTIFICATIONS,
        max_tries=FOREVER_TRIES,
        timeout=3600,
    ),
    func(remind_approvals, name=jobs.REMIND_APPROVALS, max_tries=FOREVER_TRIES),
    func(send_emails, name=jobs.SEND_EMAILS, max_tries=FOREVER_TRIES, timeout=3600),
    func(sweep_emails, name=jobs.SWEEP_EMAILS, max_tries=FOREVER_TRIES, timeout=3600),
    func(send_email_digest, name=jobs.SEND_EMAIL_DIGEST, max_tries=FOREVER_TRIES, timeout=3600),
    # Two short transactions and one POST bounded by KINERJA_WEBHOOK_TIMEOUT_SECONDS (keep it
    # well under this timeout).
    func(deliver_webhook, name=jobs.DELIVER_WEBHOOK, max_tries=FOREVER_TRIES, timeout=120),
    func(redeliver_webhook, name=jobs.REDELIVER_WEBHOOK, max_tries=FOREVER_TRIES),
    # Recovery of stranded work (workers/recovery.py).
    func(sweep_webhooks, name=jobs.SWEEP_WEBHOOKS, max_tries=FOREVER_TRIES),
    func(sweep_imports, name=jobs.SWEEP_IMPORTS, max_tries=FOREVER_TRIES),
    func(sweep_outbox, name=jobs.SWEEP_OUTBOX, max_tries=FOREVER_TRIES),
    func(aggregate_survey_campaign, name=jobs.AGGREGATE_SURVEY_CAMPAIGN, max_tries=FOREVER_TRIES),
    # Its name before 0022 (one run per service): jobs queued across an upgrade still run.
    func(
        aggregate_survey_campaign,
        name=jobs.LEGACY_AGGREGATE_SURVEY_SERVICE,
        max_tries=FOREVER_TRIES,
    ),
    func(sweep_survey_pending, name=jobs.SWEEP_SURVEY_PENDING, max_tries=FOREVER_TRIES),
    func(recompute_survey_results, name=jobs.RECOMPUTE_SURVEY_RESULTS, max_tries=FOREVER_TRIES),
    func(assign_training, name=jobs.ASSIGN_TRAINING, max_tries=FOREVER_TRIES, timeout=3600),
]

CRON_JOBS = [
    cron(
        schedule_deadline_notices, name="schedule_deadline_notices", minute=7, run_at_startup=True
    ),
    # 00:30 UTC: 07:30 WIB, 08:30 WITA, 09:30 WIT.
    cron(schedule_reminders, name="schedule_reminders", hour=0, minute=30),
    cron(
        schedule_email_sweeps,
        name="schedule_email_sweeps",
        minute=set(range(3, 60, SWEEP_EVERY_MINUTES)),
        run_at_startup=True,
    ),
    cron(schedule_email_digests, name="schedule_email_digests", minute=1),
    # Stranded work (a job lost with Redis, a worker killed mid-job), every 10 minutes.
    cron(
        schedule_recovery_sweeps,
        name="schedule_recovery_sweeps",
        minute=set(range(5, 60, 10)),
        run_at_startup=True,
    ),
    # 18:15 UTC: 01:15 WIB, 02:15 WITA, 03:15 WIT — the quiet hours of every region.
    cron(schedule_survey_recompute, name="schedule_survey_recompute", hour=18, minute=15),
    # 19:45 UTC: 02:45 WIB, 03:45 WITA, 04:45 WIT.
    cron(schedule_training_assignment, name="schedule_training_assignment", hour=19, minute=45),
    # 01:00 UTC: 08:00 WIB, 09:00 WITA, 10:00 WIT — the first hour of the working day.
    cron(schedule_complaint_reminders, name="schedule_complaint_reminders", hour=1, minute=0),
]


def worker_options(
    settings: Settings, *, relay: bool = True, manage_db: bool = True
) -> dict[str, Any]:
    """`manage_db=False` when the process already connected Tortoise (tests, `kinerja dev`)."""

    async def startup(ctx: dict) -> None:
        ctx["settings"] = settings
        if manage_db:
            await init_app_db(settings)
        if relay:
            ctx["relay_stop"] = asyncio.Event()
            ctx["relay_task"] = asyncio.create_task(
                run_relay(ctx["redis"], settings, ctx["relay_stop"])
            )
            # Redis that lost its data (a restart without persistence, a failover) lost
            # queued jobs: the recovery sweeps run at once, not at their next slot.
            ctx["reset_watch_task"] = asyncio.create_task(
                watch_redis_reset(ctx["redis"], ctx["relay_stop"])
            )

    async def shutdown(ctx: dict) -> None:
        if "relay_task" in ctx:
            ctx["relay_stop"].set()
            for task in (ctx["relay_task"], ctx["reset_watch_task"]):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if manage_db:
            await close_db()

    return {
        "functions": [instrument(f) for f in FUNCTIONS],
        "cron_jobs": [instrument(c) for c in CRON_JOBS],
        "on_job_start": on_job_start,
        # arq's health-check key, refreshed this often: `kinerja doctor` and the
        # kinerja_worker_heartbeat metric read it.
        "health_check_interval": settings.worker_heartbeat_seconds,
        "redis_settings": redis_settings(settings),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "max_jobs": 10,
        "max_tries": FOREVER_TRIES,  # functions registered without a limit of their own
        # arq starts at most max_jobs per poll: at its default 0.5 s a queue of small jobs
        # (debounced aggregations, fan-outs) waited up to half a second each and fell
        # behind (bench.surveys); a 50 ms poll is one cheap Redis read per worker.
        "poll_delay": settings.worker_poll_seconds,
        # SIGTERM: finish running jobs within the grace, then hand the rest back.
        "job_completion_wait": settings.worker_shutdown_grace_seconds,
        "job_timeout": 600,
        "keep_result": 3600,
    }


class WorkerSettings:
    """For the `arq` command line (`arq workers.settings.WorkerSettings`): the same options
    as `kinerja worker`, read from the environment when the class is loaded."""

    try:
        _options = worker_options(get_settings()) if os.environ.get("REDIS_URL") else {}
    except (ValueError, ConfigurationError):  # incomplete settings: only importing, not running
        _options = {}
    locals().update(_options)
