"""The compiled read path (schema/compiled.py): every document answered by one statement
must be the answer the ordinary executor gives — the same JSON, the same order — for every
role, alias, fragment, directive, variable, cursor page, filter and foreign id; anything it
does not cover falls back; the guards still refuse first.

Both paths run in each test: the suite's app (compiled on) and a second app of the same
settings with `compiled_reads=False`, over the same database."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from gql import Client, gql
from gql.transport.httpx import HTTPXAsyncTransport

from kinerja_saas.auth.roles import Role
from kinerja_saas.runtime.app import create_app
from tests.conftest import Api, GraphQLResult

ADMIN, SUPERVISOR, EMPLOYEE, OFFICER = (
    Role.REGION_ADMIN,
    Role.SUPERVISOR,
    Role.EMPLOYEE,
    Role.TRAINING_OFFICER,
)
ROLES = (ADMIN, SUPERVISOR, EMPLOYEE, OFFICER)

PAGE = (
    "{ employees(first: 100) { edges { node { id nip name position unit { id name }"
    " supervisor { id name } } } } }"
)
EVERYTHING = """query($first: Int, $after: String, $filter: EmployeeFilter, $order: EmployeeOrder) {
  employees(first: $first, after: $after, filter: $filter, orderBy: $order) {
    __typename
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges { cursor __typename node { __typename id nip name position positionType golongan
      isActive createdAt updatedAt unitId supervisorId email phone
      unit { __typename id code name kind depth isActive parentId }
      supervisor { id name email phone supervisor { id name email } } } } } }"""
ALIASED = """{
  b: employees(first: 2, orderBy: {field: NIP, direction: DESC}) {
    p: pageInfo { more: hasNextPage last: endCursor }
    e: edges { c: cursor n: node { i: id nm: name u: unit { uid: id } } } }
  a: employees(first: 3) { edges { node { name id } } } }"""
FRAGMENTS = """query Fragments { employees(first: 50) { ...Page } }
fragment Page on EmployeeConnection { edges { node { ...Person ... on Employee { nip } } } }
fragment Person on Employee { name id supervisor { ...Person2 } unit { ... { name } id } }
fragment Person2 on Employee { id email }"""
DIRECTIVES = """query($with: Boolean!, $without: Boolean!) { employees(first: 20) { edges { node {
  id email @include(if: $with) phone @skip(if: $with)
  supervisor @skip(if: $without) { id email }
  ... on Employee @include(if: $without) { nip }
  ...Extra @skip(if: $with) } } } }
fragment Extra on Employee { position unit { name } }"""
ONE = """query($id: ID!) { employee(id: $id) { id name email phone unit { id name }
  supervisor { id name email } } }"""


@pytest.fixture(scope="module")
async def ordinary(settings):
    """The same app with the compiled path off: the reference answer."""
    app = create_app(settings.model_copy(update={"compiled_reads": False}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, settings)


def compiled_ran(res: GraphQLResult) -> bool:
    return any("json_build_object" in s for s in res.sql)


async def same(api, ordinary, region, role, query, variables=None, headers=None, *, compiled=True):
    """Both paths' bodies, byte for byte as JSON (the order of keys and rows included)."""
    token = region.token(role, api.settings)
    return await same_as(api, ordinary, token, query, variables, headers, compiled=compiled)


async def same_as(api, ordinary, token, query, variables=None, headers=None, *, compiled=True):
    """`same` for any token (a login made for the test, an operator's)."""
    fast = await api(query, variables, token=token, headers=headers)
    slow = await ordinary(query, variables, token=token, headers=headers)
    assert fast.status == slow.status
    assert json.dumps(fast.body) == json.dumps(slow.body)
    assert not compiled_ran(slow)
    assert compiled_ran(fast) is compiled, (fast.body, fast.sql)
    return fast


