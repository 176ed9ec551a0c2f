"""E-mail delivery: claim due deliveries, build the messages, send them, record the outcome.

Each step is set-based and commits on its own: a batch is claimed (PENDING → SENDING,
attempts + 1) and committed *before* anything is sent, so two workers never send the same
delivery; the outcomes of the whole batch are then written by one statement. A worker
killed between the two leaves SENDING rows behind, which `release_stale_claims` puts back
(at-least-once: such a message may go out twice, never zero times). No database
connection is held while talking to the mail server.

A job that sends keeps a **journal** of its batch outside PostgreSQL (the worker keeps it in
Redis, one write per message, no statement per row): claimed, sending, sent. When a worker
dies mid-batch, the job's next run (the same job, within one worker lease) settles the
batch from it in one statement: what was sent is SENT, what was never attempted is PENDING
again and goes out now, and the one message the server may or may not have taken when the
worker died is DEAD with that reason — never sent twice (`recover_claims`). Without a
journal (Redis lost it) the claim-timeout path above still applies.

Transient failures (no connection, SMTP 4xx) go back to PENDING with a growing
`next_attempt_at`, and to DEAD after `email_max_attempts`; a recipient refused for good
(SMTP 5xx) is FAILED. Without an SMTP host, dev and test write .eml files into
`<data_dir>/mailbox/`; production then leaves the deliveries PENDING.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
import orjson

from kinerja_saas.auth.activation import activation_token
from kinerja_saas.notifications import queries
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction

log = logging.getLogger("kinerja.email")

ACTIVATION_KIND = "ACCOUNT_ACTIVATION"
ACTIVATION_PLACEHOLDER = "{activation_link}"
# The frontend's activation page. The token travels in the fragment, which browsers never
# send to a server: it stays out of access logs and Referer headers.
ACTIVATION_PATH = "/aktivasi#token="


# --- messages ------------------------------------------------------------------------------


def absolute_link(link: str | None, public_url: str) -> str | None:
    """A notification's link (a frontend path such as /skp/12) as a URL a mail reader opens."""
    if not link:
        return None
    if re.match(r"^https?://", link):
        return link
    return public_url.rstrip("/") + "/" + link.lstrip("/")


def activation_link(settings: Settings, *, tenant_id: int, user_id: int, version: int) -> str:
    token = activation_token(
        tenant_id=tenant_id,
        user_id=user_id,
        token_version=version,
        secret=settings.jwt_secret or "",
    )
    return f"{settings.public_url}{ACTIVATION_PATH}{token}"


def footer(region: str) -> str:
    return (
        f"\n\n-- \nE-mail ini dikirim otomatis oleh aplikasi Kinerja {region}. "
        "Mohon tidak membalas e-mail ini."
    )


def message_id(settings: Settings, key: str) -> str:
    """Deterministic per delivery, so a receiving server can tell a resend from a new mail."""
    domain = parseaddr(settings.smtp_from or "")[1].rpartition("@")[2] or "kinerja.localhost"
    return f"<{key}@{domain}>"


class InvalidRecipient(ValueError):
    pass


def compose(
    settings: Settings, *, to_name: str, to_addr: str, subject: str, text: str, key: str
) -> EmailMessage:
    """A plain-text UTF-8 message."""
    try:
        recipient = Address(display_name=to_name or "", addr_spec=to_addr)
    except (ValueError, IndexError) as exc:
        raise InvalidRecipient(f"invalid recipient address {to_addr!r}") from exc
    if not recipient.domain:
        raise InvalidRecipient(f"invalid recipient address {to_addr!r}")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Subject"] = " ".join(subject.split())  # one line, whatever the template held
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(settings, key)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(text, charset="utf-8")
    return message


# --- transports ----------------------------------------------------------------------------


class Outcome(StrEnum):
    SENT = "SENT"
    RETRY = "RETRY"  # transient: PENDING again later, DEAD after the last attempt
    FAILED = "FAILED"  # refused for good


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    error: str | None = None
    code: int | None = None  # the SMTP reply code, when the server gave one


SENT = Result(Outcome.SENT)


class TransportDown(Exception):
    """The mail server cannot be reached, or dropped the connection: every message not
    yet sent in this run is retried later."""


class Connection(Protocol):
    async def send(self, message: EmailMessage) -> Result: ...

    async def close(self) -> None: ...


class Transport(Protocol):
    async def connect(self) -> Connection: ...


def _refused(code: int, text: str) -> Result:
    outcome = Outcome.FAILED if 500 <= code < 600 else Outcome.RETRY
    return Result(outcome, f"SMTP {code} {text}"[:500], code)


