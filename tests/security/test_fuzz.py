"""Property-based fuzzing of the GraphQL API (hypothesis), against the real app:

- arguments: every query and mutation with hostile values for its argument types
  (unicode, huge and control-character strings, out-of-range numbers, malformed ids,
  cursors and dates, region B's ids and markers) → never an unexpected error, never a
  leak of internals, a typed error that names the field;
- documents: random selections built from the schema (aliases, fragments, nesting,
  inside and past the guards of schema/limits.py) → no unexpected error, the guards
  answer with their codes;
- isolation: nothing of region B (its marker is in every name of its people and units)
  in any response to region A or to anonymous callers.

Deterministic: derandomize=True (examples follow from the test's source), no example
database, bounded max_examples, no deadline."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from kinerja_saas.auth.roles import Role
from kinerja_saas.settings import Settings
from schema.schema import build_schema
from tests.security.conftest import ADMIN, ANONYMOUS, EMPLOYEE, OFFICER, SUPERVISOR
from tests.security.matrix_runner import unexpected
from tests.security.operations import Operation, root_fields, selection

FUZZ = examples(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCHEMA = build_schema(Settings(env="dev"))._schema
FIELDS = root_fields(SCHEMA)
# Each password check costs ~0.1 s by design: the auth mutations get a few examples of
# their own (test_auth_mutations_survive_hostile_input) instead of a share of these.
PASSWORD_FIELDS = ("login", "activateAccount", "changePassword")
FUZZED = sorted(n for n, r in FIELDS.items() if r != "subscription" and n not in PASSWORD_FIELDS)
ROLES = (ADMIN, SUPERVISOR, EMPLOYEE, OFFICER, ANONYMOUS)

# What must never reach a client: SQL, tracebacks, driver/ORM classes, paths, hosts.
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|/work/|/usr/|site-packages|asyncpg|tortoise|psycopg|"
    r"postgres|\bSELECT\b|\bINSERT\b|\bUPDATE\s+\w+\s+SET\b|\bFROM\s+\w+\s+WHERE\b|"
    r"violates|constraint|relation \"|syntax error at|KeyError|TypeError|ValueError|"
    r"AttributeError|Exception|127\.0\.0\.1|redis://",
    re.IGNORECASE,
)

# --- hostile values ---------------------------------------------------------------------

CONTROL = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), max_size=20)
UNICODE = st.text(max_size=60)
HUGE = st.integers(10_000, 150_000).map(lambda n: "ä" * n)
TRICKS = st.sampled_from(
    [
        "",
        " ",
        "'; DROP TABLE employees; --",
        "\x00",
        "a\x00b",
        "%",
        "_",
        "\\",
        "${jndi:ldap://x}",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "\ud7ff\ue000\U0010ffff",
        "🙂" * 50,
        "NaN",
        "Infinity",
        "1e309",
        "null",
    ]
)


def strings() -> st.SearchStrategy[str]:
    return st.one_of(UNICODE, CONTROL, TRICKS, HUGE)


def ids(b_ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            ["0", "-1", "abc", "1.5", "1e3", " 1", "0x10", "9" * 30, str(2**63), str(2**31)]
        ),
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(b_ids),  # region B's objects
        UNICODE,
    )


def cursors() -> st.SearchStrategy[str]:
    crafted = st.tuples(
        st.one_of(st.integers(-(2**70), 2**70), st.text(max_size=10), st.none()),
        st.one_of(st.integers(-(2**70), 2**70), st.text(max_size=5)),
        st.sampled_from(["", "name", "nip", "id", "x"]),
    ).map(lambda t: base64.urlsafe_b64encode(json.dumps(list(t)).encode()).decode())
    return st.one_of(crafted, UNICODE, st.binary(max_size=30).map(lambda b: b.hex()))


def dates() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["2024-13-45", "0000-00-00", "9999-12-31", "1-1-1", "2024-02-30"]),
        st.dates().map(str),
        UNICODE,
    )


def numbers() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(-(2**40), 2**40),
        st.sampled_from([0, -1, 2**31, -(2**31) - 1, 2**53 + 1]),
        st.floats(allow_nan=False, allow_infinity=False),
        UNICODE,
    )


def hostile(name: str, type_, b_ids: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """Any value for an argument of `type_`, mostly well-typed but hostile in content,
    sometimes of the wrong type altogether."""
    nullable = not isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if not nullable else type_
    if isinstance(inner, GraphQLList):
        item = hostile(name, inner.of_type, b_ids, depth + 1)
        value = st.lists(item, max_size=3)
    elif isinstance(inner, GraphQLInputObjectType):
        if depth > 3:
            return st.just(None)
        value = st.fixed_dictionaries(
            {
                n: hostile(n, f.type, b_ids, depth + 1)
                for n, f in inner.fields.items()
                if isinstance(f.type, GraphQLNonNull)
            },
            optional={
                n: hostile(n, f.type, b_ids, depth + 1)
                for n, f in inner.fields.items()
                if not isinstance(f.type, GraphQLNonNull)
            },
        )
    elif isinstance(inner, GraphQLEnumType):
        value = st.one_of(st.sampled_from(sorted(inner.values)), UNICODE)
    else:
        assert isinstance(inner, GraphQLScalarType)
        value = {
            "ID": ids(b_ids),
            "String": cursors() if name == "after" else strings(),
            "Int": numbers(),
            "Float": numbers(),
            "Boolean": st.one_of(st.booleans(), st.sampled_from(["true", 1])),
            "Date": dates(),
            "Decimal": st.one_of(st.decimals(allow_nan=False).map(str), UNICODE),
            "Upload": st.just(None),
        }.get(inner.name, UNICODE)
    return st.one_of(st.none(), value) if nullable else value


def typed(name: str, type_, owner: str, security, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value GraphQL accepts for `type_` (so it reaches the service), hostile in content:
    strings of every kind, ids of nowhere or of region B, extreme numbers and dates."""
    nullable = not isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if not nullable else type_
    b_ids = b_ids_of(security)
    if isinstance(inner, GraphQLList):
        value = st.lists(typed(name, inner.of_type, owner, security, depth + 1), max_size=3)
    elif isinstance(inner, GraphQLInputObjectType):
        if depth > 3:
            return st.none()  # deeper than any real input: refused by coercion
        value = st.fixed_dictionaries(
            {
                n: typed(n, f.type, owner, security, depth + 1)
                for n, f in inner.fields.items()
                if isinstance(f.type, GraphQLNonNull)
            },
            optional={
                n: typed(n, f.type, owner, security, depth + 1)
                for n, f in inner.fields.items()
                if not isinstance(f.type, GraphQLNonNull)
            },
        )
    elif isinstance(inner, GraphQLEnumType):
        value = st.sampled_from(sorted(inner.values))
    else:
        try:
            valid = [security.builder.value(name, inner, security.world.a, owner)]
        except (AssertionError, KeyError):
            valid = []
        value = {
            # Mostly the right object, so one bad id does not stop every example early.
            "ID": st.integers(0, 4).flatmap(
                lambda n: ids(b_ids) if n == 0 else st.sampled_from(valid or ["1"])
            ),
            "String": st.one_of(st.sampled_from(valid or ["x"]), strings()),
            "Int": st.one_of(
                st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 2**31 - 1, -(2**31)])
            ),
            "Float": st.floats(allow_nan=False, allow_infinity=False),
            "Boolean": st.booleans(),
            "Date": st.dates().map(lambda d: d.isoformat()),
            "Decimal": st.one_of(
                st.decimals(allow_nan=False, allow_infinity=False).map(str),
                st.sampled_from(["1e400", "-1e30", "1E-40", "99999999999999999999.99", "-0"]),
            ),
            "Upload": st.just(None),
        }.get(inner.name, UNICODE)
    return st.one_of(st.none(), value) if nullable else value


