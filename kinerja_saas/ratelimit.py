"""Fixed-window counters in Redis, shared by every limit of the platform (public survey
submissions, login failures). Keys hold hashes of what they count (an IP, an e-mail),
never the value itself, and expire with their window."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from kinerja_saas.errors import DomainError


class RateLimited(DomainError):
    """Refused for who is asking, not for the input; `retryAfter` tells when to try again."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict:
        return {"code": self.code, "retryAfter": self.retry_after}


def digest(value: str) -> str:
    """What a key holds instead of an IP or e-mail address."""
    return hashlib.sha256(value.encode()).hexdigest()[:24]


async def hit(redis: Redis, key: str, *, limit: int, window_seconds: int) -> int | None:
    """Counts one request; returns the seconds to wait when over `limit`, else None."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_seconds, nx=True)
        pipe.ttl(key)
        count, _, ttl = await pipe.execute()
    if count > limit:
        return max(int(ttl), 1)
    return None


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
