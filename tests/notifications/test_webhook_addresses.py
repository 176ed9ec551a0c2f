"""Where a webhook may go: every resolved address checked against a table of non-public
ranges (IPv6 forms that embed an IPv4 address judged by it), at save time and again at
every delivery; the connection goes to the address that was checked (DNS rebinding, Host
header and TLS name kept); lastError is a status and a short Indonesian reason; a retry
whose job Redis lost is recovered by the sweep."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import uvicorn
from arq.jobs import Job, JobStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kinerja_saas.errors import ErrorCollector
from kinerja_saas.notifications import webhooks
from kinerja_saas.notifications.models import DeliveryStatus
from tests.notifications import test_webhooks as base
from tests.notifications.helpers import queue_webhook_deliveries, webhook_endpoint
from tests.workers.test_jobs import drain
from workers.notifications.webhooks import deliver_webhook, sweep_webhooks

# The delivery tests' fixtures and helpers (a real receiver, the arq pool, tiny backoffs).
receiver, pool, hook_settings, quiet_endpoints = (
    base.receiver,
    base.pool,
    base.hook_settings,
    base.quiet_endpoints,
)
approved, delivery_row, job_ctx = base.approved, base.delivery_row, base.job_ctx

# (address, refused?) — the table behind docs/security.md's figures.
ADDRESSES = [
    # IPv4: loopback, private, link-local (cloud metadata), CGNAT, this network, IETF,
    # documentation, benchmarking, 6to4 relay, multicast, reserved, broadcast
    ("127.0.0.1", True),
    ("127.255.255.254", True),
    ("10.0.0.1", True),
    ("172.16.0.1", True),
    ("172.31.255.255", True),
    ("192.168.1.10", True),
    ("169.254.169.254", True),
    ("100.64.0.1", True),
    ("100.127.255.254", True),
    ("0.0.0.0", True),
    ("0.1.2.3", True),
    ("192.0.0.8", True),
    ("192.0.0.170", True),
    ("192.0.2.1", True),
    ("198.51.100.7", True),
    ("203.0.113.5", True),
    ("198.18.0.1", True),
    ("198.19.255.255", True),
    ("192.88.99.1", True),
    ("224.0.0.1", True),
    ("239.255.255.250", True),
    ("240.0.0.1", True),
    ("255.255.255.255", True),
    # IPv6: unspecified, loopback, unique-local, link-local, site-local, multicast,
    # documentation (both), benchmarking, ORCHID, discard, Teredo, SRv6, deprecated forms
    ("::", True),
    ("::1", True),
    ("fc00::1", True),
    ("fd12:3456:789a::1", True),
    ("fe80::1", True),
    ("febf::1", True),
    ("fec0::1", True),
    ("ff02::1", True),
    ("ff0e::1", True),
    ("2001:db8::1", True),
    ("3fff::1", True),
    ("2001:2::1", True),
    ("2001:10::1", True),
    ("2001:20::1", True),
    ("100::1", True),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True),  # Teredo
    ("5f00::1", True),
    ("::1.2.3.4", True),  # IPv4-compatible (deprecated)
    ("::ffff:0:a00:1", True),  # IPv4-translated
    # IPv6 that embeds an IPv4 address: judged by it
    ("::ffff:127.0.0.1", True),
    ("::ffff:10.0.0.1", True),
    ("::ffff:169.254.169.254", True),
    ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254: passed the old filter
    ("64:ff9b::7f00:1", True),
    ("64:ff9b::a00:1", True),
    ("64:ff9b:1::a00:1", True),  # local-use NAT64 prefix: refused whatever it embeds
    ("64:ff9b:1::101:101", True),
    ("2002:7f00:1::1", True),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", True),
    ("2002:c0a8:101::1", True),
    # public: allowed
    ("1.1.1.1", False),
    ("8.8.8.8", False),
    ("93.184.216.34", False),
    ("100.63.255.255", False),
    ("100.128.0.1", False),
    ("172.32.0.1", False),
    ("2606:4700:4700::1111", False),
    ("2001:4860:4860::8888", False),
    ("::ffff:1.1.1.1", False),
    ("64:ff9b::101:101", False),  # NAT64 of 1.1.1.1 (a DNS64 network's public host)
    ("2002:101:101::1", False),  # 6to4 of 1.1.1.1
]


def _url(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}/hook"


@pytest.mark.parametrize(("address", "refused"), ADDRESSES)
async def test_the_address_table(address, refused):
    ip = ipaddress.ip_address(address)
    assert (webhooks.refusal(ip) is not None) is refused, webhooks.refusal(ip)
    errors = ErrorCollector()
    await webhooks.check_url(errors, _url(address), allow_private=False)
    assert [e.code for e in errors.errors] == (["URL_NOT_PUBLIC"] if refused else [])


def test_the_figures_in_the_docs():
    """docs/security.md states how many addresses the table tries and refuses."""
    from tests.conftest import ROOT

    tried, refused = len(ADDRESSES), sum(r for _, r in ADDRESSES)
    section = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    section = section.split("## Accounts and webhooks", 1)[1]
    assert f"{tried} addresses tried, {refused} refused" in section


def _claim(url: str, delivery_id: int = 1) -> webhooks.Claimed:
    return webhooks.Claimed(
        delivery_id=delivery_id,
        attempt=1,
        url=url,
        secret="rahasia",
        kind="PLAN_APPROVED",
        body=b'{"id": 1}',
    )


@pytest.fixture
def resolve(monkeypatch):
    """`resolve(name, *addresses)`: from now on `name` resolves to these addresses (the
    one resolver hook, as a rebinding DNS server would answer)."""
    answers: dict[str, list[str]] = {}
    real = webhooks.resolve_host

    async def fake(host: str, port: int):
        if host in answers:
            return [ipaddress.ip_address(a) for a in answers[host]]
        return await real(host, port)

    monkeypatch.setattr(webhooks, "resolve_host", fake)

    def set_answer(name: str, *addresses: str) -> None:
        answers[name] = list(addresses)

    return set_answer


async def test_nat64_of_the_metadata_address_is_refused_at_save_and_at_delivery(receiver):
    url = "http://[64:ff9b::a9fe:a9fe]/latest/meta-data"
    errors = ErrorCollector()
    await webhooks.check_url(errors, url, allow_private=False)
    assert [e.code for e in errors.errors] == ["URL_NOT_PUBLIC"]
    outcome = await webhooks.post_delivery(_claim(url), timeout_seconds=2, allow_private=False)
    assert (outcome.response_status, outcome.refused, outcome.retryable) == (None, True, False)
    assert outcome.error == (
        "Tidak dikirim: host menunjuk ke alamat yang tidak publik (link-local)."
    )


async def test_a_name_rebound_inside_after_saving_is_refused_at_delivery(
    region_a, pool, receiver, hook_settings, resolve
):
    """hook.rebind.test resolves to a public address when the admin saves it, and to the
    receiver on 127.0.0.1 when the delivery is made: refused, nothing reaches it."""
    port = int(receiver.base.rsplit(":", 1)[1])
    url = f"http://hook.rebind.test:{port}/rebind"
    resolve("hook.rebind.test", "93.184.216.34")
    errors = ErrorCollector()
    assert await webhooks.check_url(errors, url, allow_private=False) == url
    assert errors.errors == []
    await webhook_endpoint(region_a, url)
    resolve("hook.rebind.test", "127.0.0.1")
    saved_now = ErrorCollector()
    await webhooks.check_url(saved_now, url, allow_private=False)
    assert [e.code for e in saved_now.errors] == ["URL_NOT_PUBLIC"]
    assert "127.0.0.1" not in saved_now.errors[0].message  # the kind, never the address
    strict = hook_settings.model_copy(update={"webhook_allow_private": False})
    (delivery_id,) = await queue_webhook_deliveries(
        region_a, "performance.plan_approved", approved(region_a)
    )
    await deliver_webhook(job_ctx(pool, strict), region_a.id, delivery_id=delivery_id)
    row = await delivery_row(region_a, delivery_id)
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.FAILED, 1, None)
    assert row.last_error == "Tidak dikirim: host menunjuk ke alamat yang tidak publik (loopback)."
    assert receiver.at("rebind") == []
    # Every address counts: one public and one private answer is refused as well.
    resolve("hook.rebind.test", "93.184.216.34", "10.0.0.7")
    outcome = await webhooks.post_delivery(_claim(url), timeout_seconds=2, allow_private=False)
    assert outcome.refused and "jaringan privat" in outcome.error
    assert receiver.at("rebind") == []


async def test_the_connection_goes_to_the_checked_address_with_the_urls_host(receiver, resolve):
    """hook.pinned.test exists in no DNS: the POST arrives because it goes to the address
    the hook returned (checked), not to a lookup of its own; the Host header is the URL's."""
    port = int(receiver.base.rsplit(":", 1)[1])
    resolve("hook.pinned.test", "127.0.0.1")
    outcome = await webhooks.post_delivery(
        _claim(f"http://hook.pinned.test:{port}/pinned"), timeout_seconds=5, allow_private=True
    )
    assert outcome.delivered, outcome
    (received,) = receiver.at("pinned")
    assert received.headers["host"] == f"hook.pinned.test:{port}"
    # The first address refusing the connection, the next one is tried.
    closed = socket.socket()
    closed.bind(("127.0.0.2", 0))
    closed.close()
    resolve("hook.pinned.test", "127.0.0.2", "127.0.0.1")
    outcome = await webhooks.post_delivery(
        _claim(f"http://hook.pinned.test:{port}/pinned"), timeout_seconds=5, allow_private=True
    )
    assert outcome.delivered and len(receiver.at("pinned")) == 2


