"""Granting TRAINING_OFFICER or REGION_ADMIN (auth.grants, used by the demo seed and
`kinerja tenant grant-role`): who may, which roles, once, audited, only in one's region."""

import pytest

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.grants import grant_role
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import NotFound, PermissionDenied, ValidationFailed
from tenants.context import tenant_transaction


async def test_a_region_admin_grants_the_training_officer_role_once_and_audited(region_a):
    user = region_a.accounts[Role.EMPLOYEE]
    admin = region_a.actor(Role.REGION_ADMIN)
    async with tenant_transaction(region_a.id):
        granted = await grant_role(actor=admin, user_id=user.id, role=Role.TRAINING_OFFICER)
        again = await grant_role(actor=admin, user_id=user.id, role=Role.TRAINING_OFFICER)
        stored = await UserAccount.get(tenant_id=region_a.id, id=user.id)
        entries = await AuditEntry.filter(
            tenant_id=region_a.id, entity="user_account", entity_id=user.id
        )
    assert sorted(stored.roles) == ["EMPLOYEE", "TRAINING_OFFICER"]
    assert sorted(granted.roles) == sorted(again.roles) == sorted(stored.roles)
    assert [(e.action, e.before, e.after) for e in entries] == [
        (
            "account.role_granted",
            {"roles": ["EMPLOYEE"]},
            {"roles": ["EMPLOYEE", "TRAINING_OFFICER"]},
        )
    ]


async def test_only_a_region_admin_grants_and_only_the_grantable_roles(region_a):
    user = region_a.accounts[Role.EMPLOYEE]
    async with tenant_transaction(region_a.id):
        with pytest.raises(PermissionDenied):
            await grant_role(
                actor=region_a.actor(Role.SUPERVISOR), user_id=user.id, role=Role.REGION_ADMIN
            )
        for role in (Role.SUPERVISOR, Role.PLATFORM_OPERATOR):
            with pytest.raises(ValidationFailed) as refused:
                await grant_role(
                    actor=region_a.actor(Role.REGION_ADMIN), user_id=user.id, role=role
                )
            assert [(e.field, e.code) for e in refused.value.errors] == [("role", "NOT_GRANTABLE")]
        stored = await UserAccount.get(tenant_id=region_a.id, id=user.id)
    assert sorted(stored.roles) == ["EMPLOYEE"]


async def test_a_login_of_another_region_or_a_deactivated_one_is_refused(region_a, region_b):
    other = region_b.accounts[Role.EMPLOYEE]
    async with tenant_transaction(region_a.id):
        with pytest.raises(NotFound):
            await grant_role(
                actor=region_a.actor(Role.REGION_ADMIN), user_id=other.id, role=Role.REGION_ADMIN
            )
        leaver = region_a.accounts[Role.SUPERVISOR]
        await UserAccount.filter(tenant_id=region_a.id, id=leaver.id).update(is_active=False)
        with pytest.raises(ValidationFailed) as refused:
            await grant_role(
                actor=region_a.actor(Role.REGION_ADMIN), user_id=leaver.id, role=Role.REGION_ADMIN
            )
    assert [(e.field, e.code) for e in refused.value.errors] == [("userId", "INACTIVE")]
    async with tenant_transaction(region_b.id):
        stored = await UserAccount.get(tenant_id=region_b.id, id=other.id)
    assert "REGION_ADMIN" not in stored.roles
