"""Attacks on the compiled read path (schema/compiled.py): documents, variables, cursors,
ids and viewers chosen to make the compiled answer differ from the ordinary executor's,
leak a row or a contact, fail with a 500, or put client input into the statement's text.

Every request runs on both paths (tests/compiled/test_compiled.py's `same`); where the
compiled path may or may not take a document, `both` compares without pinning that."""

from __future__ import annotations

import base64
import json

import pytest

from kinerja_saas.database_client import count_statements
from tests.compiled.test_compiled import (
    ADMIN,
    EMPLOYEE,
    EVERYTHING,
    OFFICER,
    ONE,
    PLAN,
    PLAN_VIEWERS,
    ROLES,
    SUPERVISOR,
    compiled_ran,
    ordinary,  # noqa: F401  (fixture)
    planned,  # noqa: F401  (fixture)
    region,  # noqa: F401  (fixture)
    same,
)
from tests.conftest import GraphQLResult


async def both(api, ordinary, region, role, query, variables=None, operation=None):  # noqa: F811
    """Both paths' bodies, equal as JSON text; whether the compiled path ran is returned."""
    token = region.token(role, api.settings)
    fast = await _post(api, query, variables, token, operation)
    slow = await _post(ordinary, query, variables, token, operation)
    assert fast.status == slow.status, (fast.body, slow.body)
    assert json.dumps(fast.body) == json.dumps(slow.body)
    assert fast.status < 500
    return fast, compiled_ran(fast)


async def _post(client, query, variables, token, operation) -> GraphQLResult:
    body = {"query": query, "variables": variables or {}}
    if operation:
        body["operationName"] = operation
    with count_statements(keep_texts=True) as counter:
        response = await client.client.post(
            "/graphql", json=body, headers={"authorization": f"Bearer {token}"}
        )
    return GraphQLResult(response.status_code, response.json(), counter.count, counter.texts)


def cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


CONTACTS = """query { employees(first: 100) { edges { node { id email phone
  supervisor { id email phone supervisor { id email phone supervisor { id email } } } } } } }"""


async def test_one_plan_for_every_viewer_in_turn(api, ordinary, region):  # noqa: F811
    """The same document from an admin, then lesser roles, then the admin again: the plan is
    shared, the rows and the supervisors' contacts are each viewer's own."""
    served = {}
    for role in (ADMIN, SUPERVISOR, EMPLOYEE, OFFICER, ADMIN, EMPLOYEE):
        res = await same(api, ordinary, region, role, CONTACTS)
        served.setdefault(role, json.dumps(res.body))
        assert json.dumps(res.body) == served[role]
    assert len(set(served.values())) >= 3  # the viewers do see different things


NESTED_FLAGS = """query($a: Boolean!, $b: Boolean!) { employees(first: 50) { edges { node {
  id supervisor @include(if: $a) { id email @include(if: $b) phone @skip(if: $b) }
  name @skip(if: $b) } } } }"""


@pytest.mark.parametrize("role", (ADMIN, EMPLOYEE))
async def test_directive_variables_read_only_inside_an_included_field(api, ordinary, region, role):  # noqa: F811
    """$b is read only when $a includes the supervisor: the store's key changes shape
    between requests; every combination, in an order that revisits each, answers right."""
    for a, b in (
        (False, True),
        (True, True),
        (False, False),
        (True, False),
        (False, True),
        (True, True),
        (True, False),
    ):
        await same(api, ordinary, region, role, NESTED_FLAGS, {"a": a, "b": b})


async def test_directive_variables_with_defaults_and_nulls(api, ordinary, region):  # noqa: F811
    query = """query($a: Boolean = true) { employees(first: 5) { edges { node {
      id email @include(if: $a) } } } }"""
    for variables in ({}, {"a": False}, {"a": True}, {}, {"a": None}, {"a": "yes"}, {"a": 1}):
        await both(api, ordinary, region, ADMIN, query, variables)


