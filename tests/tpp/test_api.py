"""TPP through GraphQL: rule versions, base amounts, the attendance import, the month's
computation by the worker job, myTpp, closing, corrections, the export, permissions and
isolation."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.tpp import service
from kinerja_saas.tpp.rules import DEFAULTS, Attendance, compute
from tenants.context import tenant_transaction

MONTH = "2026-03"
SAVE = """mutation($input: TppRuleSetInput!) { saveTppRuleSet(input: $input) {
  ruleSet { id effectiveMonth weightPerformance weightDiscipline pctButuhPerbaikan tl1 psw4
            absentDay }
  errors { field code message } } }"""
RULES = "{ tppRuleSets { effectiveMonth weightPerformance tl3 } }"
BASES = """mutation($items: [TppBaseAmountInput!]!) { setTppBaseAmounts(items: $items) {
  updated errors { field code message } } }"""
IMPORT = """mutation($month: String!, $file: Upload!) { importTppAttendance(month: $month,
  file: $file) { imported problemCount problems { line field code message }
  errors { field code message } } }"""
COMPUTE = """mutation($month: String!) { computeTpp(month: $month) {
  month { status requestedAt } errors { field code message } } }"""
CLOSE = """mutation($month: String!) { closeTppMonth(month: $month) {
  month { status closedAt employees total corrections } errors { field code message } } }"""
MONTH_Q = """query($month: String!) { tppMonth(month: $month) { status employees total
  totalText corrections } }"""
LINES = """query($month: String!) { tppLines(month: $month, first: 50) { nextAfter
  lines { nip revision kind total difference } } }"""
MY = """query($month: String!) { myTpp(month: $month) { monthLabel
  current { revision kind base predikat performancePct performancePart disciplineFull
            absentDeduction lateDeduction earlyDeduction deductionPct disciplinePart incentive
            reduction total totalText difference items { label amount amountText } }
  history { revision total difference } } }"""
EXPORT = "query($month: String!) { tppExportCsv(month: $month) }"
REWARD = """mutation($input: RecordRewardSanctionInput!) { recordRewardOrSanction(input: $input)
  { entry { id amount } errors { field code message } } }"""


async def admin(api, region, query, variables=None):
    return await api.as_role(region, Role.REGION_ADMIN, query, variables)


def attendance_csv(
    *rows: str, header: str = "NIP,bulan,alpa,TL1,TL2,TL3,TL4,PSW1,PSW2,PSW3,PSW4,cuti"
) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


async def upload(api, region, content: bytes, month: str = MONTH, role=Role.REGION_ADMIN):
    operations = {"query": IMPORT, "variables": {"month": month, "file": None}}
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("absensi.csv", content, "text/csv")},
        headers={"authorization": f"Bearer {region.token(role, api.settings)}"},
    )
    return response.json()


async def run_job(region, month: str = MONTH) -> int:
    """What the worker's compute_tpp job runs, in the region's transaction."""
    async with tenant_transaction(region.id):
        return await service.compute_month(month=date.fromisoformat(month + "-01"))


# --- 1. rule sets and base amounts -----------------------------------------------------------


async def test_rule_set_defaults_versions_and_listing(api, region_a):
    res = await admin(api, region_a, SAVE, {"input": {"effectiveMonth": "2026-01"}})
    rule = res.data["saveTppRuleSet"]["ruleSet"]
    assert (rule["weightPerformance"], rule["weightDiscipline"]) == ("60.00", "40.00")
    assert (rule["pctButuhPerbaikan"], rule["tl1"], rule["psw4"], rule["absentDay"]) == (
        "75.00", "0.50", "1.50", "2.50")  # fmt: skip
    res = await admin(
        api, region_a, SAVE,
        {"input": {"effectiveMonth": "2026-04", "weightPerformance": "70",
                   "weightDiscipline": "30", "tl3": "1,75"}},
    )  # fmt: skip
    assert res.data["saveTppRuleSet"]["errors"] == []
    listed = (await admin(api, region_a, RULES)).data["tppRuleSets"]
    assert [(r["effectiveMonth"], r["weightPerformance"], r["tl3"]) for r in listed] == [
        ("2026-04", "70.00", "1.75"),
        ("2026-01", "60.00", "1.25"),
    ]


async def test_bad_rule_sets_name_the_field_and_write_nothing(api, region_a):
    cases = [
        ({"effectiveMonth": "2026-13"}, "effectiveMonth", "INVALID_MONTH"),
        ({"effectiveMonth": "2026-01", "weightPerformance": "70"}, "weightDiscipline",
         "WEIGHTS_NOT_100"),
        ({"effectiveMonth": "2026-01", "tl1": "abc"}, "tl1", "NOT_A_NUMBER"),
        ({"effectiveMonth": "2026-01", "pctKurang": "150"}, "pctKurang", "OUT_OF_RANGE"),
    ]  # fmt: skip
    for data, field, code in cases:
        res = await admin(api, region_a, SAVE, {"input": data})
        payload = res.data["saveTppRuleSet"]
        assert payload["ruleSet"] is None
        assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == (field, code)
    assert (await admin(api, region_a, RULES)).data["tppRuleSets"] == []
    weights = await admin(
        api, region_a, SAVE, {"input": {"effectiveMonth": "2026-01", "weightPerformance": "70"}}
    )
    assert "berjumlah 100 %" in weights.data["saveTppRuleSet"]["errors"][0]["message"]


async def test_only_the_region_admin_edits_rules_and_bases(api, region_a):
    for role in (Role.SUPERVISOR, Role.EMPLOYEE):
        res = await api.as_role(region_a, role, SAVE, {"input": {"effectiveMonth": "2026-01"}})
        assert res.codes == ["FORBIDDEN"]
        assert "admin daerah" in res.errors[0]["message"]
        res = await api.as_role(region_a, role, BASES, {"items": []})
        assert res.codes == ["FORBIDDEN"]


async def test_base_amounts_all_or_nothing(api, region_a, region_b):
    staff1 = region_a.employees["staff1"].nip
    foreign = region_b.employees["staff1"].nip
    res = await admin(
        api, region_a, BASES,
        {"items": [{"nip": staff1, "amount": 4_000_000}, {"nip": foreign, "amount": 1}]},
    )  # fmt: skip
    payload = res.data["setTppBaseAmounts"]
    assert payload["updated"] == 0
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("items.1.nip", "UNKNOWN_NIP")]
    res = await admin(api, region_a, BASES, {"items": [{"nip": staff1, "amount": -5}]})
    assert res.data["setTppBaseAmounts"]["errors"][0]["field"] == "items.0.amount"
    res = await admin(api, region_a, BASES, {"items": [{"nip": staff1, "amount": 4_000_000}]})
    assert res.data["setTppBaseAmounts"] == {"updated": 1, "errors": []}


# --- 2. the attendance import ----------------------------------------------------------------


async def attendance_rows(region) -> dict[int, tuple]:
    async with tenant_transaction(region.id):
        from tortoise import connections

        rows = await connections.get("default").execute_query_dict(
            "SELECT employee_id, absent_days, tl1, psw4, cuti_tahunan FROM tpp_attendance"
            " WHERE tenant_id = $1",
            [region.id],
        )
    return {
        r["employee_id"]: (r["absent_days"], r["tl1"], r["psw4"], r["cuti_tahunan"]) for r in rows
    }


async def test_attendance_import_replaces_the_month(api, region_a):
    s1, s2 = region_a.employees["staff1"], region_a.employees["staff2"]
    body = await upload(
        api, region_a,
        attendance_csv(f"{s1.nip},2026-03,2,3,0,0,0,0,0,0,1,0", f"{s2.nip},2026-03,0,0,0,0,0,0,0,0,0,4"),
    )  # fmt: skip
    assert body["data"]["importTppAttendance"] == {
        "imported": 2, "problemCount": 0, "problems": [], "errors": []}  # fmt: skip
    assert await attendance_rows(region_a) == {s1.id: (2, 3, 1, 0), s2.id: (0, 0, 0, 4)}
    # ';' and header aliases; the file is the month's data: staff2 is gone
    body = await upload(
        api, region_a,
        attendance_csv(f"{s1.nip};2026-03;1;0;0;0;0;0;0;0;0;0",
                       header="nip;month;tanpa keterangan;tl1;tl2;tl3;tl4;psw1;psw2;psw3;psw4;"
                       "hari cuti"),
    )  # fmt: skip
    assert body["data"]["importTppAttendance"]["imported"] == 1
    assert await attendance_rows(region_a) == {s1.id: (1, 0, 0, 0)}


async def test_a_bad_file_lists_every_problem_by_line_and_writes_nothing(api, region_a, region_b):
    s1, s2 = region_a.employees["staff1"], region_a.employees["staff2"]
    await upload(api, region_a, attendance_csv(f"{s1.nip},2026-03,2,0,0,0,0,0,0,0,0,0"))
    body = await upload(
        api, region_a,
        attendance_csv(
            f"{s2.nip},2026-03,1,0,0,0,0,0,0,0,0,0",  # fine
            f"{s2.nip},2026-03,0,0,0,0,0,0,0,0,0,0",  # line 3: twice
            f"{region_b.employees['staff1'].nip},2026-03,0,0,0,0,0,0,0,0,0,0",  # another region
            f"{s1.nip},2026-02,x,0,0,0,0,0,0,0,0,40",  # month, alpa, cuti
            "12345,2026-03,0,0,0,0,0,0,0,0,0,0",  # NIP format
        ),
    )  # fmt: skip
    payload = body["data"]["importTppAttendance"]
    assert payload["imported"] == 0
    found = {(p["line"], p["field"], p["code"]) for p in payload["problems"]}
    assert found == {
        (3, "nip", "DUPLICATE_IN_FILE"),
        (4, "nip", "UNKNOWN_NIP"),
        (5, "bulan", "WRONG_MONTH"),
        (5, "alpa", "NOT_A_NUMBER"),
        (5, "cuti_tahunan", "NOT_A_NUMBER"),  # the old `cuti` column is annual leave
        (6, "nip", "NIP_FORMAT"),
    }
    assert payload["problemCount"] == 6
    assert payload["errors"][0]["field"] == "file"
    messages = " ".join(p["message"] for p in payload["problems"])
    assert "juga ada di baris 2" in messages and "Tidak ada pegawai aktif" in messages
    assert await attendance_rows(region_a) == {s1.id: (2, 0, 0, 0)}  # untouched


async def test_a_file_without_the_columns_is_refused_as_a_whole(api, region_a):
    body = await upload(api, region_a, attendance_csv("x", header="nip,bulan,alpa"))
    payload = body["data"]["importTppAttendance"]
    assert [(p["line"], p["code"]) for p in payload["problems"]] == [(0, "MISSING_COLUMNS")]
    assert "tl1" in payload["problems"][0]["message"]
    empty = await upload(api, region_a, b"")
    assert empty["data"]["importTppAttendance"]["problems"][0]["code"] == "EMPTY"
    employee = await upload(api, region_a, attendance_csv(), role=Role.EMPLOYEE)
    assert employee["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_import_is_set_based(api, region_a, owner_conn):
    """Statements do not grow with rows: 1 vs 300 rows of (bulk) employees."""
    from tests.schema.test_api_guards import _bulk_employees

    await _bulk_employees(region_a, 300)
    nips = [r["nip"] for r in await owner_conn.fetch(
        "SELECT nip FROM employees WHERE tenant_id = $1 AND is_active ORDER BY nip LIMIT 300",
        region_a.id)]  # fmt: skip
    counts = []
    for chosen in (nips[:1], nips):
        with count_statements() as counter:
            body = await upload(
                api, region_a, attendance_csv(*(f"{n},2026-03,1,0,0,0,0,0,0,0,0,0" for n in chosen))
            )
        assert body["data"]["importTppAttendance"]["imported"] == len(chosen)
        counts.append(counter.count)
    assert counts[0] == counts[1]


# --- 3. the month's computation, myTpp, closing, corrections, export ---------------------------

CUR = date.today().replace(day=1)
CUR_KEY = CUR.strftime("%Y-%m")

FINALISED = """
WITH p AS (
    INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id, status,
        revision, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, 'APPROVED', 0, now(), now()) RETURNING id
)
INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, status, behaviour_ratings,
    result_rating, behaviour_rating, predikat, finalised_at, created_at, updated_at)
