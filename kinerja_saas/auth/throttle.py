"""Login throttling that an attacker cannot turn against the account's owner.

Three counts, each in Redis (keys hold hashes, never an e-mail or an address):

- per (account, client): `per_client` failed logins within `window` block that client for
  that account until the window ends. A client is its address, or a device the account
  knows (below): an attacker's failures never block the owner's own client.
- per address: `per_ip` failed logins within `window`, whatever the account, block the
  address (password spraying), except for a device the account knows.
- per account, for clients it does not know: never a block, a pace. An attempt reserves
  the account's next slot; the first `free` attempts go at once, then each further one
  waits `base × 2^k` seconds after the previous one, at most `cap`; an attempt before its
  slot is refused with the seconds to wait. A successful login gives its attempt back; the
  pace starts over after `pace_window` seconds without attempts. However many addresses an
  attacker has, one account gets at most `pace_bound()` attempts an hour from them.

A device the account knows is one that logged in to it before: each successful login
returns a signed device token, which the client sends with its next logins. It is bound to
the e-mail and to the login's token version (a password change or logoutEverywhere makes
every device unknown again), and exempts its holder from the pace and the address limit,
never from its own per-(account, device) count.

A failed login is a wrong password or an e-mail without a login: the account key is the
hash of the e-mail as typed, so a refusal tells nothing about whether the account exists.

When Redis cannot count (unreachable, or not configured), the same counts are kept in this
process: each API process then limits on its own, which is weaker by the number of
processes but never off. The metric `kinerja_login_throttle_local_total` and a WARNING (at
most one per `WARN_EVERY_SECONDS`) say so. Every command used exists in Redis 2.6+ (the
embedded Redis is 6.2: no `EXPIRE … NX`).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from kinerja_saas import logs
from kinerja_saas.auth.errors import AuthError
from kinerja_saas.metrics import LOGIN_THROTTLE_LOCAL
from kinerja_saas.ratelimit import RateLimited, digest, hit_all, limit_bucket, run_script
from kinerja_saas.settings import Settings

log = logs.get_logger("kinerja.auth")

WARN_EVERY_SECONDS = 30.0


# KEYS: the client's failures, the address's failures, the account's pace.
# ARGV: per_client, per_ip, paced (1/0), free, base ms, cap ms, pace window s.
# Returns {0, 0} (go on), or {1 client | 2 address | 3 pace, seconds to wait}.
_CHECK = """
local function over(key, limit)
    local count = tonumber(redis.call('GET', key) or '0')
    if count >= limit then
        return math.max(redis.call('TTL', key), 1)
    end
    return nil
end
local wait = over(KEYS[1], tonumber(ARGV[1]))
if wait then return {1, wait} end
if ARGV[3] ~= '1' then return {0, 0} end
wait = over(KEYS[2], tonumber(ARGV[2]))
if wait then return {2, wait} end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local attempts = tonumber(redis.call('HGET', KEYS[3], 'a') or '0')
local slot = tonumber(redis.call('HGET', KEYS[3], 't') or '0')
if now < slot then return {3, math.max(math.ceil((slot - now) / 1000), 1)} end
attempts = attempts + 1
local free = tonumber(ARGV[4])
local delay = 0
if attempts >= free then
    delay = math.min(tonumber(ARGV[5]) * 2 ^ (attempts - free), tonumber(ARGV[6]))
end
redis.call('HSET', KEYS[3], 'a', attempts, 't', now + delay)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[7]))
return {0, 0}
"""

# KEYS: the client's failures, the account's pace (or the same key twice when not paced).
# ARGV: free. The attempt is given back; back among the free ones, the slot is free too
# (an attacker gains at most one attempt per successful login of the owner).
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if KEYS[2] ~= KEYS[1] then
    local attempts = tonumber(redis.call('HGET', KEYS[2], 'a') or '0')
    if attempts > 0 then
        attempts = attempts - 1
        redis.call('HSET', KEYS[2], 'a', attempts)
        if attempts < tonumber(ARGV[1]) then redis.call('HSET', KEYS[2], 't', 0) end
    end
end
return 1
"""


@dataclass(frozen=True)
class Client:
    """Who is trying: the address, and the device id of a device token that the account
    knows (verified by the caller), if any."""

    ip: str
    device: str | None = None

    @property
    def key(self) -> str:
        return f"d:{self.device}" if self.device else f"ip:{limit_bucket(self.ip)}"