MANY = """query Fast { employees(first: 3) { edges { node { id name email } } } }
query Slow { employees(first: 3) { totalCount edges { node { id } } } }
query One($id: ID!) { employee(id: $id) { id email supervisor { email } } }
mutation Write { __typename }"""


async def test_several_operations_and_the_operation_name(api, ordinary, region):  # noqa: F811
    variables = {"id": str(region.employees["staff1"].id)}
    res, ran = await both(api, ordinary, region, SUPERVISOR, MANY, variables, "Fast")
    assert ran, res.body
    _, ran = await both(api, ordinary, region, SUPERVISOR, MANY, variables, "Slow")
    assert not ran
    await both(api, ordinary, region, SUPERVISOR, MANY, variables, "One")
    for name in ("Write", "Nope", None):
        _, ran = await both(api, ordinary, region, SUPERVISOR, MANY, variables, name)
        assert not ran


@pytest.mark.parametrize(
    "query",
    [
        # Introspection beside a compilable root, and __typename at the root.
        "{ __schema { queryType { name } } employees(first: 2) { edges { node { id } } } }",
        "{ __typename employees(first: 2) { edges { node { id } } } }",
        "{ employees(first: 2) { edges { node { id __type: __typename } } } }",
        # __typename everywhere it may stand.
        """{ employees(first: 2) { __typename pageInfo { __typename } edges { __typename
           node { __typename unit { __typename } supervisor { __typename } } } } }""",
        # The same root twice under one key (merged), and under two keys with other arguments.
        "{ employees(first: 1) { edges { node { id } } } employees(first: 1) { edges { node { name } } } }",
        """{ x: employees(first: 1) { edges { node { id } } }
           y: employees(first: 2, orderBy: {field: NIP}) { edges { node { id email } } } }""",
        # One field asked twice with different sub-selections, merged.
        """{ employees(first: 20) { edges { node { supervisor { id } supervisor { email name }
           s: supervisor { phone } } } } }""",
        # Fragments nested in fragments, on the connection, the edge and the node.
        """{ employees(first: 5) { ...C } } fragment C on EmployeeConnection { edges { ...E } }
           fragment E on EmployeeEdge { node { ...N ...N } cursor }
           fragment N on Employee { id ... on Employee { ... on Employee { email } } }""",
        # A fragment on a type the field is not: refused by validation on both paths.
        "{ employees(first: 5) { edges { node { ... on Unit { id } } } } }",
        # An unknown directive, a directive with a non-boolean literal.
        "{ employees(first: 5) { edges { node { id @deprecated } } } }",
        '{ employees(first: 5) { edges { node { id @include(if: "true") } } } }',
        # A nested field given an argument it does not have.
        "{ employees(first: 5) { edges { node { unit(id: 1) { id } } } } }",
    ],
)
@pytest.mark.parametrize("role", (ADMIN, SUPERVISOR, EMPLOYEE))
async def test_odd_documents(api, ordinary, region, role, query):  # noqa: F811
    await both(api, ordinary, region, role, query)


PAGE_VARS = """query($first: Int, $after: String, $order: EmployeeOrder, $filter: EmployeeFilter) {
  employees(first: $first, after: $after, orderBy: $order, filter: $filter) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name nip } } } }"""


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 0},
        {"first": -1},
        {"first": 2**31 - 1},
        {"first": 2**31},
        {"first": "10"},
        {"first": 1.5},
        {"first": None},
        {"order": {"field": "NAME", "direction": "SIDEWAYS"}},
        {"order": "NAME"},
        {"filter": {"unitId": "abc"}},
        {"filter": {"unitId": "-1"}},
        {"filter": {"unitId": "99999999999999999999"}},
        {"filter": {"unitId": "1e3"}},
        {"filter": {"supervisorId": "0"}},
        {"filter": {"search": "%"}},
        {"filter": {"search": "_"}},
        {"filter": {"search": "\\"}},
        {"filter": {"search": "'); DROP TABLE employees; --"}},
        {"filter": {"search": "a" * 10_000}},
        {"filter": {"search": "a\x00b"}},
    ],
)
async def test_page_arguments_a_client_forges(api, ordinary, region, variables):  # noqa: F811
    for role in (ADMIN, SUPERVISOR):
        await both(api, ordinary, region, role, PAGE_VARS, variables)