SELECT $1, p.id, $2, $3, 'FINALISED', '{}'::jsonb, 'DI_BAWAH_EKSPEKTASI', 'SESUAI_EKSPEKTASI',
    $6, now(), now(), now() FROM p
"""


async def finalise(region, key: str, predikat: str) -> None:
    from tortoise import connections

    emp = region.employees[key]
    async with tenant_transaction(region.id):
        await connections.get("default").execute_query(
            FINALISED,
            [region.id, region.period.id, emp.id, emp.unit_id, emp.supervisor_id, predikat],
        )


def att(nip: str, alpa=0, tl1=0, psw4=0, cuti=0) -> str:
    return f"{nip},{CUR_KEY},{alpa},{tl1},0,0,0,0,0,0,{psw4},{cuti}"


async def prepared_month(api, region) -> tuple:
    s1, s2 = region.employees["staff1"], region.employees["staff2"]
    assert (await admin(api, region, SAVE, {"input": {"effectiveMonth": CUR_KEY}})).data
    bases = [{"nip": s1.nip, "amount": 5_000_000}, {"nip": s2.nip, "amount": 3_000_000}]
    assert (await admin(api, region, BASES, {"items": bases})).data["setTppBaseAmounts"][
        "updated"
    ] == 2
    body = await upload(api, region, attendance_csv(att(s1.nip, alpa=1, tl1=3, psw4=1)), CUR_KEY)
    assert body["data"]["importTppAttendance"]["imported"] == 1
    await finalise(region, "staff1", "BUTUH_PERBAIKAN")
    for type_, amount in (("INSENTIF_KINERJA", 150_000), ("PENGURANGAN_TPP", 50_000)):
        res = await admin(
            api, region, REWARD,
            {"input": {"employeeId": str(s1.id), "type": type_, "reason": "Keputusan kepala",
                       "decidedOn": date.today().isoformat(), "amount": amount}},
        )  # fmt: skip
        assert res.data["recordRewardOrSanction"]["entry"]["amount"] == amount
    return s1, s2


async def test_the_month_computed_by_the_job_and_shown_part_by_part(api, region_a):
    s1, s2 = await prepared_month(api, region_a)
    res = await admin(api, region_a, COMPUTE, {"month": CUR_KEY})
    assert res.data["computeTpp"]["month"]["status"] == "OPEN"
    async with tenant_transaction(region_a.id):
        events = await OutboxEvent.filter(tenant_id=region_a.id, topic="tpp.compute.requested")
    assert [e.payload["month"] for e in events] == [CUR.isoformat()]
    assert await run_job(region_a, CUR_KEY) == 2

    expected = compute(
        DEFAULTS, base=5_000_000, predikat="BUTUH_PERBAIKAN",
        attendance=Attendance(absent_days=1, tl1=3, psw4=1), incentive=150_000, reduction=50_000,
    )  # fmt: skip
    mine = (await api.as_role(region_a, Role.EMPLOYEE, MY, {"month": CUR_KEY})).data["myTpp"]
    line = mine["current"]
    assert line["predikat"] == "BUTUH_PERBAIKAN" and line["performancePct"] == "75.00"
    assert (line["performancePart"], line["disciplineFull"], line["disciplinePart"]) == (
        expected.performance_part, 2_000_000, expected.discipline_part)  # fmt: skip
    assert line["deductionPct"] == "5.50"
    assert (line["absentDeduction"], line["lateDeduction"], line["earlyDeduction"]) == (
        50_000, 30_000, 30_000)  # fmt: skip
    assert (line["incentive"], line["reduction"]) == (150_000, 50_000)
    assert line["total"] == expected.total == 2_250_000 + 1_890_000 + 100_000
    assert line["totalText"] == "Rp4.240.000"
    labels = {i["label"]: i["amountText"] for i in line["items"]}
    assert labels["Potongan tanpa keterangan (1 hari)"] == "-Rp50.000"
    assert labels["Bagian disiplin setelah potongan 5,5 %"] == "Rp1.890.000"
    assert labels["Bagian kinerja: 75 % untuk predikat Butuh Perbaikan"] == "Rp2.250.000"

    lines = (await admin(api, region_a, LINES, {"month": CUR_KEY})).data["tppLines"]["lines"]
    totals = {ln["nip"]: ln["total"] for ln in lines}
    # staff2: not rated (0 % of the performance part), no attendance row: no deduction
    assert totals == {s1.nip: 4_240_000, s2.nip: 1_200_000}
    month = (await admin(api, region_a, MONTH_Q, {"month": CUR_KEY})).data["tppMonth"]
    assert month == {"status": "OPEN", "employees": 2, "total": 5_440_000,
                     "totalText": "Rp5.440.000", "corrections": 0}  # fmt: skip
    # Computing an open month again rewrites it: still one row each.
    assert await run_job(region_a, CUR_KEY) == 2


async def test_after_closing_a_change_is_a_visible_correction(api, region_a):
    s1, s2 = await prepared_month(api, region_a)
    early = await admin(api, region_a, CLOSE, {"month": CUR_KEY})
    assert early.data["closeTppMonth"]["errors"][0]["code"] == "NOT_COMPUTED"
    await admin(api, region_a, COMPUTE, {"month": CUR_KEY})
    await run_job(region_a, CUR_KEY)
    closed = (await admin(api, region_a, CLOSE, {"month": CUR_KEY})).data["closeTppMonth"]
    assert closed["month"]["status"] == "CLOSED" and closed["errors"] == []
    again = await admin(api, region_a, CLOSE, {"month": CUR_KEY})
    assert again.data["closeTppMonth"]["errors"][0]["code"] == "ALREADY_CLOSED"
    # The rules of a closed month stay as they were.
    res = await admin(api, region_a, SAVE, {"input": {"effectiveMonth": CUR_KEY, "tl1": "1"}})
    assert res.data["saveTppRuleSet"]["errors"][0]["code"] == "MONTH_CLOSED"

    # staff2 was absent a day after all: the re-imported month, computed again.
    body = await upload(
        api, region_a, attendance_csv(att(s1.nip, alpa=1, tl1=3, psw4=1), att(s2.nip, alpa=1)),
        CUR_KEY,
    )  # fmt: skip
    assert body["data"]["importTppAttendance"]["imported"] == 2
    await admin(api, region_a, COMPUTE, {"month": CUR_KEY})
    assert await run_job(region_a, CUR_KEY) == 1  # one correction; staff1 unchanged
    assert await run_job(region_a, CUR_KEY) == 0  # nothing changed since: nothing new

    lines = (await admin(api, region_a, LINES, {"month": CUR_KEY})).data["tppLines"]["lines"]
    rows = [(ln["nip"], ln["revision"], ln["kind"], ln["total"], ln["difference"]) for ln in lines]
    assert sorted(rows) == sorted([
        (s1.nip, 0, "COMPUTED", 4_240_000, 0),
        (s2.nip, 0, "COMPUTED", 1_200_000, 0),
        (s2.nip, 1, "CORRECTION", 1_170_000, -30_000),
    ])  # fmt: skip
    month = (await admin(api, region_a, MONTH_Q, {"month": CUR_KEY})).data["tppMonth"]
    assert (month["total"], month["corrections"]) == (4_240_000 + 1_170_000, 1)

    csv_text = (await admin(api, region_a, EXPORT, {"month": CUR_KEY})).data["tppExportCsv"]
    header, *records = csv_text.strip().split("\r\n")
    assert header.startswith("NIP;Nama;Bulan;Revisi;Jenis;TPP Dasar;Predikat;Persentase Kinerja")
    assert len(records) == 3
    staff1_row = next(r for r in records if r.startswith(s1.nip)).split(";")
    assert staff1_row[7] == "75" and staff1_row[10] == "5,5" and staff1_row[-2] == "4240000"
    correction = next(r for r in records if r.startswith(s2.nip) and ";Koreksi;" in r)
    assert correction.endswith(";1170000;-30000")


async def test_amounts_only_for_tpp_consequences(api, region_a):
    res = await admin(
        api, region_a, REWARD,
        {"input": {"employeeId": str(region_a.employees["staff1"].id), "type": "TEGURAN",
                   "reason": "x", "decidedOn": date.today().isoformat(), "amount": 10}},
    )  # fmt: skip
    payload = res.data["recordRewardOrSanction"]
    assert payload["entry"] is None
    assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == (
        "amount", "AMOUNT_NOT_ALLOWED")  # fmt: skip


async def test_regions_and_employees_see_only_their_own(api, region_a, region_b):
    await prepared_month(api, region_a)
    await admin(api, region_a, COMPUTE, {"month": CUR_KEY})
    await run_job(region_a, CUR_KEY)
    other = await admin(api, region_b, LINES, {"month": CUR_KEY})
    assert other.data["tppLines"]["lines"] == []
    assert (await admin(api, region_b, MONTH_Q, {"month": CUR_KEY})).data["tppMonth"] is None
    mine_b = await api.as_role(region_b, Role.EMPLOYEE, MY, {"month": CUR_KEY})
    assert mine_b.data["myTpp"]["current"] is None
    # staff2 (no login of its own here) is not staff1: the supervisor sees only their own
    sup = await api.as_role(region_a, Role.SUPERVISOR, MY, {"month": CUR_KEY})
    assert sup.data["myTpp"]["current"] is None  # chief has no base amount
    for query in (LINES, MONTH_Q, EXPORT):
        res = await api.as_role(region_a, Role.EMPLOYEE, query, {"month": CUR_KEY})
        assert res.codes == ["FORBIDDEN"]
    # The job of region B computes nothing of region A.
    assert await run_job(region_b, CUR_KEY) == 0


async def test_the_computation_is_one_statement_whatever_the_employees(api, region_a, owner_conn):
    """compute_month's statements do not grow with employees (2 vs 202)."""
    from tests.schema.test_api_guards import _bulk_employees

    await prepared_month(api, region_a)
    counts = []
    for extra in (0, 200):
        if extra:
            await _bulk_employees(region_a, extra)
            nips = [r["nip"] for r in await owner_conn.fetch(
                "SELECT nip FROM employees WHERE tenant_id = $1 AND name LIKE 'Bulk %'",
                region_a.id)]  # fmt: skip
            items = [{"nip": n, "amount": 2_000_000} for n in nips]
            assert (await admin(api, region_a, BASES, {"items": items})).data[
                "setTppBaseAmounts"]["updated"] == 200  # fmt: skip
        with count_statements() as counter:
            rows = await run_job(region_a, CUR_KEY)
        assert rows == 2 + extra
        counts.append(counter.count)
    assert counts[0] == counts[1]