@pytest.fixture
async def region(region_a, owner_conn):
    """Region A with names that test the cursors' JSON (quotes, backslash, non-ASCII, a
    tab), a PPPK without golongan or contacts, and more people than a page of two."""
    rows = {
        "staff2": 'Ünal "Kutip" \\ miring\tTab 😀',
        "other": "O'Brien çağ — ñ",
    }
    for key, name in rows.items():
        await owner_conn.execute(
            "UPDATE employees SET name = $1 WHERE id = $2", name, region_a.employees[key].id
        )
    await owner_conn.execute(
        "UPDATE employees SET golongan = NULL, phone = '0812', email = NULL WHERE id = $1",
        region_a.employees["staff1"].id,
    )
    await owner_conn.execute(
        "UPDATE employees SET updated_at = date_trunc('second', updated_at) WHERE id = $1",
        region_a.employees["chief"].id,
    )
    return region_a


@pytest.mark.parametrize("role", ROLES)
async def test_the_hot_page_and_every_field_for_every_role(api, ordinary, region, role):
    res = await same(api, ordinary, region, role, PAGE)
    assert res.data["employees"]["edges"]
    for order in ({"field": "NAME"}, {"field": "NIP", "direction": "DESC"}):
        await same(api, ordinary, region, role, EVERYTHING, {"first": 100, "order": order})
    # CREATED_AT's cursor carries a timestamp object: not compiled with cursors.
    await same(
        api, ordinary, region, role, EVERYTHING, {"order": {"field": "CREATED_AT"}}, compiled=False
    )


@pytest.mark.parametrize("role", ROLES)
async def test_aliases_fragments_and_directives(api, ordinary, region, role):
    await same(api, ordinary, region, role, ALIASED)
    await same(api, ordinary, region, role, FRAGMENTS)
    for flags in ((True, False), (False, True), (True, True), (False, False)):
        await same(api, ordinary, region, role, DIRECTIVES, {"with": flags[0], "without": flags[1]})


@pytest.mark.parametrize("role", (ADMIN, SUPERVISOR))
@pytest.mark.parametrize("order", ("NAME", "NIP"))
async def test_cursor_pages_walk_the_same_rows(api, ordinary, region, role, order):
    after, seen = None, []
    variables = {"first": 2, "order": {"field": order, "direction": "DESC"}}
    for _ in range(10):
        res = await same(api, ordinary, region, role, EVERYTHING, {**variables, "after": after})
        page = res.data["employees"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) and len(seen) >= 3


@pytest.mark.parametrize("role", ROLES)
async def test_filters_and_ids_of_another_region(api, ordinary, region, region_b, role):
    units = region.units
    filters = [
        {"unitId": str(units["dinas"].id)},
        {"unitId": str(units["dinas"].id), "includeSubunits": False},
        {"unitId": str(units["a"].id)},
        {"unitId": str(region_b.units["dinas"].id)},  # another region's unit: nobody
        {"search": "staff"},
        {"search": "ünal"},
        {"search": "%"},
        {"search": region.employees["chief"].nip[:8]},
        {"active": True},
        {"active": False},
        {"supervisorId": str(region.employees["chief"].id)},
        {"supervisorId": str(region_b.employees["chief"].id)},
    ]
    for flt in filters:
        await same(api, ordinary, region, role, EVERYTHING, {"first": 10, "filter": flt})


@pytest.mark.parametrize("role", ROLES)
async def test_one_employee_visible_or_not(api, ordinary, region, region_b, role):
    for key in ("head", "chief", "staff1", "staff2", "other"):
        variables = {"id": str(region.employees[key].id)}
        # Not visible: the statement answers null, and the ordinary path runs for its
        # NOT_FOUND (one statement more, only on the way to an error).
        res = await same(api, ordinary, region, role, ONE, variables)
        assert bool(res.errors) is not _sees(role, key)
    # Another region's employee: not found, from the ordinary path.
    foreign = {"id": str(region_b.employees["staff1"].id)}
    res = await same(api, ordinary, region, role, ONE, foreign)
    assert res.codes == ["NOT_FOUND"]


