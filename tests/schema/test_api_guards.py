"""Limits against abuse, masking of unexpected errors, the exported schema, and the SQL
statement count of list queries (which must not grow with the page size)."""

from tortoise import connections

from kinerja_saas.auth.roles import Role
from schema.errors import UNEXPECTED_MESSAGE
from schema.schema import SDL_PATH, export_sdl
from tenants.context import tenant_transaction
from tests.factories import make_nip

ADMIN = Role.REGION_ADMIN


async def test_committed_schema_matches_the_code():
    assert SDL_PATH.read_text() == export_sdl(), "run `kinerja export-schema` and commit"


async def test_too_deep_query_is_refused_before_touching_the_database(api, region_a):
    deep = (
        "{ employees(first: 1) { edges { node { "
        + "supervisor { " * 12
        + "id"
        + " }" * 12
        + " } } } }"
    )
    res = await api.as_role(region_a, ADMIN, deep)
    assert res.body["data"] is None
    assert "exceeds maximum operation depth" in res.errors[0]["message"]
    assert res.statements == 0


async def test_too_many_aliases_are_refused(api, region_a):
    query = "{ " + " ".join(f"a{i}: me {{ email }}" for i in range(40)) + " }"
    res = await api.as_role(region_a, ADMIN, query)
    assert res.body["data"] is None and "aliases" in res.errors[0]["message"]


async def test_too_many_tokens_are_refused(api, region_a):
    query = "{ me { " + " ".join(["email"] * 2500) + " } }"
    res = await api.as_role(region_a, ADMIN, query)
    assert res.body["data"] is None and "token" in res.errors[0]["message"].lower()


async def test_query_cost_multiplies_page_sizes(api, region_a, settings):
    heavy = """query($n: Int) { employees(first: $n) { edges { node { id name nip position
      unit { id name code children { id name } } supervisor { id name supervisor { id name } } } } } }"""
    res = await api.as_role(region_a, ADMIN, heavy, {"n": 500})
    assert res.codes == ["QUERY_TOO_COSTLY"] and res.statements == 0
    res = await api.as_role(region_a, ADMIN, heavy, {"n": 5})
    assert res.data["employees"]["edges"]


async def test_page_size_is_capped(api, region_a, settings):
    res = await api.as_role(region_a, ADMIN, "{ employees(first: 501) { totalCount } }")
    assert res.codes == ["PAGE_SIZE"]
    assert res.errors[0]["extensions"]["field"] == "first"
    res = await api.as_role(region_a, ADMIN, "{ employees(first: -1) { totalCount } }")
    assert res.codes == ["PAGE_SIZE"]


async def test_unknown_fields_and_syntax_errors_are_reported(api, region_a):
    res = await api.as_role(
        region_a, ADMIN, "{ employees(first: 1) { edges { node { salary } } } }"
    )
    assert "Cannot query field 'salary'" in res.errors[0]["message"]
    res = await api.as_role(region_a, ADMIN, "{ employees(first: 1) { ")
    assert "Syntax Error" in res.errors[0]["message"]


async def test_unexpected_errors_are_masked(api, region_a, monkeypatch):
    from kinerja_saas.org import service

    async def broken(**kwargs):
        raise RuntimeError("password=hunter2 at db01.internal")

    monkeypatch.setattr(service, "list_units", broken)
    res = await api.as_role(region_a, ADMIN, "{ units { id } }")
    assert res.errors[0]["message"] == UNEXPECTED_MESSAGE
    assert "hunter2" not in str(res.body)


