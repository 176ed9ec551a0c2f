import time

import jwt
import pytest

from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.passwords import hash_password
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.tokens import ALGORITHM, ISSUER
from tenants.context import tenant_transaction
from tenants.models import RegionStatus
from tests.conftest import PASSWORD, update_region

LOGIN = """mutation($email: String!, $password: String!, $region: String) {
  login(email: $email, password: $password, region: $region) {
    accessToken refreshToken expiresAt
    me { email roles isPlatformOperator region { slug } employee { name } }
    errors { field code message }
  }
}"""
REFRESH = """mutation($t: String!) { refreshToken(refreshToken: $t) {
  accessToken refreshToken errors { code } } }"""
ME = "{ me { email roles region { slug } } }"


async def login(api, email, password=PASSWORD, region=None):
    res = await api(LOGIN, {"email": email, "password": password, "region": region})
    return res.data["login"]


async def test_login_returns_tokens_that_open_the_region(api, region_a):
    email = region_a.accounts[Role.SUPERVISOR].email
    payload = await login(api, email.upper())  # e-mail is case-insensitive
    assert payload["errors"] == []
    assert payload["me"]["region"]["slug"] == region_a.tenant.slug
    assert payload["me"]["employee"]["name"] == region_a.employees["chief"].name
    assert set(payload["me"]["roles"]) == {"SUPERVISOR", "EMPLOYEE"}
    assert payload["expiresAt"] > time.time()
    me = await api(ME, token=payload["accessToken"])
    assert me.data["me"]["email"] == email
    async with tenant_transaction(region_a.id):
        account = await UserAccount.get(id=region_a.accounts[Role.SUPERVISOR].id)
    assert account.last_login_at is not None


async def test_wrong_password_and_unknown_email_look_the_same(api, region_a):
    wrong = await login(api, region_a.accounts[Role.EMPLOYEE].email, "salah-sekali-123")
    unknown = await login(api, "nobody@nowhere.test")
    assert wrong == unknown
    assert wrong["accessToken"] is None
    assert [e["code"] for e in wrong["errors"]] == ["INVALID_CREDENTIALS"]


async def test_empty_credentials_name_the_field(api):
    payload = await login(api, "  ", "x")
    assert payload["errors"][0]["field"] == "email"
    assert payload["errors"][0]["code"] == "REQUIRED"


async def test_same_email_in_two_regions_is_told_apart_by_password(api, region_a, region_b):
    email = "dual@both.test"
    async with tenant_transaction(region_a.id):
        await UserAccount.create(
            tenant_id=region_a.id,
            email=email,
            name="A",
            roles=["EMPLOYEE"],
            password_hash=hash_password("password-of-a-1"),
        )
    async with tenant_transaction(region_b.id):
        await UserAccount.create(
            tenant_id=region_b.id,
            email=email,
            name="B",
            roles=["EMPLOYEE"],
            password_hash=hash_password("password-of-b-1"),
        )
    assert (await login(api, email, "password-of-b-1"))["me"]["region"][
        "slug"
    ] == region_b.tenant.slug
    assert (await login(api, email, "password-of-a-1"))["me"]["region"][
        "slug"
    ] == region_a.tenant.slug
    # Naming the region restricts the search to it.
    refused = await login(api, email, "password-of-b-1", region=region_a.tenant.slug)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_CREDENTIALS"]


async def test_platform_operator_logs_in_without_region_and_sees_no_people(api, make_operator):
    await make_operator("ops@platform.test")
    payload = await login(api, "ops@platform.test")
    assert payload["me"]["isPlatformOperator"] is True
    assert payload["me"]["region"] is None
    res = await api("{ employees(first: 5) { totalCount } }", token=payload["accessToken"])
    assert res.codes == ["NO_REGION"]
    assert res.body["data"] is None