def _sees(role: Role, key: str) -> bool:
    return {
        ADMIN: True,
        SUPERVISOR: key in ("chief", "staff1", "staff2"),
        EMPLOYEE: key == "staff1",
        OFFICER: key == "other",
    }[role]


async def test_refused_arguments_get_the_ordinary_errors(api, ordinary, region):
    q = EVERYTHING
    for variables in (
        {"first": 100_000},  # above the page limit
        {"first": -1},
        {"after": "not a cursor"},
        {"filter": {"unitId": "abc"}},
        {"filter": {"supervisorId": "0"}},
        {"first": "x"},  # variables that do not coerce
    ):
        res = await same(api, ordinary, region, ADMIN, q, variables, compiled=False)
        assert res.errors
    res = await same(api, ordinary, region, ADMIN, ONE, {"id": "abc"}, compiled=False)
    assert res.codes == ["INVALID_ID"]
    # Edges of the range: an empty page, a page of one.
    for first in (0, 1):
        res = await same(api, ordinary, region, ADMIN, q, {"first": first})
        assert len(res.data["employees"]["edges"]) == first


async def test_another_regions_user_and_a_forged_region_header(api, ordinary, region, region_b):
    header = {"x-region": region.tenant.slug}
    res = await same(api, ordinary, region_b, ADMIN, PAGE, headers=header, compiled=False)
    assert res.codes == ["REGION_MISMATCH"]
    # Without the header, region B's admin sees region B's people, never region A's.
    res = await same(api, ordinary, region_b, ADMIN, PAGE)
    names = {e["node"]["name"] for e in res.data["employees"]["edges"]}
    assert names and not names & {'Ünal "Kutip" \\ miring\tTab 😀', "O'Brien çağ — ñ"}
    # Anonymous: refused by the ordinary path.
    slow, fast = await ordinary(PAGE), await api(PAGE)
    assert json.dumps(fast.body) == json.dumps(slow.body) and fast.codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    "query",
    [
        "{ employees { totalCount edges { node { id } } } }",  # a resolver without a twin
        "{ employees { edges { node { id birthDate kind pangkat gender } } } }",
        "{ employees { edges { node { id login { email } } } } }",
        "{ employees { edges { node { id supervisor { unit { id } login { id } } } } } }",
        "{ employees { edges { node { id } } } units { id } }",  # a root without a twin
        "{ employees { edges { node { id @deprecated } } } }",  # refused by validation
        "{ employees { edges { node { ... on Employee { id } } } } me { email } }",
    ],
)
async def test_documents_outside_the_subset_fall_back(api, ordinary, region, query):
    await same(api, ordinary, region, ADMIN, query, compiled=False)


@pytest.mark.parametrize(
    "selection",
    [
        "__typename",
        "pageInfo { hasPreviousPage }",
        "pageInfo { __typename }",
        "edges { __typename }",
        "pageInfo { hasNextPage }",
        "edges { cursor } pageInfo { endCursor startCursor }",
    ],
)
async def test_pages_without_their_rows_or_limit(api, ordinary, region, selection):
    """Selections that name neither the rows nor the limit (no parameter may stay unused)."""
    for role in (ADMIN, SUPERVISOR):
        await same(
            api,
            ordinary,
            region,
            role,
            f"query($f: EmployeeFilter) {{ employees(first: 2, filter: $f) {{ {selection} }} }}",
            {"f": {"unitId": str(region.units["a"].id), "includeSubunits": False}},
        )


async def test_the_compiled_page_is_one_statement(api, region):
    res = await api.as_role(region, ADMIN, PAGE)
    # The transaction's region (set_config, with the plan) and the page itself: the same
    # two however many rows and relations the page has.
    assert res.statements == 2 and compiled_ran(res)
    res = await api.as_role(region, ADMIN, EVERYTHING, {"first": 100})
    assert res.statements == 2 and compiled_ran(res)
    res = await api.as_role(region, ADMIN, ALIASED)  # two root fields, one statement
    assert res.statements == 2 and compiled_ran(res)


