"""Structured logs: one JSON object per line, the request's scope on each, no secrets."""

from __future__ import annotations

import json
import logging
import random

import httpx

from kinerja_saas import logs
from kinerja_saas.auth.roles import Role
from schema.errors import UNEXPECTED_MESSAGE

EMPLOYEES = "query OpsLogEmployees { employees(first: 2) { totalCount } }"


async def test_api_lines_carry_request_id_region_and_user(api, region_a, settings, json_logs):
    token = region_a.token(Role.REGION_ADMIN, settings)
    response = await api.client.post(
        "/graphql",
        json={"query": EMPLOYEES},
        headers={"authorization": f"Bearer {token}", "x-request-id": "ops-req-1"},
    )
    assert response.status_code == 200 and response.headers["x-request-id"] == "ops-req-1"
    (line,) = json_logs.where(event="graphql", request_id="ops-req-1")
    account = region_a.accounts[Role.REGION_ADMIN]
    assert line["region"] == region_a.id and line["user"] == account.id
    assert line["operation"] == "OpsLogEmployees" and line["outcome"] == "ok"
    assert line["level"] == "info" and line["logger"] == "kinerja.graphql"
    assert line["ms"] > 0 and "timestamp" in line
    assert token not in json_logs.raw  # the bearer token is never logged

    # An unsafe request id is replaced; a request with no token has no region or user.
    response = await api.client.post(
        "/graphql", json={"query": EMPLOYEES}, headers={"x-request-id": "bad id\n{}"}
    )
    fresh = response.headers["x-request-id"]
    assert fresh != "bad id\n{}" and len(fresh) == 32
    (line,) = json_logs.where(event="graphql", request_id=fresh)
    assert "region" not in line and "user" not in line and line["outcome"] == "denied"
    # The refusal is expected: one INFO line with its code, no traceback.
    (refused,) = json_logs.where(logger="strawberry.execution", request_id=fresh)
    assert refused["level"] == "info" and refused["code"] == "UNAUTHENTICATED"
    assert "exception" not in refused


async def test_unexpected_errors_keep_their_traceback(
    api, region_a, settings, json_logs, monkeypatch
):
    from kinerja_saas.org import service as org

    async def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(org, "list_employees", broken)
    token = region_a.token(Role.REGION_ADMIN, settings)
    result = await api(
        "query OpsLogBroken { employees(first: 1) { totalCount } }",
        token=token,
        headers={"x-request-id": "ops-req-broken"},
    )
    assert result.errors[0]["message"] == UNEXPECTED_MESSAGE
    (error,) = json_logs.where(logger="strawberry.execution", request_id="ops-req-broken")
    assert error["level"] == "error" and "RuntimeError: database on fire" in error["exception"]
    assert error["region"] == region_a.id
    (line,) = json_logs.where(event="graphql", request_id="ops-req-broken")
    assert line["outcome"] == "error"


async def test_stdlib_records_share_the_renderer_and_the_scope(json_logs):
    with logs.log_scope(request_id="ops-req-2", region=7, user=11):
        logging.getLogger("kinerja.somewhere").warning("relay lag %s s", 3)
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("kinerja.somewhere").exception("it failed")
    logging.getLogger("kinerja.somewhere").warning("outside")
    first, failed, outside = json_logs.all()
    assert first == {
        "event": "relay lag 3 s",
        "request_id": "ops-req-2",
        "region": 7,
        "user": 11,
        "level": "warning",
        "logger": "kinerja.somewhere",
        "timestamp": first["timestamp"],
    }
    assert failed["level"] == "error" and "ValueError: boom" in failed["exception"]
    assert "request_id" not in outside