async def test_request_body_over_the_limit_is_refused(http, settings):
    big = "x" * (settings.max_body_bytes + 10)
    response = await http.post(
        "/graphql", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


async def test_failed_operation_rolls_back_earlier_writes(api, region_a, monkeypatch):
    """Two mutations in one document; the second fails unexpectedly, so the request's
    transaction is rolled back and the first one's write is gone too."""
    from kinerja_saas.org import service

    async def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "deactivate_unit", broken)
    unit = region_a.units["b"]
    query = f"""mutation {{ a: updateUnit(id: "{unit.id}", input: {{name: "Renamed"}}) {{ errors {{ code }} }}
      b: deactivateUnit(id: "{unit.id}") {{ errors {{ code }} }} }}"""
    res = await api.as_role(region_a, ADMIN, query)
    assert res.body["data"] is None  # b's non-null payload failed
    assert [e["message"] for e in res.errors] == [UNEXPECTED_MESSAGE]
    check = await api.as_role(region_a, ADMIN, f'{{ unit(id: "{unit.id}") {{ name }} }}')
    assert check.data["unit"]["name"] == "Bidang B"


async def _bulk_employees(region, count: int) -> None:
    """Adds `count` employees in one statement, each supervised by an existing one."""
    async with tenant_transaction(region.id):
        await connections.get("default").execute_query(
            "INSERT INTO employees (tenant_id, nip, name, position, position_type, golongan, unit_id,"
            " supervisor_id, is_active, created_at, updated_at)"
            " SELECT $1, n.nip, 'Bulk ' || n.i, 'Staf', 'PELAKSANA', 'II/a', $2, $3, true, now(), now()"
            " FROM unnest($4::text[]) WITH ORDINALITY AS n(nip, i)",
            [
                region.id,
                region.units["b"].id,
                region.employees["other"].id,
                [make_nip() for _ in range(count)],
            ],
        )


EMPLOYEES_WITH_RELATIONS = """query($n: Int) { employees(first: $n) {
  edges { node { name unit { name parent { name } } supervisor { name unit { name } } } } } }"""


async def test_statement_count_does_not_grow_with_page_size(api, region_a):
    await _bulk_employees(region_a, 200)
    small = await api.as_role(region_a, ADMIN, EMPLOYEES_WITH_RELATIONS, {"n": 10})
    large = await api.as_role(region_a, ADMIN, EMPLOYEES_WITH_RELATIONS, {"n": 200})
    assert len(small.data["employees"]["edges"]) == 10
    assert len(large.data["employees"]["edges"]) == 200
    assert small.statements == large.statements
    # set_config+status and the page: the compiled read path (docs/compiled-queries.md)
    # builds the relations one level further (parents, supervisors' units) in the same
    # statement; the ordinary path adds one batch of units (tests/compiled).
    assert large.statements == 2
    plain = "query($n: Int) { employees(first: $n) { edges { node { name unit { name } supervisor { name } } } } }"
    for n in (10, 200):
        assert (await api.as_role(region_a, ADMIN, plain, {"n": n})).statements == 2


async def test_relations_are_the_same_joined_or_loaded(api, region_a):
    """The joined path (`employees`) and the DataLoader path (`employee`) agree."""
    staff = region_a.employees["staff2"]
    fields = "name unit { id name } supervisor { id name email }"
    listed = await api.as_role(
        region_a,
        ADMIN,
        f'{{ employees(first: 1, filter: {{search: "{staff.nip}"}}) {{ edges {{ node {{ {fields} }} }} }} }}',
    )
    single = await api.as_role(region_a, ADMIN, f'{{ employee(id: "{staff.id}") {{ {fields} }} }}')
    assert listed.data["employees"]["edges"][0]["node"] == single.data["employee"]
    assert single.data["employee"]["supervisor"]["name"] == region_a.employees["chief"].name


async def test_statement_count_of_total_count_is_one_more(api, region_a):
    base = await api.as_role(region_a, ADMIN, "{ employees(first: 5) { edges { node { id } } } }")
    counted = await api.as_role(
        region_a, ADMIN, "{ employees(first: 5) { totalCount edges { node { id } } } }"
    )
    assert counted.statements == base.statements + 1 == 3


async def test_health_endpoints(http):
    assert (await http.get("/healthz")).text == "ok"
    ready = await http.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"database": True, "redis": True})


async def test_readyz_reports_an_unreachable_redis_but_stays_ready(settings):
    import httpx

    from kinerja_saas.runtime.app import create_app

    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        ready = await c.get("/readyz")
    # Degraded, not unready: the API serves without Redis (tests/faults).
    assert (ready.status_code, ready.json()) == (200, {"database": True, "redis": False})


