"""Onboarding a region, its operators' overview, suspension and the region's settings."""

import pytest

from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.regions import defaults, onboarding
from schema.errors import UNEXPECTED_MESSAGE
from tenants.context import tenant_transaction
from tenants.models import PlatformOperator, Tenant

ONBOARD = """mutation($input: OnboardRegionInput!) { onboardRegion(input: $input) {
  region { id slug name kind timezone status settings { performance { resultThresholdAbove
    resultThresholdExpected achievementCap lowPerformerPredikat checkpoint } training { annualJpEntitlement } } }
  activationToken errors { field code message } } }"""
ACTIVATE = """mutation($t: String!, $p: String!) { activateAccount(token: $t, password: $p) {
  accessToken me { email roles region { slug } } errors { field code message } } }"""
CATALOGUE = """{ behaviourValues { code name guideBehaviours } surveyElements { code name answerLabels }
  competencies { code kind } trainingRules { trigger triggerValue priority } }"""


@pytest.fixture
async def operator(make_operator, settings):
    from kinerja_saas.auth.service import _operator_actor
    from kinerja_saas.auth.tokens import issue_pair

    operator_id = await make_operator(f"op-{next(_n)}@platform.test")
    op = await PlatformOperator.get(id=operator_id)
    return issue_pair(
        _operator_actor(op),
        token_version=1,
        secret=settings.jwt_secret,
        access_ttl=600,
        refresh_ttl=600,
    ).access_token


_n = iter(range(1, 10_000))


def region_input(**overrides):
    n = next(_n)
    data = {
        "slug": f"kota-baru-{n}",
        "name": f"Kota Baru {n}",
        "kind": "KOTA",
        "province": "Bengkulu",
        "timezone": "WIB",
        "admin": {"name": "Admin Baru", "email": f"Admin{n}@Bengkulu.go.id"},
    }
    data.update(overrides)
    return data


async def test_onboarding_creates_the_region_with_defaults_and_an_admin_who_can_activate(
    api, operator
):
    data = region_input(timezone="WITA")
    res = await api(ONBOARD, {"input": data}, token=operator)
    payload = res.data["onboardRegion"]
    assert payload["errors"] == []
    region = payload["region"]
    assert (region["slug"], region["kind"], region["timezone"], region["status"]) == (
        data["slug"],
        "KOTA",
        "WITA",
        "ACTIVE",
    )
    perf = region["settings"]["performance"]
    assert (
        perf["resultThresholdAbove"],
        perf["resultThresholdExpected"],
        perf["achievementCap"],
    ) == (110, 80, 120)
    assert perf["lowPerformerPredikat"] == ["BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"]
    assert region["settings"]["training"]["annualJpEntitlement"] == 20

    # The admin has no password until they activate; the link works once.
    weak = (await api(ACTIVATE, {"t": payload["activationToken"], "p": "12345678901"})).data[
        "activateAccount"
    ]
    assert [(e["field"], e["code"]) for e in weak["errors"]] == [("password", "TOO_WEAK")]
    done = (await api(ACTIVATE, {"t": payload["activationToken"], "p": "Bengkulu-Maju-2026"})).data[
        "activateAccount"
    ]
    assert done["errors"] == [] and done["me"]["roles"] == ["REGION_ADMIN"]
    again = (await api(ACTIVATE, {"t": payload["activationToken"], "p": "Another-pass-2026"})).data[
        "activateAccount"
    ]
    assert [e["code"] for e in again["errors"]] == ["TOKEN_USED"]
    login = await api(
        'mutation($e: String!) { login(email: $e, password: "Bengkulu-Maju-2026") { me { region { slug } } } }',
        {"e": data["admin"]["email"]},
    )
    assert login.data["login"]["me"]["region"]["slug"] == data["slug"]

    # Its reference data is there, and only its own.
    catalogue = (await api(CATALOGUE, token=done["accessToken"])).data
    assert [v["code"] for v in catalogue["behaviourValues"]] == [
        c for c, _, _ in defaults.BERAKHLAK
    ]
    assert all(len(v["guideBehaviours"]) == 3 for v in catalogue["behaviourValues"])
    assert [e["code"] for e in catalogue["surveyElements"]] == [f"U{i}" for i in range(1, 10)]
    assert all(len(e["answerLabels"]) == 4 for e in catalogue["surveyElements"])
    assert len(catalogue["competencies"]) == len(defaults.COMPETENCIES)
    assert len(catalogue["trainingRules"]) == len(defaults.TRAINING_RULES)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"slug": "Kota Besar"}, "slug", "INVALID"),
        ({"slug": "a"}, "slug", "INVALID"),
        ({"slug": "kota--dua"}, "slug", "INVALID"),
        ({"slug": "kota-"}, "slug", "INVALID"),
        ({"slug": "admin"}, "slug", "RESERVED"),
        ({"name": " "}, "name", "REQUIRED"),
        ({"province": ""}, "province", "REQUIRED"),
        ({"admin": {"name": "X", "email": "not-mail"}}, "admin.email", "INVALID"),
    ],
)
async def test_bad_onboarding_input_names_the_field_and_writes_nothing(
    api, operator, overrides, field, code
):
    before = await Tenant.all().count()
    res = await api(ONBOARD, {"input": region_input(**overrides)}, token=operator)
    payload = res.data["onboardRegion"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert payload["region"] is None and payload["activationToken"] is None
    assert await Tenant.all().count() == before


async def test_the_same_slug_twice_is_a_clear_error(api, operator):
    data = region_input()
    assert (await api(ONBOARD, {"input": data}, token=operator)).data["onboardRegion"][
        "errors"
    ] == []
    again = (await api(ONBOARD, {"input": {**data, "name": "Lain"}}, token=operator)).data[
        "onboardRegion"
    ]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("slug", "DUPLICATE")]


