"""The e-mail channel against a real SMTP server (aiosmtpd on a free port), PostgreSQL and
Redis: the right messages reach the right people once, transient refusals are retried and
permanent ones are not, stale claims are recovered, the daily digest goes out once per user,
and a region's jobs never touch another region's e-mail."""

from __future__ import annotations

import asyncio
import email
import logging
import re
import socket
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from arq.constants import default_queue_name, job_key_prefix
from arq.jobs import Job, JobStatus
from pydantic import ValidationError

from kinerja_saas.auth.activation import activate_account
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements
from kinerja_saas.notifications import email as mail
from kinerja_saas.notifications.digest import digest_cutoff, send_digests
from kinerja_saas.notifications.inbox import set_preferences
from kinerja_saas.notifications.models import Delivery
from kinerja_saas.outbox.service import emit
from kinerja_saas.performance import plans
from kinerja_saas.performance.events import PLAN_RETURNED
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction
from tenants.models import RegionTimezone
from tests.factories import person, plan_results
from tests.notifications.helpers import emit_event, fan_out, queue
from tests.workers.test_jobs import drain, relay_all
from workers.notifications.email import (
    schedule_email_digests,
    schedule_email_sweeps,
    send_email_digest,
    send_emails,
    sweep_emails,
)

ADMIN, SUPERVISOR, EMPLOYEE, OFFICER = (
    Role.REGION_ADMIN,
    Role.SUPERVISOR,
    Role.EMPLOYEE,
    Role.TRAINING_OFFICER,
)
PUBLIC_URL = "https://kinerja.example.id"


# --- a real SMTP server ---------------------------------------------------------------------


class SmtpInbox:
    """aiosmtpd handler: keeps every accepted message; `refuse[address]` holds the RCPT
    replies to give that address next (one per attempt), e.g. "451 4.3.0 Coba lagi"."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, list[str]] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        replies = self.refuse.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"].addresses[0].addr_spec == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    handler = SmtpInbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def mail_settings(settings, smtp, tmp_path) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "smtp_timeout_seconds": 5.0,
            "public_url": PUBLIC_URL,
            "smtp_from": "Kinerja Uji <no-reply@kinerja.example.id>",
            "data_dir": tmp_path,
        }
    )


@pytest.fixture
async def pool(settings, redis):
    pool = await queue(settings)
    yield pool
    # Deferred retries would hold up later burst workers until they are due.
    now_ms = datetime.now(UTC).timestamp() * 1000
    for job_id in await pool.zrangebyscore(default_queue_name, min=now_ms, max=float("inf")):
        job_id = job_id.decode()
        if job_id.startswith(("email:", "digest:")):
            await pool.zrem(default_queue_name, job_id)
            await pool.delete(job_key_prefix + job_id)
    await pool.aclose()


def ctx(pool, settings) -> dict:
    return {"redis": pool, "settings": settings, "job_try": 1}


async def run_send(pool, settings, region, event_id: int) -> dict:
    """The `send_emails` job of the event's only chunk, called as arq calls it."""
    return await send_emails(
        ctx(pool, settings), region.id, event_id=event_id, after_user_id=0, upto_user_id=None
    )


async def deliveries(region, event_id: int) -> list[Delivery]:
    async with tenant_transaction(region.id):
        return await Delivery.filter(event_id=event_id, channel="EMAIL").order_by("user_id")


async def approved_event(region, key: str = "staff1", plan_id: int = 1):
    return await emit_event(
        region,
        "performance.plan_approved",
        {"plan_id": plan_id, "employee_id": region.employees[key].id},
    )


async def new_logins(region, n: int, prefix: str = "baru") -> list[UserAccount]:
    """Logins without a password, as a roster import leaves them."""
    async with tenant_transaction(region.id):
        return [
            await UserAccount.create(
                tenant_id=region.id,
                email=f"{prefix}{i}@{region.tenant.slug}.test",
                name=f"Pegawai Baru {i}",
                roles=["EMPLOYEE"],
            )
            for i in range(n)
        ]


