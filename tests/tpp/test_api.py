"""TPP through GraphQL: rule versions, base amounts, the attendance import, the month's
computation by the worker job, myTpp, closing, corrections, the export, permissions and
isolation."""

from __future__ import annotations

import json
from datetime import date

from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements
from kinerja_saas.tpp import service
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
            "SELECT employee_id, absent_days, tl1, psw4, leave_days FROM tpp_attendance"
            " WHERE tenant_id = $1",
            [region.id],
        )
    return {
        r["employee_id"]: (r["absent_days"], r["tl1"], r["psw4"], r["leave_days"]) for r in rows
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
        (5, "cuti", "NOT_A_NUMBER"),
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
