"""The HTTP edge of /graphql: malformed requests get a 400 with a GraphQL error (never a
500, never plain text); production hides the schema (introspection, suggestions)."""

from __future__ import annotations

import json

import httpx
import pytest

from kinerja_saas.settings import Settings

BODIES = [
    b"42",
    b'"x"',
    b"null",
    b"true",
    b"[]",
    b'[{"query": "{ __typename }"}]',
    b"{",
    b"\xff\xfe",
    b'{"query": "{ __typename }", "operationName": 5}',
    b'{"query": "{ __typename }", "operationName": ["x"]}',
    b'{"query": "{ __typename }", "operationName": {"a": 1}}',
    b'{"query": "{ __typename }", "operationName": true}',
    b'{"query": 5}',
    b'{"query": "{ __typename }", "variables": [1]}',
    b'{"query": "{ __typename }", "variables": "x"}',
    b'{"query": "{ __typename }", "extensions": 5}',
]


def _assert_graphql_400(response: httpx.Response) -> None:
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST" and error["message"]


@pytest.mark.parametrize("body", BODIES, ids=[b.decode("latin-1")[:40] for b in BODIES])
async def test_malformed_json_bodies_get_a_graphql_400(http, body):
    response = await http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    _assert_graphql_400(response)


@pytest.mark.parametrize(
    ("operations", "files_map"),
    [
        ("42", "{}"),
        ("null", "{}"),
        ('[{"query": "{ __typename }"}]', "{}"),
        ('{"query": "{ __typename }", "operationName": 5}', "{}"),
        ('{"query": "{ __typename }"}', "[]"),
        ('{"query": "{ __typename }"}', "7"),
    ],
)
async def test_malformed_multipart_requests_get_a_graphql_400(http, operations, files_map):
    response = await http.post(
        "/graphql",
        data={"operations": operations, "map": files_map},
        files={"0": ("a.csv", b"x", "text/csv")},
    )
    _assert_graphql_400(response)


async def test_get_with_broken_parameters_gets_a_graphql_400(http):
    for params in ({"query": "{ __typename }", "variables": "[1]"}, {"variables": "{"}):
        response = await http.get("/graphql", params=params, headers={"accept": "application/json"})
        _assert_graphql_400(response)


async def test_a_well_formed_request_still_works(http):
    response = await http.post(
        "/graphql", json={"query": "query Q { __typename }", "operationName": "Q"}
    )
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}


# --- what production shows of the schema ---------------------------------------------------


def _production(**overrides) -> Settings:
    return Settings(
        env="production",
        jwt_secret="s" * 40,
        app_db_password="x",
        database_url="postgresql://u@127.0.0.1:1/db",
        **overrides,
    )


async def _post(settings: Settings, query: str) -> dict:
    from schema.view import KinerjaGraphQL

    view = KinerjaGraphQL(settings)
    transport = httpx.ASGITransport(app=view)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/graphql", json={"query": query})
    return response.json()


INTROSPECTION = "{ __schema { queryType { name } } }"
TYPO = "{ employes { totalCount } }"


async def test_production_has_no_introspection_and_no_suggestions():
    body = await _post(_production(), INTROSPECTION)
    assert body["data"] is None and "introspection" in body["errors"][0]["message"].lower()
    body = await _post(_production(), '{ __type(name: "Query") { name } }')
    assert body["data"] is None
    body = await _post(_production(), TYPO)
    assert "Did you mean" not in json.dumps(body) and "employees" not in json.dumps(body)


async def test_settings_turn_introspection_and_suggestions_back_on():
    settings = _production(introspection=True, field_suggestions=True)
    body = await _post(settings, INTROSPECTION)
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert "Did you mean" in json.dumps(await _post(settings, TYPO))


async def test_development_keeps_both(settings):
    dev = Settings(env="dev")
    assert "Did you mean" in json.dumps(await _post(dev, TYPO))
    assert (await _post(dev, INTROSPECTION))["data"]["__schema"]
