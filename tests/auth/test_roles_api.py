"""grantRole / revokeRole through the API (issue #18, roles and logins): a region admin gives
and takes REGION_ADMIN and TRAINING_OFFICER, only in their own region, audited, notified to the
person; a revoked login's tokens stop; the last active region admin keeps the role (also when
two admins revoke each other at once); and a region whose only officer was replaced gets its
TRAINING_UNIT_ASSIGNED notification to the new officer."""

from __future__ import annotations

import asyncio

import pytest
from arq.connections import create_pool

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.grants import revoke_role
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.service import user_actor
from kinerja_saas.errors import ValidationFailed
from kinerja_saas.notifications.models import Notification
from kinerja_saas.outbox import service as outbox
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.performance.events import EVALUATION_FINALISED
from kinerja_saas.training.models import TrainingOfficer
from tenants.context import tenant_transaction
from tests.auth.test_revocation import refused_within
from tests.training.helpers import build_catalogue, finalised_reports
from tests.workers.test_jobs import drain, relay_all
from workers.queue import redis_settings

ADMIN, SUP, EMP, OFFICER = (
    Role.REGION_ADMIN,
    Role.SUPERVISOR,
    Role.EMPLOYEE,
    Role.TRAINING_OFFICER,
)
GRANT = """mutation($u: ID!, $r: Role!, $t: ID) { grantRole(userId: $u, role: $r, trainingUnitId: $t) {
  userId roles errors { field code message } } }"""
REVOKE = """mutation($u: ID!, $r: Role!) { revokeRole(userId: $u, role: $r) {
  userId roles errors { field code message } } }"""


@pytest.fixture
async def arq_redis(settings, redis):
    pool = await create_pool(redis_settings(settings))
    yield pool
    await pool.aclose()


async def _roles(region, user_id: int) -> list[str]:
    async with tenant_transaction(region.id):
        return sorted((await UserAccount.get(tenant_id=region.id, id=user_id)).roles)


async def _audit(region, user_id: int) -> list[tuple]:
    async with tenant_transaction(region.id):
        entries = await AuditEntry.filter(
            tenant_id=region.id, entity="user_account", entity_id=user_id
        ).order_by("id")
    return [(e.action, e.before, e.after) for e in entries]


async def _role_events(region) -> list[dict]:
    async with tenant_transaction(region.id):
        events = await OutboxEvent.filter(tenant_id=region.id, topic="auth.role_changed").order_by(
            "id"
        )
    return [e.payload for e in events]


async def test_a_region_admin_grants_a_second_admin_who_can_then_act(api, region_a):
    target = region_a.accounts[EMP]
    r = await api.as_role(region_a, ADMIN, GRANT, {"u": str(target.id), "r": "REGION_ADMIN"})
    assert r.data["grantRole"] == {
        "userId": str(target.id),
        "roles": ["EMPLOYEE", "REGION_ADMIN"],
        "errors": [],
    }
    assert await _roles(region_a, target.id) == ["EMPLOYEE", "REGION_ADMIN"]
    assert await _audit(region_a, target.id) == [
        ("account.role_granted", {"roles": ["EMPLOYEE"]}, {"roles": ["EMPLOYEE", "REGION_ADMIN"]})
    ]
    (event,) = await _role_events(region_a)
    assert event["user_id"] == target.id and event["granted"] is True
    assert event["perubahan"] == "Anda kini memiliki peran Admin Wilayah"
    # granting again changes nothing and tells nobody twice
    r = await api.as_role(region_a, ADMIN, GRANT, {"u": str(target.id), "r": "REGION_ADMIN"})
    assert r.data["grantRole"]["errors"] == []
    assert len(await _audit(region_a, target.id)) == 1
    assert len(await _role_events(region_a)) == 1