async def test_anonymous_operations_are_warned_about_in_production(settings, region_a, json_logs):
    from kinerja_saas.runtime.app import create_app

    production = settings.model_copy(update={"env": "production"})
    token = region_a.token(Role.EMPLOYEE, settings)
    transport = httpx.ASGITransport(app=create_app(production))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for query in ("{ employees(first: 1) { totalCount } }", EMPLOYEES):
            response = await client.post(
                "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
            )
            assert response.status_code == 200, response.text
    (warned,) = json_logs.where(event="graphql operation without a name")
    assert warned["level"] == "warning" and warned["outcome"] == "ok"
    assert warned["region"] == region_a.id and warned["operation"] is None
    assert json_logs.where(event="graphql", operation="OpsLogEmployees")  # named: no warning


def test_secrets_are_redacted():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl"
    event = logs.redact(
        None,
        "info",
        {
            "event": f"login with Bearer {jwt} from https://k.id/aktivasi#token=abc.def-1",
            "password": "Kinerja#2026",
            "refresh_token": "r-123",
            "webhook": {"url": "https://hooks.example.id/x", "secret": "whsec_1"},
            "headers": [{"Authorization": "Bearer zzz"}],
            "activation_link": "https://k.id/aktivasi#token=xyz",
            "dsn": "postgresql://kinerja_app:s3cret@db:5432/kinerja",
            "text": "smtp login failed: password='hunter2', api_key=AKIA1",
            "count": 3,
        },
    )
    rendered = json.dumps(event)
    for secret in ("Kinerja#2026", "r-123", "whsec_1", "zzz", "xyz", "s3cret", "hunter2", "AKIA1"):
        assert secret not in rendered, secret
    assert jwt not in rendered and "abc.def-1" not in rendered
    assert event["password"] == event["refresh_token"] == logs.REDACTED
    assert event["webhook"] == {"url": "https://hooks.example.id/x", "secret": logs.REDACTED}
    assert event["count"] == 3
    assert event["event"].startswith(
        "login with Bearer [REDACTED] from https://k.id/aktivasi#token="
    )


def test_redaction_reaches_the_rendered_line(json_logs):
    logging.getLogger("kinerja.auth").info(
        "activation link %s", "https://k.id/aktivasi#token=one-time-secret"
    )
    logs.get_logger("kinerja.auth").info("smtp", smtp_password="p4ss", user_email="a@b.id")
    text = json_logs.raw
    assert "one-time-secret" not in text and "p4ss" not in text and "a@b.id" in text


def test_console_format_in_dev_json_in_production(settings):
    assert logs.log_format(settings) == "console"
    assert logs.log_format(settings.model_copy(update={"env": "production"})) == "json"
    forced = settings.model_copy(update={"env": "production", "log_format": "console"})
    assert logs.log_format(forced) == "console"
    record = logging.LogRecord("kinerja.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    assert "hello you" in logs.formatter("console").format(record)
    assert json.loads(logs.formatter("json").format(record))["event"] == "hello you"


def test_dev_shows_arqs_per_job_lines_only_at_debug(settings, json_logs):
    """`kinerja dev`: hundreds of per-job lines at start-up scrolled the demo logins away."""
    worker_log = logging.getLogger("arq.worker")
    try:
        logs.quiet_dev_logs(settings)  # KINERJA_LOG_LEVEL=INFO
        worker_log.info("%6.2fs → %s(%s)%s", 0.01, "notify:1", "", "")
        worker_log.info("recording health: %s", "j_complete=3")
        worker_log.warning("%6.2fs ! %s max retries %d exceeded", 0.5, "notify:2", 5)
        worker_log.info("Starting worker for %d functions: %s", 2, "a, b")
        events = [e["event"] for e in json_logs.where(logger="arq.worker")]
        assert not any("notify:1" in e or "recording health" in e for e in events), events
        assert any("notify:2 max retries" in e for e in events)  # failures stay
        assert any(e.startswith("Starting worker") for e in events)

        logs.quiet_dev_logs(settings.model_copy(update={"log_level": "DEBUG"}))
        worker_log.info("%6.2fs → %s(%s)%s", 0.01, "notify:3", "", "")
        (shown,) = [e for e in json_logs.where(logger="arq.worker") if "notify:3" in e["event"]]
        assert shown["level"] == "debug"
    finally:
        for added in list(worker_log.filters):
            worker_log.removeFilter(added)


async def test_dev_sums_up_the_workers_jobs(json_logs):
    import asyncio
    from types import SimpleNamespace

    worker = SimpleNamespace(jobs_complete=0, jobs_failed=0, jobs_retried=0)
    task = asyncio.create_task(logs.job_summaries(worker, every=0.02))

    async def lines(count: int) -> list[str]:
        for _ in range(500):
            found = [e["event"] for e in json_logs.where(logger="kinerja.worker")]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.01)
        raise AssertionError(f"{count} summary lines expected: {found}")

    worker.jobs_complete, worker.jobs_failed = 164, 1
    await lines(1)
    worker.jobs_complete += 3
    found = await lines(2)
    await asyncio.sleep(0.1)  # quiet intervals log nothing
    task.cancel()
    tail = " in the last 0 s (KINERJA_LOG_LEVEL=DEBUG shows each)"
    assert found == [
        f"worker: 164 jobs done, 1 failed, 0 retried{tail}",
        f"worker: 3 jobs done, 0 failed, 0 retried{tail}",
    ]
    assert len(json_logs.where(logger="kinerja.worker")) == 2


