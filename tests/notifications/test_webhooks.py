"""Webhooks: endpoints managed by the region admin, signed POSTs to a real local HTTP server,
retries with backoff, the dead letter, redelivery, exactly one POST per attempt under re-runs
and concurrent jobs, URL and kind validation, permissions and tenant isolation."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import socket
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
import uvicorn
from arq.jobs import Job, JobStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements
from kinerja_saas.errors import ErrorCollector
from kinerja_saas.notifications import webhooks
from kinerja_saas.notifications.models import Delivery, DeliveryStatus, WebhookEndpoint
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction
from tests.conftest import ROOT, Api, writes_by_id_alone
from tests.notifications.helpers import (
    emit_event,
    fan_out,
    queue,
    queue_webhook_deliveries,
    webhook_endpoint,
)
from tests.workers.test_jobs import drain, relay_all
from workers.notifications.webhooks import deliver_webhook

ADMIN = Role.REGION_ADMIN
DOC = ROOT / "docs" / "webhooks.md"

ERRORS = "errors { field code message }"
ENDPOINT = "endpoint { id name url kinds isActive }"
CREATE = f"""mutation($input: CreateWebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{ {ENDPOINT} secret {ERRORS} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(id: $id, input: $input) {{ {ENDPOINT} {ERRORS} }} }}"""
ROTATE = f"""mutation($id: ID!) {{
  rotateWebhookSecret(id: $id) {{ endpoint {{ id }} secret {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{ deleteWebhookEndpoint(id: $id) {{ deletedId {ERRORS} }} }}"""
REDELIVER = f"""mutation($id: ID!) {{
  redeliverWebhook(id: $id) {{ delivery {{ id status attempts }} {ERRORS} }} }}"""
ENDPOINTS = "{ webhookEndpoints { id name url kinds isActive } }"
DELIVERIES = """query($first: Int, $after: String, $filter: WebhookDeliveryFilter) {
  webhookDeliveries(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id eventId kind status attempts responseStatus lastError sentAt
      nextAttemptAt body endpoint { id name url } } }
    pageInfo { hasNextPage endCursor } } }"""


# --- a real receiver -------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A Starlette app under uvicorn on a free port, in the test's event loop. Each path
    answers its scripted statuses in turn ("slow": no answer before the client gives up),
    then 200."""

    base: str = ""
    requests: list[Received] = field(default_factory=list)
    scripts: dict[str, list] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def script(self, name: str, *answers: int | str) -> None:
        self.scripts[f"/{name}"] = list(answers)

    def at(self, name: str) -> list[Received]:
        return [r for r in self.requests if r.path == f"/{name}"]

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        self.requests.append(Received(path, dict(request.headers), body))
        answers = self.scripts.get(path)
        answer = answers.pop(0) if answers else 200
        if answer == "slow":
            await self.release.wait()
            answer = 200
        headers = {"location": "https://elsewhere.example/hook"} if answer in (301, 302) else {}
        text = b"" if answer < 300 else b"no thanks " * 50
        return Response(text, status_code=answer, headers=headers)


@pytest.fixture
async def receiver():
    rec = Receiver()
    app = Starlette(routes=[Route("/{name}", rec.hook, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        assert not task.done(), "the receiver did not start"
        await asyncio.sleep(0.01)
    rec.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    yield rec
    rec.release.set()
    server.should_exit = True
    await task
    sock.close()


@pytest.fixture
async def pool(settings, redis):
    pool = await queue(settings)
    yield pool
    await pool.aclose()


@pytest.fixture(autouse=True)
async def quiet_endpoints(owner_conn):
    """Deactivates the test's endpoints after it: a later test that relays every region's
    events must not send to receivers that are gone."""
    start = await owner_conn.fetchval("SELECT clock_timestamp()")
    yield
    await owner_conn.execute(
        "UPDATE webhook_endpoints SET is_active = false WHERE created_at >= $1", start
    )


@pytest.fixture
def hook_settings(settings) -> Settings:
    """Tiny backoffs, so retries run within one drain; nothing waits for wall-clock time."""
    return settings.model_copy(
        update={
            "webhook_backoff_base_seconds": 0.01,
            "webhook_backoff_max_seconds": 0.05,
            "webhook_timeout_seconds": 5.0,
            "webhook_max_attempts": 3,
        }
    )


def job_ctx(pool, settings, job_id: str = "webhook:test") -> dict:
    return {"redis": pool, "settings": settings, "job_try": 1, "job_id": job_id}


def approved(region) -> dict:
    return {"plan_id": 7, "employee_id": region.employees["staff1"].id}


async def delivery_row(region, delivery_id: int) -> Delivery:
    async with tenant_transaction(region.id):
        return await Delivery.get(id=delivery_id)


async def job_status(pool, delivery_id: int, attempt: int) -> JobStatus:
    return await Job(f"webhook:{delivery_id}:{attempt}", pool).status()


# --- the documented recipes ------------------------------------------------------------------


def recipe(language: str) -> str:
    """The code block under `<!-- recipe: language -->` in docs/webhooks.md, verbatim."""
    match = re.search(
        rf"<!-- recipe: {language} -->\n```\w+\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S
    )
    assert match, f"docs/webhooks.md has no {language} recipe"
    return match.group(1)


def python_verify():
    namespace: dict = {}
    exec(compile(recipe("python"), str(DOC), "exec"), namespace)
    return namespace["verify_signature"]


async def node_verify(secret: str, body: bytes, header: str) -> bool:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = recipe("node") + (
        "\nconst i = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "\nprocess.stdout.write(String(verifySignature(i.secret, Buffer.from(i.body, 'base64'),"
        " i.header)));\n"
    )
    proc = await asyncio.create_subprocess_exec(
        node,
        "-e",
        script,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    payload = {"secret": secret, "body": base64.b64encode(body).decode(), "header": header}
    out, err = await proc.communicate(json.dumps(payload).encode())
    assert proc.returncode == 0, err.decode()
    return out.decode() == "true"


def signature_time(header: str) -> int:
    return int(dict(p.split("=", 1) for p in header.split(","))["t"])


# --- delivery --------------------------------------------------------------------------------


async def test_an_event_reaches_the_endpoints_that_take_it_signed(
    region_a, region_b, pool, receiver, hook_settings
):
    """Fan-out and a real worker: the endpoints of every kind and of this kind get one
    signed POST; another kind's, an inactive one and another region's get nothing."""
    _, secret_all = await webhook_endpoint(region_a, receiver.url("all"))
    _, secret_one = await webhook_endpoint(
        region_a, receiver.url("approved"), kinds=("PLAN_APPROVED",)
    )
    await webhook_endpoint(region_a, receiver.url("returned"), kinds=("PLAN_RETURNED",))
    await webhook_endpoint(region_a, receiver.url("off"), active=False)
    await webhook_endpoint(region_b, receiver.url("b"))
    payload = approved(region_a)
    event = await emit_event(region_a, "performance.plan_approved", payload)
    assert (await fan_out(pool, region_a, event, hook_settings))["webhooks"] == 2
    await drain(hook_settings)

    assert sorted(r.path for r in receiver.requests) == ["/all", "/approved"]
    async with tenant_transaction(region_a.id):
        rows = {d.id: d for d in await Delivery.filter(event_id=event.id, channel="WEBHOOK")}
    async with tenant_transaction(region_b.id):
        assert not await Delivery.filter(event_id=event.id).exists()
    verify = python_verify()
    for name, secret in (("all", secret_all), ("approved", secret_one)):
        (request,) = receiver.at(name)
        body = request.json
        delivery = rows[body["id"]]
        assert delivery.status is DeliveryStatus.SENT
        assert (delivery.attempts, delivery.response_status) == (1, 200)
        assert delivery.sent_at is not None and delivery.last_error is None
        assert body == {
            "id": delivery.id,
            "event_id": event.id,
            "kind": "PLAN_APPROVED",
            "topic": "performance.plan_approved",
            "region": region_a.tenant.slug,
            "created_at": body["created_at"],
            "data": payload,
        }
        assert body["created_at"].endswith("Z")
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-kinerja-delivery"] == str(delivery.id)
        assert request.headers["x-kinerja-event"] == "PLAN_APPROVED"
        header = request.headers["x-kinerja-signature"]
        assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
        # The documented recipe accepts it, and refuses a wrong secret, a changed body and
        # a stale timestamp.
        assert verify(secret, request.body, header)
        assert not verify(secret + "x", request.body, header)
        assert not verify(secret, request.body.replace(b"PLAN", b"PLAX"), header)
        assert not verify(secret, request.body, header, now=signature_time(header) + 301)
        assert verify(secret, request.body, header, now=signature_time(header) + 299)
        assert secret not in request.body.decode() and secret not in str(request.headers)


async def test_the_node_recipe_verifies_a_received_delivery(
    region_a, pool, receiver, hook_settings
):
    _, secret = await webhook_endpoint(region_a, receiver.url("node"))
    (delivery_id,) = await queue_webhook_deliveries(
        region_a, "performance.plan_approved", approved(region_a)
    )
    await deliver_webhook(job_ctx(pool, hook_settings), region_a.id, delivery_id=delivery_id)
    (request,) = receiver.at("node")
    header = request.headers["x-kinerja-signature"]
    assert await node_verify(secret, request.body, header)
    assert not await node_verify("whsec_wrong", request.body, header)
    assert not await node_verify(secret, request.body + b" ", header)


async def test_a_server_error_is_retried_after_a_backoff_until_sent(
    region_a, pool, receiver, hook_settings
):
    _, secret = await webhook_endpoint(region_a, receiver.url("flaky"))
    receiver.script("flaky", 500, 200)
    (delivery_id,) = await queue_webhook_deliveries(
        region_a, "performance.plan_approved", approved(region_a)
    )
    result = await deliver_webhook(
        job_ctx(pool, hook_settings), region_a.id, delivery_id=delivery_id
    )
    assert result == {"sent": True, "status": "PENDING", "response_status": 500}
    row = await delivery_row(region_a, delivery_id)
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.PENDING, 1, 500)
    assert row.last_error.startswith("HTTP 500: penerima mengalami galat. Jawaban: no thanks")
    assert len(row.last_error) <= webhooks.MAX_ERROR
    assert row.next_attempt_at - row.updated_at == timedelta(seconds=0.01)  # the first backoff
    job = await Job(f"webhook:{delivery_id}:2", pool).info()
    assert job is not None and job.function == "deliver_webhook"
    assert job.kwargs == {
        "tenant_id": region_a.id,
        "delivery_id": delivery_id,
        "attempt": 2,
        "first_attempt": 1,
    }
    assert abs(job.score - row.next_attempt_at.timestamp() * 1000) <= 1  # deferred until due

    await drain(hook_settings)
    row = await delivery_row(region_a, delivery_id)
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.SENT, 2, 200)
    assert row.last_error is None and row.next_attempt_at is None and row.sent_at is not None
    first, second = receiver.at("flaky")
    assert first.body == second.body  # the same body; only the signature's time may differ
    assert first.headers["x-kinerja-delivery"] == second.headers["x-kinerja-delivery"]
    verify = python_verify()
    assert all(verify(secret, r.body, r.headers["x-kinerja-signature"]) for r in (first, second))


def test_backoff_grows_fourfold_up_to_its_cap_and_which_answers_are_retried():
    defaults = Settings(env="dev")
    waits = [
        webhooks.backoff_seconds(
            n,
            base=defaults.webhook_backoff_base_seconds,
            cap=defaults.webhook_backoff_max_seconds,
        )
        for n in range(1, defaults.webhook_max_attempts)
    ]
    assert waits == [30, 120, 480, 1920, 7680, 21600, 21600]
    retried = {
        code
        for code in (200, 204, 301, 400, 401, 404, 408, 410, 429, 500, 502, 503)
        if not webhooks.Outcome(code).delivered and webhooks.Outcome(code).retryable
    }
    assert retried == {408, 429, 500, 502, 503}
    assert webhooks.Outcome(None, "timeout").retryable
    decide = {"first_attempt": 3, "max_attempts": 2, "backoff_base": 1, "backoff_max": 10}
    # A redelivery (first_attempt 3) gets a round of its own.
    assert webhooks.decide(webhooks.Outcome(503), attempt=3, **decide).status == "PENDING"
    assert webhooks.decide(webhooks.Outcome(503), attempt=4, **decide).status == "DEAD"


async def test_a_refusal_fails_at_once_and_408_429_are_retried(
    region_a, pool, receiver, hook_settings
):
    for name in ("gone", "moved", "busy", "slowdown"):
        await webhook_endpoint(region_a, receiver.url(name), name=name)
    receiver.script("gone", 404)
    receiver.script("moved", 301)
    receiver.script("busy", 429, 200)
    receiver.script("slowdown", 408, 200)
    ids = await queue_webhook_deliveries(region_a, "performance.plan_approved", approved(region_a))
    ctx = job_ctx(pool, hook_settings)
    for delivery_id in ids:
        await deliver_webhook(ctx, region_a.id, delivery_id=delivery_id)
    await drain(hook_settings)

    async with tenant_transaction(region_a.id):
        names = {e.id: e.name for e in await WebhookEndpoint.filter(tenant_id=region_a.id)}
        rows = {names[d.endpoint_id]: d for d in await Delivery.filter(id__in=ids)}
    assert (rows["gone"].status, rows["gone"].attempts, rows["gone"].response_status) == (
        DeliveryStatus.FAILED,
        1,
        404,
    )
    assert rows["gone"].last_error.startswith("HTTP 404: penerima menolak. Jawaban: no thanks")
    assert len(rows["gone"].last_error) <= 250  # the body is 500 characters
    assert rows["moved"].status is DeliveryStatus.FAILED
    assert rows["moved"].last_error == "HTTP 301: pengalihan (redirect) tidak diikuti."
    assert len(receiver.at("gone")) == len(receiver.at("moved")) == 1
    for name in ("gone", "moved"):
        assert await job_status(pool, rows[name].id, 2) is JobStatus.not_found  # no retry
    for name in ("busy", "slowdown"):
        assert (rows[name].status, rows[name].attempts) == (DeliveryStatus.SENT, 2)
        assert len(receiver.at(name)) == 2


async def test_timeouts_and_network_errors_are_retried_then_dead(
    region_a, pool, receiver, hook_settings
):
    fast = hook_settings.model_copy(update={"webhook_timeout_seconds": 0.3})
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: connection refused
    await webhook_endpoint(region_a, receiver.url("slow"), name="slow")
    await webhook_endpoint(region_a, f"http://127.0.0.1:{port}/hook", name="down")
    receiver.script("slow", "slow", 200)
    ids = await queue_webhook_deliveries(region_a, "performance.plan_approved", approved(region_a))
    ctx = job_ctx(pool, fast)
    for delivery_id in ids:
        await deliver_webhook(ctx, region_a.id, delivery_id=delivery_id)
    async with tenant_transaction(region_a.id):
        names = {e.id: e.name for e in await WebhookEndpoint.filter(tenant_id=region_a.id)}
        rows = {names[d.endpoint_id]: d for d in await Delivery.filter(id__in=ids)}
    assert rows["slow"].status is DeliveryStatus.PENDING
    assert rows["slow"].last_error == "Tidak ada jawaban dalam 0,3 detik."
    assert rows["slow"].response_status is None
    assert rows["down"].status is DeliveryStatus.PENDING
    assert rows["down"].last_error == "Tidak terkirim: tidak dapat terhubung ke penerima."

    await drain(fast)
    async with tenant_transaction(region_a.id):
        rows = {names[d.endpoint_id]: d for d in await Delivery.filter(id__in=ids)}
    assert (rows["slow"].status, rows["slow"].attempts) == (DeliveryStatus.SENT, 2)
    assert (rows["down"].status, rows["down"].attempts) == (DeliveryStatus.DEAD, 3)
    assert rows["down"].last_error == "Tidak terkirim: tidak dapat terhubung ke penerima."
    assert await job_status(pool, rows["down"].id, 4) is JobStatus.not_found


async def test_a_rerun_or_a_concurrent_job_posts_once(region_a, pool, receiver, hook_settings):
    await webhook_endpoint(region_a, receiver.url("once"))
    first, second = [
        (await queue_webhook_deliveries(region_a, "performance.plan_approved", approved(region_a)))[
            0
        ]
        for _ in range(2)
    ]
    ctx = job_ctx(pool, hook_settings)
    with count_statements() as sending:
        assert (await deliver_webhook(ctx, region_a.id, delivery_id=first))["sent"]
    with count_statements() as rerun:
        assert await deliver_webhook(ctx, region_a.id, delivery_id=first) == {
            "sent": False,
            "status": "SENT",
        }
    # tenant check; tenant + claim; tenant + outcome. A re-run: tenant check; tenant + claim.
    assert (sending.count, rerun.count) == (5, 3)

    results = await asyncio.gather(
        deliver_webhook(ctx, region_a.id, delivery_id=second),
        deliver_webhook(ctx, region_a.id, delivery_id=second),
    )
    assert sorted(r["sent"] for r in results) == [False, True]
    bodies = [r.json["id"] for r in receiver.at("once")]
    assert bodies == [first, second]
    # A job of an attempt already made sends nothing either.
    assert not (await deliver_webhook(ctx, region_a.id, delivery_id=second, attempt=1))["sent"]
    assert len(receiver.at("once")) == 2


async def test_a_claim_left_by_a_dead_worker_is_taken_again(
    region_a, pool, receiver, hook_settings, owner_conn
):
    await webhook_endpoint(region_a, receiver.url("stale"))
    (delivery_id,) = await queue_webhook_deliveries(
        region_a, "performance.plan_approved", approved(region_a)
    )
    ctx = job_ctx(pool, hook_settings)
    await owner_conn.execute(
        "UPDATE notification_deliveries SET status = 'SENDING', attempts = 1 WHERE id = $1",
        delivery_id,
    )
    # A fresh claim: another job is sending it right now.
    assert not (await deliver_webhook(ctx, region_a.id, delivery_id=delivery_id))["sent"]
    await owner_conn.execute(
        "UPDATE notification_deliveries SET updated_at = now() - interval '1 hour' WHERE id = $1",
        delivery_id,
    )
    assert (await deliver_webhook(ctx, region_a.id, delivery_id=delivery_id))["sent"]
    row = await delivery_row(region_a, delivery_id)
    assert (row.status, row.attempts, len(receiver.requests)) == (DeliveryStatus.SENT, 1, 1)


async def test_an_inactive_or_deleted_endpoint_gets_nothing(
    region_a, pool, receiver, hook_settings, api
):
    endpoint, _ = await webhook_endpoint(region_a, receiver.url("paused"))
    (delivery_id,) = await queue_webhook_deliveries(
        region_a, "performance.plan_approved", approved(region_a)
    )
    update = await api.as_role(
        region_a, ADMIN, UPDATE, {"id": str(endpoint.id), "input": {"isActive": False}}
    )
    assert update.data["updateWebhookEndpoint"]["endpoint"]["isActive"] is False
    ctx = job_ctx(pool, hook_settings)
    assert await deliver_webhook(ctx, region_a.id, delivery_id=delivery_id) == {
        "sent": False,
        "status": "FAILED",
    }
    row = await delivery_row(region_a, delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert row.last_error == "Tidak dikirim: endpoint tidak aktif."
    refused = await api.as_role(region_a, ADMIN, REDELIVER, {"id": str(delivery_id)})
    assert refused.data["redeliverWebhook"]["errors"][0]["code"] == "ENDPOINT_INACTIVE"

    deleted = await api.as_role(region_a, ADMIN, DELETE, {"id": str(endpoint.id)})
    assert deleted.data["deleteWebhookEndpoint"] == {"deletedId": str(endpoint.id), "errors": []}
    assert any(s.startswith('DELETE FROM "webhook_endpoints"') for s in deleted.sql)
    assert writes_by_id_alone(deleted.sql) == []
    async with tenant_transaction(region_a.id):
        assert not await Delivery.filter(id=delivery_id).exists()  # the log goes with it
    assert await deliver_webhook(ctx, region_a.id, delivery_id=delivery_id, attempt=2) == {
        "sent": False,
        "status": None,
    }
    assert receiver.requests == []


async def test_dead_after_the_last_attempt_then_redelivered(
    region_a, pool, receiver, hook_settings, settings, api
):
    _, secret = await webhook_endpoint(region_a, receiver.url("down"))
    receiver.script("down", 503, 503, 503)
    event = await emit_event(region_a, "performance.plan_approved", approved(region_a))
    await fan_out(pool, region_a, event, hook_settings)
    await drain(hook_settings)
    async with tenant_transaction(region_a.id):
        (row,) = await Delivery.filter(event_id=event.id, channel="WEBHOOK")
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.DEAD, 3, 503)
    assert len(receiver.at("down")) == 3
    assert await job_status(pool, row.id, 4) is JobStatus.not_found

    result = await api.as_role(region_a, ADMIN, REDELIVER, {"id": str(row.id)})
    payload = result.data["redeliverWebhook"]
    assert payload["errors"] == []
    assert payload["delivery"] == {"id": str(row.id), "status": "PENDING", "attempts": 3}
    again = await api.as_role(region_a, ADMIN, REDELIVER, {"id": str(row.id)})
    assert again.data["redeliverWebhook"]["errors"] == [
        {
            "field": "id",
            "code": "NOT_REDELIVERABLE",
            "message": "Pengiriman ini berstatus PENDING: masih dikirim atau dicoba ulang.",
        }
    ]
    await relay_all(pool, settings)  # the outbox event starts the new round's first attempt
    await drain(hook_settings)
    row = await delivery_row(region_a, row.id)
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.SENT, 4, 200)
    # (The relay also fans out the region's other events, e.g. its period's opening, which
    # this endpoint of every kind takes too: count this delivery's POSTs only.)
    posts = [r for r in receiver.at("down") if r.json["id"] == row.id]
    assert len(posts) == 4
    fourth = posts[3]
    assert python_verify()(secret, fourth.body, fourth.headers["x-kinerja-signature"])

    # A SENT delivery can be sent again too; the count goes on.
    assert not (await api.as_role(region_a, ADMIN, REDELIVER, {"id": str(row.id)})).data[
        "redeliverWebhook"
    ]["errors"]
    await relay_all(pool, settings)
    await drain(hook_settings)
    row = await delivery_row(region_a, row.id)
    posts = [r for r in receiver.at("down") if r.json["id"] == row.id]
    assert (row.status, row.attempts, len(posts)) == (DeliveryStatus.SENT, 5, 5)
    async with tenant_transaction(region_a.id):
        audit = await AuditEntry.filter(action="webhook.redelivered", entity_id=row.id).count()
    assert audit == 2


# --- the API ---------------------------------------------------------------------------------


async def create(api, region, **input_) -> dict:
    result = await api.as_role(region, ADMIN, CREATE, {"input": input_})
    return result.data["createWebhookEndpoint"]


async def secret_in_db(owner_conn, endpoint_id) -> str:
    return await owner_conn.fetchval(
        "SELECT secret FROM webhook_endpoints WHERE id = $1", int(endpoint_id)
    )


async def test_the_region_admin_manages_endpoints(region_a, api, owner_conn):
    made = await create(
        api,
        region_a,
        name=" SIMPEG ",
        url="HTTPS://simpeg.example.test/kinerja",
        kinds=["PLAN_APPROVED", "EVALUATION_FINALISED", "PLAN_APPROVED"],
    )
    assert made["errors"] == []
    endpoint = made["endpoint"]
    assert endpoint["name"] == "SIMPEG"
    assert endpoint["url"] == "https://simpeg.example.test/kinerja"
    assert endpoint["kinds"] == ["PLAN_APPROVED", "EVALUATION_FINALISED"]
    assert endpoint["isActive"] is True
    first_secret = made["secret"]
    assert first_secret.startswith("whsec_") and len(first_secret) > 40
    assert await secret_in_db(owner_conn, endpoint["id"]) == first_secret
    listed = await api.as_role(region_a, ADMIN, ENDPOINTS)
    assert listed.data["webhookEndpoints"] == [endpoint]
    sdl = (ROOT / "schema" / "schema.graphql").read_text()
    endpoint_type = re.search(r"type WebhookEndpoint \{(.*?)\}", sdl, re.S).group(1)
    assert "secret" not in endpoint_type  # only the create and rotate payloads carry it

    changed = await api.as_role(
        region_a,
        ADMIN,
        UPDATE,
        {"id": endpoint["id"], "input": {"name": "SIMPEG BKPSDM", "kinds": [], "isActive": False}},
    )
    assert changed.data["updateWebhookEndpoint"]["endpoint"] == {
        **endpoint,
        "name": "SIMPEG BKPSDM",
        "kinds": [],
        "isActive": False,
    }
    rotated = (await api.as_role(region_a, ADMIN, ROTATE, {"id": endpoint["id"]})).data[
        "rotateWebhookSecret"
    ]
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != first_secret
    assert await secret_in_db(owner_conn, endpoint["id"]) == rotated["secret"]

    deleted = await api.as_role(region_a, ADMIN, DELETE, {"id": endpoint["id"]})
    assert deleted.data["deleteWebhookEndpoint"] == {"deletedId": endpoint["id"], "errors": []}
    assert (await api.as_role(region_a, ADMIN, ENDPOINTS)).data["webhookEndpoints"] == []

    async with tenant_transaction(region_a.id):
        audit = await AuditEntry.filter(
            entity="webhook_endpoint", entity_id=int(endpoint["id"])
        ).order_by("id")
    assert [a.action for a in audit] == [
        "webhook.endpoint_created",
        "webhook.endpoint_updated",
        "webhook.secret_rotated",
        "webhook.endpoint_deleted",
    ]
    assert audit[1].before == {"name": "SIMPEG", "kinds": endpoint["kinds"], "is_active": True}
    logged = json.dumps([(a.before, a.after) for a in audit])
    assert first_secret not in logged and rotated["secret"] not in logged
    assert "whsec_" not in logged


async def test_bad_input_names_each_problem_and_writes_nothing(region_a, api):
    made = await create(
        api,
        region_a,
        name=" ",
        url="ftp://files.example.test/x",
        kinds=["PLAN_APPROVED", "NOPE", "ALSO_NOPE"],
    )
    assert made["endpoint"] is None and made["secret"] is None
    assert [(e["field"], e["code"]) for e in made["errors"]] == [
        ("name", "REQUIRED"),
        ("url", "URL_SCHEME"),
        ("kinds[1]", "UNKNOWN_KIND"),
        ("kinds[2]", "UNKNOWN_KIND"),
    ]
    assert "'NOPE'" in made["errors"][2]["message"]
    assert "'ALSO_NOPE'" in made["errors"][3]["message"]
    for url, code in (
        ("https://", "URL_HOST"),
        ("simpeg.example.test/hook", "URL_SCHEME"),
        ("https://example.test:99999/", "URL_INVALID"),
        ("https://exa mple.test/", "URL_INVALID"),
        ("", "REQUIRED"),
    ):
        errors = (await create(api, region_a, name="x", url=url))["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("url", code)], url
    assert (await api.as_role(region_a, ADMIN, ENDPOINTS)).data["webhookEndpoints"] == []

    endpoint = (await create(api, region_a, name="ok", url="http://127.0.0.1:9/hook"))["endpoint"]
    bad = await api.as_role(
        region_a,
        ADMIN,
        UPDATE,
        {"id": endpoint["id"], "input": {"url": "gopher://x", "kinds": ["PLAN_APPROVED", "X"]}},
    )
    assert [(e["field"], e["code"]) for e in bad.data["updateWebhookEndpoint"]["errors"]] == [
        ("url", "URL_SCHEME"),
        ("kinds[1]", "UNKNOWN_KIND"),
    ]
    assert (await api.as_role(region_a, ADMIN, ENDPOINTS)).data["webhookEndpoints"] == [endpoint]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.9/hook",
        "https://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://224.0.0.1/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number: resolved like the system does
    ],
)
async def test_production_refuses_non_public_addresses(url):
    errors = ErrorCollector()
    await webhooks.check_url(errors, url, allow_private=False)
    assert [(e.field, e.code) for e in errors.errors] == [("url", "URL_NOT_PUBLIC")]
    allowed = ErrorCollector()
    await webhooks.check_url(allowed, url, allow_private=True)  # dev and test
    assert allowed.errors == []


async def test_production_accepts_public_addresses_and_refuses_unknown_hosts():
    errors = ErrorCollector()
    assert (
        await webhooks.check_url(errors, "https://1.1.1.1/hook", allow_private=False)
        == "https://1.1.1.1/hook"
    )
    await webhooks.check_url(errors, "https://[2606:4700:4700::1111]/hook", allow_private=False)
    assert errors.errors == []
    await webhooks.check_url(errors, "https://no-such-host.invalid/hook", allow_private=False)
    assert [(e.field, e.code) for e in errors.errors] == [("url", "URL_UNRESOLVABLE")]


def test_private_urls_are_allowed_only_outside_production_unless_configured():
    secrets_ = {"jwt_secret": "x" * 32, "app_db_password": "p"}
    assert not Settings(env="production", **secrets_).webhook_private_urls_allowed
    assert Settings(
        env="production", webhook_allow_private=True, **secrets_
    ).webhook_private_urls_allowed
    assert Settings(env="dev").webhook_private_urls_allowed
    assert Settings(env="test").webhook_private_urls_allowed
    assert not Settings(env="test", webhook_allow_private=False).webhook_private_urls_allowed


async def test_the_api_refuses_a_private_url_when_configured(region_a, settings):
    from kinerja_saas.runtime.app import create_app

    strict = settings.model_copy(update={"webhook_allow_private": False})
    transport = httpx.ASGITransport(app=create_app(strict))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        strict_api = Api(client, strict)
        made = await create(strict_api, region_a, name="x", url="http://127.0.0.1:9000/hook")
        assert [(e["field"], e["code"]) for e in made["errors"]] == [("url", "URL_NOT_PUBLIC")]
        made = await create(strict_api, region_a, name="x", url="https://8.8.8.8/hook")
        assert made["errors"] == []


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER])
async def test_only_the_region_admin_sees_or_changes_webhooks(region_a, api, role, receiver):
    endpoint, _ = await webhook_endpoint(region_a, receiver.url("x"))
    (delivery_id,) = await queue_webhook_deliveries(
        region_a, "performance.plan_approved", approved(region_a)
    )
    for query, variables in (
        (ENDPOINTS, None),
        (DELIVERIES, None),
        (CREATE, {"input": {"name": "x", "url": "https://example.test/"}}),
        (UPDATE, {"id": str(endpoint.id), "input": {"name": "y"}}),
        (ROTATE, {"id": str(endpoint.id)}),
        (DELETE, {"id": str(endpoint.id)}),
        (REDELIVER, {"id": str(delivery_id)}),
    ):
        result = await api.as_role(region_a, role, query, variables)
        assert result.codes == ["FORBIDDEN"], query
    async with tenant_transaction(region_a.id):
        (stored,) = await WebhookEndpoint.filter(tenant_id=region_a.id)
    assert (stored.name, stored.secret) == (endpoint.name, endpoint.secret)


async def test_another_region_can_neither_see_nor_touch_them(
    region_a, region_b, api, receiver, owner_conn
):
    endpoint, secret = await webhook_endpoint(region_a, receiver.url("a"))
    (delivery_id,) = await queue_webhook_deliveries(
        region_a, "performance.plan_approved", approved(region_a)
    )
    await owner_conn.execute(
        "UPDATE notification_deliveries SET status = 'DEAD' WHERE id = $1", delivery_id
    )
    own, _ = await webhook_endpoint(region_b, receiver.url("b"))

    listed = await api.as_role(region_b, ADMIN, ENDPOINTS)
    assert [e["id"] for e in listed.data["webhookEndpoints"]] == [str(own.id)]
    log = await api.as_role(region_b, ADMIN, DELIVERIES)
    assert log.data["webhookDeliveries"]["edges"] == []
    filtered = await api.as_role(
        region_b, ADMIN, DELIVERIES, {"filter": {"endpointId": str(endpoint.id)}}
    )
    assert filtered.codes == ["NOT_FOUND"]
    for query, variables, name in (
        (
            UPDATE,
            {"id": str(endpoint.id), "input": {"url": "https://evil.example/"}},
            "updateWebhookEndpoint",
        ),
        (ROTATE, {"id": str(endpoint.id)}, "rotateWebhookSecret"),
        (DELETE, {"id": str(endpoint.id)}, "deleteWebhookEndpoint"),
        (REDELIVER, {"id": str(delivery_id)}, "redeliverWebhook"),
    ):
        result = await api.as_role(region_b, ADMIN, query, variables)
        assert [(e["field"], e["code"]) for e in result.data[name]["errors"]] == [
            ("id", "NOT_FOUND")
        ]
    row = await owner_conn.fetchrow(
        "SELECT w.url, w.secret, d.status FROM webhook_endpoints w"
        " JOIN notification_deliveries d ON d.endpoint_id = w.id WHERE d.id = $1",
        delivery_id,
    )
    assert tuple(row) == (endpoint.url, secret, "DEAD")
    assert not await owner_conn.fetchval(
        "SELECT count(*) FROM outbox_events WHERE topic = $1 AND tenant_id = $2",
        webhooks.REDELIVERY_TOPIC,
        region_b.id,
    )


async def test_the_delivery_log_pages_newest_first_with_filters(
    region_a, api, receiver, owner_conn
):
    everything, _ = await webhook_endpoint(region_a, receiver.url("all"), name="all")
    returned, _ = await webhook_endpoint(
        region_a, receiver.url("ret"), kinds=("PLAN_RETURNED",), name="ret"
    )
    ids = []
    for n in range(3):
        ids += await queue_webhook_deliveries(
            region_a, "performance.plan_approved", {**approved(region_a), "plan_id": n}
        )
    ids += await queue_webhook_deliveries(
        region_a,
        "performance.plan_returned",
        {**approved(region_a), "reason": "Target belum terukur"},
    )
    assert len(ids) == 5
    await owner_conn.execute(
        "UPDATE notification_deliveries SET status = 'FAILED', response_status = 410,"
        " last_error = 'HTTP 410: gone', attempts = 1 WHERE id = $1",
        ids[0],
    )
    newest_first = sorted(ids, reverse=True)

    page = await api.as_role(region_a, ADMIN, DELIVERIES, {"first": 2})
    conn = page.data["webhookDeliveries"]
    assert [e["node"]["id"] for e in conn["edges"]] == [str(i) for i in newest_first[:2]]
    assert conn["pageInfo"]["hasNextPage"] is True
    node = conn["edges"][0]["node"]
    assert node["body"]["region"] == region_a.tenant.slug
    assert node["body"]["id"] == int(node["id"])
    rest = await api.as_role(
        region_a, ADMIN, DELIVERIES, {"first": 10, "after": conn["pageInfo"]["endCursor"]}
    )
    rest_conn = rest.data["webhookDeliveries"]
    assert [e["node"]["id"] for e in rest_conn["edges"]] == [str(i) for i in newest_first[2:]]
    assert rest_conn["pageInfo"]["hasNextPage"] is False
    assert page.statements == rest.statements  # one statement for the page, whatever its size

    async def ids_for(filter_):
        result = await api.as_role(region_a, ADMIN, DELIVERIES, {"filter": filter_})
        return [int(e["node"]["id"]) for e in result.data["webhookDeliveries"]["edges"]]

    (only_returned,) = await ids_for({"endpointId": str(returned.id)})
    assert only_returned in ids[3:]
    (other,) = set(ids[3:]) - {only_returned}
    assert await ids_for({"kind": "PLAN_RETURNED", "endpointId": str(everything.id)}) == [other]
    assert await ids_for({"kind": "PLAN_RETURNED"}) == sorted(ids[3:], reverse=True)
    assert await ids_for({"status": "FAILED"}) == [ids[0]]
    (failed,) = [e["node"] for e in rest_conn["edges"] if e["node"]["id"] == str(ids[0])]
    assert (failed["status"], failed["responseStatus"], failed["lastError"]) == (
        "FAILED",
        410,
        "HTTP 410: gone",
    )
    unknown = await api.as_role(region_a, ADMIN, DELIVERIES, {"filter": {"kind": "NOPE"}})
    assert unknown.codes == ["UNKNOWN_KIND"]


# --- recovery of stranded deliveries ---------------------------------------------------------


async def test_the_sweep_requeues_lost_and_dead_worker_attempts_once(
    region_a, pool, receiver, hook_settings, owner_conn
):
    """A delivery whose job Redis lost (PENDING, overdue) and one whose worker died mid-send
    (SENDING, claim older than a send can take) get their attempt again; a fresh one (its
    job may still be queued) and a sent one do not. One SELECT, whatever the number."""
    from kinerja_saas.notifications.models import DeliveryStatus
    from workers.notifications.webhooks import sweep_webhooks

    await webhook_endpoint(region_a, receiver.url("sweep"))
    lost, died, fresh, sent = [
        (await queue_webhook_deliveries(region_a, "performance.plan_approved", approved(region_a)))[
            0
        ]
        for _ in range(4)
    ]
    await owner_conn.execute(
        "UPDATE notification_deliveries SET created_at = now() - interval '10 minutes'"
        " WHERE id = $1",
        lost,
    )
    await owner_conn.execute(
        "UPDATE notification_deliveries SET status = 'SENDING', attempts = 2,"
        " updated_at = now() - interval '1 hour' WHERE id = $1",
        died,
    )
    await owner_conn.execute(
        "UPDATE notification_deliveries SET status = 'SENT', attempts = 1,"
        " created_at = now() - interval '1 hour' WHERE id = $1",
        sent,
    )
    ctx = job_ctx(pool, hook_settings, "sweep_webhooks:test")
    with count_statements() as counter:
        assert await sweep_webhooks(ctx, region_a.id) == {"requeued": 2}
    assert counter.count <= 4  # the tenant transaction and one SELECT
    assert await sweep_webhooks(ctx, region_a.id) == {"requeued": 2}  # same ids: no new jobs
    assert await job_status(pool, lost, 1) == JobStatus.queued
    assert await job_status(pool, died, 2) == JobStatus.queued  # the dead claim's attempt
    await drain(hook_settings)
    assert len(receiver.at("sweep")) == 2  # each once, although swept twice
    rows = {d: await delivery_row(region_a, d) for d in (lost, died, fresh, sent)}
    assert (rows[lost].status, rows[lost].attempts) == (DeliveryStatus.SENT, 1)
    assert (rows[died].status, rows[died].attempts) == (DeliveryStatus.SENT, 2)
    assert (rows[fresh].status, rows[fresh].attempts) == (DeliveryStatus.PENDING, 0)
    assert await job_status(pool, fresh, 1) == JobStatus.not_found  # left to its own job
