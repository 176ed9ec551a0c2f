"""The platform as `make run` starts it (`kinerja dev`: migrations, demo seed, API and worker)
on a fresh database, used only over HTTP and WebSocket with a client nobody here wrote: the
Python `gql` client (aiohttp for queries and the multipart upload, websockets for the
`notificationReceived` subscription over graphql-transport-ws).

- The tour `kinerja dev` prints last runs as printed, and every demo login has work waiting.
- A region's whole year, as its people would walk it: onboarding, activation from the dev
  mailbox, the roster upload, planning, realisations, a low performer's evaluation, the
  training the worker assigns and the training unit completes, the JP ledger, a public
  survey and its results; each notification arrives live within 1 s of its mutation.
- A second start reuses the data.

The one step not over the API: a training officer's role is granted with the operators'
`kinerja tenant grant-role` (no mutation grants a role yet; issue #18 adds grantRole)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import email
import email.policy
import io
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from gql import Client, FileVar, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport

from bench.common import empty_redis
from kinerja_saas.runtime.seed import DEMO_PASSWORD, OPERATOR_EMAIL, REGIONS, demo_nip
from tests.conftest import TEST_DATABASE, TEST_REDIS_DB
from tests.devplatform import READY, DevPlatform, drop_database, fresh_database, redis_url_with_db

# The dev platform's own Redis database: its worker must never take the suite's jobs.
DEV_REDIS_DB = 13 if TEST_REDIS_DB == 14 else 14
LIVE_WITHIN_SECONDS = 1.0
SLUG = "kota-jurnal"
PASSWORD = "Rahasia-Jurnal-2026"
SUBSCRIPTION = "subscription { notificationReceived { id kind title body link createdAt } }"


@pytest.fixture(scope="module")
async def platform(settings, tmp_path_factory):
    owner_url = await fresh_database(settings, f"{TEST_DATABASE}_dev")
    redis_url = redis_url_with_db(settings.redis_url or "", DEV_REDIS_DB)
    await empty_redis(redis_url)
    folder = tmp_path_factory.mktemp("dev-platform")
    dev = DevPlatform(owner_url, redis_url, folder / "data")
    try:
        await dev.start(folder / "first.log")
        yield dev
    finally:
        await dev.stop()
        await empty_redis(redis_url)
        await drop_database(owner_url)


# --- the gql client ------------------------------------------------------------------------


class Api:
    """One HTTP request per call through gql's aiohttp transport."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        upload: bool = False,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        transport = AIOHTTPTransport(url=self.url, headers=headers, timeout=60)
        async with Client(transport=transport, execute_timeout=60) as session:
            request = gql(query)
            request.variable_values = variables
            return await session.execute(request, upload_files=upload)

    async def ok(self, query: str, variables=None, *, token=None, upload=False) -> dict:
        """The mutation's one payload, which must carry no errors."""
        data = await self(query, variables, token=token, upload=upload)
        (payload,) = data.values()
        assert payload["errors"] == [], payload["errors"]
        return payload

    async def login(self, email_: str, password: str) -> str:
        payload = await self.ok(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p)"
            " { accessToken errors { field code message } } }",
            {"e": email_, "p": password},
        )
        return payload["accessToken"]


@dataclass
class Subscriber:
    """`notificationReceived` over graphql-transport-ws, through gql's websockets transport,
    the access token in connection_init as the README says."""

    name: str
    ws_url: str
    token: str
    received: list[tuple[float, dict]] = field(default_factory=list)
    task: asyncio.Task | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        transport = WebsocketsTransport(
            url=self.ws_url,
            init_payload={"authorization": f"Bearer {self.token}"},
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        )
        async with Client(transport=transport) as session:
            async for data in session.subscribe(gql(SUBSCRIPTION)):
                self.received.append((time.monotonic(), data["notificationReceived"]))
                self.arrived.set()

    async def expect(self, kind: str, *, since: float, within: float) -> float:
        """Seconds from `since` to the arrival of a `kind` notification received after it."""
        deadline = since + within + 5.0  # wait past the limit to report what it took
        while True:
            for at, item in self.received:
                if item["kind"] == kind and at >= since:
                    return at - since
            assert self.task is not None
            if self.task.done():
                raise AssertionError(f"{self.name}'s subscription ended: {self.task!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"{self.name} got no {kind} live; got {[i['kind'] for _, i in self.received]}"
                )
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def eventually(check, *, seconds: float = 30.0, what: str):
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        await asyncio.sleep(0.2)