@pytest.mark.parametrize(
    "forged",
    [
        "garbage",
        "",
        "!!!!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b"{}").decode(),
        cursor("A", 1),  # no tag
        cursor("A", 1, "NIP:ASC"),  # another ordering's tag
        cursor("A", 1, "NAME:DESC"),
        cursor("A", "1", "NAME:ASC"),  # the id as a string
        cursor("A", -1, "NAME:ASC"),
        cursor("A", 2**63, "NAME:ASC"),
        cursor(None, 1, "NAME:ASC"),  # values of the wrong type for a text column
        cursor(5, 1, "NAME:ASC"),
        cursor(1.5, 1, "NAME:ASC"),
        cursor(True, 1, "NAME:ASC"),
        cursor({"ts": "2020-01-01T00:00:00+00:00"}, 1, "NAME:ASC"),
        cursor({"ts": "not a date"}, 1, "NAME:ASC"),
        cursor(["nested"], 1, "NAME:ASC"),
        cursor("Z" * 5000, 1, "NAME:ASC"),
        cursor("a\x00b", 1, "NAME:ASC"),
        cursor("A", 1, "training-assignments"),
    ],
)
async def test_forged_cursors(api, ordinary, region, forged):  # noqa: F811
    variables = {"first": 2, "after": forged, "order": {"field": "NAME"}}
    for role in (ADMIN, EMPLOYEE):
        await both(api, ordinary, region, role, PAGE_VARS, variables)


async def test_a_cursor_from_another_region_or_viewer(api, ordinary, region, region_b):  # noqa: F811
    """Another region's (or a wider viewer's) cursor only positions the page: the rows are
    still the viewer's own."""
    variables = {"first": 1, "order": {"field": "NAME"}}
    res, _ = await both(api, ordinary, region_b, ADMIN, PAGE_VARS, variables)
    theirs = res.data["employees"]["pageInfo"]["endCursor"]
    res, _ = await both(api, ordinary, region, ADMIN, PAGE_VARS, variables)
    admins = res.data["employees"]["pageInfo"]["endCursor"]
    for after in (theirs, admins):
        for role in (ADMIN, SUPERVISOR, EMPLOYEE):
            await same(api, ordinary, region, role, PAGE_VARS, {**variables, "after": after})


@pytest.mark.parametrize(
    "variables",
    [
        {"id": "abc"},
        {"id": "-1"},
        {"id": "0"},
        {"id": "99999999999999999999"},
        {"id": " 1"},
        {"id": 12},
        {"id": None},
        {},
    ],
)
async def test_bad_ids_for_one_employee(api, ordinary, region, variables):  # noqa: F811
    for role in (ADMIN, EMPLOYEE):
        await both(api, ordinary, region, role, ONE, variables)


async def test_one_employee_outside_the_subtree_beside_a_page(api, ordinary, region, region_b):  # noqa: F811
    """Two roots in one statement: an invisible `employee` must not be answered from the
    page's rows, nor the page widened by the other root's predicate."""
    query = """query($id: ID!) { employees(first: 50) { edges { node { id email } } }
      employee(id: $id) { id email } }"""
    for key in ("chief", "head", "staff1", "other"):
        for role in (SUPERVISOR, EMPLOYEE):
            await both(api, ordinary, region, role, query, {"id": str(region.employees[key].id)})
    await both(api, ordinary, region, ADMIN, query, {"id": str(region_b.employees["chief"].id)})
    query = """query($a: ID!, $b: ID!) { a: employee(id: $a) { id email }
      b: employee(id: $b) { id email } }"""
    ids = [str(region.employees[k].id) for k in ("staff1", "chief")]
    for role in ROLES:
        await both(api, ordinary, region, role, query, {"a": ids[0], "b": ids[1]})


