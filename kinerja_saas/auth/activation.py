"""One-time activation of a new account: the holder of the link sets the first password.

Tokens are signed, not stored: they carry the account's token_version, and activating
bumps it, so a token works once and nothing secret sits in the database or a log. The
notification worker can make the link whenever it sends the e-mail."""

from __future__ import annotations

import time

import jwt
from tortoise.expressions import F

from kinerja_saas.audit.service import record
from kinerja_saas.auth import events
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.errors import ActivationError, AuthError
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.passwords import hash_password_async, password_problems
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.service import LoginResult, issue_login, user_actor
from kinerja_saas.auth.tokens import ALGORITHM, ISSUER, verify
from kinerja_saas.errors import (
    AuthenticationFailed,
    CommonError,
    NotFound,
    ValidationFailed,
)
from kinerja_saas.outbox.service import emit
from kinerja_saas.settings import Settings
from tenants.context import current_tenant_id, tenant_transaction

ACTIVATION_TTL_SECONDS = 14 * 24 * 3600


def activation_token(
    *,
    tenant_id: int,
    user_id: int,
    token_version: int,
    secret: str,
    ttl: int = ACTIVATION_TTL_SECONDS,
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "typ": "activation",
        "tid": tenant_id,
        "sub": str(user_id),
        "ver": token_version,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


async def activate_account(*, token: str, password: str, settings: Settings) -> LoginResult:
    invalid = AuthenticationFailed(ActivationError.TOKEN_INVALID)
    try:
        claims = verify(
            token, settings.jwt_verification_secrets, require=["exp", "sub", "tid", "ver"]
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationFailed(ActivationError.TOKEN_EXPIRED) from exc
    except jwt.InvalidTokenError as exc:
        raise invalid from exc
    if claims.get("typ") != "activation":
        raise invalid
    tenant_id, user_id = int(claims["tid"]), int(claims["sub"])
    async with tenant_transaction(tenant_id):
        user = await UserAccount.get_or_none(tenant_id=tenant_id, id=user_id, is_active=True)
        if user is None:
            raise invalid
        if user.password_hash is not None or user.token_version != claims["ver"]:
            raise AuthenticationFailed(ActivationError.TOKEN_USED)
        problems = password_problems(password, email=user.email)
        if problems:
            raise ValidationFailed(problems)
        # Conditional on nothing having changed since the checks above: of two concurrent
        # uses of one token, exactly one sets the password.
        used = await UserAccount.filter(
            tenant_id=tenant_id, id=user.id, password_hash=None, token_version=claims["ver"]
        ).update(
            password_hash=await hash_password_async(password), token_version=F("token_version") + 1
        )
        if not used:
            raise AuthenticationFailed(ActivationError.TOKEN_USED)
        user.token_version += 1
        return await issue_login(user_actor(user), user.name, user.token_version, settings)


async def reissue_activation(*, actor: Actor, user_id: int, secret: str) -> tuple[UserAccount, str]:
    """A region admin hands a not-yet-activated login a fresh link; earlier links stop
    working (the token version moves on). The e-mail with it goes out through the outbox."""
    actor.require(Role.REGION_ADMIN)
    tenant_id = current_tenant_id()
    user = await UserAccount.get_or_none(tenant_id=tenant_id, id=user_id)
    if user is None:
        raise NotFound(CommonError.NOT_FOUND, field="userId")
    if not user.is_active:
        raise ValidationFailed.one("userId", CommonError.INACTIVE)
    if user.password_hash is not None:
        raise ValidationFailed.one("userId", AuthError.ALREADY_ACTIVE)
    await UserAccount.filter(tenant_id=tenant_id, id=user.id).update(
        token_version=F("token_version") + 1
    )
    user.token_version += 1
    await record(
        actor=actor, action="account.activation_issued", entity="user_account", entity_id=user.id
    )
    await emit(events.ACTIVATION_REQUESTED, {"user_ids": [user.id]})
    return user, activation_token(
        tenant_id=tenant_id, user_id=user.id, token_version=user.token_version, secret=secret
    )
