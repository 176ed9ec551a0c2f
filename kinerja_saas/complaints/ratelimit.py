"""The public complaint endpoints' rate limits (counters of kinerja_saas/ratelimit.py), in the
survey's shape (kinerja_saas/surveys/ratelimit.py) with counters of their own: a flood of
complaints does not use up a service's survey, nor the other way round. Keys hold a hash of
the client's address (its /64 for IPv6), never the address.

- a submission: per client and region per hour (the region's `rateLimitPerIpPerHour`), per
  (code, client) per minute, and per code per minute over all clients (the ceiling, counted
  only for what the client's own limits admitted);
- a status lookup by tracking code: per client per hour for codes that do not exist, so
  guessing codes is pointless (60 bits, docs/complaints.md), and per client per hour over
  all lookups.

Like the survey's, the limits fail open while Redis is unreachable (logged and counted in
`kinerja_rate_limit_unchecked_total{limit="complaints"}`)."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from kinerja_saas.ratelimit import (
    RateLimited,
    digest,
    hit_all,
    hit_gated,
    limit_bucket,
    unchecked,
    wait_if_over,
)

__all__ = ["RateLimited", "check_lookup", "check_submission", "check_unknown_tracking_code"]

PER_CODE_CLIENT_PER_MINUTE = 5  # a person at the counter writes one, perhaps two
PER_CODE_PER_MINUTE = 300
LOOKUPS_PER_HOUR = 120  # status lookups per client (a citizen checks now and then)
UNKNOWN_TRACKING_PER_HOUR = 20  # lookups of codes that do not exist, per client


async def check_submission(
    redis: Redis, *, tenant_id: int, code: str, ip: str, per_ip_hour: int
) -> None:
    bucket = limit_bucket(ip)
    try:
        waits = await hit_gated(
            redis,
            [
                (f"kinerja:aduan:ip:{tenant_id}:{digest(bucket)}", per_ip_hour, 3600),
                (
                    f"kinerja:aduan:code-client:{digest(code + chr(10) + bucket)}",
                    PER_CODE_CLIENT_PER_MINUTE,
                    60,
                ),
            ],
            [(f"kinerja:aduan:code:{digest(code)}", PER_CODE_PER_MINUTE, 60)],
        )
    except (RedisError, OSError) as exc:
        unchecked("complaints", exc)
        return
    wait = next((w for w in waits if w is not None), None)
    if wait is not None:
        raise RateLimited(retry_after=wait)


def _unknown_key(ip: str) -> str:
    return f"kinerja:aduan:unknown:{digest(limit_bucket(ip))}"


async def check_lookup(redis: Redis, *, ip: str) -> None:
    """Before any lookup: counts it, and refuses every lookup of a client that has used up
    its unknown codes — also of codes that exist, or the refusal would tell a guesser which
    of its guesses are real."""
    await _count(redis, f"kinerja:aduan:lookup:{digest(limit_bucket(ip))}", LOOKUPS_PER_HOUR)
    try:
        wait = await wait_if_over(redis, {_unknown_key(ip): UNKNOWN_TRACKING_PER_HOUR})
    except (RedisError, OSError) as exc:
        unchecked("complaints", exc)
        return
    if wait is not None:
        raise RateLimited(retry_after=wait)


async def check_unknown_tracking_code(redis: Redis, *, ip: str) -> None:
    """Counts a lookup of a tracking code that does not exist."""
    await _count(redis, _unknown_key(ip), UNKNOWN_TRACKING_PER_HOUR)


async def _count(redis: Redis, key: str, limit: int) -> None:
    try:
        wait = (await hit_all(redis, [(key, limit, 3600)]))[0]
    except (RedisError, OSError) as exc:
        unchecked("complaints", exc)
        return
    if wait is not None:
        raise RateLimited(retry_after=wait)
