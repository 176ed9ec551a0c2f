"""Access tokens that verified are memoised per token string (kinerja_saas/auth/tokens.py,
VerifiedAccessTokens): a repeat request does not verify again, and a kept token is still
refused when it expires, when its login is revoked, when it is sent to another region, when
its region is suspended, and when the secret it was verified with is rotated out. Tokens of
two regions used alternately each keep their own region."""

from __future__ import annotations

import httpx
import pytest

import kinerja_saas.auth.tokens as tokens
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.tokens import VerifiedAccessTokens, issue_pair
from kinerja_saas.errors import AuthenticationFailed
from kinerja_saas.runtime.app import create_app
from tenants.models import RegionStatus
from tests.auth.test_revocation import EVERYWHERE, ME, login, refused_within
from tests.conftest import Api, update_region

ADMIN = Role.REGION_ADMIN
PEOPLE = "query Memo { employees(first: 100) { edges { node { id } } } }"


@pytest.fixture
def verifications(monkeypatch):
    """Counts the signature checks (tokens.verify) the memo lets through."""
    counted = {"n": 0}
    original = tokens.verify

    def counting(*args, **kwargs):
        counted["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(tokens, "verify", counting)
    return counted


@pytest.fixture
async def app_api(settings):
    """An app of its own: its memo starts empty and its clock can be moved."""
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield Api(client, settings), app


def _pair(region, role, secret: str, ttl: int = 600) -> str:
    return issue_pair(
        region.actor(role), token_version=1, secret=secret, access_ttl=ttl, refresh_ttl=ttl
    ).access_token


def test_a_kept_token_is_verified_once_and_refused_from_its_exp_on(region_a, verifications):
    now = [1_000.0]
    memo = VerifiedAccessTokens(clock=lambda: now[0])
    token = _pair(region_a, ADMIN, "s" * 40)
    claims = tokens.verify(token, "s" * 40, require=["exp"])
    verifications["n"] = 0
    now[0] = claims["exp"] - 600  # issued now, per the memo's clock
    first = memo.decode(token, ("s" * 40,))
    for _ in range(4):
        assert memo.decode(token, ("s" * 40,)) is first
    assert verifications["n"] == 1
    now[0] = claims["exp"] - 0.001
    assert memo.decode(token, ("s" * 40,)) is first
    now[0] = claims["exp"]  # PyJWT's rule: expired when exp <= now
    with pytest.raises(AuthenticationFailed) as refused:
        memo.decode(token, ("s" * 40,))
    assert refused.value.code == "TOKEN_EXPIRED"
    assert len(memo) == 0


def test_the_memo_is_keyed_by_the_secrets_and_bounded(region_a, region_b, verifications):
    old, new = "o" * 40, "n" * 40
    memo = VerifiedAccessTokens(max_entries=2)
    token = _pair(region_a, ADMIN, old)
    assert memo.decode(token, (new, old)).tenant_id == region_a.id  # during the rotation
    # After it the old secret is gone: the kept verdict does not carry over.
    with pytest.raises(AuthenticationFailed) as refused:
        memo.decode(token, (new,))
    assert refused.value.code == "TOKEN_INVALID"
    # A tampered copy of a kept token is another string: verified, refused.
    with pytest.raises(AuthenticationFailed):
        memo.decode(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], (new, old))
    # A refresh token never enters as an access token.
    refresh = issue_pair(
        region_a.actor(ADMIN), token_version=1, secret=new, access_ttl=60, refresh_ttl=60
    ).refresh_token
    with pytest.raises(AuthenticationFailed):
        memo.decode(refresh, (new,))
    for region in (region_a, region_b, region_a):
        memo.decode(_pair(region, ADMIN, new), (new,))
    assert len(memo) == 2


async def test_a_repeated_token_is_verified_once_over_http(app_api, region_a, verifications):
    api, app = app_api
    token = region_a.token(ADMIN, api.settings)
    for _ in range(5):
        assert (await api(ME, token=token)).data["me"]
    assert verifications["n"] == 1
    assert len(app.state.verified_tokens) == 1


