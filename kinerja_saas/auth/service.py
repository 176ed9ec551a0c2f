"""Login, token refresh and the current user.

`login` finds the account without a region slug: platform operators first, then the
regions where the e-mail has an active account (a narrow SECURITY DEFINER lookup, since
no tenant is known yet); the password decides between several regions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kinerja_saas import logs
from kinerja_saas.admission import attribute_to_region
from kinerja_saas.audit.service import record
from kinerja_saas.auth import queries
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.errors import AuthError
from kinerja_saas.auth.models import LoginSession, OperatorSession, UserAccount
from kinerja_saas.auth.passwords import (
    hash_password_async,
    needs_rehash,
    password_problems,
    verify_password_async,
)
from kinerja_saas.auth.revocation import revoke_logins, revoke_session
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.throttle import Client, LoginThrottle
from kinerja_saas.auth.tokens import (
    DeviceClaims,
    RefreshClaims,
    TokenPair,
    decode_device,
    decode_refresh,
    issue_device_token,
    issue_pair,
)
from kinerja_saas.errors import AuthenticationFailed, CommonError, ValidationFailed
from kinerja_saas.org.queries import EmployeeRow
from kinerja_saas.org.service import employees_by_ids
from kinerja_saas.ratelimit import digest
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction
from tenants.models import PlatformOperator, RegionStatus, Tenant

log = logs.get_logger("kinerja.auth")


@dataclass(frozen=True)
class LoginResult:
    tokens: TokenPair
    actor: Actor
    name: str
    employee: EmployeeRow | None = None  # the linked employee row, read while in its region
    device_token: str | None = None  # for the login throttle: this device logged in here
    token_version: int | None = None


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
    return await queries.login_regions(email)


async def login(
    *,
    email: str,
    password: str,
    region_slug: str | None,
    settings: Settings,
    throttle: LoginThrottle | None = None,
    ip: str = "unknown",
    device_token: str | None = None,
) -> LoginResult:
    """Refused with RateLimited, before any password check, while this client may not try
    this account (see auth/throttle.py). `device_token`, from an earlier successful login of
    this device, makes the client one the account knows; the result carries a new one."""
    email = normalise_email(email)
    if not email or not password:
        raise ValidationFailed.one("email" if not email else "password", CommonError.REQUIRED)
    throttle = throttle or LoginThrottle.of(None, settings)
    device = await known_device(device_token, email, settings)
    client = Client(ip, device.device_id if device else None)
    await throttle.check(email=email, client=client)
    try:
        result = await _authenticate(email, password, region_slug, settings, only=device)
    except AuthenticationFailed as exc:
        if exc.code == "INVALID_CREDENTIALS":
            await throttle.failed(email=email, client=client)
        raise
    await throttle.succeeded(email=email, client=client)
    return _with_device(result, email, settings)


async def known_device(token: str | None, email: str, settings: Settings) -> DeviceClaims | None:
    """A device token of this e-mail whose login still has the version the token was
    issued with (one read, only when a token is given); else None."""
    claims = decode_device(token, settings.jwt_verification_secrets, email_digest=digest(email))
    if claims is None:
        return None
    if claims.is_operator:
        version = await PlatformOperator.filter(id=claims.user_id, is_active=True).values_list(
            "token_version", flat=True
        )
    elif claims.tenant_id is None:
        return None
    else:
        async with tenant_transaction(claims.tenant_id, require_active=False):
            version = await UserAccount.filter(
                tenant_id=claims.tenant_id, id=claims.user_id, is_active=True
            ).values_list("token_version", flat=True)
    return claims if version == [claims.token_version] else None


def _with_device(result: LoginResult, email: str, settings: Settings) -> LoginResult:
    if result.token_version is None:
        return result
    token = issue_device_token(
        result.actor,
        token_version=result.token_version,
        email_digest=digest(normalise_email(email)),
        secret=settings.jwt_secret or "",
        ttl=settings.device_token_ttl_seconds,
    )
    return replace(result, device_token=token)


MAX_EMAIL_LENGTH = 254  # the column's; longer cannot be anyone's (nor be looked up)
MAX_SLUG_LENGTH = 63


async def _authenticate(
    email: str,
    password: str,
    region_slug: str | None,
    settings: Settings,
    *,
    only: DeviceClaims | None = None,
) -> LoginResult:
    """`only`: a known device's login is the one account tried. The device is exempt from
    the account's pace, so it must never help guess another account with the same e-mail
    (another region's login, which that region's admin could have made)."""
    if len(email) > MAX_EMAIL_LENGTH or len(region_slug or "") > MAX_SLUG_LENGTH:
        await verify_password_async(None, password)  # the same cost as a real check
        raise AuthenticationFailed(AuthError.INVALID_CREDENTIALS)
    operator = await PlatformOperator.get_or_none(email=email, is_active=True)
    if operator and only is not None and (not only.is_operator or only.user_id != operator.id):
        operator = None
    if operator and not region_slug:
        # No rehash here: the app role may not write operators' hashes (the owner
        # connection manages operators), so they are rehashed when `kinerja` resets them.
        if not await verify_password_async(operator.password_hash, password):
            raise AuthenticationFailed(AuthError.INVALID_CREDENTIALS)
        actor = _operator_actor(operator)
        session = await _new_session(actor)
        return LoginResult(
            _pair(actor, operator.token_version, settings, session),
            actor,
            operator.name,
            token_version=operator.token_version,
        )

    checked = False  # one password check per login at least, never two for a wrong password
    regions = (
        []
        if only is not None and only.is_operator
        else await _candidate_regions(email, region_slug)
    )
    if only is not None:
        regions = [t for t in regions if t == only.tenant_id]
    for tenant_id in regions:
        async with tenant_transaction(tenant_id, require_active=False):
            user = await UserAccount.get_or_none(tenant_id=tenant_id, email=email, is_active=True)
            if user is None or (only is not None and user.id != only.user_id):
                continue
            # A real account of this region: from here the login counts as the region's in
            # fair sharing (a made-up e-mail or slug stays in the anonymous share).
            attribute_to_region(tenant_id)
            checked = True
            if not await verify_password_async(user.password_hash, password):
                continue
            tenant = await Tenant.get(id=tenant_id)
            if tenant.status != RegionStatus.ACTIVE:
                raise AuthenticationFailed(AuthError.REGION_SUSPENDED)
            updates: dict[str, Any] = {"last_login_at": datetime.now(UTC)}
            if needs_rehash(user.password_hash or ""):
                # Hashed with older argon2 parameters: stored again with today's.
                updates["password_hash"] = await hash_password_async(password)
            await UserAccount.filter(tenant_id=tenant_id, id=user.id).update(**updates)
            return await issue_login(user_actor(user), user.name, user.token_version, settings)

    if not checked:
        await verify_password_async(None, password)  # the same cost as a real check
    raise AuthenticationFailed(AuthError.INVALID_CREDENTIALS)


async def change_password(
    *,
    actor: Actor,
    current_password: str,
    new_password: str,
    settings: Settings,
    throttle: LoginThrottle | None = None,
    ip: str = "unknown",
) -> LoginResult:
    """A new password for the caller, a region user or a platform operator. Every session
    of the login ends: refresh tokens at once, access tokens within seconds on every API
    process (auth/revocation.py); this device gets a fresh pair. A wrong current password
    counts as a failed login (per client: the caller is already logged in)."""
    if actor.is_operator:
        return await _change_operator_password(
            actor, current_password, new_password, settings, throttle, ip
        )
    user = await UserAccount.get_or_none(
        tenant_id=actor.tenant_id, id=actor.user_id, is_active=True
    )
    if user is None:
        raise AuthenticationFailed(AuthError.ACCOUNT_INACTIVE)
    await _check_current_password(
        actor, user.email, user.password_hash, current_password, settings, throttle, ip
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
    await revoke_logins(tenant_id=user.tenant_id, versions={user.id: user.token_version})
    await record(
        actor=actor, action="account.password_changed", entity="user_account", entity_id=user.id
    )
    result = await issue_login(user_actor(user), user.name, user.token_version, settings)
    return _with_device(result, user.email, settings)


async def _check_current_password(
    actor: Actor,
    email: str,
    stored_hash: str | None,
    current_password: str,
    settings: Settings,
    throttle: LoginThrottle | None,
    ip: str,
) -> None:
    """The caller is logged in: a client the account knows (its session), so others'
    failed logins never hold it back; its own wrong guesses are counted and block it."""
    throttle = throttle or LoginThrottle.of(None, settings)
    client = Client(ip, device=f"session:{actor.session_id or 0}:{actor.user_id}")
    await throttle.check(email=email, client=client)
    if not await verify_password_async(stored_hash, current_password):
        await throttle.failed(email=email, client=client)
        raise ValidationFailed.one("currentPassword", AuthError.WRONG_PASSWORD)
    await throttle.succeeded(email=email, client=client)


async def _change_operator_password(
    actor: Actor,
    current_password: str,
    new_password: str,
    settings: Settings,
    throttle: LoginThrottle | None,
    ip: str,
) -> LoginResult:
    """The app role cannot write operators' hashes: `operator_change_password` (a definer
    function, platform scope only) swaps the hash the current password was checked
    against and bumps the token version, or changes nothing if it changed meanwhile."""
    operator = await PlatformOperator.get_or_none(id=actor.user_id, is_active=True)
    if operator is None:
        raise AuthenticationFailed(AuthError.ACCOUNT_INACTIVE)
    await _check_current_password(
        actor, operator.email, operator.password_hash, current_password, settings, throttle, ip
    )
    problems = password_problems(new_password, email=operator.email, field="newPassword")
    if problems:
        raise ValidationFailed(problems)
    version = await queries.change_operator_password(
        operator_id=operator.id,
        old_hash=operator.password_hash,
        new_hash=await hash_password_async(new_password),
    )
    if version is None:  # deactivated, or another change won meanwhile: try again
        raise ValidationFailed.one("currentPassword", AuthError.WRONG_PASSWORD)
    await OperatorSession.filter(operator_id=operator.id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
    await revoke_logins(tenant_id=None, versions={operator.id: version})
    log.info("operator password changed", operator=operator.id)
    session = await _new_session(actor)
    result = LoginResult(
        _pair(actor, version, settings, session), actor, operator.name, token_version=version
    )
    return _with_device(result, operator.email, settings)


async def issue_login(
    actor: Actor, name: str, token_version: int, settings: Settings
) -> LoginResult:
    """A new session and its tokens for a region user, with their employee row read while
    in their region (run inside the region's transaction)."""
    employee = None
    if actor.employee_id is not None:
        employee = (await employees_by_ids([actor.employee_id])).get(actor.employee_id)
    session = await _new_session(actor)
    return LoginResult(
        _pair(actor, token_version, settings, session),
        actor,
        name,
        employee,
        token_version=token_version,
    )


async def _advance(
    model: type[LoginSession] | type[OperatorSession], session_filter: dict, claims: RefreshClaims
) -> LoginSession | OperatorSession | AuthError:
    """Moves the session to its next generation, or tells why not. An older generation
    coming back means the token was copied: the whole session ends."""
    session = await model.filter(**session_filter).select_for_update().first()
    if session is None or session.revoked_at is not None:
        return AuthError.TOKEN_REVOKED
    now = datetime.now(UTC)
    if session.generation != claims.generation:
        # Copied: the session ends, with the access tokens either holder has now.
        await model.filter(**session_filter).update(revoked_at=now)
        tenant_id = None if claims.is_operator else claims.tenant_id
        await revoke_session(tenant_id=tenant_id, user_id=claims.user_id, session_id=session.id)
        return AuthError.TOKEN_REUSED
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
            raise AuthenticationFailed(AuthError.TOKEN_REVOKED)
        outcome = await _advance(
            OperatorSession, {"id": claims.session_id, "operator_id": operator.id}, claims
        )
        if isinstance(outcome, AuthError):
            raise AuthenticationFailed(outcome)
        actor = _operator_actor(operator)
        return LoginResult(
            _pair(actor, operator.token_version, settings, outcome), actor, operator.name
        )
    if claims.tenant_id is None:
        raise AuthenticationFailed(AuthError.TOKEN_INVALID)
    async with tenant_transaction(claims.tenant_id):
        user = await UserAccount.get_or_none(
            tenant_id=claims.tenant_id, id=claims.user_id, is_active=True
        )
        if user is None or user.token_version != claims.token_version:
            outcome = AuthError.TOKEN_REVOKED
        else:
            outcome = await _advance(
                LoginSession,
                {"tenant_id": claims.tenant_id, "id": claims.session_id, "user_id": user.id},
                claims,
            )
            if not isinstance(outcome, AuthError):
                actor = user_actor(user)
                return LoginResult(
                    _pair(actor, user.token_version, settings, outcome), actor, user.name
                )
    raise AuthenticationFailed(outcome)


async def logout(*, refresh_token: str, settings: Settings) -> None:
    """Ends the session of this refresh token (this device), and within seconds the
    access tokens of that session on every API process."""
    claims = decode_refresh(refresh_token, settings.jwt_verification_secrets)
    now = datetime.now(UTC)
    if claims.is_operator:
        ended = await OperatorSession.filter(
            id=claims.session_id, operator_id=claims.user_id, revoked_at=None
        ).update(revoked_at=now)
        if ended:
            await revoke_session(
                tenant_id=None, user_id=claims.user_id, session_id=claims.session_id
            )
        return
    async with tenant_transaction(claims.tenant_id):
        ended = await LoginSession.filter(
            tenant_id=claims.tenant_id,
            id=claims.session_id,
            user_id=claims.user_id,
            revoked_at=None,
        ).update(revoked_at=now)
        if ended:
            await revoke_session(
                tenant_id=claims.tenant_id, user_id=claims.user_id, session_id=claims.session_id
            )


async def logout_everywhere(*, actor: Actor) -> None:
    """Ends every session of the actor: refresh tokens at once, access tokens within
    seconds on every API process (auth/revocation.py)."""
    now = datetime.now(UTC)
    if actor.is_operator:
        version = await queries.bump_operator_token_version(actor.user_id)
        await OperatorSession.filter(operator_id=actor.user_id, revoked_at=None).update(
            revoked_at=now
        )
        tenant_id = None
    else:
        version = await queries.bump_login_token_version(
            tenant_id=actor.tenant_id, user_id=actor.user_id
        )
        await LoginSession.filter(
            tenant_id=actor.tenant_id, user_id=actor.user_id, revoked_at=None
        ).update(revoked_at=now)
        tenant_id = actor.tenant_id
    if version is not None:
        await revoke_logins(tenant_id=tenant_id, versions={actor.user_id: version})


async def current_account(*, actor: Actor) -> UserAccount | PlatformOperator | None:
    if actor.is_operator:
        return await PlatformOperator.get_or_none(id=actor.user_id, is_active=True)
    return await UserAccount.get_or_none(
        tenant_id=actor.tenant_id, id=actor.user_id, is_active=True
    )
