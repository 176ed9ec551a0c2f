"""Acting officials (Plt./Plh., SE Kepala BKN 1/SE/I/2021) through the API, in a freshly
onboarded region (issue #18): a region admin appoints an acting head of a unit for a date
range; meanwhile the acting head sees the unit head's team, approves plans, verifies
realisations and evaluates, signing as "Plh. Kepala …"; the appointment is audited and
notified; overlapping appointments are refused; before and after the range, nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.roles import Role
from kinerja_saas.performance import plans, realisations
from kinerja_saas.performance.models import PeriodStatus
from tenants.context import tenant_transaction
from tests.factories import advance, first_checkpoint, person, plan_results
from tests.performance.walks import FINALISE, SAVE, events_of, login, rating_input, today_of

ADMIN, EMP = Role.REGION_ADMIN, Role.EMPLOYEE
APPOINT = """mutation($input: AppointActingInput!) { appointActing(input: $input) {
  appointment { id kind skNumber startsOn endsOn title employee { name } }
  errors { field code message } } }"""
APPROVE = """mutation($id: ID!) { approvePlan(id: $id) {
  plan { status approvalSignature { employeeId capacity title } }
  errors { field code message } } }"""
VERIFY = """mutation($id: ID!) { verifyRealisation(id: $id) {
  realisation { status reviewSignature { employeeId capacity title } }
  errors { field code message } } }"""
TEAM = """query($p: ID!) { myTeam(periodId: $p) { employee { id } } }"""


async def _submitted_plan(region, key: str):
    async with tenant_transaction(region.id):
        plan = await plans.save_plan(
            actor=person(region, key), period_id=region.period.id, results=plan_results()
        )
        return await plans.submit_plan(actor=person(region, key), plan_id=plan.id)


def _appointment(region, key: str, unit: str, starts, ends, kind: str = "PLH") -> dict:
    return {
        "input": {
            "unitId": str(region.units[unit].id),
            "employeeId": str(region.employees[key].id),
            "kind": kind,
            "startsOn": starts.isoformat(),
            "endsOn": ends.isoformat(),
            "skNumber": "800/123/BKPSDM/2026",
        }
    }


async def test_an_acting_head_approves_verifies_and_evaluates_signing_as_plh(
    api, region_a, settings
):
    # chief heads Bidang A (their supervisor, head, works in the Dinas); staff2 stands in
    today = await today_of(region_a)
    r = await api.as_role(
        region_a,
        ADMIN,
        APPOINT,
        _appointment(region_a, "staff2", "a", today - timedelta(days=1), today + timedelta(3)),
    )
    appointment = r.data["appointActing"]
    assert appointment["errors"] == []
    assert appointment["appointment"]["kind"] == "PLH"
    assert appointment["appointment"]["title"] == "Plh. Kepala Bidang A"
    # audited, and the person is told
    async with tenant_transaction(region_a.id):
        (entry,) = await AuditEntry.filter(tenant_id=region_a.id, action="acting.appoint")
    assert entry.after["employee_id"] == region_a.employees["staff2"].id
    (event,) = await events_of(region_a, "org.acting_appointed")
    assert event["employee_id"] == region_a.employees["staff2"].id
    assert event["jabatan"] == "Plh. Kepala Bidang A"
    # overlapping the same unit: refused, typed
    r = await api.as_role(
        region_a,
        ADMIN,
        APPOINT,
        _appointment(region_a, "other", "a", today + timedelta(3), today + timedelta(9)),
    )
    (error,) = r.data["appointActing"]["errors"]
    assert (error["field"], error["code"]) == ("startsOn", "ACTING_OVERLAP")
    assert "tumpang tindih" in error["message"]

    acting = await login(region_a, "staff2", settings)
    plan = await _submitted_plan(region_a, "staff1")
    own = await _submitted_plan(region_a, "staff2")
    # the team of the head they stand in for (not themselves)
    r = await api(TEAM, {"p": str(region_a.period.id)}, token=acting)
    assert [m["employee"]["id"] for m in r.data["myTeam"]] == [str(region_a.employees["staff1"].id)]
    r = await api(APPROVE, {"id": str(plan.id)}, token=acting)
    assert r.data["approvePlan"] == {
        "plan": {
            "status": "APPROVED",
            "approvalSignature": {
                "employeeId": str(region_a.employees["staff2"].id),
                "capacity": "PLH",
                "title": "Plh. Kepala Bidang A",
            },
        },
        "errors": [],
    }
    # never their own plan
    r = await api(APPROVE, {"id": str(own.id)}, token=acting)
    assert r.codes == ["FORBIDDEN"]

    await advance(region_a, PeriodStatus.ACTIVE)
    checkpoint = await first_checkpoint(region_a)
    async with tenant_transaction(region_a.id):
        content = (await plans.plan_content([plan.id]))[plan.id]
        realisation = await realisations.record_realisation(
            actor=person(region_a, "staff1"),
            indicator_id=content[0]["indicators"][0].id,
            checkpoint_id=checkpoint.id,
            value=Decimal(25),
            note=None,
            evidence=[],
        )
    r = await api(VERIFY, {"id": str(realisation.id)}, token=acting)
    assert r.data["verifyRealisation"]["realisation"] == {
        "status": "VERIFIED",
        "reviewSignature": {
            "employeeId": str(region_a.employees["staff2"].id),
            "capacity": "PLH",
            "title": "Plh. Kepala Bidang A",
        },
    }
    r = await api(SAVE, {"input": rating_input(plan.id, checkpoint.id)}, token=acting)
    evaluation_id = r.data["saveEvaluation"]["evaluation"]["id"]
    r = await api(FINALISE, {"id": evaluation_id}, token=acting)
    assert r.data["finaliseEvaluation"]["evaluation"]["signature"] == {
        "employeeId": str(region_a.employees["staff2"].id),
        "capacity": "PLH",
        "title": "Plh. Kepala Bidang A",
    }


async def test_outside_its_dates_an_appointment_gives_nothing(api, region_a, settings):
    """Ended yesterday, or starting tomorrow: the acting head neither sees nor approves."""
    today = await today_of(region_a)
    for starts, ends in (
        (today - timedelta(days=10), today - timedelta(days=1)),
        (today + timedelta(days=1), today + timedelta(days=5)),
    ):
        r = await api.as_role(
            region_a, ADMIN, APPOINT, _appointment(region_a, "staff2", "a", starts, ends, "PLT")
        )
        assert r.data["appointActing"]["errors"] == []
    acting = await login(region_a, "staff2", settings)
    plan = await _submitted_plan(region_a, "staff1")
    r = await api(APPROVE, {"id": str(plan.id)}, token=acting)
    assert [e["code"] for e in r.data["approvePlan"]["errors"]] == ["NOT_FOUND"]
    r = await api(TEAM, {"p": str(region_a.period.id)}, token=acting)
    assert r.data["myTeam"] == []
    # on the last day it still holds
    r = await api.as_role(
        region_a, ADMIN, APPOINT, _appointment(region_a, "staff2", "a", today, today, "PLT")
    )
    assert r.data["appointActing"]["errors"] == []
    r = await api(APPROVE, {"id": str(plan.id)}, token=acting)
    assert r.data["approvePlan"]["plan"]["approvalSignature"]["title"] == "Plt. Kepala Bidang A"


async def test_only_a_region_admin_of_the_same_region_appoints(api, region_a, region_b):
    today = await today_of(region_a)
    variables = _appointment(region_a, "staff2", "a", today, today + timedelta(days=2))
    for role in (EMP, Role.SUPERVISOR):
        r = await api.as_role(region_a, role, APPOINT, variables)
        assert r.codes == ["FORBIDDEN"], role
    # region B's admin with region A's unit and employee ids
    r = await api.as_role(region_b, ADMIN, APPOINT, variables)
    assert sorted((e["field"], e["code"]) for e in r.data["appointActing"]["errors"]) == [
        ("employeeId", "NOT_FOUND"),
        ("unitId", "NOT_FOUND"),
    ]
    r = await api.as_role(region_b, ADMIN, "{ actingAppointments { id } }")
    assert r.data["actingAppointments"] == []
    # a range that ends before it starts, a too-long SK number
    bad = _appointment(region_a, "staff2", "a", today, today - timedelta(days=1))
    bad["input"]["skNumber"] = "x" * 101
    r = await api.as_role(region_a, ADMIN, APPOINT, bad)
    assert sorted((e["field"], e["code"]) for e in r.data["appointActing"]["errors"]) == [
        ("endsOn", "BEFORE_START"),
        ("skNumber", "TOO_LONG"),
    ]


async def test_two_overlapping_appointments_at_once_leave_one(api, region_a):
    import asyncio

    from kinerja_saas.org.models import ActingAppointment

    today = await today_of(region_a)
    results = await asyncio.gather(
        api.as_role(
            region_a,
            ADMIN,
            APPOINT,
            _appointment(region_a, "staff2", "a", today, today + timedelta(5)),
        ),
        api.as_role(
            region_a,
            ADMIN,
            APPOINT,
            _appointment(region_a, "other", "a", today + timedelta(2), today + timedelta(9)),
        ),
    )
    outcomes = sorted(tuple(e["code"] for e in r.data["appointActing"]["errors"]) for r in results)
    assert outcomes == [(), ("ACTING_OVERLAP",)]
    async with tenant_transaction(region_a.id):
        assert await ActingAppointment.filter(tenant_id=region_a.id).count() == 1