async def test_a_failure_half_way_leaves_nothing_behind(api, operator, monkeypatch, owner_conn):
    async def broken(tenant_id):
        raise RuntimeError("disk full while seeding")

    monkeypatch.setattr(onboarding, "seed_reference_data", broken)
    data = region_input()
    res = await api(ONBOARD, {"input": data}, token=operator)
    assert res.errors[0]["message"] == UNEXPECTED_MESSAGE
    assert (
        await owner_conn.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", data["slug"]) == 0
    )
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM user_accounts WHERE email = $1", data["admin"]["email"].lower()
        )
        == 0
    )


@pytest.mark.parametrize("role", [Role.REGION_ADMIN, Role.SUPERVISOR, Role.EMPLOYEE])
async def test_only_operators_onboard_and_list_regions(api, region_a, role):
    res = await api.as_role(region_a, role, ONBOARD, {"input": region_input()})
    assert res.codes == ["FORBIDDEN"]
    res = await api.as_role(region_a, role, "{ regions { edges { node { region { slug } } } } }")
    assert res.codes == ["FORBIDDEN"]


async def test_operators_see_counts_of_every_region_but_no_people(
    api, operator, region_a, region_b
):
    res = await api(
        """query($s: String) { regions(first: 10, search: $s) { edges { node {
        region { slug } employees units lastActivity } } } }""",
        {"s": region_a.tenant.slug},
        token=operator,
    )
    nodes = [e["node"] for e in res.data["regions"]["edges"]]
    mine = next(n for n in nodes if n["region"]["slug"] == region_a.tenant.slug)
    assert (mine["employees"], mine["units"]) == (5, 3) and mine["lastActivity"]
    res = await api("{ employees(first: 5) { totalCount } }", token=operator)
    assert res.codes == ["NO_REGION"]


