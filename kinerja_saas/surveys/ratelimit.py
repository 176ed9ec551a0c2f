"""The public survey endpoints' rate limits (counters of kinerja_saas/ratelimit.py). Keys
hold a hash of the client's IP (never the IP itself) and expire with their window.

The limits fail open: while Redis is unreachable a request is let through unchecked (logged,
and counted in `kinerja_rate_limit_unchecked_total{limit="survey"}`), because refusing every
survey response during a Redis restart would lose more than a burst of unthrottled ones
costs."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from kinerja_saas.ratelimit import RateLimited, digest, hit_all, unchecked

__all__ = ["RateLimited", "check_submission", "check_unknown_code", "hit", "hits"]


async def hits(redis: Redis, counters: list[tuple[str, int, int]]) -> list[int | None]:
    """`hit_all` (one round trip), failing open: every None when Redis cannot be reached."""
    try:
        return await hit_all(redis, counters)
    except (RedisError, OSError) as exc:
        unchecked("survey", exc)  # the keys hold a hashed IP: they are not logged
        return [None] * len(counters)


async def hit(redis: Redis, key: str, *, limit: int, window_seconds: int) -> int | None:
    """Counts one request; returns the seconds to wait when over `limit`, else None."""
    return (await hits(redis, [(key, limit, window_seconds)]))[0]


def ip_key(tenant_id: int, ip: str) -> str:
    return f"kinerja:skm:ip:{tenant_id}:{digest(ip)}"


def code_key(code: str) -> str:
    return f"kinerja:skm:code:{code}"


async def check_submission(
    redis: Redis, *, tenant_id: int, code: str, ip: str, per_ip_hour: int, per_code_minute: int
) -> None:
    """Raises RateLimited when the IP (in this region, per hour) or the code (per minute)
    is over its limit. Both are counted in one round trip."""
    ip_wait, code_wait = await hits(
        redis,
        [
            (ip_key(tenant_id, ip), per_ip_hour, 3600),
            (code_key(code), per_code_minute, 60),
        ],
    )
    wait = ip_wait if ip_wait is not None else code_wait
    if wait is not None:
        raise RateLimited(retry_after=wait)


UNKNOWN_CODE_LIMIT_PER_HOUR = 60  # lookups of unknown codes per IP: guessing is pointless


async def check_unknown_code(redis: Redis, *, ip: str) -> None:
    """Counts a lookup of an unknown code; raises RateLimited when the IP is over its limit
    (the survey page's; the GraphQL field keeps its own count)."""
    wait = await hit(
        redis,
        f"kinerja:skm:unknown-page:{digest(ip)}",
        limit=UNKNOWN_CODE_LIMIT_PER_HOUR,
        window_seconds=3600,
    )
    if wait is not None:
        raise RateLimited(retry_after=wait)