async def activation_event(pool, region, users):
    event = await emit_event(
        region, "auth.activation_requested", {"user_ids": [u.id for u in users]}
    )
    await fan_out(pool, region, event)
    return event


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP's CRLF


# --- the success path -----------------------------------------------------------------------


async def test_a_fanned_out_event_is_emailed_to_its_recipient_in_bahasa_indonesia(
    settings, mail_settings, smtp, region_a, pool
):
    """Through the whole chain: a mutation's outbox event, the relay, a real arq worker
    running the fan-out and then the `send_emails` job it enqueued."""
    staff = person(region_a, "staff1")
    async with tenant_transaction(region_a.id):
        plan = await plans.save_plan(
            actor=staff, period_id=region_a.period.id, results=plan_results()
        )
        await emit(
            PLAN_RETURNED,
            {
                "plan_id": plan.id,
                "employee_id": region_a.employees["staff1"].id,
                "reason": "Target IKI belum terukur — mohon dirinci per triwulan",
            },
        )
    await relay_all(pool, settings)
    await drain(mail_settings)

    employee = region_a.accounts[EMPLOYEE]
    (message,) = smtp.to(employee.email)
    assert message["Subject"] == "SKP Anda dikembalikan untuk diperbaiki"
    assert message["To"].addresses[0].display_name == employee.name
    assert message["From"] == "Kinerja Uji <no-reply@kinerja.example.id>"
    assert message.get_content_charset() == "utf-8"
    text = body(message)
    assert text.startswith(
        "Atasan Anda mengembalikan rencana SKP. Alasan: Target IKI belum terukur — mohon "
        "dirinci per triwulan"
    )
    assert f"Buka di aplikasi Kinerja: {PUBLIC_URL}/skp/{plan.id}" in text
    assert "dikirim otomatis oleh aplikasi Kinerja Kota A" in text
    # Nobody else of the region got anything.
    others = [a.email for r, a in region_a.accounts.items() if r is not EMPLOYEE]
    assert not [m for m in smtp.messages if m["To"].addresses[0].addr_spec in others]

    async with tenant_transaction(region_a.id):
        (row,) = await Delivery.filter(user_id=employee.id, kind="PLAN_RETURNED")
    assert (row.status, row.attempts, row.last_error) == ("SENT", 1, None)
    assert row.sent_at is not None and row.next_attempt_at is None


async def test_the_activation_email_carries_a_working_link_that_is_stored_nowhere(
    mail_settings, smtp, region_a, pool, owner_conn, caplog
):
    new, later = await new_logins(region_a, 2)
    event = await activation_event(pool, region_a, [new, later])
    # `later` gets a password some other way before the e-mail goes out.
    async with tenant_transaction(region_a.id):
        await UserAccount.filter(id=later.id).update(password_hash="set-elsewhere")

    with caplog.at_level(logging.DEBUG):
        assert await run_send(pool, mail_settings, region_a, event.id) == {
            "sent": 1,
            "failed": 1,
            "retry": 0,
            "dead": 0,
        }
    (message,) = smtp.to(new.email)
    assert message["Subject"] == "Aktivasi akun Kinerja Kota A"
    text = body(message)
    assert text.startswith("Yth. Pegawai Baru 0,\n\nakun Anda pada aplikasi Kinerja Kota A")
    assert "{activation_link}" not in text
    token = re.search(re.escape(f"{PUBLIC_URL}/aktivasi#token=") + r"(\S+)", text)[1]
    # Nor in our logs (the test SMTP server's own log shows what it received).
    assert not [r for r in caplog.records if token in r.getMessage() and r.name != "mail.log"]

    # The token is in no table of the database (as the owner, past row-level security).
    tables = await owner_conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    for t in tables:
        found = await owner_conn.fetchval(
            f'SELECT count(*) FROM "{t["tablename"]}" x WHERE strpos(x::text, $1) > 0', token
        )
        assert found == 0, t["tablename"]

    result = await activate_account(token=token, password="Sandi-Baru#2026", settings=mail_settings)
    assert result.actor.user_id == new.id and result.tokens.access_token
    async with tenant_transaction(region_a.id):
        assert (await UserAccount.get(id=new.id)).password_hash is not None
        (done, refused) = await Delivery.filter(event_id=event.id).order_by("user_id")
    assert done.status == "SENT"
    assert (refused.status, refused.last_error) == (
        "FAILED",
        "already activated: the login has a password",
    )
    assert not smtp.to(later.email)


