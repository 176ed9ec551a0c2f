"""The API process under faults: SIGTERM drains the requests in flight, and a PostgreSQL
restart under traffic fails the requests it interrupts cleanly (a typed error, no hang, no
internals) while later ones succeed without restarting the API or the worker, leaving no
half-written rows."""

from __future__ import annotations

import asyncio
import itertools
import signal

import httpx
import pytest

from kinerja_saas.auth.roles import Role
from tests.faults.conftest import eventually
from tests.faults.test_worker_faults import SEND, table_locked, waiting_on

pytestmark = pytest.mark.faults

CREATE_UNIT = """mutation($input: CreateUnitInput!) {
  createUnit(input: $input) { unit { id code } errors { field code message } } }"""
UNITS = "{ units { code } }"
_codes = itertools.count(1)


def unit_input(prefix: str) -> dict:
    return {
        "input": {"name": f"Unit {prefix}", "code": f"{prefix}-{next(_codes)}", "kind": "BIDANG"}
    }


async def test_sigterm_drains_a_request_in_flight(cluster, processes, client_for):
    api = await processes.api()
    admin = client_for(api, await cluster.token(Role.REGION_ADMIN))
    async with table_locked(cluster, "org_units"):
        in_flight = asyncio.create_task(admin(CREATE_UNIT, unit_input("DRAIN")))
        await eventually(lambda: waiting_on(cluster, "org_units"), what="the mutation waits")
        api.proc.send_signal(signal.SIGTERM)
        await eventually(
            lambda: _refused(api.base_url), what="the stopping API refuses new connections"
        )
        assert not in_flight.done() and api.proc.returncode is None
    response = await in_flight  # the lock is gone: the request finishes …
    body = response.json()
    assert response.status_code == 200 and body["data"]["createUnit"]["errors"] == []
    code = body["data"]["createUnit"]["unit"]["code"]
    # … and only then the process exits, after a clean shutdown (uvicorn re-raises the
    # signal once it is done, so the exit status says SIGTERM).
    assert await api.proc.wait() in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in api.log_tail(50)
    assert await cluster.fetchval("SELECT count(*) FROM org_units WHERE code = $1", code) == 1


async def _refused(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=2) as http:
            await http.get("/healthz")
    except httpx.TransportError:
        return True
    return False


async def test_a_postgresql_restart_under_traffic(cluster, processes, client_for):
    api = await processes.api()
    await processes.worker()
    admin = client_for(api, await cluster.token(Role.REGION_ADMIN))
    outcomes: list[tuple[str, int | str, dict | None]] = []  # (phase, status, body)
    phase = "before"
    stop = asyncio.Event()

    async def traffic(n: int) -> None:
        while not stop.is_set():
            started_in = phase
            try:
                response = await admin(CREATE_UNIT, unit_input(f"PG{n}"))
            except httpx.TimeoutException:
                outcomes.append((started_in, "timeout", None))
                continue
            body = response.json() if "json" in response.headers.get("content-type", "") else None
            outcomes.append((started_in, response.status_code, body))
            await asyncio.sleep(0.02)

    def ok(wanted_phase: str) -> int:
        return sum(
            1
            for p, status, body in outcomes
            if p == wanted_phase and status == 200 and not body.get("errors")
        )

    clients = [asyncio.create_task(traffic(n)) for n in range(4)]
    try:
        await eventually(lambda: _true(ok("before") >= 8), what="traffic before the restart")
        phase = "down"
        await asyncio.to_thread(cluster.server.stop, "fast")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(cluster.server.start)
        phase = "after"
        await eventually(lambda: _true(ok("after") >= 8), what="requests succeed again")
    finally:
        stop.set()
        await asyncio.gather(*clients)
    assert not [o for o in outcomes if o[1] == "timeout"]  # failed fast, no hang
    assert {status for _, status, _ in outcomes} == {200}  # never a 500
    failed = [body for _, _, body in outcomes if body.get("errors")]
    assert failed  # the restart did interrupt requests …
    for body in failed:  # … each with a typed error that tells nothing of the internals
        (error,) = body["errors"]
        assert error.get("extensions", {}).get("code") == "SERVICE_UNAVAILABLE", error
        assert "asyncpg" not in str(body) and "postgres" not in str(body).lower()
    created = {
        body["data"]["createUnit"]["unit"]["code"]
        for _, _, body in outcomes
        if not body.get("errors")
    }
    conn = await cluster.connect()
    try:
        rows = await conn.fetch(
            "SELECT u.code, (SELECT count(*) FROM audit_log a WHERE a.tenant_id = u.tenant_id"
            " AND a.entity = 'unit' AND a.entity_id = u.id AND a.action = 'unit.create') AS audits"
            " FROM org_units u WHERE u.code LIKE 'PG%'"
        )
    finally:
        await conn.close()
    assert created <= {r["code"] for r in rows}  # every success is stored
    assert {r["code"]: r["audits"] for r in rows} == {r["code"]: 1 for r in rows}  # all whole

    # The worker lived through it too: its pool and the relay's connection reconnected.
    title = f"Setelah restart {next(_codes)}"
    sent = await admin.data(SEND, {"input": {"title": title, "body": "Server pulih."}})
    assert sent["sendAnnouncement"] == {"queued": True, "errors": []}
    employee = client_for(api, await cluster.token(Role.EMPLOYEE))
    await eventually(
        lambda: _inbox_has(employee, title), what="a notification after the restart arrives"
    )


async def _inbox_has(client, title: str) -> bool:
    data = await client.data("{ myNotifications(first: 50) { edges { node { title } } } }")
    return title in [e["node"]["title"] for e in data["myNotifications"]["edges"]]


async def _true(value: bool) -> bool:
    return value