async def test_a_fragment_bomb_is_still_refused_first(api, region):
    nested = [
        f"fragment F{i} on Employee {{ " + " ".join([f"...F{i + 1}"] * 9) + " }" for i in range(9)
    ]
    query = "{ employee(id: 1) { ...F0 } } " + " ".join([*nested, "fragment F9 on Employee { id }"])
    for _ in range(2):
        res = await api.as_role(region, ADMIN, query)
        assert res.codes == ["QUERY_TOO_LARGE"] and res.statements == 0


async def test_no_values_in_the_statement_text(api, region):
    """Keys, names, filters and cursors are bound parameters, never written into the text."""
    evil = "x'); DROP TABLE employees; --"
    q = f"""query($s: String) {{ employees(first: 5, filter: {{search: $s}}) {{
      edges {{ node {{ id }} }} }} {evil_alias()}: employees(first: 1) {{ edges {{ node {{ id }} }} }} }}"""
    res = await api.as_role(region, ADMIN, q, {"s": evil})
    assert compiled_ran(res)
    statement = next(s for s in res.sql if "json_build_object" in s)
    assert evil not in statement and evil_alias() not in statement
    assert region.employees["head"].name not in statement


def evil_alias() -> str:
    return "zz_alias_in_the_text"


async def test_over_http_with_the_gql_client(region, settings, redis):
    from tests.clients.conftest import live_server

    async with live_server(settings) as server:
        transport = HTTPXAsyncTransport(
            url=server.http_url,
            headers={"authorization": f"Bearer {region.token(SUPERVISOR, settings)}"},
            timeout=30,
        )
        async with Client(transport=transport) as session:
            request = gql(EVERYTHING)
            request.variable_values = {"first": 2, "order": {"field": "NAME"}}
            result = await session.execute(request)
    page = result["employees"]
    assert [e["node"]["name"] for e in page["edges"]] == sorted(
        e["node"]["name"] for e in page["edges"]
    )
    assert page["pageInfo"]["hasNextPage"] is True  # chief, staff1, staff2: three
    # The supervisor sees their own contacts on their people's supervisor, not the head's.
    emails = {e["node"]["supervisor"]["email"] for e in page["edges"]}
    assert emails <= {None, region.employees["chief"].email} and len(emails) == 2


# --- trainingAssignments: the officer's list ------------------------------------------------

OFFICER_LIST = """query($f: TrainingAssignmentFilter, $first: Int, $after: String) {
  trainingAssignments(filter: $f, first: $first, after: $after) { __typename
    edges { cursor node { id status reason reasonValue waitingPosition predikat evaluationId
      periodId certificateRef completedAt createdAt
      employee { id nip name email phone unitId unitName }
      programme { id title jpHours mode trainingUnitId } batch { id name startsOn endsOn } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def test_the_officers_list_and_other_roles(api, ordinary, region_a):
    from kinerja_saas.training.assignment import assign_for_period
    from tenants.context import tenant_transaction
    from tests.training.helpers import build_catalogue, finalised_reports

    await build_catalogue(region_a, capacity=2)
    await finalised_reports(region_a, count=3, predikat="SANGAT_KURANG")
    async with tenant_transaction(region_a.id):
        await assign_for_period(period_id=region_a.period.id)
    res = await same(api, ordinary, region_a, OFFICER, OFFICER_LIST, {"first": 100})
    edges = res.data["trainingAssignments"]["edges"]
    assert len(edges) == 3 and {e["node"]["batch"] is None for e in edges} == {True, False}
    after, seen = None, []
    for _ in range(5):  # pages of two
        res = await same(
            api, ordinary, region_a, OFFICER, OFFICER_LIST, {"first": 2, "after": after}
        )
        page = res.data["trainingAssignments"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [e["node"]["id"] for e in edges]
    for status in ("WAITING", "ASSIGNED", "COMPLETED"):
        await same(api, ordinary, region_a, OFFICER, OFFICER_LIST, {"f": {"status": status}})
    # Not an officer: refused by the ordinary path, as ever.
    for role in (ADMIN, SUPERVISOR, EMPLOYEE):
        res = await same(api, ordinary, region_a, role, OFFICER_LIST, compiled=False)
        assert res.codes == ["FORBIDDEN"]


async def test_the_officers_list_reads_its_unit_in_the_one_statement(
    api, ordinary, region_a, owner_conn
):
    """The officer's training unit is looked up inside the page's statement (no query before
    it); a login whose unit is taken away gets null from that statement and the ordinary
    path's refusal, never an empty page."""
    from kinerja_saas.training.assignment import assign_for_period
    from tenants.context import tenant_transaction
    from tests.training.helpers import build_catalogue, finalised_reports

    await build_catalogue(region_a, capacity=2)
    await finalised_reports(region_a, count=3, predikat="SANGAT_KURANG")
    async with tenant_transaction(region_a.id):
        await assign_for_period(period_id=region_a.period.id)
    res = await same(api, ordinary, region_a, OFFICER, OFFICER_LIST, {"first": 100})
    assert len(res.data["trainingAssignments"]["edges"]) == 3
    # The region's setting, then the page: nothing reads training_officers on its own.
    assert res.statements == 2, res.sql
    (statement,) = [s for s in res.sql if "training_officers" in s]
    assert "json_build_object" in statement
    await owner_conn.execute("DELETE FROM training_officers WHERE tenant_id = $1", region_a.id)
    res = await same(api, ordinary, region_a, OFFICER, OFFICER_LIST, {"first": 100})
    assert res.codes == ["FORBIDDEN"]