# --- exactly once ---------------------------------------------------------------------------


async def test_a_rerun_and_two_concurrent_jobs_send_each_email_once(
    mail_settings, smtp, region_a, pool
):
    users = await new_logins(region_a, 12)
    event = await activation_event(pool, region_a, users)
    small = mail_settings.model_copy(update={"email_batch_size": 3})
    reports = await asyncio.gather(
        run_send(pool, small, region_a, event.id), run_send(pool, small, region_a, event.id)
    )
    assert sum(r["sent"] for r in reports) == 12
    again = await run_send(pool, small, region_a, event.id)
    assert again["sent"] == 0
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp.messages) == sorted(
        u.email for u in users
    )
    assert {d.status for d in await deliveries(region_a, event.id)} == {"SENT"}


async def test_a_run_takes_the_same_statements_for_3_recipients_as_for_30(
    mail_settings, region_a, pool
):
    counts = []
    for n, prefix in ((3, "tiga"), (30, "tigapuluh")):
        event = await activation_event(pool, region_a, await new_logins(region_a, n, prefix))
        with count_statements() as counter:
            report = await run_send(pool, mail_settings, region_a, event.id)
        assert report["sent"] == n
        counts.append(counter.count)
    # the region's status check, then the claim and the record, each with its tenant setting
    assert counts == [5, 5]


# --- failures -------------------------------------------------------------------------------


async def test_a_451_is_retried_with_backoff_and_sent_later(
    mail_settings, smtp, region_a, pool, owner_conn
):
    event = await approved_event(region_a)
    await fan_out(pool, region_a, event)
    address = region_a.accounts[EMPLOYEE].email
    smtp.refuse[address] = ["451 4.7.1 Greylisted, coba lagi nanti"]

    report = await run_send(pool, mail_settings, region_a, event.id)
    assert (report["sent"], report["retry"]) == (0, 1)
    (row,) = await deliveries(region_a, event.id)
    assert (row.status, row.attempts, row.response_status) == ("PENDING", 1, 451)
    assert row.last_error == "SMTP 451 4.7.1 Greylisted, coba lagi nanti"
    assert row.next_attempt_at - row.updated_at == timedelta(
        seconds=mail_settings.email_retry_base_seconds
    )
    retry = Job(f"email:{event.id}:0:retry1", pool)
    assert await retry.status() == JobStatus.deferred

    # Not due yet: a second run leaves it alone.
    assert (await run_send(pool, mail_settings, region_a, event.id))["retry"] == 0
    # Due (the clock moved on): the retry sends it.
    await owner_conn.execute(
        "UPDATE notification_deliveries SET next_attempt_at = now() WHERE id = $1", row.id
    )
    assert (await run_send(pool, mail_settings, region_a, event.id))["sent"] == 1
    (row,) = await deliveries(region_a, event.id)
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == (
        "SENT",
        2,
        None,
        None,
    )
    assert len(smtp.to(address)) == 1


async def test_a_550_fails_for_good_without_retry(mail_settings, smtp, region_a, pool):
    event = await approved_event(region_a)
    await fan_out(pool, region_a, event)
    address = region_a.accounts[EMPLOYEE].email
    smtp.refuse[address] = ["550 5.1.1 Mailbox tidak dikenal"]

    report = await run_send(pool, mail_settings, region_a, event.id)
    assert (report["failed"], report["retry"]) == (1, 0)
    (row,) = await deliveries(region_a, event.id)
    assert (row.status, row.attempts, row.response_status) == ("FAILED", 1, 550)
    assert row.last_error == "SMTP 550 5.1.1 Mailbox tidak dikenal"
    assert row.next_attempt_at is None
    assert await Job(f"email:{event.id}:0:retry1", pool).status() == JobStatus.not_found
    assert (await run_send(pool, mail_settings, region_a, event.id))["failed"] == 0
    assert not smtp.to(address)


