"""Demo regions for `make run` and `kinerja seed-demo`, made the way a real region is made,
so every demo login has work waiting and every feature runs on them.

Each region goes through the services a region uses, never through direct inserts:

- `onboard_region` (as `onboardRegion`): the region, its settings and reference data
  (BerAKHLAK values, SKM elements, competencies, training rules) and its first admin, who
  activates the account as from the activation e-mail;
- the roster import (as `importEmployees`): units from the paths, employees, supervisors,
  logins; the demo's supervisor, employee and training officer activate theirs;
- the training catalogue: a training unit, the officer (the TRAINING_OFFICER role through
  `auth.grants`, the unit through `setTrainingOfficer`), programmes with upcoming batches;
- the performance cycle: the year's period, ACTIVE, with plans in every state (draft,
  submitted, approved, returned), realisations (verified, waiting, rejected), a low
  performer's checkpoint evaluation finalised (the worker then assigns their training) and
  a self-enrolment;
- a survey campaign over three services with public responses (the submission service),
  whose codes are printed.

The notifications of all this are written by the worker from the outbox, as for any region.
Each region is seeded in one transaction: a region that exists is complete, and a second run
reuses it as it is (idempotent), adding nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

import asyncpg

from kinerja_saas.auth.activation import activate_account, activation_token
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.grants import grant_role
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.passwords import hash_password
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.service import user_actor
from kinerja_saas.org import importing
from kinerja_saas.org.models import Employee, ImportStatus, Unit
from kinerja_saas.performance import evaluations, plans, realisations
from kinerja_saas.performance import service as periods
from kinerja_saas.performance.models import (
    Aspect,
    BehaviourValue,
    Checkpoint,
    Period,
    PeriodStatus,
    ResultKind,
)
from kinerja_saas.performance.rules import Direction, Rating
from kinerja_saas.regions.onboarding import RegionInput, onboard_region
from kinerja_saas.regions.operators import create_operator
from kinerja_saas.settings import Settings
from kinerja_saas.surveys import admin as surveys
from kinerja_saas.surveys import public
from kinerja_saas.surveys.models import SurveyCampaign, SurveyCampaignService
from kinerja_saas.surveys.rules import PROFILE_FIELDS
from kinerja_saas.training import admin as training
from kinerja_saas.training import participants
from kinerja_saas.training.models import Competency, TrainingMode, TrainingProgramme
from tenants.context import tenant_transaction
from tenants.models import RegionKind, RegionTimezone, Tenant

DEMO_PASSWORD = "Kinerja#2026"
OPERATOR_EMAIL = "operator@demo.kinerja.id"
DEMO_DOMAIN = "demo.kinerja.id"
TRAINING_UNIT = "Bidang Pengembangan Kompetensi BKPSDM"
CAMPAIGN = "SKM {year}"


@dataclass(frozen=True)
class DemoRegion:
    slug: str
    name: str
    kind: RegionKind
    province: str
    kecamatan: str
    timezone: RegionTimezone = RegionTimezone.WIB


REGIONS = (
    DemoRegion("palembang", "Kota Palembang", RegionKind.KOTA, "Sumatera Selatan", "Ilir Barat I"),
    DemoRegion("merangin", "Kabupaten Merangin", RegionKind.KABUPATEN, "Jambi", "Bangko"),
    DemoRegion("surabaya", "Kota Surabaya", RegionKind.KOTA, "Jawa Timur", "Asemrowo"),
    DemoRegion(
        "pangkalpinang",
        "Kota Pangkalpinang",
        RegionKind.KOTA,
        "Kepulauan Bangka Belitung",
        "Bukitintan",
    ),
)

# (key, name, [(key, name)]): the roster's unit paths are "<name>/<sub-unit name>".
UNIT_TREE = (
    (
        "BKPSDM",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        [("BKPSDM-PK", "Bidang Pengembangan Kompetensi")],
    ),
    (
        "DISDUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil",
        [
            ("DISDUKCAPIL-PDP", "Bidang Pelayanan Pendaftaran Penduduk"),
            ("DISDUKCAPIL-PCS", "Bidang Pelayanan Pencatatan Sipil"),
        ],
    ),
    ("DINKES", "Dinas Kesehatan", [("DINKES-YANKES", "Bidang Pelayanan Kesehatan")]),
    ("DISDIK", "Dinas Pendidikan", [("DISDIK-SD", "Bidang Pembinaan Sekolah Dasar")]),
    (
        "DPMPTSP",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        [("DPMPTSP-PRZ", "Bidang Perizinan")],
    ),
    ("KEC", "Kecamatan {kecamatan}", [("KEC-PEM", "Seksi Pemerintahan")]),
)
STAFF = (
    ("Analis Kebijakan", "FUNGSIONAL", "III/c"),
    ("Pengelola Data", "PELAKSANA", "III/a"),
    ("Pengadministrasi Umum", "PELAKSANA", "II/c"),
)

FIRST = (
    "Ahmad",
    "Siti",
    "Budi",
    "Dewi",
    "Rizki",
    "Nurul",
    "Andi",
    "Rina",
    "Hendra",
    "Putri",
    "Agus",
    "Wulan",
    "Fajar",
    "Maya",
    "Yusuf",
    "Indah",
    "Bayu",
    "Fitri",
    "Dedi",
    "Lestari",
)
LAST = (
    "Saputra",
    "Wijaya",
    "Hidayat",
    "Lestari",
    "Pratama",
    "Sari",
    "Nugroho",
    "Rahmawati",
    "Setiawan",
    "Kurniawan",
    "Harahap",
    "Siregar",
    "Syahputra",
    "Permata",
    "Santoso",
)
FEMALE = {"Siti", "Dewi", "Nurul", "Rina", "Putri", "Wulan", "Maya", "Indah", "Fitri", "Lestari"}

# The demo logins, by the roster position they hold (unit key, index in the unit: 0 is its
# chief, 1.. its staff in STAFF order).
LOGIN_POSITIONS = {
    Role.REGION_ADMIN: ("BKPSDM-PK", 0),
    Role.TRAINING_OFFICER: ("BKPSDM-PK", 1),
    Role.SUPERVISOR: ("DISDUKCAPIL-PDP", 0),
    Role.EMPLOYEE: ("DISDUKCAPIL-PDP", 2),
}


def login_email(role: Role, slug: str) -> str:
    return f"{role.value.lower().replace('_', '.')}@{slug}.{DEMO_DOMAIN}"


def demo_nip(region_index: int, n: int, first_name: str) -> str:
    """A valid NIP: birth 1970–1995, CPNS at 24, gender from the name, a sequence."""
    year = 1970 + (n * 7 + region_index) % 26
    month, day = 1 + n % 12, 1 + (n * 3) % 28
    cpns_year, cpns_month = year + 24, 1 + (n + 5) % 12
    gender = "2" if first_name in FEMALE else "1"
    return (
        f"{year:04d}{month:02d}{day:02d}{cpns_year:04d}{cpns_month:02d}{gender}{(n % 999) + 1:03d}"
    )


def _name(region_index: int, n: int) -> tuple[str, str]:
    first = FIRST[(n + region_index * 3) % len(FIRST)]
    return first, f"{first} {LAST[(n * 7 + region_index) % len(LAST)]}"


# --- the roster --------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    nip: str
    name: str
    position: str
    position_type: str
    golongan: str
    unit_path: str
    supervisor_nip: str
    email: str
    phone: str


@dataclass
class Roster:
    people: list[Person] = field(default_factory=list)
    # (unit key, index in unit) -> person; unit key -> unit path
    at: dict[tuple[str, int], Person] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(importing.COLUMNS)
        for p in self.people:
            writer.writerow(
                (
                    p.nip,
                    p.name,
                    p.position,
                    p.position_type,
                    p.golongan,
                    p.unit_path,
                    p.supervisor_nip,
                    p.email,
                    p.phone,
                )
            )
        return out.getvalue().encode()


def demo_roster(index: int, region: DemoRegion) -> Roster:
    """Each top unit's head, each sub-unit's chief under them and three staff under the
    chief; the demo logins' people carry the demo e-mail addresses."""
    roster = Roster()
    emails = {
        position: login_email(role, region.slug) for role, position in LOGIN_POSITIONS.items()
    }
    counter = 0

    def person(
        key: str, slot: int, path: str, position: str, ptype: str, golongan: str, boss: str
    ) -> Person:
        nonlocal counter
        counter += 1
        first, name = _name(index, counter)
        p = Person(
            nip=demo_nip(index, counter, first),
            name=name,
            position=position,
            position_type=ptype,
            golongan=golongan,
            unit_path=path,
            supervisor_nip=boss,
            email=emails.get((key, slot), f"{first.lower()}.{counter}@{region.slug}.{DEMO_DOMAIN}"),
            phone=f"08{index + 1}1{counter:07d}",
        )
        roster.people.append(p)
        roster.at[(key, slot)] = p
        return p

    for key, name, children in UNIT_TREE:
        top = name.format(kecamatan=region.kecamatan)
        roster.paths[key] = top
        head = person(key, 0, top, f"Kepala {top}", "STRUKTURAL", "IV/b", "")
        for child_key, child_name in children:
            path = f"{top}/{child_name}"
            roster.paths[child_key] = path
            chief = person(
                child_key, 0, path, f"Kepala {child_name}", "STRUKTURAL", "III/d", head.nip
            )
            for slot, (position, ptype, golongan) in enumerate(STAFF, 1):
                person(child_key, slot, path, position, ptype, golongan, chief.nip)
    return roster