async def test_refresh_rotates_and_logout_everywhere_revokes(api, region_a):
    payload = await login(api, region_a.accounts[Role.EMPLOYEE].email)
    refreshed = (await api(REFRESH, {"t": payload["refreshToken"]})).data["refreshToken"]
    assert refreshed["errors"] == [] and refreshed["accessToken"]
    res = await api("mutation { logoutEverywhere }", token=refreshed["accessToken"])
    assert res.data == {"logoutEverywhere": True}
    for token in (payload["refreshToken"], refreshed["refreshToken"]):
        again = (await api(REFRESH, {"t": token})).data["refreshToken"]
        assert [e["code"] for e in again["errors"]] == ["TOKEN_REVOKED"]


async def test_a_refresh_token_works_once_and_its_reuse_ends_the_session(api, region_a):
    first = await login(api, region_a.accounts[Role.EMPLOYEE].email)
    second = (await api(REFRESH, {"t": first["refreshToken"]})).data["refreshToken"]
    assert second["errors"] == []
    # The first token comes back (copied by someone): refused, and the session ends…
    reused = (await api(REFRESH, {"t": first["refreshToken"]})).data["refreshToken"]
    assert [e["code"] for e in reused["errors"]] == ["TOKEN_REUSED"]
    # …so the rightful holder's newer token stops working too.
    after = (await api(REFRESH, {"t": second["refreshToken"]})).data["refreshToken"]
    assert [e["code"] for e in after["errors"]] == ["TOKEN_REVOKED"]
    # Other devices (sessions) of the same user are untouched.
    other = await login(api, region_a.accounts[Role.EMPLOYEE].email)
    assert (await api(REFRESH, {"t": other["refreshToken"]})).data["refreshToken"]["errors"] == []


async def test_logout_ends_only_this_session(api, region_a):
    phone = await login(api, region_a.accounts[Role.EMPLOYEE].email)
    laptop = await login(api, region_a.accounts[Role.EMPLOYEE].email)
    res = await api(
        "mutation($t: String!) { logout(refreshToken: $t) }", {"t": phone["refreshToken"]}
    )
    assert res.data == {"logout": True}
    assert [
        e["code"]
        for e in (await api(REFRESH, {"t": phone["refreshToken"]})).data["refreshToken"]["errors"]
    ] == ["TOKEN_REVOKED"]
    assert (await api(REFRESH, {"t": laptop["refreshToken"]})).data["refreshToken"]["errors"] == []


async def test_operator_sessions_rotate_too(api, make_operator):
    await make_operator("ops-rotate@platform.test")
    first = await login(api, "ops-rotate@platform.test")
    assert (await api(REFRESH, {"t": first["refreshToken"]})).data["refreshToken"]["errors"] == []
    reused = (await api(REFRESH, {"t": first["refreshToken"]})).data["refreshToken"]
    assert [e["code"] for e in reused["errors"]] == ["TOKEN_REUSED"]


async def test_access_token_is_not_a_refresh_token(api, region_a, settings):
    token = region_a.token(Role.EMPLOYEE, settings)
    res = (await api(REFRESH, {"t": token})).data["refreshToken"]
    assert [e["code"] for e in res["errors"]] == ["TOKEN_INVALID"]


def _forge(claims: dict, secret: str) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "iat": now, "exp": now + 600, "typ": "access", **claims}
    return jwt.encode(body, secret, algorithm=ALGORITHM)


@pytest.mark.parametrize(
    ("make_header", "code"),
    [
        (lambda t: f"Bearer {t}x", "TOKEN_INVALID"),
        (lambda t: "Bearer not.a.jwt", "TOKEN_INVALID"),
        (lambda t: f"Basic {t}", "TOKEN_INVALID"),
        (lambda t: "Bearer ", "TOKEN_INVALID"),
    ],
)
async def test_malformed_tokens_get_an_error_never_data(api, region_a, settings, make_header, code):
    token = region_a.token(Role.REGION_ADMIN, settings)
    res = await api(ME, headers={"authorization": make_header(token)})
    assert res.body["data"] is None
    assert res.codes == [code]


async def test_expired_and_forged_tokens_are_refused(api, region_a, settings):
    expired = region_a.token(Role.REGION_ADMIN, settings, ttl=-10)
    res = await api("{ employees(first: 5) { totalCount } }", token=expired)
    assert res.codes == ["TOKEN_EXPIRED"] and res.body["data"] is None
    forged = _forge({"sub": "1", "tid": region_a.id, "roles": ["REGION_ADMIN"]}, "x" * 40)
    res = await api("{ employees(first: 5) { totalCount } }", token=forged)
    assert res.codes == ["TOKEN_INVALID"] and res.body["data"] is None


