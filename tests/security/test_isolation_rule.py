"""The isolation rule, piece by piece: a request's region is fixed before its first field
(by its token, or by the first public field that names a region) and nothing later in the
request may change it (schema/isolation.py, tenants/context.py Binding, the guards).

tests/security/test_composed.py proves it over every pair of fields; these pin down each
mechanism with the shapes an attacker would try (fragments, aliases, directives, a second
operation) and each refusal's code and text."""

from __future__ import annotations

import pytest
from graphql import get_named_type

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.tokens import issue_pair
from kinerja_saas.errors import PermissionDenied
from schema.context import Context
from schema.isolation import ALONE_MESSAGE, WITH_TOKEN_MESSAGE
from tenants.context import (
    REGION_MISMATCH_MESSAGE,
    Binding,
    RegionMismatch,
    enter_tenant,
    tenant_transaction,
)
from tests.conftest import PASSWORD

ADMIN, EMPLOYEE = Role.REGION_ADMIN, Role.EMPLOYEE
CREATE_UNIT = 'createUnit(input: {name: "Disusupkan", code: "X1", kind: BIDANG}) { unit { id } }'


async def _units(owner_conn, region) -> int:
    return await owner_conn.fetchval(
        "SELECT count(*) FROM org_units WHERE tenant_id = $1", region.id
    )


def _codes(res) -> list[str]:
    return res.codes


async def test_the_request_of_the_issue_is_refused_whole(api, region_a, region_b, owner_conn):
    """Region A's admin token, region B's employee login, then createUnit: refused before
    anything runs, in either region; the refusal says nothing of B."""
    before = (await _units(owner_conn, region_a), await _units(owner_conn, region_b))
    email = region_b.accounts[EMPLOYEE].email
    document = (
        f'mutation {{ l: login(email: "{email}", password: "{PASSWORD}") {{ errors {{ code }} }}'
        f" c: {CREATE_UNIT} }}"
    )
    res = await api.as_role(region_a, ADMIN, document)
    assert res.codes == ["AUTHENTICATION_ALONE"] and res.body["data"] is None
    assert res.errors[0]["message"] == ALONE_MESSAGE
    assert region_b.tenant.slug not in str(res.body) and region_b.tenant.name not in str(res.body)
    # The same without a token: the rule is about the document.
    res = await api(document)
    assert res.codes == ["AUTHENTICATION_ALONE"] and res.body["data"] is None
    assert (await _units(owner_conn, region_a), await _units(owner_conn, region_b)) == before
    assert (
        await owner_conn.fetchval(
            "SELECT last_login_at FROM user_accounts WHERE id = $1", region_b.accounts[EMPLOYEE].id
        )
        is None
    ), "the login did not run"


@pytest.mark.parametrize(
    "document",
    [
        # a fragment on Mutation
        "mutation { ...M } fragment M on Mutation { login(email: $e, password: $p) "
        "{ accessToken } logoutEverywhere }",
        # an inline fragment
        "mutation { ... on Mutation { login(email: $e, password: $p) { accessToken } } "
        "logoutEverywhere }",
        # the same field twice under aliases
        "mutation { a: login(email: $e, password: $p) { accessToken } "
        "b: login(email: $e, password: $p) { accessToken } }",
        # __typename beside it
        "mutation { login(email: $e, password: $p) { accessToken } __typename }",
        # a field switched off by a directive still counts
        "mutation { login(email: $e, password: $p) { accessToken } "
        "logoutEverywhere @skip(if: true) }",
        # nested fragments
        "mutation { ...A } fragment A on Mutation { ...B logoutEverywhere } "
        "fragment B on Mutation { login(email: $e, password: $p) { accessToken } }",
    ],
)
async def test_authentication_fields_run_only_alone(api, region_b, document):
    header = "mutation($e: String!, $p: String!)"
    res = await api(
        document.replace("mutation", header, 1),
        {"e": region_b.accounts[EMPLOYEE].email, "p": PASSWORD},
    )
    assert "AUTHENTICATION_ALONE" in res.codes or "ONE_AUTH_PER_REQUEST" in res.codes, res.body
    assert res.body["data"] is None