# --- what the seed reports ---------------------------------------------------------------


@dataclass(frozen=True)
class DemoRegionInfo:
    slug: str
    name: str
    period_id: int | None = None
    campaign_id: int | None = None
    survey_code: str | None = None
    problem: str | None = None  # why this region is not (or not fully) a demo region


@dataclass
class DemoData:
    logins: list[tuple[str, str, str]]  # (region, role, e-mail)
    regions: list[DemoRegionInfo]
    created: list[str]  # regions made by this run (the others were reused)


async def seed_demo(owner_params: dict, settings: Settings) -> DemoData:
    """Creates the demo regions that are missing (side by side: each region waits mostly for
    its four password hashes); returns the logins and what to try."""
    await _demo_operator(owner_params)

    async def one(index: int, region: DemoRegion) -> tuple[DemoRegionInfo, bool]:
        created = False
        async with tenant_transaction(None):
            tenant = await Tenant.get_or_none(slug=region.slug)
            if tenant is None:
                tenant = await _seed_region(index, region, settings)
                created = True
        return await _describe(tenant), created

    outcomes = await asyncio.gather(
        *(one(index, region) for index, region in enumerate(REGIONS)), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    data = DemoData([("platform", Role.PLATFORM_OPERATOR.value, OPERATOR_EMAIL)], [], [])
    for region, (info, created) in zip(REGIONS, outcomes, strict=True):  # type: ignore[misc]
        data.regions.append(info)
        if created:
            data.created.append(region.slug)
        data.logins += [
            (region.slug, role.value, login_email(role, region.slug)) for role in LOGIN_POSITIONS
        ]
    return data


async def _demo_operator(owner_params: dict) -> None:
    """Platform operators have no activation: they are created with the owner connection,
    as `kinerja operator create` does. The password is hashed only when the operator is
    missing (a hash takes a third of a second on purpose)."""
    conn = await asyncpg.connect(**owner_params)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM platform_operators WHERE email = $1", OPERATOR_EMAIL
        )
    finally:
        await conn.close()
    if not exists:
        await create_operator(
            owner_params,
            email=OPERATOR_EMAIL,
            name="Operator Platform",
            password_hash=await asyncio.to_thread(hash_password, DEMO_PASSWORD),
        )


