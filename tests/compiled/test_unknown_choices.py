"""A descriptive enum column holding a value the code does not know (a row written around
the application, a member since removed): a unit's `kind`, an employee's `positionType`.
Read as null with one WARNING line per column and value per process — on the ordinary path
and, with the same answer, on the compiled one — instead of failing every read of the
region's units or employees; writing the unit again keeps the stored value unless a kind is
given."""

from __future__ import annotations

from kinerja_saas.db import fields
from tests.compiled.test_compiled import (
    ADMIN,
    EVERYTHING,
    ordinary,  # noqa: F401  (fixture)
    region,  # noqa: F401  (fixture)
    same,
)
from tests.ops.conftest import json_logs  # noqa: F401  (fixture)

UNITS = "{ units { id code kind } }"
RENAME = """mutation($id: ID!) { updateUnit(id: $id, input: {name: "Bidang A Baru"}) {
  unit { id name kind } errors { field code } } }"""
WARNING = "stored value is not a known choice; read as null"


async def test_an_unknown_kind_or_position_type_reads_as_null_on_both_paths(
    api,
    ordinary,  # noqa: F811
    region,  # noqa: F811
    owner_conn,
    json_logs,  # noqa: F811
):
    unit, staff = region.units["a"], region.employees["staff1"]
    await owner_conn.execute("UPDATE org_units SET kind = 'KOTAK_PASIR' WHERE id = $1", unit.id)
    await owner_conn.execute(
        "UPDATE employees SET position_type = 'HONORER' WHERE id = $1", staff.id
    )
    fields._announced.clear()

    # The page of employees, compiled and ordinary: the same answer, nulls where unknown.
    res = await same(api, ordinary, region, ADMIN, EVERYTHING, {"first": 100})
    assert not res.body.get("errors")
    nodes = {e["node"]["id"]: e["node"] for e in res.data["employees"]["edges"]}
    assert nodes[str(staff.id)]["positionType"] is None
    assert nodes[str(staff.id)]["unit"]["kind"] is None
    assert nodes[str(region.employees["other"].id)]["unit"]["kind"] == "BIDANG"
    assert nodes[str(region.employees["other"].id)]["positionType"] == "PELAKSANA"

    # The units (the ORM's read): the others are unharmed.
    token = region.token(ADMIN, api.settings)
    for _ in range(2):
        res = await api(UNITS, token=token)
        assert not res.body.get("errors"), res.body
        kinds = {u["code"]: u["kind"] for u in res.data["units"]}
        assert kinds == {"DINAS": "DINAS", "BID-A": None, "BID-B": "BIDANG"}

    # Announced once per column and value, however often it was read.
    lines = json_logs.where(event=WARNING)
    assert sorted((line["column"], line["value"]) for line in lines) == [
        ("employees.position_type", "HONORER"),
        ("org_units.kind", "KOTAK_PASIR"),
    ]
    assert all(line["level"] == "warning" for line in lines)

    # Renaming the unit keeps its stored kind (no NOT NULL violation, no silent rewrite).
    res = await api(RENAME, {"id": str(unit.id)}, token=token)
    assert res.data["updateUnit"] == {
        "unit": {"id": str(unit.id), "name": "Bidang A Baru", "kind": None},
        "errors": [],
    }, res.body
    stored = await owner_conn.fetchval("SELECT kind FROM org_units WHERE id = $1", unit.id)
    assert stored == "KOTAK_PASIR"
