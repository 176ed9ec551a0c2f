"""SKP plans over the API: writing, the approval workflow and its permissions, revisions,
copying RHK down, bad input (nothing written) and isolation."""

from kinerja_saas.auth.roles import Role
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.performance.models import Indicator, Plan, PlanResult, PlanRevision
from tenants.context import tenant_transaction
from tests.factories import approved_plan, person

EMPLOYEE, SUPERVISOR, ADMIN = Role.EMPLOYEE, Role.SUPERVISOR, Role.REGION_ADMIN
SAVE = """mutation($input: SavePlanInput!) { savePlan(input: $input) {
  plan { id status weightTotal evaluatorId evaluator { name email }
         results { id kind text supportsResultId indicators { id text target unit weight direction } } }
  errors { field code message } } }"""
STEP = """mutation($id: ID!) { %s(id: $id) { plan { id status returnReason revision }
  errors { field code message } } }"""
WITH_REASON = """mutation($id: ID!, $r: String!) { %s(id: $id, reason: $r) {
  plan { id status returnReason revision } errors { field code message } } }"""


def plan_input(period_id, weights=(60, 40), **overrides):
    indicators = [
        {
            "text": f"Indikator {n}",
            "aspect": "KUANTITAS",
            "target": "10",
            "unit": "dokumen",
            "weight": str(w),
        }
        for n, w in enumerate(weights)
    ]
    result = {"kind": "UTAMA", "text": "Pelayanan prima", "indicators": indicators, **overrides}
    return {"periodId": str(period_id), "results": [result]}


async def _count(region, model) -> int:
    async with tenant_transaction(region.id):
        return await model.filter(tenant_id=region.id).count()


async def test_employee_writes_submits_and_supervisor_approves(api, region_a):
    res = await api.as_role(region_a, EMPLOYEE, SAVE, {"input": plan_input(region_a.period.id)})
    saved = res.data["savePlan"]
    assert saved["errors"] == []
    plan = saved["plan"]
    assert plan["status"] == "DRAFT" and plan["weightTotal"] == "100.00"
    assert plan["evaluatorId"] == str(region_a.employees["chief"].id)
    assert plan["evaluator"]["email"] is None  # people reached through a plan: no contacts
    assert [i["weight"] for i in plan["results"][0]["indicators"]] == ["60.00", "40.00"]

    submitted = await api.as_role(region_a, EMPLOYEE, STEP % "submitPlan", {"id": plan["id"]})
    assert submitted.data["submitPlan"]["plan"]["status"] == "SUBMITTED"
    # The employee cannot approve their own plan; the evaluator can.
    own = await api.as_role(region_a, EMPLOYEE, STEP % "approvePlan", {"id": plan["id"]})
    assert own.codes == ["FORBIDDEN"]
    approved = await api.as_role(region_a, SUPERVISOR, STEP % "approvePlan", {"id": plan["id"]})
    assert approved.data["approvePlan"]["plan"]["status"] == "APPROVED"
    async with tenant_transaction(region_a.id):
        topics = await OutboxEvent.filter(
            tenant_id=region_a.id, topic__startswith="performance.plan_"
        ).values_list("topic", "payload")
    assert [t for t, _ in topics] == ["performance.plan_submitted", "performance.plan_approved"]
    assert all(p["plan_id"] == int(plan["id"]) for _, p in topics)

    # An approved plan changes only through a revision.
    again = await api.as_role(region_a, EMPLOYEE, SAVE, {"input": plan_input(region_a.period.id)})
    assert [e["code"] for e in again.data["savePlan"]["errors"]] == ["PLAN_LOCKED"]


async def test_return_needs_a_reason_and_reopens_the_draft(api, region_a):
    res = await api.as_role(region_a, EMPLOYEE, SAVE, {"input": plan_input(region_a.period.id)})
    plan_id = res.data["savePlan"]["plan"]["id"]
    await api.as_role(region_a, EMPLOYEE, STEP % "submitPlan", {"id": plan_id})
    blank = await api.as_role(
        region_a, SUPERVISOR, WITH_REASON % "returnPlan", {"id": plan_id, "r": "  "}
    )
    assert [e["field"] for e in blank.data["returnPlan"]["errors"]] == ["reason"]
    returned = await api.as_role(
        region_a,
        SUPERVISOR,
        WITH_REASON % "returnPlan",
        {"id": plan_id, "r": "Target terlalu rendah"},
    )
    plan = returned.data["returnPlan"]["plan"]
    assert (plan["status"], plan["returnReason"]) == ("RETURNED", "Target terlalu rendah")
    fixed = await api.as_role(
        region_a, EMPLOYEE, SAVE, {"input": plan_input(region_a.period.id, weights=(50, 50))}
    )
    assert fixed.data["savePlan"]["plan"]["status"] == "RETURNED"
    resubmitted = await api.as_role(region_a, EMPLOYEE, STEP % "submitPlan", {"id": plan_id})
    assert resubmitted.data["submitPlan"]["plan"] == {
        "id": plan_id,
        "status": "SUBMITTED",
        "returnReason": None,
        "revision": 0,
    }