@pytest.mark.parametrize(
    "field",
    [
        'refreshToken(refreshToken: "x") { accessToken }',
        'activateAccount(token: "x", password: "y") { accessToken }',
        'logout(refreshToken: "x")',
        'changePassword(currentPassword: "x", newPassword: "y") { accessToken }',
    ],
)
async def test_every_authentication_field_runs_alone(api, region_a, field):
    res = await api.as_role(region_a, EMPLOYEE, f"mutation {{ {field} logoutEverywhere }}")
    assert res.codes == ["AUTHENTICATION_ALONE"] and res.body["data"] is None


async def test_the_executed_operation_alone_counts(api, region_a, region_b):
    """A document may hold other operations; the one that runs must keep the rule."""
    email = region_b.accounts[EMPLOYEE].email
    document = (
        f'mutation SignIn {{ login(email: "{email}", password: "{PASSWORD}") {{ accessToken }} }}'
        f" mutation Build {{ {CREATE_UNIT} }}"
    )
    res = await api.client.post("/graphql", json={"query": document, "operationName": "SignIn"})
    assert res.json()["data"]["login"]["accessToken"]
    token = region_a.token(ADMIN, api.settings)
    res = await api.client.post(
        "/graphql",
        json={"query": document, "operationName": "Build"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert res.json()["data"]["createUnit"]["unit"]["id"]


@pytest.mark.parametrize(
    "field",
    [
        "login(email: $v, password: $v) { accessToken }",
        "refreshToken(refreshToken: $v) { accessToken }",
        "activateAccount(token: $v, password: $v) { accessToken }",
    ],
)
async def test_login_refresh_and_activation_refuse_a_request_with_a_token(
    api, region_a, region_b, settings, field
):
    """The token's region is the request's: a second set of credentials has none to act in.
    Refused before the transaction opens, with a valid, another region's or a broken token."""
    document = f"mutation($v: String!) {{ {field} }}"
    for token in (
        region_a.token(EMPLOYEE, settings),
        region_b.token(ADMIN, settings),
        "not-a-token",
    ):
        res = await api(document, {"v": "x"}, token=token)
        assert res.codes == ["ALREADY_AUTHENTICATED"], res.body
        assert res.errors[0]["message"] == WITH_TOKEN_MESSAGE and res.body["data"] is None


async def test_login_without_a_token_still_opens_the_region(api, region_b):
    """Alone and anonymous, login enters its region for the payload (me { employee })."""
    res = await api(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) {"
        " me { employee { name unit { name } } } } }",
        {"e": region_b.accounts[EMPLOYEE].email, "p": PASSWORD},
    )
    assert res.data["login"]["me"]["employee"]["unit"]["name"] == "Bidang A"


async def test_one_public_region_per_request(api, region_a, region_b):
    """Without a token the first public field that names a region fixes it."""
    from tests.surveys.helpers import open_campaign

    a = await open_campaign(region_a)
    b = await open_campaign(region_b)
    query = (
        "query($a: String!, $b: String!) { x: surveyForm(code: $a) { regionName }"
        " y: surveyForm(code: $b) { regionName } }"
    )
    res = await api(query, {"a": a.codes["ktp"], "b": b.codes["ktp"]})
    assert set(res.codes) <= {"ONE_REGION_PER_REQUEST", "REGION_MISMATCH"} and res.codes
    assert region_b.tenant.name not in str(res.body) or region_a.tenant.name not in str(res.body)


def test_the_authentication_fields_are_marked():
    from kinerja_saas.settings import Settings
    from schema.isolation import authentication_kind
    from schema.schema import build_schema

    mutation = build_schema(Settings(env="dev"))._schema.mutation_type
    kinds = {n: authentication_kind(mutation, n) for n in mutation.fields}
    assert {n for n, k in kinds.items() if k == "anonymous"} >= {
        "login",
        "refreshToken",
        "activateAccount",
    }
    assert {"logout", "changePassword"} <= {n for n, k in kinds.items() if k}
    # Whatever hands out an access token runs alone, marked or not.
    for name, definition in mutation.fields.items():
        if "accessToken" in getattr(get_named_type(definition.type), "fields", {}):
            assert kinds[name], name


# --- the binding in the tenant context --------------------------------------------------


async def test_a_bound_request_cannot_enter_or_visit_another_region(region_a, region_b):
    binding = Binding(region_a.id, fixed=True)
    async with tenant_transaction(region_a.id, binding=binding):
        await enter_tenant(region_a.id)  # its own: fine
        async with tenant_transaction(region_a.id):
            pass
        with pytest.raises(RegionMismatch) as refused:
            await enter_tenant(region_b.id)
        assert refused.value.code == "REGION_MISMATCH"
        assert refused.value.message == REGION_MISMATCH_MESSAGE
        with pytest.raises(RegionMismatch):
            async with tenant_transaction(region_b.id):
                pass


async def test_an_anonymous_request_is_bound_by_the_first_region_it_enters(region_a, region_b):
    binding = Binding(None, fixed=False)
    async with tenant_transaction(None, binding=binding):
        async with tenant_transaction(region_b.id):  # a look (login's password check)
            pass
        await enter_tenant(region_a.id)
        assert binding.tenant_id == region_a.id and binding.fixed
        with pytest.raises(RegionMismatch):
            await enter_tenant(region_b.id)
        with pytest.raises(RegionMismatch):
            async with tenant_transaction(region_b.id):
                pass


async def test_an_operator_visits_regions_but_never_enters_one(region_a):
    mutation = Binding(None, fixed=True, visits=True, serial=True)
    async with tenant_transaction(None, binding=mutation):
        async with tenant_transaction(region_a.id):
            pass
        with pytest.raises(RegionMismatch):
            await enter_tenant(region_a.id)
    # In a query the fields share the connection at once: no visit at all.
    query = Binding(None, fixed=True, visits=True, serial=False)
    async with tenant_transaction(None, binding=query):
        with pytest.raises(RegionMismatch):
            async with tenant_transaction(region_a.id):
                pass


async def test_guards_admit_an_actor_only_in_their_own_regions_transaction(
    region_a, region_b, settings
):
    actor = region_a.actor(ADMIN)
    context = Context(request=None, response=None, settings=settings, request_id="t", actor=actor)
    async with tenant_transaction(region_a.id):
        assert context.require_region_actor() is actor
    async with tenant_transaction(region_b.id):
        for guard in (context.require_actor, context.require_region_actor):
            with pytest.raises(RegionMismatch):
                guard()
        with pytest.raises(PermissionDenied) as refused:
            actor.require(ADMIN)
        assert refused.value.code == "REGION_MISMATCH"
    operator = Actor(0, None, frozenset({Role.PLATFORM_OPERATOR}), "ops@x", is_operator=True)
    context.actor = operator
    async with tenant_transaction(None):
        assert context.require_actor() is operator
    async with tenant_transaction(region_a.id):
        with pytest.raises(RegionMismatch):
            context.require_actor()


async def test_refusals_name_no_region(api, region_a, region_b, settings):
    """A refusal reads the same whichever region was reached for: B's survey code with A's
    token, B's refresh token with A's token."""
    from tests.surveys.helpers import open_campaign

    b = await open_campaign(region_b)
    token = region_a.token(EMPLOYEE, settings)
    res = await api(
        "query($c: String!) { surveyForm(code: $c) { regionName } }",
        {"c": b.codes["ktp"]},
        token=token,
    )
    assert res.codes == ["REGION_MISMATCH"]
    assert res.errors[0]["message"] == REGION_MISMATCH_MESSAGE
    refresh = issue_pair(
        region_b.actor(EMPLOYEE),
        token_version=1,
        secret=settings.jwt_secret,
        access_ttl=60,
        refresh_ttl=60,
    ).refresh_token
    res = await api(
        "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
        {"t": refresh},
        token=token,
    )
    assert res.codes == ["ALREADY_AUTHENTICATED"]
    for text in (str(res.body), REGION_MISMATCH_MESSAGE, WITH_TOKEN_MESSAGE, ALONE_MESSAGE):
        assert region_b.tenant.slug not in text and region_b.tenant.name not in text