async def test_control_characters_and_inactive_rows(api, ordinary, region, owner_conn):  # noqa: F811
    """Names PostgreSQL and orjson might escape differently; an inactive employee and an
    inactive unit stay as the ordinary path shows them."""
    await owner_conn.execute(
        "UPDATE employees SET name = $1, is_active = false WHERE id = $2",
        "A\x01\x0b\x1f\x7f\u2028\u2029\ufeff<script>/</b>",
        region.employees["staff2"].id,
    )
    await owner_conn.execute(
        "UPDATE org_units SET is_active = false, name = 'b\x08kecil' WHERE id = $1",
        region.units["b"].id,
    )
    for role in ROLES:
        await same(api, ordinary, region, role, EVERYTHING, {"first": 100})
        await both(api, ordinary, region, role, PAGE_VARS, {"filter": {"active": False}})
        await both(
            api,
            ordinary,
            region,
            role,
            "query($id: ID!) { unit(id: $id) { id name isActive children { id name } parent { id isActive children { id name } } } }",
            {"id": str(region.units["b"].id)},
        )


async def test_a_nul_in_a_text_cursor_is_refused_before_any_sql(api, ordinary, region):  # noqa: F811
    """PostgreSQL's text cannot hold a NUL: a NAME cursor carrying one is the client's
    error (INVALID_CURSOR on `after`) on both paths, refused before the page's statement
    runs, never a masked failure of PostgreSQL's."""
    bad = {"first": 2, "after": cursor("a\x00b", 1, "NAME:ASC"), "order": {"field": "NAME"}}
    for role in (ADMIN, EMPLOYEE):
        token = region.token(role, api.settings)
        for client in (api, ordinary):
            res = await _post(client, PAGE_VARS, bad, token, None)
            assert res.status == 200 and res.codes == ["INVALID_CURSOR"], res.body
            assert res.errors[0]["path"] == ["employees"]
            assert res.errors[0]["extensions"]["field"] == "after"
            assert not [s for s in res.sql if "employees" in s], res.sql  # no page statement
    res, _ = await both(api, ordinary, region, EMPLOYEE, PAGE_VARS, bad)
    assert res.codes == ["INVALID_CURSOR"]


async def test_a_failing_statement_closes_the_transaction_and_is_masked(
    api,
    region,  # noqa: F811
    owner_conn,
    monkeypatch,
):
    """A compiled statement that fails in PostgreSQL (here: every text column read as an
    integer, which the names are not) must end as a resolver's failure would: rolled back,
    the region's slot and the connection given back (else a few such requests lock the
    region out: BUSY), the driver's message masked."""
    from kinerja_saas.db import json_select

    token = region.token(EMPLOYEE, api.settings)
    monkeypatch.setitem(json_select.KINDS, "text", "({c})::int")
    for _ in range(3):
        res = await _post(api, PAGE_VARS, {"first": 2}, token, None)
        assert res.codes == [None] and res.body["data"] is None
        assert "integer" not in json.dumps(res.body) and "syntax" not in json.dumps(res.body)
        assert res.errors[0]["path"] == ["employees"]
        assert any("::int" in s for s in res.sql)  # the statement did reach PostgreSQL
    idle = await owner_conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
    )
    assert idle == 0
    monkeypatch.undo()
    res = await _post(api, PAGE_VARS, {"first": 2}, token, None)
    assert res.data["employees"]["edges"]


TRAINING = """query($after: String, $first: Int) { trainingAssignments(first: $first, after: $after) {
  pageInfo { hasNextPage endCursor } edges { cursor node { id status employee { id email } } } } }"""