class SmtpConnection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client

    async def send(self, message: EmailMessage) -> Result:
        try:
            await self.client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:  # our one recipient
            refused = exc.recipients[0]
            return _refused(refused.code, refused.message)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            raise TransportDown(f"SMTP connection lost: {exc}") from exc
        except aiosmtplib.SMTPSenderRefused as exc:  # our From: a set-up problem, not theirs
            return Result(Outcome.RETRY, f"SMTP {exc.code} sender refused: {exc.message}"[:500])
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing the connection
                raise TransportDown(f"SMTP 421 {exc.message}") from exc
            return _refused(exc.code, exc.message)
        except (aiosmtplib.SMTPException, ValueError) as exc:  # e.g. a non-ASCII address
            return Result(Outcome.FAILED, f"cannot send: {exc}"[:500])
        return SENT

    async def close(self) -> None:
        try:
            await self.client.quit()
        except (aiosmtplib.SMTPException, OSError):
            self.client.close()


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def connect(self) -> SmtpConnection:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            username=s.smtp_username,
            password=s.smtp_password,
            timeout=s.smtp_timeout_seconds,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransportDown(f"cannot connect to SMTP {s.smtp_host}: {exc}"[:500]) from exc
        return SmtpConnection(client)


class MailboxTransport:
    """Dev and test without an SMTP host: one .eml file per message, for a person to read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def connect(self) -> MailboxTransport:
        try:
            await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportDown(f"cannot write the mailbox {self.folder}: {exc}") from exc
        return self

    async def send(self, message: EmailMessage) -> Result:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        key = re.sub(r"[^A-Za-z0-9.-]", "", str(message["Message-ID"]).split("@")[0])
        path = self.folder / f"{stamp}-{key}.eml"
        try:
            await asyncio.to_thread(path.write_bytes, bytes(message))
        except OSError as exc:
            raise TransportDown(f"cannot write {path}: {exc}") from exc
        return SENT

    async def close(self) -> None:
        return None


def mailbox_folder(settings: Settings) -> Path:
    return settings.data_dir / "mailbox"


def transport_for(settings: Settings) -> Transport | None:
    """SMTP when a host is set; the dev mailbox outside production; else none (hold)."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    if settings.env != "production":
        return MailboxTransport(mailbox_folder(settings))
    return None


def warn_no_transport(tenant_id: int | None) -> None:
    log.warning(
        "e-mail of %s held: KINERJA_SMTP_HOST is not set, deliveries stay PENDING",
        "every region" if tenant_id is None else f"region {tenant_id}",
    )


# --- claims and outcomes -------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which deliveries a run sends: one event's chunk of recipients (user ids in
    (after_user_id, upto_user_id]), or every due e-mail of the region (event_id None)."""

    event_id: int | None = None
    after_user_id: int = 0
    upto_user_id: int | None = None


async def claim_due(*, tenant_id: int, scope: Scope, limit: int) -> list[dict[str, Any]]:
    """Claims up to `limit` due deliveries of the scope, in the current tenant transaction;
    the claim must be committed before anything is sent."""
    rows = await queries.claim_due_emails(
        tenant_id=tenant_id,
        limit=limit,
        event_id=scope.event_id,
        after_user_id=scope.after_user_id,
        upto_user_id=scope.upto_user_id,
    )
    for row in rows:
        if isinstance(row["payload"], str):
            row["payload"] = orjson.loads(row["payload"])
    return rows


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retry: int = 0  # back to PENDING, due again at next_attempt_at
    dead: int = 0
    retry_in: float | None = None  # seconds until the earliest retry is due
    retry_attempt: int | None = None  # the fewest attempts made among those retried
    held: bool = False  # no transport configured (production): nothing was claimed

    def as_dict(self) -> dict[str, Any]:
        out = {"sent": self.sent, "failed": self.failed, "retry": self.retry, "dead": self.dead}
        return {**out, "held": True} if self.held else out


async def record_outcomes(
    *,
    tenant_id: int,
    claimed: Sequence[tuple[int, int]],
    results: dict[int, Result],
    settings: Settings,
    report: SendReport,
) -> None:
    """One statement for a batch's outcomes; `claimed` is (delivery id, attempts) as claimed."""
    ids = [d for d, _ in claimed]
    rows = await queries.record_email_outcomes(
        tenant_id=tenant_id,
        ids=ids,
        attempts=[a for _, a in claimed],
        outcomes=[results[d].outcome.value for d in ids],
        errors=[results[d].error for d in ids],
        codes=[results[d].code for d in ids],
        max_attempts=settings.email_max_attempts,
        retry_base_seconds=settings.email_retry_base_seconds,
        retry_max_seconds=settings.email_retry_max_seconds,
    )
    for row in rows:
        status, n = row["status"], row["n"]
        if status == "SENT":
            report.sent += n
        elif status == "FAILED":
            report.failed += n
        elif status == "DEAD":
            report.dead += n
        elif status == "PENDING":
            report.retry += n
            retry_in = max(0.0, row["retry_in"] or 0.0)
            if report.retry_in is None or retry_in < report.retry_in:
                report.retry_in = retry_in
            if report.retry_attempt is None or row["attempts"] < report.retry_attempt:
                report.retry_attempt = row["attempts"]


