"""An attacker's review of main (issue #15 follow-up): each finding, tried as the attacker
tried it, with third-party clients where a protocol is involved (Python `gql` over HTTP and
graphql-transport-ws, `websockets` for frames gql will not send). docs/security.md lists
the findings and which test proves each fix."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets

import httpx
import pytest
import websockets
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.throttle import Client as LoginClient
from kinerja_saas.auth.throttle import LoginThrottle
from kinerja_saas.runtime.app import create_app
from kinerja_saas.surveys import ratelimit as survey_limits
from tests.clients.conftest import live_server
from tests.conftest import PASSWORD, Api
from tests.surveys.helpers import open_campaign, token

ADMIN, EMPLOYEE = Role.REGION_ADMIN, Role.EMPLOYEE
CREATE_UNIT = 'mutation M {{ createUnit(input: {{name: "Serangan", code: "{code}", kind: BIDANG}}) {{ unit {{ id }} errors {{ code }} }} }}'
SUBSCRIBE = "subscription S { notificationReceived { id } }"


async def attack_units(owner_conn, region) -> int:
    return await owner_conn.fetchval(
        "SELECT count(*) FROM org_units WHERE tenant_id = $1 AND name = 'Serangan'", region.id
    )


@pytest.fixture(scope="module")
async def server(settings, redis):
    """The real app under uvicorn, with suggestions off as in production."""
    async with live_server(settings.model_copy(update={"field_suggestions": False})) as running:
        yield running


def ws_client(server, access_token: str) -> Client:
    return Client(
        transport=WebsocketsTransport(
            url=server.ws_url,
            init_payload={"authorization": f"Bearer {access_token}"},
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        )
    )


async def ws_refusal(server, access_token: str, document: str, name: str | None = None) -> dict:
    """The one error a `subscribe` message gets (gql raises it as TransportQueryError)."""
    async with ws_client(server, access_token) as session:
        with pytest.raises(TransportQueryError) as refused:
            request = gql(document)
            request.operation_name = name
            async with asyncio.timeout(10):
                async for _ in session.subscribe(request):
                    pass
    (error,) = refused.value.errors
    return error


def http_client(server, access_token: str) -> Client:
    headers = {"authorization": f"Bearer {access_token}"}
    return Client(transport=HTTPXAsyncTransport(url=server.http_url, headers=headers, timeout=30))


# --- 1. WebSocket: one subscription operation, chosen as over HTTP ---------------------------


@pytest.mark.parametrize(
    "document",
    [
        f"{CREATE_UNIT.format(code='WS1')} {SUBSCRIBE}",  # the mutation first ran
        f"{SUBSCRIBE} {CREATE_UNIT.format(code='WS2')}",
        f"query Q {{ me {{ email }} }} {CREATE_UNIT.format(code='WS3')}",
    ],
    ids=["mutation-first", "subscription-first", "query-and-mutation"],
)
async def test_ws_several_operations_without_a_name_are_refused_and_write_nothing(
    server, region_a, settings, owner_conn, document
):
    error = await ws_refusal(server, region_a.token(ADMIN, settings), document)
    assert error["extensions"]["code"] == "OPERATION_NAME_REQUIRED"
    assert "operationName" in error["message"]
    assert await attack_units(owner_conn, region_a) == 0
    # HTTP applies the same rule, with the same error.
    response = await httpx.AsyncClient().post(
        server.http_url,
        json={"query": document},
        headers={"authorization": f"Bearer {region_a.token(ADMIN, settings)}"},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [error]
    assert await attack_units(owner_conn, region_a) == 0


async def test_ws_runs_only_subscriptions(server, region_a, settings, owner_conn):
    access = region_a.token(ADMIN, settings)
    for document, name in (
        (CREATE_UNIT.format(code="WS4"), None),
        (f"{SUBSCRIBE} {CREATE_UNIT.format(code='WS5')}", "M"),
        ("query Q { me { email } }", None),
    ):
        error = await ws_refusal(server, access, document, name)
        assert error["extensions"]["code"] == "USE_HTTP", error
        assert "WebSocket" in error["message"] and "HTTP" in error["message"]
    assert await attack_units(owner_conn, region_a) == 0


async def test_ws_unknown_operation_name_gets_the_typed_error_http_gives(
    server, region_a, settings
):
    access = region_a.token(EMPLOYEE, settings)
    error = await ws_refusal(server, access, SUBSCRIBE, name="Tidak")
    assert error["extensions"]["code"] == "UNKNOWN_OPERATION"
    assert error["message"] == 'Dokumen tidak memuat operasi bernama "Tidak".'
    response = await httpx.AsyncClient().post(
        server.http_url,
        json={"query": "query Q { me { email } }", "operationName": "Tidak"},
        headers={"authorization": f"Bearer {access}"},
    )
    assert response.status_code == 400 and response.json()["errors"] == [error]


async def test_ws_hides_suggestions_as_http_does(server, region_a, settings):
    access = region_a.token(EMPLOYEE, settings)
    error = await ws_refusal(server, access, "subscription { notificationReceivd { id } }")
    assert "notificationReceivd" in error["message"]
    assert "Did you mean" not in error["message"]
    assert "notificationReceived" not in error["message"]
    async with http_client(server, access) as session:
        with pytest.raises(TransportQueryError) as refused:
            await session.execute(gql("{ me { emial } }"))
    assert "Did you mean" not in str(refused.value.errors)


async def test_ws_malformed_subscribe_payloads_get_typed_errors(server, region_a, settings):
    """Frames gql would not send: a non-string operationName, non-object variables, and
    variables nested past the bound."""
    access = region_a.token(EMPLOYEE, settings)
    deep: object = 1
    for _ in range(200):
        deep = [deep]
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {access}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for n, payload in enumerate(
            [
                {"query": SUBSCRIBE, "operationName": 5},
                {"query": SUBSCRIBE, "variables": [1]},
                {"query": SUBSCRIBE, "variables": {"x": deep}},
            ]
        ):
            await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": payload}))
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert message["type"] == "error", message
            (error,) = message["payload"]
            assert error["extensions"]["code"] == "BAD_REQUEST", error


# --- 2. Per-IP limits count an IPv6 client by its /64 -----------------------------------------


def test_limit_buckets_are_ipv4_addresses_and_ipv6_64s():
    from kinerja_saas.ratelimit import limit_bucket

    assert limit_bucket("2001:db8:1:2::1") == limit_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert limit_bucket("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert limit_bucket("2001:db8:1:3::1") != limit_bucket("2001:db8:1:2::1")
    assert limit_bucket("::ffff:192.0.2.7") == limit_bucket("192.0.2.7") == "192.0.2.7"
    assert limit_bucket("192.0.2.7") != limit_bucket("192.0.2.8")
    # Every per-IP key: failed logins (per address, per account and client), surveys.
    one, other = "2001:db8:5:6::1", "2001:db8:5:6:aaaa::2"
    assert LoginThrottle.ip_key(one) == LoginThrottle.ip_key(other)
    assert LoginClient(one).key == LoginClient(other).key
    assert survey_limits.ip_key(1, one) == survey_limits.ip_key(1, other)
    assert survey_limits.code_client_key("K", one) == survey_limits.code_client_key("K", other)


def _api_from(app, address: str, settings) -> Api:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return Api(httpx.AsyncClient(transport=transport, base_url="http://test"), settings)


async def test_one_64_shares_the_unknown_code_limit(settings, monkeypatch):
    from schema.surveys import types as survey_schema

    monkeypatch.setattr(survey_schema, "UNKNOWN_CODE_LIMIT_PER_HOUR", 2)
    app = create_app(settings)
    query = "query($c: String!) { surveyForm(code: $c) { serviceName } }"
    prefix = f"2001:db8:{secrets.randbelow(65536):x}:77"  # fresh counters each run
    codes = []
    for n in range(1, 4):  # three addresses of one /64
        api = _api_from(app, f"{prefix}::{n:x}", settings)
        codes.append((await api(query, {"c": f"TIDAKADA{n}"})).codes)
    assert codes == [["UNKNOWN_CODE"], ["UNKNOWN_CODE"], ["RATE_LIMITED"]]
    neighbour = _api_from(app, f"{prefix}1::1", settings)  # another /64
    assert (await neighbour(query, {"c": "TIDAKADA9"})).codes == ["UNKNOWN_CODE"]


# --- the per-code survey limit: no client can use up a code for everyone ---------------------


SUBMIT = """mutation($code: String!, $answers: [SurveyAnswerInput!]!, $token: String!) {
  submitSurveyResponse(code: $code, answers: $answers, clientToken: $token) {
    accepted errors { code } } }"""


async def test_clients_hammering_a_code_do_not_block_it_for_a_citizen(settings, region_a):
    campaign = await open_campaign(region_a)
    code = campaign.codes["ktp"]
    limited = settings.model_copy(
        update={
            "survey_rate_limit_per_code_client_per_minute": 2,
            "survey_rate_limit_per_code_per_minute": 12,
        }
    )
    app = create_app(limited)
    answers = [{"element": f"U{i}", "value": 3} for i in range(1, 10)]
    outcomes = []
    for attacker in range(5):  # five addresses, three tries each: 15 > the ceiling of 12
        api = _api_from(app, f"198.51.100.{attacker + 10}", limited)
        for _ in range(3):
            res = await api(SUBMIT, {"code": code, "answers": answers, "token": token()})
            outcomes.append(res.codes or ["ACCEPTED"])
    assert outcomes.count(["RATE_LIMITED"]) == 5  # each attacker's third try
    citizen = _api_from(app, "203.0.113.50", limited)
    res = await citizen(SUBMIT, {"code": code, "answers": answers, "token": token()})
    assert res.codes == [] and res.data["submitSurveyResponse"]["accepted"] is True


# --- 3. The QR route refuses a revoked access token -------------------------------------------


async def test_the_qr_route_refuses_a_revoked_token(api, region_a):
    login = await api(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        {"e": region_a.accounts[ADMIN].email, "p": PASSWORD},
    )
    access = login.data["login"]["accessToken"]
    qr_url = "/surveys/campaigns/999999/services/1/qr.svg"
    headers = {"authorization": f"Bearer {access}"}
    before = await api.client.get(qr_url, headers=headers)
    assert before.status_code != 401, before.text  # admitted (no such campaign)
    assert (await api("mutation { logoutEverywhere }", token=access)).data["logoutEverywhere"]
    for _ in range(250):  # /graphql refuses it within seconds (revocation.py)
        if (await api("{ __typename }", token=access)).codes == ["TOKEN_REVOKED"]:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("/graphql still accepts the token")
    after = await api.client.get(qr_url, headers=headers)
    assert after.status_code == 401, after.text
    assert after.json()["errors"][0]["extensions"]["code"] == "TOKEN_REVOKED"


# --- 4. A malformed multipart map answers 400 naming the problem -----------------------------

UPLOAD = json.dumps(
    {
        "query": "mutation($f: Upload!) { importEmployees(file: $f, dryRun: true) { errors { code } } }",
        "variables": {"f": None, "l": [None]},
    }
)


@pytest.mark.parametrize(
    "files_map",
    [
        '{"0": [5]}',
        '{"0": "variables.f"}',
        '{"0": []}',
        '{"0": null}',
        '{"1": ["variables.f"]}',
        '{"0": ["variables.f.x.y"]}',
        '{"0": ["variables.nope"]}',
        '{"0": ["variables.l.5"]}',
        '{"0": ["variables.l.x"]}',
        '{"0": ["query"]}',
        '{"0": ["variables"]}',
    ],
)
async def test_a_malformed_multipart_map_is_a_400_naming_it(api, region_a, settings, files_map):
    response = await api.client.post(
        "/graphql",
        data={"operations": UPLOAD, "map": files_map},
        files={"0": ("a.csv", b"nip,nama\n", "text/csv")},
        headers={"authorization": f"Bearer {region_a.token(ADMIN, settings)}"},
    )
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"].startswith("map: "), error


# --- 5. A subscription over HTTP --------------------------------------------------------------


async def test_a_subscription_over_http_is_a_typed_400(api, region_a, settings):
    response = await api.client.post(
        "/graphql",
        json={"query": SUBSCRIBE},
        headers={"authorization": f"Bearer {region_a.token(EMPLOYEE, settings)}"},
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "SUBSCRIPTION_OVER_HTTP"
    assert "WebSocket" in error["message"] and "Unexpected" not in error["message"]


# --- 8. Deeply nested variables: a 400, never a RecursionError --------------------------------


@pytest.mark.parametrize("depth", [100, 1000, 1020])
async def test_deeply_nested_variables_are_a_400(api, region_a, settings, depth):
    headers = {"authorization": f"Bearer {region_a.token(ADMIN, settings)}"}
    nested = "[" * depth + "]" * depth
    body = '{"query": "query Q { me { email } }", "variables": {"x": ' + nested + "}}"
    response = await api.client.post(
        "/graphql", content=body, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    get = await api.client.get(
        "/graphql",
        params={"query": "{ me { email } }", "variables": '{"x": ' + nested + "}"},
        headers={**headers, "accept": "application/json"},
    )
    assert get.status_code == 400, get.text
    shallow = '{"query": "query Q { me { email } }", "variables": {"x": [[[[1]]]]}}'
    ok = await api.client.post(
        "/graphql", content=shallow, headers={**headers, "content-type": "application/json"}
    )
    assert ok.status_code == 200 and ok.json()["data"]["me"]["email"]


# --- 9. publishedSurveyResults: no existence oracle -------------------------------------------

PUBLISHED = "query($s: String!) { publishedSurveyResults(regionSlug: $s) { campaignId } }"


async def test_published_results_of_another_region_read_as_not_found(api, region_a, region_b):
    other = await api.as_role(region_a, ADMIN, PUBLISHED, {"s": region_b.tenant.slug})
    missing = await api.as_role(region_a, ADMIN, PUBLISHED, {"s": "tidak-ada-wilayah-ini"})
    assert other.codes == missing.codes == ["NOT_FOUND"]
    assert other.errors[0]["message"] == missing.errors[0]["message"]
    # Anonymous, a second region in one request reads the same.
    both = await api(
        "query($a: String!, $b: String!) { a: publishedSurveyResults(regionSlug: $a) "
        "{ campaignId } b: publishedSurveyResults(regionSlug: $b) { campaignId } }",
        {"a": region_a.tenant.slug, "b": region_b.tenant.slug},
    )
    assert "NOT_FOUND" in both.codes and "ONE_REGION_PER_REQUEST" not in both.codes


# --- ids are ASCII digits ---------------------------------------------------------------------


SPELLINGS = {
    "arabic-indic": lambda n: n.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
    "persian": lambda n: n.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
    "fullwidth": lambda n: n.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    "space": lambda n: f" {n}",
    "plus": lambda n: f"+{n}",
    "underscore": lambda n: f"{n[0]}_{n[1:]}" if len(n) > 1 else f"0_{n}",
}


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_ids_are_ascii_digits_only(api, region_a, spelling):
    unit_id = str(region_a.units["dinas"].id)
    query = "query($i: ID!) { unit(id: $i) { id } }"
    found = await api.as_role(region_a, ADMIN, query, {"i": unit_id})
    assert found.data["unit"]["id"] == unit_id
    res = await api.as_role(region_a, ADMIN, query, {"i": SPELLINGS[spelling](unit_id)})
    assert res.codes == ["INVALID_ID"], res.body
    assert res.errors[0]["message"].startswith("id: bukan id yang sah")


# --- typed refusals are not logged at ERROR ---------------------------------------------------


async def test_typed_refusals_are_not_errors_in_the_log(api, region_a, region_b, settings, caplog):
    caplog.set_level(logging.INFO)
    refusals = [
        api("{ me { emial } }"),  # validation
        api("{ me { email } }"),  # UNAUTHENTICATED
        api.as_role(region_a, EMPLOYEE, "{ regions { pageInfo { hasNextPage } } }"),  # FORBIDDEN
        api.as_role(region_a, ADMIN, '{ employee(id: "x") { id } }'),  # INVALID_ID
        api.as_role(
            region_a, ADMIN, f'{{ employee(id: "{region_b.employees["head"].id}") {{ id }} }}'
        ),
        api.as_role(
            region_a,
            ADMIN,
            'mutation { login(email: "a@b.id", password: "x") { accessToken } }',
        ),  # ALREADY_AUTHENTICATED
        api(
            'mutation { login(email: "a@b.id", password: "x") { accessToken } '
            'logout(refreshToken: "x") }'
        ),  # AUTHENTICATION_ALONE
    ]
    for request in refusals:
        res = await request
        assert res.errors, res.body
    logged = [r for r in caplog.records if r.name == "strawberry.execution"]
    assert logged  # they are logged…
    assert all(r.levelno < logging.ERROR for r in logged), [
        (r.levelname, r.getMessage()[:80]) for r in logged if r.levelno >= logging.ERROR
    ]  # …but not as errors


async def test_ws_documents_meet_the_http_limits(server, region_a, settings):
    """The socket's documents go through the same schema extensions as HTTP's."""
    access = region_a.token(EMPLOYEE, settings)
    aliases = " ".join(f"a{n}: id" for n in range(settings.max_aliases + 1))
    error = await ws_refusal(
        server, access, f"subscription S {{ notificationReceived {{ {aliases} }} }}"
    )
    assert "aliases" in error["message"].lower(), error
    # Past the token limit the parser stops; Strawberry closes the socket (4400) for a
    # document that does not parse, naming the limit.
    tokens = " ".join(["id"] * (settings.max_tokens + 1))
    query = f"subscription S {{ notificationReceived {{ {tokens} }} }}"
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {access}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "t", "type": "subscribe", "payload": {"query": query}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd.code == 4400
    assert f"more than {settings.max_tokens} tokens" in closed.value.rcvd.reason
