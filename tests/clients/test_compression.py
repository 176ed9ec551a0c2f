"""gzip of responses over 1 KB, checked with a real HTTP client over TCP (httpx against
uvicorn): the survey page (7.8 KB, 2.2 KB gzipped) and a large GraphQL response are sent
gzipped when the client asks, small ones and clients that do not ask get plain bytes, and
GraphiQL's assets are sent once gzipped (precompressed), never twice."""

from __future__ import annotations

import hashlib
import json

import httpx

from kinerja_saas.runtime.app import GZIP_MINIMUM_BYTES
from schema.graphiql import manifest
from tests.surveys.helpers import open_campaign

GZIP = {"accept-encoding": "gzip"}
PLAIN = {"accept-encoding": "identity"}
INTROSPECTION = "{ __schema { types { name description fields { name description } } } }"


async def get(server, path: str, headers: dict) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        return await client.get(path, headers=headers)


async def post(server, body: dict, headers: dict) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        return await client.post("/graphql", json=body, headers=headers)


def wire_bytes(response: httpx.Response) -> int:
    return response.num_bytes_downloaded


async def test_the_survey_page_is_gzipped_when_asked(server, region_a):
    campaign = await open_campaign(region_a)
    path = f"/s/{campaign.codes['ktp']}"
    zipped = await get(server, path, GZIP)
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["vary"]
    assert "<form" in zipped.text  # httpx decoded it: valid gzip of the page
    assert wire_bytes(zipped) < len(zipped.content) / 2
    plain = await get(server, path, PLAIN)
    assert "content-encoding" not in plain.headers
    assert wire_bytes(plain) == len(plain.content) > GZIP_MINIMUM_BYTES


async def test_a_large_graphql_response_is_gzipped_and_a_small_one_is_not(server):
    zipped = await post(server, {"query": INTROSPECTION}, GZIP)
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    assert zipped.json()["data"]["__schema"]["types"]
    assert wire_bytes(zipped) < len(zipped.content) / 3
    plain = await post(server, {"query": INTROSPECTION}, PLAIN)
    assert "content-encoding" not in plain.headers
    assert json.loads(plain.content) == zipped.json()
    small = await post(server, {"query": "{ __typename }"}, GZIP)
    assert len(small.content) < GZIP_MINIMUM_BYTES
    assert "content-encoding" not in small.headers


async def test_graphiql_assets_are_gzipped_once(server):
    page = await get(server, "/graphql", {**GZIP, "accept": "text/html"})
    assert page.status_code == 200 and "graphiql.min.js?v=" in page.text
    for name, entry in manifest().items():
        if name == "manifest.json" or not name.endswith((".js", ".css")):
            continue
        asset = await get(server, f"/graphiql/{name}", GZIP)
        assert asset.status_code == 200, name
        assert hashlib.sha256(asset.content).hexdigest() == entry["sha256"], name
        if len(asset.content) > GZIP_MINIMUM_BYTES:
            assert asset.headers["content-encoding"] == "gzip", name
            assert wire_bytes(asset) < len(asset.content), name
        assert "immutable" in asset.headers["cache-control"]
    assert (await get(server, "/graphiql/../settings.py", GZIP)).status_code == 404
    assert (await get(server, "/graphiql/manifest.json", GZIP)).status_code == 404