# --- checks ----------------------------------------------------------------------------


def check_response(response, security, sent: str = "") -> dict:
    """What every response must satisfy, whatever was sent."""
    assert response.status_code in (200, 400, 413), (response.status_code, response.text[:500])
    body = response.json()
    assert unexpected(body) == [], (sent[:2000], body)
    text = json.dumps(body)
    for leak in LEAKS.findall(text):
        # The caller's own input may come back in a validation message.
        assert leak.lower() in sent.lower(), (leak, text[:2000])
    assert security.world.b.marker not in text, "a row of region B reached region A"
    return body


def check_errors_are_typed(body: dict, field: str, arguments: set[str]) -> None:
    """Each error carries a code, or (coercion of the variables, done by GraphQL itself)
    names the argument it is about."""
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code:
            continue
        message = error["message"]
        assert any(f"${a}" in message or f"'{a}'" in message for a in arguments), error
    payload = (body.get("data") or {}).get(field)
    if isinstance(payload, dict):
        for error in payload.get("errors") or []:
            assert error["code"], error


# --- properties --------------------------------------------------------------------------


def b_ids_of(security) -> list[str]:
    return [str(v) for v in security.world.b.ids.values()]


@FUZZ
@given(data=st.data())
async def test_hostile_arguments_get_typed_errors_and_leak_nothing(security, data):
    field = data.draw(st.sampled_from(FUZZED), label="field")
    role = data.draw(st.sampled_from(ROLES), label="role")
    root = FIELDS[field]
    definition = (SCHEMA.query_type if root == "query" else SCHEMA.mutation_type).fields[field]
    valid = security.builder.operation(root, field, security.world.a)
    b_ids = b_ids_of(security)
    variables = dict(valid.variables)
    for arg, spec in definition.args.items():
        if get_named_type(spec.type).name == "Upload":
            continue
        if data.draw(st.booleans(), label=f"fuzz {arg}"):
            variables[arg] = data.draw(hostile(arg, spec.type, b_ids), label=arg)
    declared = ", ".join(f"${a}: {s.type}" for a, s in definition.args.items())
    passed = ", ".join(f"{a}: ${a}" for a in definition.args)
    call = f"{field}({passed})" if passed else field
    header = f"{root} Fuzz({declared})" if declared else f"{root} Fuzz"
    operation = Operation(field, f"{header} {{ {call}{selection(definition)} }}", variables)
    operation.files = valid.files
    response = await security.post(operation, role)
    sent = json.dumps(variables, ensure_ascii=False)
    body = check_response(response, security, sent)
    check_errors_are_typed(body, field, set(definition.args))


