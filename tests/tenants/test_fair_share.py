"""Fair sharing between regions in the API: request limits per region and per login by the
region's plan (Redis), and the cap on one region's concurrent database work."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os

import httpx
import pytest

from kinerja_saas.admission import RegionBusy, RegionSlots, attribute_to_region
from kinerja_saas.auth.roles import Role
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction
from tenants.models import PlatformOperator, Tenant
from tenants.plans import DEFAULT_PLAN_LIMITS, RegionPlan, limits_of
from tests.conftest import PASSWORD

ME = "query Me { me { email } }"
SET_PLAN = """mutation($id: ID!, $plan: RegionPlan!) { setRegionPlan(id: $id, plan: $plan) {
  region { id plan } errors { field code message } } }"""


class Client:
    """A client of an API process of its own, built with the test's fair-sharing settings."""

    def __init__(self, settings: Settings) -> None:
        from kinerja_saas.runtime.app import create_app

        self.settings = settings
        self.app = create_app(settings)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://test"
        )

    async def __call__(self, token: str, query: str = ME, variables: dict | None = None):
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"authorization": f"Bearer {token}"},
        )
        return response

    async def close(self) -> None:
        await self.http.aclose()
        redis = self.app.state.fair_share.limiter.redis
        if redis is not None:
            await redis.aclose()


@pytest.fixture
async def make_client(settings, redis):  # redis: the test db is flushed once per run
    clients = []

    def make(**changes) -> Client:
        client = Client(settings.model_copy(update=changes))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def log_in(client: Client, email: str) -> httpx.Response:
    return await client.http.post(
        "/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p)"
            " { accessToken errors { code } } }",
            "variables": {"e": email, "p": PASSWORD},
        },
    )


