"""E-mail jobs: one per fanned-out chunk (`send_emails`), a per-region sweep that recovers
what a killed worker or a lost job left behind (`sweep_emails`, every 10 minutes), and the
daily digest (`send_email_digest`, at the region's morning hour). Job ids are
deterministic, so two workers or a re-run enqueue each job once; the claims in PostgreSQL
make sure each e-mail is sent once even when a job runs twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kinerja_saas.auth.actor import Actor
from kinerja_saas.notifications import digest, email
from tenants.context import tenant_transaction
from tenants.models import RegionStatus, Tenant
from workers import jobs
from workers.queue import enqueue
from workers.tenant_job import WorkerContext, tenant_job

SWEEP_EVERY_MINUTES = 10
JOURNAL_TTL_SECONDS = 2 * 86_400


class RedisJournal:
    """The batch journal of one sending job (kinerja_saas/notifications/email.py), a Redis
    hash per job id: delivery id → "<state>:<attempts as claimed>". Its next run (the
    same job id, after its worker died) settles what it finds there."""

    def __init__(self, redis: Any, job_id: str) -> None:
        self.redis, self.key = redis, f"kinerja:email:journal:{job_id}"
        self.attempts: dict[int, int] = {}

    async def claimed(self, claims: Sequence[tuple[int, int]]) -> None:
        self.attempts = dict(claims)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key, mapping={str(d): f"claimed:{a}" for d, a in claims})
            pipe.expire(self.key, JOURNAL_TTL_SECONDS)
            await pipe.execute()

    async def sending(self, delivery_id: int) -> None:
        await self.redis.hset(self.key, str(delivery_id), f"sending:{self.attempts[delivery_id]}")

    async def sent(self, delivery_id: int) -> None:
        await self.redis.hset(self.key, str(delivery_id), f"sent:{self.attempts[delivery_id]}")

    async def settled(self) -> None:
        await self.redis.delete(self.key)

    async def recover(self, tenant_id: int) -> int:
        """Settles what a dead earlier run of this job left in its journal."""
        left = await self.redis.hgetall(self.key)
        if not left:
            return 0
        entries = []
        for delivery_id, value in left.items():
            state, _, attempts = (value.decode() if isinstance(value, bytes) else value).partition(
                ":"
            )
            entries.append((int(delivery_id), int(attempts), state))
        async with tenant_transaction(tenant_id):
            settled = await email.recover_claims(tenant_id=tenant_id, journal=entries)
        await self.settled()
        return settled


async def _journal(worker: WorkerContext, actor: Actor) -> tuple[RedisJournal | None, int]:
    """This run's journal, after settling a dead earlier run's (same job id)."""
    assert actor.tenant_id is not None  # a region's job
    if not actor.request_id:
        return None, 0
    journal = RedisJournal(worker.queue, actor.request_id)
    return journal, await journal.recover(actor.tenant_id)


@tenant_job(transactional=False, with_worker=True)
async def send_emails(
    actor: Actor,
    *,
    worker: WorkerContext,
    event_id: int,
    after_user_id: int,
    upto_user_id: int | None = None,
) -> dict:
    """The due e-mails of one fan-out chunk (recipients in (after, upto]) over one SMTP
    connection. Transient failures come back as a deferred job of their own (the id names
    the attempt, so a re-run of this job enqueues it once)."""
    assert actor.tenant_id is not None  # a region's job
    journal, recovered = await _journal(worker, actor)
    report = await email.send_due_emails(
        tenant_id=actor.tenant_id,
        settings=worker.settings,
        scope=email.Scope(
            event_id=event_id, after_user_id=after_user_id, upto_user_id=upto_user_id
        ),
        journal=journal,
    )
    if report.retry_in is not None:
        await enqueue(
            worker.queue,
            jobs.SEND_EMAILS,
            job_id=f"email:{event_id}:{after_user_id}:retry{report.retry_attempt}",
            defer=report.retry_in,
            tenant_id=actor.tenant_id,
            event_id=event_id,
            after_user_id=after_user_id,
            upto_user_id=upto_user_id,
        )
    return {**report.as_dict(), "recovered": recovered} if recovered else report.as_dict()


@tenant_job(transactional=False, with_worker=True)
async def sweep_emails(actor: Actor, *, worker: WorkerContext) -> dict:
    """Recovery of one region: stale SENDING claims back to PENDING, then every due e-mail
    of the region in batches (those whose job was lost, and retries). What is still not
    due waits for the next sweep or its own retry job."""
    assert actor.tenant_id is not None  # a region's job
    async with tenant_transaction(actor.tenant_id):
        released = await email.release_stale_claims(
            tenant_id=actor.tenant_id, settings=worker.settings
        )
    journal, recovered = await _journal(worker, actor)
    report = await email.send_due_emails(
        tenant_id=actor.tenant_id, settings=worker.settings, journal=journal
    )
    return {**report.as_dict(), "released": released + recovered}


@tenant_job(transactional=False, with_worker=True)
async def send_email_digest(actor: Actor, *, worker: WorkerContext, day: str) -> dict:
    """The region's daily digests; a transient failure retries the run with backoff."""
    assert actor.tenant_id is not None  # a region's job
    report = await digest.send_digests(tenant_id=actor.tenant_id, settings=worker.settings)
    if report.retry_attempt is not None:
        await enqueue(
            worker.queue,
            jobs.SEND_EMAIL_DIGEST,
            job_id=f"digest:{actor.tenant_id}:{day}:retry{report.retry_attempt}",
            defer=digest.retry_delay(worker.settings, report.retry_attempt),
            tenant_id=actor.tenant_id,
            day=day,
        )
    return report.as_dict()


async def _active_regions(settings) -> list[tuple[int, str]]:
    """The active regions and their time zones; none when e-mail cannot go out at all
    (production without SMTP: one warning here rather than one per region and run)."""
    if email.transport_for(settings) is None:
        email.warn_no_transport(None)
        return []
    return [
        (tenant_id, str(zone))
        for tenant_id, zone in await Tenant.filter(status=RegionStatus.ACTIVE).values_list(
            "id", "timezone"
        )
    ]


async def schedule_email_sweeps(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, every 10 minutes: one `sweep_emails` per active region; the id carries the
    10-minute slot, so two schedulers in the same slot enqueue one job."""
    now = now or datetime.now(UTC)
    slot = now.strftime("%Y%m%d%H") + f"{now.minute - now.minute % SWEEP_EVERY_MINUTES:02d}"
    regions = await _active_regions(ctx["settings"])
    for tenant_id, _zone in regions:
        await enqueue(
            ctx["redis"],
            jobs.SWEEP_EMAILS,
            job_id=f"email-sweep:{tenant_id}:{slot}",
            tenant_id=tenant_id,
        )
    return len(regions)


async def schedule_email_digests(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, hourly: `send_email_digest` for each active region where it is now the digest
    hour in the region's own time zone (WIB, WITA, WIT); one job id per region and day."""
    now = now or datetime.now(UTC)
    hour = ctx["settings"].email_digest_hour
    enqueued = 0
    for tenant_id, zone in await _active_regions(ctx["settings"]):
        local = now.astimezone(ZoneInfo(zone))
        if local.hour != hour:
            continue
        day = local.strftime("%Y%m%d")
        await enqueue(
            ctx["redis"],
            jobs.SEND_EMAIL_DIGEST,
            job_id=f"digest:{tenant_id}:{day}",
            tenant_id=tenant_id,
            day=day,
        )
        enqueued += 1
    return enqueued