@FUZZ
@given(data=st.data())
async def test_well_typed_hostile_content_reaches_the_services(security, data):
    """Values GraphQL accepts, so the services and the database meet them: typed errors,
    never an unexpected one."""
    field = data.draw(st.sampled_from(FUZZED), label="field")
    role = data.draw(st.sampled_from((ADMIN, ADMIN, SUPERVISOR, EMPLOYEE, OFFICER)), label="role")
    root = FIELDS[field]
    definition = (SCHEMA.query_type if root == "query" else SCHEMA.mutation_type).fields[field]
    valid = security.builder.operation(root, field, security.world.a)
    variables = {
        arg: data.draw(typed(arg, spec.type, field, security), label=arg)
        for arg, spec in definition.args.items()
        if get_named_type(spec.type).name != "Upload"
    }
    declared = ", ".join(f"${a}: {s.type}" for a, s in definition.args.items())
    passed = ", ".join(f"{a}: ${a}" for a in definition.args)
    call = f"{field}({passed})" if passed else field
    header = f"{root} Fuzz({declared})" if declared else f"{root} Fuzz"
    operation = Operation(field, f"{header} {{ {call}{selection(definition)} }}", variables)
    operation.files = valid.files
    response = await security.post(operation, role)
    sent = json.dumps(variables, ensure_ascii=False)
    body = check_response(response, security, sent)
    check_errors_are_typed(body, field, set(definition.args))


