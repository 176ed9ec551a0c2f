"""Login, token refresh and the current user.

`login` finds the account without a region slug: platform operators first, then the
regions where the e-mail has an active account (a narrow SECURITY DEFINER lookup, since
no tenant is known yet); the password decides between several regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise import connections

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.passwords import hash_password_async, needs_rehash, verify_password_async
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.tokens import TokenPair, decode_refresh, issue_pair
from kinerja_saas.errors import AuthenticationFailed, FieldError, ValidationFailed
from kinerja_saas.org.service import employees_by_ids
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction
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


def _pair(actor: Actor, token_version: int, settings: Settings) -> TokenPair:
    return issue_pair(
        actor,
        token_version=token_version,
        secret=settings.jwt_secret or "",
        access_ttl=settings.access_token_ttl_seconds,
        refresh_ttl=settings.refresh_token_ttl_seconds,
    )


async def _candidate_regions(email: str, region_slug: str | None) -> list[int]:
    if region_slug:
        tenant = await Tenant.get_or_none(slug=region_slug.strip().lower())
        return [tenant.id] if tenant else []
    _, rows = await connections.get("default").execute_query(
        "SELECT tenant_id FROM auth_login_regions($1)", [email]
    )
    return [r["tenant_id"] for r in rows]


async def login(
    *, email: str, password: str, region_slug: str | None, settings: Settings
) -> LoginResult:
    email = normalise_email(email)
    if not email or not password:
        raise ValidationFailed(
            [FieldError("email" if not email else "password", "REQUIRED", "Required.")]
        )

    operator = await PlatformOperator.get_or_none(email=email, is_active=True)
    if operator and not region_slug:
        if not await verify_password_async(operator.password_hash, password):
            raise AuthenticationFailed(INVALID_LOGIN, code="INVALID_CREDENTIALS")
        actor = _operator_actor(operator)
        return LoginResult(_pair(actor, operator.token_version, settings), actor, operator.name)

    checked = False  # one password check per login at least, never two for a wrong password
    for tenant_id in await _candidate_regions(email, region_slug):
        async with tenant_transaction(tenant_id, require_active=False):
            user = await UserAccount.get_or_none(tenant_id=tenant_id, email=email, is_active=True)
            if user is None:
                continue
            checked = True
            if not await verify_password_async(user.password_hash, password):
                continue
            tenant = await Tenant.get(id=tenant_id)
            if tenant.status != RegionStatus.ACTIVE:
                raise AuthenticationFailed("This region is suspended.", code="REGION_SUSPENDED")
            updates = {"last_login_at": datetime.now(UTC)}
            if needs_rehash(user.password_hash or ""):
                updates["password_hash"] = await hash_password_async(password)
            await UserAccount.filter(tenant_id=tenant_id, id=user.id).update(**updates)
            return await issue_login(user_actor(user), user.name, user.token_version, settings)

    if not checked:
        await verify_password_async(None, password)  # the same cost as a real check
    raise AuthenticationFailed(INVALID_LOGIN, code="INVALID_CREDENTIALS")


async def issue_login(
    actor: Actor, name: str, token_version: int, settings: Settings
) -> LoginResult:
    """Tokens for a region user, with their employee row read while in their region."""
    employee = None
    if actor.employee_id is not None:
        employee = (await employees_by_ids([actor.employee_id])).get(actor.employee_id)
    return LoginResult(_pair(actor, token_version, settings), actor, name, employee)


async def refresh(*, refresh_token: str, settings: Settings) -> LoginResult:
    claims = decode_refresh(refresh_token, settings.jwt_secret or "")
    revoked = AuthenticationFailed("The session has ended; log in again.", code="TOKEN_REVOKED")
    if claims.is_operator:
        operator = await PlatformOperator.get_or_none(id=claims.user_id, is_active=True)
        if operator is None or operator.token_version != claims.token_version:
            raise revoked
        actor = _operator_actor(operator)
        return LoginResult(_pair(actor, operator.token_version, settings), actor, operator.name)
    if claims.tenant_id is None:
        raise AuthenticationFailed("The token is invalid.", code="TOKEN_INVALID")
    async with tenant_transaction(claims.tenant_id):
        user = await UserAccount.get_or_none(
            tenant_id=claims.tenant_id, id=claims.user_id, is_active=True
        )
        if user is None or user.token_version != claims.token_version:
            raise revoked
        actor = user_actor(user)
        return LoginResult(_pair(actor, user.token_version, settings), actor, user.name)


async def logout_everywhere(*, actor: Actor) -> None:
    """Revokes every refresh token of the actor (access tokens expire on their own)."""
    from tortoise.expressions import F

    if actor.is_operator:
        await PlatformOperator.filter(id=actor.user_id).update(token_version=F("token_version") + 1)
    else:
        await UserAccount.filter(tenant_id=actor.tenant_id, id=actor.user_id).update(
            token_version=F("token_version") + 1
        )


async def current_account(*, actor: Actor) -> UserAccount | PlatformOperator | None:
    if actor.is_operator:
        return await PlatformOperator.get_or_none(id=actor.user_id, is_active=True)
    return await UserAccount.get_or_none(
        tenant_id=actor.tenant_id, id=actor.user_id, is_active=True
    )
