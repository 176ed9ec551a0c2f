import pytest

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.roles import Role
from kinerja_saas.org.models import Unit
from tenants.context import tenant_transaction

ADMIN = Role.REGION_ADMIN

CREATE = """mutation($input: CreateUnitInput!) { createUnit(input: $input) {
  unit { id code name kind depth parentId parent { name } } errors { field code message } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateUnitInput!) { updateUnit(id: $id, input: $input) {
  unit { id name code depth parentId } errors { field code message } } }"""
DEACTIVATE = """mutation($id: ID!) { deactivateUnit(id: $id) {
  unit { id isActive } errors { field code } } }"""


async def _paths(region) -> dict[int, tuple[str, int]]:
    async with tenant_transaction(region.id):
        return {u.id: (u.path, u.depth) for u in await Unit.filter(tenant_id=region.id)}


async def test_admin_creates_a_sub_unit(api, region_a):
    parent = region_a.units["a"]
    res = await api.as_role(
        region_a,
        ADMIN,
        CREATE,
        {
            "input": {
                "name": "Seksi Data",
                "code": "SEK-DATA",
                "kind": "BIDANG",
                "parentId": str(parent.id),
            }
        },
    )
    payload = res.data["createUnit"]
    assert payload["errors"] == []
    unit = payload["unit"]
    assert (unit["depth"], unit["parentId"], unit["parent"]["name"]) == (
        2,
        str(parent.id),
        "Bidang A",
    )
    path, _ = (await _paths(region_a))[int(unit["id"])]
    assert path == f"{parent.path}{unit['id']}/"
    async with tenant_transaction(region_a.id):
        entry = await AuditEntry.get(entity="unit", entity_id=int(unit["id"]), action="unit.create")
    assert entry.after["code"] == "SEK-DATA"
    assert entry.actor == f"user:{region_a.accounts[ADMIN].email}"


async def test_moving_a_unit_moves_its_subtree_in_one_go(api, region_a):
    dinas, a, b = region_a.units["dinas"], region_a.units["a"], region_a.units["b"]
    res = await api.as_role(
        region_a, ADMIN, UPDATE, {"id": str(a.id), "input": {"parentId": str(b.id)}}
    )
    assert res.data["updateUnit"]["errors"] == []
    paths = await _paths(region_a)
    assert paths[a.id] == (f"/{dinas.id}/{b.id}/{a.id}/", 2)
    # Make it a root again.
    res = await api.as_role(region_a, ADMIN, UPDATE, {"id": str(a.id), "input": {"parentId": None}})
    assert res.data["updateUnit"]["unit"]["parentId"] is None
    assert (await _paths(region_a))[a.id] == (f"/{a.id}/", 0)


async def test_moving_a_unit_under_its_own_subtree_is_refused(api, region_a):
    dinas, a = region_a.units["dinas"], region_a.units["a"]
    before = await _paths(region_a)
    res = await api.as_role(
        region_a, ADMIN, UPDATE, {"id": str(dinas.id), "input": {"parentId": str(a.id)}}
    )
    assert [(e["field"], e["code"]) for e in res.data["updateUnit"]["errors"]] == [
        ("parentId", "CYCLE")
    ]
    res = await api.as_role(
        region_a, ADMIN, UPDATE, {"id": str(a.id), "input": {"parentId": str(a.id)}}
    )
    assert [e["code"] for e in res.data["updateUnit"]["errors"]] == ["CYCLE"]
    assert await _paths(region_a) == before


async def test_bad_unit_input_names_every_field_and_writes_nothing(api, region_a):
    async with tenant_transaction(region_a.id):
        units_before = await Unit.filter(tenant_id=region_a.id).count()
        audit_before = await AuditEntry.filter(tenant_id=region_a.id).count()
    res = await api.as_role(
        region_a,
        ADMIN,
        CREATE,
        {"input": {"name": " ", "code": "DINAS", "kind": "DINAS", "parentId": "999999999"}},
    )
    errors = {(e["field"], e["code"]) for e in res.data["createUnit"]["errors"]}
    assert errors == {("name", "REQUIRED"), ("code", "DUPLICATE"), ("parentId", "NOT_FOUND")}
    res = await api.as_role(
        region_a,
        ADMIN,
        CREATE,
        {"input": {"name": "X", "code": "X", "kind": "DINAS", "parentId": "abc"}},
    )
    assert [(e["field"], e["code"]) for e in res.data["createUnit"]["errors"]] == [
        ("parentId", "INVALID_ID")
    ]
    res = await api.as_role(
        region_a, ADMIN, CREATE, {"input": {"name": "X", "code": "X", "kind": "PLANET"}}
    )
    assert res.body["data"] is None and "PLANET" in res.errors[0]["message"]
    async with tenant_transaction(region_a.id):
        assert await Unit.filter(tenant_id=region_a.id).count() == units_before
        assert await AuditEntry.filter(tenant_id=region_a.id).count() == audit_before


async def test_deactivating_a_unit_in_use_is_refused(api, region_a):
    res = await api.as_role(region_a, ADMIN, DEACTIVATE, {"id": str(region_a.units["dinas"].id)})
    codes = {e["code"] for e in res.data["deactivateUnit"]["errors"]}
    assert codes == {"HAS_ACTIVE_SUBUNITS", "HAS_ACTIVE_EMPLOYEES"}
    empty = await api.as_role(
        region_a, ADMIN, CREATE, {"input": {"name": "Kosong", "code": "KOSONG", "kind": "UPT"}}
    )
    unit_id = empty.data["createUnit"]["unit"]["id"]
    res = await api.as_role(region_a, ADMIN, DEACTIVATE, {"id": unit_id})
    assert res.data["deactivateUnit"] == {"unit": {"id": unit_id, "isActive": False}, "errors": []}
    units = await api.as_role(region_a, Role.EMPLOYEE, "{ units { id } }")
    assert unit_id not in {u["id"] for u in units.data["units"]}


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER])
async def test_only_the_region_admin_changes_units(api, region_a, role):
    res = await api.as_role(
        region_a, role, CREATE, {"input": {"name": "X", "code": "X1", "kind": "UPT"}}
    )
    assert res.codes == ["FORBIDDEN"] and res.body["data"] is None
    res = await api.as_role(
        region_a, role, UPDATE, {"id": str(region_a.units["a"].id), "input": {"name": "Y"}}
    )
    assert res.codes == ["FORBIDDEN"]
    async with tenant_transaction(region_a.id):
        assert not await Unit.filter(tenant_id=region_a.id, code="X1").exists()


async def test_unit_tree_query(api, region_a):
    res = await api.as_role(
        region_a,
        Role.EMPLOYEE,
        "{ units(rootsOnly: true) { name children { name children { name } } } }",
    )
    assert res.data["units"] == [
        {
            "name": "Dinas Uji",
            "children": [
                {"name": "Bidang A", "children": []},
                {"name": "Bidang B", "children": []},
            ],
        }
    ]