async def test_compute_tpp_runs_in_a_real_worker_from_the_outbox(api, region_a, settings, redis):
    from arq.connections import create_pool

    from tests.workers.test_jobs import drain, relay_all
    from workers.queue import redis_settings

    await prepared_month(api, region_a)
    res = await admin(api, region_a, COMPUTE, {"month": CUR_KEY})
    assert res.data["computeTpp"]["errors"] == []
    assert (await admin(api, region_a, MONTH_Q, {"month": CUR_KEY})).data["tppMonth"][
        "employees"
    ] == 0  # nothing computed in the request itself
    pool = await create_pool(redis_settings(settings))
    try:
        await relay_all(pool, settings)
        await drain(settings)
    finally:
        await pool.aclose()
    month = (await admin(api, region_a, MONTH_Q, {"month": CUR_KEY})).data["tppMonth"]
    assert (month["employees"], month["total"]) == (2, 4_240_000 + 1_200_000)


async def test_compute_needs_rules_and_a_valid_month(api, region_a):
    res = await admin(api, region_a, COMPUTE, {"month": CUR_KEY})
    assert res.data["computeTpp"]["errors"][0]["code"] == "NO_RULE_SET"
    assert "Belum ada aturan TPP" in res.data["computeTpp"]["errors"][0]["message"]
    res = await admin(api, region_a, COMPUTE, {"month": "maret"})
    assert (res.data["computeTpp"]["errors"][0]["field"],
            res.data["computeTpp"]["errors"][0]["code"]) == ("month", "INVALID_MONTH")  # fmt: skip
    async with tenant_transaction(region_a.id):
        assert (
            await OutboxEvent.filter(tenant_id=region_a.id, topic="tpp.compute.requested").count()
            == 0
        )


