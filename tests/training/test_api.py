"""The training API: the region admin's catalogue, assigning and enrolling, the training
officer's side, the people's views, the JP ledger; bad input writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from kinerja_saas.auth.roles import Role
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.training.assignment import assign_for_period
from kinerja_saas.training.models import (
    TrainingAssignment,
    TrainingBatch,
    TrainingProgramme,
    TrainingRule,
)
from tenants.context import tenant_transaction
from tests.performance.test_acting_officials import APPOINT, _appointment
from tests.performance.walks import login, today_of
from tests.training.helpers import SOON, batches_held, build_catalogue, finalised_reports

ADMIN, SUP, EMP, OFFICER = (
    Role.REGION_ADMIN,
    Role.SUPERVISOR,
    Role.EMPLOYEE,
    Role.TRAINING_OFFICER,
)

NODE = """id status reason reasonValue waitingPosition score certificateRef
    employee { id nip name email unitName } programme { id title jpHours trainingUnitId }
    batch { id name startsOn }"""


async def _count(region, model) -> int:
    async with tenant_transaction(region.id):
        return await model.filter(tenant_id=region.id).count()


SAVE_PROGRAMME = """mutation($input: TrainingProgrammeInput!) { saveTrainingProgramme(input: $input) {
    programme { id title jpHours capacity competencyIds mode } errors { field code message } } }"""


async def test_admin_builds_the_catalogue(api, region_a):
    r = await api.as_role(
        region_a,
        ADMIN,
        'mutation { saveTrainingUnit(name: "BPSDM Sumsel", email: "Diklat@BPSDM.go.id") {'
        " trainingUnit { id name email } errors { code } } }",
    )
    unit = r.data["saveTrainingUnit"]["trainingUnit"]
    assert unit["email"] == "diklat@bpsdm.go.id"
    comps = (await api.as_role(region_a, ADMIN, "{ competencies { id code } }")).data
    waktu = next(c["id"] for c in comps["competencies"] if c["code"] == "MJ-WAKTU")
    r = await api.as_role(
        region_a,
        ADMIN,
        SAVE_PROGRAMME,
        {
            "input": {
                "trainingUnitId": unit["id"],
                "title": "Manajemen Waktu Efektif",
                "mode": "DARING",
                "jpHours": 8,
                "capacity": 30,
                "competencyIds": [waktu],
            }
        },
    )
    programme = r.data["saveTrainingProgramme"]["programme"]
    assert programme["competencyIds"] == [waktu] and programme["mode"] == "DARING"
    r = await api.as_role(
        region_a,
        ADMIN,
        "mutation($p: ID!, $s: Date!, $e: Date!) { createTrainingBatch(programmeId: $p,"
        ' name: "Angkatan I", startsOn: $s, endsOn: $e) { batch { capacity } errors { code } } }',
        {"p": programme["id"], "s": SOON.isoformat(), "e": (SOON + timedelta(1)).isoformat()},
    )
    assert r.data["createTrainingBatch"]["batch"]["capacity"] == 30
    r = await api.as_role(
        region_a,
        ADMIN,
        "mutation($c: ID!, $p: ID) { saveTrainingRule(input: {trigger: WEAK_RESULT,"
        ' triggerValue: "biaya", competencyId: $c, programmeId: $p, priority: 5}) {'
        " rule { triggerValue priority } errors { code } } }",
        {"c": waktu, "p": programme["id"]},
    )
    assert r.data["saveTrainingRule"]["rule"] == {"triggerValue": "BIAYA", "priority": 5}
    # trainingRules returns the programme a rule names (issue #18), not only its id
    r = await api.as_role(
        region_a, EMP, "{ trainingRules { triggerValue programmeId programme { id title } } }"
    )
    (rule,) = [x for x in r.data["trainingRules"] if x["triggerValue"] == "BIAYA"]
    assert rule == {
        "triggerValue": "BIAYA",
        "programmeId": programme["id"],
        "programme": {"id": programme["id"], "title": "Manajemen Waktu Efektif"},
    }
    assert all(x["programme"] is None for x in r.data["trainingRules"] if not x["programmeId"])
    # others may read the catalogue but not change it
    r = await api.as_role(
        region_a,
        EMP,
        'mutation { saveTrainingUnit(name: "X", email: "x@y.id") { errors { code } } }',
    )
    assert r.codes == ["FORBIDDEN"]
    r = await api.as_role(region_a, EMP, "{ trainingProgrammes(openOnly: false) { title } }")
    assert r.data["trainingProgrammes"] == [{"title": "Manajemen Waktu Efektif"}]


async def test_bad_catalogue_input_writes_nothing(api, region_a):
    cat = await build_catalogue(region_a)
    programmes, batches, rules = (
        await _count(region_a, TrainingProgramme),
        await _count(region_a, TrainingBatch),
        await _count(region_a, TrainingRule),
    )
    base = {
        "trainingUnitId": str(cat.unit_id),
        "title": "Baru",
        "mode": "KLASIKAL",
        "jpHours": 10,
        "capacity": 10,
        "competencyIds": [str(cat.competencies["TK-TIK"])],
    }
    for change, field, code in (
        ({"competencyIds": []}, "competencyIds", "REQUIRED"),
        ({"capacity": 0}, "capacity", "OUT_OF_RANGE"),
        ({"jpHours": 0}, "jpHours", "OUT_OF_RANGE"),
        ({"competencyIds": ["999999999"]}, "competencyIds", "NOT_FOUND"),
        ({"title": "Manajemen Waktu"}, "title", "DUPLICATE"),
    ):
        r = await api.as_role(region_a, ADMIN, SAVE_PROGRAMME, {"input": {**base, **change}})
        errors = r.data["saveTrainingProgramme"]["errors"]
        assert (errors[0]["field"], errors[0]["code"]) == (field, code), change
    r = await api.as_role(
        region_a,
        ADMIN,
        "mutation($p: ID!, $s: Date!, $e: Date!) { createTrainingBatch(programmeId: $p,"
        ' name: "Terbalik", startsOn: $s, endsOn: $e) { batch { id } errors { field code } } }',
        {"p": str(cat.waktu), "s": SOON.isoformat(), "e": (SOON - timedelta(1)).isoformat()},
    )
    assert r.data["createTrainingBatch"]["errors"] == [
        {"field": "endsOn", "code": "DATES_REVERSED"}
    ]
    # a rule pointing at a deactivated ("deleted") programme, or an unknown competency
    r = await api.as_role(
        region_a, ADMIN, SAVE_PROGRAMME, {"input": {**base, "title": "Lama", "isActive": False}}
    )
    old = r.data["saveTrainingProgramme"]["programme"]["id"]
    programmes += 1
    rule = "mutation($c: ID!, $p: ID) { saveTrainingRule(input: {trigger: PREDIKAT,"
    rule += (
        ' triggerValue: "KURANG", competencyId: $c, programmeId: $p}) { errors { field code } } }'
    )
    r = await api.as_role(region_a, ADMIN, rule, {"c": str(cat.competencies["TK-TIK"]), "p": old})
    assert r.data["saveTrainingRule"]["errors"] == [{"field": "programmeId", "code": "NOT_FOUND"}]
    r = await api.as_role(region_a, ADMIN, rule, {"c": "888888888", "p": None})
    assert r.data["saveTrainingRule"]["errors"] == [{"field": "competencyId", "code": "NOT_FOUND"}]
    bad_value = rule.replace('"KURANG"', '"LUAR_BIASA"')
    r = await api.as_role(region_a, ADMIN, bad_value, {"c": str(cat.competencies["TK-TIK"])})
    assert r.data["saveTrainingRule"]["errors"][0]["code"] == "INVALID"
    assert (
        await _count(region_a, TrainingProgramme),
        await _count(region_a, TrainingBatch),
        await _count(region_a, TrainingRule),
    ) == (programmes, batches, rules)


ASSIGN = """mutation($e: ID!, $p: ID!, $period: ID!) { assignTraining(employeeId: $e,
    programmeId: $p, periodId: $period) { assignment { NODE } waitingList message
    errors { field code message } } }""".replace("NODE", NODE)
ENROL = """mutation($p: ID!, $period: ID!) { enrolInTraining(programmeId: $p, periodId: $period) {
    assignment { id status waitingPosition } waitingList message errors { field code } } }"""


async def test_manual_assignment_by_supervisor_and_admin(api, region_a, region_b):
    cat = await build_catalogue(region_a, capacity=1)
    period = str(region_a.period.id)
    staff2 = str(region_a.employees["staff2"].id)
    r = await api.as_role(
        region_a, SUP, ASSIGN, {"e": staff2, "p": str(cat.waktu), "period": period}
    )
    payload = r.data["assignTraining"]
    assert payload["waitingList"] is False
    assert payload["assignment"]["batch"]["name"] == "Angkatan 1"
    assert payload["assignment"]["reason"] == "MANUAL"
    # the batch is now full: the next goes to the waiting list, and is told so
    r = await api.as_role(
        region_a,
        ADMIN,
        ASSIGN,
        {"e": str(region_a.employees["other"].id), "p": str(cat.waktu), "period": period},
    )
    payload = r.data["assignTraining"]
    assert payload["waitingList"] is True and payload["assignment"]["waitingPosition"] == 1
    assert payload["message"] == "Semua angkatan penuh: masuk daftar tunggu pada urutan ke-1."
    # twice the same: refused; not their report: forbidden; another region's: not found
    r = await api.as_role(
        region_a, SUP, ASSIGN, {"e": staff2, "p": str(cat.waktu), "period": period}
    )
    assert r.data["assignTraining"]["errors"][0]["code"] == "ALREADY_ASSIGNED"
    before = await _count(region_a, TrainingAssignment)
    r = await api.as_role(
        region_a,
        SUP,
        ASSIGN,
        {"e": str(region_a.employees["other"].id), "p": str(cat.masalah), "period": period},
    )
    assert r.codes == ["FORBIDDEN"]
    r = await api.as_role(
        region_a,
        ADMIN,
        ASSIGN,
        {"e": str(region_b.employees["staff1"].id), "p": str(cat.masalah), "period": period},
    )
    assert r.data["assignTraining"]["errors"][0] == {
        "field": "employeeId",
        "code": "NOT_FOUND",
        "message": "Pegawai tidak ditemukan.",
    }
    assert await _count(region_a, TrainingAssignment) == before
    assert await _count(region_b, TrainingAssignment) == 0


async def test_self_enrolment_full_batch_goes_to_the_waiting_list(api, region_a):
    cat = await build_catalogue(region_a, capacity=1)
    period = str(region_a.period.id)
    r = await api.as_role(region_a, SUP, ENROL, {"p": str(cat.waktu), "period": period})
    assert r.data["enrolInTraining"]["assignment"]["status"] == "ASSIGNED"
    r = await api.as_role(region_a, EMP, ENROL, {"p": str(cat.waktu), "period": period})
    payload = r.data["enrolInTraining"]
    assert payload["waitingList"] is True
    assert payload["assignment"] == {
        "id": payload["assignment"]["id"],
        "status": "WAITING",
        "waitingPosition": 1,
    }
    assert payload["message"].startswith("Semua angkatan penuh")
    mine = await api.as_role(region_a, EMP, "{ myTrainings { edges { node { status reason } } } }")
    assert [e["node"] for e in mine.data["myTrainings"]["edges"]] == [
        {"status": "WAITING", "reason": "SELF_ENROLMENT"}
    ]


async def _auto(region) -> None:
    async with tenant_transaction(region.id):
        await assign_for_period(period_id=region.period.id)


LIST = "query($f: TrainingAssignmentFilter) { trainingAssignments(filter: $f, first: 50) {"
LIST += " edges { node { " + NODE + " } } pageInfo { hasNextPage } } }"


async def test_officer_sees_and_acts_only_on_their_units_assignments(api, region_a):
    cat = await build_catalogue(region_a, capacity=2)
    await finalised_reports(region_a, count=3, predikat="SANGAT_KURANG")
    await finalised_reports(
        region_a, count=1, predikat="BAIK", weak_values=("BERORIENTASI_PELAYANAN",)
    )
    await _auto(region_a)
    r = await api.as_role(region_a, OFFICER, LIST)
    nodes = [e["node"] for e in r.data["trainingAssignments"]["edges"]]
    assert len(nodes) == 3  # the pelayanan one belongs to the other unit
    assert {n["programme"]["trainingUnitId"] for n in nodes} == {str(cat.unit_id)}
    assert all(n["employee"]["unitName"] == "Bidang A" and n["employee"]["nip"] for n in nodes)
    waiting = [n for n in nodes if n["status"] == "WAITING"]
    seated = [n for n in nodes if n["status"] == "ASSIGNED"]
    assert len(waiting) == 1 and len(seated) == 2
    r = await api.as_role(region_a, OFFICER, LIST, {"f": {"status": "WAITING"}})
    assert [e["node"]["id"] for e in r.data["trainingAssignments"]["edges"]] == [waiting[0]["id"]]
    # the other unit's assignment: neither listed nor completable
    async with tenant_transaction(region_a.id):
        foreign = await TrainingAssignment.get(tenant_id=region_a.id, programme_id=cat.pelayanan)
    r = await api.as_role(
        region_a,
        OFFICER,
        "mutation($a: ID!) { completeTraining(assignmentId: $a, score: 90) { errors { code } } }",
        {"a": str(foreign.id)},
    )
    assert r.codes == ["FORBIDDEN"]
    async with tenant_transaction(region_a.id):
        assert (await TrainingAssignment.get(id=foreign.id)).status.value == "ASSIGNED"
    # confirm the batch, attendance, complete one, no-show the other, promote the waiting
    batch = cat.batch_ids["waktu"][0]
    r = await api.as_role(
        region_a,
        OFFICER,
        "mutation($b: ID!) { confirmTrainingBatch(batchId: $b) { batch { confirmedAt } } }",
        {"b": str(batch)},
    )
    assert r.data["confirmTrainingBatch"]["batch"]["confirmedAt"]
    await batches_held(region_a, [batch])
    r = await api.as_role(
        region_a,
        OFFICER,
        "mutation($ids: [ID!]!) { recordTrainingAttendance(assignmentIds: $ids) {"
        " assignments { status } errors { code } } }",
        {"ids": [seated[0]["id"]]},
    )
    assert r.data["recordTrainingAttendance"]["assignments"] == [{"status": "ATTENDED"}]
    complete = (
        "mutation($a: ID!, $s: Float) { completeTraining(assignmentId: $a, score: $s,"
        ' certificateRef: "SERT/2026/001") { assignment { status score certificateRef }'
        " errors { field code } } }"
    )
    r = await api.as_role(region_a, OFFICER, complete, {"a": seated[0]["id"], "s": 101})
    assert r.data["completeTraining"]["errors"] == [{"field": "score", "code": "OUT_OF_RANGE"}]
    r = await api.as_role(region_a, OFFICER, complete, {"a": seated[0]["id"], "s": 87.5})
    assert r.data["completeTraining"]["assignment"] == {
        "status": "COMPLETED",
        "score": 87.5,
        "certificateRef": "SERT/2026/001",
    }
    r = await api.as_role(
        region_a,
        OFFICER,
        "mutation($a: ID!) { markTrainingNoShow(assignmentId: $a) { assignment { status } } }",
        {"a": seated[1]["id"]},
    )
    assert r.data["markTrainingNoShow"]["assignment"]["status"] == "NO_SHOW"
    r = await api.as_role(
        region_a,
        OFFICER,
        'mutation($a: ID!) { cancelTrainingAssignment(assignmentId: $a, reason: "Mutasi") {'
        " assignment { status } errors { code } } }",
        {"a": waiting[0]["id"]},
    )
    assert r.data["cancelTrainingAssignment"]["assignment"]["status"] == "CANCELLED"
    # completing twice is refused with the status named
    r = await api.as_role(region_a, OFFICER, complete, {"a": seated[0]["id"], "s": 80})
    assert r.data["completeTraining"]["errors"][0]["code"] == "INVALID_STATUS"
    # an employee is no officer
    r = await api.as_role(region_a, EMP, LIST)
    assert r.codes == ["FORBIDDEN"]


async def test_cancelling_a_seat_promotes_the_first_waiting(api, region_a):
    cat = await build_catalogue(region_a, capacity=1)
    await finalised_reports(region_a, count=3)
    await _auto(region_a)
    async with tenant_transaction(region_a.id):
        rows = await TrainingAssignment.filter(tenant_id=region_a.id).order_by("id")
    seated = next(r for r in rows if r.batch_id)
    first_waiting = next(r for r in rows if r.waiting_position == 1)
    r = await api.as_role(
        region_a,
        ADMIN,
        'mutation($a: ID!) { cancelTrainingAssignment(assignmentId: $a, reason: "Sakit") {'
        " errors { code } } }",
        {"a": str(seated.id)},
    )
    assert r.data["cancelTrainingAssignment"]["errors"] == []
    async with tenant_transaction(region_a.id):
        promoted = await TrainingAssignment.get(id=first_waiting.id)
        told = (
            await OutboxEvent.filter(tenant_id=region_a.id, topic="training.assigned")
            .order_by("-id")
            .first()
        )
    assert (promoted.status.value, promoted.batch_id) == ("ASSIGNED", cat.batch_ids["waktu"][0])
    assert told.payload["assignment_id"] == promoted.id
    assert told.payload["jadwal"].startswith("Jadwal: Angkatan 1")
    # the waiting list closes up behind the promoted one, as the officer reads it
    waiting = {"status": "WAITING", "programmeId": str(cat.waktu)}
    r = await api.as_role(region_a, OFFICER, LIST, {"f": waiting})
    positions = sorted(e["node"]["waitingPosition"] for e in r.data["trainingAssignments"]["edges"])
    before = sum(1 for x in rows if x.programme_id == cat.waktu and x.waiting_position)
    assert before >= 2 and positions == list(range(1, before))


async def test_team_trainings_and_jp_ledger(api, region_a):
    cat = await build_catalogue(region_a, capacity=10)
    period = str(region_a.period.id)
    for key in ("staff1", "staff2"):
        await api.as_role(
            region_a,
            ADMIN,
            ASSIGN,
            {"e": str(region_a.employees[key].id), "p": str(cat.waktu), "period": period},
        )
    await api.as_role(
        region_a,
        ADMIN,
        ASSIGN,
        {"e": str(region_a.employees["staff1"].id), "p": str(cat.masalah), "period": period},
    )
    r = await api.as_role(
        region_a, SUP, "{ teamTrainings { edges { node { employee { name } } } } }"
    )
    assert len(r.data["teamTrainings"]["edges"]) == 3
    r = await api.as_role(region_a, EMP, "{ teamTrainings { edges { node { id } } } }")
    assert r.codes == ["FORBIDDEN"]
    r = await api.as_role(region_a, OFFICER, LIST)
    ids = {
        (e["node"]["employee"]["id"], e["node"]["programme"]["id"]): e["node"]["id"]
        for e in r.data["trainingAssignments"]["edges"]
    }
    await batches_held(region_a, [b for ids in cat.batch_ids.values() for b in ids])
    complete = "mutation($a: ID!) { completeTraining(assignmentId: $a) { errors { code } } }"
    staff1, staff2 = str(region_a.employees["staff1"].id), str(region_a.employees["staff2"].id)
    for key in ((staff1, str(cat.waktu)), (staff1, str(cat.masalah)), (staff2, str(cat.waktu))):
        r = await api.as_role(region_a, OFFICER, complete, {"a": ids[key]})
        assert r.data["completeTraining"]["errors"] == []
    ledger = """query($y: Int!, $below: Boolean!) { jpLedger(year: $y, belowEntitlement: $below,
        first: 100) { edges { node { employeeId completedJp entitlement shortfall } } } }"""
    r = await api.as_role(
        region_a,
        ADMIN,
        ledger,
        {"y": date.today().year, "below": False},
    )
    lines = {e["node"]["employeeId"]: e["node"] for e in r.data["jpLedger"]["edges"]}
    assert lines[staff1] == {
        "employeeId": staff1,
        "completedJp": 24,
        "entitlement": 20,
        "shortfall": 0,
    }
    assert lines[staff2]["completedJp"] == 12 and lines[staff2]["shortfall"] == 8
    assert lines[str(region_a.employees["head"].id)]["completedJp"] == 0
    r = await api.as_role(region_a, ADMIN, ledger, {"y": date.today().year, "below": True})
    below = {e["node"]["employeeId"] for e in r.data["jpLedger"]["edges"]}
    assert staff2 in below and staff1 not in below and len(below) == 4
    r = await api.as_role(region_a, ADMIN, ledger, {"y": 2001, "below": False})
    assert {e["node"]["completedJp"] for e in r.data["jpLedger"]["edges"]} == {0}
    r = await api.as_role(region_a, SUP, ledger, {"y": 2026, "below": False})
    assert r.codes == ["FORBIDDEN"]


async def test_another_region_sees_nothing(api, region_a, region_b):
    cat = await build_catalogue(region_a)
    await finalised_reports(region_a, count=2)
    await _auto(region_a)
    await build_catalogue(region_b)
    r = await api.as_role(region_b, OFFICER, LIST)
    assert r.data["trainingAssignments"]["edges"] == []
    r = await api.as_role(region_b, ADMIN, "{ teamTrainings { edges { node { id } } } }")
    assert r.data["teamTrainings"]["edges"] == []
    r = await api.as_role(
        region_b,
        ADMIN,
        "query($p: ID!) { trainingBatches(programmeId: $p) { id } }",
        {"p": str(cat.waktu)},
    )
    assert r.data["trainingBatches"] == []
    r = await api.as_role(
        region_b,
        ADMIN,
        "mutation($b: ID!) { confirmTrainingBatch(batchId: $b) { errors { code } } }",
        {"b": str(cat.batch_ids["waktu"][0])},
    )
    assert r.data["confirmTrainingBatch"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_assign_for_period_request_is_validated(api, region_a):
    mutation = "mutation($p: ID!, $u: ID) { assignTrainingForPeriod(periodId: $p, unitId: $u) {"
    mutation += " ok errors { field code } } }"
    r = await api.as_role(region_a, ADMIN, mutation, {"p": "999999999", "u": "999999998"})
    assert r.data["assignTrainingForPeriod"] == {
        "ok": False,
        "errors": [
            {"field": "periodId", "code": "NOT_FOUND"},
            {"field": "unitId", "code": "NOT_FOUND"},
        ],
    }
    r = await api.as_role(region_a, SUP, mutation, {"p": str(region_a.period.id)})
    assert r.codes == ["FORBIDDEN"]
    r = await api.as_role(region_a, ADMIN, mutation, {"p": str(region_a.period.id)})
    assert r.data["assignTrainingForPeriod"]["ok"] is True


async def test_officer_list_statement_count_is_flat(api, region_a):
    await build_catalogue(region_a, capacity=50)
    await finalised_reports(region_a, count=2)
    await _auto(region_a)
    few = (await api.as_role(region_a, OFFICER, LIST)).statements
    await finalised_reports(region_a, count=30)
    await _auto(region_a)
    r = await api.as_role(region_a, OFFICER, LIST)
    assert len(r.data["trainingAssignments"]["edges"]) == 32
    assert r.statements == few


async def test_officer_membership(api, region_a):
    await build_catalogue(region_a)
    officer = str(region_a.accounts[OFFICER].id)
    mutation = """mutation($u: ID!, $t: ID) { setTrainingOfficer(userId: $u, trainingUnitId: $t) {
        ok errors { field code } } }"""
    # only TRAINING_OFFICER logins can belong to a unit
    r = await api.as_role(
        region_a, ADMIN, mutation, {"u": str(region_a.accounts[EMP].id), "t": None}
    )
    assert r.data["setTrainingOfficer"]["errors"] == [
        {"field": "userId", "code": "NOT_TRAINING_OFFICER"}
    ]
    r = await api.as_role(region_a, ADMIN, mutation, {"u": officer, "t": None})
    assert r.data["setTrainingOfficer"]["ok"] is True
    r = await api.as_role(region_a, OFFICER, LIST)
    assert r.codes == ["FORBIDDEN"]  # an officer of no unit sees nothing


async def test_inactive_rules_and_programmes_are_not_used(region_a):
    cat = await build_catalogue(region_a)
    await finalised_reports(region_a, count=1, predikat="SANGAT_KURANG")
    async with tenant_transaction(region_a.id):
        await TrainingProgramme.filter(tenant_id=region_a.id, id=cat.waktu).update(is_active=False)
    await _auto(region_a)
    assert await _count(region_a, TrainingAssignment) == 0
    async with tenant_transaction(region_a.id):
        await TrainingProgramme.filter(tenant_id=region_a.id, id=cat.waktu).update(is_active=True)
        await TrainingRule.filter(
            tenant_id=region_a.id, trigger="PREDIKAT", trigger_value="SANGAT_KURANG"
        ).update(is_active=False)
    await _auto(region_a)
    assert await _count(region_a, TrainingAssignment) == 0


async def test_an_acting_head_sees_the_trainings_of_the_team_they_stand_in_for(
    api, region_a, settings
):
    """Issue 18's acting head (Plt./Plh.) sees in `teamTrainings` the team `myTeam` shows them:
    the reports of the head they stand in for, themselves excepted, and only while acting."""
    cat = await build_catalogue(region_a, capacity=10)
    period = str(region_a.period.id)
    staff1 = str(region_a.employees["staff1"].id)
    for key in ("staff1", "staff2"):
        r = await api.as_role(
            region_a,
            ADMIN,
            ASSIGN,
            {"e": str(region_a.employees[key].id), "p": str(cat.waktu), "period": period},
        )
        assert r.data["assignTraining"]["errors"] == []
    team = "{ teamTrainings { edges { node { employee { id } } } } }"
    acting = await login(region_a, "staff2", settings)
    r = await api(team, token=acting)
    assert r.codes == ["FORBIDDEN"]  # neither a supervisor nor acting yet
    today = await today_of(region_a)
    for starts, ends in (
        (today - timedelta(days=10), today - timedelta(days=2)),  # ended: gives nothing
        (today - timedelta(days=1), today + timedelta(days=3)),
    ):
        r = await api.as_role(
            region_a,
            ADMIN,
            APPOINT,
            _appointment(region_a, "staff2", "a", starts, ends),
        )
        assert r.data["appointActing"]["errors"] == []
    r = await api(team, token=acting)
    assert [e["node"]["employee"]["id"] for e in r.data["teamTrainings"]["edges"]] == [staff1]
    # the head stood in for still sees their own team, the acting head included
    r = await api.as_role(region_a, SUP, team)
    assert len(r.data["teamTrainings"]["edges"]) == 2
