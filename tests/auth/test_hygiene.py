"""Password and token hygiene: argon2id parameters and rehashing, token lifetimes, password
change ending every session (region users and platform operators), rotating the signing
secret. Login throttling: test_throttle.py."""

from __future__ import annotations

import asyncpg
import httpx
import jwt
import pytest
from argon2 import PasswordHasher

from kinerja_saas.auth.models import LoginSession, UserAccount
from kinerja_saas.auth.passwords import hash_password, verify_password
from kinerja_saas.auth.roles import Role
from kinerja_saas.runtime.app import create_app
from tenants.context import tenant_transaction
from tests.auth.test_auth import LOGIN, REFRESH
from tests.conftest import PASSWORD, Api

WRONG = "salah-sekali-123"
NEW_PASSWORD = "Baru#Sekali-2026"
CHANGE = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) {
  accessToken refreshToken errors { field code message } } }"""


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


# --- throttling: tests/auth/test_throttle.py -------------------------------------------------


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


async def test_anonymous_cannot_change_a_password(api):
    res = await api(CHANGE, {"c": PASSWORD, "n": NEW_PASSWORD})
    assert res.codes == ["UNAUTHENTICATED"]


async def test_an_operator_changes_their_own_password(api, make_operator, owner_conn):
    """Operators have no region: their password lives in a platform table the app role may
    not write; a definer function changes it. Every other session ends, this one goes on
    with a fresh pair, the old password stops working and the new one works."""
    email = "ops.pw@kinerja.test"
    operator_id = await make_operator(email)
    other = (await _login(api, email)).data["login"]
    this = (await _login(api, email)).data["login"]
    wrong = await api(CHANGE, {"c": WRONG, "n": NEW_PASSWORD}, token=this["accessToken"])
    assert [e["code"] for e in wrong.data["changePassword"]["errors"]] == ["WRONG_PASSWORD"]
    weak = await api(CHANGE, {"c": PASSWORD, "n": "pendek"}, token=this["accessToken"])
    assert [e["code"] for e in weak.data["changePassword"]["errors"]] == ["TOO_SHORT"]
    res = await api(CHANGE, {"c": PASSWORD, "n": NEW_PASSWORD}, token=this["accessToken"])
    changed = res.data["changePassword"]
    assert changed["errors"] == [] and changed["accessToken"]
    for token in (other["refreshToken"], this["refreshToken"]):
        refused = (await api(REFRESH, {"t": token})).data["refreshToken"]
        assert [e["code"] for e in refused["errors"]] == ["TOKEN_REVOKED"]
    assert (await api("{ me { email } }", token=other["accessToken"])).codes == ["TOKEN_REVOKED"]
    assert (await api("{ me { email } }", token=changed["accessToken"])).data["me"]["email"] == (
        email
    )
    assert (await _login(api, email)).data["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await _login(api, email, NEW_PASSWORD)).data["login"]["errors"] == []
    stored = await owner_conn.fetchval(
        "SELECT password_hash FROM platform_operators WHERE id = $1", operator_id
    )
    assert verify_password(stored, NEW_PASSWORD)


async def test_the_app_role_changes_no_operator_password_from_a_region(app_conn, make_operator):
    operator_id = await make_operator("ops.definer@kinerja.test")
    current = await app_conn.fetchval(
        "SELECT password_hash FROM platform_operators WHERE id = $1", operator_id
    )
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.tenant_id', '1', true)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.fetchval(
                "SELECT operator_change_password($1, $2, 'x')", operator_id, current
            )
    # In platform scope, only with the hash it read: a stale one changes nothing.
    assert (
        await app_conn.fetchval("SELECT operator_change_password($1, 'stale', 'x')", operator_id)
        is None
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("UPDATE platform_operators SET password_hash = 'x'")


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