async def test_only_region_admins_of_the_logins_own_region_and_only_grantable_roles(
    api, region_a, region_b
):
    target = region_a.accounts[EMP]
    for role in (SUP, EMP, OFFICER):
        r = await api.as_role(region_a, role, GRANT, {"u": str(target.id), "r": "REGION_ADMIN"})
        assert r.codes == ["FORBIDDEN"], role
        r = await api.as_role(
            region_a, role, REVOKE, {"u": str(region_a.accounts[ADMIN].id), "r": "REGION_ADMIN"}
        )
        assert r.codes == ["FORBIDDEN"], role
    # region B's admin cannot reach region A's login, for either mutation
    for doc, name in ((GRANT, "grantRole"), (REVOKE, "revokeRole")):
        r = await api.as_role(region_b, ADMIN, doc, {"u": str(target.id), "r": "REGION_ADMIN"})
        assert [(e["field"], e["code"]) for e in r.data[name]["errors"]] == [
            ("userId", "NOT_FOUND")
        ]
    # roles that follow the roster or the platform are not granted by hand
    for role in ("SUPERVISOR", "EMPLOYEE", "PLATFORM_OPERATOR"):
        for doc, name in ((GRANT, "grantRole"), (REVOKE, "revokeRole")):
            r = await api.as_role(region_a, ADMIN, doc, {"u": str(target.id), "r": role})
            (error,) = r.data[name]["errors"]
            assert (error["field"], error["code"]) == ("role", "NOT_GRANTABLE")
            assert "tidak" in error["message"]
    # a training unit only goes with the training-officer role
    r = await api.as_role(
        region_a, ADMIN, GRANT, {"u": str(target.id), "r": "REGION_ADMIN", "t": "1"}
    )
    assert [(e["field"], e["code"]) for e in r.data["grantRole"]["errors"]] == [
        ("trainingUnitId", "NOT_APPLICABLE")
    ]
    assert await _roles(region_a, target.id) == ["EMPLOYEE"]
    assert await _audit(region_a, target.id) == []
    assert await _role_events(region_a) == []


async def test_the_last_region_admin_keeps_the_role(api, region_a):
    admin = region_a.accounts[ADMIN]
    r = await api.as_role(region_a, ADMIN, REVOKE, {"u": str(admin.id), "r": "REGION_ADMIN"})
    (error,) = r.data["revokeRole"]["errors"]
    assert (error["field"], error["code"]) == ("userId", "LAST_REGION_ADMIN")
    assert error["message"].startswith("Ini admin wilayah aktif terakhir")
    assert await _roles(region_a, admin.id) == ["EMPLOYEE", "REGION_ADMIN"]
    assert await _audit(region_a, admin.id) == []
    # with a second admin the first may step down; the second is then the last
    second = region_a.accounts[EMP]
    await api.as_role(region_a, ADMIN, GRANT, {"u": str(second.id), "r": "REGION_ADMIN"})
    r = await api.as_role(region_a, ADMIN, REVOKE, {"u": str(admin.id), "r": "REGION_ADMIN"})
    assert r.data["revokeRole"]["roles"] == ["EMPLOYEE"]
    async with tenant_transaction(region_a.id):
        refreshed = await UserAccount.get(tenant_id=region_a.id, id=second.id)
        with pytest.raises(ValidationFailed) as refused:
            await revoke_role(actor=user_actor(refreshed), user_id=second.id, role=ADMIN)
    assert [(e.field, e.code) for e in refused.value.errors] == [("userId", "LAST_REGION_ADMIN")]