def _all_patterns(text: str) -> str:
    for pattern, replacement in logs._SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def test_redaction_skips_the_patterns_only_where_none_can_match(monkeypatch):
    """redact_text's fast path (no pattern run on a text without any of their literals) gives
    what all the patterns give, for texts built from the patterns' pieces, mixed case,
    Unicode case-folding look-alikes (ſ for s, K for k) and plain log values; and it runs
    no pattern over a request's plain values."""
    pieces = [
        "eyJ",
        "eyj",
        "EYJ",
        "abcdef",
        ".",
        "-",
        "_",
        " ",
        "\t",
        "Bearer",
        "bEaReR",
        "token",
        "TOKEN",
        "access_token",
        "ToKeN",
        "password",
        "PASSWORD",
        "paſsword",
        "secret",
        "ſecret",
        "api_key",
        "apikey",
        "API_KEY",
        "api_Key",
        "=",
        ":",
        "'",
        '"',
        "://",
        "https",
        "user",
        "@",
        "host",
        "/",
        "x",
        "Ünal",
        "1",
        "tokeN",
        "bearer\u212a",
    ]
    rng = random.Random(19)
    texts = ["", "0f3c2a1e9b8d4c7f", "graphql", "OpsLogEmployees", "ok", "2026-12-08T01:02:03Z"]
    for _ in range(20_000):
        texts.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))))
    texts += [
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl",
        "ſecret=abc",
        "paſsword: 'x'",
        "api_\u212aey=1",
        "Bearer\u00a0zzz",
    ]
    for text in texts:
        assert logs.redact_text(text) == _all_patterns(text), text
    # A request's plain values: no pattern runs at all.
    ran = {"n": 0}

    class Counting:
        def __init__(self, pattern):
            self.pattern = pattern

        def sub(self, *args):
            ran["n"] += 1
            return self.pattern.sub(*args)

    monkeypatch.setattr(logs, "_SECRET_TEXT", [(Counting(p), r) for p, r in logs._SECRET_TEXT])
    event = logs.redact(
        None,
        "info",
        {
            "event": "graphql",
            "operation": "Page",
            "outcome": "ok",
            "ms": 3.2,
            "request_id": "0f3c2a1e9b8d4c7f",
            "region": 1,
            "user": 2,
        },
    )
    assert event["operation"] == "Page" and ran["n"] == 0
    assert logs.redact(None, "info", {"operation": "x token=abc"})["operation"] == (
        f"x token={logs.REDACTED}"
    )
    assert ran["n"] == len(logs._SECRET_TEXT)
