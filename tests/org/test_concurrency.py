"""Concurrent changes to the unit tree and the supervision chain cannot build a cycle."""

import asyncio

from kinerja_saas.auth.roles import Role
from kinerja_saas.org.models import Employee, Unit
from tenants.context import tenant_transaction

ADMIN = Role.REGION_ADMIN
MOVE = """mutation($id: ID!, $parent: ID) { updateUnit(id: $id, input: {parentId: $parent}) {
  errors { code } } }"""
SUPERVISE = """mutation($id: ID!, $sup: ID) { updateEmployee(id: $id, input: {supervisorId: $sup}) {
  errors { code } } }"""


async def test_two_opposite_unit_moves_at_once_leave_a_tree(api, region_a):
    a, b = region_a.units["a"], region_a.units["b"]
    results = await asyncio.gather(
        api.as_role(region_a, ADMIN, MOVE, {"id": str(a.id), "parent": str(b.id)}),
        api.as_role(region_a, ADMIN, MOVE, {"id": str(b.id), "parent": str(a.id)}),
    )
    outcomes = sorted(tuple(e["code"] for e in r.data["updateUnit"]["errors"]) for r in results)
    assert outcomes == [(), ("CYCLE",)]
    async with tenant_transaction(region_a.id):
        units = {u.id: u for u in await Unit.filter(tenant_id=region_a.id)}
    for unit in units.values():  # every path is its parent's path plus its own id
        parent_path = units[unit.parent_id].path if unit.parent_id else "/"
        assert unit.path == f"{parent_path}{unit.id}/"
        assert unit.depth == unit.path.count("/") - 2


async def test_two_opposite_supervisor_changes_at_once_leave_a_chain(api, region_a):
    s1, s2 = region_a.employees["staff1"], region_a.employees["staff2"]
    results = await asyncio.gather(
        api.as_role(region_a, ADMIN, SUPERVISE, {"id": str(s1.id), "sup": str(s2.id)}),
        api.as_role(region_a, ADMIN, SUPERVISE, {"id": str(s2.id), "sup": str(s1.id)}),
    )
    outcomes = sorted(tuple(e["code"] for e in r.data["updateEmployee"]["errors"]) for r in results)
    assert outcomes == [(), ("CYCLE",)]
    async with tenant_transaction(region_a.id):
        bosses = dict(
            await Employee.filter(id__in=[s1.id, s2.id]).values_list("id", "supervisor_id")
        )
    assert not (bosses[s1.id] == s2.id and bosses[s2.id] == s1.id)


async def test_moving_a_unit_carries_its_whole_subtree(api, region_a):
    a, b = region_a.units["a"], region_a.units["b"]
    made = await api.as_role(
        region_a,
        ADMIN,
        """mutation($p: ID!) { createUnit(input: {name: "Seksi",
        code: "SEK", kind: SUBBIDANG, parentId: $p}) { unit { id } } }""",
        {"p": str(a.id)},
    )
    seksi = int(made.data["createUnit"]["unit"]["id"])
    await api.as_role(region_a, ADMIN, MOVE, {"id": str(a.id), "parent": str(b.id)})
    async with tenant_transaction(region_a.id):
        moved = await Unit.get(id=seksi)
    dinas = region_a.units["dinas"].id
    assert (moved.path, moved.depth) == (f"/{dinas}/{b.id}/{a.id}/{seksi}/", 3)