async def test_a_kept_token_past_its_exp_is_refused_over_http(app_api, region_a):
    api, app = app_api
    token = region_a.token(ADMIN, api.settings)
    assert (await api(ME, token=token)).data["me"]
    real = app.state.verified_tokens.clock
    app.state.verified_tokens.clock = lambda: real() + 601
    res = await api(PEOPLE, token=token)
    assert res.codes == ["TOKEN_EXPIRED"] and res.body["data"] is None


async def test_a_kept_token_is_still_revoked_sent_elsewhere_and_suspended(
    app_api, region_a, region_b, verifications
):
    api, _app = app_api
    # Revocation: the token is kept, then its login logs out everywhere.
    email = region_a.accounts[Role.EMPLOYEE].email
    phone, laptop = await login(api, email), await login(api, email)
    assert (await api(ME, token=laptop["accessToken"])).data["me"]["email"] == email
    assert (await api(EVERYWHERE, token=phone["accessToken"])).data["logoutEverywhere"]
    assert await refused_within(api, laptop["accessToken"]) < 1.0  # as without the memo
    res = await api(PEOPLE, token=laptop["accessToken"])
    assert res.codes == ["TOKEN_REVOKED"] and res.body["data"] is None
    # Another region's header: refused with the kept token as with a new one.
    token = region_a.token(ADMIN, api.settings)
    assert (await api(ME, token=token)).data["me"]
    for _ in range(2):
        res = await api(PEOPLE, token=token, headers={"x-region": region_b.tenant.slug})
        assert res.codes == ["REGION_MISMATCH"] and res.body["data"] is None
    # Two regions' tokens alternately: each request sees its own region only.
    other = region_b.token(ADMIN, api.settings)
    seen = {}
    for _ in range(2):
        for name, t in (("a", token), ("b", other)):
            edges = (await api(PEOPLE, token=t)).data["employees"]["edges"]
            ids = {e["node"]["id"] for e in edges}
            assert seen.setdefault(name, ids) == ids
    assert seen["a"] and seen["b"] and not seen["a"] & seen["b"]
    assert seen["a"] == {str(e.id) for e in region_a.employees.values()}
    # A suspended region: refused though the token is kept.
    await update_region(region_a.id, status=RegionStatus.SUSPENDED)
    try:
        res = await api(PEOPLE, token=token)
        assert res.codes == ["REGION_SUSPENDED"] and res.body["data"] is None
    finally:
        await update_region(region_a.id, status=RegionStatus.ACTIVE)
    assert verifications["n"] <= 6  # phone, laptop, the logout's, a, b … each once


def test_a_kept_token_with_a_fractional_exp_expires_when_pyjwt_says(region_a):
    """PyJWT reads `exp` as int(exp) (a fraction is cut off) and refuses from that second;
    the memo must not keep a token with a fractional `exp` for the fraction longer."""
    import time

    import jwt

    secret = "f" * 40
    exp = int(time.time()) + 600 + 0.9
    claims = {
        "sub": "1",
        "tid": region_a.id,
        "typ": "access",
        "iss": tokens.ISSUER,
        "iat": int(time.time()) - 700,  # before PyJWT's moved clock less its leeway
        "exp": exp,
        "roles": [],
        "ver": 1,
        "sid": 1,
    }
    token = jwt.encode(claims, secret, algorithm=tokens.ALGORITHM)
    now = [time.time()]
    memo = VerifiedAccessTokens(clock=lambda: now[0])
    memo.decode(token, (secret,))
    now[0] = int(exp) + 0.5  # PyJWT: int(exp) <= now, expired
    # PyJWT at that moment (a negative leeway moves its clock forward to it): expired.
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(
            token,
            secret,
            algorithms=[tokens.ALGORITHM],
            issuer=tokens.ISSUER,
            leeway=-(now[0] - time.time()),
        )
    with pytest.raises(AuthenticationFailed) as refused:
        memo.decode(token, (secret,))
    assert refused.value.code == "TOKEN_EXPIRED"
