"""Granting and revoking the roles of a region's logins that neither onboarding nor the roster
import gives: REGION_ADMIN (a second admin) and TRAINING_OFFICER. SUPERVISOR and EMPLOYEE
follow the roster instead.

Used by the API (`grantRole`, `revokeRole`, by a region admin of the login's own region), the
demo seed and the operators' `kinerja tenant grant-role`. Every change is audited and
notified to the person (ROLE_CHANGED). Revoking bumps the login's token version and revokes
its access tokens (auth.revocation): the role is gone from every API process within seconds,
and its refresh tokens stop too (the person logs in again). Granting ends no token: the old
tokens only lack the role, and the next refresh or login carries it. The last active
REGION_ADMIN of a region can never lose the role: a region must never be locked out of its
own platform."""

from __future__ import annotations

from kinerja_saas.audit.service import record
from kinerja_saas.auth import queries
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.errors import AuthError
from kinerja_saas.auth.events import ROLE_CHANGED
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.revocation import revoke_logins
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.outbox.service import emit
from kinerja_saas.training import queries as training_queries
from kinerja_saas.training.admin import set_officer
from tenants.context import current_tenant_id

GRANTABLE = (Role.REGION_ADMIN, Role.TRAINING_OFFICER)
ROLE_LABELS = {
    Role.REGION_ADMIN: "Admin Wilayah",
    Role.TRAINING_OFFICER: "Petugas Unit Pelatihan",
    Role.SUPERVISOR: "Atasan Langsung",
    Role.EMPLOYEE: "Pegawai",
    Role.PLATFORM_OPERATOR: "Operator Platform",
}


def _check_grantable(errors: ErrorCollector, role: Role, verb: str) -> None:
    if role not in GRANTABLE:
        errors.add(
            "role",
            AuthError.NOT_GRANTABLE,
            role=ROLE_LABELS.get(role, role.value),
            verb=verb,
            grantable=[ROLE_LABELS[r] for r in GRANTABLE],
        )


async def _login(user_id: int, errors: ErrorCollector) -> UserAccount:
    user = await scoped(UserAccount).get_or_none(id=user_id)
    if user is None:
        raise NotFound(CommonError.NOT_FOUND, field="userId")
    if not user.is_active:
        errors.add("userId", CommonError.INACTIVE)
    return user


async def _announce(user: UserAccount, role: Role, *, granted: bool) -> None:
    label = ROLE_LABELS[role]
    change = f"Anda kini memiliki peran {label}" if granted else f"Peran {label} Anda dicabut"
    await emit(
        ROLE_CHANGED,
        {"user_id": user.id, "role": role.value, "granted": granted, "perubahan": change},
    )


async def grant_role(
    *, actor: Actor, user_id: int, role: Role, training_unit_id: int | None = None
) -> UserAccount:
    """Adds `role` to the login (nothing changes when it has it already). For
    TRAINING_OFFICER, `training_unit_id` also makes the login an officer of that unit (as
    setTrainingOfficer does)."""
    actor.require(Role.REGION_ADMIN)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    user = await _login(user_id, errors)
    _check_grantable(errors, role, "diberikan")
    if training_unit_id is not None and role is not Role.TRAINING_OFFICER:
        errors.add(
            "trainingUnitId", AuthError.NOT_APPLICABLE, role=ROLE_LABELS[Role.TRAINING_OFFICER]
        )
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
        await _announce(user, role, granted=True)
    if training_unit_id is not None:
        await set_officer(actor=actor, user_id=user.id, training_unit_id=training_unit_id)
    return user


async def revoke_role(*, actor: Actor, user_id: int, role: Role) -> UserAccount:
    """Takes `role` from the login (nothing changes when it lacks it) and ends its tokens.
    TRAINING_OFFICER also leaves their training unit. Refused for the region's last active
    REGION_ADMIN, even when two admins revoke each other at once."""
    actor.require(Role.REGION_ADMIN)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    user = await _login(user_id, errors)
    _check_grantable(errors, role, "dicabut")
    errors.raise_if_any()
    if role is Role.REGION_ADMIN:
        # Lock every active admin login of the region: a concurrent revocation waits here,
        # then reads the roles as they are after this transaction.
        admins = await queries.lock_active_admins(tenant_id=tenant_id)
        if [r["id"] for r in admins] == [user_id]:
            errors.add("userId", AuthError.LAST_REGION_ADMIN)
            errors.raise_if_any()
    before = sorted(user.roles)
    changed = await queries.remove_role(tenant_id=tenant_id, user_id=user_id, role=role.value)
    if changed is None:
        return user
    user.roles = changed["roles"]
    user.token_version = changed["token_version"]
    await revoke_logins(tenant_id=tenant_id, versions={user.id: user.token_version})
    if role is Role.TRAINING_OFFICER:
        await training_queries.remove_officer(tenant_id=tenant_id, user_id=user_id)
    await record(
        actor=actor,
        action="account.role_revoked",
        entity="user_account",
        entity_id=user.id,
        before={"roles": before},
        after={"roles": sorted(user.roles)},
    )
    await _announce(user, role, granted=False)
    return user


# --- SUPERVISOR follows the supervision chain ------------------------------------------------


async def sync_supervisor_roles(*, actor: Actor, employee_ids: list[int] | None = None) -> None:
    """SUPERVISOR follows the supervision chain: the logins of employees who supervise an
    active employee get it, the others lose it (their tokens end, as with revokeRole).
    `employee_ids`: only these employees' logins (a change of one employee's supervisor
    touches the old and the new one); None: the whole region (after an import). One
    statement, audited set-based; the role change is not notified (it follows the roster,
    as the import's logins do)."""
    tenant_id = current_tenant_id()
    rows = await queries.sync_supervisor_roles(
        tenant_id=tenant_id,
        employee_ids=employee_ids,
        actor_user_id=actor.user_id or None,
        actor_label=actor.label,
        request_id=actor.request_id,
    )
    await revoke_logins(
        tenant_id=tenant_id,
        versions={r["id"]: r["token_version"] for r in rows if not r["granted"]},
    )