async def _describe(tenant: Tenant) -> DemoRegionInfo:
    async with tenant_transaction(tenant.id, require_active=False):
        if not await BehaviourValue.exists(tenant_id=tenant.id):
            return DemoRegionInfo(
                tenant.slug,
                tenant.name,
                problem="made by an older seed, without onboarding's reference data: "
                "delete the data folder (.kinerja/; make clean does) to make it afresh",
            )
        if not await UserAccount.exists(
            tenant_id=tenant.id, email=login_email(Role.REGION_ADMIN, tenant.slug)
        ):
            return DemoRegionInfo(tenant.slug, tenant.name, problem="not made by the demo seed")
        period_id = cast(
            "int | None",
            await Period.filter(tenant_id=tenant.id)
            .order_by("-year")
            .first()
            .values_list("id", flat=True),
        )
        campaign = await SurveyCampaign.filter(tenant_id=tenant.id).order_by("id").first()
        code = None
        if campaign is not None:
            code = cast(
                "str | None",
                await SurveyCampaignService.filter(tenant_id=tenant.id, campaign_id=campaign.id)
                .order_by("id")
                .first()
                .values_list("code", flat=True),
            )
        return DemoRegionInfo(
            tenant.slug,
            tenant.name,
            period_id=period_id,
            campaign_id=campaign.id if campaign else None,
            survey_code=code,
        )