class Journal(Protocol):
    """Where a sending job notes its batch's progress (see the module's docstring)."""

    async def claimed(self, claims: Sequence[tuple[int, int]]) -> None: ...
    async def sending(self, delivery_id: int) -> None: ...
    async def sent(self, delivery_id: int) -> None: ...
    async def settled(self) -> None: ...


UNCERTAIN = (
    "not resent: the sending worker stopped while the mail server had this message, so it"
    " may have gone out (never send twice)"
)


async def recover_claims(*, tenant_id: int, journal: Sequence[tuple[int, int, str]]) -> int:
    """A dead run's batch from its journal, (delivery id, attempts as claimed, state
    'claimed' | 'sending' | 'sent'), in the current transaction: only rows still SENDING
    under that claim change. Returns how many."""
    if not journal:
        return 0
    rows = await queries.recover_email_claims(
        tenant_id=tenant_id,
        ids=[j[0] for j in journal],
        attempts=[j[1] for j in journal],
        states=[j[2] for j in journal],
        uncertain=UNCERTAIN,
    )
    return len(rows)


def prepare(row: dict[str, Any], *, tenant_id: int, settings: Settings) -> EmailMessage | Result:
    """The message for one claimed delivery, or why it cannot be sent (FAILED)."""
    if not row["is_active"]:
        return Result(Outcome.FAILED, "login deactivated")
    payload = row["payload"]
    body = payload.get("body") or ""
    if row["kind"] == ACTIVATION_KIND:
        if not row["no_password"]:
            return Result(Outcome.FAILED, "already activated: the login has a password")
        # Made now, for this recipient: the token is never stored or logged.
        link = activation_link(
            settings, tenant_id=tenant_id, user_id=row["user_id"], version=row["token_version"]
        )
        body = body.replace(ACTIVATION_PLACEHOLDER, link)
    url = absolute_link(payload.get("link"), settings.public_url or "")
    text = body + (f"\n\nBuka di aplikasi Kinerja: {url}" if url else "") + footer(row["region"])
    try:
        return compose(
            settings,
            to_name=row["name"],
            to_addr=row["email"],
            subject=payload.get("subject") or "Pemberitahuan Kinerja",
            text=text,
            key=f"kinerja.{tenant_id}.{row['id']}",
        )
    except InvalidRecipient as exc:
        return Result(Outcome.FAILED, str(exc)[:500])


async def send_due_emails(
    *,
    tenant_id: int,
    settings: Settings,
    scope: Scope = Scope(),
    transport: Transport | None = None,
    journal: Journal | None = None,
) -> SendReport:
    """Sends every due delivery of `scope` in batches over one connection, each batch
    claimed and recorded in its own tenant transaction. Stops at the first batch where the
    server is down (its rest is retried later), or when nothing due is left."""
    report = SendReport()
    transport = transport or transport_for(settings)
    if transport is None:
        warn_no_transport(tenant_id)
        report.held = True
        return report
    batch = settings.email_batch_size
    connection: Connection | None = None
    down: TransportDown | None = None
    try:
        while down is None:
            async with tenant_transaction(tenant_id):
                rows = await claim_due(tenant_id=tenant_id, scope=scope, limit=batch)
            if not rows:
                break
            if journal is not None:
                await journal.claimed([(r["id"], r["attempts"]) for r in rows])
            results: dict[int, Result] = {}
            for row in rows:
                message = prepare(row, tenant_id=tenant_id, settings=settings)
                if isinstance(message, Result):
                    results[row["id"]] = message
                    continue
                try:
                    if down is not None:
                        raise down
                    if connection is None:
                        connection = await transport.connect()
                    if journal is not None:
                        await journal.sending(row["id"])
                    results[row["id"]] = await connection.send(message)
                    if journal is not None and results[row["id"]].outcome is Outcome.SENT:
                        await journal.sent(row["id"])
                except TransportDown as exc:
                    if down is None:
                        log.warning("e-mail of region %s: %s", tenant_id, exc)
                    down = exc
                    results[row["id"]] = Result(Outcome.RETRY, str(exc)[:500])
            async with tenant_transaction(tenant_id):
                await record_outcomes(
                    tenant_id=tenant_id,
                    claimed=[(r["id"], r["attempts"]) for r in rows],
                    results=results,
                    settings=settings,
                    report=report,
                )
            if journal is not None:
                await journal.settled()
            if len(rows) < batch:
                break
    finally:
        if connection is not None:
            await connection.close()
    return report


async def release_stale_claims(*, tenant_id: int, settings: Settings) -> int:
    """SENDING claims older than `email_claim_timeout_minutes` belong to a worker that
    stopped: back to PENDING (DEAD after the last attempt). In the current transaction."""
    rows = await queries.release_stale_email_claims(
        tenant_id=tenant_id,
        max_attempts=settings.email_max_attempts,
        timeout_minutes=settings.email_claim_timeout_minutes,
    )
    return len(rows)