@pytest.fixture
def tls_cert(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for hook.tls.test only, and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    try:
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
                *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=hook.tls.test"),
                *("-addext", "subjectAltName=DNS:hook.tls.test"),
            ],
            check=True,
            capture_output=True,
        )
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip("openssl cannot make a test certificate here")
    return cert, key


@pytest.fixture
async def tls_receiver(tls_cert):
    """An HTTPS receiver on 127.0.0.1 whose certificate names hook.tls.test only."""
    cert, key = tls_cert
    hosts: list[str] = []

    async def hook(request: Request) -> Response:
        hosts.append(request.headers["host"])
        return Response(status_code=204)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        assert not task.done()
        await asyncio.sleep(0.01)
    trusting = ssl.create_default_context(cafile=str(cert))
    yield sock.getsockname()[1], trusting, hosts
    server.should_exit = True
    await task
    sock.close()


async def test_https_keeps_the_name_for_sni_and_the_certificate(tls_receiver, resolve, monkeypatch):
    port, trusting, hosts = tls_receiver
    monkeypatch.setattr(webhooks, "_tls", lambda: trusting)
    resolve("hook.tls.test", "127.0.0.1")
    resolve("other.tls.test", "127.0.0.1")
    ok = await webhooks.post_delivery(
        _claim(f"https://hook.tls.test:{port}/hook"), timeout_seconds=5, allow_private=True
    )
    assert ok.response_status == 204 and hosts == [f"hook.tls.test:{port}"]
    # The same address under a name the certificate does not carry: refused by TLS.
    wrong = await webhooks.post_delivery(
        _claim(f"https://other.tls.test:{port}/hook"), timeout_seconds=5, allow_private=True
    )
    assert (wrong.response_status, wrong.retryable) == (None, True)
    assert wrong.error == "Tidak terkirim: sertifikat TLS penerima tidak sah untuk host ini."


