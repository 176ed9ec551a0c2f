"""Composed documents: one request that first names a region and then does something else.

For every root field that can bring a request into a region — the fields anyone may call
(they name their region themselves: a login, a refresh or activation token, a survey code, a
region slug) and the platform operators' fields — followed by every mutation, every query
with an id argument and every such field again, in ONE operation, sent with each region
role's token of region A and with no token:

- with A's tokens the first field names region B (B's employee login, refresh and activation
  tokens, B's survey code and slug, B's region id) and the second aims at B's objects: the
  escalation of issue #15 (`login` of one region, then `createUnit`, ran in that region with
  the token's roles of another);
- without a token the first field names B and the second aims at A's objects: the first
  public field fixes the region, so nothing of A may follow.

What must hold (checked in the database as the owner, per region: row count and hash of
every tenant table and of the region's `tenants` row): nothing of the victim region (B with
a token, A without) changes and nothing of it (its marker, in every name of its people,
units, services and the region itself) reaches the caller; every composed document is
refused (an error, nothing written anywhere); no refusal names the victim region.

The documents are sent in batches (one first field × one caller): the fingerprints are taken
before and after each batch. A batch that changed something is sent again one document at a
time with fingerprints around each, which counts the documents that leaked.

Set KINERJA_COMPOSED_REPORT=<path> to write the figures (docs/security.md) as JSON."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)

from kinerja_saas.auth.activation import activation_token
from kinerja_saas.auth.models import LoginSession, UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.tokens import issue_pair
from kinerja_saas.settings import Settings
from schema.schema import build_schema
from tenants.context import tenant_transaction
from tests.conftest import PASSWORD
from tests.security.conftest import ADMIN, ANONYMOUS, EMPLOYEE, OFFICER, SUPERVISOR
from tests.security.operations import Operation, root_fields
from tests.security.test_authorisation_matrix import MATRIX
from tests.security.world import SeededRegion

SCHEMA = build_schema(Settings(env="dev"))._schema
FIELDS = root_fields(SCHEMA)
REGION_ROLES = (ADMIN, SUPERVISOR, EMPLOYEE, OFFICER)
CALLERS = (*REGION_ROLES, ANONYMOUS)  # region A's tokens, and none
OK = "OK"

# Arguments that carry a credential or name a region: a field taking one can enter a region.
CREDENTIAL_ARGUMENTS = {"token", "refreshToken", "regionSlug"}


def _row(name: str) -> tuple[str, ...]:
    return MATRIX[name]


def entering_fields() -> list[str]:
    """Fields that may bring a request into a region: those anyone may call (they name the
    region themselves), and those only platform operators may call (they act on regions)."""
    public = [n for n in FIELDS if FIELDS[n] != "subscription" and _row(n)[0] == OK]
    operator_only = [
        n
        for n in FIELDS
        if FIELDS[n] != "subscription"
        and _row(n)[1] == OK
        and all(cell != OK for cell in _row(n)[2:6])
    ]
    return sorted(set(public) | set(operator_only))


def _has_id_argument(definition: GraphQLField) -> bool:
    return any(get_named_type(a.type).name == "ID" for a in definition.args.values())


def following_fields(root: str) -> list[str]:
    """Every mutation; every query with an id argument; and every entering field again."""
    entering = set(entering_fields())
    if root == "mutation":
        return sorted(SCHEMA.mutation_type.fields)
    return sorted(
        n for n, d in SCHEMA.query_type.fields.items() if _has_id_argument(d) or n in entering
    )


def reading(type_, depth: int = 1) -> str:
    """A selection that reads what the field returns: every scalar without required
    arguments, and the scalars of the objects one level down."""
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        return ""
    parts = ["__typename"]
    for name, definition in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) for a in definition.args.values()):
            continue
        inner = get_named_type(definition.type)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            parts.append(name)
        elif depth > 0 and isinstance(inner, GraphQLObjectType):
            parts.append(name + reading(definition.type, depth - 1))
    return " { " + " ".join(parts) + " }"


@dataclass
class Composed:
    first: str
    then: str
    caller: str
    operation: Operation
    victim: SeededRegion


@dataclass
class Figures:
    tried: int = 0
    refused: int = 0
    leaked: list[str] = field(default_factory=list)
    not_refused: list[str] = field(default_factory=list)
    telling: list[str] = field(default_factory=list)  # refusals that name the victim
    guarded: list[str] = field(default_factory=list)  # stopped by a size guard: proves nothing
    wrote: list[str] = field(default_factory=list)  # changed the caller's own region
    codes: Counter = field(default_factory=Counter)  # the first error's code per refusal


class Composer:
    """Builds the composed documents, with fresh credentials of region B where needed."""

    def __init__(self, security, settings) -> None:
        self.security = security
        self.settings = settings
        self.world = security.world

    async def _refresh_token(self, region: SeededRegion) -> str:
        account = region.region.accounts[Role.EMPLOYEE]
        async with tenant_transaction(region.region.id):
            user = await UserAccount.get(tenant_id=region.region.id, id=account.id)
            session = await LoginSession.create(tenant_id=region.region.id, user_id=user.id)
        return issue_pair(
            region.region.actor(Role.EMPLOYEE),
            token_version=user.token_version,
            secret=self.settings.jwt_secret or "",
            access_ttl=600,
            refresh_ttl=600,
            session_id=session.id,
            generation=session.generation,
        ).refresh_token

    async def _activation_token(self, region: SeededRegion) -> str:
        """For region B's spare login, made password-less again (as the owner) so that each
        document could use it."""
        user_id = region.ids["spare_user"]
        version = await self.security.owner.fetchval(
            "UPDATE user_accounts SET password_hash = NULL WHERE id = $1 RETURNING token_version",
            user_id,
        )
        return activation_token(
            tenant_id=region.region.id,
            user_id=user_id,
            token_version=version,
            secret=self.settings.jwt_secret or "",
        )

    async def _credential(self, name: str, owner: str, region: SeededRegion) -> Any:
        if name == "email":
            return region.region.accounts[Role.EMPLOYEE].email
        if name in ("password", "newPassword"):
            return PASSWORD if owner == "login" else "Sandi-Baru-Yang-Kuat-2024"
        if name == "refreshToken":
            return await self._refresh_token(region)
        if name == "token":
            return await self._activation_token(region)
        return None

    async def _part(self, prefix: str, name: str, region: SeededRegion, first: bool):
        root_type = SCHEMA.mutation_type if FIELDS[name] == "mutation" else SCHEMA.query_type
        definition = root_type.fields[name]
        arguments = self.security.builder.arguments(name, definition)
        variables: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes, str]] = {}
        for arg, spec in arguments.items():
            value = await self._credential(arg, name, region) if first else None
            if value is None and first and arg == "id" and name in OPERATOR_REGION_FIELDS:
                value = str(region.region.id)  # the operator's field aimed at the region
            if value is None:
                value = self.security.builder.value(arg, spec.type, region, name)
            variables[f"{prefix}_{arg}"] = value
            if get_named_type(spec.type).name == "Upload":
                files[f"{prefix}_{arg}"] = ("pegawai.csv", b"nip,nama,jabatan,unit\n", "text/csv")
        declared = [f"${prefix}_{a}: {spec.type}" for a, spec in arguments.items()]
        passed = ", ".join(f"{a}: ${prefix}_{a}" for a in arguments)
        call = f"{prefix}: {name}({passed})" if passed else f"{prefix}: {name}"
        return declared, call + reading(definition.type), variables, files

    async def compose(self, first: str, then: str, caller: str) -> Composed:
        # The tokens are region A's (tests/security/conftest.py). With one: B is named and
        # B's objects aimed at. Without: B is named, and A's objects follow.
        a, b = self.world.a, self.world.b
        victim = a if caller == ANONYMOUS else b
        d1, c1, v1, f1 = await self._part("e", first, b, first=True)
        d2, c2, v2, f2 = await self._part("f", then, victim, first=False)
        declared = ", ".join(d1 + d2)
        header = f"{FIELDS[first]} Composed" + (f"({declared})" if declared else "")
        document = f"{header} {{ {c1} {c2} }}"
        operation = Operation(then, document, {**v1, **v2}, {**f1, **f2})
        return Composed(first, then, caller, operation, victim)


OPERATOR_REGION_FIELDS = {"suspendRegion", "reactivateRegion", "setRegionPlan"}


async def region_fingerprint(security, region_id: int) -> list:
    """Row count and hash of the region's rows of every tenant table, and of its row of
    `tenants` (as the owner: row-level security hides nothing)."""
    parts = [
        f"SELECT '{t}' AS t, count(*) AS n, coalesce(sum(hashtext(x::text)), 0) AS h"
        f" FROM {t} x WHERE tenant_id = $1"
        for t, tenant in security.tables.items()
        if tenant
    ]
    parts.append(
        "SELECT 'tenants', count(*), coalesce(sum(hashtext(x::text)), 0) FROM tenants x"
        " WHERE id = $1"
    )
    return [tuple(r) for r in await security.owner.fetch(" UNION ALL ".join(parts), region_id)]


async def fingerprints(security) -> tuple[list, list]:
    world = security.world
    return (
        await region_fingerprint(security, world.a.region.id),
        await region_fingerprint(security, world.b.region.id),
    )


GUARDS = ("QUERY_TOO_COSTLY", "QUERY_TOO_LARGE", "PAGE_SIZE")
GUARD_MESSAGES = (
    "exceeds maximum operation depth",
    "aliases found. Allowed",
    "Document contains more",
)


def _names_of(region: SeededRegion) -> tuple[str, ...]:
    return (region.marker, region.slug)


async def _forget_limits(redis) -> None:
    """Thousands of requests from one address and a handful of logins in a minute: the
    rate limits would refuse them and hide what the documents do."""
    for pattern in ("kinerja:rl:*", "kinerja:skm:*", "kinerja:login:*"):
        keys = [k async for k in redis.scan_iter(match=pattern, count=1000)]
        if keys:
            await redis.delete(*keys)


async def _mark_every_name(security) -> None:
    """The victim's marker in every name a response could carry: its people already have
    it; units, services, programmes… and the region itself get it here."""
    owner = security.owner
    tables = await owner.fetch(
        "SELECT c.table_name FROM information_schema.columns c"
        " JOIN information_schema.columns t ON t.table_name = c.table_name"
        "  AND t.column_name = 'tenant_id' AND t.table_schema = 'public'"
        " WHERE c.table_schema = 'public' AND c.column_name = 'name'"
        "  AND c.data_type IN ('character varying', 'text')"
    )
    for region in (security.world.a, security.world.b):
        rid, marker = region.region.id, region.marker
        for row in tables:
            table = row["table_name"]
            await owner.execute(
                f"UPDATE {table} SET name = left(name || ' ' || $2, 190)"
                f" WHERE tenant_id = $1 AND position($2 in name) = 0",
                rid,
                marker,
            )
        await owner.execute(
            "UPDATE tenants SET name = name || ' ' || $2, settings = jsonb_set("
            "  coalesce(settings, '{}'::jsonb), '{surveys}', coalesce(settings -> 'surveys',"
            "  '{}'::jsonb) || '{\"rate_limit_per_ip_per_hour\": 100000}'::jsonb)"
            " WHERE id = $1",
            rid,
            marker,
        )


def _error_messages(body: dict) -> list[str]:
    messages = [e.get("message") or "" for e in body.get("errors") or []]
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict):
            messages += [e.get("message") or "" for e in payload.get("errors") or []]
    return messages


def _judge(composed: Composed, response, figures: Figures, marker_leaks: set[int], i: int):
    label = f"{composed.caller}: {composed.first} + {composed.then}"
    assert response.status_code in (200, 400), (label, response.status_code, response.text)
    body = response.json()
    text = response.text
    if any(name in text for name in _names_of(composed.victim)):
        marker_leaks.add(i)
    errors = body.get("errors") or []
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    if codes & set(GUARDS) or any(
        m in e.get("message", "") for e in errors for m in GUARD_MESSAGES
    ):
        figures.guarded.append(label)
    if errors:
        figures.refused += 1
        figures.codes[(errors[0].get("extensions") or {}).get("code") or "VALIDATION"] += 1
        for message in _error_messages(body):
            if any(name in message for name in _names_of(composed.victim)):
                figures.telling.append(f"{label}: {message}")
    else:
        figures.not_refused.append(label)


async def run_batch(security, composer, redis, first: str, caller: str, figures: Figures):
    root = FIELDS[first]
    thens = following_fields(root)
    token = security.tokens[caller]
    headers = {"authorization": f"Bearer {token}"} if token else {}
    documents = [await composer.compose(first, then, caller) for then in thens]
    await _forget_limits(redis)
    before = await fingerprints(security)
    marker_leaks: set[int] = set()
    for i, composed in enumerate(documents):
        response = await security.http.post(
            "/graphql", headers=headers, **composed.operation.http_request()
        )
        figures.tried += 1
        _judge(composed, response, figures, marker_leaks, i)
    after = await fingerprints(security)
    changed: set[int] = set()
    if after != before:
        # Something was written: once more, one document at a time, to tell which.
        for i, then in enumerate(thens):
            composed = await composer.compose(first, then, caller)
            await _forget_limits(redis)
            victim = 0 if composed.victim is security.world.a else 1
            own = await fingerprints(security)
            await security.http.post(
                "/graphql", headers=headers, **composed.operation.http_request()
            )
            now = await fingerprints(security)
            if now[victim] != own[victim]:
                changed.add(i)
            elif now != own:
                figures.wrote.append(f"{caller}: {first} + {then}")
    for i in sorted(marker_leaks | changed):
        figures.leaked.append(f"{caller}: {first} + {thens[i]}")


@pytest.fixture(scope="module")
async def composer(security, settings):
    await _mark_every_name(security)
    return Composer(security, settings)


def _write_report(report: dict) -> None:
    if os.environ.get("KINERJA_COMPOSED_REPORT"):
        Path(os.environ["KINERJA_COMPOSED_REPORT"]).write_text(json.dumps(report, indent=1))


def test_the_entering_fields_are_found_in_the_schema():
    """Every field taking a credential or a region's name is among the entering fields, so
    a new one (a password reset, another public page) is composed without editing this."""
    entering = set(entering_fields())
    for name, root in FIELDS.items():
        if root == "subscription":
            continue
        definition = (SCHEMA.mutation_type if root == "mutation" else SCHEMA.query_type).fields[
            name
        ]
        names = set(definition.args)
        returns = get_named_type(definition.type)
        issues_tokens = isinstance(returns, GraphQLObjectType) and "accessToken" in returns.fields
        public = (definition.description or "").startswith("Public")
        credentials = names & CREDENTIAL_ARGUMENTS or {"email", "password"} <= names
        if public or credentials or (issues_tokens and "currentPassword" not in names):
            assert name in entering, name
    assert {"login", "refreshToken", "activateAccount", "surveyForm"} <= entering
    assert {"submitSurveyResponse", "publishedSurveyResults", "suspendRegion"} <= entering


async def test_composed_documents_never_reach_another_region(security, composer, redis):
    figures = Figures()
    for first in entering_fields():
        for caller in CALLERS:
            await run_batch(security, composer, redis, first, caller, figures)
    report = {
        "tried": figures.tried,
        "refused": figures.refused,
        "leaked": len(figures.leaked),
        "not_refused": len(figures.not_refused),
        "refusals_naming_the_victim": len(figures.telling),
        "guarded": len(figures.guarded),
        "wrote_own_region": len(figures.wrote),
        "refused_by": dict(figures.codes.most_common()),
        "leaked_by_first_field": dict(
            Counter(x.split(": ")[1].split(" + ")[0] for x in figures.leaked).most_common()
        ),
        "leaked_by_caller": dict(Counter(x.split(": ")[0] for x in figures.leaked).most_common()),
        "entering_fields": entering_fields(),
        "leaked_examples": figures.leaked[:40],
        "not_refused_examples": figures.not_refused[:40],
        "telling_examples": figures.telling[:20],
        "guarded_examples": figures.guarded[:20],
    }
    _write_report(report)
    print("composed documents:", json.dumps({k: report[k] for k in list(report)[:6]}))
    assert figures.guarded == [], "documents stopped by a size guard prove nothing"
    assert figures.leaked == [], report
    assert figures.telling == [], report
    assert figures.not_refused == [], report
    assert figures.wrote == [], report
    assert figures.refused == figures.tried