@examples(FUZZ, max_examples=12)
@given(
    field=st.sampled_from(PASSWORD_FIELDS),
    first=strings(),
    second=strings(),
)
async def test_auth_mutations_survive_hostile_input(security, field, first, second):
    arguments = {
        "login": ("email", "password"),
        "activateAccount": ("token", "password"),
        "changePassword": ("currentPassword", "newPassword"),
    }[field]
    variables = dict(zip(arguments, (first, second), strict=True))
    declared = ", ".join(f"${a}: String!" for a in arguments)
    passed = ", ".join(f"{a}: ${a}" for a in arguments)
    operation = Operation(
        field,
        f"mutation Fuzz({declared}) {{ {field}({passed}) {{ accessToken errors {{ field code }} }} }}",
        variables,
    )
    response = await security.post(operation, EMPLOYEE if field == "changePassword" else ANONYMOUS)
    body = check_response(response, security, json.dumps(variables, ensure_ascii=False))
    check_errors_are_typed(body, field, set(arguments))
    payload = (body.get("data") or {}).get(field)
    assert payload is None or not payload["accessToken"], "a hostile input logged someone in"


# --- random documents ------------------------------------------------------------------


class DocumentBuilder:
    """Random documents over the schema, drawn with hypothesis's `data`."""

    def __init__(self, data, security) -> None:
        self.data = data
        self.security = security
        self.fragments: list[str] = []
        self.aliases = 0
        self.max_depth = 0

    def draw(self, strategy, label=None):
        return self.data.draw(strategy, label=label)

    def arguments(self, owner: str, definition) -> str | None:
        """Literal arguments for a nested field: the required ones, or None when one
        cannot be made."""
        parts = []
        for name, spec in definition.args.items():
            if not isinstance(spec.type, GraphQLNonNull) and name != "first":
                continue
            if name == "first":
                if self.draw(st.booleans(), label="first"):
                    parts.append(f"first: {self.draw(st.integers(-5, 600), label='n')}")
                continue
            try:
                value = self.security.builder.value(name, spec.type, self.security.world.a, owner)
            except (AssertionError, KeyError):
                return None
            parts.append(f"{name}: {_literal(value, spec.type)}")
        return "(" + ", ".join(parts) + ")" if parts else ""

    def selection_set(self, type_: GraphQLObjectType, depth: int, budget: int) -> str:
        self.max_depth = max(self.max_depth, depth)
        names = sorted(type_.fields)
        chosen = self.draw(
            st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True), label="fields"
        )
        nested = [
            n for n in names if isinstance(get_named_type(type_.fields[n].type), GraphQLObjectType)
        ]
        if nested and depth < budget:  # one relation at least, so documents grow deep
            relation = self.draw(st.sampled_from(nested), label="relation")
            chosen = [relation, *(n for n in chosen if n != relation)]
        parts = []
        for name in chosen:
            field = type_.fields[name]
            args = self.arguments(name, field)
            if args is None:
                continue
            alias = ""
            if self.draw(st.integers(0, 4), label="alias?") == 0:
                alias = f"a{self.aliases}: "
                self.aliases += 1
            named = get_named_type(field.type)
            if isinstance(named, GraphQLObjectType):
                if depth >= budget:
                    parts.append(f"{alias}__typename")
                    continue
                inner = self.selection_set(named, depth + 1, budget)
                way = self.draw(st.sampled_from(["plain", "inline", "fragment"]), label="way")
                if way == "inline":
                    inner = f"... on {named.name} {inner}"
                    inner = "{ " + inner + " }"
                elif way == "fragment":
                    fragment = f"F{len(self.fragments)}"
                    self.fragments.append(f"fragment {fragment} on {named.name} {inner}")
                    inner = "{ ..." + fragment + " }"
                parts.append(f"{alias}{name}{args} {inner}")
            else:
                parts.append(f"{alias}{name}{args}")
        parts.append("__typename")
        return "{ " + " ".join(parts) + " }"