# --- one region --------------------------------------------------------------------------


class _People:
    """The region's logins, as the actors the services expect (each acts as themselves)."""

    def __init__(self, tenant_id: int, roster: Roster) -> None:
        self.tenant_id = tenant_id
        self.roster = roster
        self.accounts: dict[str, UserAccount] = {}

    async def load(self) -> None:
        nips = {p.nip for p in self.roster.people}
        by_employee = {
            e.id: e.nip
            for e in await Employee.filter(tenant_id=self.tenant_id, nip__in=nips).only("id", "nip")
        }
        self.accounts = {
            by_employee[a.employee_id]: a
            for a in await UserAccount.filter(
                tenant_id=self.tenant_id, employee_id__in=list(by_employee)
            )
        }

    def account(self, unit_key: str, slot: int) -> UserAccount:
        return self.accounts[self.roster.at[(unit_key, slot)].nip]

    def actor(self, unit_key: str, slot: int) -> Actor:
        return user_actor(self.account(unit_key, slot))


async def _seed_region(index: int, region: DemoRegion, settings: Settings) -> Tenant:
    """The whole region in the caller's transaction: all of it, or nothing."""
    secret = settings.jwt_secret or ""
    roster = demo_roster(index, region)
    admin_person = roster.at[LOGIN_POSITIONS[Role.REGION_ADMIN]]
    operator = Actor(
        user_id=0,
        tenant_id=None,
        roles=frozenset({Role.PLATFORM_OPERATOR}),
        email="seed-demo",
        is_operator=True,
    )
    onboarded = await onboard_region(
        actor=operator,
        data=RegionInput(
            slug=region.slug,
            name=region.name,
            kind=region.kind,
            province=region.province,
            timezone=region.timezone,
            admin_name=admin_person.name,
            admin_email=login_email(Role.REGION_ADMIN, region.slug),
        ),
        secret=secret,
    )
    tenant = onboarded.tenant
    # The admin follows the link of the activation e-mail (the same token).
    await activate_account(
        token=onboarded.activation_token, password=DEMO_PASSWORD, settings=settings
    )
    async with tenant_transaction(tenant.id):
        admin = await UserAccount.get(tenant_id=tenant.id, id=onboarded.admin.id)
        job = await importing.stage_import(
            actor=user_actor(admin),
            filename=f"pegawai-{region.slug}.csv",
            binary=io.BytesIO(roster.csv_bytes()),
            dry_run=False,
            deactivate_missing=False,
            max_bytes=settings.import_max_bytes,
            enqueue=False,  # run here, as `kinerja tenant import` does
        )
    ran = await importing.run_import(tenant_id=tenant.id, job_id=job.id, actor=user_actor(admin))
    assert ran is not None  # staged just above
    if ran.status is not ImportStatus.SUCCEEDED:
        raise RuntimeError(f"the demo roster of {region.slug} did not import: {ran.summary}")

    people = _People(tenant.id, roster)
    async with tenant_transaction(tenant.id):
        await people.load()
    # The other demo logins activate theirs too (the links the import's e-mails carry).
    for role, position in LOGIN_POSITIONS.items():
        if role is Role.REGION_ADMIN:
            continue
        account = people.account(*position)
        token = activation_token(
            tenant_id=tenant.id,
            user_id=account.id,
            token_version=account.token_version,
            secret=secret,
        )
        await activate_account(token=token, password=DEMO_PASSWORD, settings=settings)
    async with tenant_transaction(tenant.id):
        await people.load()  # roles and links as the import and activations left them
        await _training(tenant.id, region, people)
        period_id = await _cycle(tenant.id, region, people)
        await _self_enrolment(tenant.id, people, period_id)
        await _surveys(tenant.id, region, people)
    return tenant


