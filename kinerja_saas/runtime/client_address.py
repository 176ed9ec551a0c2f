"""The client's address: one place for every per-IP limit (failed logins, unknown survey
codes, survey submissions) and the logs.

Directly connected, the client is the peer. Behind reverse proxies the peer is the proxy,
and only then is the proxies' header read — when `KINERJA_TRUSTED_PROXIES` names them. The
header is read from the right: each trusted proxy appended the address it saw, so the first
address that is not a trusted proxy is the client; anything to its left the client wrote
itself. Only the header the proxies set (`KINERJA_PROXY_HEADER`) is read: a proxy that
appends X-Forwarded-For passes a client's own `Forwarded` header through untouched.

uvicorn's own proxy-header handling is off (kinerja_saas/runtime/cli.py): it trusted 127.0.0.1 by
default, so a proxy on the same host let every client choose its address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from kinerja_saas.settings import Network


def _address(token: str) -> str | None:
    """An address as proxies write it ('1.2.3.4', '1.2.3.4:80', '"[2001:db8::1]:443"',
    '2001:db8::1'), normalised; None for anything else ('unknown', '_hidden', garbage)."""
    token = token.strip().strip('"').strip()
    if token.startswith("["):
        token = token[1:].partition("]")[0]
    elif token.count(":") == 1:
        token = token.partition(":")[0]
    try:
        return str(ipaddress.ip_address(token))
    except ValueError:
        return None


def _trusted(address: str | None, networks: Sequence[Network]) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    # Several headers of one name are one comma-separated list (RFC 9110).
    return ",".join(v.decode("latin-1") for k, v in headers if k.lower() == name)


def _hops(headers: list[tuple[bytes, bytes]], header: str) -> list[tuple[str, str | None]]:
    """(for, proto) of each hop, nearest last."""
    if header == "forwarded":
        hops = []
        for element in _header(headers, b"forwarded").split(","):
            pairs = dict(
                (k.strip().lower(), v.strip().strip('"'))
                for k, _, v in (part.partition("=") for part in element.split(";"))
            )
            hops.append((pairs.get("for", ""), pairs.get("proto")))
        return hops
    proto = _header(headers, b"x-forwarded-proto").split(",")[-1].strip() or None
    addresses = _header(headers, b"x-forwarded-for").split(",")
    return [(a, proto if i == len(addresses) - 1 else None) for i, a in enumerate(addresses)]


def forwarded_client(
    peer: str, headers: list[tuple[bytes, bytes]], networks: Sequence[Network], header: str
) -> tuple[str, str | None]:
    """The client's address and the scheme it used, for a request from `peer`."""
    if not networks or not _trusted(_address(peer), networks):
        return peer, None
    client, scheme = peer, None
    for token, proto in reversed(_hops(headers, header)):
        address = _address(token)
        if address is None:
            break  # a proxy wrote something we cannot read: keep the last known hop
        client, scheme = address, proto or scheme
        if not _trusted(address, networks):
            break
    return client, scheme


class ClientAddressMiddleware:
    """Puts the client's address (and scheme) into the ASGI scope, so `request.client`
    is the client everywhere after it."""

    def __init__(self, app: ASGIApp, networks: Sequence[Network], header: str) -> None:
        self.app = app
        self.networks = tuple(networks)
        self.header = header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.networks and scope["type"] in ("http", "websocket") and scope.get("client"):
            peer = scope["client"][0]
            client, scheme = forwarded_client(
                peer, scope.get("headers") or [], self.networks, self.header
            )
            if client != peer:
                scope = {**scope, "client": (client, 0)}
                if scheme in ("http", "https"):
                    websocket = scope["type"] == "websocket"
                    scope["scheme"] = (
                        {"http": "ws", "https": "wss"}[scheme] if websocket else scheme
                    )
        await self.app(scope, receive, send)