async def test_last_error_never_carries_local_exception_text(resolve):
    """A refused connection, an unresolvable name and a broken answer: each a short fixed
    reason, none of the library's message (addresses, errno, internals)."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    refused = await webhooks.post_delivery(
        _claim(f"http://127.0.0.1:{port}/x"), timeout_seconds=2, allow_private=True
    )
    assert refused.error == "Tidak terkirim: tidak dapat terhubung ke penerima."
    unknown = await webhooks.post_delivery(
        _claim("http://no-such-host.invalid/x"), timeout_seconds=2, allow_private=True
    )
    assert unknown.error == "Tidak dikirim: host tidak dapat di-resolve."
    assert unknown.retryable

    async def garbage(reader, writer):
        await reader.read(100)
        writer.write(b"NOT HTTP AT ALL \x00\x01\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        broken = await webhooks.post_delivery(
            _claim(f"http://127.0.0.1:{port}/x"), timeout_seconds=2, allow_private=True
        )
    assert broken.error == "Tidak terkirim: jawaban penerima bukan HTTP yang sah."


async def test_a_retry_lost_in_redis_is_recovered_by_the_sweep(
    region_a, pool, receiver, hook_settings, owner_conn
):
    """Attempt 1 gets a 500 and enqueues attempt 2 for later; Redis then loses that job
    (a restart without persistence). The periodic sweep finds the overdue retry in
    PostgreSQL and enqueues it again: it is delivered once."""
    await webhook_endpoint(region_a, receiver.url("lost-retry"))
    receiver.script("lost-retry", 500)
    slow_retry = hook_settings.model_copy(update={"webhook_backoff_base_seconds": 3600.0})
    (delivery_id,) = await queue_webhook_deliveries(
        region_a, "performance.plan_approved", approved(region_a)
    )
    await deliver_webhook(job_ctx(pool, slow_retry), region_a.id, delivery_id=delivery_id)
    job_id = f"webhook:{delivery_id}:2"
    assert await Job(job_id, pool).status() is JobStatus.deferred
    await pool.delete(f"arq:job:{job_id}")  # what Redis loses: the job and its place
    await pool.zrem("arq:queue", job_id)
    assert await Job(job_id, pool).status() is JobStatus.not_found
    await owner_conn.execute(
        "UPDATE notification_deliveries SET next_attempt_at = now() - interval '10 minutes'"
        " WHERE id = $1",
        delivery_id,
    )
    assert await sweep_webhooks(job_ctx(pool, hook_settings, "sweep"), region_a.id) == {
        "requeued": 1
    }
    await drain(hook_settings)
    row = await delivery_row(region_a, delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert len(receiver.at("lost-retry")) == 2