# --- 4. deductions per leave type ------------------------------------------------------------

LEAVE_HEADER = (
    "nip,bulan,alpa,tl1,tl2,tl3,tl4,psw1,psw2,psw3,psw4,cuti_tahunan,cuti besar,cuti sakit,"
    "cuti melahirkan,cuti karena alasan penting,cuti bersama,cuti di luar tanggungan negara"
)
LEAVE_Q = """query($month: String!) { myTpp(month: $month) { current { leaveDeduction
  leaveDeductions { leaveType label amount } deductionPct disciplinePart total
  items { label amount } } } }"""


async def leave_rows(region) -> dict[int, tuple]:
    from tortoise import connections

    from kinerja_saas.tpp.rules import LEAVE_TYPES

    async with tenant_transaction(region.id):
        rows = await connections.get("default").execute_query_dict(
            f"SELECT employee_id, {', '.join(LEAVE_TYPES)} FROM tpp_attendance"
            " WHERE tenant_id = $1",
            [region.id],
        )
    return {r["employee_id"]: tuple(r[t] for t in LEAVE_TYPES) for r in rows}


async def test_the_import_reads_a_column_per_leave_type(api, region_a):
    s1, s2 = region_a.employees["staff1"], region_a.employees["staff2"]
    body = await upload(
        api, region_a,
        attendance_csv(f"{s1.nip},2026-03,0,0,0,0,0,0,0,0,0,1,2,3,4,5,6,7",
                       f"{s2.nip},2026-03,0,0,0,0,0,0,0,0,0,0,0,2,0,0,0,0", header=LEAVE_HEADER),
    )  # fmt: skip
    assert body["data"]["importTppAttendance"]["imported"] == 2
    assert await leave_rows(region_a) == {
        s1.id: (1, 2, 3, 4, 5, 6, 7), s2.id: (0, 0, 2, 0, 0, 0, 0)}  # fmt: skip
    # Only some leave columns: the others count 0 days.
    body = await upload(
        api, region_a,
        attendance_csv(f"{s1.nip},2026-03,0,0,0,0,0,0,0,0,0,3",
                       header="nip,bulan,alpa,tl1,tl2,tl3,tl4,psw1,psw2,psw3,psw4,cuti sakit"),
    )  # fmt: skip
    assert body["data"]["importTppAttendance"]["imported"] == 1
    assert await leave_rows(region_a) == {s1.id: (0, 0, 3, 0, 0, 0, 0)}


