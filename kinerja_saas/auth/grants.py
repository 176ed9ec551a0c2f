"""Giving a region's login a role that neither onboarding nor the roster import gives:
REGION_ADMIN (a second admin) and TRAINING_OFFICER.

Only this much, for the demo seed and the operators' `kinerja tenant grant-role`: a region
admin granting it through the API (with revoking, notifying the person and keeping the last
admin) is issue #18's `grantRole`. SUPERVISOR and EMPLOYEE follow the roster instead."""

from __future__ import annotations

from kinerja_saas.audit.service import record
from kinerja_saas.auth import queries
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.errors import AuthError
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from tenants.context import current_tenant_id

GRANTABLE = (Role.REGION_ADMIN, Role.TRAINING_OFFICER)


async def grant_role(*, actor: Actor, user_id: int, role: Role) -> UserAccount:
    """Adds `role` to the login (nothing changes when it has it already). Tokens issued
    before keep their roles until they are refreshed: a grant widens, it never revokes."""
    actor.require(Role.REGION_ADMIN)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    if role not in GRANTABLE:
        errors.add("role", AuthError.NOT_GRANTABLE, grantable=[r.value for r in GRANTABLE])
    errors.raise_if_any()
    user = await scoped(UserAccount).get_or_none(id=user_id)
    if user is None:
        raise NotFound(CommonError.NOT_FOUND, field="userId")
    if not user.is_active:
        errors.add("userId", CommonError.INACTIVE)
        errors.raise_if_any()
    before = sorted(user.roles)
    # One conditional statement: two grants at once cannot add the role twice.
    roles = await queries.add_role(tenant_id=tenant_id, user_id=user_id, role=role.value)
    if roles is not None:
        user.roles = roles
        await record(
            actor=actor,
            action="account.role_granted",
            entity="user_account",
            entity_id=user.id,
            before={"roles": before},
            after={"roles": sorted(user.roles)},
        )
    return user