async def test_weights_not_adding_to_100_block_submission(api, region_a):
    res = await api.as_role(
        region_a, EMPLOYEE, SAVE, {"input": plan_input(region_a.period.id, weights=(60, 30))}
    )
    plan = res.data["savePlan"]["plan"]
    assert plan["weightTotal"] == "90.00"  # a draft may be incomplete
    submitted = await api.as_role(region_a, EMPLOYEE, STEP % "submitPlan", {"id": plan["id"]})
    errors = submitted.data["submitPlan"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("results", "WEIGHTS_NOT_100")]
    assert errors[0]["message"] == "Jumlah bobot indikator harus 100; saat ini 90."
    async with tenant_transaction(region_a.id):
        assert (await Plan.get(id=int(plan["id"]))).status.value == "DRAFT"


async def test_bad_plan_input_names_every_field_and_writes_nothing(api, region_a):
    bad = plan_input(region_a.period.id)
    bad["results"][0]["indicators"][0].update(target="0", weight="-5", text=" ")
    bad["results"][0]["indicators"][1].update(target="1.00001", unit="")
    bad["results"].append({"kind": "TAMBAHAN", "text": "", "indicators": []})
    res = await api.as_role(region_a, EMPLOYEE, SAVE, {"input": bad})
    errors = {(e["field"], e["code"]) for e in res.data["savePlan"]["errors"]}
    assert errors == {
        ("results[0].indicators[0].target", "OUT_OF_RANGE"),
        ("results[0].indicators[0].weight", "OUT_OF_RANGE"),
        ("results[0].indicators[0].text", "REQUIRED"),
        ("results[0].indicators[1].target", "TOO_PRECISE"),
        ("results[0].indicators[1].unit", "REQUIRED"),
        ("results[1].text", "REQUIRED"),
        ("results[1].indicators", "REQUIRED"),
    }
    assert res.data["savePlan"]["plan"] is None
    assert await _count(region_a, Plan) == 0
    assert await _count(region_a, Indicator) == 0


async def test_saving_keeps_ids_updates_adds_and_removes(api, region_a):
    res = await api.as_role(region_a, EMPLOYEE, SAVE, {"input": plan_input(region_a.period.id)})
    plan = res.data["savePlan"]["plan"]
    result = plan["results"][0]
    kept, dropped = result["indicators"]
    update = plan_input(region_a.period.id, weights=(70,), id=result["id"])
    update["results"][0]["indicators"][0].update(id=kept["id"], text="Diubah")
    update["results"][0]["indicators"].append(
        {
            "text": "Baru",
            "aspect": "WAKTU",
            "target": "3",
            "unit": "hari",
            "weight": "30",
            "direction": "LOWER_IS_BETTER",
        }
    )
    res = await api.as_role(region_a, EMPLOYEE, SAVE, {"input": update})
    saved = res.data["savePlan"]["plan"]
    indicators = saved["results"][0]["indicators"]
    assert saved["id"] == plan["id"] and saved["results"][0]["id"] == result["id"]
    assert indicators[0]["id"] == kept["id"] and indicators[0]["text"] == "Diubah"
    assert indicators[1]["id"] not in (kept["id"], dropped["id"])
    assert indicators[1]["direction"] == "LOWER_IS_BETTER"
    assert saved["weightTotal"] == "100.00"
    # Someone else's indicator id is not "kept": it is reported, nothing changes.
    alien = plan_input(region_a.period.id)
    alien["results"][0]["indicators"][0]["id"] = "999999999"
    res = await api.as_role(region_a, EMPLOYEE, SAVE, {"input": alien})
    assert [e["field"] for e in res.data["savePlan"]["errors"]] == ["results[0].indicators[0].id"]


async def test_revision_keeps_the_approved_content(api, region_a):
    plan = await approved_plan(region_a)
    res = await api.as_role(
        region_a, EMPLOYEE, WITH_REASON % "revisePlan", {"id": str(plan.id), "r": "Tugas baru"}
    )
    assert res.data["revisePlan"]["plan"]["status"] == "DRAFT"
    assert res.data["revisePlan"]["plan"]["revision"] == 1
    async with tenant_transaction(region_a.id):
        (revision,) = await PlanRevision.filter(plan_id=plan.id)
    assert revision.reason == "Tugas baru"
    assert [len(r["indicators"]) for r in revision.content] == [2, 1]
    # A plan that is not approved cannot be revised.
    again = await api.as_role(
        region_a, EMPLOYEE, WITH_REASON % "revisePlan", {"id": str(plan.id), "r": "Lagi"}
    )
    assert [e["code"] for e in again.data["revisePlan"]["errors"]] == ["INVALID_TRANSITION"]