def _literal(value: Any, type_) -> str:
    named = get_named_type(type_)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v, named) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {_literal(v, named.fields[k].type)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(named, GraphQLEnumType):
        return str(value)
    return json.dumps(value)


def _aliases(document: str) -> int:
    """Aliases as the guard counts them (through every fragment spread)."""
    from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
    from strawberry.extensions.max_aliases import count_fields_with_alias

    parsed = parse(document)
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return sum(
        count_fields_with_alias(d, fragments)
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode)
    )


def _depth(document: str) -> int:
    """The deepest field's nesting as the depth guard counts it: the fields above it that
    have selections, fragments expanded (QueryDepthLimiter refuses past its maximum)."""
    from graphql import (
        FieldNode,
        FragmentDefinitionNode,
        FragmentSpreadNode,
        InlineFragmentNode,
        OperationDefinitionNode,
        parse,
    )

    parsed = parse(document)
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def deepest(selection_set, level: int, seen: frozenset) -> int:
        found = level
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                if node.selection_set and not node.name.value.startswith("__"):
                    found = max(found, deepest(node.selection_set, level + 1, seen))
            elif isinstance(node, InlineFragmentNode):
                found = max(found, deepest(node.selection_set, level, seen))
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                fragment = fragments[node.name.value]
                found = max(found, deepest(fragment.selection_set, level, seen | {node.name.value}))
        return found

    return max(
        deepest(d.selection_set, 0, frozenset())
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode)
    )


QUERIES = sorted(n for n, r in FIELDS.items() if r == "query")
GUARD_CODES = {"QUERY_TOO_COSTLY", "QUERY_TOO_LARGE", "PAGE_SIZE"}
# graphql-core stops validating after 100 errors and answers only that: the document is
# refused all the same (a deep document gets one depth error per path).
GUARD_MESSAGES = ("exceeds maximum operation depth", "aliases", "token", "error limit reached")


@FUZZ
@given(data=st.data())
async def test_random_documents_get_answers_or_guard_errors(security, data, settings):
    doc = DocumentBuilder(data, security)
    role = data.draw(st.sampled_from(ROLES), label="role")
    budget = data.draw(st.integers(1, 14), label="depth budget")
    roots = data.draw(st.lists(st.sampled_from(QUERIES), min_size=1, max_size=3), label="roots")
    flood = data.draw(st.sampled_from([1, 1, 1, 5, 35]), label="alias flood")
    parts = []
    for i, name in enumerate(roots):
        field = SCHEMA.query_type.fields[name]
        args = doc.arguments(name, field)
        if args is None:
            continue
        named = get_named_type(field.type)
        inner = doc.selection_set(named, 1, budget) if isinstance(named, GraphQLObjectType) else ""
        for copy in range(flood if i == 0 else 1):
            parts.append(f"r{i}_{copy}: {name}{args} {inner}")
    document = "query Fuzz { " + " ".join(parts) + " } " + " ".join(doc.fragments)
    response = await security.post(Operation("fuzz", document, {}), role)
    body = check_response(response, security, document)
    errors = body.get("errors") or []
    for error in errors:
        # A typed error, a guard's, or GraphQL's own verdict on the document.
        code = (error.get("extensions") or {}).get("code")
        assert (
            code
            or any(m in error["message"] for m in GUARD_MESSAGES)
            or "locations" in error
            or "validation" in error["message"].lower()
        ), (error, document)
    guarded = [
        e
        for e in errors
        if (e.get("extensions") or {}).get("code") in GUARD_CODES
        or any(m in e["message"] for m in GUARD_MESSAGES)
    ]
    if any((e.get("extensions") or {}).get("code") != "PAGE_SIZE" for e in guarded):
        assert body["data"] is None, "a refused document was executed"
    if _aliases(document) > settings.max_aliases:
        assert guarded, "too many aliases got through"
    if _depth(document) > settings.max_query_depth:
        assert guarded, "too deep a document got through"