# --- unit(id): the subtree ---------------------------------------------------------------------

UNIT = """query($id: ID!) { unit(id: $id) { __typename id code name kind depth isActive parentId
  parent { id name parent { id } }
  children { id name kind children { id name children { id } } } } }"""


@pytest.mark.parametrize("role", ROLES)
async def test_a_unit_and_its_subtree(api, ordinary, region, region_b, owner_conn, role):
    units = region.units
    # Two sub-units of the same name (the order falls to the id), one inactive (not listed).
    for code, active in (("SAMA-2", True), ("SAMA-1", True), ("MATI", False)):
        await owner_conn.execute(
            "INSERT INTO org_units (tenant_id, parent_id, code, name, kind, path, depth,"
            " is_active, created_at, updated_at) SELECT tenant_id, id, $2::text, 'Seksi Sama', 'SUBBIDANG',"
            " path || $2::text || '/', depth + 1, $3, now(), now() FROM org_units WHERE id = $1",
            units["a"].id,
            code,
            active,
        )
    for unit in ("dinas", "a", "b"):
        res = await same(api, ordinary, region, role, UNIT, {"id": str(units[unit].id)})
        assert res.data["unit"]["id"] == str(units[unit].id)
    res = await same(api, ordinary, region, role, UNIT, {"id": str(units["dinas"].id)})
    bidang_a = next(c for c in res.data["unit"]["children"] if c["name"] == "Bidang A")
    assert [c["name"] for c in bidang_a["children"]] == ["Seksi Sama", "Seksi Sama"]
    # Another region's unit, or none: null from both paths.
    for foreign in (str(region_b.units["dinas"].id), "999999999"):
        res = await same(api, ordinary, region, role, UNIT, {"id": foreign})
        assert res.data["unit"] is None
    res = await same(api, ordinary, region, role, UNIT, {"id": "x"}, compiled=False)
    assert res.codes == ["INVALID_ID"]


# --- the plans' store ---------------------------------------------------------------------------