@pytest.mark.parametrize("role", ROLES)
async def test_training_assignments_with_forged_pages(api, ordinary, region, role):  # noqa: F811
    for variables in (
        {"first": -1},
        {"first": 10**6},
        {"after": "garbage"},
        {"after": cursor(None, 1, "NAME:ASC")},
        {"after": cursor("x", 1, "training-assignments")},
        {"after": cursor(None, 2**62, "training-assignments")},
        {"after": cursor(None, -5, "training-assignments")},
    ):
        await both(api, ordinary, region, role, TRAINING, variables)


@pytest.mark.parametrize(
    ("order", "value"),
    [
        ("NAME", 5),
        ("NAME", 1.5),
        ("NAME", True),
        ("NAME", None),
        ("NIP", {"ts": "2020-01-01T00:00:00+00:00"}),
        ("CREATED_AT", "2020-01-01"),
        ("CREATED_AT", 5),
    ],
)
async def test_a_cursor_value_of_the_wrong_type_is_the_clients_error(
    api,
    ordinary,  # noqa: F811
    region,  # noqa: F811
    order,
    value,
):
    """Not a statement failing in the driver (an unexpected error, logged as a bug): the
    cursor's error, on both paths."""
    forged = cursor(value, 1, f"{order}:ASC")
    variables = {"first": 2, "after": forged, "order": {"field": order}}
    for role in (ADMIN, EMPLOYEE):
        res = await same(api, ordinary, region, role, PAGE_VARS, variables, compiled=False)
        assert res.codes == ["INVALID_CURSOR"]


MIXED = """query($id: ID!, $unit: ID!) {
  t: trainingAssignments(first: 5) { edges { node { id employee { id email } } } }
  e: employees(first: 50, filter: {active: true}) { edges { node { id email } } }
  one: employee(id: $id) { id email supervisor { email } }
  u: unit(id: $unit) { id children { id } }
  t2: trainingAssignments(first: 1) { pageInfo { hasNextPage } } }"""


@pytest.mark.parametrize("role", ROLES)
async def test_every_root_in_one_statement(api, ordinary, region, region_b, role):  # noqa: F811
    """The roots share one builder (and its WHERE list): each keeps its own predicate."""
    for key in ("chief", "staff1"):
        variables = {"id": str(region.employees[key].id), "unit": str(region.units["a"].id)}
        await both(api, ordinary, region, role, MIXED, variables)
    variables = {"id": str(region.employees["staff1"].id), "unit": str(region_b.units["a"].id)}
    await both(api, ordinary, region, role, MIXED, variables)
    # Without the officer's root (refused for other roles) the rest compiles for everyone.
    query = MIXED.replace(
        "t: trainingAssignments(first: 5) { edges { node { id employee { id email } } } }", ""
    ).replace("t2: trainingAssignments(first: 1) { pageInfo { hasNextPage } }", "")
    for key in ("chief", "staff1"):
        variables = {"id": str(region.employees[key].id), "unit": str(region.units["a"].id)}
        _, ran = await both(api, ordinary, region, role, query, variables)
        assert ran or role != ADMIN


# --- plan(id) composed with everything else ----------------------------------------------------

PLANS_COMPOSED = """query($mine: ID!, $theirs: ID!, $emp: ID!, $x: Boolean!) {
  a: plan(id: $mine) { ...P r: results { ...R } }
  b: plan(id: $theirs) { id s: status ... on Plan { employee { id email } } }
  e: employee(id: $emp) { id email supervisor { id email } }
  es: employees(first: 3) { edges { node { id } } }
  u: unit(id: $emp) { id }
  c: plan(id: $mine) @include(if: $x) { id evaluator { id name email phone } }
}
fragment P on Plan { id status employeeId evaluatorId employee { id name email phone
  supervisor { id email phone } } unit { id } }
fragment R on WorkResult { id kind k2: kind i: indicators { ... on Indicator { id target } t: text
  weight } indicators { id aspect } }"""


