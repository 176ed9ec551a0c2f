"""auth: the Mutation fields, their inputs and payloads."""

from __future__ import annotations

from typing import Any

import strawberry

from kinerja_saas.auth import activation, grants
from kinerja_saas.auth import service as auth
from kinerja_saas.auth.roles import Role as _Role
from kinerja_saas.auth.throttle import LoginThrottle
from kinerja_saas.errors import AuthenticationFailed
from schema.auth.types import Me, Role, me_of
from schema.errors import parse_id
from schema.isolation import ALONE, ANONYMOUS
from schema.payloads import mutate, payload
from tenants.context import enter_tenant


@payload
class AuthPayload:
    access_token: str | None
    refresh_token: str | None = None
    expires_at: int | None = strawberry.field(default=None, description="Unix time of expiry")
    device_token: str | None = strawberry.field(
        default=None,
        description="Keep it on this device and send it with the next `login`: a device "
        "that logged in before is never held back by other people's failed attempts on the "
        "account. Ends with a password change or logoutEverywhere.",
    )
    me: Me | None


@payload
class ActivationPayload:
    user_id: strawberry.ID | None
    email: str | None = None
    token: str | None = strawberry.field(default=None, description="For activateAccount; 14 days")


@payload
class RoleChangePayload:
    """A login's roles after grantRole or revokeRole."""

    user_id: strawberry.ID | None
    roles: list[Role] | None


def _role_fields(user: Any) -> dict[str, Any]:
    return {
        "user_id": strawberry.ID(str(user.id)),
        "roles": [_Role(r) for r in sorted(user.roles)],
    }


async def _auth_payload(call, *, atomic: bool = True) -> AuthPayload:
    """A failed login (AuthenticationFailed) is a refusal in the payload, not a request
    error. `atomic=False` keeps what the call wrote before refusing (ending a reused
    session)."""
    return await mutate(
        AuthPayload, call, _signed_in, refusing=(AuthenticationFailed,), savepoint=atomic
    )


async def _signed_in(result: Any) -> dict[str, Any]:
    if result.actor.tenant_id is not None:
        await enter_tenant(result.actor.tenant_id)  # so `me { employee { … } }` resolves
    return {
        "access_token": result.tokens.access_token,
        "refresh_token": result.tokens.refresh_token,
        "expires_at": result.tokens.expires_at,
        "device_token": result.device_token,
        "me": me_of(result.actor, result.name, result.employee),
    }


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="Log in with e-mail and password. `region` (slug) is needed only when "
        "the e-mail has logins in several regions with the same password. Sent alone, "
        "without a token.",
        metadata=ANONYMOUS,
    )
    async def login(
        self,
        info: strawberry.Info,
        email: str,
        password: str,
        region: str | None = None,
        device_token: str | None = None,
    ) -> AuthPayload:
        context = info.context
        return await _auth_payload(
            lambda: auth.login(
                email=email,
                password=password,
                region_slug=region,
                settings=context.settings,
                throttle=LoginThrottle.of(context.redis, context.settings),
                ip=context.client_ip,
                device_token=device_token,
            )
        )

    @strawberry.mutation(
        description="Trade a refresh token for a new pair; the old refresh token stops "
        "working. Presenting an old one again ends the session (TOKEN_REUSED). Sent alone, "
        "without a token.",
        metadata=ANONYMOUS,
    )
    async def refresh_token(self, info: strawberry.Info, refresh_token: str) -> AuthPayload:
        settings = info.context.settings
        return await _auth_payload(
            lambda: auth.refresh(refresh_token=refresh_token, settings=settings), atomic=False
        )

    @strawberry.mutation(
        description="End the session of this refresh token (log out here). Sent alone.",
        metadata=ALONE,
    )
    async def logout(self, info: strawberry.Info, refresh_token: str) -> bool:
        await auth.logout(refresh_token=refresh_token, settings=info.context.settings)
        return True

    @strawberry.mutation(
        description="Set the first password of a new account with its one-time activation "
        "token; logs the account in. Sent alone, without a token.",
        metadata=ANONYMOUS,
    )
    async def activate_account(
        self, info: strawberry.Info, token: str, password: str
    ) -> AuthPayload:
        settings = info.context.settings
        return await _auth_payload(
            lambda: activation.activate_account(token=token, password=password, settings=settings)
        )

    @strawberry.mutation(
        description="Region admin: a fresh one-time activation token for a login that has no "
        "password yet (earlier tokens stop working), to hand over; it is e-mailed too."
    )
    async def issue_activation(
        self, info: strawberry.Info, user_id: strawberry.ID
    ) -> ActivationPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            ActivationPayload,
            lambda: activation.reissue_activation(
                actor=actor,
                user_id=parse_id(user_id, "userId"),
                secret=info.context.settings.jwt_secret or "",
            ),
            lambda result: {
                "user_id": strawberry.ID(str(result[0].id)),
                "email": result[0].email,
                "token": result[1],
            },
        )

    @strawberry.mutation(
        description="Region user or platform operator: set a new password. Every session of "
        "the login ends (other devices must log in again, their access tokens stop within "
        "seconds) and this one gets a fresh token pair. A wrong current password counts as a "
        "failed login. Sent alone.",
        metadata=ALONE,
    )
    async def change_password(
        self, info: strawberry.Info, current_password: str, new_password: str
    ) -> AuthPayload:
        context = info.context
        actor = context.require_actor()
        return await _auth_payload(
            lambda: auth.change_password(
                actor=actor,
                current_password=current_password,
                new_password=new_password,
                settings=context.settings,
                throttle=LoginThrottle.of(context.redis, context.settings),
                ip=context.client_ip,
            )
        )

    @strawberry.mutation(
        description="End every session of the logged-in user; their access tokens stop "
        "working within seconds."
    )
    async def logout_everywhere(self, info: strawberry.Info) -> bool:
        await auth.logout_everywhere(actor=info.context.require_actor())
        return True

    @strawberry.mutation(
        description="Region admin: gives a login of the region the REGION_ADMIN or "
        "TRAINING_OFFICER role (SUPERVISOR and EMPLOYEE follow the roster). With "
        "`trainingUnitId` a training officer also joins that unit (as setTrainingOfficer). "
        "Audited and notified to the person (ROLE_CHANGED); the person's tokens carry the "
        "role from their next refresh or login."
    )
    async def grant_role(
        self,
        info: strawberry.Info,
        user_id: strawberry.ID,
        role: Role,
        training_unit_id: strawberry.ID | None = None,
    ) -> RoleChangePayload:
        actor = info.context.require_region_actor()
        return await mutate(
            RoleChangePayload,
            lambda: grants.grant_role(
                actor=actor,
                user_id=parse_id(user_id, "userId"),
                role=_Role(role.value),
                training_unit_id=parse_id(training_unit_id, "trainingUnitId"),
            ),
            _role_fields,
        )

    @strawberry.mutation(
        description="Region admin: takes REGION_ADMIN or TRAINING_OFFICER from a login of the "
        "region (a training officer also leaves their unit). The person's tokens stop within "
        "seconds (they log in again); audited and notified. The region's last active "
        "REGION_ADMIN keeps the role (LAST_REGION_ADMIN)."
    )
    async def revoke_role(
        self, info: strawberry.Info, user_id: strawberry.ID, role: Role
    ) -> RoleChangePayload:
        actor = info.context.require_region_actor()
        return await mutate(
            RoleChangePayload,
            lambda: grants.revoke_role(
                actor=actor, user_id=parse_id(user_id, "userId"), role=_Role(role.value)
            ),
            _role_fields,
        )
