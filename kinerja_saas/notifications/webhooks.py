"""A region's webhook endpoints, their delivery log, and sending one signed POST.

Endpoints are the region admin's: each takes some notification kinds (none listed: every
kind) and has a secret, shown only when it is created or rotated, that signs each POST
(docs/webhooks.md). `fanout.queue_webhooks` writes one PENDING delivery per event and
endpoint; a job then claims it, sends it and records the outcome, with no transaction
open during the HTTP call:

    PENDING --claim--> SENDING --2xx--> SENT
                               --4xx--> FAILED  (refused for good; 408 and 429 are retried)
                               --5xx, timeout, network error--> PENDING (after a backoff)
                                                                or DEAD after the last attempt
    FAILED, DEAD, SENT --redeliver--> PENDING (a new round of attempts; the count goes on)

A claim names its attempt number, so a re-run or a concurrent job of the same attempt finds
nothing to claim and sends nothing. A claim left SENDING by a worker that died is taken
again by a job of the same attempt once it is older than the HTTP timeout and a margin.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import ipaddress
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from kinerja_saas import logs
from kinerja_saas.audit.service import record, snapshot
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, ValidationFailed
from kinerja_saas.notifications import queries
from kinerja_saas.notifications.errors import NotificationError
from kinerja_saas.notifications.events import WEBHOOK_REDELIVERY
from kinerja_saas.notifications.kinds import BY_NAME
from kinerja_saas.notifications.models import DeliveryStatus, WebhookEndpoint
from kinerja_saas.outbox.service import emit
from tenants.context import current_tenant_id

MAX_ENDPOINTS = 20  # per region: each endpoint adds a delivery to every event it takes
MAX_NAME = 200
MAX_URL = 1000
RESOLVE_TIMEOUT_SECONDS = 5.0
SECRET_PREFIX = "whsec_"
MAX_ERROR = 300  # characters of last_error
RESPONSE_SNIPPET = 200  # bytes of a refusing response's body kept in last_error
STALE_CLAIM_MARGIN_SECONDS = 60.0  # beyond the HTTP timeout, before a claim counts as dead
REDELIVERY_TOPIC = WEBHOOK_REDELIVERY  # outbox: starts the new round's job
USER_AGENT = "Kinerja-Webhooks/1"
log = logs.get_logger("kinerja.webhooks")
AUDIT_FIELDS = ("name", "url", "kinds", "is_active")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # an update argument that was not given


def _require_admin(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


# --- validation ------------------------------------------------------------------------------


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_net = ipaddress.ip_network

# Where a webhook may never go (RFC 6890 and the IANA special-purpose registries), by kind;
# what is not listed must still be globally routable by Python's own table. IPv6 forms
# that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that address.
_V4_REFUSED = (
    (_net("0.0.0.0/8"), "tidak ditentukan"),
    (_net("10.0.0.0/8"), "jaringan privat"),
    (_net("100.64.0.0/10"), "CGNAT"),
    (_net("127.0.0.0/8"), "loopback"),
    (_net("169.254.0.0/16"), "link-local"),
    (_net("172.16.0.0/12"), "jaringan privat"),
    (_net("192.0.0.0/24"), "khusus IETF"),
    (_net("192.0.2.0/24"), "dokumentasi"),
    (_net("192.88.99.0/24"), "relai 6to4"),
    (_net("192.168.0.0/16"), "jaringan privat"),
    (_net("198.18.0.0/15"), "uji kinerja"),
    (_net("198.51.100.0/24"), "dokumentasi"),
    (_net("203.0.113.0/24"), "dokumentasi"),
    (_net("224.0.0.0/4"), "multicast"),
    (_net("240.0.0.0/4"), "dicadangkan"),
)
_V6_REFUSED = (
    (_net("::/128"), "tidak ditentukan"),
    (_net("::1/128"), "loopback"),
    (_net("::/96"), "IPv4-compatible (usang)"),
    (_net("::ffff:0:0:0/96"), "IPv4-translated"),
    (_net("64:ff9b:1::/48"), "NAT64 lokal"),
    (_net("100::/64"), "discard"),
    (_net("2001::/32"), "Teredo"),
    (_net("2001:2::/48"), "uji kinerja"),
    (_net("2001:10::/28"), "ORCHID"),
    (_net("2001:20::/28"), "ORCHID"),
    (_net("2001:db8::/32"), "dokumentasi"),
    (_net("3fff::/20"), "dokumentasi"),
    (_net("5f00::/16"), "SRv6"),
    (_net("fc00::/7"), "unique-local"),
    (_net("fe80::/10"), "link-local"),
    (_net("fec0::/10"), "site-local"),
    (_net("ff00::/8"), "multicast"),
)
_NAT64 = _net("64:ff9b::/96")
_SIX_TO_FOUR = _net("2002::/16")


def refusal(ip: IPAddress) -> str | None:
    """Why a webhook may not go to `ip` (a kind, in Indonesian), or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return refusal(ip.ipv4_mapped)
        if ip in _NAT64:
            return refusal(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _SIX_TO_FOUR and ip.sixtofour is not None:
            return refusal(ip.sixtofour)
        table: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = _V6_REFUSED
    else:
        table = _V4_REFUSED
    for network, kind in table:
        if ip in network:
            return kind
    return None if ip.is_global else "dicadangkan"


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address of `host` (an IP literal is its own), in the resolver's order. The
    one hook for tests, which make a name resolve as they need (DNS rebinding)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in found:
            found.append(address)
    return found


async def check_url(errors: ErrorCollector, url: str, *, allow_private: bool) -> str:
    """The URL as stored (scheme lower-cased); problems go to `errors` under `url`."""
    text = (url or "").strip()
    if not text:
        errors.add("url", CommonError.REQUIRED)
        return text
    if len(text) > MAX_URL:
        errors.add("url", CommonError.TOO_LONG, max=MAX_URL)
        return text
    if any(c.isspace() or ord(c) < 32 for c in text):
        errors.add("url", NotificationError.URL_INVALID)
        return text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        errors.add("url", NotificationError.URL_SCHEME)
        return text
    text = scheme + text[len(parts.scheme) :]
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        errors.add("url", NotificationError.URL_INVALID)
        return text
    if not host:
        errors.add("url", NotificationError.URL_HOST)
        return text
    if allow_private:
        return text
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            addresses = await resolve_host(host, port or (443 if scheme == "https" else 80))
    except (OSError, UnicodeError, TimeoutError):
        errors.add("url", NotificationError.URL_UNRESOLVABLE, host=host)
        return text
    kinds = sorted({k for k in map(refusal, addresses) if k is not None})
    if kinds or not addresses:
        # The kind, not the address: what a name resolves to inside the platform's
        # network is not the admin's to learn.
        errors.add("url", NotificationError.URL_NOT_PUBLIC, host=host, kinds=kinds)
    return text


def _check_name(errors: ErrorCollector, name: str) -> str:
    text = (name or "").strip()
    if not text:
        errors.add("name", CommonError.REQUIRED)
    elif len(text) > MAX_NAME:
        errors.add("name", CommonError.TOO_LONG, max=MAX_NAME)
    return text


def _check_kinds(errors: ErrorCollector, kinds: list[str]) -> list[str]:
    """Known kinds, each once, in the order given; an unknown one is named in its error."""
    clean: list[str] = []
    for n, kind in enumerate(kinds):
        name = (kind or "").strip()
        if name not in BY_NAME:
            errors.add(f"kinds[{n}]", NotificationError.UNKNOWN_KIND, kind=kind)
        elif name not in clean:
            clean.append(name)
    return clean


# --- endpoints -------------------------------------------------------------------------------


async def list_endpoints(*, actor: Actor) -> list[WebhookEndpoint]:
    _require_admin(actor)
    return await scoped(WebhookEndpoint).order_by("id")


async def _endpoint(endpoint_id: int | None) -> WebhookEndpoint:
    """Locked for the change; another region's id is not found."""
    endpoint = (
        await scoped(WebhookEndpoint).filter(id=endpoint_id).select_for_update().first()
        if endpoint_id is not None
        else None
    )
    if endpoint is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    return endpoint


async def create_endpoint(
    *, actor: Actor, name: str, url: str, kinds: list[str], allow_private: bool
) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its secret, which is never shown again."""
    _require_admin(actor)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    name = _check_name(errors, name)
    url = await check_url(errors, url, allow_private=allow_private)
    kinds = _check_kinds(errors, kinds)
    if await scoped(WebhookEndpoint).count() >= MAX_ENDPOINTS:
        errors.add(None, NotificationError.ENDPOINTS_LIMIT, max=MAX_ENDPOINTS)
    errors.raise_if_any()
    secret = new_secret()
    endpoint = await WebhookEndpoint.create(
        tenant_id=tenant_id, name=name, url=url, kinds=kinds, secret=secret
    )
    await record(
        actor=actor,
        action="webhook.endpoint_created",
        entity="webhook_endpoint",
        entity_id=endpoint.id,
        after=snapshot(endpoint, AUDIT_FIELDS),
    )
    return endpoint, secret


async def update_endpoint(
    *,
    actor: Actor,
    endpoint_id: int | None,
    allow_private: bool,
    name: Any = UNSET,
    url: Any = UNSET,
    kinds: Any = UNSET,
    is_active: Any = UNSET,
) -> WebhookEndpoint:
    """Changes what is given. Deliveries still pending go to the new URL; those of a
    deactivated endpoint fail when their turn comes (and can be redelivered later)."""
    _require_admin(actor)
    endpoint = await _endpoint(endpoint_id)
    before = snapshot(endpoint, AUDIT_FIELDS)
    errors = ErrorCollector()
    if name is not UNSET:
        endpoint.name = _check_name(errors, name)
    if url is not UNSET and url != endpoint.url:
        endpoint.url = await check_url(errors, url, allow_private=allow_private)
    if kinds is not UNSET:
        endpoint.kinds = _check_kinds(errors, kinds or [])
    if is_active is not UNSET:
        if is_active is None:
            errors.add("isActive", CommonError.REQUIRED)
        else:
            endpoint.is_active = bool(is_active)
    errors.raise_if_any()
    after = snapshot(endpoint, AUDIT_FIELDS)
    if after != before:
        await endpoint.save_fields(*AUDIT_FIELDS)
        await record(
            actor=actor,
            action="webhook.endpoint_updated",
            entity="webhook_endpoint",
            entity_id=endpoint.id,
            before=before,
            after=after,
        )
    return endpoint


async def rotate_secret(*, actor: Actor, endpoint_id: int | None) -> tuple[WebhookEndpoint, str]:
    """A new secret at once (the old one stops signing); returned only now."""
    _require_admin(actor)
    endpoint = await _endpoint(endpoint_id)
    endpoint.secret = new_secret()
    await endpoint.save_fields("secret")
    await record(
        actor=actor,
        action="webhook.secret_rotated",
        entity="webhook_endpoint",
        entity_id=endpoint.id,
    )
    return endpoint, endpoint.secret


async def delete_endpoint(*, actor: Actor, endpoint_id: int | None) -> int:
    """Deletes the endpoint with its delivery log (foreign key ON DELETE CASCADE); jobs
    still queued for it find nothing to send. To keep the log, deactivate it instead."""
    _require_admin(actor)
    endpoint = await _endpoint(endpoint_id)
    before = snapshot(endpoint, AUDIT_FIELDS)
    # not endpoint.delete(): that deletes by id alone (docs/scaling.md)
    await WebhookEndpoint.filter(tenant_id=endpoint.tenant_id, id=endpoint.id).delete()
    await record(
        actor=actor,
        action="webhook.endpoint_deleted",
        entity="webhook_endpoint",
        entity_id=endpoint.id,
        before=before,
    )
    return endpoint.id


# --- the delivery log ------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointInfo:
    """An endpoint's public fields (never its secret), read with its deliveries."""

    id: int
    name: str
    url: str
    kinds: list[str]
    is_active: bool
    training_unit_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event_id: int
    kind: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    response_status: int | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime
    body: dict[str, Any]  # exactly what is POSTed
    endpoint: EndpointInfo


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def body_of(
    *, delivery_id: int, payload: dict[str, Any], region: str, created_at: datetime
) -> dict[str, Any]:
    """The JSON body of a delivery; the same for every attempt."""
    stamp = created_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "id": delivery_id,
        "event_id": payload["event_id"],
        "kind": payload["kind"],
        "topic": payload["topic"],
        "region": region,
        "created_at": stamp,
        "data": payload["data"],
    }