async def test_regions_are_paged_by_name(api, operator, region_a):
    seen, after = [], None
    while True:
        res = await api(
            "query($a: String) { regions(first: 2, after: $a) { edges { node { region { name } } }"
            " pageInfo { hasNextPage endCursor } } }",
            {"a": after},
            token=operator,
        )
        page = res.data["regions"]
        seen += [(e["node"]["region"]["name"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(seen) == await Tenant.all().count()


async def test_suspension_refuses_the_regions_tokens_at_once_and_is_audited(
    api, operator, region_a, owner_conn
):
    token = region_a.token(Role.REGION_ADMIN, api.settings)
    res = await api(
        'mutation($id: ID!) { suspendRegion(id: $id, reason: "unpaid") { region { status } errors { code } } }',
        {"id": str(region_a.id)},
        token=operator,
    )
    assert res.data["suspendRegion"] == {"region": {"status": "SUSPENDED"}, "errors": []}
    assert (await api("{ me { email } }", token=token)).codes == ["REGION_SUSPENDED"]
    res = await api(
        "mutation($id: ID!) { reactivateRegion(id: $id) { region { status } } }",
        {"id": str(region_a.id)},
        token=operator,
    )
    assert res.data["reactivateRegion"]["region"]["status"] == "ACTIVE"
    assert (await api("{ me { email } }", token=token)).data["me"]
    actions = await owner_conn.fetch(
        "SELECT action, after->>'reason' AS reason FROM audit_log WHERE tenant_id = $1"
        " AND entity = 'region' ORDER BY id",
        region_a.id,
    )
    assert [(a["action"], a["reason"]) for a in actions] == [
        ("region.suspended", "unpaid"),
        ("region.active", None),
    ]
    # A region admin cannot suspend anything, not even their own region.
    res = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        "mutation($id: ID!) { suspendRegion(id: $id) { errors { code } } }",
        {"id": str(region_a.id)},
    )
    assert res.codes == ["FORBIDDEN"]


SETTINGS = """mutation($input: RegionSettingsInput!) { updateRegionSettings(input: $input) {
  region { settings { performance { resultThresholdAbove resultThresholdExpected checkpoint } } }
  errors { field code message } } }"""


async def test_region_admin_updates_settings_within_rules(api, region_a, region_b):
    res = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        SETTINGS,
        {"input": {"performance": {"resultThresholdAbove": 115, "checkpoint": "MONTHLY"}}},
    )
    perf = res.data["updateRegionSettings"]["region"]["settings"]["performance"]
    assert (perf["resultThresholdAbove"], perf["resultThresholdExpected"], perf["checkpoint"]) == (
        115,
        80,
        "MONTHLY",
    )
    other = await api.as_role(
        region_b,
        Role.REGION_ADMIN,
        "{ region { settings { performance { resultThresholdAbove } } } }",
    )
    assert other.data["region"]["settings"]["performance"]["resultThresholdAbove"] == 110


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (
            {"performance": {"resultThresholdAbove": 70}},
            "performance.resultThresholdAbove",
            "NOT_ORDERED",
        ),
        (
            {"performance": {"resultThresholdExpected": 0}},
            "performance.resultThresholdExpected",
            "OUT_OF_RANGE",
        ),
        ({"performance": {"achievementCap": 250}}, "performance.achievementCap", "OUT_OF_RANGE"),
        (
            {"performance": {"achievementCap": 105}},
            "performance.resultThresholdAbove",
            "OUT_OF_RANGE",
        ),
        (
            {"performance": {"lowPerformerPredikat": ["BAIK"]}},
            "performance.lowPerformerPredikat",
            "INVALID",
        ),
        (
            {"performance": {"lowPerformerPredikat": ["JELEK"]}},
            "performance.lowPerformerPredikat",
            "INVALID",
        ),
        ({"performance": {"checkpoint": "WEEKLY"}}, "performance.checkpoint", "INVALID"),
        ({"training": {"annualJpEntitlement": -1}}, "training.annualJpEntitlement", "OUT_OF_RANGE"),
    ],
)
async def test_bad_settings_are_refused_and_nothing_changes(api, region_a, change, field, code):
    res = await api.as_role(region_a, Role.REGION_ADMIN, SETTINGS, {"input": change})
    payload = res.data["updateRegionSettings"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert (await Tenant.get(id=region_a.id)).settings == {}


async def test_only_the_region_admin_changes_settings(api, region_a):
    res = await api.as_role(
        region_a, Role.SUPERVISOR, SETTINGS, {"input": {"training": {"annualJpEntitlement": 30}}}
    )
    assert res.codes == ["FORBIDDEN"]


async def test_activation_token_of_another_kind_or_forged_is_refused(api, region_a, settings):
    from kinerja_saas.auth.activation import activation_token

    async with tenant_transaction(region_a.id):
        user = await UserAccount.create(
            tenant_id=region_a.id, email="new@x.test", name="New", roles=["EMPLOYEE"]
        )
    access = region_a.token(Role.EMPLOYEE, settings)
    forged = activation_token(
        tenant_id=region_a.id, user_id=user.id, token_version=1, secret="y" * 40
    )
    expired = activation_token(
        tenant_id=region_a.id, user_id=user.id, token_version=1, secret=settings.jwt_secret, ttl=-5
    )
    for token, code in (
        (access, "TOKEN_INVALID"),
        (forged, "TOKEN_INVALID"),
        (expired, "TOKEN_EXPIRED"),
    ):
        res = (await api(ACTIVATE, {"t": token, "p": "Strong-pass-2026"})).data["activateAccount"]
        assert [e["code"] for e in res["errors"]] == [code]


async def test_one_activation_token_used_twice_at_once_sets_one_password(api, region_a, settings):
    import asyncio

    from kinerja_saas.auth.activation import activation_token

    async with tenant_transaction(region_a.id):
        user = await UserAccount.create(
            tenant_id=region_a.id, email="race@x.test", name="Race", roles=["EMPLOYEE"]
        )
    token = activation_token(
        tenant_id=region_a.id, user_id=user.id, token_version=1, secret=settings.jwt_secret
    )
    results = await asyncio.gather(
        api(ACTIVATE, {"t": token, "p": "First-password-1"}),
        api(ACTIVATE, {"t": token, "p": "Second-password-2"}),
    )
    outcomes = sorted(
        tuple(e["code"] for e in r.data["activateAccount"]["errors"]) for r in results
    )
    assert outcomes == [(), ("TOKEN_USED",)]
    async with tenant_transaction(region_a.id):
        assert (await UserAccount.get(id=user.id)).token_version == 2


ISSUE = """mutation($u: ID!) { issueActivation(userId: $u) { userId email token errors { field code } } }"""


async def test_region_admin_reissues_activation_for_imported_logins(api, region_a, settings):
    async with tenant_transaction(region_a.id):
        user = await UserAccount.create(
            tenant_id=region_a.id,
            email="baru@x.test",
            name="Baru",
            roles=["EMPLOYEE"],
            employee_id=region_a.employees["staff2"].id,
        )
    listed = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        """{ employees(first: 10, filter: {search: "Staff2"}) {
        edges { node { login { id email activated } } } } }""",
    )
    assert listed.data["employees"]["edges"][0]["node"]["login"] == {
        "id": str(user.id),
        "email": "baru@x.test",
        "activated": False,
    }
    first = (await api.as_role(region_a, Role.REGION_ADMIN, ISSUE, {"u": str(user.id)})).data[
        "issueActivation"
    ]
    second = (await api.as_role(region_a, Role.REGION_ADMIN, ISSUE, {"u": str(user.id)})).data[
        "issueActivation"
    ]
    assert first["errors"] == second["errors"] == [] and first["email"] == "baru@x.test"
    stale = (await api(ACTIVATE, {"t": first["token"], "p": "Strong-pass-2026"})).data[
        "activateAccount"
    ]
    assert [e["code"] for e in stale["errors"]] == ["TOKEN_USED"]  # superseded
    fresh = (await api(ACTIVATE, {"t": second["token"], "p": "Strong-pass-2026"})).data[
        "activateAccount"
    ]
    assert fresh["errors"] == []
    done = (await api.as_role(region_a, Role.REGION_ADMIN, ISSUE, {"u": str(user.id)})).data[
        "issueActivation"
    ]
    assert [(e["field"], e["code"]) for e in done["errors"]] == [("userId", "ALREADY_ACTIVE")]


async def test_only_region_admins_issue_activation_and_only_in_their_region(
    api, region_a, region_b
):
    b_login = region_b.accounts[Role.EMPLOYEE].id
    res = await api.as_role(region_a, Role.REGION_ADMIN, ISSUE, {"u": str(b_login)})
    assert [e["code"] for e in res.data["issueActivation"]["errors"]] == ["NOT_FOUND"]
    res = await api.as_role(
        region_a, Role.SUPERVISOR, ISSUE, {"u": str(region_a.accounts[Role.EMPLOYEE].id)}
    )
    assert res.codes == ["FORBIDDEN"]
    hidden = await api.as_role(
        region_a, Role.SUPERVISOR, "{ employees(first: 5) { edges { node { login { id } } } } }"
    )
    assert all(e["node"]["login"] is None for e in hidden.data["employees"]["edges"])