def test_plans_are_kept_per_document_operation_and_directive_values():
    from graphql import parse

    from kinerja_saas.settings import Settings
    from schema.compiled import PlanStore, plan_of
    from schema.schema import build_schema

    schema = build_schema(Settings(env="dev"))._schema
    query = "query($x: Boolean!) { employees { edges { node { id birthDate @include(if: $x) } } } }"
    document = parse(query)
    store = PlanStore(max_entries=2)
    for flag, compilable in ((True, False), (False, True)):
        seen: dict = {}
        try:
            plan = plan_of(schema, document, document.definitions[0], {"x": flag}, seen)
        except Exception:
            plan = None
        assert (plan is not None) is compilable and seen == {"x": flag}
        store.keep(query, None, seen, plan)
    # Each value of the flag has its own answer; other documents, other entries.
    assert store.get(query, None, {"x": True}) == (True, None)
    found, plan = store.get(query, None, {"x": False})
    assert found and plan is not None
    assert store.get(query, "Other", {"x": False}) == (False, None)
    store.keep("{ a }", None, {}, None)
    store.keep("{ b }", None, {}, None)
    assert len(store._plans) == 2 and store.get(query, None, {"x": False}) == (False, None)


async def test_a_directive_decides_between_the_paths(api, ordinary, region):
    query = "query($x: Boolean!) { employees { edges { node { id birthDate @include(if: $x) } } } }"
    await same(api, ordinary, region, ADMIN, query, {"x": True}, compiled=False)
    await same(api, ordinary, region, ADMIN, query, {"x": False})
    await same(api, ordinary, region, ADMIN, query, {"x": True}, compiled=False)


# --- plan(id): the plan, its results and indicators ---------------------------------------------

PLAN = """query($id: ID!) { plan(id: $id) { __typename id periodId employeeId unitId evaluatorId
  evaluatorSupervisorId status returnReason revision submittedAt approvedAt updatedAt
  employee { id name email phone unit { id name } supervisor { id name email phone } }
  evaluator { id name email supervisor { id email } }
  unit { id name parent { id name } }
  results { __typename id kind text supportsResultId indicators { __typename id text aspect
    target unit direction weight source sourceUnitId sourceServiceId targetKind } } } }"""
# bench.peer's third shape (bench/peer.py EMPLOYEE_PLAN).
EMPLOYEE_PLAN = """query EmployeePlan($employee: ID!, $plan: ID!) { employee(id: $employee) {
  id nip name position unit { id name } } plan(id: $plan) { id status results { id kind text
  indicators { id text aspect target unit weight } } } }"""


@pytest.fixture
async def planned(region, owner_conn, settings):
    """Region A with three plans: staff1's approved by chief (a result supporting one of
    chief's, odd texts, targets at the edges of numeric(16,4)), chief's returned by head
    (reason with quotes), staff1's results and indicators in positions against their ids'
    order, staff2's draft whose evaluator became `other` and has no reviewer
    (chief then sees it only up the supervision chain). Returns the plans' ids by owner."""
    from kinerja_saas.performance import plans
    from tenants.context import tenant_transaction
    from tests.factories import person, plan_results

    ids: dict[str, int] = {}
    async with tenant_transaction(region.id):
        for key in ("chief", "staff1", "staff2"):
            plan = await plans.save_plan(
                actor=person(region, key), period_id=region.period.id, results=plan_results()
            )
            ids[key] = plan.id
        await plans.submit_plan(actor=person(region, "staff1"), plan_id=ids["staff1"])
        await plans.approve_plan(actor=person(region, "chief"), plan_id=ids["staff1"])
        await plans.submit_plan(actor=person(region, "chief"), plan_id=ids["chief"])
        await plans.return_plan(
            actor=person(region, "head"), plan_id=ids["chief"], reason='Perbaiki "target" — ñ\n'
        )
    await owner_conn.execute(
        "UPDATE plan_results SET supports_result_id = (SELECT min(id) FROM plan_results"
        " WHERE plan_id = $2) WHERE plan_id = $1",
        ids["staff1"],
        ids["chief"],
    )
    await owner_conn.execute(
        "UPDATE indicators SET text = $2, target = CASE WHEN position = 0 THEN 0.0001"
        " WHEN position = 1 THEN 99999999999.9999 ELSE 7 END,"
        " weight = CASE WHEN position = 0 THEN 40.5 ELSE weight END WHERE plan_id = $1",
        ids["staff1"],
        'Izin "terbit" \\ çağ\t😀',
    )
    # Positions against the ids' order: the order read is the positions'.
    for table, top in (("plan_results", 1), ("indicators", 10)):
        await owner_conn.execute(
            f"UPDATE {table} SET position = $2 - position WHERE plan_id = $1", ids["staff1"], top
        )
    await owner_conn.execute(
        "UPDATE plans SET evaluator_id = $2, evaluator_supervisor_id = NULL WHERE id = $1",
        ids["staff2"],
        region.employees["other"].id,
    )
    return ids