def _delivery_row(r: dict[str, Any]) -> DeliveryRow:
    return DeliveryRow(
        id=r["id"],
        event_id=r["event_id"],
        kind=r["kind"],
        status=DeliveryStatus(r["status"]),
        attempts=r["attempts"],
        next_attempt_at=r["next_attempt_at"],
        last_error=r["last_error"],
        response_status=r["response_status"],
        sent_at=r["sent_at"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        body=body_of(
            delivery_id=r["id"],
            payload=_json(r["payload"]),
            region=r["region"],
            created_at=r["created_at"],
        ),
        endpoint=EndpointInfo(
            id=r["w_id"],
            name=r["w_name"],
            url=r["w_url"],
            kinds=_json(r["w_kinds"]),
            is_active=r["w_is_active"],
            training_unit_id=r["w_training_unit_id"],
            created_at=r["w_created_at"],
            updated_at=r["w_updated_at"],
        ),
    )


WEBHOOK_STATUSES = tuple(s for s in DeliveryStatus if s is not DeliveryStatus.DIGEST)


async def list_deliveries(
    *,
    actor: Actor,
    limit: int,
    before_id: int | None = None,
    endpoint_id: int | None = None,
    status: DeliveryStatus | None = None,
    kind: str | None = None,
) -> list[DeliveryRow]:
    """Newest first, keyset by id, with their endpoints, in one statement; one more row
    than asked tells whether more follow. An unknown endpoint or kind is an error."""
    _require_admin(actor)
    errors = ErrorCollector()
    if kind is not None and kind not in BY_NAME:
        errors.add("filter.kind", NotificationError.UNKNOWN_KIND, kind=kind)
    errors.raise_if_any()
    if (
        endpoint_id is not None
        and not await scoped(WebhookEndpoint).filter(id=endpoint_id).exists()
    ):
        raise NotFound(CommonError.NOT_FOUND, field="filter.endpointId")
    rows = await queries.webhook_delivery_log(
        endpoint_id=endpoint_id,
        status=status.value if status else None,
        kind=kind,
        before_id=before_id,
        delivery_id=None,
        limit=limit + 1,
    )
    return [_delivery_row(r) for r in rows]


async def get_delivery(*, actor: Actor, delivery_id: int) -> DeliveryRow | None:
    _require_admin(actor)
    rows = await queries.webhook_delivery_log(
        endpoint_id=None, status=None, kind=None, before_id=None, delivery_id=delivery_id, limit=1
    )
    return _delivery_row(rows[0]) if rows else None


async def redeliver(*, actor: Actor, delivery_id: int | None) -> DeliveryRow:
    """Sends a SENT, FAILED or DEAD delivery again: back to PENDING for a new round of
    attempts, numbered on from the log's count, whose job the outbox starts after commit."""
    _require_admin(actor)
    rows = await queries.lock_webhook_delivery(delivery_id=delivery_id)
    if not rows:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    previous, attempts, active = (
        DeliveryStatus(rows[0]["status"]),
        rows[0]["attempts"],
        rows[0]["is_active"],
    )
    if previous not in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.DEAD):
        raise ValidationFailed.one("id", NotificationError.NOT_REDELIVERABLE, status=previous.value)
    if not active:
        raise ValidationFailed.one("id", NotificationError.ENDPOINT_INACTIVE)
    await queries.mark_webhook_delivery_pending(delivery_id=delivery_id)
    await emit(REDELIVERY_TOPIC, {"delivery_id": delivery_id, "attempt": attempts + 1})
    await record(
        actor=actor,
        action="webhook.redelivered",
        entity="notification_delivery",
        entity_id=delivery_id,
        before={"status": previous.value},
        after={"status": DeliveryStatus.PENDING.value},
    )
    assert delivery_id is not None  # the delivery was found by it above
    row = await get_delivery(actor=actor, delivery_id=delivery_id)
    assert row is not None
    return row