def activation_tokens(platform: DevPlatform) -> dict[str, str]:
    """The newest activation link's token per recipient, read from the dev mailbox's .eml
    files as a person would open them."""
    tokens: dict[str, str] = {}
    if not platform.mailbox.exists():
        return tokens
    for path in sorted(platform.mailbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",)).get_content()
        found = re.search(r"/aktivasi#token=([A-Za-z0-9_.-]+)", body)
        if found:
            tokens[message["To"].addresses[0].addr_spec] = found.group(1)
    return tokens


async def token_from_mailbox(platform: DevPlatform, address: str) -> str:
    async def look():
        return activation_tokens(platform).get(address)

    return await eventually(look, what=f"an activation e-mail to {address} in the dev mailbox")


# --- the tour and the demo -----------------------------------------------------------------


def printed_tour(log: str) -> list[tuple[str | None, str]]:
    """(login or None, query) of each "try this" entry after the last ready banner."""
    tour = log[log.rindex(READY) :]
    entries = re.findall(r"^([^\n]+)\n  (\{[^\n]+\})$", tour, re.M)
    out = []
    for who, query in entries:
        login = re.search(r"\(([^()\s]+@[^()\s]+)\)", who)
        out.append((login.group(1) if login else None, query))
    return out


async def test_dev_prints_the_tour_last_and_every_demo_login_has_work_waiting(platform):
    log = platform.log_at_ready
    banner = log.rindex(READY)
    # Last: after the server started and after the jobs of the demo's start-up (no job line
    # of arq's follows it, only its periodic health line may).
    assert log.index("Application startup complete") < banner
    after = log[banner:].splitlines()
    assert not [line for line in after if re.search(r" (→|←) \S+:\S+", line)], after
    tour = printed_tour(log)
    assert [login.split("@")[0] if login else None for login, _ in tour] == [
        "operator",
        "region.admin",
        "supervisor",
        "employee",
        "training.officer",
        None,
    ]
    api = Api(platform.url)
    results = []
    for login, query in tour:
        token = await api.login(login, DEMO_PASSWORD) if login else None
        results.append(await api(query, token=token))  # gql raises on any GraphQL error
    operator, admin, supervisor, employee, officer, public = results

    regions = {e["node"]["region"]["slug"]: e["node"] for e in operator["regions"]["edges"]}
    assert {r.slug for r in REGIONS} <= set(regions)
    assert all(regions[r.slug]["employees"] == 34 for r in REGIONS)
    # The survey's public responses, aggregated by the worker; unread notifications.
    assert admin["surveyResults"]["region"]["respondents"] == 45
    assert len(admin["surveyResults"]["items"]) == 3
    assert admin["unreadNotificationCount"] >= 2  # import finished, period opened
    # The supervisor: a plan to approve, a realisation to verify, a low performer.
    team = supervisor["myTeam"]
    assert sorted(m["planStatus"] for m in team) == ["APPROVED", "APPROVED", "SUBMITTED"]
    assert sum(m["pendingVerifications"] for m in team) == 1
    assert "BUTUH_PERBAIKAN" in [m["latestPredikat"] for m in team]
    # The employee: an approved plan with a realisation to enter again, and notifications.
    plan = employee["myPlan"]
    statuses = [
        r["status"] for res in plan["results"] for i in res["indicators"] for r in i["realisations"]
    ]
    assert plan["status"] == "APPROVED" and sorted(statuses) == [
        "REJECTED",
        "SUBMITTED",
        "VERIFIED",
    ]
    assert employee["myNotifications"]["edges"]
    # The training officer: the self-enrolment and what the worker assigned to the low
    # performer from the finalised evaluation.
    reasons = {e["node"]["reason"] for e in officer["trainingAssignments"]["edges"]}
    assert "SELF_ENROLMENT" in reasons and reasons & {"PREDIKAT", "WEAK_RESULT", "WEAK_BEHAVIOUR"}
    # The public form has the regulation's 9 elements with their answer labels.
    form = public["surveyForm"]
    assert form["isOpen"] and len(form["elements"]) == 9
    assert all(len(e["answerLabels"]) == 4 for e in form["elements"])


async def test_each_demo_region_is_onboarded_and_runs_the_cycle(platform):
    """Onboarding's reference data in every demo region, the officer's role and unit, plans
    in every state; and the demo supervisor can evaluate (saveEvaluation answered
    UNKNOWN_VALUE ×7 and finaliseEvaluation "Unexpected error." on the old demo)."""
    api = Api(platform.url)
    for region in REGIONS:
        admin = await api.login(f"region.admin@{region.slug}.demo.kinerja.id", DEMO_PASSWORD)
        data = await api(
            "{ behaviourValues { code } surveyElements { code } competencies { code }"
            " trainingRules { id } trainingUnits { id name } trainingProgrammes { id }"
            " plans(first: 50) { edges { node { status } } } periods { id status } }",
            token=admin,
        )
        assert len(data["behaviourValues"]) == 7 and len(data["surveyElements"]) == 9
        assert len(data["competencies"]) == 9 and len(data["trainingRules"]) == 13
        assert len(data["trainingUnits"]) == 1 and len(data["trainingProgrammes"]) == 4
        states = {e["node"]["status"] for e in data["plans"]["edges"]}
        assert {"DRAFT", "SUBMITTED", "APPROVED", "RETURNED"} <= states, states
        assert [p["status"] for p in data["periods"]] == ["ACTIVE"]
        officer = await api.login(f"training.officer@{region.slug}.demo.kinerja.id", DEMO_PASSWORD)
        me = await api("{ me { roles } }", token=officer)
        assert "TRAINING_OFFICER" in me["me"]["roles"]

    slug = REGIONS[0].slug
    supervisor = await api.login(f"supervisor@{slug}.demo.kinerja.id", DEMO_PASSWORD)
    data = await api(
        "{ behaviourValues { code } periods { id checkpoints { id startsOn } } }", token=supervisor
    )
    period = data["periods"][0]
    checkpoint = max(
        (c for c in period["checkpoints"] if c["startsOn"] <= date.today().isoformat()),
        key=lambda c: c["startsOn"],
    )
    team = await api(
        "query($p: ID!) { myTeam(periodId: $p) { planId planStatus latestPredikat } }",
        {"p": period["id"]},
        token=supervisor,
    )
    (plan_id,) = [
        m["planId"]
        for m in team["myTeam"]
        if m["planStatus"] == "APPROVED" and m["latestPredikat"] is None
    ]
    saved = await api.ok(
        "mutation($i: SaveEvaluationInput!) { saveEvaluation(input: $i) {"
        " evaluation { id proposedResultRating } errors { field code message } } }",
        {
            "i": {
                "planId": plan_id,
                "checkpointId": checkpoint["id"],
                "behaviour": [
                    {"code": v["code"], "rating": "SESUAI_EKSPEKTASI"}
                    for v in data["behaviourValues"]
                ],
                "feedback": "Pertahankan, lengkapi bukti laporan.",
            }
        },
        token=supervisor,
    )
    evaluation = saved["evaluation"]
    await api.ok(
        "mutation($i: SaveEvaluationInput!) { saveEvaluation(input: $i) {"
        " evaluation { id } errors { field code message } } }",
        {
            "i": {
                "planId": plan_id,
                "checkpointId": checkpoint["id"],
                "resultRating": evaluation["proposedResultRating"],
            }
        },
        token=supervisor,
    )
    final = await api.ok(
        "mutation($id: ID!) { finaliseEvaluation(id: $id) {"
        " evaluation { status predikat } errors { field code message } } }",
        {"id": evaluation["id"]},
        token=supervisor,
    )
    assert final["evaluation"]["status"] == "FINALISED" and final["evaluation"]["predikat"]


# --- the journey ---------------------------------------------------------------------------

ROSTER_PEOPLE = (
    # key, name, position, type, golongan, unit path, supervisor key, e-mail
    ("head", "Hendra Saputra", "Kepala Dinas", "STRUKTURAL", "IV/b", "DUKCAPIL", None, "kadis"),
    ("chief", "Sari Wijaya", "Kepala Bidang", "STRUKTURAL", "III/d", "PDP", "head", "atasan"),
    ("staff", "Budi Pratama", "Pengelola Data", "PELAKSANA", "III/a", "PDP", "chief", "pegawai"),
    ("peer", "Dewi Lestari", "Analis Kebijakan", "FUNGSIONAL", "III/b", "PDP", "chief", None),
    ("bkpsdm", "Agus Harahap", "Kepala BKPSDM", "STRUKTURAL", "IV/b", "BKPSDM", None, "kaban"),
    ("diklat", "Maya Siregar", "Pengelola Diklat", "FUNGSIONAL", "III/c", "PK", "bkpsdm", "diklat"),
)
UNIT_PATHS = {
    "DUKCAPIL": "Dinas Kependudukan dan Pencatatan Sipil",
    "PDP": "Dinas Kependudukan dan Pencatatan Sipil/Bidang Pelayanan Pendaftaran Penduduk",
    "BKPSDM": "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
    "PK": "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia/Bidang Pengembangan Kompetensi",
}


def journey_email(local: str) -> str:
    return f"{local}@{SLUG}.go.id"


def roster_csv() -> bytes:
    nips = {
        key: demo_nip(9, n, name.split()[0]) for n, (key, name, *_) in enumerate(ROSTER_PEOPLE, 1)
    }
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(
        (
            "NIP",
            "Nama Lengkap",
            "Jabatan",
            "Jenis Jabatan",
            "Golongan",
            "Unit Kerja",
            "NIP Atasan",
            "E-mail",
            "No HP",
        )
    )
    for n, (key, name, position, ptype, golongan, unit, boss, mail) in enumerate(ROSTER_PEOPLE, 1):
        writer.writerow(
            (
                nips[key],
                name,
                position,
                ptype,
                golongan,
                UNIT_PATHS[unit],
                nips[boss] if boss else "",
                journey_email(mail) if mail else "",
                f"08129{n:07d}",
            )
        )
    return out.getvalue().encode()


PLAN = {
    "kind": "UTAMA",
    "text": "Terlayaninya permohonan KTP-el tepat waktu",
    "indicators": [
        {
            "text": "KTP-el dicetak",
            "aspect": "KUANTITAS",
            "target": "1000",
            "unit": "keping",
            "weight": "60",
        },
        {
            "text": "Rata-rata waktu layanan",
            "aspect": "WAKTU",
            "target": "3",
            "unit": "hari",
            "weight": "40",
            "direction": "LOWER_IS_BETTER",
        },
    ],
}


@dataclass
class Latencies:
    seen: dict[str, float] = field(default_factory=dict)

    async def check(self, subscriber: Subscriber, kind: str, since: float, *, limit: float):
        took = await subscriber.expect(kind, since=since, within=limit)
        self.seen[f"{kind} → {subscriber.name}"] = took
        assert took <= limit, f"{kind} reached {subscriber.name} after {took:.2f} s"


async def test_a_region_walks_its_year_with_gql_and_notifications_arrive_live(platform):
    api = Api(platform.url)
    live = Latencies()
    subscribers: list[Subscriber] = []
    started = time.monotonic()

    async def subscribe(name: str, token: str) -> Subscriber:
        s = Subscriber(name, platform.ws_url, token)
        await s.start()
        subscribers.append(s)
        return s

    async def mutate(query: str, variables=None, *, token=None, upload=False):
        """The payload, and the moment its response arrived (the transaction committed)."""
        payload = await api.ok(query, variables, token=token, upload=upload)
        return payload, time.monotonic()

    try:
        # The platform operator onboards the region.
        operator = await api.login(OPERATOR_EMAIL, DEMO_PASSWORD)
        onboarded, _ = await mutate(
            "mutation($i: OnboardRegionInput!) { onboardRegion(input: $i) {"
            " region { id slug } activationToken errors { field code message } } }",
            {
                "i": {
                    "slug": SLUG,
                    "name": "Kota Jurnal",
                    "kind": "KOTA",
                    "province": "Bengkulu",
                    "timezone": "WIB",
                    "admin": {"name": "Admin BKPSDM", "email": journey_email("admin")},
                }
            },
            token=operator,
        )
        assert onboarded["region"]["slug"] == SLUG

        # The admin activates from the e-mail in the dev mailbox (not the token the
        # operator was shown) and uploads the roster (multipart).
        activated, _ = await mutate(
            "mutation($t: String!, $p: String!) { activateAccount(token: $t, password: $p) {"
            " accessToken errors { field code message } } }",
            {"t": await token_from_mailbox(platform, journey_email("admin")), "p": PASSWORD},
        )
        admin = activated["accessToken"]
        admin_live = await subscribe("admin", admin)
        await asyncio.sleep(0.5)  # the subscription reaches the server's hub
        job, imported_at = await mutate(
            "mutation($f: Upload!) { importEmployees(file: $f) {"
            " job { id status } errors { field code message } } }",
            {
                "f": FileVar(
                    io.BytesIO(roster_csv()), filename="pegawai.csv", content_type="text/csv"
                )
            },
            token=admin,
            upload=True,
        )

        async def import_done():
            found = await api(
                "query($id: ID!) { importJob(id: $id) { status errorCount summary {"
                " created accountsCreated } } }",
                {"id": job["job"]["id"]},
                token=admin,
            )
            return (
                found["importJob"]
                if found["importJob"]["status"] in ("SUCCEEDED", "FAILED")
                else None
            )

        result = await eventually(import_done, what="the roster import")
        assert result["status"] == "SUCCEEDED", result
        assert result["summary"] == {"created": 6, "accountsCreated": 5}
        # The import's notification reaches the admin live; the job itself takes a moment,
        # so this one is timed from the upload but not held to the 1 s of a mutation.
        live.seen["IMPORT_FINISHED → admin (from the upload)"] = await admin_live.expect(
            "IMPORT_FINISHED", since=imported_at, within=30
        )

        # Each imported person activates from their own e-mail.
        tokens = {}
        for person in ("atasan", "pegawai", "diklat"):
            done, _ = await mutate(
                "mutation($t: String!, $p: String!) { activateAccount(token: $t, password: $p) {"
                " accessToken errors { field code message } } }",
                {"t": await token_from_mailbox(platform, journey_email(person)), "p": PASSWORD},
            )
            tokens[person] = done["accessToken"]
        supervisor, employee = tokens["atasan"], tokens["pegawai"]

        # The training officer: the role from the operators' CLI (no mutation grants one
        # yet), the unit from the admin over the API; the officer logs in again for a token
        # with the role.
        code, out = await platform.cli(
            "tenant", "grant-role", SLUG, journey_email("diklat"), "TRAINING_OFFICER"
        )
        assert code == 0 and "TRAINING_OFFICER" in out, out
        people = await api(
            "{ employees(first: 20) { edges { node { id email unitId login { id roles } } } } }",
            token=admin,
        )
        by_email = {e["node"]["email"]: e["node"] for e in people["employees"]["edges"]}
        unit, _ = await mutate(
            'mutation { saveTrainingUnit(name: "Bidang Pengembangan Kompetensi",'
            ' email: "diklat@kota-jurnal.go.id") { trainingUnit { id } errors { field code message } } }',
            token=admin,
        )
        await mutate(
            "mutation($u: ID!, $t: ID!) { setTrainingOfficer(userId: $u, trainingUnitId: $t) {"
            " ok errors { field code message } } }",
            {
                "u": by_email[journey_email("diklat")]["login"]["id"],
                "t": unit["trainingUnit"]["id"],
            },
            token=admin,
        )
        officer = await api.login(journey_email("diklat"), PASSWORD)
        competencies = await api("{ competencies { id code } }", token=admin)
        competency = {c["code"]: c["id"] for c in competencies["competencies"]}
        programme, _ = await mutate(
            "mutation($i: TrainingProgrammeInput!) { saveTrainingProgramme(input: $i) {"
            " programme { id jpHours } errors { field code message } } }",
            {
                "i": {
                    "trainingUnitId": unit["trainingUnit"]["id"],
                    "title": "Manajemen Waktu dan Prioritas Kerja",
                    "mode": "KLASIKAL",
                    "jpHours": 16,
                    "capacity": 20,
                    "competencyIds": [competency["MJ-WAKTU"]],
                }
            },
            token=admin,
        )
        tomorrow = date.today() + timedelta(days=1)
        batch, _ = await mutate(
            "mutation($p: ID!, $s: Date!, $e: Date!) { createTrainingBatch(programmeId: $p,"
            ' name: "Angkatan I", startsOn: $s, endsOn: $e) { batch { id } errors { field code message } } }',
            {
                "p": programme["programme"]["id"],
                "s": tomorrow.isoformat(),
                "e": (tomorrow + timedelta(days=1)).isoformat(),
            },
            token=admin,
        )

        # Everyone subscribes; the period's opening reaches them all (the first live
        # notification of a subscription also warms its path: not held to the limit).
        supervisor_live = await subscribe("supervisor", supervisor)
        employee_live = await subscribe("employee", employee)
        officer_live = await subscribe("officer", officer)
        await asyncio.sleep(0.5)
        opened, opened_at = await mutate(
            "mutation($y: Int!) { openPeriod(input: {year: $y}) { period { id checkpoints {"
            " id startsOn } } errors { field code message } } }",
            {"y": date.today().year},
            token=admin,
        )
        for s in (admin_live, supervisor_live, employee_live, officer_live):
            live.seen[f"PERIOD_OPENED → {s.name} (first)"] = await s.expect(
                "PERIOD_OPENED", since=opened_at, within=10
            )
        period_id = opened["period"]["id"]
        checkpoint = max(
            (
                c
                for c in opened["period"]["checkpoints"]
                if c["startsOn"] <= date.today().isoformat()
            ),
            key=lambda c: c["startsOn"],
        )
        await mutate(
            "mutation($id: ID!) { advancePeriod(id: $id, status: ACTIVE) { period { status }"
            " errors { field code message } } }",
            {"id": period_id},
            token=admin,
        )

        # The employee plans and submits; the supervisor hears of it live and approves.
        saved, _ = await mutate(
            "mutation($i: SavePlanInput!) { savePlan(input: $i) { plan { id results {"
            " indicators { id } } } errors { field code message } } }",
            {"i": {"periodId": period_id, "results": [PLAN]}},
            token=employee,
        )
        plan_id = saved["plan"]["id"]
        indicators = [i["id"] for r in saved["plan"]["results"] for i in r["indicators"]]
        _, at = await mutate(
            "mutation($id: ID!) { submitPlan(id: $id) { plan { status } errors { field code message } } }",
            {"id": plan_id},
            token=employee,
        )
        await live.check(supervisor_live, "PLAN_SUBMITTED", at, limit=LIVE_WITHIN_SECONDS)
        _, at = await mutate(
            "mutation($id: ID!) { approvePlan(id: $id) { plan { status } errors { field code message } } }",
            {"id": plan_id},
            token=supervisor,
        )
        await live.check(employee_live, "PLAN_APPROVED", at, limit=LIVE_WITHIN_SECONDS)

        # Realisations far below target, verified by the supervisor.
        for indicator_id, value in zip(indicators, ("300", "7"), strict=True):
            entered, _ = await mutate(
                "mutation($i: RecordRealisationInput!) { recordRealisation(input: $i) {"
                " realisation { id } errors { field code message } } }",
                {
                    "i": {
                        "indicatorId": indicator_id,
                        "checkpointId": checkpoint["id"],
                        "value": value,
                        "evidence": [{"url": "https://arsip.kota-jurnal.go.id/rekap.pdf"}],
                    }
                },
                token=employee,
            )
            await mutate(
                "mutation($id: ID!) { verifyRealisation(id: $id) { realisation { status }"
                " errors { field code message } } }",
                {"id": entered["realisation"]["id"]},
                token=supervisor,
            )

        # The checkpoint's evaluation, finalised: a low performer.
        values = await api("{ behaviourValues { code } }", token=supervisor)
        evaluation, _ = await mutate(
            "mutation($i: SaveEvaluationInput!) { saveEvaluation(input: $i) {"
            " evaluation { id proposedResultRating } errors { field code message } } }",
            {
                "i": {
                    "planId": plan_id,
                    "checkpointId": checkpoint["id"],
                    "resultRating": "DI_BAWAH_EKSPEKTASI",
                    "behaviour": [
                        {"code": v["code"], "rating": "SESUAI_EKSPEKTASI"}
                        for v in values["behaviourValues"]
                    ],
                    "feedback": "Capaian di bawah target; ikuti pelatihan manajemen waktu.",
                }
            },
            token=supervisor,
        )
        assert evaluation["evaluation"]["proposedResultRating"] == "DI_BAWAH_EKSPEKTASI"
        final, at = await mutate(
            "mutation($id: ID!) { finaliseEvaluation(id: $id) { evaluation { status predikat }"
            " errors { field code message } } }",
            {"id": evaluation["evaluation"]["id"]},
            token=supervisor,
        )
        assert final["evaluation"] == {"status": "FINALISED", "predikat": "BUTUH_PERBAIKAN"}
        await live.check(employee_live, "EVALUATION_FINALISED", at, limit=LIVE_WITHIN_SECONDS)
        # The worker assigns the training from the finalised evaluation's event: the
        # employee and the training unit hear of it live.
        await live.check(employee_live, "TRAINING_ASSIGNED", at, limit=LIVE_WITHIN_SECONDS)
        await live.check(officer_live, "TRAINING_UNIT_ASSIGNED", at, limit=LIVE_WITHIN_SECONDS)

        # The training unit confirms the batch, records attendance and completes.
        listed = await api(
            "{ trainingAssignments(first: 10) { edges { node { id status reason predikat"
            " employee { email } batch { id } programme { jpHours } } } } }",
            token=officer,
        )
        (assignment,) = [e["node"] for e in listed["trainingAssignments"]["edges"]]
        assert assignment["employee"]["email"] == journey_email("pegawai")
        assert (assignment["status"], assignment["predikat"]) == ("ASSIGNED", "BUTUH_PERBAIKAN")
        assert assignment["batch"]["id"] == batch["batch"]["id"]
        await mutate(
            "mutation($b: ID!) { confirmTrainingBatch(batchId: $b) { batch { confirmedAt }"
            " errors { field code message } } }",
            {"b": batch["batch"]["id"]},
            token=officer,
        )
        attended, _ = await mutate(
            "mutation($ids: [ID!]!) { recordTrainingAttendance(assignmentIds: $ids) {"
            " assignments { status } errors { field code message } } }",
            {"ids": [assignment["id"]]},
            token=officer,
        )
        assert [a["status"] for a in attended["assignments"]] == ["ATTENDED"]
        completed, _ = await mutate(
            "mutation($id: ID!) { completeTraining(assignmentId: $id, score: 87.5,"
            ' certificateRef: "DIKLAT/2026/001") { assignment { status score }'
            " errors { field code message } } }",
            {"id": assignment["id"]},
            token=officer,
        )
        assert completed["assignment"] == {"status": "COMPLETED", "score": 87.5}

        # The JP ledger counts it against the yearly entitlement.
        ledger = await api(
            "query($y: Int!) { jpLedger(year: $y) { edges { node { nip name completedJp"
            " entitlement shortfall } } } }",
            {"y": date.today().year},
            token=admin,
        )
        lines = {e["node"]["name"]: e["node"] for e in ledger["jpLedger"]["edges"]}
        assert (lines["Budi Pratama"]["completedJp"], lines["Budi Pratama"]["shortfall"]) == (16, 4)
        assert lines["Dewi Lestari"]["completedJp"] == 0

        # A public survey: the admin sets it up, a citizen answers by code, no login.
        service, _ = await mutate(
            "mutation($i: SurveyServiceInput!) { saveSurveyService(input: $i) { service { id }"
            " errors { field code message } } }",
            {
                "i": {
                    "unitId": by_email[journey_email("atasan")]["unitId"],
                    "name": "Perekaman KTP Elektronik",
                    "populationPerYear": 1000,
                }
            },
            token=admin,
        )
        campaign, _ = await mutate(
            "mutation($i: SurveyCampaignInput!) { createSurveyCampaign(input: $i) {"
            " campaign { id services { code } } errors { field code message } } }",
            {
                "i": {
                    "name": "SKM Semester II",
                    "periodLabel": "Semester II",
                    "opensOn": (date.today() - timedelta(days=1)).isoformat(),
                    "closesOn": (date.today() + timedelta(days=30)).isoformat(),
                    "serviceIds": [service["service"]["id"]],
                    "profileFields": ["gender"],
                }
            },
            token=admin,
        )
        code = campaign["campaign"]["services"][0]["code"]
        form = await api(
            "query($c: String!) { surveyForm(code: $c) { regionName isOpen elements { code } } }",
            {"c": code},
        )
        assert form["surveyForm"]["regionName"] == "Kota Jurnal" and form["surveyForm"]["isOpen"]
        for n, answer in enumerate((4, 3)):
            answered, _ = await mutate(
                "mutation($c: String!, $a: [SurveyAnswerInput!]!, $t: String!) {"
                " submitSurveyResponse(code: $c, answers: $a, clientToken: $t,"
                ' profile: {gender: "PEREMPUAN"}) { accepted replayed errors { field code message } } }',
                {
                    "c": code,
                    "a": [
                        {"element": e["code"], "value": answer}
                        for e in form["surveyForm"]["elements"]
                    ],
                    "t": f"journey-{n:04d}",
                },
            )
            assert answered["accepted"] and not answered["replayed"]

        async def results():
            found = await api(
                "query($c: ID!) { surveyResults(campaignId: $c) { region { respondents ikm"
                " convertedIkm band } } }",
                {"c": campaign["campaign"]["id"]},
                token=admin,
            )
            region = found["surveyResults"]["region"]
            return region if region and region["respondents"] == 2 else None

        totals = await eventually(results, what="the survey results (the worker's aggregation)")
        assert (totals["ikm"], totals["convertedIkm"], totals["band"]) == (3.5, 87.5, "B")
    finally:
        for s in subscribers:
            await s.stop()
    print(
        f"\njourney: {time.monotonic() - started:.1f} s after `kinerja dev` was ready"
        f" ({platform.ready_seconds:.1f} s to start it); live notifications:\n"
        + "\n".join(f"  {name}: {seconds * 1000:.0f} ms" for name, seconds in live.seen.items())
    )


async def test_a_second_start_reuses_the_data(platform):
    api = Api(platform.url)
    admin = await api.login(f"region.admin@{REGIONS[0].slug}.demo.kinerja.id", DEMO_PASSWORD)
    query = "{ employees(first: 1) { totalCount } plans(first: 1) { totalCount } }"
    before = await api(query, token=admin)
    await platform.stop()
    await platform.start(platform.data_dir.parent / "second.log")
    log = platform.log_at_ready
    assert "regions made now: none" in log
    assert await api(query, token=admin) == before
