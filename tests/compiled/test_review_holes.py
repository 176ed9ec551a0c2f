"""Holes found by the review of the compiled plan path (issue 19): documents and stored rows
chosen to make the compiled answer differ from the ordinary executor's."""

from __future__ import annotations

import json

import asyncpg
import pytest

from tests.compiled.test_compiled import (
    ADMIN,
    compiled_ran,
    ordinary,  # noqa: F401  (fixture)
    planned,  # noqa: F401  (fixture)
    region,  # noqa: F401  (fixture)
)

CONTENT = """query($id: ID!) { plan(id: $id) { id status results { id kind
  indicators { id aspect source direction } } } }"""


async def test_an_unknown_stored_value_of_a_plans_enum_column_is_never_sent(
    api,
    ordinary,  # noqa: F811
    region,  # noqa: F811
    planned,  # noqa: F811
    owner_conn,
):
    """plan_results.kind and indicators.aspect: PostgreSQL refuses a value written around the
    application (their CHECKs, migration 0038). One can still be stored where a constraint
    was dropped and added again NOT VALID (a migration removing a member that left old
    rows): it fails the ordinary read (the ORM's strict enum); the compiled statement must
    not send it as if it were a member of the schema's enum."""
    plan_id = planned["staff1"]
    variables = {"id": str(plan_id)}
    token = region.token(ADMIN, api.settings)
    for table, column in (
        ("plan_results", "kind"),
        ("indicators", "aspect"),
    ):
        before = await owner_conn.fetch(
            f"SELECT id, {column} FROM {table} WHERE plan_id = $1", plan_id
        )
        name = f"{table}_{column}_known"
        check = await owner_conn.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = $1::regclass AND conname = $2",
            table,
            name,
        )
        bogus = f"UPDATE {table} SET {column} = 'BOGUS' WHERE id = $1"
        with pytest.raises(asyncpg.CheckViolationError):
            await owner_conn.execute(bogus, before[0]["id"])
        async with owner_conn.transaction():
            await owner_conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            await owner_conn.execute(bogus, before[0]["id"])
            await owner_conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {check} NOT VALID")
        try:
            fast = await api(CONTENT, variables, token=token)
            slow = await ordinary(CONTENT, variables, token=token)
            assert not compiled_ran(slow)
            assert "BOGUS" not in json.dumps(slow.body)
            assert "BOGUS" not in json.dumps(fast.body), (table, column, fast.body)
            assert fast.status == slow.status
            # Both: no data, one masked error (at the plan: the compiled statement failed;
            # at its results on the ordinary path, which null the non-null plan).
            assert fast.body["data"] is None and slow.body["data"] is None, (fast.body, slow.body)
            assert [e["message"] for e in fast.body["errors"]] == [
                e["message"] for e in slow.body["errors"]
            ]
            assert fast.body["errors"][0]["path"][0] == "plan"
        finally:
            async with owner_conn.transaction():
                await owner_conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
                for row in before:
                    await owner_conn.execute(
                        f"UPDATE {table} SET {column} = $2 WHERE id = $1", row["id"], row[column]
                    )
                await owner_conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {check}")


DEEP = """query($id: ID!) { plan(id: $id) { id
  employee { id email phone supervisor { id email phone supervisor { id email phone } }
    unit { id kind parent { id children { id name } } } }
  evaluator { id email supervisor { id email phone supervisor { id email } } }
  unit { id kind children { id } parent { id kind } }
  results { id indicators { id } } } }"""


async def test_people_and_units_reached_deep_through_a_plan_for_every_viewer(
    api,
    ordinary,  # noqa: F811
    region,  # noqa: F811
    planned,  # noqa: F811
):
    """Contacts two and three hops from a plan (the supervisors of its employee and of its
    evaluator), units and their sub-units: the compiled answer is the ordinary one for
    every viewer and plan, compiled only where the viewer may see the plan."""
    from tests.compiled.test_compiled import PLAN_VIEWERS, ROLES, same

    for role in ROLES:
        for owner, viewers in PLAN_VIEWERS.items():
            variables = {"id": str(planned[owner])}
            res = await same(api, ordinary, region, role, DEEP, variables, compiled=role in viewers)
            if role in viewers:
                assert res.data["plan"]["employee"]["email"] is None
                assert res.data["plan"]["evaluator"]["email"] is None