async def test_cost_counts_default_page_sizes_and_nested_lists(settings):
    from graphql import parse

    from schema.limits import operation_cost
    from schema.schema import build_schema

    schema = build_schema(settings)._schema

    def cost(query, variables=None):
        return operation_cost(schema, parse(query), None, variables or {})

    # No `first`: the default page of 20 for what is inside (edges, node, id), and the
    # edges list is not multiplied a second time.
    assert cost("{ employees { edges { node { id } } } }") == 1 + 20 + 20 + 20
    assert (
        cost("query($n: Int) { employees(first: $n) { edges { node { id } } } }", {"n": 100}) == 301
    )
    # A plain list counts as 10 items, nested lists multiply.
    assert cost("{ units { children { id } } }") == 1 + 10 + 100
    assert cost("{ units { ...F } } fragment F on Unit { id name }") == 1 + 10 + 10


async def test_a_fragment_bomb_is_refused_before_validation(api):
    nested = [
        f"fragment F{i} on Employee {{ " + " ".join([f"...F{i + 1}"] * 9) + " }" for i in range(9)
    ]
    query = "{ employee(id: 1) { ...F0 } } " + " ".join([*nested, "fragment F9 on Employee { id }"])
    res = await api(query)  # anonymous: refused before anything else looks at it
    assert res.codes == ["QUERY_TOO_LARGE"] and res.statements == 0


async def test_one_password_check_per_request(api):
    aliased = (
        "mutation { "
        + " ".join(
            f'l{i}: login(email: "x{i}@y.id", password: "p") {{ accessToken }}' for i in range(3)
        )
        + " }"
    )
    res = await api(aliased)
    assert res.codes == ["ONE_AUTH_PER_REQUEST"] and res.statements == 0


async def test_a_cursor_of_another_ordering_is_refused(api, region_a):
    q = "query($o: EmployeeOrder, $a: String) { employees(first: 1, orderBy: $o, after: $a) { pageInfo { endCursor } } }"
    by_name = await api.as_role(region_a, ADMIN, q, {"o": {"field": "NAME"}})
    cursor = by_name.data["employees"]["pageInfo"]["endCursor"]
    res = await api.as_role(region_a, ADMIN, q, {"o": {"field": "CREATED_AT"}, "a": cursor})
    assert res.codes == ["INVALID_CURSOR"]


async def test_failed_mutation_with_resolved_payload_says_it_was_rolled_back(
    api, region_a, monkeypatch
):
    from kinerja_saas.org import service

    async def broken(ids):
        raise RuntimeError("loader down")

    monkeypatch.setattr(service, "units_by_ids", broken)
    res = await api.as_role(
        region_a,
        ADMIN,
        """mutation($p: ID!) { createUnit(input: {name: "Baru", code: "BARU", kind: UPT,
        parentId: $p}) { unit { id parent { name } } errors { code } } }""",
        {"p": str(region_a.units["a"].id)},
    )
    assert res.body["data"]["createUnit"]["unit"]["id"]  # resolved before the failure…
    assert "ROLLED_BACK" in res.codes  # …but says it was not kept
    async with tenant_transaction(region_a.id):
        from kinerja_saas.org.models import Unit

        assert not await Unit.filter(tenant_id=region_a.id, code="BARU").exists()


async def test_a_unique_clash_with_a_concurrent_request_is_a_typed_error(
    api, region_a, monkeypatch
):
    from kinerja_saas.org import service

    async def check_passes(errors, code, except_id):  # as if the other request had not committed
        return None

    monkeypatch.setattr(service, "_check_code_free", check_passes)
    res = await api.as_role(
        region_a,
        ADMIN,
        """mutation { createUnit(input: {name: "X", code: "DINAS",
        kind: UPT}) { unit { id } errors { field code } } }""",
    )
    assert res.data["createUnit"] == {
        "unit": None,
        "errors": [{"field": "code", "code": "DUPLICATE"}],
    }


