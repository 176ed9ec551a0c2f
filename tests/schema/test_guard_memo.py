"""The guards' verdicts that depend only on a document's text are memoised with the cached
document (schema/limits.py, schema/document_cache.py): a repeat request walks nothing, a
refused document stays refused on every repeat, and what a check reads from the variables
or the operation name is part of the memo's key."""

import pytest

import schema.limits as limits
from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements

ADMIN = Role.REGION_ADMIN


@pytest.fixture
def walks(monkeypatch):
    """Counts the guards' walks of a document: DocumentShape's and CostLimit's."""
    counted = {"shape": 0, "cost": 0}

    def counting(name, original):
        def wrapper(*args, **kwargs):
            counted[name] += 1
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(limits, "document_shape", counting("shape", limits.document_shape))
    monkeypatch.setattr(
        limits, "operation_cost_and_reads", counting("cost", limits.operation_cost_and_reads)
    )
    return counted


async def test_a_repeated_document_is_walked_by_the_guards_only_until_its_memo_is_kept(
    api, region_a, walks
):
    query = (
        "query GuardMemoRepeat($first: Int) { employees(first: $first) { edges { node { id } } } }"
    )
    for _ in range(5):
        res = await api.as_role(region_a, ADMIN, query, {"first": 3})
        assert len(res.data["employees"]["edges"]) == 3
    # DocumentShape runs before the document is kept (the first request), so its verdict
    # is kept by the second; the cost runs after, so the first request keeps it already.
    assert walks == {"shape": 2, "cost": 1}


async def test_the_cost_memo_is_keyed_by_the_page_size_variables(api, region_a, walks):
    query = (
        "query GuardMemoCost($first: Int) { employees(first: $first) { edges { node { id } } } }"
    )
    for _ in range(2):
        assert (await api.as_role(region_a, ADMIN, query, {"first": 2})).data["employees"]
    for _ in range(3):  # cost 1 + 3 × 9000 > 20000: refused, with no SQL, every time
        res = await api.as_role(region_a, ADMIN, query, {"first": 9000})
        assert res.codes == ["QUERY_TOO_COSTLY"] and res.statements == 0
    for _ in range(2):
        assert (
            len(
                (await api.as_role(region_a, ADMIN, query, {"first": 2})).data["employees"]["edges"]
            )
            == 2
        )
    assert walks["cost"] == 2  # once per page size


async def test_the_cost_memo_is_bounded(api, region_a, walks):
    query = "query GuardMemoBound($first: Int) { employees(first: $first) { totalCount } }"
    bound = limits.MAX_COSTS_PER_DOCUMENT
    for first in range(1, bound + 3):  # one cost more than the memo keeps, after the first
        assert (await api.as_role(region_a, ADMIN, query, {"first": first})).data["employees"]
    assert walks["cost"] == bound + 2
    await api.as_role(region_a, ADMIN, query, {"first": 1})  # kept
    assert walks["cost"] == bound + 2
    await api.as_role(region_a, ADMIN, query, {"first": bound + 2})  # not kept: walked again
    assert walks["cost"] == bound + 3


async def test_the_cost_memo_is_keyed_by_the_operation_name(api, region_a, settings, walks):
    query = (
        "query GuardMemoSmall { employees(first: 2) { edges { node { id } } } } "
        "query GuardMemoLarge { employees(first: 9000) { edges { node { id } } } }"
    )
    token = region_a.token(ADMIN, settings)

    async def send(name):
        with count_statements() as counter:
            response = await api.client.post(
                "/graphql",
                json={"query": query, "operationName": name},
                headers={"authorization": f"Bearer {token}"},
            )
        return response.json(), counter.count

    for name in (
        "GuardMemoSmall",
        "GuardMemoSmall",
        "GuardMemoLarge",
        "GuardMemoLarge",
        "GuardMemoSmall",
        "GuardMemoLarge",
    ):
        body, statements = await send(name)
        if name == "GuardMemoSmall":
            assert len(body["data"]["employees"]["edges"]) == 2
        else:
            assert body["data"] is None and statements == 0
            assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COSTLY"]
    assert walks["cost"] == 2  # once per operation