# Who sees which plan (access.relations_to): the owner, the evaluator, the evaluator's
# supervisor, the region admin, anyone up the supervision chain.
PLAN_VIEWERS = {
    "staff1": {ADMIN, SUPERVISOR, EMPLOYEE},  # owner, evaluator chief, reviewer/admin head
    "chief": {ADMIN, SUPERVISOR},  # head evaluates; staff1 and other are unrelated
    "staff2": {ADMIN, SUPERVISOR, OFFICER},  # chief: up the chain; other: its evaluator now
}


@pytest.mark.parametrize("role", ROLES)
async def test_a_plan_for_every_viewer(api, ordinary, region, planned, role):
    for owner, viewers in PLAN_VIEWERS.items():
        variables = {"id": str(planned[owner])}
        sees = role in viewers
        # Seen: one statement; not seen: visible_plan refuses, and the ordinary path answers
        # its NOT_FOUND.
        res = await same(api, ordinary, region, role, PLAN, variables, compiled=sees)
        if sees:
            plan = res.data["plan"]
            assert plan["id"] == variables["id"] and len(plan["results"]) == 2
            assert plan["employee"]["email"] is None  # never contacts through a plan
        else:
            assert res.codes == ["NOT_FOUND"] and res.errors[0]["path"] == ["plan"]
        variables = {"employee": str(region.employees[owner].id), "plan": str(planned[owner])}
        # The statement runs where the plan's check passed; an employee it finds invisible
        # (null) sends the document to the ordinary path, for its NOT_FOUND.
        res = await same(api, ordinary, region, role, EMPLOYEE_PLAN, variables, compiled=sees)
        assert bool(res.errors) is not (sees and _sees(role, owner))


async def test_a_plans_values_as_the_ordinary_path_sends_them(api, ordinary, region, planned):
    res = await same(api, ordinary, region, ADMIN, PLAN, {"id": str(planned["staff1"])})
    plan = res.data["plan"]
    targets = [i["target"] for r in plan["results"] for i in r["indicators"]]
    assert targets == ["7.0000", "99999999999.9999", "0.0001"]  # by position, reversed
    assert plan["results"][1]["indicators"][1]["weight"] == "40.50"
    assert plan["status"] == "APPROVED" and plan["approvedAt"] and plan["evaluator"]["name"]
    assert all(r["supportsResultId"] for r in plan["results"])
    # The evaluator's supervisor: the admin sees everyone's contacts there (the Employee
    # rule), though never the evaluator's own (reached through the plan).
    assert plan["evaluator"]["email"] is None and plan["evaluator"]["supervisor"]["email"]
    res = await same(api, ordinary, region, SUPERVISOR, PLAN, {"id": str(planned["chief"])})
    assert res.data["plan"]["returnReason"].startswith('Perbaiki "target"')
    res = await same(api, ordinary, region, ADMIN, PLAN, {"id": str(planned["staff2"])})
    assert res.data["plan"]["evaluatorSupervisorId"] is None


async def test_a_plan_seen_by_an_acting_head_only_while_acting(
    api, ordinary, region, planned, settings
):
    from tests.performance.test_acting_officials import APPOINT, _appointment
    from tests.performance.walks import login, today_of

    acting = await login(region, "staff2", settings)
    variables = {"id": str(planned["staff1"])}
    res = await same_as(api, ordinary, acting, PLAN, variables, compiled=False)
    assert res.codes == ["NOT_FOUND"]
    today = await today_of(region)
    r = await api.as_role(
        region,
        ADMIN,
        APPOINT,
        _appointment(region, "staff2", "a", today - timedelta(days=1), today + timedelta(3)),
    )
    assert r.data["appointActing"]["errors"] == []
    res = await same_as(api, ordinary, acting, PLAN, variables)
    assert res.data["plan"]["id"] == variables["id"]