# --- sending ---------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Kinerja-Signature header: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    attempt: int
    url: str
    secret: str
    kind: str
    body: bytes


@dataclass(frozen=True)
class NotClaimed:
    """What the delivery is now (None: gone, e.g. its endpoint was deleted)."""

    status: DeliveryStatus | None
    attempts: int | None
    next_attempt_at: datetime | None


async def claim_delivery(
    *, delivery_id: int, attempt: int, stale_after_seconds: float
) -> Claimed | NotClaimed:
    """PENDING at attempt-1 (or left SENDING at this attempt by a job that died) becomes
    SENDING at `attempt`, in one statement that also reads the row as it was. Commit
    before sending. A delivery of an inactive endpoint fails here, counting the attempt."""
    rows = await queries.claim_webhook_delivery(
        delivery_id=delivery_id, attempt=attempt, stale_after_seconds=stale_after_seconds
    )
    r = rows[0]
    if r["id"] is not None:
        body = body_of(
            delivery_id=r["id"],
            payload=_json(r["payload"]),
            region=r["region"],
            created_at=r["created_at"],
        )
        return Claimed(
            delivery_id=r["id"],
            attempt=attempt,
            url=r["url"],
            secret=r["secret"],
            kind=r["kind"],
            body=orjson.dumps(body),
        )
    status = DeliveryStatus(r["status"]) if r["status"] else None
    if status is DeliveryStatus.PENDING and r["attempts"] == attempt - 1 and not r["is_active"]:
        await queries.fail_webhook_delivery_of_inactive_endpoint(
            delivery_id=delivery_id, attempt=attempt
        )
        return NotClaimed(DeliveryStatus.FAILED, attempt, None)
    return NotClaimed(status, r["attempts"], r["next_attempt_at"])


