"""The client's address behind reverse proxies: read from the proxies' header only when the
peer is a trusted proxy (KINERJA_TRUSTED_PROXIES), right to left, and counted by every per-IP
limit (the GraphQL survey fields' and the survey page's alike)."""

from __future__ import annotations

import httpx
import pytest

from kinerja_saas.ratelimit import digest
from kinerja_saas.runtime.client_address import forwarded_client
from kinerja_saas.settings import Settings, parse_networks

PROXIES = parse_networks("10.0.0.10, 10.1.0.0/16, fd00::/8")


def _xff(value: str) -> list[tuple[bytes, bytes]]:
    return [(b"x-forwarded-for", value.encode())]


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        # not from a proxy: the header is the client's own words
        ("203.0.113.9", _xff("198.51.100.1"), "203.0.113.9"),
        # one proxy
        ("10.0.0.10", _xff("198.51.100.1"), "198.51.100.1"),
        # the client wrote its own header first: the proxy appended the real address
        ("10.0.0.10", _xff("1.1.1.1, 198.51.100.1"), "198.51.100.1"),
        # two proxies
        ("10.1.2.3", _xff("6.6.6.6, 198.51.100.1, 10.0.0.10"), "198.51.100.1"),
        # several headers are one list
        ("10.0.0.10", [*_xff("6.6.6.6"), *_xff("198.51.100.1")], "198.51.100.1"),
        # ports, IPv6 in brackets, IPv4-mapped proxies
        ("10.0.0.10", _xff("198.51.100.1:4711"), "198.51.100.1"),
        ("fd00::1", _xff("[2001:db8::7]:443"), "2001:db8::7"),
        ("::ffff:10.0.0.10", _xff("2001:db8::7"), "2001:db8::7"),
        # only proxies: the leftmost
        ("10.0.0.10", _xff("10.1.0.5"), "10.1.0.5"),
        # a proxy that writes garbage: the last address known
        ("10.0.0.10", _xff("198.51.100.1, unknown"), "10.0.0.10"),
        # no header at all
        ("10.0.0.10", [], "10.0.0.10"),
        # the other header is never read
        ("10.0.0.10", [(b"forwarded", b"for=198.51.100.1")], "10.0.0.10"),
    ],
)
def test_the_client_is_the_first_untrusted_address_from_the_right(peer, headers, client):
    assert forwarded_client(peer, headers, PROXIES, "x-forwarded-for")[0] == client


def test_forwarded_header_when_the_proxies_set_it():
    headers = [
        (b"forwarded", b'for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https'),
        (b"x-forwarded-for", b"6.6.6.6"),
    ]
    assert forwarded_client("10.0.0.10", headers, PROXIES, "forwarded") == (
        "2001:db8:cafe::17",
        "https",
    )


def test_no_trusted_proxies_means_no_header_is_read():
    assert forwarded_client("10.0.0.10", _xff("198.51.100.1"), (), "x-forwarded-for") == (
        "10.0.0.10",
        None,
    )


def test_settings_name_proxies_never_guess_them():
    assert Settings(env="dev", trusted_proxies="10.0.0.10,10.1.0.0/16").trusted_proxy_networks
    for bad in ("*", "proxy.internal", "10.0.0.300"):
        with pytest.raises(ValueError, match="not an address or network"):
            Settings(env="dev", trusted_proxies=bad)


async def _post(settings, path: str, **kwargs) -> httpx.Response:
    from kinerja_saas.runtime.app import create_app

    transport = httpx.ASGITransport(app=create_app(settings), client=("10.0.0.10", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(kwargs.pop("method", "POST"), path, **kwargs)


UNKNOWN = 'query { surveyForm(code: "kode-yang-tidak-pernah-ada-00") { regionName } }'


@pytest.mark.parametrize("trusted", [True, False])
async def test_every_per_ip_limit_counts_the_same_client_address(settings, redis, trusted):
    """An unknown survey code, through GraphQL and through the page: both limits count
    the client's address behind a trusted proxy, and the proxy's when it is not trusted
    (whatever the client wrote in the header)."""
    proxied = settings.model_copy(update={"trusted_proxies": "10.0.0.10" if trusted else ""})
    client = "198.51.100.77" if trusted else "10.0.0.10"
    headers = {"x-forwarded-for": "6.6.6.6, 198.51.100.77"}
    keys = (f"kinerja:skm:unknown:{digest(client)}", f"kinerja:skm:unknown-page:{digest(client)}")
    await redis.delete(
        *(
            f"kinerja:skm:{kind}:{digest(address)}"
            for kind in ("unknown", "unknown-page")
            for address in ("6.6.6.6", "198.51.100.77", "10.0.0.10")
        )
    )
    response = await _post(proxied, "/graphql", json={"query": UNKNOWN}, headers=headers)
    assert response.json()["errors"][0]["extensions"]["code"] == "UNKNOWN_CODE"
    page = await _post(proxied, "/s/kode-yang-tidak-pernah-ada-00", method="GET", headers=headers)
    assert page.status_code == 404
    assert [await redis.get(k) for k in keys] == [b"1", b"1"]
    for spoofed in ("6.6.6.6", "198.51.100.77") if not trusted else ("6.6.6.6",):
        assert not await redis.exists(f"kinerja:skm:unknown:{digest(spoofed)}")
