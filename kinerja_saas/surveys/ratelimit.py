"""The public survey endpoints' rate limits (counters of kinerja_saas/ratelimit.py). Keys
hold a hash of the client's address (never the address itself; an IPv6 client counts by
its /64, `client_address.limit_bucket`) and expire with their window.

Submissions are counted three ways: per client and region per hour (the region's rule),
per (code, client) per minute, and per code per minute over all clients — a ceiling ten
times higher, so that no single client can use up a code for the citizens at the counter:
blocking a code for a minute takes `ceiling / per_code_client` clients (100 /64s or IPv4
addresses by default) at once, and keeping it blocked an hour `ceiling × 60 / per_ip_hour`
of them (docs/security.md).

The limits fail open: while Redis is unreachable a request is let through unchecked (logged,
and counted in `kinerja_rate_limit_unchecked_total{limit="survey"}`), because refusing every
survey response during a Redis restart would lose more than a burst of unthrottled ones
costs."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from kinerja_saas.ratelimit import RateLimited, digest, hit_all, hit_gated, limit_bucket, unchecked
from kinerja_saas.surveys.errors import SurveyError

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
    return f"kinerja:skm:ip:{tenant_id}:{digest(limit_bucket(ip))}"


def code_key(code: str) -> str:
    return f"kinerja:skm:code:{digest(code)}"


def code_client_key(code: str, ip: str) -> str:
    return f"kinerja:skm:code-client:{digest(code + chr(10) + limit_bucket(ip))}"


async def check_submission(
    redis: Redis,
    *,
    tenant_id: int,
    code: str,
    ip: str,
    per_ip_hour: int,
    per_code_minute: int,
    per_code_client_minute: int,
) -> None:
    """Raises RateLimited when the client (in this region, per hour), the client on this
    code (per minute) or the code over all clients (per minute, the ceiling) is over its
    limit. One round trip; the code's ceiling counts only submissions the client's own
    limits admitted, so a client hammering a code fills its own counters, not the code's."""
    try:
        waits = await hit_gated(
            redis,
            [
                (ip_key(tenant_id, ip), per_ip_hour, 3600),
                (code_client_key(code, ip), per_code_client_minute, 60),
            ],
            [(code_key(code), per_code_minute, 60)],  # only what the client's limits admit
        )
    except (RedisError, OSError) as exc:
        unchecked("survey", exc)
        return
    wait = next((w for w in waits if w is not None), None)
    if wait is not None:
        raise RateLimited(SurveyError.TOO_MANY_RESPONSES, retry_after=wait)


UNKNOWN_CODE_LIMIT_PER_HOUR = 60  # lookups of unknown codes per IP: guessing is pointless


async def check_unknown_code(redis: Redis, *, ip: str) -> None:
    """Counts a lookup of an unknown code; raises RateLimited when the IP is over its limit
    (the survey page's; the GraphQL field keeps its own count)."""
    wait = await hit(
        redis,
        f"kinerja:skm:unknown-page:{digest(limit_bucket(ip))}",
        limit=UNKNOWN_CODE_LIMIT_PER_HOUR,
        window_seconds=3600,
    )
    if wait is not None:
        raise RateLimited(retry_after=wait)