async def test_token_of_a_suspended_region_is_refused_at_once(api, region_a, settings):
    token = region_a.token(Role.REGION_ADMIN, settings)
    assert (await api(ME, token=token)).data["me"]
    await update_region(region_a.id, status=RegionStatus.SUSPENDED)
    res = await api("{ employees(first: 5) { totalCount } }", token=token)
    assert res.codes == ["REGION_SUSPENDED"] and res.body["data"] is None
    payload = await login(api, region_a.accounts[Role.EMPLOYEE].email)
    assert [e["code"] for e in payload["errors"]] == ["REGION_SUSPENDED"]


async def test_token_used_against_another_region_is_refused(api, region_a, region_b, settings):
    token = region_a.token(Role.REGION_ADMIN, settings)
    res = await api(ME, token=token, headers={"x-region": region_b.tenant.slug})
    assert res.codes == ["REGION_MISMATCH"] and res.body["data"] is None
    res = await api(ME, token=token, headers={"x-region": region_a.tenant.slug})
    assert res.data["me"]["region"]["slug"] == region_a.tenant.slug


async def test_anonymous_requests_get_unauthenticated(api):
    res = await api("{ employees(first: 1) { totalCount } }")
    assert res.codes == ["UNAUTHENTICATED"]
    res = await api("{ region { name } }")
    assert res.codes == ["UNAUTHENTICATED"]


async def test_deactivated_account_cannot_log_in_or_refresh(api, region_a):
    email = region_a.accounts[Role.EMPLOYEE].email
    payload = await login(api, email)
    async with tenant_transaction(region_a.id):
        await UserAccount.filter(id=region_a.accounts[Role.EMPLOYEE].id).update(is_active=False)
    assert [e["code"] for e in (await login(api, email))["errors"]] == ["INVALID_CREDENTIALS"]
    res = (await api(REFRESH, {"t": payload["refreshToken"]})).data["refreshToken"]
    assert [e["code"] for e in res["errors"]] == ["TOKEN_REVOKED"]
    assert (await api(ME, token=payload["accessToken"])).codes == ["ACCOUNT_INACTIVE"]


async def test_login_payload_resolves_relations_and_keeps_the_login(api, region_a):
    res = await api(
        """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
        me { employee { name supervisor { name } unit { name parent { name } } } } } }""",
        {"e": region_a.accounts[Role.EMPLOYEE].email, "p": PASSWORD},
    )
    employee = res.data["login"]["me"]["employee"]
    assert employee["supervisor"]["name"] == region_a.employees["chief"].name
    assert employee["unit"] == {"name": "Bidang A", "parent": {"name": "Dinas Uji"}}
    async with tenant_transaction(region_a.id):
        account = await UserAccount.get(id=region_a.accounts[Role.EMPLOYEE].id)
    assert account.last_login_at is not None  # the transaction was kept


async def test_wrong_password_costs_one_check_like_an_unknown_email(api, region_a, monkeypatch):
    from kinerja_saas.auth import service

    checks = []
    real = service.verify_password_async

    async def counting(password_hash, password):
        checks.append(password_hash is not None)
        return await real(password_hash, password)

    monkeypatch.setattr(service, "verify_password_async", counting)
    await login(api, region_a.accounts[Role.EMPLOYEE].email, "salah-sekali-123")
    known = list(checks)
    checks.clear()
    await login(api, "nobody-at-all@nowhere.test", "salah-sekali-123")
    assert (len(known), len(checks)) == (1, 1)


async def test_operator_token_sent_to_a_region_is_refused(api, make_operator, region_a):
    await make_operator("ops-region@platform.test")
    payload = await login(api, "ops-region@platform.test")
    res = await api(ME, token=payload["accessToken"], headers={"x-region": region_a.tenant.slug})
    assert res.codes == ["REGION_MISMATCH"]