async def test_visibility_of_plans(api, region_a):
    plan = await approved_plan(region_a)
    query = f'{{ plan(id: "{plan.id}") {{ id employee {{ name }} }} }}'
    assert (await api.as_role(region_a, EMPLOYEE, query)).data["plan"]["id"] == str(plan.id)
    assert (await api.as_role(region_a, SUPERVISOR, query)).data["plan"]["id"] == str(plan.id)
    assert (await api.as_role(region_a, ADMIN, query)).data["plan"]["id"] == str(plan.id)
    # "other" (a peer in another bidang) sees nothing of it.
    assert (await api.as_role(region_a, Role.TRAINING_OFFICER, query)).codes == ["NOT_FOUND"]
    listing = "{ plans(first: 10) { totalCount edges { node { id status } } } }"
    assert (await api.as_role(region_a, Role.TRAINING_OFFICER, listing)).data["plans"][
        "totalCount"
    ] == 0
    assert (await api.as_role(region_a, SUPERVISOR, listing)).data["plans"]["totalCount"] == 1


async def test_copy_results_down_is_set_based_and_idempotent(api, region_a):
    chief = person(region_a, "chief", SUPERVISOR)
    own = await api.as_role(region_a, SUPERVISOR, SAVE, {"input": plan_input(region_a.period.id)})
    result_id = own.data["savePlan"]["plan"]["results"][0]["id"]
    copy = """mutation($r: [ID!]!, $e: [ID!]!) { copyResultsDown(resultIds: $r, employeeIds: $e) {
      plans { employeeId status results { supportsResultId indicators { text } } }
      errors { field code message } } }"""
    staff = [str(region_a.employees[k].id) for k in ("staff1", "staff2")]
    res = await api.as_role(region_a, SUPERVISOR, copy, {"r": [result_id], "e": staff})
    plans = res.data["copyResultsDown"]["plans"]
    assert [p["employeeId"] for p in plans] == staff
    assert all(p["results"][0]["supportsResultId"] == result_id for p in plans)
    assert all(len(p["results"][0]["indicators"]) == 2 for p in plans)
    res2 = await api.as_role(region_a, SUPERVISOR, copy, {"r": [result_id], "e": staff})
    assert all(len(p["results"]) == 1 for p in res2.data["copyResultsDown"]["plans"])
    # Not a direct report (head is chief's own supervisor): refused, nothing written.
    before = await _count(region_a, PlanResult)
    head = str(region_a.employees["head"].id)
    bad = await api.as_role(region_a, SUPERVISOR, copy, {"r": [result_id], "e": [head]})
    assert [e["code"] for e in bad.data["copyResultsDown"]["errors"]] == ["NOT_A_REPORT"]
    assert await _count(region_a, PlanResult) == before
    assert chief.employee_id == region_a.employees["chief"].id


async def test_another_regions_plan_is_invisible_and_untouchable(api, region_a, region_b):
    plan_b = await approved_plan(region_b)
    query = f'{{ plan(id: "{plan_b.id}") {{ id }} }}'
    assert (await api.as_role(region_a, ADMIN, query)).codes == ["NOT_FOUND"]
    res = await api.as_role(
        region_a, SUPERVISOR, WITH_REASON % "returnPlan", {"id": str(plan_b.id), "r": "x"}
    )
    assert [e["code"] for e in res.data["returnPlan"]["errors"]] == ["NOT_FOUND"]
    listing = "{ plans(first: 10) { totalCount } }"
    assert (await api.as_role(region_a, ADMIN, listing)).data["plans"]["totalCount"] == 0


# As rich a page as the cost limit lets a frontend ask for (realisations are per plan).
PLANS_PAGE = """query($p: ID!) { plans(first: 15, filter: {periodId: $p}) { totalCount
  edges { node { id status weightTotal achievement employee { name } evaluator { name }
    unit { name } revisions { revision } dialog { body author { name } } evaluations { predikat }
    results { text indicators { text weight } } } } } }"""


async def test_plans_page_statement_count_does_not_grow_with_plans(api, region_a, region_b):
    """A page of 6 plans or of 15, each with its results, indicators, achievement, people,
    dialog and evaluations: the same statements (one batched load per field)."""
    from tests.performance.bulk import add_reports_with_plans

    await add_reports_with_plans(region_a, count=5)
    await add_reports_with_plans(region_b, count=300)
    await approved_plan(region_a)
    await approved_plan(region_b)
    small = await api.as_role(region_a, ADMIN, PLANS_PAGE, {"p": str(region_a.period.id)})
    big = await api.as_role(region_b, ADMIN, PLANS_PAGE, {"p": str(region_b.period.id)})
    small_page, big_page = small.data["plans"], big.data["plans"]
    assert (small_page["totalCount"], len(small_page["edges"])) == (6, 6)
    assert (big_page["totalCount"], len(big_page["edges"])) == (301, 15)
    nodes = [e["node"] for e in big_page["edges"]]
    # The nested levels really were loaded, for every plan on the page.
    assert all(n["results"][0]["indicators"] and n["employee"]["name"] for n in nodes)
    assert all(n["achievement"] is not None and n["evaluations"] for n in nodes)
    assert small.statements == big.statements
