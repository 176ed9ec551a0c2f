"""Password and token hygiene: argon2id parameters and rehashing, token lifetimes, login
throttling per account and per IP (failing open without Redis), password change ending
every session."""

from __future__ import annotations

import logging

import httpx
import jwt
import pytest
from argon2 import PasswordHasher

from kinerja_saas.app import create_app
from kinerja_saas.auth.models import LoginSession, UserAccount
from kinerja_saas.auth.passwords import hash_password, verify_password
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.throttle import LoginThrottle
from tenants.context import tenant_transaction
from tests.auth.test_auth import LOGIN, REFRESH
from tests.conftest import PASSWORD, Api

WRONG = "salah-sekali-123"
NEW_PASSWORD = "Baru#Sekali-2026"
CHANGE = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) {
  accessToken refreshToken errors { field code message } } }"""


@pytest.fixture
async def client_at(settings):
    """An API client whose requests come from `ip`, with the default login limits."""
    clients: list[httpx.AsyncClient] = []
    app = create_app(settings.model_copy(update={"login_failures_per_ip": 20}))

    def make(ip: str) -> Api:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        clients.append(client)
        return Api(client, settings)

    yield make
    for client in clients:
        await client.aclose()


async def _login(api: Api, email: str, password: str = PASSWORD):
    return await api(LOGIN, {"email": email, "password": password, "region": None})


def _stored_hash(region, role: Role):
    async def read():
        async with tenant_transaction(region.id):
            return (await UserAccount.get(id=region.accounts[role].id)).password_hash

    return read()


# --- argon2 --------------------------------------------------------------------------------


def test_hashes_use_rfc9106_second_recommended_parameters():
    stored = hash_password("kata-sandi-uji")
    # argon2id, 64 MiB, 3 passes, 4 lanes; 128-bit salt and 256-bit tag (base64 22 and 43).
    prefix = "$argon2id$v=19$m=65536,t=3,p=4$"
    assert stored.startswith(prefix)
    salt, tag = stored.removeprefix(prefix).split("$")
    assert (len(salt), len(tag)) == (22, 43)


async def test_login_rehashes_a_password_hashed_with_old_parameters(api, region_a):
    account = region_a.accounts[Role.EMPLOYEE]
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with tenant_transaction(region_a.id):
        await UserAccount.filter(id=account.id).update(password_hash=old)
    res = await _login(api, account.email)
    assert res.data["login"]["errors"] == []
    stored = await _stored_hash(region_a, Role.EMPLOYEE)
    assert stored != old and stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(stored, PASSWORD)
    # A hash with today's parameters is left alone.
    await _login(api, account.email)
    assert await _stored_hash(region_a, Role.EMPLOYEE) == stored


async def test_a_failed_login_does_not_rehash(api, region_a):
    account = region_a.accounts[Role.EMPLOYEE]
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with tenant_transaction(region_a.id):
        await UserAccount.filter(id=account.id).update(password_hash=old)
    res = await _login(api, account.email, WRONG)
    assert [e["code"] for e in res.data["login"]["errors"]] == ["INVALID_CREDENTIALS"]
    assert await _stored_hash(region_a, Role.EMPLOYEE) == old


# --- token lifetimes -----------------------------------------------------------------------


async def test_issued_tokens_live_as_configured(api, region_a, settings):
    payload = (await _login(api, region_a.accounts[Role.SUPERVISOR].email)).data["login"]
    secret = settings.jwt_secret
    access = jwt.decode(payload["accessToken"], secret, algorithms=["HS256"], issuer="kinerja-saas")
    refresh = jwt.decode(
        payload["refreshToken"], secret, algorithms=["HS256"], issuer="kinerja-saas"
    )
    assert access["exp"] - access["iat"] == settings.access_token_ttl_seconds == 15 * 60
    assert refresh["exp"] - refresh["iat"] == settings.refresh_token_ttl_seconds
    assert payload["expiresAt"] == access["exp"]
    assert "password" not in str(access) and "ver" in refresh and "sid" in refresh


# --- throttling ----------------------------------------------------------------------------


def _limited(res) -> int:
    """The retryAfter of a RATE_LIMITED refusal (fails on anything else)."""
    assert res.body["data"] is None, res.body
    (error,) = res.errors
    assert error["extensions"]["code"] == "RATE_LIMITED"
    return error["extensions"]["retryAfter"]


async def test_five_failures_lock_the_account_even_for_the_right_password(client_at, region_a):
    api = client_at("198.51.100.1")
    email = region_a.accounts[Role.EMPLOYEE].email
    for _ in range(5):
        res = await _login(api, email, WRONG)
        assert [e["code"] for e in res.data["login"]["errors"]] == ["INVALID_CREDENTIALS"]
    wait = _limited(await _login(api, email))  # the right password is not even checked
    assert 1 <= wait <= 15 * 60
    # From another address too: the limit is the account's.
    _limited(await _login(client_at("198.51.100.2"), email.upper()))
    # Another account of the region is not affected.
    ok = await _login(api, region_a.accounts[Role.SUPERVISOR].email)
    assert ok.data["login"]["errors"] == []


async def test_a_refusal_does_not_tell_whether_the_account_exists(client_at, region_a):
    api = client_at("198.51.100.3")
    known, unknown = region_a.accounts[Role.SUPERVISOR].email, "tidak.ada@nowhere.test"
    for email in (known, unknown):
        for _ in range(5):
            await _login(api, email, WRONG)
    refused = [await _login(api, email, WRONG) for email in (known, unknown)]
    assert [_limited(r) > 0 for r in refused] == [True, True]
    messages = [r.errors[0]["message"].split(" in ")[0] for r in refused]
    assert messages[0] == messages[1] == "Too many failed logins; try again"
    assert refused[0].errors[0].keys() == refused[1].errors[0].keys()


async def test_a_success_clears_the_accounts_failures(client_at, region_a):
    api = client_at("198.51.100.4")
    email = region_a.accounts[Role.TRAINING_OFFICER].email
    for _ in range(4):
        await _login(api, email, WRONG)
    assert (await _login(api, email)).data["login"]["errors"] == []
    for _ in range(4):
        await _login(api, email, WRONG)
    assert (await _login(api, email)).data["login"]["errors"] == []


async def test_twenty_failures_lock_the_ip_for_every_account(client_at, region_a, redis):
    attacker = client_at("203.0.113.9")
    for n in range(20):  # many accounts, each under its own limit
        res = await _login(attacker, f"tebakan{n}@nowhere.test", WRONG)
        assert res.data["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    email = region_a.accounts[Role.REGION_ADMIN].email
    _limited(await _login(attacker, email))
    # Someone else logs in to the same account from their own address.
    assert (await _login(client_at("203.0.113.10"), email)).data["login"]["errors"] == []
    # The keys hold hashes, never the address or the e-mail.
    keys = [k.decode() for k in await redis.keys("kinerja:login:*")]
    assert keys and not any("203.0.113" in k or "@" in k for k in keys)
    assert await redis.ttl(LoginThrottle.ip_key("203.0.113.9")) <= 15 * 60


async def test_login_fails_open_logged_and_counted_when_redis_is_down(settings, region_a, caplog):
    from kinerja_saas import ratelimit

    ratelimit._logged_at.clear()  # another test's outage must not hide this one's line
    before = unchecked_count("login")
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        api = Api(client, settings)
        email = region_a.accounts[Role.SUPERVISOR].email
        with caplog.at_level(logging.WARNING, logger="kinerja.ratelimit"):
            for _ in range(6):
                res = await _login(api, email, WRONG)
                assert res.data["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
            assert (await _login(api, email)).data["login"]["errors"] == []
    lines = [r for r in caplog.records if r.name == "kinerja.ratelimit"]
    # One line per outage (not per login), at WARNING; every unchecked check is counted:
    # six failed logins (check and count each) and the successful one's check.
    assert len(lines) == 1 and lines[0].levelname == "WARNING", lines
    assert "rate limit not checked" in lines[0].getMessage()
    assert "login" in lines[0].getMessage()
    assert not any(email in r.getMessage() or WRONG in r.getMessage() for r in lines)
    assert unchecked_count("login") - before == 13


async def test_a_redis_refusing_the_throttles_commands_is_an_error_not_silence(
    settings, region_a, caplog, redis_62_url
):
    """Redis 6.2 has no EXPIRE … NX: the failures cannot be counted. Logins still go on (the
    limiter must not lock users out), but as an ERROR naming `kinerja doctor`, counted."""
    from kinerja_saas import ratelimit

    ratelimit._logged_at.clear()
    before = unchecked_count("login")
    app = create_app(settings.model_copy(update={"redis_url": redis_62_url}))
    transport = httpx.ASGITransport(app=app, client=("198.51.100.21", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        api = Api(client, settings)
        email = region_a.accounts[Role.SUPERVISOR].email
        with caplog.at_level(logging.WARNING, logger="kinerja.ratelimit"):
            for _ in range(3):
                res = await _login(api, email, WRONG)
                assert res.data["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    errors = [r for r in caplog.records if r.name == "kinerja.ratelimit"]
    assert [r.levelname for r in errors] == ["ERROR"], errors
    assert "kinerja doctor" in errors[0].getMessage()
    assert "ResponseError" in errors[0].getMessage()
    assert unchecked_count("login") - before == 3  # each failure that was not counted


def unchecked_count(limit: str) -> float:
    from kinerja_saas import metrics

    return metrics.RATE_LIMIT_UNCHECKED.labels(limit)._value.get()


# --- password change -----------------------------------------------------------------------


async def test_changing_the_password_ends_every_session(api, region_a, owner_conn):
    account = region_a.accounts[Role.EMPLOYEE]
    other_device = (await _login(api, account.email)).data["login"]
    this_device = (await _login(api, account.email)).data["login"]
    res = await api(CHANGE, {"c": PASSWORD, "n": NEW_PASSWORD}, token=this_device["accessToken"])
    changed = res.data["changePassword"]
    assert changed["errors"] == [] and changed["refreshToken"]
    for token in (other_device["refreshToken"], this_device["refreshToken"]):
        refused = (await api(REFRESH, {"t": token})).data["refreshToken"]
        assert [e["code"] for e in refused["errors"]] == ["TOKEN_REVOKED"]
    assert (await api(REFRESH, {"t": changed["refreshToken"]})).data["refreshToken"]["errors"] == []
    assert (await _login(api, account.email)).data["login"]["errors"][0]["code"] == (
        "INVALID_CREDENTIALS"
    )
    assert (await _login(api, account.email, NEW_PASSWORD)).data["login"]["errors"] == []
    open_sessions = await owner_conn.fetchval(
        "SELECT count(*) FROM login_sessions WHERE user_id = $1 AND revoked_at IS NULL",
        account.id,
    )
    assert open_sessions == 2  # the one changePassword opened and the login after it
    audit = await owner_conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'account.password_changed'"
        " AND entity_id = $1",
        account.id,
    )
    assert audit == 1


@pytest.mark.parametrize(
    ("current", "new", "field", "code"),
    [
        (WRONG, NEW_PASSWORD, "currentPassword", "WRONG_PASSWORD"),
        (PASSWORD, "pendek", "newPassword", "TOO_SHORT"),
        (PASSWORD, "1234567890123", "newPassword", "TOO_WEAK"),
    ],
)
async def test_a_refused_password_change_writes_nothing(
    api, region_a, settings, current, new, field, code
):
    account = region_a.accounts[Role.SUPERVISOR]
    before = await _stored_hash(region_a, Role.SUPERVISOR)
    token = region_a.token(Role.SUPERVISOR, settings)
    res = await api(CHANGE, {"c": current, "n": new}, token=token)
    assert res.data["changePassword"]["errors"][0] | {"message": ""} == {
        "field": field,
        "code": code,
        "message": "",
    }
    assert await _stored_hash(region_a, Role.SUPERVISOR) == before
    async with tenant_transaction(region_a.id):
        assert (await UserAccount.get(id=account.id)).token_version == account.token_version
        assert await LoginSession.filter(user_id=account.id).count() == 0


async def test_operators_and_anonymous_cannot_change_a_password(api, make_operator):
    res = await api(CHANGE, {"c": PASSWORD, "n": NEW_PASSWORD})
    assert res.codes == ["UNAUTHENTICATED"]
    await make_operator("ops.pw@kinerja.test")
    login = (await _login(api, "ops.pw@kinerja.test")).data["login"]
    res = await api(CHANGE, {"c": PASSWORD, "n": NEW_PASSWORD}, token=login["accessToken"])
    assert res.codes == ["NO_REGION"]


# --- rotating the signing secret -----------------------------------------------------------


async def test_rotating_the_signing_secret_keeps_sessions_then_drops_the_old_secret(
    api, region_a, settings
):
    old_pair = (await _login(api, region_a.accounts[Role.EMPLOYEE].email)).data["login"]
    new_secret = "rotated-secret-of-at-least-32-characters!"
    rotating = settings.model_copy(
        update={"jwt_secret": new_secret, "jwt_previous_secret": settings.jwt_secret}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(rotating)), base_url="http://test"
    ) as client:
        during = Api(client, rotating)
        me = await during("{ me { email } }", token=old_pair["accessToken"])
        assert me.data["me"]["email"] == region_a.accounts[Role.EMPLOYEE].email
        fresh = (await during(REFRESH, {"t": old_pair["refreshToken"]})).data["refreshToken"]
        assert fresh["errors"] == []
    # The new pair is signed with the new secret alone.
    for token in (fresh["accessToken"], fresh["refreshToken"]):
        jwt.decode(token, new_secret, algorithms=["HS256"], issuer="kinerja-saas")
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], issuer="kinerja-saas")
    after = settings.model_copy(update={"jwt_secret": new_secret})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(after)), base_url="http://test"
    ) as client:
        done = Api(client, after)
        assert (await done("{ me { email } }", token=old_pair["accessToken"])).codes == [
            "TOKEN_INVALID"
        ]
        assert (await done("{ me { email } }", token=fresh["accessToken"])).data["me"]
