"""Training follows the calendar, through the API (issue #18): attendance (and the JP with
it) only from a batch's first day, completion only from its last, with typed errors in
Indonesian and nothing written; a no-show or a cancellation frees the seat for the first on
the waiting list while the batch has not started, and the waiting list closes up."""

from __future__ import annotations

from datetime import date, timedelta

from kinerja_saas.auth.roles import Role
from kinerja_saas.indonesian import long_date
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.training.assignment import assign_for_period
from kinerja_saas.training.models import TrainingAssignment, TrainingBatch
from tenants.context import tenant_transaction
from tests.training.helpers import batches_held, build_catalogue, finalised_reports

OFFICER, ADMIN = Role.TRAINING_OFFICER, Role.REGION_ADMIN
ATTEND = """mutation($ids: [ID!]!) { recordTrainingAttendance(assignmentIds: $ids) {
  assignments { status } errors { field code message } } }"""
COMPLETE = """mutation($a: ID!) { completeTraining(assignmentId: $a, score: 90) {
  assignment { status } errors { field code message } } }"""
NO_SHOW = """mutation($a: ID!) { markTrainingNoShow(assignmentId: $a) {
  assignment { status } errors { field code message } } }"""
CANCEL = """mutation($a: ID!) { cancelTrainingAssignment(assignmentId: $a, reason: "Mutasi") {
  assignment { status } errors { field code message } } }"""
LEDGER = """query($y: Int!) { jpLedger(year: $y, first: 100) {
  edges { node { employeeId completedJp } } } }"""


async def _placed(region, *, capacity: int, people: int):
    cat = await build_catalogue(region, capacity=capacity)
    await finalised_reports(region, count=people)
    async with tenant_transaction(region.id):
        await assign_for_period(period_id=region.period.id)
    return cat


async def _assignments(region) -> list[TrainingAssignment]:
    async with tenant_transaction(region.id):
        return await TrainingAssignment.filter(tenant_id=region.id).order_by("id")


async def _batch(region, batch_id: int) -> TrainingBatch:
    async with tenant_transaction(region.id):
        return await TrainingBatch.get(tenant_id=region.id, id=batch_id)


async def _jp(api, region, employee_id: int) -> int:
    r = await api.as_role(region, ADMIN, LEDGER, {"y": date.today().year})
    lines = {e["node"]["employeeId"]: e["node"] for e in r.data["jpLedger"]["edges"]}
    return lines[str(employee_id)]["completedJp"]


async def test_attendance_waits_for_the_start_and_completion_for_the_end(api, region_a):
    """The issue's walk: a batch starting in the future was completed and its JP counted."""
    cat = await _placed(region_a, capacity=5, people=1)
    (seat,) = await _assignments(region_a)
    batch = await _batch(region_a, seat.batch_id)
    # before the start: neither attendance nor completion
    r = await api.as_role(region_a, OFFICER, ATTEND, {"ids": [str(seat.id)]})
    assert r.data["recordTrainingAttendance"]["assignments"] == []
    (error,) = r.data["recordTrainingAttendance"]["errors"]
    assert (error["field"], error["code"]) == ("assignmentIds", "BATCH_NOT_STARTED")
    assert error["message"] == (
        f"Angkatan 1 baru dimulai {long_date(batch.starts_on)}; kehadiran belum dapat dicatat "
        "sebelum angkatan dimulai."
    )
    r = await api.as_role(region_a, OFFICER, COMPLETE, {"a": str(seat.id)})
    (error,) = r.data["completeTraining"]["errors"]
    assert (error["field"], error["code"]) == ("assignmentId", "BATCH_NOT_ENDED")
    assert error["message"] == (
        f"Angkatan 1 berakhir {long_date(batch.ends_on)}; pelatihan belum dapat dinyatakan "
        "selesai sebelum tanggal berakhirnya."
    )
    assert [a.status.value for a in await _assignments(region_a)] == ["ASSIGNED"]
    assert await _jp(api, region_a, seat.employee_id) == 0
    # under way (started yesterday, ends tomorrow): attendance yes, completion not yet
    async with tenant_transaction(region_a.id):
        await TrainingBatch.filter(tenant_id=region_a.id, id=batch.id).update(
            starts_on=date.today() - timedelta(days=1), ends_on=date.today() + timedelta(days=1)
        )
    r = await api.as_role(region_a, OFFICER, ATTEND, {"ids": [str(seat.id)]})
    assert r.data["recordTrainingAttendance"]["assignments"] == [{"status": "ATTENDED"}]
    r = await api.as_role(region_a, OFFICER, COMPLETE, {"a": str(seat.id)})
    assert [e["code"] for e in r.data["completeTraining"]["errors"]] == ["BATCH_NOT_ENDED"]
    assert await _jp(api, region_a, seat.employee_id) == 0
    # on its last day it can be completed, and the JP count
    async with tenant_transaction(region_a.id):
        await TrainingBatch.filter(tenant_id=region_a.id, id=batch.id).update(ends_on=date.today())
    r = await api.as_role(region_a, OFFICER, COMPLETE, {"a": str(seat.id)})
    assert r.data["completeTraining"] == {"assignment": {"status": "COMPLETED"}, "errors": []}
    assert await _jp(api, region_a, seat.employee_id) == 12
    assert cat.waktu == seat.programme_id