@pytest.mark.parametrize("role", ROLES)
async def test_searching_for_region_b_finds_nothing_of_it(security, role):
    """The lists a region A caller can search, searched for region B's marker, NIPs and
    ids: nothing of B comes back (check_response looks at the whole body)."""
    b = security.world.b
    nip = b.region.employees["staff1"].nip
    for needle in (b.marker, nip, b.region.employees["chief"].name):
        query = """query($s: String) {
          employees(first: 50, filter: {search: $s}) { totalCount edges { node { id name nip } } }
          plans(first: 50) { edges { node { id employee { name } } } }
          units(rootsOnly: false, includeInactive: true) { id name }
        }"""
        operation = Operation("employees", query, {"s": needle})
        body = check_response(await security.post(operation, role), security, "")
        if role != ANONYMOUS:
            assert body["data"]["employees"]["totalCount"] == 0


# --- composed documents ------------------------------------------------------------------

AUTHENTICATING = ("login", "refreshToken", "activateAccount", "logout", "changePassword")
EMPLOYEE_ROLE = Role.EMPLOYEE


def _composed(security, data, root: str) -> tuple[Operation, list[str]]:
    """2 to 4 root fields of one operation type in one document, each aimed at region A's
    or region B's objects at random (a login with B's employee e-mail and password)."""
    from tests.conftest import PASSWORD

    type_ = SCHEMA.mutation_type if root == "mutation" else SCHEMA.query_type
    names = data.draw(
        st.lists(st.sampled_from(sorted(type_.fields)), min_size=2, max_size=4), label="fields"
    )
    declared, calls, variables, files = [], [], {}, {}
    world = security.world
    for i, name in enumerate(names):
        target = data.draw(st.sampled_from([world.a, world.b]), label=f"target {i}")
        definition = type_.fields[name]
        for arg, spec in security.builder.arguments(name, definition).items():
            value = security.builder.value(arg, spec.type, target, name)
            if name == "login" and arg == "email":
                value = world.b.region.accounts[EMPLOYEE_ROLE].email
            if name == "login" and arg == "password":
                value = PASSWORD
            variables[f"v{i}_{arg}"] = value
            declared.append(f"$v{i}_{arg}: {spec.type}")
            if get_named_type(spec.type).name == "Upload":
                files[f"v{i}_{arg}"] = ("pegawai.csv", b"nip,nama,jabatan,unit\n", "text/csv")
        passed = ", ".join(f"{a}: $v{i}_{a}" for a in security.builder.arguments(name, definition))
        calls.append(f"f{i}: {name}" + (f"({passed})" if passed else "") + selection(definition))
    header = f"{root} Composed" + (f"({', '.join(declared)})" if declared else "")
    operation = Operation(names[0], f"{header} {{ {' '.join(calls)} }}", variables, files)
    return operation, names


@examples(FUZZ, max_examples=120)
@given(data=st.data())
async def test_composed_documents_stay_in_the_callers_region(security, data):
    """Random multi-field documents (authentication, public and operator fields among
    them) sent with region A's tokens: region B's rows never change and nothing of B comes
    back; a document with an authentication field and anything else is refused whole
    before it runs. tests/security/test_composed.py tries every pair systematically."""
    from tests.security.test_composed import region_fingerprint

    role = data.draw(st.sampled_from(ROLES), label="role")
    root = data.draw(st.sampled_from(["query", "mutation"]), label="root")
    operation, names = _composed(security, data, root)
    b = security.world.b.region.id
    before = await region_fingerprint(security, b)
    response = await security.post(operation, role)
    body = check_response(response, security, json.dumps(operation.variables))
    if role != ANONYMOUS:
        assert await region_fingerprint(security, b) == before, (operation.document, body)
    if set(names) & set(AUTHENTICATING):
        codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
        refused = {"AUTHENTICATION_ALONE", "ONE_AUTH_PER_REQUEST"}  # the latter: two of them
        assert refused & set(codes) and body.get("data") is None, body