async def test_bad_leave_values_and_columns_are_refused_by_line_and_field(api, region_a):
    s1, s2 = region_a.employees["staff1"], region_a.employees["staff2"]
    await upload(api, region_a, attendance_csv(f"{s1.nip},2026-03,0,0,0,0,0,0,0,0,0,9"))
    body = await upload(
        api, region_a,
        attendance_csv(f"{s1.nip},2026-03,0,0,0,0,0,0,0,0,0,1,0,32,0,0,0,0",
                       f"{s2.nip},2026-03,0,0,0,0,0,0,0,0,0,0,0,0,0,1.5,0,-1", header=LEAVE_HEADER),
    )  # fmt: skip
    payload = body["data"]["importTppAttendance"]
    assert payload["imported"] == 0
    assert {(p["line"], p["field"], p["code"]) for p in payload["problems"]} == {
        (2, "cuti_sakit", "NOT_A_NUMBER"),
        (3, "cuti_alasan_penting", "NOT_A_NUMBER"),
        (3, "cuti_cltn", "NOT_A_NUMBER"),
    }
    messages = {p["field"]: p["message"] for p in payload["problems"]}
    assert messages["cuti_sakit"].startswith("Hari cuti sakit harus bilangan bulat")
    assert "Hari cuti di luar tanggungan negara" in messages["cuti_cltn"]
    assert await leave_rows(region_a) == {s1.id: (9, 0, 0, 0, 0, 0, 0)}  # untouched

    # The old `cuti` column and `cuti_tahunan` both: which one is meant is unclear.
    both = await upload(
        api, region_a,
        attendance_csv(f"{s1.nip},2026-03,0,0,0,0,0,0,0,0,0,1,1",
                       header="nip,bulan,alpa,tl1,tl2,tl3,tl4,psw1,psw2,psw3,psw4,cuti,"
                       "cuti_tahunan"),
    )  # fmt: skip
    problems = both["data"]["importTppAttendance"]["problems"]
    assert [(p["line"], p["code"]) for p in problems] == [(0, "DUPLICATE_COLUMN")]
    assert "cuti_tahunan" in problems[0]["message"]
    # No leave column at all: refused, not read as "no leave".
    none = await upload(
        api, region_a,
        attendance_csv(f"{s1.nip},2026-03,0,0,0,0,0,0,0,0,0",
                       header="nip,bulan,alpa,tl1,tl2,tl3,tl4,psw1,psw2,psw3,psw4"),
    )  # fmt: skip
    problems = none["data"]["importTppAttendance"]["problems"]
    assert [(p["line"], p["code"]) for p in problems] == [(0, "MISSING_COLUMNS")]
    assert "kolom cuti_tahunan" in problems[0]["message"]
    assert await leave_rows(region_a) == {s1.id: (9, 0, 0, 0, 0, 0, 0)}