@dataclass(frozen=True)
class Outcome:
    """What the receiver answered (status None: no answer: timeout or network error).
    `error` is what the admin reads in lastError: a status and a short Indonesian reason,
    at most RESPONSE_SNIPPET characters of the receiver's own body, never a local
    exception's text. `refused`: not sent, the address is not public (not retried)."""

    response_status: int | None
    error: str | None = None
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300

    @property
    def retryable(self) -> bool:
        """No answer, a server error, 408 Request Timeout or 429 Too Many Requests: the
        receiver may take it later. Any other answer (4xx, or a 3xx: redirects are not
        followed) is a refusal that repeating would not change; so is an address that
        is not public."""
        if self.refused:
            return False
        code = self.response_status
        return code is None or code >= 500 or code in (408, 429)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle per POST costs milliseconds."""
    return ssl.create_default_context()


def _short(text: str, secret: str) -> str:
    text = " ".join(text.replace(secret, "[secret]").split())
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")  # decimal comma


def _network_reason(exc: BaseException | None) -> str:
    """A short reason for what went wrong on the way; the exception itself is logged."""
    chain: list[BaseException] = []
    while exc is not None and len(chain) < 5:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain):
        return "sertifikat TLS penerima tidak sah untuk host ini"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "jabat tangan TLS dengan penerima gagal"
    if any(isinstance(e, httpx.ConnectError | ConnectionRefusedError) for e in chain):
        return "tidak dapat terhubung ke penerima"
    if any(isinstance(e, httpx.RemoteProtocolError | httpx.LocalProtocolError) for e in chain):
        return "jawaban penerima bukan HTTP yang sah"
    return "galat jaringan"


async def post_delivery(
    claim: Claimed,
    *,
    timeout_seconds: float,
    allow_private: bool = False,
    now: float | None = None,
) -> Outcome:
    """POSTs the signed body once; never raises for what the network or receiver does.
    `timeout_seconds` bounds the whole exchange, resolving included.

    The host is resolved here, at every attempt, and every address it has is checked
    (unless private targets are allowed: dev and test); the connection then goes to an
    address that was checked, never to a fresh lookup, with the URL's own Host header and,
    for https, its name for SNI and the certificate check. So a name that points somewhere
    public when saved and inside when delivered (DNS rebinding) is refused. Redirects are
    not followed."""
    timestamp = int(time.time() if now is None else now)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Kinerja-Delivery": str(claim.delivery_id),
        "X-Kinerja-Event": claim.kind,
        "X-Kinerja-Signature": signature(claim.secret, timestamp, claim.body),
    }
    try:
        async with asyncio.timeout(timeout_seconds):
            return await _post_pinned(claim, headers, timeout_seconds, allow_private)
    except TimeoutError:
        return Outcome(None, f"Tidak ada jawaban dalam {_seconds(timeout_seconds)} detik.")


async def _post_pinned(
    claim: Claimed, headers: dict[str, str], timeout_seconds: float, allow_private: bool
) -> Outcome:
    try:
        url = httpx.URL(claim.url)
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await resolve_host(host, port)
    except (OSError, UnicodeError, httpx.InvalidURL, ValueError):
        return Outcome(None, "Tidak dikirim: host tidak dapat di-resolve.")
    if not addresses:
        return Outcome(None, "Tidak dikirim: host tidak dapat di-resolve.")
    if not allow_private:
        kinds = sorted({k for k in map(refusal, addresses) if k is not None})
        if kinds:
            return Outcome(
                None,
                f"Tidak dikirim: host menunjuk ke alamat yang tidak publik ({', '.join(kinds)}).",
                refused=True,
            )
    headers = {**headers, "Host": url.netloc.decode("ascii")}
    literal = _is_literal(host)
    failure: BaseException | None = None
    async with httpx.AsyncClient(
        timeout=timeout_seconds, follow_redirects=False, verify=_tls(), trust_env=False
    ) as client:
        for address in addresses:  # in the resolver's order, each one checked above
            extensions = {"sni_hostname": host} if url.scheme == "https" and not literal else {}
            try:
                async with client.stream(
                    "POST",
                    url.copy_with(host=str(address)),
                    content=claim.body,
                    headers=headers,
                    extensions=extensions,
                ) as response:
                    return await _answer(response, claim.secret)
            except httpx.ConnectError as exc:  # the next address may take it
                failure = exc
            except httpx.TimeoutException:
                return Outcome(None, f"Tidak ada jawaban dalam {_seconds(timeout_seconds)} detik.")
            except (httpx.HTTPError, OSError) as exc:
                failure = exc
                break
    log.info(
        "webhook delivery failed on the network",
        delivery=claim.delivery_id,
        error=type(failure).__name__,
    )
    return Outcome(None, f"Tidak terkirim: {_network_reason(failure)}.")


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _answer(response: httpx.Response, secret: str) -> Outcome:
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(code)
    if 300 <= code < 400:
        return Outcome(code, f"HTTP {code}: pengalihan (redirect) tidak diikuti.")
    snippet = b""
    async for chunk in response.aiter_bytes():
        snippet += chunk
        if len(snippet) >= RESPONSE_SNIPPET:
            break
    reason = "penerima menolak" if code < 500 else "penerima mengalami galat"
    text = snippet[:RESPONSE_SNIPPET].decode("utf-8", "replace")
    body = _short(text, secret)[:RESPONSE_SNIPPET]
    return Outcome(code, f"HTTP {code}: {reason}" + (f". Jawaban: {body}" if body else "."))


@dataclass(frozen=True)
class Decision:
    status: DeliveryStatus
    retry_in: float | None = None  # seconds, when PENDING again


def backoff_seconds(round_attempt: int, *, base: float, cap: float) -> float:
    """Wait before retry n of a round (n = 1 after the first attempt): base × 4^(n-1)."""
    return min(base * 4 ** (round_attempt - 1), cap)


def decide(
    outcome: Outcome,
    *,
    attempt: int,
    first_attempt: int,
    max_attempts: int,
    backoff_base: float,
    backoff_max: float,
) -> Decision:
    if outcome.delivered:
        return Decision(DeliveryStatus.SENT)
    if not outcome.retryable:
        return Decision(DeliveryStatus.FAILED)
    made = attempt - first_attempt + 1  # in this round (a redelivery starts a new one)
    if made >= max_attempts:
        return Decision(DeliveryStatus.DEAD)
    return Decision(
        DeliveryStatus.PENDING, backoff_seconds(made, base=backoff_base, cap=backoff_max)
    )


async def record_outcome(claim: Claimed, outcome: Outcome, decision: Decision) -> datetime | None:
    """Stores the outcome if the claim still holds; returns when the next attempt is due."""
    rows = await queries.record_webhook_outcome(
        delivery_id=claim.delivery_id,
        attempt=claim.attempt,
        status=decision.status.value,
        response_status=outcome.response_status,
        error=None if outcome.delivered else outcome.error,
        retry_in=decision.retry_in,
    )
    return rows[0]["next_attempt_at"] if rows else None


# A due attempt whose job has not claimed it this long after its due time lost its job
# (Redis lost it, or the job that should have enqueued it died first).
STRANDED_AFTER_SECONDS = 120.0


@dataclass(frozen=True)
class Stranded:
    delivery_id: int
    attempt: int  # the attempt to run: the next one, or the stale claim's own
    first_attempt: int  # where its round began, as far as the row tells


async def stranded_deliveries(
    *, max_attempts: int, stale_claim_seconds: float, limit: int = 1000
) -> list[Stranded]:
    """The current region's webhook deliveries that wait for a job nobody will run: PENDING
    and overdue, or SENDING with a claim older than a send can take (its worker died).
    One statement. The round's start is not stored: rounds are assumed to be whole
    (`max_attempts` each), so a recovered attempt never gets more than its round allows."""
    rows = await queries.stranded_webhook_deliveries(
        pending_after_seconds=STRANDED_AFTER_SECONDS,
        stale_claim_seconds=stale_claim_seconds,
        limit=limit,
    )
    found = []
    for r in rows:
        attempt = r["attempts"] + 1 if r["status"] == "PENDING" else r["attempts"]
        first = attempt - (attempt - 1) % max_attempts
        found.append(Stranded(r["id"], attempt, first))
    return found
