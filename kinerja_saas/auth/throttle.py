"""Login throttling: failed logins counted in Redis per e-mail address and per client IP.

The account key is the hash of the e-mail as typed (normalised), whether or not such a
login exists, so a refusal tells nothing about the account. A success clears the
account's count (not the IP's: one IP trying many accounts stays visible). When Redis is
unreachable logins go on unthrottled, logged and counted
(`kinerja_rate_limit_unchecked_total{limit="login"}`): an outage of the limiter must not
lock every user out."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from kinerja_saas.ratelimit import RateLimited, digest, unchecked, wait_if_over
from kinerja_saas.settings import Settings

log = logging.getLogger("kinerja.auth")


@dataclass(frozen=True)
class LoginThrottle:
    redis: Redis | None
    per_account: int
    per_ip: int
    window_seconds: int

    @classmethod
    def of(cls, redis: Redis | None, settings: Settings) -> LoginThrottle:
        return cls(
            redis,
            settings.login_failures_per_account,
            settings.login_failures_per_ip,
            settings.login_failure_window_seconds,
        )

    @staticmethod
    def account_key(email: str) -> str:
        return f"kinerja:login:account:{digest(email)}"

    @staticmethod
    def ip_key(ip: str) -> str:
        return f"kinerja:login:ip:{digest(ip)}"

    async def check(self, *, email: str, ip: str) -> None:
        """Raises RateLimited when the account or the IP used up its failures."""
        if self.redis is None:
            return
        try:
            wait = await wait_if_over(
                self.redis,
                {self.account_key(email): self.per_account, self.ip_key(ip): self.per_ip},
            )
        except (RedisError, OSError) as exc:
            unchecked("login", exc)
            return
        if wait is not None:
            raise RateLimited(
                f"Too many failed logins; try again in {wait} seconds.", retry_after=wait
            )

    async def failed(self, *, email: str, ip: str) -> None:
        if self.redis is None:
            return
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                for key in (self.account_key(email), self.ip_key(ip)):
                    pipe.incr(key)
                    pipe.expire(key, self.window_seconds, nx=True)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            unchecked("login", exc)  # this failure will not count against the next tries

    async def succeeded(self, *, email: str) -> None:
        if self.redis is None:
            return
        try:
            await self.redis.delete(self.account_key(email))
        except (RedisError, OSError) as exc:
            # Stricter, not looser: the account's failures expire with their window.
            log.warning("login failures not cleared (Redis): %s", type(exc).__name__)