async def test_an_early_no_show_frees_the_seat_for_the_first_waiting(api, region_a):
    """The issue's walk: a no-show marked before the batch did not free the seat. Also when
    the unit has confirmed the batch already; the waiting list closes up behind."""
    await _placed(region_a, capacity=1, people=4)
    rows = await _assignments(region_a)
    (seated,) = [r for r in rows if r.batch_id]
    waiting = sorted((r for r in rows if r.batch_id is None), key=lambda r: r.waiting_position)
    assert [r.waiting_position for r in waiting] == [1, 2, 3]
    r = await api.as_role(
        region_a,
        OFFICER,
        "mutation($b: ID!) { confirmTrainingBatch(batchId: $b) { errors { code } } }",
        {"b": str(seated.batch_id)},
    )
    assert r.data["confirmTrainingBatch"]["errors"] == []
    r = await api.as_role(region_a, OFFICER, NO_SHOW, {"a": str(seated.id)})
    assert r.data["markTrainingNoShow"] == {"assignment": {"status": "NO_SHOW"}, "errors": []}
    after = {r.id: r for r in await _assignments(region_a)}
    promoted = after[waiting[0].id]
    assert (promoted.status.value, promoted.batch_id, promoted.waiting_position) == (
        "ASSIGNED",
        seated.batch_id,
        None,
    )
    assert [after[w.id].waiting_position for w in waiting[1:]] == [1, 2]
    async with tenant_transaction(region_a.id):
        told = (
            await OutboxEvent.filter(tenant_id=region_a.id, topic="training.assigned")
            .order_by("-id")
            .first()
        )
    assert told.payload["assignment_id"] == promoted.id
    # a cancelled place on the waiting list closes up too
    r = await api.as_role(region_a, OFFICER, CANCEL, {"a": str(waiting[1].id)})
    assert r.data["cancelTrainingAssignment"]["errors"] == []
    after = {r.id: r for r in await _assignments(region_a)}
    assert after[waiting[2].id].waiting_position == 1


async def test_a_no_show_once_the_batch_started_promotes_nobody(api, region_a):
    await _placed(region_a, capacity=1, people=2)
    rows = await _assignments(region_a)
    (seated,) = [r for r in rows if r.batch_id]
    (waiting,) = [r for r in rows if r.batch_id is None]
    await batches_held(region_a, [seated.batch_id], days_ago=0)  # its last day is today
    r = await api.as_role(region_a, OFFICER, NO_SHOW, {"a": str(seated.id)})
    assert r.data["markTrainingNoShow"]["errors"] == []
    after = {r.id: r for r in await _assignments(region_a)}
    assert (after[waiting.id].status.value, after[waiting.id].waiting_position) == ("WAITING", 1)
