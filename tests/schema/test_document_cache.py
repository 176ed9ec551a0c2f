"""The cache of parsed and validated documents: a known text skips parsing and validation,
a text that failed a guard or a rule is never kept, and the cache stays bounded."""

import graphql
import pytest
from strawberry.schema import schema as strawberry_schema

from kinerja_saas.auth.roles import Role
from schema.document_cache import MAX_DOCUMENT_LENGTH, DocumentStore


@pytest.fixture
def calls(monkeypatch):
    """Counts the parses and validations Strawberry runs."""
    counted = {"parse": 0, "validate": 0}

    def counting(name, original):
        def wrapper(*args, **kwargs):
            counted[name] += 1
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(strawberry_schema, "parse", counting("parse", graphql.parse))
    monkeypatch.setattr(strawberry_schema, "validate", counting("validate", graphql.validate))
    return counted


async def test_a_repeated_document_is_parsed_and_validated_once(api, region_a, calls):
    query = (  # a text no other test sends
        "query DocumentCacheStaff($first: Int) { employees(first: $first) { edges { node { id } } } }"
    )
    first = (await api.as_role(region_a, Role.REGION_ADMIN, query, {"first": 5})).data
    assert len(first["employees"]["edges"]) >= 3
    for n in (1, 2, 3):
        again = (await api.as_role(region_a, Role.REGION_ADMIN, query, {"first": n})).data
        assert again["employees"]["edges"] == first["employees"]["edges"][:n]
    assert calls == {"parse": 1, "validate": 1}


async def test_an_invalid_document_is_never_kept(api, calls):
    query = "{ noSuchField }"
    for _ in range(3):
        res = await api(query)
        assert res.body["data"] is None and "noSuchField" in res.errors[0]["message"]
    assert calls == {"parse": 3, "validate": 3}


async def test_a_fragment_bomb_meets_the_guard_every_time(api, calls):
    nested = [
        f"fragment F{i} on Employee {{ " + " ".join([f"...F{i + 1}"] * 9) + " }" for i in range(9)
    ]
    query = "{ employee(id: 1) { ...F0 } } " + " ".join([*nested, "fragment F9 on Employee { id }"])
    for _ in range(2):
        res = await api(query)
        assert res.codes == ["QUERY_TOO_LARGE"] and res.statements == 0
    assert calls == {"parse": 2, "validate": 0}  # refused before validation, both times


async def test_a_cached_document_still_meets_authorisation(api, region_a, calls):
    query = "query DocumentCacheUnits { units { id } }"  # a text no other test sends
    allowed = await api.as_role(region_a, Role.REGION_ADMIN, query)
    assert allowed.data["units"]
    refused = await api(query)  # the same text, anonymous: cached, and still refused
    assert refused.body["data"] is None and refused.codes == ["UNAUTHENTICATED"]
    assert calls["validate"] == 1


def test_the_store_is_bounded_and_keeps_the_most_recently_used():
    store = DocumentStore(max_entries=2)
    documents = {q: graphql.parse(q) for q in ("{ a }", "{ b }", "{ c }")}
    store.keep("{ a }", documents["{ a }"])
    store.keep("{ b }", documents["{ b }"])
    assert store.get("{ a }") is documents["{ a }"]  # a is now the most recent
    store.keep("{ c }", documents["{ c }"])
    assert len(store) == 2 and store.get("{ b }") is None
    assert store.get("{ a }") is documents["{ a }"] and store.get("{ c }") is documents["{ c }"]
    huge = "{ " + "a " * MAX_DOCUMENT_LENGTH + "}"
    store.keep(huge, documents["{ a }"])
    assert store.get(huge) is None
    assert DocumentStore(max_entries=0).get("{ a }") is None


def test_a_memo_belongs_to_the_kept_document_and_leaves_with_it():
    store = DocumentStore(max_entries=1)
    a, other_a, b = graphql.parse("{ a }"), graphql.parse("{ a }"), graphql.parse("{ b }")
    assert store.memo("{ a }", a) is None  # not kept: nothing is memoised
    store.keep("{ a }", a)
    store.memo("{ a }", a)["verdict"] = "passed"
    assert store.memo("{ a }", other_a) is None  # the same text parsed afresh: not this memo
    store.keep("{ a }", other_a)  # another document for the text: a new memo
    assert store.memo("{ a }", other_a) == {}
    store.memo("{ a }", other_a)["verdict"] = "passed"
    store.keep("{ b }", b)  # evicts { a }, and its memo
    assert store.memo("{ a }", other_a) is None
    store.keep("{ a }", other_a)
    assert store.memo("{ a }", other_a) == {}
