"""Signed tokens (HS256 JWT). Access tokens are short-lived and carry the tenant, user,
roles, the account's token_version and the session (so a revocation can name them: see
auth/revocation.py); refresh tokens carry the token_version too, so bumping it revokes them
all. Device tokens tell the login throttle that a client logged in to an account before.
Tokens are signed with the current secret and verified against it or, while a rotation
runs, the previous one (Settings.jwt_verification_secrets)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jwt

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.errors import AuthError
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import AuthenticationFailed

ISSUER = "kinerja-saas"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: int


@dataclass(frozen=True)
class RefreshClaims:
    user_id: int
    tenant_id: int | None
    is_operator: bool
    token_version: int
    session_id: int
    generation: int


def _encode(claims: dict, secret: str, ttl: int) -> tuple[str, int]:
    now = int(time.time())
    exp = now + ttl
    body = {**claims, "iss": ISSUER, "iat": now, "exp": exp, "jti": secrets.token_hex(8)}
    return jwt.encode(body, secret, algorithm=ALGORITHM), exp


def issue_pair(
    actor: Actor,
    *,
    token_version: int,
    secret: str,
    access_ttl: int,
    refresh_ttl: int,
    session_id: int = 0,
    generation: int = 0,
) -> TokenPair:
    """`session_id`/`generation` name the login session the refresh token belongs to."""
    common = {"sub": str(actor.user_id), "tid": actor.tenant_id, "op": actor.is_operator}
    access, exp = _encode(
        {
            **common,
            "typ": "access",
            "roles": sorted(actor.roles),
            "eid": actor.employee_id,
            "email": actor.email,
            "ver": token_version,
            "sid": session_id,
        },
        secret,
        access_ttl,
    )
    refresh, _ = _encode(
        {**common, "typ": "refresh", "ver": token_version, "sid": session_id, "gen": generation},
        secret,
        refresh_ttl,
    )
    return TokenPair(access, refresh, exp)


def verify(token: str, secrets: str | Sequence[str], *, require: list[str]) -> dict:
    """The claims of a token signed with any of `secrets` (the current signing secret and,
    while it is being rotated out, the previous one). Raises PyJWT's errors."""
    candidates = [secrets] if isinstance(secrets, str) else list(secrets)
    for index, secret in enumerate(candidates):
        try:
            return jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": require},
            )
        except jwt.InvalidSignatureError:
            if index == len(candidates) - 1:
                raise
    raise jwt.InvalidTokenError("no secret")


def _decode(token: str, secret: str | Sequence[str], expected_type: str) -> dict:
    try:
        claims = verify(token, secret, require=["exp", "iat", "sub", "typ"])
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationFailed(AuthError.TOKEN_EXPIRED) from exc
    except jwt.InvalidTokenError as exc:
        raise AuthenticationFailed(AuthError.TOKEN_INVALID) from exc
    if claims.get("typ") != expected_type:
        raise AuthenticationFailed(AuthError.TOKEN_INVALID)
    return claims


def decode_access(token: str, secret: str | Sequence[str]) -> Actor:
    return _access_actor(_decode(token, secret, "access"))


def _access_actor(claims: dict) -> Actor:
    try:
        return Actor(
            user_id=int(claims["sub"]),
            tenant_id=claims.get("tid"),
            roles=frozenset(Role(r) for r in claims.get("roles", [])),
            email=claims.get("email", ""),
            employee_id=claims.get("eid"),
            is_operator=bool(claims.get("op")),
            # Tokens issued before versions were embedded read as version 0: refused once
            # any revocation of their login is known, else they run out within minutes.
            token_version=int(claims.get("ver") or 0),
            session_id=int(claims["sid"]) if claims.get("sid") is not None else None,
        )
    except (ValueError, TypeError) as exc:
        raise AuthenticationFailed(AuthError.TOKEN_INVALID) from exc


class VerifiedAccessTokens:
    """`decode_access`, memoised per token string: a client sends the same access token
    with every request for its minutes of life, and verifying it (HMAC, base64, JSON, the
    claims) is a tenth of a small request's CPU. Only a token that verified is kept, with the
    secrets it was verified against (a rotation that drops a secret verifies again) and its
    `exp`: a kept token is refused as expired from the same second PyJWT would refuse it
    (`exp <= now`). What the token cannot say — a revocation, a region header, a suspended
    region — is still checked by the caller on every request. Bounded: the oldest entry
    goes first."""

    def __init__(self, max_entries: int = 4096, clock: Callable[[], float] = time.time) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[tuple[str, tuple[str, ...]], tuple[Actor, float]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def decode(self, token: str, secret: str | Sequence[str]) -> Actor:
        key = (token, (secret,) if isinstance(secret, str) else tuple(secret))
        kept = self._entries.get(key)
        if kept is not None:
            actor, expires_at = kept
            if expires_at > self.clock():
                return actor
            self._entries.pop(key, None)
            raise AuthenticationFailed(AuthError.TOKEN_EXPIRED)
        claims = _decode(token, key[1], "access")
        actor = _access_actor(claims)
        if self.max_entries > 0:
            while len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            # int(): PyJWT's own reading of `exp` (a fraction cut off), so the memo refuses
            # from the second PyJWT would.
            self._entries[key] = (actor, float(int(claims["exp"])))
        return actor


def decode_refresh(token: str, secret: str | Sequence[str]) -> RefreshClaims:
    claims = _decode(token, secret, "refresh")
    try:
        return RefreshClaims(
            user_id=int(claims["sub"]),
            tenant_id=claims.get("tid"),
            is_operator=bool(claims.get("op")),
            token_version=int(claims["ver"]),
            session_id=int(claims["sid"]),
            generation=int(claims["gen"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise AuthenticationFailed(AuthError.TOKEN_INVALID) from exc


# --- device tokens (the login throttle's "this client logged in here before") ---------------


@dataclass(frozen=True)
class DeviceClaims:
    user_id: int
    tenant_id: int | None
    is_operator: bool
    token_version: int
    device_id: str


def issue_device_token(
    actor: Actor, *, token_version: int, email_digest: str, secret: str, ttl: int
) -> str:
    """Bound to the e-mail (as its digest: the token holds no address) and to the login's
    token version: a password change or logoutEverywhere makes every device unknown."""
    token, _ = _encode(
        {
            "typ": "device",
            "sub": str(actor.user_id),
            "tid": actor.tenant_id,
            "op": actor.is_operator,
            "ver": token_version,
            "em": email_digest,
            "did": secrets.token_hex(8),
        },
        secret,
        ttl,
    )
    return token


def decode_device(
    token: str | None, secret: str | Sequence[str], *, email_digest: str
) -> DeviceClaims | None:
    """The claims of a valid device token of this e-mail; None for anything else (a
    device token is a hint to the throttle, never an error)."""
    if not token or len(token) > 2000:
        return None
    try:
        claims = _decode(token, secret, "device")
        if claims.get("em") != email_digest:
            return None
        return DeviceClaims(
            user_id=int(claims["sub"]),
            tenant_id=int(claims["tid"]) if claims.get("tid") is not None else None,
            is_operator=bool(claims.get("op")),
            token_version=int(claims["ver"]),
            device_id=str(claims["did"]),
        )
    except (AuthenticationFailed, KeyError, ValueError, TypeError):
        return None