async def test_an_oversized_request_id_is_replaced(api, region_a, owner_conn):
    res = await api.as_role(
        region_a,
        ADMIN,
        """mutation { createUnit(input: {name: "Rid", code: "RID",
        kind: UPT}) { unit { id } } }""",
        headers={"x-request-id": "x" * 500},
    )
    unit_id = int(res.data["createUnit"]["unit"]["id"])
    request_id = await owner_conn.fetchval(
        "SELECT request_id FROM audit_log WHERE entity = 'unit' AND entity_id = $1", unit_id
    )
    assert request_id and len(request_id) <= 64


# Found by tests/security/test_fuzz.py: each of these answered UNEXPECTED_MESSAGE (a
# database error) instead of a typed error naming the field.


async def test_a_nul_character_is_refused_naming_the_field(api, region_a, owner_conn):
    unit = region_a.units["b"]
    res = await api.as_role(
        region_a,
        ADMIN,
        "mutation($id: ID!, $input: UpdateUnitInput!) { updateUnit(id: $id, input: $input)"
        " { errors { code } } }",
        {"id": str(unit.id), "input": {"name": "Bidang\x00B"}},
    )
    assert res.codes == ["INVALID_CHARACTER"]
    assert res.errors[0]["extensions"]["field"] == "input.name"
    literal = await api('mutation { login(email: "a\\u0000@b.id", password: "x") { accessToken } }')
    assert literal.codes == ["INVALID_CHARACTER"]
    assert literal.errors[0]["extensions"]["field"] == "email"
    assert await owner_conn.fetchval("SELECT name FROM org_units WHERE id = $1", unit.id) == (
        "Bidang B"
    )


async def test_an_id_beyond_bigint_is_an_invalid_id(api, region_a):
    res = await api.as_role(region_a, ADMIN, f'{{ employee(id: "{2**63}") {{ id }} }}')
    assert res.codes == ["INVALID_ID"]
    res = await api.as_role(region_a, ADMIN, f'{{ employee(id: "{2**63 - 1}") {{ id }} }}')
    assert res.codes == ["NOT_FOUND"]


async def test_a_cursor_with_an_impossible_row_id_is_invalid(api, region_a):
    import base64
    import json

    from schema.notifications.queries import _ORDER

    cursor = base64.urlsafe_b64encode(json.dumps([None, 10**30, _ORDER]).encode()).decode()
    res = await api.as_role(
        region_a,
        ADMIN,
        "query($c: String) { myNotifications(after: $c, unreadOnly: false) { edges { cursor } } }",
        {"c": cursor},
    )
    assert res.codes == ["INVALID_CURSOR"]


async def test_an_overlong_login_is_just_wrong(api):
    res = await api(
        'mutation($e: String!) { login(email: $e, password: "x", region: "r") { errors { code } } }',
        {"e": "a" * 300 + "@b.id"},
    )
    assert res.data["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_a_region_slug_longer_than_any_is_nobodys(api, region_a, settings):
    res = await api(
        "query($s: String!) { publishedSurveyResults(regionSlug: $s) { campaignId } }",
        {"s": "a" * 100},
    )
    assert res.codes == ["NOT_FOUND"]
    res = await api.as_role(region_a, ADMIN, "{ me { email } }", headers={"x-region": "b" * 100})
    assert res.codes == ["REGION_MISMATCH"]


async def test_a_value_past_a_columns_length_is_too_long(api, region_a, owner_conn):
    """saveCompetency did not check the code's length: the database layer refused it."""
    before = await owner_conn.fetchval(
        "SELECT count(*) FROM competencies WHERE tenant_id = $1", region_a.id
    )
    res = await api.as_role(
        region_a,
        ADMIN,
        'mutation($c: String!) { saveCompetency(code: $c, name: "Uji", kind: MANAGERIAL,'
        " isActive: true) { errors { field code } } }",
        {"c": "K" * 100},
    )
    assert res.data["saveCompetency"]["errors"] == [{"field": "code", "code": "TOO_LONG"}]
    after = await owner_conn.fetchval(
        "SELECT count(*) FROM competencies WHERE tenant_id = $1", region_a.id
    )
    assert after == before