def codes(response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors") or []]


def limits(**per_plan) -> dict:
    return {plan: dict(values) for plan, values in per_plan.items()}


async def test_requests_within_the_limits_go_through_and_the_login_over_its_limit_waits(
    make_client, region_a, settings
):
    client = make_client(
        plan_limits=limits(
            STANDARD={"region_requests_per_minute": 1000, "user_requests_per_minute": 3}
        )
    )
    employee = region_a.token(Role.EMPLOYEE, settings)
    supervisor = region_a.token(Role.SUPERVISOR, settings)
    for _ in range(3):
        ok = await client(employee)
        assert ok.status_code == 200 and codes(ok) == []
        assert ok.json()["data"]["me"]["email"].startswith("employee@")
    refused = await client(employee)
    assert codes(refused) == ["RATE_LIMITED"]
    error = refused.json()["errors"][0]
    assert 0 < error["extensions"]["retryAfter"] <= 60
    assert error["message"].startswith("Terlalu banyak permintaan dari akun ini; coba lagi")
    assert refused.headers["retry-after"] == str(error["extensions"]["retryAfter"])
    assert refused.json()["data"] is None
    # Another login of the same region has a limit of its own.
    assert codes(await client(supervisor)) == []


async def test_a_refused_mutation_writes_nothing(make_client, region_a, settings, owner_conn):
    client = make_client(
        plan_limits=limits(
            STANDARD={"region_requests_per_minute": 1000, "user_requests_per_minute": 1}
        )
    )
    admin = region_a.token(Role.REGION_ADMIN, settings)
    assert codes(await client(admin)) == []
    refused = await client(
        admin,
        "mutation($i: RegionSettingsInput!) { updateRegionSettings(input: $i) { errors { code } } }",
        {"i": {"performance": {"achievementCap": 130}}},
    )
    assert codes(refused) == ["RATE_LIMITED"]
    stored = await owner_conn.fetchval("SELECT settings FROM tenants WHERE id = $1", region_a.id)
    assert "130" not in (stored or "")


async def test_one_regions_limit_does_not_touch_another_region(
    make_client, region_a, region_b, settings
):
    client = make_client(
        plan_limits=limits(
            STANDARD={"region_requests_per_minute": 4, "user_requests_per_minute": 100}
        )
    )
    a_tokens = [region_a.token(r, settings) for r in (Role.EMPLOYEE, Role.SUPERVISOR)]
    for token in itertools.islice(itertools.cycle(a_tokens), 4):
        assert codes(await client(token)) == []
    refused = await client(region_a.token(Role.REGION_ADMIN, settings))  # a fresh login
    assert codes(refused) == ["RATE_LIMITED"]
    assert "dari wilayah ini" in refused.json()["errors"][0]["message"]
    for role in (Role.EMPLOYEE, Role.SUPERVISOR, Role.REGION_ADMIN, Role.TRAINING_OFFICER):
        assert codes(await client(region_b.token(role, settings))) == []


@pytest.fixture
async def operator_token(make_operator, settings):
    from kinerja_saas.auth.service import _operator_actor
    from kinerja_saas.auth.tokens import issue_pair

    operator_id = await make_operator(f"op-fair-{region_counter()}@platform.test")
    op = await PlatformOperator.get(id=operator_id)
    return issue_pair(
        _operator_actor(op),
        token_version=1,
        secret=settings.jwt_secret,
        access_ttl=600,
        refresh_ttl=600,
    ).access_token


region_counter = itertools.count(1).__next__


async def test_the_limits_follow_the_regions_plan(
    make_client, region_a, region_b, settings, operator_token
):
    client = make_client(
        plan_limits=limits(
            SMALL={"region_requests_per_minute": 2},
            STANDARD={"region_requests_per_minute": 50, "user_requests_per_minute": 50},
        )
    )
    moved = await client(operator_token, SET_PLAN, {"id": str(region_a.id), "plan": "SMALL"})
    assert moved.json()["data"]["setRegionPlan"] == {
        "region": {"id": str(region_a.id), "plan": "SMALL"},
        "errors": [],
    }
    assert (await Tenant.get(id=region_a.id)).plan == RegionPlan.SMALL
    a_token, b_token = (r.token(Role.EMPLOYEE, settings) for r in (region_a, region_b))
    assert [codes(await client(a_token)) for _ in range(3)] == [[], [], ["RATE_LIMITED"]]
    assert [codes(await client(b_token)) for _ in range(3)] == [[], [], []]
    # Only operators move plans.
    refused = await client(
        region_b.token(Role.REGION_ADMIN, settings),
        SET_PLAN,
        {"id": str(region_b.id), "plan": "LARGE"},
    )
    assert codes(refused) == ["FORBIDDEN"]
    assert (await Tenant.get(id=region_b.id)).plan == RegionPlan.STANDARD


def test_plan_limits_default_per_plan_and_take_overrides():
    assert limits_of("SMALL", {}) == DEFAULT_PLAN_LIMITS[RegionPlan.SMALL]
    assert limits_of(None, {}) == DEFAULT_PLAN_LIMITS[RegionPlan.STANDARD]
    larger = limits_of("LARGE", {"LARGE": {"user_requests_per_minute": 7}})
    assert larger.user_requests_per_minute == 7
    assert larger.region_requests_per_minute == (
        DEFAULT_PLAN_LIMITS[RegionPlan.LARGE].region_requests_per_minute
    )
    with pytest.raises(ValueError, match="unknown plan"):
        Settings(env="test", plan_limits={"HUGE": {"user_requests_per_minute": 1}})
    with pytest.raises(ValueError, match="unknown limit"):
        Settings(env="test", plan_limits={"SMALL": {"requests": 1}})
    with pytest.raises(ValueError, match="positive integer"):
        Settings(env="test", plan_limits={"SMALL": {"user_requests_per_minute": 0}})


async def test_redis_down_lets_requests_through_and_warns(make_client, region_a, settings, caplog):
    from kinerja_saas import metrics, ratelimit

    ratelimit._logged_at.clear()  # another test's outage must not hide this one's line
    before = metrics.RATE_LIMIT_UNCHECKED.labels("requests")._value.get()
    # Port 1: nothing listens, so every Redis command fails at once.
    client = make_client(
        redis_url="redis://127.0.0.1:1/0",
        plan_limits=limits(STANDARD={"user_requests_per_minute": 1}),
    )
    token = region_a.token(Role.EMPLOYEE, settings)
    with caplog.at_level(logging.WARNING, logger="kinerja.ratelimit"):
        results = [codes(await client(token)) for _ in range(3)]
    assert results == [[], [], []]
    warnings = [r for r in caplog.records if r.name == "kinerja.ratelimit"]
    assert len(warnings) == 1  # once per outage, not once per request
    assert "rate limit not checked" in warnings[0].getMessage()
    assert "requests" in warnings[0].getMessage()
    assert metrics.RATE_LIMIT_UNCHECKED.labels("requests")._value.get() - before == 3


# --- the cap on one region's concurrent database work ---------------------------------------


async def test_a_region_at_its_cap_waits_while_another_region_gets_a_connection(region_a, region_b):
    slots = RegionSlots(capacity=2, wait_seconds=60)
    release = asyncio.Event()
    inside = asyncio.Queue()

    async def hold(tenant_id: int, tag: str) -> str:
        async with slots.slot(tenant_id), tenant_transaction(tenant_id) as conn:
            await conn.execute_query("SELECT 1")
            await inside.put(tag)
            await release.wait()
        return tag

    holders = [asyncio.create_task(hold(region_a.id, f"a{i}")) for i in range(2)]
    assert {await inside.get(), await inside.get()} == {"a0", "a1"}
    third = asyncio.create_task(hold(region_a.id, "a2"))
    while slots.waiting(region_a.id) == 0:  # noqa: ASYNC110 (the third is queued for a slot)
        await asyncio.sleep(0)

    # Region B gets a slot and a connection while region A's third waits.
    async with slots.slot(region_b.id), tenant_transaction(region_b.id) as conn:
        _, rows = await conn.execute_query("SELECT current_setting('app.tenant_id') AS t")
    assert rows[0]["t"] == str(region_b.id)
    assert not third.done() and inside.empty()
    assert slots.waiting(region_a.id) == 1

    release.set()
    assert sorted(await asyncio.gather(*holders, third)) == ["a0", "a1", "a2"]
    assert slots.waiting(region_a.id) == 0


async def test_an_operation_waiting_past_the_bound_gets_busy(
    make_client, region_a, region_b, settings
):
    client = make_client(db_pool_max=2, region_db_share=0.5, region_db_wait_seconds=0.05)
    slots = client.app.state.fair_share.slots
    assert slots.capacity == 1
    refused_before = _sample("kinerja_requests_refused_total", limit="busy")
    denied_before = _sample("kinerja_graphql_requests_total", operation="Me", outcome="denied")
    async with slots.slot(region_a.id):  # region A's only slot is taken
        busy = await client(region_a.token(Role.EMPLOYEE, settings))
        other = await client(region_b.token(Role.EMPLOYEE, settings))
    assert codes(busy) == ["BUSY"]
    assert _sample("kinerja_requests_refused_total", limit="busy") == refused_before + 1
    assert (
        _sample("kinerja_graphql_requests_total", operation="Me", outcome="denied")
        == denied_before + 1
    )
    assert busy.json()["errors"][0]["extensions"]["retryAfter"] == 1
    assert busy.headers["retry-after"] == "1"
    assert codes(other) == []
    assert codes(await client(region_a.token(Role.EMPLOYEE, settings))) == []


def _sample(name: str, **labels) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_busy_is_a_typed_rate_limit():
    error = RegionBusy()
    assert error.code == "BUSY"
    assert error.message == (
        "Wilayah ini sedang menjalankan terlalu banyak permintaan; coba lagi sebentar lagi."
    )
    assert error.extensions == {"code": "BUSY", "retryAfter": 1}


async def test_a_freed_slot_goes_to_the_least_busy_waiting_region():
    """With a process-wide bound, a region that queued later but runs nothing is served
    before the busy region's own queue."""
    slots = RegionSlots(capacity=2, wait_seconds=60, total=2)
    order: list[str] = []
    release = {name: asyncio.Event() for name in ("a1", "a2", "a3", "a4", "b1")}

    async def work(region: int, name: str) -> None:
        async with slots.slot(region):
            order.append(name)
            await release[name].wait()

    a1 = asyncio.create_task(work(1, "a1"))
    a2 = asyncio.create_task(work(1, "a2"))
    while len(order) < 2:  # noqa: ASYNC110 (both running)
        await asyncio.sleep(0)
    a3 = asyncio.create_task(work(1, "a3"))
    a4 = asyncio.create_task(work(1, "a4"))
    b1 = asyncio.create_task(work(2, "b1"))
    while slots.waiting(1) + slots.waiting(2) < 3:  # noqa: ASYNC110
        await asyncio.sleep(0)
    assert slots.running(1) == 2 and slots.running(2) == 0

    release["a1"].set()
    await a1
    while len(order) < 3:  # noqa: ASYNC110
        await asyncio.sleep(0)
    assert order == ["a1", "a2", "b1"]  # B first, though A's third queued before it
    for name in ("a2", "b1", "a3", "a4"):
        release[name].set()
    await asyncio.gather(a2, a3, a4, b1)
    assert order == ["a1", "a2", "b1", "a3", "a4"]
    assert slots.running(1) == slots.running(2) == 0


async def test_a_waiter_that_gives_up_leaves_no_slot_taken():
    slots = RegionSlots(capacity=1, wait_seconds=0.01)
    async with slots.slot(1):
        with pytest.raises(RegionBusy):
            async with slots.slot(1):
                pass
        assert slots.waiting(1) == 0
    assert slots.running(1) == 0
    async with slots.slot(1):  # free again
        assert slots.running(1) == 1


# --- sharing the process's slots between the regions at work --------------------------------


class Holder:
    """Operations of one region that take a slot and keep it until released."""

    def __init__(self, slots: RegionSlots, region: int | None) -> None:
        self.slots, self.region = slots, region
        self.tasks: list[asyncio.Task] = []
        self.releases: list[asyncio.Event] = []

    def start(self) -> int:
        release = asyncio.Event()

        async def run() -> None:
            async with self.slots.slot(self.region):
                await release.wait()

        self.releases.append(release)
        self.tasks.append(asyncio.create_task(run()))
        return len(self.tasks) - 1

    async def end(self, n: int) -> None:
        self.releases[n].set()
        await self.tasks[n]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_region_alone_takes_every_slot_and_leaves_room_once_another_is_at_work():
    slots = RegionSlots(capacity=10, wait_seconds=60, total=4)
    a, b = Holder(slots, 1), Holder(slots, 2)
    assert slots.share(1) == 4
    for _ in range(4):
        a.start()
    await settle()
    assert slots.running(1) == 4

    b.start()  # the process is full: B waits, and now A's share is half
    await settle()
    assert slots.waiting(2) == 1 and slots.share(1) == 2
    await a.end(0)
    await settle()
    assert slots.running(2) == 1  # the freed slot went to B

    a.start()  # A holds 3 of its share of 2: its fifth waits …
    await a.end(1)
    await settle()
    assert slots.running(1) == 2 and slots.waiting(1) == 1  # … though a slot is free: B's room
    await b.end(0)  # B has nothing left: A has every slot again
    await settle()
    assert slots.running(1) == 3 and slots.waiting(1) == 0 and slots.share(1) == 4
    for n in (2, 3, 4):
        await a.end(n)
    assert slots.running(1) == 0


async def test_a_region_that_worked_a_moment_ago_keeps_its_room():
    """People think between clicks: a small region is idle between its operations, yet a
    big region's rush must not fill the process in those gaps."""
    slots = RegionSlots(capacity=10, wait_seconds=60, total=4, active_seconds=60)
    async with slots.slot(2):
        pass
    assert slots.share(1) == 2  # B ended an operation within the minute
    a = Holder(slots, 1)
    for _ in range(3):
        a.start()
    await settle()
    assert slots.running(1) == 2 and slots.waiting(1) == 1
    for n in range(3):
        await a.end(n)

    lapsing = RegionSlots(capacity=10, wait_seconds=60, total=4, active_seconds=0.01)
    async with lapsing.slot(2):
        pass
    assert lapsing.share(1) == 2
    await asyncio.sleep(0.05)
    assert lapsing.share(1) == 4  # B's last operation is past the window


async def test_an_anonymous_operation_moves_to_its_region_once_a_service_names_it():
    slots = RegionSlots(capacity=1, wait_seconds=60, total=4)
    inside = asyncio.Queue()
    release = asyncio.Event()

    async def login_like(region: int) -> None:
        async with slots.slot(None):
            attribute_to_region(region)
            await inside.put(region)
            await release.wait()

    first = asyncio.create_task(login_like(1))
    await inside.get()
    assert slots.running(None) == 0 and slots.running(1) == 1  # kept its slot, now A's
    # A second one moves in place too, though A is at its share: it already holds its
    # transaction, so it must not wait with it …
    second = asyncio.create_task(login_like(1))
    await inside.get()
    assert slots.running(1) == 2 and slots.running(None) == 0
    # … but A's next operation waits for A's running ones, while B's goes in.
    a_next, b_next = Holder(slots, 1), Holder(slots, 2)
    a_next.start()
    b_next.start()
    await settle()
    assert slots.waiting(1) == 1 and slots.running(2) == 1
    release.set()
    await asyncio.gather(first, second)
    await settle()
    assert slots.running(1) == 1 and slots.waiting(1) == 0
    await a_next.end(0)
    await b_next.end(0)
    assert slots.running(1) == slots.running(2) == slots.running(None) == 0


async def test_attribution_outside_a_slot_does_nothing():
    attribute_to_region(1)  # a worker, the CLI, the survey page: no slot held


async def test_a_login_counts_as_its_region_once_its_account_is_found(
    make_client, region_a, region_b, settings
):
    """Logins start anonymous; once the e-mail names an account, the login's slot (and the
    time it holds it) is its region's; a made-up e-mail stays anonymous."""
    client = make_client()
    slots = client.app.state.fair_share.slots

    def login(email: str):
        return log_in(client, email)

    ok = await login(region_a.accounts[Role.EMPLOYEE].email)
    assert ok.json()["data"]["login"]["accessToken"]
    assert slots.usage(region_a.id) > 0 and slots.usage(region_b.id) == 0
    unknown = await login(f"nobody@{region_b.tenant.slug}.test")
    assert unknown.json()["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    assert slots.usage(region_b.id) == 0  # no account: not charged to anyone's region
    assert slots.running(None) == slots.running(region_a.id) == 0


async def test_a_login_waits_for_its_own_regions_password_check_only(
    make_client, region_a, region_b, settings
):
    """Region A's password check running: A's next login waits for it, B's goes through."""
    from kinerja_saas.auth import passwords

    client = make_client()

    def login(region):
        return log_in(client, region.accounts[Role.EMPLOYEE].email)

    async with passwords._slots.slot(region_a.id):
        waiting_a = asyncio.create_task(login(region_a))
        async with asyncio.timeout(10):
            while passwords._slots.waiting(region_a.id) == 0:  # noqa: ASYNC110 (queued)
                await asyncio.sleep(0.001)
        assert (await login(region_b)).json()["data"]["login"]["accessToken"]
        assert not waiting_a.done()
    assert (await waiting_a).json()["data"]["login"]["accessToken"]


async def test_password_checks_take_turns_by_region(region_a, region_b, password_hash):
    """At most one argon2 check per region at once (two in all): region B's login is
    checked while region A's next check waits for A's running one."""
    from kinerja_saas.auth import passwords

    async def check(region) -> bool:
        async with tenant_transaction(region.id):
            return await passwords.verify_password_async(password_hash, PASSWORD)

    async with passwords._slots.slot(region_a.id):  # A's check running
        waiting_a = asyncio.create_task(check(region_a))
        async with asyncio.timeout(10):
            while passwords._slots.waiting(region_a.id) == 0:  # noqa: ASYNC110 (queued)
                await asyncio.sleep(0.001)
        assert await check(region_b) is True  # B's went through meanwhile
        assert not waiting_a.done()
    assert await waiting_a is True


async def test_a_public_survey_submission_counts_as_the_codes_region(
    make_client, region_a, region_b
):
    from tests.surveys.helpers import open_campaign, token

    client = make_client()
    slots = client.app.state.fair_share.slots
    codes_a = (await open_campaign(region_a)).codes
    response = await client.http.post(
        "/graphql",
        json={
            "query": "mutation($c: String!, $a: [SurveyAnswerInput!]!, $t: String!) {"
            " submitSurveyResponse(code: $c, answers: $a, clientToken: $t)"
            " { accepted errors { code } } }",
            "variables": {
                "c": codes_a["ktp"],
                "a": [{"element": f"U{i}", "value": 3} for i in range(1, 10)],
                "t": token(),
            },
        },
    )
    assert response.json()["data"]["submitSurveyResponse"] == {"accepted": True, "errors": []}
    assert slots.usage(region_a.id) > 0 and slots.usage(region_b.id) == 0
    assert slots.running(None) == slots.running(region_a.id) == 0


# --- pacing: regions at work share the process's time ----------------------------------------


async def next_operation_waits_then_starts(slots: RegionSlots, region: int) -> None:
    """The region's next operation queues, then starts with no slot freed meanwhile (only
    the pacing timer can wake it), within 10 s."""
    started = asyncio.Event()

    async def next_operation() -> None:
        async with slots.slot(region):
            started.set()

    task = asyncio.create_task(next_operation())
    await settle()
    assert slots.waiting(region) == 1
    async with asyncio.timeout(10):
        await started.wait()
    await task


async def test_beside_another_region_a_region_that_used_its_time_waits_for_it_to_come_back():
    # Two regions at work share 0.02 s of slot time per second: 0.01 s each, 0.01 s burst.
    slots = RegionSlots(
        capacity=10, wait_seconds=60, total=4, busy_seconds_per_second=0.02, burst_seconds=0.01
    )
    other = Holder(slots, 2)
    other.start()  # region 2 at work
    async with slots.slot(1):
        await asyncio.sleep(0.05)  # region 1 holds its slot five times its burst
    assert slots.paced_for(1) > 1  # owes 0.04 s at 0.01 s a second

    paced = Holder(slots, 1)
    paced.start()
    await settle()
    assert slots.waiting(1) == 1 and slots.running(1) == 0  # though slots are free
    second = other.start()  # region 2's next operation is not held back
    await settle()
    assert slots.running(2) == 2
    for n in (0, second):
        await other.end(n)
    # Region 2 is done (no `active_seconds`): region 1 is alone, and alone nobody is paced.
    await settle()
    assert slots.paced_for(1) == 0 and slots.running(1) == 1
    await paced.end(0)


async def test_a_paced_operation_starts_by_itself_when_its_time_has_come_back():
    """No slot frees while it waits: a timer hands the slot on."""
    slots = RegionSlots(
        capacity=10, wait_seconds=60, total=4, busy_seconds_per_second=2.0, burst_seconds=0.01
    )
    other = Holder(slots, 2)
    other.start()
    async with slots.slot(1):
        await asyncio.sleep(0.5)
    # Region 2 has used nothing yet: region 1 may use all 2 s a second, and owes 0.49 s.
    assert slots.paced_for(1) > 0.1
    await next_operation_waits_then_starts(slots, 1)  # region 2 still holds its slot
    assert slots.running(2) == 1
    await other.end(0)


async def test_a_region_alone_is_never_paced():
    slots = RegionSlots(
        capacity=10, wait_seconds=60, total=4, busy_seconds_per_second=0.02, burst_seconds=0.01
    )
    async with slots.slot(1):
        await asyncio.sleep(0.03)
    assert slots.paced_for(1) == 0
    async with slots.slot(1):
        assert slots.running(1) == 1


def test_pacing_follows_the_settings(settings):
    def busy(value: float) -> float | None:
        return settings.model_copy(
            update={"api_shared_busy_seconds": value}
        ).api_busy_seconds_per_second

    assert busy(-1) is None
    assert busy(1.5) == 1.5
    assert busy(0) == (os.cpu_count() or 1) / 2


async def test_what_quiet_regions_leave_of_their_share_goes_to_the_busy_one():
    slots = RegionSlots(
        capacity=10, wait_seconds=60, total=4, busy_seconds_per_second=1.0, active_seconds=60
    )
    assert slots.allowance(1) is None  # alone: not paced at all
    idle = Holder(slots, 3)
    idle.start()  # region 3 at work, using nothing yet
    async with slots.slot(1):
        await asyncio.sleep(0.3)  # region 1: ~0.06 s a second over 5 s
    async with slots.slot(2):
        await asyncio.sleep(0.1)  # region 2: ~0.02 s a second
    # Region 1 dominates: its equal third, raised by what 2 and 3 leave of theirs.
    assert 0.95 < slots.allowance(1) < 1.0
    assert slots.allowance(2) is None  # uses less than the others together: not paced
    await idle.end(0)


async def test_regions_busy_alike_are_not_paced():
    """Many regions each at full speed (public survey submissions everywhere): none
    dominates, so the slots alone share the process and it runs at full speed."""
    slots = RegionSlots(
        capacity=10, wait_seconds=60, total=4, busy_seconds_per_second=0.02, burst_seconds=0.01
    )

    async def busy(region: int) -> None:
        async with slots.slot(region):
            await asyncio.sleep(0.05)

    await asyncio.gather(*(busy(region) for region in (1, 2, 3)))
    await asyncio.gather(*(busy(region) for region in (1, 2, 3)))
    assert [slots.allowance(region) for region in (1, 2, 3)] == [None, None, None]
    assert [slots.paced_for(region) for region in (1, 2, 3)] == [0, 0, 0]


async def test_a_paced_region_left_alone_starts_at_once():
    """Pacing is for sharing: when the other region stops being at work, the paced
    region's waiting operation starts (no slot frees then: a timer notices)."""
    slots = RegionSlots(
        capacity=10,
        wait_seconds=60,
        total=4,
        busy_seconds_per_second=0.002,
        burst_seconds=0.001,
        active_seconds=0.2,
    )
    async with slots.slot(2):
        pass  # region 2 at work for 0.2 s more
    async with slots.slot(1):
        await asyncio.sleep(0.1)
    assert slots.paced_for(1) > 20  # owes ~0.1 s at ~0.002 s a second
    await next_operation_waits_then_starts(slots, 1)  # 10 s at most: far less than the pacing


async def test_a_slot_ended_before_its_sibling_names_the_region_stays_ended():
    """A sibling field's task may enter the region after the operation's slot is gone:
    nothing is taken then (a move never waits, so it cannot be granted late)."""
    slots = RegionSlots(capacity=1, wait_seconds=60, total=4)
    async with slots.slot(None) as held:
        pass
    slots.move(held, 1)
    assert slots.running(1) == slots.running(None) == 0
    async with slots.slot(1):
        assert slots.running(1) == 1