@pytest.mark.parametrize("role", ROLES)
async def test_plans_composed_with_aliases_fragments_and_other_roots(
    api,
    ordinary,  # noqa: F811
    region,  # noqa: F811
    planned,  # noqa: F811
    role,
):
    """Two plans (the viewer's or not) under aliases and fragments beside every other root:
    where any plan is refused the whole document is the ordinary path's (its NOT_FOUND);
    where all are seen, one statement."""
    for mine in planned:
        for theirs in planned:
            for flag in (True, False):
                variables = {
                    "mine": str(planned[mine]),
                    "theirs": str(planned[theirs]),
                    "emp": str(region.employees[mine].id),
                    "x": flag,
                }
                res, ran = await both(api, ordinary, region, role, PLANS_COMPOSED, variables)
                seen = role in PLAN_VIEWERS[mine] and role in PLAN_VIEWERS[theirs]
                assert ran is seen
                if seen and not res.errors:
                    a = res.body["data"]["a"]
                    assert a["employee"]["email"] is None and a["r"][0]["i"]


@pytest.mark.parametrize("role", (ADMIN, SUPERVISOR, EMPLOYEE))
async def test_plan_ids_a_client_forges(
    api,
    ordinary,  # noqa: F811
    region,  # noqa: F811
    region_b,
    planned,  # noqa: F811
    owner_conn,
    role,
):
    """Another region's plan (region B's admin owns one), a deleted plan, the id of a work
    result or an indicator (other tables), ids that are not ids: never compiled, each the
    ordinary path's typed error."""
    from kinerja_saas.performance import plans
    from tenants.context import tenant_transaction
    from tests.factories import person, plan_results

    async with tenant_transaction(region_b.id):
        foreign = await plans.save_plan(
            actor=person(region_b, "staff1"), period_id=region_b.period.id, results=plan_results()
        )
    result_id = await owner_conn.fetchval(
        "SELECT min(id) FROM plan_results WHERE plan_id = $1", planned["staff1"]
    )
    indicator_id = await owner_conn.fetchval(
        "SELECT min(id) FROM indicators WHERE plan_id = $1", planned["staff1"]
    )
    deleted = planned["chief"]
    for table in ("indicators", "plan_results"):
        await owner_conn.execute(f"DELETE FROM {table} WHERE plan_id = $1", deleted)
    await owner_conn.execute("DELETE FROM plans WHERE id = $1", deleted)
    for plan_id in (foreign.id, deleted, result_id, indicator_id, 999_999_999):
        res = await same(api, ordinary, region, role, PLAN, {"id": str(plan_id)}, compiled=False)
        assert res.codes == ["NOT_FOUND"], (plan_id, res.body)
    for bad in ("abc", "-1", "0", "1e3", "99999999999999999999999"):
        res, ran = await both(api, ordinary, region, role, PLAN, {"id": bad})
        assert res.errors and not ran
    # Region B's own admin sees their plan; region A's plan ids stay hidden from them.
    res = await same(api, ordinary, region_b, ADMIN, PLAN, {"id": str(foreign.id)})
    assert res.data["plan"]["employeeId"] == str(region_b.employees["staff1"].id)


async def test_one_plan_document_for_every_viewer_in_turn(
    api,
    ordinary,  # noqa: F811
    region,  # noqa: F811
    planned,  # noqa: F811
):
    """The plan store's entry is shared; the check and the contacts are each viewer's."""
    variables = {"id": str(planned["staff2"])}
    for role in (ADMIN, EMPLOYEE, SUPERVISOR, OFFICER, EMPLOYEE, ADMIN):
        res = await same(
            api, ordinary, region, role, PLAN, variables, compiled=role in PLAN_VIEWERS["staff2"]
        )
        assert bool(res.errors) is (role not in PLAN_VIEWERS["staff2"])
