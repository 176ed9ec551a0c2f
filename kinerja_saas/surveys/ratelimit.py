"""Rate limits of the public survey endpoints (counters in kinerja_saas/ratelimit.py)."""

from __future__ import annotations

from redis.asyncio import Redis

from kinerja_saas.ratelimit import RateLimited, digest, hit

__all__ = ["RateLimited", "check_submission", "check_unknown_code", "hit"]


def ip_key(tenant_id: int, ip: str) -> str:
    return f"kinerja:skm:ip:{tenant_id}:{digest(ip)}"


def code_key(code: str) -> str:
    return f"kinerja:skm:code:{code}"


async def check_submission(
    redis: Redis, *, tenant_id: int, code: str, ip: str, per_ip_hour: int, per_code_minute: int
) -> None:
    """Raises RateLimited when the IP (in this region, per hour) or the code (per minute)
    is over its limit."""
    wait = await hit(redis, ip_key(tenant_id, ip), limit=per_ip_hour, window_seconds=3600)
    if wait is None:
        wait = await hit(redis, code_key(code), limit=per_code_minute, window_seconds=60)
    if wait is not None:
        raise RateLimited(f"Too many responses; try again in {wait} seconds.", retry_after=wait)


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
        raise RateLimited("Too many unknown codes; try again later.", retry_after=wait)