# --- training ----------------------------------------------------------------------------

# (title, mode, JP, capacity, competency codes, open for self-enrolment)
PROGRAMMES = (
    ("Manajemen Waktu dan Prioritas Kerja", TrainingMode.KLASIKAL, 16, 30, ("MJ-WAKTU",), False),
    (
        "Pemecahan Masalah dan Pengambilan Keputusan",
        TrainingMode.BLENDED,
        24,
        25,
        ("MJ-MASALAH", "MJ-KEPUTUSAN"),
        False,
    ),
    (
        "Pelayanan Prima bagi ASN",
        TrainingMode.KLASIKAL,
        20,
        40,
        ("SK-PELAYANAN", "SK-KOMUNIKASI", "SK-KERJASAMA"),
        True,
    ),
    (
        "Literasi Digital dan Pengelolaan Data",
        TrainingMode.DARING,
        12,
        50,
        ("TK-TIK", "TK-DATA", "TK-ADMIN"),
        True,
    ),
)


async def _training(tenant_id: int, region: DemoRegion, people: _People) -> None:
    admin = people.actor(*LOGIN_POSITIONS[Role.REGION_ADMIN])
    unit = await training.save_unit(
        actor=admin, unit_id=None, name=TRAINING_UNIT, email=f"diklat@{region.slug}.{DEMO_DOMAIN}"
    )
    officer = people.account(*LOGIN_POSITIONS[Role.TRAINING_OFFICER])
    await grant_role(actor=admin, user_id=officer.id, role=Role.TRAINING_OFFICER)
    await training.set_officer(actor=admin, user_id=officer.id, training_unit_id=unit.id)
    competencies = dict(await Competency.filter(tenant_id=tenant_id).values_list("code", "id"))
    today = date.today()
    for n, (title, mode, jp, capacity, codes, is_open) in enumerate(PROGRAMMES):
        programme = await training.save_programme(
            actor=admin,
            programme_id=None,
            data=training.ProgrammeData(
                training_unit_id=unit.id,
                title=title,
                mode=mode,
                jp_hours=jp,
                capacity=capacity,
                competency_ids=[competencies[c] for c in codes],
                description=f"Pelatihan {title.lower()} untuk ASN {region.name}.",
                is_open=is_open,
            ),
        )
        # Upcoming batches (placement takes batches that have not started), two weeks apart.
        for batch in (1, 2):
            starts = today + timedelta(days=7 * (n + 1) + 14 * (batch - 1))
            await training.create_batch(
                actor=admin,
                programme_id=programme.id,
                name=f"Angkatan {'I' * batch}",
                starts_on=starts,
                ends_on=starts + timedelta(days=max(1, jp // 8) - 1),
            )


async def _self_enrolment(tenant_id: int, people: _People, period_id: int) -> None:
    """The demo employee enrols in the open service programme (officer's list, myTrainings)."""
    programme_id = await _programme_id(tenant_id, PROGRAMMES[2][0])
    await participants.enrol(
        actor=people.actor(*LOGIN_POSITIONS[Role.EMPLOYEE]),
        programme_id=programme_id,
        period_id=period_id,
    )


async def _programme_id(tenant_id: int, title: str) -> int:
    return cast(
        "int",
        await TrainingProgramme.filter(tenant_id=tenant_id, title=title)
        .first()
        .values_list("id", flat=True),
    )


# --- the performance cycle ---------------------------------------------------------------

BEHAVIOUR = (
    "BERORIENTASI_PELAYANAN",
    "AKUNTABEL",
    "KOMPETEN",
    "HARMONIS",
    "LOYAL",
    "ADAPTIF",
    "KOLABORATIF",
)


def _chief_plan(unit_name: str) -> list[plans.ResultData]:
    return [
        plans.ResultData(
            kind=ResultKind.UTAMA,
            text=f"Meningkatnya kualitas layanan {unit_name}",
            indicators=[
                plans.IndicatorData(
                    text="Persentase permohonan selesai tepat waktu",
                    aspect=Aspect.KUALITAS,
                    target=Decimal(95),
                    unit_label="%",
                    direction=Direction.HIGHER_IS_BETTER,
                    weight=Decimal(50),
                ),
                plans.IndicatorData(
                    text="Jumlah dokumen kependudukan diterbitkan",
                    aspect=Aspect.KUANTITAS,
                    target=Decimal(6000),
                    unit_label="dokumen",
                    direction=Direction.HIGHER_IS_BETTER,
                    weight=Decimal(30),
                ),
            ],
        ),
        plans.ResultData(
            kind=ResultKind.TAMBAHAN,
            text="Terlaksananya pelayanan jemput bola ke kelurahan",
            indicators=[
                plans.IndicatorData(
                    text="Kegiatan jemput bola",
                    aspect=Aspect.KUANTITAS,
                    target=Decimal(12),
                    unit_label="kegiatan",
                    direction=Direction.HIGHER_IS_BETTER,
                    weight=Decimal(20),
                )
            ],
        ),
    ]


def _staff_plan() -> list[plans.ResultData]:
    return [
        plans.ResultData(
            kind=ResultKind.UTAMA,
            text="Terlayaninya permohonan KTP-el dan kartu keluarga",
            indicators=[
                plans.IndicatorData(
                    text="Jumlah KTP-el dan KK dicetak",
                    aspect=Aspect.KUANTITAS,
                    target=Decimal(1500),
                    unit_label="dokumen",
                    direction=Direction.HIGHER_IS_BETTER,
                    weight=Decimal(40),
                ),
                plans.IndicatorData(
                    text="Rata-rata waktu penyelesaian permohonan",
                    aspect=Aspect.WAKTU,
                    target=Decimal(3),
                    unit_label="hari",
                    direction=Direction.LOWER_IS_BETTER,
                    weight=Decimal(30),
                ),
            ],
        ),
        plans.ResultData(
            kind=ResultKind.TAMBAHAN,
            text="Tersusunnya laporan bulanan layanan",
            indicators=[
                plans.IndicatorData(
                    text="Laporan bulanan disampaikan",
                    aspect=Aspect.KUALITAS,
                    target=Decimal(12),
                    unit_label="laporan",
                    direction=Direction.HIGHER_IS_BETTER,
                    weight=Decimal(30),
                )
            ],
        ),
    ]


async def _cycle(tenant_id: int, region: DemoRegion, people: _People) -> int:
    """The year's period, ACTIVE. In the demo supervisor's team (Pendaftaran Penduduk) one
    plan waits for approval, the demo employee's is approved with realisations (one
    verified, one waiting, one rejected) and a colleague's is approved with a low
    checkpoint finalised; next door (Pencatatan Sipil) a plan was returned and others are
    drafts. Returns the period's id."""
    today = date.today()
    admin = people.actor(*LOGIN_POSITIONS[Role.REGION_ADMIN])
    period = await periods.open_period(
        actor=admin, year=today.year, checkpoint_kind=None, deadline_days=10
    )
    await periods.advance_period(actor=admin, period_id=period.id, status=PeriodStatus.ACTIVE)
    checkpoint = (
        await Checkpoint.filter(tenant_id=tenant_id, period_id=period.id, starts_on__lte=today)
        .order_by("-number")
        .first()
    )
    assert checkpoint is not None  # the year's first checkpoint starts on 1 January

    async def plan(unit_key: str, slot: int, content: list[plans.ResultData]) -> int:
        saved = await plans.save_plan(
            actor=people.actor(unit_key, slot), period_id=period.id, results=content
        )
        return saved.id

    async def submit(unit_key: str, slot: int, content: list[plans.ResultData]) -> int:
        plan_id = await plan(unit_key, slot, content)
        await plans.submit_plan(actor=people.actor(unit_key, slot), plan_id=plan_id)
        return plan_id

    async def approve(unit_key: str, slot: int, content, evaluator: tuple[str, int]) -> int:
        plan_id = await submit(unit_key, slot, content)
        await plans.approve_plan(actor=people.actor(*evaluator), plan_id=plan_id)
        return plan_id

    async def realise(unit_key: str, slot: int, plan_id: int, values: tuple[str, ...]) -> list:
        content = (await plans.plan_content([plan_id]))[plan_id]
        indicators = [i for c in content for i in c["indicators"]]
        return [
            await realisations.record_realisation(
                actor=people.actor(unit_key, slot),
                indicator_id=indicator.id,
                checkpoint_id=checkpoint.id,
                value=Decimal(value),
                note=f"Capaian s.d. {checkpoint.label}",
                evidence=[
                    realisations.Evidence(
                        f"https://arsip.{region.slug}.{DEMO_DOMAIN}/bukti/{indicator.id}.pdf",
                        "Rekap layanan",
                    )
                ],
            )
            for indicator, value in zip(indicators, values, strict=True)
        ]

    pdp, pcs = "DISDUKCAPIL-PDP", "DISDUKCAPIL-PCS"
    head, supervisor = ("DISDUKCAPIL", 0), (pdp, 0)
    # The demo supervisor's own plan, approved by the head of the dinas.
    await approve(pdp, 0, _chief_plan("pendaftaran penduduk"), head)
    # Waiting for the demo supervisor's approval.
    await submit(pdp, 1, _staff_plan())
    # The demo employee: approved, realisations entered; the supervisor verified one,
    # rejected one and has one to review.
    employee_plan = await approve(pdp, 2, _staff_plan(), supervisor)
    entered = await realise(pdp, 2, employee_plan, ("1380", "2.5", "11"))
    await realisations.review_realisation(
        actor=people.actor(*supervisor), realisation_id=entered[0].id, verified=True
    )
    await realisations.review_realisation(
        actor=people.actor(*supervisor),
        realisation_id=entered[2].id,
        verified=False,
        reason="Lampirkan laporan bulan terakhir yang sudah ditandatangani.",
    )
    # A colleague far below target: their checkpoint evaluation is final, a low performer
    # (the worker assigns their training from the finalised evaluation's event).
    low_plan = await approve(pdp, 3, _staff_plan(), supervisor)
    for realisation in await realise(pdp, 3, low_plan, ("520", "6", "5")):
        await realisations.review_realisation(
            actor=people.actor(*supervisor), realisation_id=realisation.id, verified=True
        )
    draft = await evaluations.save_evaluation(
        actor=people.actor(*supervisor),
        plan_id=low_plan,
        checkpoint_id=checkpoint.id,
        result_rating=Rating.DI_BAWAH_EKSPEKTASI,
        behaviour=[
            evaluations.ValueRating(
                code,
                Rating.DI_BAWAH_EKSPEKTASI if code == "KOMPETEN" else Rating.SESUAI_EKSPEKTASI,
            )
            for code in BEHAVIOUR
        ],
        feedback="Capaian jauh di bawah target; kita susun langkah perbaikan bersama.",
    )
    await evaluations.finalise_evaluation(actor=people.actor(*supervisor), evaluation_id=draft.id)
    # Pencatatan Sipil: one plan returned with a reason, the chief's and another a draft.
    returned = await submit(pcs, 1, _staff_plan())
    await plans.return_plan(
        actor=people.actor(pcs, 0),
        plan_id=returned,
        reason="Target jumlah dokumen terlalu rendah dibanding tahun lalu; mohon disesuaikan.",
    )
    await plan(pcs, 0, _chief_plan("pencatatan sipil"))
    await plan(pcs, 2, _staff_plan())
    return period.id


# --- surveys -----------------------------------------------------------------------------

# (unit key, service, yearly population, answer bias: the mean answer it tends to)
SERVICES = (
    ("DISDUKCAPIL-PDP", "Perekaman KTP Elektronik", 12000, 3.4),
    ("DISDUKCAPIL-PCS", "Penerbitan Akta Kelahiran", 4000, 3.1),
    ("DPMPTSP-PRZ", "Perizinan Berusaha", 1500, 2.8),
)
RESPONSES_PER_SERVICE = 15


async def _surveys(tenant_id: int, region: DemoRegion, people: _People) -> None:
    admin = people.actor(*LOGIN_POSITIONS[Role.REGION_ADMIN])
    # The import made the units from the roster's paths; the demo's sub-unit names are
    # unique in a region.
    names = [people.roster.paths[unit_key].rsplit("/", 1)[-1] for unit_key, *_ in SERVICES]
    units = dict(await Unit.filter(tenant_id=tenant_id, name__in=names).values_list("name", "id"))
    service_ids = []
    for (_, name, population, _), unit_name in zip(SERVICES, names, strict=True):
        service = await surveys.save_service(
            actor=admin,
            service_id=None,
            data=surveys.ServiceData(
                unit_id=units[unit_name],
                name=name,
                population_per_year=population,
            ),
        )
        service_ids.append(service.id)
    today = date.today()
    campaign = await surveys.create_campaign(
        actor=admin,
        data=surveys.CampaignData(
            name=CAMPAIGN.format(year=today.year),
            period_label=f"Tahun {today.year}",
            opens_on=today - timedelta(days=30),
            closes_on=today + timedelta(days=60),
            service_ids=service_ids,
            extra_questions=[
                {
                    "code": "SARAN_JAM",
                    "text": "Jam layanan yang paling Anda sukai?",
                    "required": False,
                }
            ],
            profile_fields=list(PROFILE_FIELDS),
        ),
    )
    codes = await SurveyCampaignService.filter(
        tenant_id=tenant_id, campaign_id=campaign.id
    ).values_list("service_id", "code")
    code_of = dict(codes)
    rng = random.Random(f"{region.slug}-skm")  # the same answers on every fresh seed
    for service_id, (*_, bias) in zip(service_ids, SERVICES, strict=True):
        found = await public.resolve_code_with_rules(code_of[service_id])
        assert found is not None
        target, rules = found
        for n in range(RESPONSES_PER_SERVICE):
            await public.submit(
                target,
                public.Submission(
                    answers={
                        f"U{e}": max(1, min(4, round(rng.gauss(bias, 0.6)))) for e in range(1, 10)
                    },
                    client_token=f"demo-{service_id}-{n:03d}",
                    profile={f: rng.choice(values) for f, values in PROFILE_FIELDS.items()},
                    suggestion=rng.choice(SUGGESTIONS) if n % 3 == 0 else None,
                ),
                rules,
            )


SUGGESTIONS = (
    "Antrean pagi terlalu panjang, mohon tambah loket.",
    "Petugas ramah dan cepat, terima kasih.",
    "Informasi persyaratan di situs web belum lengkap.",
    "Ruang tunggu perlu kipas angin tambahan.",
    "Mohon layanan daring diperluas.",
)


# --- what to try -------------------------------------------------------------------------

TOUR_REGION = "surabaya"  # the README's examples use it too


@dataclass(frozen=True)
class Try:
    who: str
    email: str | None  # the login to use; None: no login (the public)
    query: str


def try_this(data: DemoData, base_url: str) -> list[Try]:
    """One query per role that shows the work waiting for that login, on one demo region."""
    usable = [r for r in data.regions if r.problem is None and r.period_id and r.campaign_id]
    if not usable:
        return []
    region = next((r for r in usable if r.slug == TOUR_REGION), usable[0])
    slug = region.slug
    return [
        Try(
            "Platform operator",
            OPERATOR_EMAIL,
            "{ regions(first: 10) { edges { node { region { slug name status } employees units"
            " } } } }",
        ),
        Try(
            "Region admin",
            login_email(Role.REGION_ADMIN, slug),
            f'{{ surveyResults(campaignId: "{region.campaign_id}") {{ region {{ convertedIkm'
            " band bandLabel respondents } items { name convertedIkm band respondents"
            " sampleTarget } } unreadNotificationCount }",
        ),
        Try(
            "Supervisor",
            login_email(Role.SUPERVISOR, slug),
            f'{{ myTeam(periodId: "{region.period_id}") {{ employee {{ name }} planId planStatus'
            " achievementToDate pendingVerifications latestPredikat } }",
        ),
        Try(
            "Employee",
            login_email(Role.EMPLOYEE, slug),
            f'{{ myPlan(periodId: "{region.period_id}") {{ status achievement results {{ text'
            " indicators { text target unit realisations { value status rejectReason } } } }"
            " myNotifications(first: 5, unreadOnly: true) { edges { node { title body } } } }",
        ),
        Try(
            "Training officer",
            login_email(Role.TRAINING_OFFICER, slug),
            "{ trainingAssignments(first: 10) { edges { node { id status reason employee"
            " { name unitName } programme { title jpHours } batch { id name startsOn } } } } }",
        ),
        Try(
            f"The public, no login (the page: {base_url}/s/{region.survey_code})",
            None,
            f'{{ surveyForm(code: "{region.survey_code}") {{ regionName serviceName isOpen'
            " elements { code name answerLabels } } }",
        ),
    ]