async def test_a_login_deactivated_before_sending_gets_nothing(mail_settings, smtp, region_a, pool):
    event = await approved_event(region_a)
    await fan_out(pool, region_a, event)
    employee = region_a.accounts[EMPLOYEE]
    async with tenant_transaction(region_a.id):
        await UserAccount.filter(id=employee.id).update(is_active=False)
    assert (await run_send(pool, mail_settings, region_a, event.id))["failed"] == 1
    (row,) = await deliveries(region_a, event.id)
    assert (row.status, row.last_error) == ("FAILED", "login deactivated")
    assert not smtp.to(employee.email)


async def test_dead_after_the_last_attempt(mail_settings, smtp, region_a, pool, owner_conn):
    settings = mail_settings.model_copy(update={"email_max_attempts": 2})
    event = await approved_event(region_a)
    await fan_out(pool, region_a, event)
    address = region_a.accounts[EMPLOYEE].email
    smtp.refuse[address] = ["452 4.2.2 Kotak surat penuh"] * 3

    assert (await run_send(pool, settings, region_a, event.id))["retry"] == 1
    await owner_conn.execute(
        "UPDATE notification_deliveries SET next_attempt_at = now() WHERE event_id = $1",
        event.id,
    )
    assert (await run_send(pool, settings, region_a, event.id))["dead"] == 1
    (row,) = await deliveries(region_a, event.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("DEAD", 2, None)
    assert row.last_error == "SMTP 452 4.2.2 Kotak surat penuh"
    assert await Job(f"email:{event.id}:0:retry2", pool).status() == JobStatus.not_found


async def test_an_unreachable_server_keeps_every_email_for_a_retry(mail_settings, region_a, pool):
    users = await new_logins(region_a, 3)
    event = await activation_event(pool, region_a, users)
    down = mail_settings.model_copy(update={"smtp_port": _free_port()})  # nobody listens
    report = await run_send(pool, down, region_a, event.id)
    assert report == {"sent": 0, "failed": 0, "retry": 3, "dead": 0}
    rows = await deliveries(region_a, event.id)
    assert {(d.status, d.attempts) for d in rows} == {("PENDING", 1)}
    assert all(d.last_error.startswith("cannot connect to SMTP 127.0.0.1") for d in rows)


async def test_a_stale_sending_claim_is_recovered_by_the_sweep(
    mail_settings, smtp, region_a, pool, owner_conn
):
    """A worker claimed two e-mails and was killed before sending; one claim is older than
    the claim timeout, the other is recent (its worker may still be sending)."""
    stale, recent = await new_logins(region_a, 2)
    event = await activation_event(pool, region_a, [stale, recent])
    async with tenant_transaction(region_a.id):
        claimed = await mail.claim_due(tenant_id=region_a.id, scope=mail.Scope(), limit=10)
    assert {r["user_id"] for r in claimed} >= {stale.id, recent.id}
    await owner_conn.execute(
        "UPDATE notification_deliveries SET updated_at = now() - interval '31 minutes'"
        " WHERE event_id = $1 AND user_id = $2",
        event.id,
        stale.id,
    )
    report = await sweep_emails(ctx(pool, mail_settings), region_a.id)
    assert (report["released"], report["sent"]) == (1, 1)
    assert len(smtp.to(stale.email)) == 1 and not smtp.to(recent.email)
    by_user = {d.user_id: d for d in await deliveries(region_a, event.id)}
    assert (by_user[stale.id].status, by_user[stale.id].attempts) == ("SENT", 2)
    assert by_user[recent.id].status == "SENDING"


class KilledMidBatch(BaseException):
    """Stands for kill -9: nothing after it runs, not even the job's error handling."""


class DyingTransport:
    """The real SMTP transport, whose worker dies right after the server accepted the
    `die_after`-th message (before the worker could note it sent)."""

    def __init__(self, inner, die_after: int) -> None:
        self.inner, self.die_after, self.count = inner, die_after, 0

    async def connect(self):
        connection = await self.inner.connect()
        transport = self

        class Dying:
            async def send(self, message):
                result = await connection.send(message)
                transport.count += 1
                if transport.count == transport.die_after:
                    raise KilledMidBatch()
                return result

            async def close(self):
                await connection.close()

        return Dying()


async def test_a_batch_cut_by_a_dead_worker_is_settled_by_the_jobs_next_run_at_most_once(
    mail_settings, smtp, region_a, pool, owner_conn
):
    """A run claims five e-mails and dies right after the server took the third. The same
    job's next run (a worker lease later) settles the batch from its journal at once,
    not after the 30-minute claim timeout: the two noted as sent stay sent, the third is
    not resent (it may have gone out: at most one e-mail), the last two go out now."""
    from workers.notifications.email import RedisJournal

    users = await new_logins(region_a, 5, prefix="putus")
    event = await activation_event(pool, region_a, users)
    job_id = f"email:{event.id}:0"
    with pytest.raises(KilledMidBatch):
        await mail.send_due_emails(
            tenant_id=region_a.id,
            settings=mail_settings,
            scope=mail.Scope(event_id=event.id),
            transport=DyingTransport(mail.transport_for(mail_settings), die_after=3),
            journal=RedisJournal(pool, job_id),
        )
    assert len(smtp.messages) == 3
    assert {d.status for d in await deliveries(region_a, event.id)} == {"SENDING"}

    report = await send_emails(
        {**ctx(pool, mail_settings), "job_id": job_id},
        region_a.id,
        event_id=event.id,
        after_user_id=0,
        upto_user_id=None,
    )
    assert report["recovered"] == 5 and report["sent"] == 2
    for user in users:
        assert len(smtp.to(user.email)) == 1  # everyone once, no one twice
    rows = await deliveries(region_a, event.id)
    assert sorted(d.status for d in rows) == ["DEAD", "SENT", "SENT", "SENT", "SENT"]
    (uncertain,) = [d for d in rows if d.status == "DEAD"]
    assert uncertain.last_error == mail.UNCERTAIN
    assert not await pool.exists(f"kinerja:email:journal:{job_id}")


# --- the daily digest -----------------------------------------------------------------------


async def choose_digest(region, role: Role) -> None:
    async with tenant_transaction(region.id):
        await set_preferences(actor=region.actor(role), choices=[], email_digest=True)


async def test_the_digest_sends_one_email_per_user_and_marks_the_rows(
    mail_settings, smtp, region_a, pool, owner_conn
):
    await choose_digest(region_a, EMPLOYEE)
    await choose_digest(region_a, OFFICER)
    events = [
        await approved_event(region_a, "staff1", plan_id=11),
        await emit_event(
            region_a,
            "performance.plan_returned",
            {"plan_id": 12, "employee_id": region_a.employees["staff1"].id, "reason": "Ulangi"},
        ),
        await emit_event(
            region_a,
            "performance.consequence_recorded",
            {"employee_id": region_a.employees["other"].id, "type": "PIAGAM_PENGHARGAAN"},
        ),
        await emit_event(  # the admin has no digest: sent at once, not in a digest
            region_a,
            "org.import.finished",
            {"job_id": 1, "status": "SUCCEEDED", "created_by": region_a.accounts[ADMIN].id},
        ),
    ]
    for event in events:
        await fan_out(pool, region_a, event)
    ids = [e.id for e in events]
    async with tenant_transaction(region_a.id):
        statuses = await Delivery.filter(event_id__in=ids).values_list("user_id", "status")
    assert sorted(s for _, s in statuses) == ["DIGEST", "DIGEST", "DIGEST", "PENDING"]
    # They were queued yesterday; the run is after this morning's digest hour.
    await owner_conn.execute(
        "UPDATE notification_deliveries SET created_at = now() - interval '25 hours'"
        " WHERE event_id = ANY($1::bigint[])",
        ids,
    )

    # Two workers at once, and the job again: each user's digest goes out once.
    job_ctx = ctx(pool, mail_settings)
    first = await asyncio.gather(
        send_email_digest(job_ctx, region_a.id, day="x"),
        send_email_digest(job_ctx, region_a.id, day="x"),
    )
    again = await send_email_digest(job_ctx, region_a.id, day="x")
    assert sum(r["emails"] for r in first) == 2 and sum(r["items"] for r in first) == 3
    assert again["emails"] == 0

    employee, officer = region_a.accounts[EMPLOYEE], region_a.accounts[OFFICER]
    (to_employee,) = smtp.to(employee.email)
    (to_officer,) = smtp.to(officer.email)
    assert not smtp.to(region_a.accounts[ADMIN].email)
    assert to_employee["Subject"] == "Ringkasan harian Kinerja Kota A: 2 pemberitahuan"
    text = body(to_employee)
    assert text.startswith(f"Yth. {employee.name},\n\nberikut 2 pemberitahuan untuk Anda")
    assert "1. SKP Anda telah disetujui\n" in text
    assert "2. SKP Anda dikembalikan untuk diperbaiki\n   Atasan Anda mengembalikan" in text
    assert f"   {PUBLIC_URL}/skp/11\n" in text and f"   {PUBLIC_URL}/skp/12\n" in text
    assert "Tindak lanjut kinerja: Piagam Penghargaan" in body(to_officer)

    async with tenant_transaction(region_a.id):
        rows = await Delivery.filter(event_id__in=ids, status="SENT", channel="EMAIL")
        assert len(rows) == 3 and all(r.attempts == 1 and r.sent_at for r in rows)
        assert await Delivery.filter(event_id__in=ids, status="PENDING").count() == 1


async def test_a_digest_refused_for_a_while_is_handed_back_and_sent_by_the_retry(
    mail_settings, smtp, region_a, pool, owner_conn
):
    await choose_digest(region_a, EMPLOYEE)
    event = await approved_event(region_a)
    await fan_out(pool, region_a, event)
    address = region_a.accounts[EMPLOYEE].email
    smtp.refuse[address] = ["451 4.3.0 Coba lagi"]
    tomorrow = datetime.now(UTC) + timedelta(days=1)  # the digest after the event

    report = await send_digests(tenant_id=region_a.id, settings=mail_settings, now=tomorrow)
    assert (report.emails, report.retry, report.retry_attempt) == (0, 1, 1)
    (row,) = await deliveries(region_a, event.id)
    assert (row.status, row.attempts, row.response_status) == ("DIGEST", 1, 451)

    report = await send_digests(tenant_id=region_a.id, settings=mail_settings, now=tomorrow)
    assert (report.emails, report.items) == (1, 1)
    (row,) = await deliveries(region_a, event.id)
    assert (row.status, row.attempts) == ("SENT", 2)
    assert len(smtp.to(address)) == 1
    # The same day's digest is done; the next event waits for tomorrow's.
    later = await approved_event(region_a, plan_id=2)
    await fan_out(pool, region_a, later)
    report = await send_digests(tenant_id=region_a.id, settings=mail_settings, now=tomorrow)
    assert report.emails == 0
    report = await send_digests(
        tenant_id=region_a.id, settings=mail_settings, now=tomorrow + timedelta(days=1)
    )
    assert (report.emails, report.items) == (1, 1)


def test_the_digest_time_is_the_regions_own_morning():
    at = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 07:30 WIB, 08:30 WITA, 09:30 WIT
    assert digest_cutoff(at, "Asia/Jakarta", 7) == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert digest_cutoff(at, "Asia/Makassar", 7) == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    assert digest_cutoff(at, "Asia/Jayapura", 10) == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


async def test_the_crons_enqueue_one_job_per_region_at_its_own_morning_hour(
    settings, password_hash, region_a, region_b, pool, owner_conn
):
    from tests.factories import build_region

    region_c = await build_region(password_hash, name="Kota C")
    zones = {
        region_a.id: RegionTimezone.WIB,
        region_b.id: RegionTimezone.WITA,
        region_c.id: RegionTimezone.WIT,
    }
    for tenant_id, zone in zones.items():  # a platform table: the owner's to change
        await owner_conn.execute(
            "UPDATE tenants SET timezone = $2 WHERE id = $1", tenant_id, zone.value
        )
    job_ctx = {"redis": pool, "settings": settings}

    async def digests_queued(day: str) -> set[int]:
        return {
            tenant_id
            for tenant_id in zones
            if await Job(f"digest:{tenant_id}:{day}", pool).status() == JobStatus.queued
        }

    try:
        # 22:30 UTC on 1 March is 07:30 on 2 March in Jayapura (WIT) only.
        await schedule_email_digests(job_ctx, now=datetime(2031, 3, 1, 22, 30, tzinfo=UTC))
        assert await digests_queued("20310302") == {region_c.id}
        for _ in range(2):  # a second scheduler in the same hour adds nothing
            await schedule_email_digests(job_ctx, now=datetime(2031, 3, 1, 23, 30, tzinfo=UTC))
        assert await digests_queued("20310302") == {region_b.id, region_c.id}
        await schedule_email_digests(job_ctx, now=datetime(2031, 3, 2, 0, 30, tzinfo=UTC))
        assert await digests_queued("20310302") == set(zones)

        slot = datetime(2031, 3, 2, 0, 37, tzinfo=UTC)
        await schedule_email_sweeps(job_ctx, now=slot)
        await schedule_email_sweeps(job_ctx, now=slot + timedelta(minutes=2))  # same slot
        for tenant_id in zones:
            job = Job(f"email-sweep:{tenant_id}:203103020030", pool)
            assert await job.status() == JobStatus.queued
    finally:  # these jobs are for 2031: take them off the queue
        for job_id in await pool.zrange(default_queue_name, 0, -1):
            job_id = job_id.decode()
            if (job_id.startswith("digest:") and job_id.endswith(":20310302")) or (
                job_id.startswith("email-sweep:") and job_id.endswith(":203103020030")
            ):
                await pool.zrem(default_queue_name, job_id)
                await pool.delete(job_key_prefix + job_id)


def test_the_email_jobs_and_crons_are_registered():
    from workers.settings import CRON_JOBS, FUNCTIONS

    names = {f.name for f in FUNCTIONS}
    assert {"send_emails", "sweep_emails", "send_email_digest"} <= names
    assert {"schedule_email_sweeps", "schedule_email_digests"} <= {c.name for c in CRON_JOBS}


# --- without an SMTP server -----------------------------------------------------------------


async def test_dev_without_smtp_writes_eml_files_into_the_mailbox(
    settings, region_a, pool, tmp_path
):
    dev = settings.model_copy(update={"env": "dev", "smtp_host": None, "data_dir": tmp_path})
    event = await approved_event(region_a)
    await fan_out(pool, region_a, event)
    assert (await run_send(pool, dev, region_a, event.id))["sent"] == 1
    (path,) = (tmp_path / "mailbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == region_a.accounts[EMPLOYEE].email
    assert message["Subject"] == "SKP Anda telah disetujui"
    assert "http://127.0.0.1:8000/skp/1" in body(message)


async def test_production_without_smtp_holds_the_emails_and_says_so(
    settings, region_a, pool, caplog
):
    prod = settings.model_copy(update={"env": "production", "smtp_host": None})
    event = await approved_event(region_a)
    await fan_out(pool, region_a, event)
    with caplog.at_level(logging.WARNING, logger="kinerja.email"):
        assert await run_send(pool, prod, region_a, event.id) == {
            "sent": 0,
            "failed": 0,
            "retry": 0,
            "dead": 0,
            "held": True,
        }
    assert "KINERJA_SMTP_HOST is not set" in caplog.text
    (row,) = await deliveries(region_a, event.id)
    assert (row.status, row.attempts) == ("PENDING", 0)
    # The crons say it once instead of queueing a job per region that could only say it.
    job_ctx = {"redis": pool, "settings": prod}
    assert await schedule_email_sweeps(job_ctx) == 0
    assert await schedule_email_digests(job_ctx) == 0


# --- isolation ------------------------------------------------------------------------------


async def test_a_job_of_region_b_never_sends_region_as_emails(
    mail_settings, smtp, region_a, region_b, pool
):
    await choose_digest(region_a, OFFICER)
    a_event = await approved_event(region_a)
    a_digest = await emit_event(
        region_a,
        "performance.consequence_recorded",
        {"employee_id": region_a.employees["other"].id, "type": "PIAGAM_PENGHARGAAN"},
    )
    await fan_out(pool, region_a, a_event)
    await fan_out(pool, region_a, a_digest)
    b_event = await approved_event(region_b)
    await fan_out(pool, region_b, b_event)

    job_ctx = ctx(pool, mail_settings)
    # B's job named with A's event, B's sweep and B's digest: nothing of A.
    await send_emails(job_ctx, region_b.id, event_id=a_event.id, after_user_id=0, upto_user_id=None)
    await sweep_emails(job_ctx, region_b.id)
    await send_digests(
        tenant_id=region_b.id, settings=mail_settings, now=datetime.now(UTC) + timedelta(days=1)
    )
    a_addresses = {a.email for a in region_a.accounts.values()}
    assert not [m for m in smtp.messages if m["To"].addresses[0].addr_spec in a_addresses]
    assert len(smtp.to(region_b.accounts[EMPLOYEE].email)) == 1
    assert [d.status for d in await deliveries(region_a, a_event.id)] == ["PENDING"]
    assert [d.status for d in await deliveries(region_a, a_digest.id)] == ["DIGEST"]
    # Even a claim asked for in B's transaction with A's event sees nothing of A (RLS).
    async with tenant_transaction(region_b.id):
        assert not await mail.claim_due(
            tenant_id=region_a.id, scope=mail.Scope(event_id=a_event.id), limit=10
        )


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"public_url": "kinerja.example.id"}, "KINERJA_PUBLIC_URL must be an http(s) URL"),
        ({"public_url": "ftp://kinerja.example.id"}, "KINERJA_PUBLIC_URL must be an http(s) URL"),
        ({"survey_public_url": "skm.example.id"}, "KINERJA_SURVEY_PUBLIC_URL must be an http(s)"),
        ({"smtp_from": "no-reply"}, "KINERJA_SMTP_FROM must be an address"),
        ({"smtp_username": "kinerja"}, "set both KINERJA_SMTP_USERNAME and KINERJA_SMTP_PASSWORD"),
        ({"smtp_security": "ssl"}, "smtp_security"),
        ({"smtp_port": 0}, "smtp_port"),
        ({"email_digest_hour": 24}, "email_digest_hour"),
        ({"email_max_attempts": 0}, "email_max_attempts"),
        ({"email_retry_base_seconds": 600, "email_retry_max_seconds": 60}, "below the base"),
        (
            {"env": "production", "smtp_host": "smtp.example.id"},
            "KINERJA_PUBLIC_URL must be set when e-mail is sent",
        ),
        (
            {"env": "production", "smtp_host": "smtp.example.id", "public_url": PUBLIC_URL},
            "KINERJA_SMTP_FROM must be set when e-mail is sent",
        ),
    ],
)
def test_email_settings_refuse_bad_input(values, message):
    secrets = {"jwt_secret": "x" * 40, "app_db_password": "p"}
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings(**{"env": "test", **secrets, **values})


def test_email_settings_normalise_their_input():
    s = Settings(env="test", public_url="https://kinerja.example.id/", smtp_security=" TLS ")
    assert (s.public_url, s.smtp_security) == ("https://kinerja.example.id", "tls")
    assert Settings(env="dev").public_url == "http://127.0.0.1:8000"
    # Unset, links follow the address the platform listens on (kinerja dev --port 8101).
    assert Settings(env="dev", port=8101).public_url == "http://127.0.0.1:8101"
    assert Settings(env="dev", host="0.0.0.0", port=8101).public_url == "http://127.0.0.1:8101"
    assert Settings(env="dev", host="::1", port=8101).public_url == "http://[::1]:8101"
    assert mail.absolute_link("/skp/3", s.public_url) == "https://kinerja.example.id/skp/3"