async def test_a_month_with_several_leave_types_computed_and_shown(api, region_a):
    from kinerja_saas.tpp.rules import LEAVE_LABELS, LEAVE_TYPES

    s1, s2 = await prepared_month(api, region_a)
    rates = {"cutiTahunan": "0", "cutiSakit": "0,5", "cutiAlasanPenting": "1",
             "cutiCltn": "5", "cutiBesar": "0,25"}  # fmt: skip
    res = await admin(api, region_a, SAVE, {"input": {"effectiveMonth": CUR_KEY, **rates}})
    assert res.data["saveTppRuleSet"]["errors"] == []
    body = await upload(
        api, region_a,
        attendance_csv(f"{s1.nip},{CUR_KEY},1,3,0,0,0,0,0,0,1,4,2,3,0,2,1,1",
                       f"{s2.nip},{CUR_KEY},0,0,0,0,0,0,0,0,0,0,0,5,0,0,0,0",
                       header=LEAVE_HEADER),
        CUR_KEY,
    )  # fmt: skip
    assert body["data"]["importTppAttendance"]["imported"] == 2
    await admin(api, region_a, COMPUTE, {"month": CUR_KEY})
    assert await run_job(region_a, CUR_KEY) == 2

    regional = DEFAULTS.__class__(**{
        **{f: getattr(DEFAULTS, f) for f in DEFAULTS.__dataclass_fields__},
        "cuti_sakit": Decimal("0.5"), "cuti_alasan_penting": Decimal("1"),
        "cuti_cltn": Decimal("5"), "cuti_besar": Decimal("0.25"),
    })  # fmt: skip
    expected = compute(
        regional, base=5_000_000, predikat="BUTUH_PERBAIKAN",
        attendance=Attendance(absent_days=1, tl1=3, psw4=1, cuti_tahunan=4, cuti_besar=2,
                              cuti_sakit=3, cuti_alasan_penting=2, cuti_bersama=1, cuti_cltn=1),
        incentive=150_000, reduction=50_000,
    )  # fmt: skip
    line = (await api.as_role(region_a, Role.EMPLOYEE, LEAVE_Q, {"month": CUR_KEY})).data[
        "myTpp"]["current"]  # fmt: skip
    shown = [(d["leaveType"], d["label"], d["amount"]) for d in line["leaveDeductions"]]
    # 2.000.000 discipline part: besar 2 × 0,25 %, sakit 3 × 0,5 %, alasan penting 2 × 1 %,
    # CLTN 1 × 5 %; annual (0 %) and cuti bersama (default 0 %) deduct nothing
    assert shown == [
        ("cuti_tahunan", "Cuti tahunan", 0),
        ("cuti_besar", "Cuti besar", 10_000),
        ("cuti_sakit", "Cuti sakit", 30_000),
        ("cuti_melahirkan", "Cuti melahirkan", 0),
        ("cuti_alasan_penting", "Cuti karena alasan penting", 40_000),
        ("cuti_bersama", "Cuti bersama", 0),
        ("cuti_cltn", "Cuti di luar tanggungan negara", 100_000),
    ]
    assert [a for _, _, a in shown] == list(expected.leave_deductions)  # SQL = Python
    assert line["leaveDeduction"] == expected.leave_deduction == 180_000
    assert line["deductionPct"] == "14.50"  # 5,5 % of alpa/TL/PSW + 9 % of leave
    assert (line["disciplinePart"], line["total"]) == (expected.discipline_part, expected.total)
    items = {i["label"]: i["amount"] for i in line["items"]}
    assert items["Potongan cuti di luar tanggungan negara"] == -100_000
    assert items["Potongan cuti karena alasan penting"] == -40_000
    assert all(f"Potongan {LEAVE_LABELS[t].lower()}" in items for t in LEAVE_TYPES)

    csv_text = (await admin(api, region_a, EXPORT, {"month": CUR_KEY})).data["tppExportCsv"]
    header, *records = [r.split(";") for r in csv_text.strip().split("\r\n")]
    row = dict(zip(header, next(r for r in records if r[0] == s1.nip), strict=True))
    assert row["Potongan Cuti Sakit"] == "30000"
    assert row["Potongan Cuti Di Luar Tanggungan Negara"] == "100000"
    assert row["Potongan Disiplin (%)"] == "14,5"
    other = dict(zip(header, next(r for r in records if r[0] == s2.nip), strict=True))
    assert other["Potongan Cuti Sakit"] == "30000"  # 5 × 0,5 % of 1.200.000


async def test_a_version_stored_before_leave_types_reads_them_as_zero(api, region_a, owner_conn):
    """A row written with the columns of the first version (no leave types but the annual
    rate, then called leave_day) reads the other types as 0 %."""
    await owner_conn.execute(
        "INSERT INTO tpp_rule_sets (tenant_id, effective_month, weight_performance,"
        " weight_discipline, pct_sangat_baik, pct_baik, pct_butuh_perbaikan, pct_kurang,"
        " pct_sangat_kurang, pct_belum_dinilai, absent_day, tl1, tl2, tl3, tl4, psw1, psw2,"
        " psw3, psw4, cuti_tahunan) VALUES ($1, '2025-01-01', 60, 40, 100, 100, 75, 50, 25,"
        " 0, 2.5, 0.5, 1, 1.25, 1.5, 0.5, 1, 1.25, 1.5, 1)",
        region_a.id,
    )
    listed = await admin(
        api, region_a, "{ tppRuleSets { cutiTahunan cutiSakit cutiBersama cutiCltn } }"
    )
    assert listed.data["tppRuleSets"] == [
        {"cutiTahunan": "1.00", "cutiSakit": "0.00", "cutiBersama": "0.00", "cutiCltn": "0.00"}
    ]