async def test_a_plan_of_another_region_and_an_operator(
    api, ordinary, region, region_b, planned, make_operator, settings
):
    from kinerja_saas.auth.service import _operator_actor
    from kinerja_saas.auth.tokens import issue_pair
    from tenants.models import PlatformOperator

    # Region B's admin, with region A's plan ids: not found, from the ordinary path.
    for plan_id in planned.values():
        res = await same(api, ordinary, region_b, ADMIN, PLAN, {"id": str(plan_id)}, compiled=False)
        assert res.codes == ["NOT_FOUND"]
    operator_id = await make_operator(f"op-cplan-{planned['staff1']}@platform.test")
    token = issue_pair(
        _operator_actor(await PlatformOperator.get(id=operator_id)),
        token_version=1,
        secret=settings.jwt_secret or "",
        access_ttl=600,
        refresh_ttl=600,
    ).access_token
    res = await same_as(api, ordinary, token, PLAN, {"id": str(planned["staff1"])}, compiled=False)
    assert res.errors and res.body["data"] is None  # an operator reads no region's plans


async def test_the_compiled_plan_is_three_statements(api, ordinary, region, planned):
    """The region, the resolver's visibility check (visible_plan: the plan's row; the
    owner and the admin need no more), and the statement answering both roots."""
    variables = {"employee": str(region.employees["staff1"].id), "plan": str(planned["staff1"])}
    for role in (ADMIN, EMPLOYEE):
        res = await api.as_role(region, role, EMPLOYEE_PLAN, variables)
        assert res.statements == 3 and compiled_ran(res), res.sql
        statement = next(s for s in res.sql if "json_build_object" in s)
        assert "plan_results" in statement and "indicators" in statement
        # The ordinary path: the employee, its unit, the plan, its results, its indicators.
        slow = await ordinary(EMPLOYEE_PLAN, variables, token=region.token(role, api.settings))
        assert slow.statements == 6, slow.sql


@pytest.mark.parametrize(
    "selection",
    [
        "weightTotal",
        "achievement",
        "approvalSignature { employeeId }",
        "results { indicators { checkpointTargets } }",
        "results { indicators { realisations { id } } }",
        "dialog { id }",
        "employee { birthDate }",
    ],
)
async def test_plan_fields_without_a_twin_fall_back(api, ordinary, region, planned, selection):
    query = f"query($id: ID!) {{ plan(id: $id) {{ id {selection} }} }}"
    await same(api, ordinary, region, ADMIN, query, {"id": str(planned["staff1"])}, compiled=False)


MY_PLAN = """query($p: ID!) { myPlan(periodId: $p) { id status employeeId employee { id name email }
  results { id text indicators { id target weight } } } }"""


@pytest.mark.parametrize("role", ROLES)
async def test_my_plan_found_or_not(api, ordinary, region, region_b, planned, role):
    """myPlan: the viewer's own plan, compiled; none (head, other), another region's period
    or a bad id: the ordinary path's null or error."""
    has_plan = role in (SUPERVISOR, EMPLOYEE)  # chief, staff1
    res = await same(
        api, ordinary, region, role, MY_PLAN, {"p": str(region.period.id)}, compiled=has_plan
    )
    mine = res.data["myPlan"]
    owner = {SUPERVISOR: "chief", EMPLOYEE: "staff1"}.get(role)
    assert (mine and mine["id"]) == (str(planned[owner]) if owner else None)
    res = await same(
        api, ordinary, region, role, MY_PLAN, {"p": str(region_b.period.id)}, compiled=False
    )
    assert res.data["myPlan"] is None
    res = await same(api, ordinary, region, role, MY_PLAN, {"p": "x"}, compiled=False)
    assert res.codes == ["INVALID_ID"]
