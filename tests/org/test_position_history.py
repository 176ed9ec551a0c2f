"""A position history per employee (riwayat jabatan, issue #18) written by every change of
unit, supervisor or jabatan, not only by transferEmployee: updateEmployee from the region's
today, and the roster import set-based (one statement for every changed employee, and a
first stretch for every new one). A change of anything else writes nothing; a second change
the same day amends the day's stretch. An updateEmployee keeps the plan's evaluator."""

from __future__ import annotations

from datetime import timedelta

from kinerja_saas.auth.roles import Role
from kinerja_saas.org.models import PositionRecord
from tenants.context import tenant_transaction
from tests.factories import approved_plan, make_nip
from tests.org.test_import import csv_bytes, import_and_run, row
from tests.performance.walks import today_of

ADMIN, SUP, EMP = Role.REGION_ADMIN, Role.SUPERVISOR, Role.EMPLOYEE
UPDATE = """mutation($id: ID!, $input: UpdateEmployeeInput!) {
  updateEmployee(id: $id, input: $input) { errors { field code } } }"""
HISTORY = """query($e: ID!) { positionHistory(employeeId: $e) {
  unitId supervisorId position startsOn endsOn } }"""
EMPLOYEE_IDS = """query($nip: String!) { employees(filter: {search: $nip}, first: 1) {
  edges { node { id } } } }"""


def stretch(unit, supervisor, position, starts, ends) -> dict:
    return {
        "unitId": str(unit.id),
        "supervisorId": str(supervisor.id) if supervisor else None,
        "position": position,
        "startsOn": starts.isoformat() if starts else None,
        "endsOn": ends.isoformat() if ends else None,
    }


async def _history(api, region, employee_id) -> list[dict]:
    r = await api.as_role(region, ADMIN, HISTORY, {"e": str(employee_id)})
    return r.data["positionHistory"]


async def test_update_employee_writes_the_history_only_for_unit_supervisor_or_jabatan(
    api, region_a
):
    e, u = region_a.employees, region_a.units
    today = await today_of(region_a)
    staff1 = str(e["staff1"].id)
    plan = await approved_plan(region_a)  # staff1's, evaluated by chief
    # a new name is no move
    r = await api.as_role(region_a, ADMIN, UPDATE, {"id": staff1, "input": {"name": "Nama Baru"}})
    assert r.data["updateEmployee"]["errors"] == []
    assert await _history(api, region_a, staff1) == []
    # a new jabatan: where they were (from an unknown date) until yesterday, the new from today
    r = await api.as_role(
        region_a, ADMIN, UPDATE, {"id": staff1, "input": {"position": "Analis SDM"}}
    )
    assert r.data["updateEmployee"]["errors"] == []
    yesterday = today - timedelta(days=1)
    assert await _history(api, region_a, staff1) == [
        stretch(u["a"], e["chief"], "staff1", None, yesterday),
        stretch(u["a"], e["chief"], "Analis SDM", today, None),
    ]
    # a second change the same day (unit and supervisor) amends today's stretch
    r = await api.as_role(
        region_a,
        ADMIN,
        UPDATE,
        {"id": staff1, "input": {"unitId": str(u["b"].id), "supervisorId": str(e["other"].id)}},
    )
    assert r.data["updateEmployee"]["errors"] == []
    assert await _history(api, region_a, staff1) == [
        stretch(u["a"], e["chief"], "staff1", None, yesterday),
        stretch(u["b"], e["other"], "Analis SDM", today, None),
    ]
    # the approved plan keeps the evaluator recorded on it: only a transfer reassigns it
    r = await api.as_role(region_a, ADMIN, "query($id: ID!) { plan(id: $id) { evaluatorId } }",
                          {"id": str(plan.id)})  # fmt: skip
    assert r.data["plan"]["evaluatorId"] == str(e["chief"].id)
    # refused input writes nothing
    r = await api.as_role(
        region_a, ADMIN, UPDATE, {"id": staff1, "input": {"supervisorId": staff1}}
    )
    assert [x["code"] for x in r.data["updateEmployee"]["errors"]] == ["CYCLE"]
    assert len(await _history(api, region_a, staff1)) == 2


