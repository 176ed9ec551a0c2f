"""The daily digest: one e-mail per user who chose it, listing their DIGEST deliveries.

A run takes the latest digest time of the region (`email_digest_hour` in the region's own
time zone) at or before now, the *cutoff*. A user is claimed by moving
`notification_settings.last_digest_at` past the cutoff (set-based, `FOR UPDATE SKIP
LOCKED`, committed before sending), so of two workers or two runs exactly one sends a
user's digest of that day; it lists the user's DIGEST deliveries created before the
cutoff, and those are marked SENT. A transient failure hands the claim back (the previous
`last_digest_at`), so a retry of the run sends it; after `email_max_attempts` the
deliveries are DEAD.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from kinerja_saas.notifications import queries
from kinerja_saas.notifications.email import (
    ACTIVATION_KIND,
    ACTIVATION_PLACEHOLDER,
    InvalidRecipient,
    Outcome,
    Result,
    Transport,
    TransportDown,
    absolute_link,
    activation_link,
    compose,
    footer,
    transport_for,
    warn_no_transport,
)
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction
from tenants.models import Tenant

log = logging.getLogger("kinerja.email")


def digest_cutoff(now: datetime, zone: str, hour: int) -> datetime:
    """The latest `hour` o'clock in `zone` at or before `now` (Indonesia has no DST)."""
    local = now.astimezone(ZoneInfo(zone))
    cut = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if cut > local:
        cut -= timedelta(days=1)
    return cut.astimezone(UTC)


def retry_delay(settings: Settings, attempts: int) -> float:
    """The same backoff as single e-mails: base × 4^(attempts − 1), capped."""
    return float(
        min(
            settings.email_retry_base_seconds * 4 ** max(attempts - 1, 0),
            settings.email_retry_max_seconds,
        )
    )


@dataclass
class DigestReport:
    emails: int = 0  # digests sent
    items: int = 0  # deliveries they listed
    failed: int = 0  # deliveries FAILED
    retry: int = 0  # deliveries kept for a retry of the run
    dead: int = 0
    retry_attempt: int | None = None  # fewest attempts among those to retry
    held: bool = False
    cutoff: datetime | None = None
    users: list[int] = field(default_factory=list)  # whose digest went out

    def as_dict(self) -> dict[str, Any]:
        out = {
            "emails": self.emails,
            "items": self.items,
            "failed": self.failed,
            "retry": self.retry,
            "dead": self.dead,
        }
        return {**out, "held": True} if self.held else out


def _item_text(n: int, item: dict[str, Any], body: str, public_url: str) -> str:
    payload = item["payload"]
    lines = [f"{n}. {' '.join((payload.get('subject') or '').split())}"]
    lines += [f"   {line}" if line else "" for line in body.splitlines()]
    url = absolute_link(payload.get("link"), public_url)
    if url:
        lines.append(f"   {url}")
    return "\n".join(lines)


def build_digest(
    row: dict[str, Any], *, tenant_id: int, region: str, settings: Settings, cutoff: datetime
) -> tuple[Any, dict[int, Result]]:
    """The digest message of one claimed user (or None), and the outcome of items that
    cannot go in it (an activation of a login that has a password meanwhile)."""
    results: dict[int, Result] = {}
    if not row["is_active"]:
        return None, {
            item["id"]: Result(Outcome.FAILED, "login deactivated") for item in row["items"]
        }
    parts: list[str] = []
    for item in row["items"]:
        body = item["payload"].get("body") or ""
        if item["kind"] == ACTIVATION_KIND:
            if not row["no_password"]:
                results[item["id"]] = Result(
                    Outcome.FAILED, "already activated: the login has a password"
                )
                continue
            link = activation_link(
                settings, tenant_id=tenant_id, user_id=row["user_id"], version=row["token_version"]
            )
            body = body.replace(ACTIVATION_PLACEHOLDER, link)
        parts.append(_item_text(len(parts) + 1, item, body, settings.public_url or ""))
    if not parts:
        return None, results
    text = (
        f"Yth. {row['name']},\n\nberikut {len(parts)} pemberitahuan untuk Anda dari aplikasi "
        f"Kinerja {region}:\n\n"
        + "\n\n".join(parts)
        + "\n\nAnda menerima ringkasan harian ini karena memilih satu e-mail ringkasan per "
        "hari. Pilihan ini dapat diubah pada pengaturan notifikasi di aplikasi." + footer(region)
    )
    day = cutoff.strftime("%Y%m%d")
    try:
        message = compose(
            settings,
            to_name=row["name"],
            to_addr=row["email"],
            subject=f"Ringkasan harian Kinerja {region}: {len(parts)} pemberitahuan",
            text=text,
            key=f"kinerja-digest.{tenant_id}.{row['user_id']}.{day}",
        )
    except InvalidRecipient as exc:
        failed = Result(Outcome.FAILED, str(exc)[:500])
        return None, {
            **results,
            **{i["id"]: failed for i in row["items"] if i["id"] not in results},
        }
    return message, results


