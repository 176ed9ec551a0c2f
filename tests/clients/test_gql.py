"""Python `gql` (a GraphQL client nobody here wrote) against the real app over TCP: queries
and mutations with variables, the multipart roster upload, and `notificationReceived` over
graphql-transport-ws. gql refuses binary WebSocket frames ("Binary data received"), so the
subscription test also proves the frames are text."""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from gql import Client, FileVar, gql
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from kinerja_saas.auth.roles import Role
from kinerja_saas.org import importing
from tests.conftest import PASSWORD
from tests.factories import make_nip
from tests.notifications.helpers import fan_out_region, queue

ADMIN, EMPLOYEE = Role.REGION_ADMIN, Role.EMPLOYEE
LOGIN = gql(
    """mutation($email: String!, $password: String!) { login(email: $email, password: $password) {
      accessToken me { email region { slug } } errors { code } } }"""
)
EMPLOYEES = gql(
    """query($first: Int!, $search: String) {
      employees(first: $first, filter: {search: $search}) {
        totalCount edges { node { nip name unit { name } supervisor { name } } } } }"""
)
UPLOAD = gql(
    """mutation($file: Upload!, $dry: Boolean!) { importEmployees(file: $file, dryRun: $dry) {
      job { id status totalRows } errors { field code message } } }"""
)
JOB = gql("""query($id: ID!) { importJob(id: $id) { status totalRows summary { created } } }""")
ANNOUNCE = gql(
    """mutation($input: AnnouncementInput!) { sendAnnouncement(input: $input) {
      queued errors { field code message } } }"""
)
NOTIFICATIONS = gql("subscription { notificationReceived { id kind title body isRead } }")
WITHIN = 1.0  # seconds from the mutation to the subscriber's message


def http_client(server, token: str | None = None) -> Client:
    headers = {"authorization": f"Bearer {token}"} if token else None
    return Client(transport=HTTPXAsyncTransport(url=server.http_url, headers=headers, timeout=30))


def ws_client(server, token: str) -> Client:
    transport = WebsocketsTransport(
        url=server.ws_url,
        init_payload={"authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    return Client(transport=transport)


async def test_queries_and_mutations_with_variables(server, region_a, settings):
    async with http_client(server) as session:
        login = LOGIN
        login.variable_values = {
            "email": region_a.accounts[ADMIN].email,
            "password": PASSWORD,
        }
        result = (await session.execute(login))["login"]
    assert result["errors"] == [] and result["me"]["region"]["slug"] == region_a.tenant.slug

    async with http_client(server, result["accessToken"]) as session:
        query = EMPLOYEES
        query.variable_values = {"first": 10, "search": "staff"}
        found = (await session.execute(query))["employees"]
        assert found["totalCount"] == 2
        assert {e["node"]["name"].split()[0] for e in found["edges"]} == {"Staff1", "Staff2"}
        assert {e["node"]["supervisor"]["name"].split()[0] for e in found["edges"]} == {"Chief"}
        # A variable of the wrong type: a GraphQL error for the client, not a 500.
        query.variable_values = {"first": "ten", "search": None}
        with pytest.raises(TransportQueryError, match="Int"):
            await session.execute(query)


async def test_the_roster_upload_as_a_multipart_request(server, region_a, settings):
    nip = make_nip()
    csv = (
        "NIP,nama,jabatan,jenis_jabatan,golongan,unit,nip_atasan,email,telepon\n"
        f"{nip},Sri Gql Unggah,Analis,PELAKSANA,III/a,Dinas Uji/Bidang Gql,,,\n"
    ).encode()
    token = region_a.token(ADMIN, settings)
    async with http_client(server, token) as session:
        upload = UPLOAD
        upload.variable_values = {
            "file": FileVar(io.BytesIO(csv), filename="pegawai.csv", content_type="text/csv"),
            "dry": False,
        }
        payload = (await session.execute(upload, upload_files=True))["importEmployees"]
        assert payload["errors"] == [], payload
        assert payload["job"]["status"] == "QUEUED" and payload["job"]["totalRows"] == 1
        job_id = payload["job"]["id"]
        await importing.run_import(  # the worker's job body
            tenant_id=region_a.id, job_id=int(job_id), actor=region_a.actor(ADMIN)
        )
        job = JOB
        job.variable_values = {"id": job_id}
        done = (await session.execute(job))["importJob"]
        assert done == {"status": "SUCCEEDED", "totalRows": 1, "summary": {"created": 1}}
        query = EMPLOYEES
        query.variable_values = {"first": 5, "search": "Gql Unggah"}
        found = (await session.execute(query))["employees"]["edges"]
        assert [(e["node"]["nip"], e["node"]["unit"]["name"]) for e in found] == [
            (nip, "Bidang Gql")
        ]


async def subscription_ready(server, region, role) -> None:
    """The hub has the subscriber and Redis acknowledged the region's channel (a client
    cannot see that moment itself)."""
    from tests.clients.conftest import wait_until

    user_id = region.accounts[role].id
    await wait_until(
        lambda: (
            server.hub.subscriber_count(region.id, user_id) > 0
            and server.hub.is_listening(region.id)
        ),
        "the subscription to be registered",
    )


async def earlier_events_fanned_out(region, settings) -> None:
    """The region's events so far (its period was opened) notified before anyone listens."""
    pool = await queue(settings)
    try:
        await fan_out_region(pool, region)
    finally:
        await pool.aclose()


async def announce(server, region, settings, title: str) -> float:
    """A region admin's announcement to the whole region over HTTP (gql), then the worker's
    fan-out job for it; returns when the mutation was sent (time.monotonic())."""
    pool = await queue(settings)
    try:
        done = await fan_out_region(pool, region)  # nothing new: set aside what went before
        async with http_client(server, region.token(ADMIN, settings)) as session:
            mutation = ANNOUNCE
            mutation.variable_values = {
                "input": {"title": title, "body": "Apel pagi Senin pukul 07.30.", "unitId": None}
            }
            sent = time.monotonic()
            result = (await session.execute(mutation))["sendAnnouncement"]
            assert result == {"queued": True, "errors": []}
        await fan_out_region(pool, region, after_event=max(done, default=0))
    finally:
        await pool.aclose()
    return sent


async def test_a_gql_subscriber_receives_its_notification_within_a_second(
    server, region_a, settings
):
    await earlier_events_fanned_out(region_a, settings)
    async with ws_client(server, region_a.token(EMPLOYEE, settings)) as session:
        subscription = session.subscribe(NOTIFICATIONS)
        first = asyncio.create_task(anext(subscription))
        await subscription_ready(server, region_a, EMPLOYEE)
        sent = await announce(server, region_a, settings, "Apel pagi (gql)")
        message = (await asyncio.wait_for(first, 5))["notificationReceived"]
        arrived = time.monotonic()
        await subscription.aclose()
    assert message["kind"] == "ANNOUNCEMENT" and message["title"] == "Apel pagi (gql)"
    assert message["isRead"] is False
    assert arrived - sent < WITHIN, f"{arrived - sent:.3f} s"


async def test_a_subscriber_without_a_valid_token_is_refused(server, settings):
    transport = WebsocketsTransport(
        url=server.ws_url,
        init_payload={"authorization": "Bearer not-a-token"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    with pytest.raises(TransportConnectionFailed) as refused:
        async with Client(transport=transport) as session:
            async for _ in session.subscribe(NOTIFICATIONS):
                break
    closed = refused.value.__cause__
    assert (closed.rcvd.code, closed.rcvd.reason) == (4403, "Forbidden"), closed