class LocalCounters:
    """The same counts in this process, for when Redis cannot keep them. Bounded: past
    `max_keys` the oldest keys are forgotten first (an attacker filling it with made-up
    e-mails loses their own oldest counts, as a fixed window would)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._paces: OrderedDict[str, tuple[int, float, float]] = OrderedDict()

    def _bound(self, table: OrderedDict) -> None:
        while len(table) > self.max_keys:
            table.popitem(last=False)

    def wait(self, key: str, limit: int, now: float) -> int | None:
        count, until = self._counts.get(key, (0, 0.0))
        if until <= now or count < limit:
            return None
        return max(math.ceil(until - now), 1)

    def incr(self, key: str, window: float, now: float) -> None:
        count, until = self._counts.pop(key, (0, 0.0))
        if until <= now:
            count, until = 0, now + window
        self._counts[key] = (count + 1, until)
        self._bound(self._counts)

    def forget(self, key: str) -> None:
        self._counts.pop(key, None)

    def reserve(self, key: str, now: float, throttle: LoginThrottle) -> int | None:
        attempts, slot, until = self._paces.pop(key, (0, 0.0, 0.0))
        if until <= now:
            attempts, slot = 0, 0.0
        if now < slot:
            self._paces[key] = (attempts, slot, until)
            return max(math.ceil(slot - now), 1)
        attempts += 1
        self._paces[key] = (attempts, now + throttle.delay(attempts), now + throttle.pace_window)
        self._bound(self._paces)
        return None

    def refund(self, key: str, free: int) -> None:
        if key in self._paces:
            attempts, slot, until = self._paces[key]
            attempts = max(attempts - 1, 0)
            self._paces[key] = (attempts, 0.0 if attempts < free else slot, until)


# One per process: what it counted while Redis was away holds for every request.
LOCAL = LocalCounters()


@dataclass
class LoginThrottle:
    redis: Redis | None
    per_client: int = 5
    per_ip: int = 20
    window_seconds: int = 15 * 60
    free: int = 5
    base_seconds: float = 1.0
    cap_seconds: float = 60.0
    pace_window: int = 3600
    local: LocalCounters = field(default_factory=lambda: LOCAL)

    @classmethod
    def of(cls, redis: Redis | None, settings: Settings) -> LoginThrottle:
        return cls(
            redis,
            per_client=settings.login_failures_per_client,
            per_ip=settings.login_failures_per_ip,
            window_seconds=settings.login_failure_window_seconds,
            free=settings.login_account_free_attempts,
            base_seconds=settings.login_account_delay_base_seconds,
            cap_seconds=settings.login_account_delay_max_seconds,
            pace_window=settings.login_account_pace_window_seconds,
        )

    # --- keys -----------------------------------------------------------------------------

    @staticmethod
    def client_key(email: str, client: Client) -> str:
        return f"kinerja:login:client:{digest(email + chr(10) + client.key)}"

    @staticmethod
    def ip_key(ip: str) -> str:
        return f"kinerja:login:ip:{digest(limit_bucket(ip))}"

    @staticmethod
    def pace_key(email: str) -> str:
        return f"kinerja:login:pace:{digest(email)}"

    # --- the pace -------------------------------------------------------------------------

    def delay(self, attempts: int) -> float:
        """Seconds from the `attempts`-th attempt of a pace to the next slot."""
        if attempts < self.free:
            return 0.0
        return min(self.base_seconds * 2 ** min(attempts - self.free, 64), self.cap_seconds)

    def pace_bound(self, seconds: float = 3600.0) -> int:
        """The most attempts clients the account does not know can make on it within
        `seconds` (every attempt fails, so none is given back), from a quiet start."""
        if self.cap_seconds <= 0:
            raise ValueError("no pace: the account's attempts are unbounded")
        attempts, clock = 0, 0.0
        while clock <= seconds:
            attempts += 1
            clock += self.delay(attempts)
        return attempts

    # --- the three steps of a login -------------------------------------------------------

    async def check(self, *, email: str, client: Client) -> None:
        """Raises RateLimited when this client may not try this account now."""
        paced = client.device is None
        keys = [self.client_key(email, client), self.ip_key(client.ip), self.pace_key(email)]
        wait: int | None = None
        if self.redis is not None:
            try:
                _, wait = await run_script(
                    self.redis,
                    _CHECK,
                    keys,
                    [
                        self.per_client,
                        self.per_ip,
                        1 if paced else 0,
                        self.free,
                        int(self.base_seconds * 1000),
                        int(self.cap_seconds * 1000),
                        self.pace_window,
                    ],
                )
                wait = int(wait) or None
            except (RedisError, OSError) as exc:
                self._unavailable("check", exc)
                wait = self._local_check(keys, paced)
        else:
            self._unavailable("check", None)
            wait = self._local_check(keys, paced)
        if wait is not None:
            raise RateLimited(AuthError.RATE_LIMITED, retry_after=wait)

    def _local_check(self, keys: list[str], paced: bool) -> int | None:
        now = time.monotonic()
        wait = self.local.wait(keys[0], self.per_client, now)
        if wait is None and paced:
            wait = self.local.wait(keys[1], self.per_ip, now)
            if wait is None:
                wait = self.local.reserve(keys[2], now, self)
        return wait

    async def failed(self, *, email: str, client: Client) -> None:
        keys = [self.client_key(email, client), self.ip_key(client.ip)]
        if self.redis is not None:
            try:
                await hit_all(self.redis, [(k, 0, self.window_seconds) for k in keys])
                return
            except (RedisError, OSError) as exc:
                self._unavailable("failure", exc)
        else:
            self._unavailable("failure", None)
        now = time.monotonic()
        for key in keys:
            self.local.incr(key, self.window_seconds, now)

    async def succeeded(self, *, email: str, client: Client) -> None:
        """Clears this client's failures and gives its attempt back to the pace (the
        address's failures stay: one address trying many accounts stays visible)."""
        client_key = self.client_key(email, client)
        pace_key = self.pace_key(email) if client.device is None else client_key
        if self.redis is not None:
            try:
                await run_script(self.redis, _SUCCEEDED, [client_key, pace_key], [self.free])
                return
            except (RedisError, OSError) as exc:
                self._unavailable("success", exc)
        self.local.forget(client_key)
        if pace_key != client_key:
            self.local.refund(pace_key, self.free)

    def _unavailable(self, step: str, exc: BaseException | None) -> None:
        """Counted in this process instead: said by a metric and a (rate-limited) log line."""
        LOGIN_THROTTLE_LOCAL.labels(step).inc()
        _warn(time.monotonic(), "Redis not configured" if exc is None else type(exc).__name__)


_last_warning: list[float] = []


def _warn(now: float, reason: str) -> None:
    """One warning per process per WARN_EVERY_SECONDS (a throttle lives one request)."""
    if _last_warning and now - _last_warning[0] < WARN_EVERY_SECONDS:
        return
    _last_warning[:] = [now]
    log.warning("login throttling counts in this process only (Redis unavailable)", reason=reason)
