"""Periods: opening a year with its checkpoints, the one-way status workflow, deadlines."""

from datetime import date, timedelta

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.performance.models import CheckpointKind, Period
from kinerja_saas.performance.periods import checkpoints_for
from tenants.context import tenant_transaction
from tests.conftest import update_region

ADMIN = Role.REGION_ADMIN
THIS_YEAR = date.today().year
OPEN = """mutation($input: OpenPeriodInput!) { openPeriod(input: $input) {
  period { id year status checkpointKind checkpoints { id number label startsOn endsOn deadline } }
  errors { field code message } } }"""
ADVANCE = """mutation($id: ID!, $s: PeriodStatus!) { advancePeriod(id: $id, status: $s) {
  period { status } errors { field code } } }"""
DEADLINE = """mutation($id: ID!, $d: Date!) { setCheckpointDeadline(id: $id, deadline: $d) {
  checkpoint { deadline } errors { field code } } }"""


def test_checkpoints_of_a_year_in_every_kind():
    quarters = checkpoints_for(2028, CheckpointKind.QUARTERLY, 10)
    assert [c.label for c in quarters] == [f"Triwulan {r} 2028" for r in ("I", "II", "III", "IV")]
    assert (quarters[0].starts_on, quarters[0].ends_on, quarters[0].deadline) == (
        date(2028, 1, 1),
        date(2028, 3, 31),
        date(2028, 4, 10),
    )
    months = checkpoints_for(2028, CheckpointKind.MONTHLY, 5)
    assert len(months) == 12 and months[1].label == "Februari 2028"
    assert months[1].ends_on == date(2028, 2, 29)  # leap year
    assert months[11].deadline == date(2029, 1, 5)
    halves = checkpoints_for(2027, CheckpointKind.SEMESTER, 0)
    assert [(c.label, c.ends_on) for c in halves] == [
        ("Semester I 2027", date(2027, 6, 30)),
        ("Semester II 2027", date(2027, 12, 31)),
    ]


async def test_opening_next_year_uses_the_regions_checkpoint_setting(api, region_a):
    await update_region(region_a.id, settings={"performance": {"checkpoint": "SEMESTER"}})
    res = await api.as_role(
        region_a, ADMIN, OPEN, {"input": {"year": THIS_YEAR + 1, "deadlineDays": 7}}
    )
    period = res.data["openPeriod"]["period"]
    assert (period["status"], period["checkpointKind"]) == ("PLANNING", "SEMESTER")
    assert [c["label"] for c in period["checkpoints"]] == [
        f"Semester I {THIS_YEAR + 1}",
        f"Semester II {THIS_YEAR + 1}",
    ]
    assert period["checkpoints"][0]["deadline"] == f"{THIS_YEAR + 1}-07-07"
    async with tenant_transaction(region_a.id):
        event = await OutboxEvent.filter(topic="performance.period_opened").order_by("-id").first()
    assert event.payload == {"period_id": int(period["id"]), "year": THIS_YEAR + 1}
    listed = await api.as_role(
        region_a, Role.EMPLOYEE, "{ periods { year checkpoints { number } } }"
    )
    assert [p["year"] for p in listed.data["periods"]] == [THIS_YEAR + 1, THIS_YEAR]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"year": THIS_YEAR}, "year", "DUPLICATE"),  # the fixture opened it
        ({"year": THIS_YEAR + 2}, "year", "OUT_OF_RANGE"),
        ({"year": THIS_YEAR - 2}, "year", "OUT_OF_RANGE"),
        ({"year": THIS_YEAR + 1, "deadlineDays": 61}, "deadlineDays", "OUT_OF_RANGE"),
        ({"year": THIS_YEAR + 1, "deadlineDays": -1}, "deadlineDays", "OUT_OF_RANGE"),
    ],
)
async def test_bad_period_input_is_refused_and_nothing_written(api, region_a, data, field, code):
    async with tenant_transaction(region_a.id):
        before = await Period.filter(tenant_id=region_a.id).count()
    res = await api.as_role(region_a, ADMIN, OPEN, {"input": data})
    assert [(e["field"], e["code"]) for e in res.data["openPeriod"]["errors"]] == [(field, code)]
    async with tenant_transaction(region_a.id):
        assert await Period.filter(tenant_id=region_a.id).count() == before


async def test_the_status_moves_one_step_forward_only_and_closed_is_final(api, region_a):
    period_id = str(region_a.period.id)
    for skip in ("EVALUATING", "CLOSED", "PLANNING"):
        res = await api.as_role(region_a, ADMIN, ADVANCE, {"id": period_id, "s": skip})
        assert [e["code"] for e in res.data["advancePeriod"]["errors"]] == ["INVALID_TRANSITION"]
    for step in ("ACTIVE", "EVALUATING", "CLOSED"):
        res = await api.as_role(region_a, ADMIN, ADVANCE, {"id": period_id, "s": step})
        assert res.data["advancePeriod"] == {"period": {"status": step}, "errors": []}
    res = await api.as_role(region_a, ADMIN, ADVANCE, {"id": period_id, "s": "ACTIVE"})
    assert [e["code"] for e in res.data["advancePeriod"]["errors"]] == ["INVALID_TRANSITION"]


async def test_checkpoint_deadlines_move_within_bounds(api, region_a):
    res = await api.as_role(region_a, ADMIN, "{ periods { checkpoints { id startsOn endsOn } } }")
    first = res.data["periods"][0]["checkpoints"][0]
    later = date.fromisoformat(first["endsOn"]) + timedelta(days=20)
    ok = await api.as_role(region_a, ADMIN, DEADLINE, {"id": first["id"], "d": later.isoformat()})
    assert ok.data["setCheckpointDeadline"] == {
        "checkpoint": {"deadline": later.isoformat()},
        "errors": [],
    }
    early = await api.as_role(
        region_a, ADMIN, DEADLINE, {"id": first["id"], "d": f"{THIS_YEAR - 1}-12-31"}
    )
    assert [e["code"] for e in early.data["setCheckpointDeadline"]["errors"]] == ["BEFORE_START"]
    late = await api.as_role(
        region_a, ADMIN, DEADLINE, {"id": first["id"], "d": f"{THIS_YEAR + 1}-12-31"}
    )
    assert [e["code"] for e in late.data["setCheckpointDeadline"]["errors"]] == ["TOO_LATE"]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER])
async def test_only_the_region_admin_manages_periods(api, region_a, role):
    res = await api.as_role(region_a, role, OPEN, {"input": {"year": THIS_YEAR + 1}})
    assert res.codes == ["FORBIDDEN"]
    res = await api.as_role(region_a, role, ADVANCE, {"id": str(region_a.period.id), "s": "ACTIVE"})
    assert res.codes == ["FORBIDDEN"]


async def test_periods_of_another_region_are_out_of_reach(api, region_a, region_b):
    res = await api.as_role(
        region_a, ADMIN, ADVANCE, {"id": str(region_b.period.id), "s": "ACTIVE"}
    )
    assert [e["code"] for e in res.data["advancePeriod"]["errors"]] == ["NOT_FOUND"]
    listed = await api.as_role(region_a, ADMIN, "{ periods { id } }")
    assert [p["id"] for p in listed.data["periods"]] == [str(region_a.period.id)]
    async with tenant_transaction(region_b.id):
        assert (await Period.get(id=region_b.period.id)).status == "PLANNING"