async def send_digests(
    *,
    tenant_id: int,
    settings: Settings,
    now: datetime | None = None,
    transport: Transport | None = None,
) -> DigestReport:
    """Sends the region's digests due at the latest digest time before `now`."""
    report = DigestReport()
    transport = transport or transport_for(settings)
    if transport is None:
        warn_no_transport(tenant_id)
        report.held = True
        return report
    connection = None
    down: TransportDown | None = None
    batch = settings.email_batch_size
    try:
        while down is None:
            async with tenant_transaction(tenant_id):
                region = await Tenant.get(id=tenant_id)
                cutoff = digest_cutoff(
                    now or datetime.now(UTC), region.timezone.value, settings.email_digest_hour
                )
                report.cutoff = cutoff
                rows = await queries.claim_digests(tenant_id=tenant_id, cutoff=cutoff, batch=batch)
            if not rows:
                break
            results: dict[int, Result] = {}
            handed_back: list[dict[str, Any]] = []
            for row in rows:
                if isinstance(row["items"], str):
                    row["items"] = orjson.loads(row["items"])
                for item in row["items"]:
                    if isinstance(item["payload"], str):
                        item["payload"] = orjson.loads(item["payload"])
                message, own = build_digest(
                    row, tenant_id=tenant_id, region=region.name, settings=settings, cutoff=cutoff
                )
                results.update(own)
                if message is None:
                    continue
                listed = [i["id"] for i in row["items"] if i["id"] not in own]
                try:
                    if down is not None:
                        raise down
                    if connection is None:
                        connection = await transport.connect()
                    result = await connection.send(message)
                except TransportDown as exc:
                    if down is None:
                        log.warning("digest of region %s: %s", tenant_id, exc)
                    down = exc
                    result = Result(Outcome.RETRY, str(exc)[:500])
                results.update(dict.fromkeys(listed, result))
                if result.outcome is Outcome.SENT:
                    report.emails += 1
                    report.items += len(listed)
                    report.users.append(row["user_id"])
                elif result.outcome is Outcome.RETRY:
                    handed_back.append(row)
            async with tenant_transaction(tenant_id):
                await _record(tenant_id, results, handed_back, settings, report)
            if len(rows) < batch:
                break
    finally:
        if connection is not None:
            await connection.close()
    return report


async def _record(
    tenant_id: int,
    results: dict[int, Result],
    handed_back: list[dict[str, Any]],
    settings: Settings,
    report: DigestReport,
) -> None:
    ids = list(results)
    rows = await queries.record_digest_outcomes(
        tenant_id=tenant_id,
        ids=ids,
        outcomes=[results[i].outcome.value for i in ids],
        errors=[results[i].error for i in ids],
        codes=[results[i].code for i in ids],
        max_attempts=settings.email_max_attempts,
        handed_back_users=[r["user_id"] for r in handed_back],
        previous=[r["previous"] for r in handed_back],
        claimed_at=[r["claimed_at"] for r in handed_back],
    )
    for row in rows:
        if row["status"] == "FAILED":
            report.failed += row["n"]
        elif row["status"] == "DEAD":
            report.dead += row["n"]
        elif row["status"] == "DIGEST":
            report.retry += row["n"]
            if report.retry_attempt is None or row["attempts"] < report.retry_attempt:
                report.retry_attempt = row["attempts"]
