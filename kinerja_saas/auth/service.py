"""Login, token refresh and the current user.

`login` finds the account without a region slug: platform operators first, then the
regions where the e-mail has an active account (a narrow SECURITY DEFINER lookup, since
no tenant is known yet); the password decides between several regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise import connections
from tortoise.expressions import F

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.models import LoginSession, OperatorSession, UserAccount
from kinerja_saas.auth.passwords import (
    hash_password_async,
    needs_rehash,
    password_problems,
    verify_password_async,
)
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.throttle import LoginThrottle
from kinerja_saas.auth.tokens import RefreshClaims, TokenPair, decode_refresh, issue_pair
from kinerja_saas.errors import AuthenticationFailed, FieldError, ValidationFailed
from kinerja_saas.org.service import employees_by_ids
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction
from tenants.fair_share import attribute_to_region
from tenants.models import PlatformOperator, RegionStatus, Tenant

INVALID_LOGIN = "The e-mail or password is wrong."


@dataclass(frozen=True)
class LoginResult:
    tokens: TokenPair
    actor: Actor
    name: str
    employee: dict | None = None  # the linked employee row, read while in its region


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _operator_actor(op: PlatformOperator) -> Actor:
    return Actor(
        user_id=op.id,
        tenant_id=None,
        roles=frozenset({Role.PLATFORM_OPERATOR}),
        email=op.email,
        is_operator=True,
    )


def user_actor(user: UserAccount) -> Actor:
    return Actor(
        user_id=user.id,
        tenant_id=user.tenant_id,
        roles=frozenset(Role(r) for r in user.roles),
        email=user.email,
        employee_id=user.employee_id,
    )


def _pair(
    actor: Actor, token_version: int, settings: Settings, session: LoginSession | OperatorSession
) -> TokenPair:
    return issue_pair(
        actor,
        token_version=token_version,
        secret=settings.jwt_secret or "",
        access_ttl=settings.access_token_ttl_seconds,
        refresh_ttl=settings.refresh_token_ttl_seconds,
        session_id=session.id,
        generation=session.generation,
    )


async def _new_session(actor: Actor) -> LoginSession | OperatorSession:
    if actor.is_operator:
        return await OperatorSession.create(operator_id=actor.user_id)
    return await LoginSession.create(tenant_id=actor.tenant_id, user_id=actor.user_id)


async def _candidate_regions(email: str, region_slug: str | None) -> list[int]:
    if region_slug:
        tenant = await Tenant.by_slug(region_slug)
        return [tenant.id] if tenant else []
    _, rows = await connections.get("default").execute_query(
        "SELECT tenant_id FROM auth_login_regions($1)", [email]
    )
    return [r["tenant_id"] for r in rows]


async def login(
    *,
    email: str,
    password: str,
    region_slug: str | None,
    settings: Settings,
    throttle: LoginThrottle | None = None,
    ip: str = "unknown",
) -> LoginResult:
    """Refused with RateLimited, before any password check, once the e-mail or the IP has
    used up its failed logins (see auth/throttle.py)."""
    email = normalise_email(email)
    if not email or not password:
        raise ValidationFailed(
            [FieldError("email" if not email else "password", "REQUIRED", "Required.")]
        )
    throttle = throttle or LoginThrottle.of(None, settings)
    await throttle.check(email=email, ip=ip)
    try:
        result = await _authenticate(email, password, region_slug, settings)
    except AuthenticationFailed as exc:
        if exc.code == "INVALID_CREDENTIALS":
            await throttle.failed(email=email, ip=ip)
        raise
    await throttle.succeeded(email=email)
    return result


MAX_EMAIL_LENGTH = 254  # the column's; longer cannot be anyone's (nor be looked up)
MAX_SLUG_LENGTH = 63


async def _authenticate(
    email: str, password: str, region_slug: str | None, settings: Settings
) -> LoginResult:
    if len(email) > MAX_EMAIL_LENGTH or len(region_slug or "") > MAX_SLUG_LENGTH:
        await verify_password_async(None, password)  # the same cost as a real check
        raise AuthenticationFailed(INVALID_LOGIN, code="INVALID_CREDENTIALS")
    operator = await PlatformOperator.get_or_none(email=email, is_active=True)
    if operator and not region_slug:
        # No rehash here: the app role may not write operators' hashes (the owner
        # connection manages operators), so they are rehashed when `kinerja` resets them.
        if not await verify_password_async(operator.password_hash, password):
            raise AuthenticationFailed(INVALID_LOGIN, code="INVALID_CREDENTIALS")
        actor = _operator_actor(operator)
        session = await _new_session(actor)
        return LoginResult(
            _pair(actor, operator.token_version, settings, session), actor, operator.name
        )

    checked = False  # one password check per login at least, never two for a wrong password
    for tenant_id in await _candidate_regions(email, region_slug):
        async with tenant_transaction(tenant_id, require_active=False):
            user = await UserAccount.get_or_none(tenant_id=tenant_id, email=email, is_active=True)
            if user is None:
                continue
            # A real account of this region: from here the login counts as the region's in
            # fair sharing (a made-up e-mail or slug stays in the anonymous share).
            attribute_to_region(tenant_id)
            checked = True
            if not await verify_password_async(user.password_hash, password):
                continue
            tenant = await Tenant.get(id=tenant_id)
            if tenant.status != RegionStatus.ACTIVE:
                raise AuthenticationFailed("This region is suspended.", code="REGION_SUSPENDED")
            updates = {"last_login_at": datetime.now(UTC)}
            if needs_rehash(user.password_hash or ""):
                # Hashed with older argon2 parameters: stored again with today's.
                updates["password_hash"] = await hash_password_async(password)
            await UserAccount.filter(tenant_id=tenant_id, id=user.id).update(**updates)
            return await issue_login(user_actor(user), user.name, user.token_version, settings)

    if not checked:
        await verify_password_async(None, password)  # the same cost as a real check
    raise AuthenticationFailed(INVALID_LOGIN, code="INVALID_CREDENTIALS")


async def change_password(
    *,
    actor: Actor,
    current_password: str,
    new_password: str,
    settings: Settings,
    throttle: LoginThrottle | None = None,
    ip: str = "unknown",
) -> LoginResult:
    """A region user's new password. Every session of the account ends (the refresh
    tokens of other devices stop working at once; access tokens run out within their
    lifetime) and this device gets a fresh pair. A wrong current password counts as a
    failed login."""
    user = await UserAccount.get_or_none(
        tenant_id=actor.tenant_id, id=actor.user_id, is_active=True
    )
    if user is None:
        raise AuthenticationFailed("This login is no longer active.", code="ACCOUNT_INACTIVE")
    throttle = throttle or LoginThrottle.of(None, settings)
    await throttle.check(email=user.email, ip=ip)
    if not await verify_password_async(user.password_hash, current_password):
        await throttle.failed(email=user.email, ip=ip)
        raise ValidationFailed(
            [FieldError("currentPassword", "WRONG_PASSWORD", "The current password is wrong.")]
        )
    problems = password_problems(new_password, email=user.email, field="newPassword")
    if problems:
        raise ValidationFailed(problems)
    user.token_version += 1
    await UserAccount.filter(tenant_id=user.tenant_id, id=user.id).update(
        password_hash=await hash_password_async(new_password), token_version=user.token_version
    )
    await LoginSession.filter(tenant_id=user.tenant_id, user_id=user.id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
    await record(
        actor=actor, action="account.password_changed", entity="user_account", entity_id=user.id
    )
    return await issue_login(user_actor(user), user.name, user.token_version, settings)


async def issue_login(
    actor: Actor, name: str, token_version: int, settings: Settings
) -> LoginResult:
    """A new session and its tokens for a region user, with their employee row read while
    in their region (run inside the region's transaction)."""
    employee = None
    if actor.employee_id is not None:
        employee = (await employees_by_ids([actor.employee_id])).get(actor.employee_id)
    session = await _new_session(actor)
    return LoginResult(_pair(actor, token_version, settings, session), actor, name, employee)


REVOKED = "The session has ended; log in again."


async def _advance(model, session_filter: dict, claims: RefreshClaims) -> object | str:
    """Moves the session to its next generation, or tells why not. An older generation
    coming back means the token was copied: the whole session ends."""
    session = await model.filter(**session_filter).select_for_update().first()
    if session is None or session.revoked_at is not None:
        return "TOKEN_REVOKED"
    now = datetime.now(UTC)
    if session.generation != claims.generation:
        await model.filter(**session_filter).update(revoked_at=now)
        return "TOKEN_REUSED"
    session.generation += 1
    await model.filter(**session_filter).update(generation=session.generation, last_used_at=now)
    return session


async def refresh(*, refresh_token: str, settings: Settings) -> LoginResult:
    """A new pair for a valid refresh token, once: the old one stops working. Writes made
    before a refusal (ending a session whose token was reused) are meant to be kept, so
    callers must not roll back on AuthenticationFailed."""
    claims = decode_refresh(refresh_token, settings.jwt_verification_secrets)
    if claims.is_operator:
        operator = await PlatformOperator.get_or_none(id=claims.user_id, is_active=True)
        if operator is None or operator.token_version != claims.token_version:
            raise AuthenticationFailed(REVOKED, code="TOKEN_REVOKED")
        outcome = await _advance(
            OperatorSession, {"id": claims.session_id, "operator_id": operator.id}, claims
        )
        if isinstance(outcome, str):
            raise AuthenticationFailed(REVOKED, code=outcome)
        actor = _operator_actor(operator)
        return LoginResult(
            _pair(actor, operator.token_version, settings, outcome), actor, operator.name
        )
    if claims.tenant_id is None:
        raise AuthenticationFailed("The token is invalid.", code="TOKEN_INVALID")
    async with tenant_transaction(claims.tenant_id):
        user = await UserAccount.get_or_none(
            tenant_id=claims.tenant_id, id=claims.user_id, is_active=True
        )
        if user is None or user.token_version != claims.token_version:
            outcome: object | str = "TOKEN_REVOKED"
        else:
            outcome = await _advance(
                LoginSession,
                {"tenant_id": claims.tenant_id, "id": claims.session_id, "user_id": user.id},
                claims,
            )
            if not isinstance(outcome, str):
                actor = user_actor(user)
                return LoginResult(
                    _pair(actor, user.token_version, settings, outcome), actor, user.name
                )
    raise AuthenticationFailed(REVOKED, code=outcome)


async def logout(*, refresh_token: str, settings: Settings) -> None:
    """Ends the session of this refresh token (this device)."""
    claims = decode_refresh(refresh_token, settings.jwt_verification_secrets)
    now = datetime.now(UTC)
    if claims.is_operator:
        await OperatorSession.filter(id=claims.session_id, operator_id=claims.user_id).update(
            revoked_at=now
        )
        return
    async with tenant_transaction(claims.tenant_id):
        await LoginSession.filter(
            tenant_id=claims.tenant_id, id=claims.session_id, user_id=claims.user_id
        ).update(revoked_at=now)


async def logout_everywhere(*, actor: Actor) -> None:
    """Ends every session of the actor (access tokens expire on their own in minutes)."""
    now = datetime.now(UTC)
    if actor.is_operator:
        await PlatformOperator.filter(id=actor.user_id).update(token_version=F("token_version") + 1)
        await OperatorSession.filter(operator_id=actor.user_id, revoked_at=None).update(
            revoked_at=now
        )
    else:
        await UserAccount.filter(tenant_id=actor.tenant_id, id=actor.user_id).update(
            token_version=F("token_version") + 1
        )
        await LoginSession.filter(
            tenant_id=actor.tenant_id, user_id=actor.user_id, revoked_at=None
        ).update(revoked_at=now)


async def current_account(*, actor: Actor) -> UserAccount | PlatformOperator | None:
    if actor.is_operator:
        return await PlatformOperator.get_or_none(id=actor.user_id, is_active=True)
    return await UserAccount.get_or_none(
        tenant_id=actor.tenant_id, id=actor.user_id, is_active=True
    )
