"""Redis goes away under a running API and worker: mutations keep succeeding (their work
waits in the outbox), reads keep working, rate limits fail open; once Redis is back the
relay catches up and every notification reaches the inbox exactly once."""

from __future__ import annotations

import itertools

import pytest

from kinerja_saas.auth.roles import Role
from tests.faults.conftest import eventually

pytestmark = pytest.mark.faults

SEND = """mutation($input: AnnouncementInput!) {
  sendAnnouncement(input: $input) { queued errors { code } } }"""
INBOX = "{ myNotifications(first: 100) { edges { node { title } } } }"
UNITS = "{ units { code } }"

_titles = itertools.count(1)


async def announce(client, title: str) -> None:
    data = await client.data(SEND, {"input": {"title": title, "body": "Apel pagi pukul 07.30."}})
    assert data["sendAnnouncement"] == {"queued": True, "errors": []}


async def titles(client) -> list[str]:
    data = await client.data(INBOX)
    return [e["node"]["title"] for e in data["myNotifications"]["edges"]]


async def test_mutations_during_a_redis_outage_are_delivered_after_it(
    cluster, private_redis, processes, client_for
):
    api = await processes.api()
    await processes.worker()
    admin = client_for(api, await cluster.token(Role.REGION_ADMIN))
    employee = client_for(api, await cluster.token(Role.EMPLOYEE))
    run = next(_titles)
    before = f"Sebelum gangguan {run}"
    await announce(admin, before)
    await eventually(
        lambda: _has(employee, before), what="the announcement before the outage arrives"
    )

    private_redis.stop()
    during = [f"Saat Redis mati {run}-{i}" for i in range(3)]
    for title in during:
        await announce(admin, title)  # a write: its outbox row commits with it
    assert await admin.data(UNITS)  # a read
    inbox = await titles(employee)
    assert before in inbox and not set(during) & set(inbox)  # nothing ran without Redis
    waiting = await cluster.fetchval(
        "SELECT count(*) FROM outbox_events WHERE relayed_at IS NULL"
        " AND payload->>'judul' = ANY($1::text[])",
        during,
    )
    assert waiting == len(during)  # kept in PostgreSQL, not lost
    ready = await api_get(api, "/readyz")
    assert ready == (200, {"database": True, "redis": False})  # degraded, still ready

    private_redis.start()  # empty: what Redis held is gone, the outbox is not
    for title in during:
        await eventually(
            lambda title=title: _has(employee, title),
            seconds=30,
            what=f"{title!r} reaches the inbox after Redis returns",
        )
    inbox = await titles(employee)
    assert {t: inbox.count(t) for t in [before, *during]} == dict.fromkeys([before, *during], 1)


async def _has(client, title: str) -> bool:
    return title in await titles(client)


async def api_get(server, path: str) -> tuple[int, dict]:
    import httpx

    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        response = await http.get(path)
    return response.status_code, response.json()


async def test_survey_rate_limits_fail_open_without_redis(settings, region_a, caplog):
    """The in-process API with a Redis that refuses connections: a public survey response
    is accepted and stored, unchecked, with a warning and a counted metric."""
    import httpx

    from kinerja_saas import metrics, ratelimit
    from kinerja_saas.runtime.app import create_app
    from tests.conftest import Api
    from tests.surveys.helpers import open_campaign
    from tests.surveys.test_api import SUBMIT, answers, count_responses

    ratelimit._logged_at.clear()  # another test's outage must not hide this one's line
    campaign = await open_campaign(region_a)
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    unchecked = metrics.RATE_LIMIT_UNCHECKED.labels("survey")._value.get()
    app = create_app(down)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        sent = await Api(c, down)(
            SUBMIT, {"code": campaign.codes["ktp"], "answers": answers(), "token": "tok-no-redis"}
        )
        unknown = await Api(c, down)(
            SUBMIT, {"code": "NOPE-NOPE", "answers": answers(), "token": "tok-no-redis-2"}
        )
    assert sent.status == 200
    assert sent.data["submitSurveyResponse"] == {"accepted": True, "replayed": False, "errors": []}
    assert await count_responses(region_a) == 1
    # An unknown code is still refused as unknown (its guessing limit is unchecked).
    assert unknown.status == 200 and "UNKNOWN_CODE" in str(unknown.body)
    assert metrics.RATE_LIMIT_UNCHECKED.labels("survey")._value.get() >= unchecked + 2
    warnings = [r for r in caplog.records if r.name == "kinerja.ratelimit"]
    assert warnings and all(r.levelname == "WARNING" for r in warnings)
    assert "127.0.0.1" not in " ".join(r.getMessage() for r in warnings)  # no client IP
