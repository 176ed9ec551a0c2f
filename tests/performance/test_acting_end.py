"""Ending an acting appointment early, or correcting its end date, through the API (issue
#18): a region admin moves `endsOn`; the acting head's rights follow the new date at once
(ended yesterday: nothing today), the change is audited and notified; an end before the
start or over the unit's next appointment is refused, typed; other regions' appointments
are NOT_FOUND and other roles FORBIDDEN."""

from __future__ import annotations

from datetime import timedelta

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.roles import Role
from kinerja_saas.indonesian import long_date
from tenants.context import tenant_transaction
from tests.performance.test_acting_officials import (
    APPOINT,
    APPROVE,
    TEAM,
    _appointment,
    _submitted_plan,
)
from tests.performance.walks import events_of, login, today_of

ADMIN, SUP, EMP = Role.REGION_ADMIN, Role.SUPERVISOR, Role.EMPLOYEE
END = """mutation($id: ID!, $ends: Date!) { endActingAppointment(id: $id, endsOn: $ends) {
  appointment { id startsOn endsOn } errors { field code message } } }"""


async def _appoint(api, region, starts, ends, unit: str = "a", key: str = "staff2") -> str:
    r = await api.as_role(
        region, ADMIN, APPOINT, _appointment(region, key, unit, starts, ends, "PLT")
    )
    assert r.data["appointActing"]["errors"] == []
    return r.data["appointActing"]["appointment"]["id"]


async def test_ending_an_appointment_early_ends_the_rights_and_tells_the_person(
    api, region_a, settings
):
    today = await today_of(region_a)
    appointment_id = await _appoint(
        api, region_a, today - timedelta(days=5), today + timedelta(days=20)
    )
    acting = await login(region_a, "staff2", settings)
    r = await api(TEAM, {"p": str(region_a.period.id)}, token=acting)
    assert [m["employee"]["id"] for m in r.data["myTeam"]] == [str(region_a.employees["staff1"].id)]

    yesterday = today - timedelta(days=1)
    r = await api.as_role(
        region_a, ADMIN, END, {"id": appointment_id, "ends": yesterday.isoformat()}
    )
    assert r.data["endActingAppointment"] == {
        "appointment": {
            "id": appointment_id,
            "startsOn": (today - timedelta(days=5)).isoformat(),
            "endsOn": yesterday.isoformat(),
        },
        "errors": [],
    }
    # the rights are gone today: no team, no approval
    r = await api(TEAM, {"p": str(region_a.period.id)}, token=acting)
    assert r.data["myTeam"] == []
    plan = await _submitted_plan(region_a, "staff1")
    r = await api(APPROVE, {"id": str(plan.id)}, token=acting)
    assert [e["code"] for e in r.data["approvePlan"]["errors"]] == ["NOT_FOUND"]
    # audited with the old and new end; the person is told the new range
    async with tenant_transaction(region_a.id):
        (entry,) = await AuditEntry.filter(tenant_id=region_a.id, action="acting.change_end")
    assert entry.entity_id == int(appointment_id)
    assert entry.before == {"ends_on": (today + timedelta(days=20)).isoformat()}
    assert entry.after == {"ends_on": yesterday.isoformat()}
    (event,) = await events_of(region_a, "org.acting_ends_changed")
    assert event["employee_id"] == region_a.employees["staff2"].id
    assert event["jabatan"] == "Plt. Kepala Bidang A"
    assert event["periode"] == (
        f"{long_date(today - timedelta(days=5))} sampai {long_date(yesterday)}"
    )

    # correcting it later again (the last day included) gives the rights back
    r = await api.as_role(region_a, ADMIN, END, {"id": appointment_id, "ends": today.isoformat()})
    assert r.data["endActingAppointment"]["errors"] == []
    r = await api(APPROVE, {"id": str(plan.id)}, token=acting)
    assert r.data["approvePlan"]["plan"]["approvalSignature"]["title"] == "Plt. Kepala Bidang A"


async def test_an_end_before_the_start_or_over_the_next_appointment_is_refused(api, region_a):
    today = await today_of(region_a)
    first = await _appoint(api, region_a, today, today + timedelta(days=5))
    await _appoint(
        api, region_a, today + timedelta(days=10), today + timedelta(days=15), key="other"
    )
    r = await api.as_role(
        region_a, ADMIN, END, {"id": first, "ends": (today - timedelta(days=1)).isoformat()}
    )
    (error,) = r.data["endActingAppointment"]["errors"]
    assert (error["field"], error["code"]) == ("endsOn", "BEFORE_START")
    assert error["message"] == "Tanggal selesai tidak boleh sebelum tanggal mulai."
    r = await api.as_role(
        region_a, ADMIN, END, {"id": first, "ends": (today + timedelta(days=12)).isoformat()}
    )
    (error,) = r.data["endActingAppointment"]["errors"]
    assert (error["field"], error["code"]) == ("endsOn", "ACTING_OVERLAP")
    # nothing was written by the refused changes
    r = await api.as_role(region_a, ADMIN, "{ actingAppointments { id endsOn } }")
    assert {"id": first, "endsOn": (today + timedelta(days=5)).isoformat()} in r.data[
        "actingAppointments"
    ]
    async with tenant_transaction(region_a.id):
        assert not await AuditEntry.filter(tenant_id=region_a.id, action="acting.change_end")


async def test_only_a_region_admin_of_the_same_region_ends_an_appointment(api, region_a, region_b):
    today = await today_of(region_a)
    appointment_id = await _appoint(api, region_a, today, today + timedelta(days=5))
    variables = {"id": appointment_id, "ends": today.isoformat()}
    for role in (EMP, SUP, Role.TRAINING_OFFICER):
        r = await api.as_role(region_a, role, END, variables)
        assert r.codes == ["FORBIDDEN"], role
    r = await api.as_role(region_b, ADMIN, END, variables)
    assert [(e["field"], e["code"]) for e in r.data["endActingAppointment"]["errors"]] == [
        ("id", "NOT_FOUND")
    ]
    r = await api.as_role(region_a, ADMIN, "{ actingAppointments { id endsOn } }")
    assert r.data["actingAppointments"] == [
        {"id": appointment_id, "endsOn": (today + timedelta(days=5)).isoformat()}
    ]