async def test_an_update_from_another_region_or_role_writes_no_history(api, region_a, region_b):
    staff1 = str(region_a.employees["staff1"].id)
    move = {"id": staff1, "input": {"position": "Pindahan"}}
    for role in (EMP, SUP):
        r = await api.as_role(region_a, role, UPDATE, move)
        assert r.codes == ["FORBIDDEN"], role
    r = await api.as_role(region_b, ADMIN, UPDATE, move)
    assert [x["code"] for x in r.data["updateEmployee"]["errors"]] == ["NOT_FOUND"]
    async with tenant_transaction(region_a.id):
        assert await PositionRecord.filter(tenant_id=region_a.id).count() == 0


async def test_the_roster_import_writes_the_history_of_moved_and_new_employees(api, region_a):
    e, u = region_a.employees, region_a.units
    today = await today_of(region_a)
    yesterday = today - timedelta(days=1)
    chief, newcomer = e["chief"], make_nip()
    staff2 = e["staff2"]
    lines = [
        # staff1: a new jabatan
        row(e["staff1"].nip, "Staf Satu", "Dinas Uji/Bidang A", atasan=chief.nip, jabatan="Analis"),
        # staff2: a new name and golongan, same unit, supervisor and jabatan
        row(staff2.nip, "Staf Dua", "Dinas Uji/Bidang A", atasan=chief.nip, jabatan="staff2",
            gol="III/b"),
        row(newcomer, "Pegawai Baru", "Dinas Uji/Bidang B", atasan=e["other"].nip, jabatan="Arsiparis"),
    ]  # fmt: skip
    job = await import_and_run(api, region_a, csv_bytes(*lines))
    assert job["status"] == "SUCCEEDED", job
    r = await api.as_role(region_a, ADMIN, EMPLOYEE_IDS, {"nip": newcomer})
    (edge,) = r.data["employees"]["edges"]
    new_id = edge["node"]["id"]
    assert await _history(api, region_a, e["staff1"].id) == [
        stretch(u["a"], chief, "staff1", None, yesterday),
        stretch(u["a"], chief, "Analis", today, None),
    ]
    assert await _history(api, region_a, staff2.id) == []
    assert await _history(api, region_a, new_id) == [
        stretch(u["b"], e["other"], "Arsiparis", today, None)
    ]
    # the same file again writes nothing
    job = await import_and_run(api, region_a, csv_bytes(*lines))
    assert job["status"] == "SUCCEEDED"
    async with tenant_transaction(region_a.id):
        assert await PositionRecord.filter(tenant_id=region_a.id).count() == 3
    # a second move the same day amends today's stretch; an open stretch from earlier closes
    async with tenant_transaction(region_a.id):
        await PositionRecord.filter(tenant_id=region_a.id, employee_id=int(new_id)).update(
            starts_on=today - timedelta(days=30)
        )
    lines[0] = row(e["staff1"].nip, "Staf Satu", "Dinas Uji/Bidang B", atasan=chief.nip,
                   jabatan="Analis")  # fmt: skip
    lines[2] = row(newcomer, "Pegawai Baru", "Dinas Uji/Bidang B", atasan=chief.nip,
                   jabatan="Arsiparis")  # fmt: skip
    job = await import_and_run(api, region_a, csv_bytes(*lines))
    assert job["status"] == "SUCCEEDED"
    assert await _history(api, region_a, e["staff1"].id) == [
        stretch(u["a"], chief, "staff1", None, yesterday),
        stretch(u["b"], chief, "Analis", today, None),
    ]
    assert await _history(api, region_a, new_id) == [
        stretch(u["b"], e["other"], "Arsiparis", today - timedelta(days=30), yesterday),
        stretch(u["b"], chief, "Arsiparis", today, None),
    ]