async def test_a_nul_character_in_the_variables_of_a_cached_document_is_refused(
    api, region_a, walks
):
    query = (
        "mutation GuardMemoNul($id: ID!, $input: UpdateUnitInput!) { updateUnit(id: $id, input: $input)"
        " { errors { code } } }"
    )
    unit = region_a.units["b"]
    for _ in range(2):  # the document is kept, and its memo
        res = await api.as_role(
            region_a, ADMIN, query, {"id": str(unit.id), "input": {"name": "Bidang B"}}
        )
        assert res.data["updateUnit"]["errors"] == []
    for _ in range(2):
        res = await api.as_role(
            region_a, ADMIN, query, {"id": str(unit.id), "input": {"name": "Bidang\x00B"}}
        )
        assert res.codes == ["INVALID_CHARACTER"] and res.statements == 0
        assert res.errors[0]["extensions"]["field"] == "input.name"
    assert walks["shape"] == 2


@pytest.mark.parametrize(
    "query, refused",
    [
        (  # a fragment bomb
            "{ employee(id: 1) { ...F0 } } "
            + " ".join(
                f"fragment F{i} on Employee {{ " + " ".join([f"...F{i + 1}"] * 9) + " }"
                for i in range(9)
            )
            + " fragment F9 on Employee { id }",
            lambda res: res.codes == ["QUERY_TOO_LARGE"],
        ),
        (
            'mutation { login(email: "memo\\u0000@b.id", password: "x") { accessToken } }',
            lambda res: (
                res.codes == ["INVALID_CHARACTER"]
                and res.errors[0]["extensions"]["field"] == "email"
            ),
        ),
        (
            "{ employees(first: 1) { edges { node { "
            + "supervisor { " * 12
            + "name"
            + " }" * 12
            + " } } } }",
            lambda res: "exceeds maximum operation depth" in res.errors[0]["message"],
        ),
        (
            "{ " + " ".join(f"memo{i}: me {{ email }}" for i in range(40)) + " }",
            lambda res: "aliases" in res.errors[0]["message"],
        ),
        (
            "{ employees(first: 400) { edges { node { id name nip unit { id name children"
            " { id name } } } } } }",
            lambda res: res.codes == ["QUERY_TOO_COSTLY"],
        ),
    ],
    ids=["fragment-bomb", "nul-literal", "too-deep", "too-many-aliases", "too-costly"],
)
async def test_a_refused_document_is_refused_on_every_repeat(api, region_a, query, refused):
    for _ in range(3):
        res = await api.as_role(region_a, ADMIN, query)
        assert res.body["data"] is None and refused(res) and res.statements == 0


async def test_document_rules_set_what_the_three_strawberry_extensions_set(settings):
    """DocumentRules (one hook) leaves the operation with the validation rules and parse
    options that AddValidationRules(depth, aliases), MaxTokensLimiter and
    AddValidationRules([AuthenticationAlone]) left, in the same order: the real schema's
    extensions against the same list with Strawberry's three in its place."""
    from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension

    from schema.isolation import AuthenticationAlone
    from schema.limits import DocumentRules
    from schema.schema import Mutation, Query, build_schema

    seen: list = []

    class Record(SchemaExtension):
        def on_parse(self):
            context = self.execution_context
            seen.append((context.validation_rules, dict(context.parse_options)))
            yield

    factories = list(build_schema(settings).extensions)
    made = [make() for make in factories]
    assert not any(isinstance(e, AddValidationRules | MaxTokensLimiter) for e in made)
    (at,) = [n for n, e in enumerate(made) if isinstance(e, DocumentRules)]
    rules = made[at].validation_rules
    assert rules[-1] is AuthenticationAlone and len(rules) == 3  # depth, aliases, isolation
    strawberrys = [
        lambda: AddValidationRules(list(rules[:-1])),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules([AuthenticationAlone]),
    ]
    for extensions in (factories, [*factories[:at], *strawberrys, *factories[at + 1 :]]):
        schema = type(build_schema(settings))(
            query=Query, mutation=Mutation, extensions=[*extensions, Record]
        )
        await schema.execute("query RulesProbe { __typename }")
    ours, reference = seen
    assert ours == reference
    assert ours[0][-3:] == rules and ours[1] == {"max_tokens": settings.max_tokens}
