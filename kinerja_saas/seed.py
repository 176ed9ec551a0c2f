"""Demo regions for `make run`: the regions of the programmes this platform serves, each
with a unit tree, a few dozen employees with supervisors, and one login per role.
Idempotent: a second run finds what the first made and adds nothing."""

from __future__ import annotations

from dataclasses import dataclass

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.passwords import hash_password
from kinerja_saas.auth.roles import Role
from kinerja_saas.org import service as org
from kinerja_saas.org.models import Employee, PositionType, Unit, UnitKind
from kinerja_saas.training.models import TrainingOfficer, TrainingUnit
from tenants.context import tenant_transaction
from tenants.models import RegionKind, Tenant
from tenants.operators import create_operator

DEMO_PASSWORD = "Kinerja#2026"
OPERATOR_EMAIL = "operator@demo.kinerja.id"


@dataclass(frozen=True)
class DemoRegion:
    slug: str
    name: str
    kind: RegionKind
    province: str
    kecamatan: str


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

# (code, name, kind, [sub-units])
UNIT_TREE = (
    (
        "BKPSDM",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        UnitKind.BADAN,
        [("BKPSDM-PK", "Bidang Pengembangan Kompetensi", UnitKind.BIDANG)],
    ),
    (
        "DISDUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil",
        UnitKind.DINAS,
        [
            ("DISDUKCAPIL-PDP", "Bidang Pelayanan Pendaftaran Penduduk", UnitKind.BIDANG),
            ("DISDUKCAPIL-PCS", "Bidang Pelayanan Pencatatan Sipil", UnitKind.BIDANG),
        ],
    ),
    (
        "DINKES",
        "Dinas Kesehatan",
        UnitKind.DINAS,
        [("DINKES-YANKES", "Bidang Pelayanan Kesehatan", UnitKind.BIDANG)],
    ),
    (
        "DISDIK",
        "Dinas Pendidikan",
        UnitKind.DINAS,
        [("DISDIK-SD", "Bidang Pembinaan Sekolah Dasar", UnitKind.BIDANG)],
    ),
    (
        "DPMPTSP",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        UnitKind.DINAS,
        [("DPMPTSP-PRZ", "Bidang Perizinan", UnitKind.BIDANG)],
    ),
    (
        "KEC",
        "Kecamatan {kecamatan}",
        UnitKind.KECAMATAN,
        [("KEC-PEM", "Seksi Pemerintahan", UnitKind.BIDANG)],
    ),
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


async def seed_demo(owner_params: dict) -> list[tuple[str, str, str]]:
    """Creates what is missing; returns the demo logins (region, role, e-mail)."""
    logins: list[tuple[str, str, str]] = [("platform", Role.PLATFORM_OPERATOR, OPERATOR_EMAIL)]
    password_hash = hash_password(DEMO_PASSWORD)
    await create_operator(
        owner_params, email=OPERATOR_EMAIL, name="Operator Platform", password_hash=password_hash
    )
    for index, region in enumerate(REGIONS):
        tenant = await Tenant.get_or_none(slug=region.slug)
        if tenant is None:
            tenant = await Tenant.create(
                slug=region.slug, name=region.name, kind=region.kind, province=region.province
            )
        async with tenant_transaction(tenant.id):
            logins += await _seed_region(tenant, index, region, password_hash)
    return logins


async def _seed_region(
    tenant: Tenant, index: int, region: DemoRegion, password_hash: str
) -> list[tuple[str, str, str]]:
    seeder = Actor(
        user_id=0, tenant_id=tenant.id, roles=frozenset({Role.REGION_ADMIN}), email="seed-demo"
    )
    counter = 0

    async def unit(code: str, name: str, kind: UnitKind, parent: Unit | None) -> Unit:
        existing = await Unit.get_or_none(tenant_id=tenant.id, code=code)
        return existing or await org.create_unit(
            actor=seeder, name=name, code=code, kind=kind, parent_id=parent.id if parent else None
        )

    async def employee(
        unit_: Unit, position: str, ptype: PositionType, golongan: str, supervisor: Employee | None
    ) -> Employee:
        nonlocal counter
        counter += 1
        first, name = _name(index, counter)
        nip = demo_nip(index, counter, first)
        existing = await Employee.get_or_none(tenant_id=tenant.id, nip=nip)
        return existing or await org.create_employee(
            actor=seeder,
            data=org.EmployeeData(
                nip=nip,
                name=name,
                position=position,
                position_type=ptype,
                golongan=golongan,
                unit_id=unit_.id,
                supervisor_id=supervisor.id if supervisor else None,
                email=f"{first.lower()}.{counter}@{region.slug}.demo.kinerja.id",
                phone=f"08{index + 1}1{counter:07d}",
            ),
        )

    roles: dict[Role, Employee] = {}
    for code, name, kind, children in UNIT_TREE:
        top = await unit(code, name.format(kecamatan=region.kecamatan), kind, None)
        head = await employee(top, f"Kepala {top.name}", PositionType.STRUKTURAL, "IV/b", None)
        for child_code, child_name, child_kind in children:
            sub = await unit(child_code, child_name, child_kind, top)
            chief = await employee(
                sub, f"Kepala {sub.name}", PositionType.STRUKTURAL, "III/d", head
            )
            staff = [
                await employee(sub, position, ptype, golongan, chief)
                for position, ptype, golongan in (
                    ("Analis Kebijakan", PositionType.FUNGSIONAL, "III/c"),
                    ("Pengelola Data", PositionType.PELAKSANA, "III/a"),
                    ("Pengadministrasi Umum", PositionType.PELAKSANA, "II/c"),
                )
            ]
            if code == "BKPSDM":
                roles[Role.REGION_ADMIN] = chief
                roles[Role.TRAINING_OFFICER] = staff[0]
            if code == "DISDUKCAPIL" and Role.SUPERVISOR not in roles:
                roles[Role.SUPERVISOR] = chief
                roles[Role.EMPLOYEE] = staff[1]

    logins = []
    for role, person in roles.items():
        email = f"{role.value.lower().replace('_', '.')}@{region.slug}.demo.kinerja.id"
        granted = {role, Role.EMPLOYEE}
        account = await UserAccount.get_or_none(tenant_id=tenant.id, email=email)
        if account is None:
            account = await UserAccount.create(
                tenant_id=tenant.id,
                email=email,
                name=person.name,
                password_hash=password_hash,
                roles=sorted(granted),
                employee_id=person.id,
            )
        if role is Role.TRAINING_OFFICER:
            await _training_unit_of(tenant.id, region.slug, account.id)
        logins.append((region.slug, role.value, email))
    return logins


async def _training_unit_of(tenant_id: int, slug: str, officer_id: int) -> None:
    """The region's own training division, with the demo training officer in it, so the
    officer's views work from the first login."""
    name = "Bidang Pengembangan Kompetensi BKPSDM"
    unit = await TrainingUnit.get_or_none(tenant_id=tenant_id, name=name)
    if unit is None:
        unit = await TrainingUnit.create(
            tenant_id=tenant_id, name=name, email=f"diklat@{slug}.demo.kinerja.id"
        )
    if not await TrainingOfficer.exists(tenant_id=tenant_id, user_id=officer_id):
        await TrainingOfficer.create(
            tenant_id=tenant_id, training_unit_id=unit.id, user_id=officer_id
        )