async def test_two_admins_revoking_each_other_at_once_leave_one(region_a):
    admin = region_a.accounts[ADMIN]
    second = region_a.accounts[EMP]
    async with tenant_transaction(region_a.id):
        await UserAccount.filter(tenant_id=region_a.id, id=second.id).update(
            roles=["EMPLOYEE", "REGION_ADMIN"]
        )
        accounts = {a.id: a for a in await UserAccount.filter(tenant_id=region_a.id)}

    async def revoke(by: int, whom: int):
        async with tenant_transaction(region_a.id):
            await revoke_role(actor=user_actor(accounts[by]), user_id=whom, role=ADMIN)
            await asyncio.sleep(0.2)  # hold the transaction open while the other one runs

    results = await asyncio.gather(
        revoke(admin.id, second.id), revoke(second.id, admin.id), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1, results
    assert [(e.field, e.code) for e in failures[0].errors] == [("userId", "LAST_REGION_ADMIN")]
    still = [uid for uid in (admin.id, second.id) if "REGION_ADMIN" in await _roles(region_a, uid)]
    assert len(still) == 1


async def test_revoking_ends_the_persons_tokens_and_unit_and_is_audited(api, region_a):
    officer = region_a.accounts[OFFICER]
    cat = await build_catalogue(region_a)
    token = region_a.token(OFFICER, api.settings)
    r = await api("{ trainingAssignments(first: 5) { edges { node { id } } } }", token=token)
    assert r.codes == []
    r = await api.as_role(region_a, ADMIN, REVOKE, {"u": str(officer.id), "r": "TRAINING_OFFICER"})
    assert r.data["revokeRole"] == {"userId": str(officer.id), "roles": ["EMPLOYEE"], "errors": []}
    assert await refused_within(api, token) < 5.0
    async with tenant_transaction(region_a.id):
        assert not await TrainingOfficer.filter(
            tenant_id=region_a.id, training_unit_id=cat.unit_id
        ).exists()
    assert await _audit(region_a, officer.id) == [
        (
            "account.role_revoked",
            {"roles": ["EMPLOYEE", "TRAINING_OFFICER"]},
            {"roles": ["EMPLOYEE"]},
        )
    ]
    (event,) = await _role_events(region_a)
    assert event["perubahan"] == "Peran Petugas Unit Pelatihan Anda dicabut"


async def test_a_region_appoints_its_training_officer_and_the_officer_is_told(
    api, settings, arq_redis, region_a
):
    """The walk of issue #18: the region's officer leaves, a member of staff is appointed
    through the API with their unit, and the next participants reach the new officer."""
    cat = await build_catalogue(region_a)
    leaving = region_a.accounts[OFFICER]
    newcomer = region_a.accounts[EMP]
    r = await api.as_role(region_a, ADMIN, REVOKE, {"u": str(leaving.id), "r": "TRAINING_OFFICER"})
    assert r.data["revokeRole"]["errors"] == []
    # an unknown unit is refused and nothing is granted
    r = await api.as_role(
        region_a,
        ADMIN,
        GRANT,
        {"u": str(newcomer.id), "r": "TRAINING_OFFICER", "t": str(cat.unit_id + 10_000)},
    )
    assert [(e["field"], e["code"]) for e in r.data["grantRole"]["errors"]] == [
        ("trainingUnitId", "NOT_FOUND")
    ]
    assert await _roles(region_a, newcomer.id) == ["EMPLOYEE"]
    r = await api.as_role(
        region_a,
        ADMIN,
        GRANT,
        {"u": str(newcomer.id), "r": "TRAINING_OFFICER", "t": str(cat.unit_id)},
    )
    assert r.data["grantRole"]["roles"] == ["EMPLOYEE", "TRAINING_OFFICER"]
    # setTrainingOfficer works on the new officer too (here: the same unit again)
    r = await api.as_role(
        region_a,
        ADMIN,
        "mutation($u: ID!, $t: ID) { setTrainingOfficer(userId: $u, trainingUnitId: $t) {"
        " ok errors { code } } }",
        {"u": str(newcomer.id), "t": str(cat.unit_id)},
    )
    assert r.data["setTrainingOfficer"] == {"ok": True, "errors": []}

    (evaluation,) = await finalised_reports(region_a, count=1)
    async with tenant_transaction(region_a.id):
        await outbox.emit(
            EVALUATION_FINALISED,
            {
                "evaluation_id": evaluation["id"],
                "period_id": region_a.period.id,
                "employee_id": evaluation["employee_id"],
                "predikat": "SANGAT_KURANG",
                "low_performer": True,
            },
        )
    for _ in range(2):  # the finalised evaluation, then the assignment's own events
        await relay_all(arq_redis, settings)
        await drain(settings)
    async with tenant_transaction(region_a.id):
        notes = await Notification.filter(
            tenant_id=region_a.id, kind__in=["TRAINING_UNIT_ASSIGNED", "ROLE_CHANGED"]
        ).order_by("id")
    got = sorted((n.user_id, n.kind, n.title) for n in notes)
    region_name = region_a.tenant.name
    assert got == sorted(
        [
            (leaving.id, "ROLE_CHANGED", f"Perubahan peran akun Kinerja {region_name}"),
            (newcomer.id, "ROLE_CHANGED", f"Perubahan peran akun Kinerja {region_name}"),
            (newcomer.id, "TRAINING_UNIT_ASSIGNED", "1 peserta baru untuk BPSDM Provinsi"),
        ]
    )
    body = next(n.body for n in notes if n.user_id == newcomer.id and n.kind == "ROLE_CHANGED")
    assert "Anda kini memiliki peran Petugas Unit Pelatihan" in body
    # and the new officer's portal answers (a fresh login's token carries the role)
    async with tenant_transaction(region_a.id):
        fresh = await UserAccount.get(tenant_id=region_a.id, id=newcomer.id)
    from kinerja_saas.auth.tokens import issue_pair

    token = issue_pair(
        user_actor(fresh),
        token_version=fresh.token_version,
        secret=settings.jwt_secret,
        access_ttl=600,
        refresh_ttl=600,
    ).access_token
    r = await api("{ trainingAssignments(first: 5) { edges { node { id } } } }", token=token)
    assert len(r.data["trainingAssignments"]["edges"]) == 1


async def test_deactivating_the_last_admins_employee_record_is_refused(api, region_a):
    deactivate = """mutation($id: ID!) { deactivateEmployee(id: $id) {
      employee { isActive } errors { field code } } }"""
    head = region_a.employees["head"]  # the region admin's own employee record
    r = await api.as_role(region_a, ADMIN, deactivate, {"id": str(head.id)})
    assert r.data["deactivateEmployee"] == {
        "employee": None,
        "errors": [{"field": "id", "code": "LAST_REGION_ADMIN"}],
    }
    assert await _roles(region_a, region_a.accounts[ADMIN].id) == ["EMPLOYEE", "REGION_ADMIN"]
    await api.as_role(
        region_a, ADMIN, GRANT, {"u": str(region_a.accounts[EMP].id), "r": "REGION_ADMIN"}
    )
    r = await api.as_role(region_a, ADMIN, deactivate, {"id": str(head.id)})
    assert r.data["deactivateEmployee"] == {"employee": {"isActive": False}, "errors": []}


async def test_supervisor_follows_the_supervision_chain(api, region_a):
    """Moving a supervisor's last report away takes SUPERVISOR from their login (its tokens
    end); the new supervisor's login gets it. Audited."""
    update = """mutation($id: ID!, $s: ID) { updateEmployee(id: $id, input: {supervisorId: $s}) {
      employee { id } errors { field code } } }"""
    chief, other = region_a.accounts[SUP], region_a.accounts[OFFICER]
    token = region_a.token(SUP, api.settings)
    newcomer = str(region_a.employees["other"].id)
    r = await api.as_role(
        region_a, ADMIN, update, {"id": str(region_a.employees["staff1"].id), "s": newcomer}
    )
    assert r.data["updateEmployee"]["errors"] == []
    assert await _roles(region_a, other.id) == ["EMPLOYEE", "SUPERVISOR", "TRAINING_OFFICER"]
    assert "SUPERVISOR" in await _roles(region_a, chief.id)  # staff2 still reports to chief
    r = await api.as_role(
        region_a, ADMIN, update, {"id": str(region_a.employees["staff2"].id), "s": newcomer}
    )
    assert r.data["updateEmployee"]["errors"] == []
    assert await _roles(region_a, chief.id) == ["EMPLOYEE"]
    assert await refused_within(api, token) < 5.0
    assert await _audit(region_a, chief.id) == [
        ("account.role_revoked", None, {"roles": ["EMPLOYEE"]})
    ]
    assert [a[0] for a in await _audit(region_a, other.id)] == ["account.role_granted"]
