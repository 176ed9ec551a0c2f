"""The organisation: units, employees and their logins, and importing the roster.

The types; queries.py and mutations.py hold the root fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias

import strawberry

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db.fields import known_choice
from kinerja_saas.errors import FieldError
from kinerja_saas.org import queries as org_queries
from kinerja_saas.org import rules
from kinerja_saas.org import service as org
from kinerja_saas.org.acting import title as acting_title
from kinerja_saas.org.models import ActingKind as _ActingKind
from kinerja_saas.org.models import ImportStatus as _ImportStatus
from kinerja_saas.org.models import PositionType as _PositionType
from kinerja_saas.org.models import UnitKind as _UnitKind
from schema import compiled
from schema.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size

if TYPE_CHECKING:
    from kinerja_saas.org.models import ImportJob as ImportJobModel
    from kinerja_saas.org.models import Unit as UnitModel

UnitKind: TypeAlias = _UnitKind
strawberry.enum(UnitKind, description="Kind of organisational unit.")


PositionType: TypeAlias = _PositionType
strawberry.enum(PositionType, description="Jenis jabatan.")


@strawberry.enum
class Gender(Enum):
    L = "L"
    P = "P"


EmployeeKind: TypeAlias = rules.EmployeeKind
strawberry.enum(EmployeeKind, description="PNS (NIP) or PPPK (NI PPPK), read from the number")


@strawberry.type(description="An organisational unit (perangkat daerah, bidang, kecamatan…).")
class Unit:
    id: strawberry.ID
    code: str
    name: str
    kind: UnitKind | None = strawberry.field(
        description="Null when the stored kind is not a known value (logged; set it again)"
    )
    depth: int
    is_active: bool
    parent_id: strawberry.ID | None

    @classmethod
    def of(cls, unit: UnitModel | dict[str, Any]) -> Unit:
        def get(name: str) -> Any:
            return unit.get(name) if isinstance(unit, dict) else getattr(unit, name)

        return cls(
            id=strawberry.ID(str(get("id"))),
            code=get("code"),
            name=get("name"),
            kind=known_choice(_UnitKind, get("kind"), column="org_units.kind"),
            depth=get("depth"),
            is_active=get("is_active"),
            parent_id=strawberry.ID(str(get("parent_id"))) if get("parent_id") else None,
        )

    @strawberry.field
    async def parent(self, info: strawberry.Info) -> Unit | None:
        if self.parent_id is None:
            return None
        unit = await info.context.loaders.unit.load(int(self.parent_id))
        return Unit.of(unit) if unit else None

    @strawberry.field(description="Active sub-units, by name.")
    async def children(self, info: strawberry.Info) -> list[Unit]:
        return [Unit.of(u) for u in await info.context.loaders.unit_children.load(int(self.id))]


@strawberry.type(description="The login of an employee (region admins only).")
class Login:
    id: strawberry.ID
    email: str
    roles: list[str]
    is_active: bool
    activated: bool = strawberry.field(description="A password has been set")
    last_login_at: datetime | None


@strawberry.type(description="A civil servant (ASN) of the region.")
class Employee:
    id: strawberry.ID
    nip: str = strawberry.field(
        description="18-digit Nomor Induk Pegawai (or NI PPPK), stored without spaces: "
        "input as printed on an SK ('NIP. 19650812 199003 1 008') is normalised; sequence 000 "
        "is refused (NIP_SEQUENCE)"
    )
    name: str
    position: str = strawberry.field(description="Jabatan")
    position_type: PositionType | None = strawberry.field(
        description="Null when the stored value is not a known one (logged; set it again)"
    )
    golongan: str | None = strawberry.field(
        description="PNS: I/a … IV/e; PPPK: I … XVII (Perpres 98/2020)"
    )
    is_active: bool
    created_at: datetime
    updated_at: datetime
    unit_id: strawberry.ID
    supervisor_id: strawberry.ID | None = strawberry.field(description="Atasan langsung")
    contact: strawberry.Private[tuple[str | None, str | None]] = (None, None)
    # Relations joined into the row that fetched this employee (see `employees`).
    preloaded: strawberry.Private[dict[str, Any] | None] = None

    @classmethod
    def of(
        cls, row: Mapping[str, Any], *, with_contact: bool = True, viewer: Actor | None = None
    ) -> Employee:
        """`with_contact=False` for people reached through a relation (e.g. one's own
        supervisor chain) rather than through the viewer's scope: name and position yes,
        e-mail and phone no."""
        preloaded: dict[str, Unit | Employee | None] | None = None
        if "unit" in row or "supervisor" in row:
            preloaded = {}
            if "unit" in row:
                preloaded["unit"] = Unit.of(row["unit"]) if row["unit"] else None
            if "supervisor" in row:
                sup = row["supervisor"]
                preloaded["supervisor"] = (
                    Employee.of(sup, with_contact=_may_see_contact(viewer, sup["id"]))
                    if sup
                    else None
                )
        return cls(
            id=strawberry.ID(str(row["id"])),
            nip=row["nip"],
            name=row["name"],
            position=row["position"],
            position_type=known_choice(
                _PositionType, row["position_type"], column="employees.position_type"
            ),
            golongan=row["golongan"],
            is_active=row["is_active"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            unit_id=strawberry.ID(str(row["unit_id"])),
            supervisor_id=strawberry.ID(str(row["supervisor_id"]))
            if row["supervisor_id"]
            else None,
            contact=(row["email"], row["phone"]) if with_contact else (None, None),
            preloaded=preloaded,
        )

    @strawberry.field(description="Null where you may see the person but not their contacts.")
    def email(self) -> str | None:
        return self.contact[0]

    @strawberry.field(description="Null where you may see the person but not their contacts.")
    def phone(self) -> str | None:
        return self.contact[1]

    @strawberry.field(description="Birth date, read from the NIP.")
    def birth_date(self) -> date | None:
        info = rules.parse_nip(self.nip, today=date.today())
        return None if isinstance(info, FieldError) else info.birth_date

    @strawberry.field(
        description="PNS or PPPK, read from the number: a PPPK number (NI PPPK) has 21…29 "
        "(2 + the contract count) where a PNS NIP has its CPNS month (digits 13-14)."
    )
    def kind(self) -> EmployeeKind | None:
        return rules.nip_kind(self.nip)

    @strawberry.field(
        description="As printed: the pangkat with the golongan, 'Penata Muda (III/a)' (PP "
        "99/2000); PPPK have no pangkat: 'Golongan IX'"
    )
    def pangkat(self) -> str | None:
        return rules.pangkat_golongan(self.golongan)

    @strawberry.field(description="L (laki-laki) or P (perempuan), read from the NIP.")
    def gender(self) -> Gender | None:
        info = rules.parse_nip(self.nip, today=date.today())
        return None if isinstance(info, FieldError) else Gender(info.gender)

    @strawberry.field(description="Region admins: the employee's login, if any.")
    async def login(self, info: strawberry.Info) -> Login | None:
        actor = info.context.actor
        if actor is None or not actor.has(Role.REGION_ADMIN):
            return None
        account = await info.context.loaders.account_by_employee.load(int(self.id))
        if account is None:
            return None
        return Login(
            id=strawberry.ID(str(account.id)),
            email=account.email,
            roles=sorted(account.roles),
            is_active=account.is_active,
            activated=account.password_hash is not None,
            last_login_at=account.last_login_at,
        )

    # Relations resolve synchronously from `preloaded` when the list query joined them in
    # (plain attributes are what Python GraphQL serves fastest), else through a DataLoader.

    @strawberry.field
    def unit(self, info: strawberry.Info) -> Unit | None:
        if self.preloaded is not None and "unit" in self.preloaded:
            return self.preloaded["unit"]
        return self._load_unit(info)  # type: ignore[return-value]  # awaited by graphql-core

    async def _load_unit(self, info: strawberry.Info) -> Unit | None:
        unit = await info.context.loaders.unit.load(int(self.unit_id))
        return Unit.of(unit) if unit else None

    @strawberry.field(description="The direct supervisor (atasan langsung).")
    def supervisor(self, info: strawberry.Info) -> Employee | None:
        if self.preloaded is not None and "supervisor" in self.preloaded:
            return self.preloaded["supervisor"]
        if self.supervisor_id is None:
            return None
        return self._load_supervisor(info, int(self.supervisor_id))  # type: ignore[return-value]  # awaited by graphql-core

    async def _load_supervisor(self, info: strawberry.Info, supervisor_id: int) -> Employee | None:
        row = await info.context.loaders.employee.load(supervisor_id)
        if row is None:
            return None
        return Employee.of(row, with_contact=_may_see_contact(info.context.actor, row["id"]))


def _may_see_contact(viewer: Actor | None, employee_id: int) -> bool:
    """Contacts of someone reached through a relation (the rule: org.rules.contact_scope)."""
    return rules.contact_scope(viewer).allows(employee_id)


@strawberry.type
class EmployeeEdge:
    cursor: str
    node: Employee


@strawberry.type
class EmployeeConnection:
    edges: list[EmployeeEdge]
    page_info: PageInfo
    filter: strawberry.Private[org.EmployeeFilter]

    @strawberry.field(description="Number of employees matching the filter (one extra query).")
    async def total_count(self, info: strawberry.Info) -> int:
        return await org.count_employees(actor=info.context.require_actor(), flt=self.filter)


@strawberry.enum
class EmployeeOrderField(Enum):
    NAME = "NAME"
    NIP = "NIP"
    CREATED_AT = "CREATED_AT"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


ImportStatus: TypeAlias = _ImportStatus
strawberry.enum(ImportStatus)


@strawberry.type
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    existing: int = strawberry.field(default=0, description="Dry run: NIPs already in the region")
    supervisors_set: int = 0
    deactivated: int = 0
    units_created: int = 0
    accounts_created: int = 0


@strawberry.type(description="A problem in an imported file; line 1 is the header row.")
class ImportProblemType:
    line: int = strawberry.field(description="Line in the CSV file; 0: the file as a whole")
    field: str | None
    code: str
    message: str


@strawberry.type
class ImportProblemEdge:
    cursor: str
    node: ImportProblemType


@strawberry.type
class ImportProblemConnection:
    edges: list[ImportProblemEdge]
    page_info: PageInfo


@strawberry.type
class ImportJob:
    id: strawberry.ID
    filename: str
    status: ImportStatus
    phase: str = strawberry.field(description="queued, validating, merging or done")
    dry_run: bool
    deactivate_missing: bool
    total_rows: int
    rows_done: int
    error_count: int
    summary: ImportSummary
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ImportJobModel) -> ImportJob:
        return cls(
            id=strawberry.ID(str(job.id)),
            filename=job.filename,
            status=job.status,
            phase=job.phase,
            dry_run=job.dry_run,
            deactivate_missing=job.deactivate_missing,
            total_rows=job.total_rows,
            rows_done=job.rows_done,
            error_count=job.error_count,
            summary=ImportSummary(**job.summary),
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )

    @strawberry.field(description="Every problem found, by line.")
    async def problems(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> ImportProblemConnection:
        limit = page_size(first, info.context.settings.max_page_size)
        rows = await org_queries.import_problems(
            int(self.id), after=decode_cursor(after, "line") if after else None, limit=limit + 1
        )
        edges = [
            ImportProblemEdge(
                cursor=encode_cursor(p.line_no, p.id, "line"),
                node=ImportProblemType(
                    line=p.line_no, field=p.field, code=p.code, message=p.message
                ),
            )
            for p in rows[:limit]
        ]
        return ImportProblemConnection(
            edges=edges,
            page_info=page_info(edges, has_next=len(rows) > limit, after=after),
        )


ActingKind: TypeAlias = _ActingKind
strawberry.enum(
    ActingKind,
    description="SE Kepala BKN 1/SE/I/2021: PLT (Pelaksana Tugas) when the post is vacant or "
    "its holder is away for good, PLH (Pelaksana Harian) while the holder is away for a while.",
)


@strawberry.type(
    description="An acting head (Plt./Plh.) of a unit for a date range, both days included "
    "in the region's time zone. Meanwhile they approve plans, verify realisations and evaluate "
    "for the plans whose evaluator heads the unit (an employee of the unit whose supervisor "
    "is outside it, a vacant post's former holder included), see that team in myTeam, and "
    'sign as "Plt."/"Plh." (SE Kepala BKN 1/SE/I/2021). The rights end by themselves the '
    "day after endsOn; appointments of one unit never overlap."
)
class ActingAppointment:
    id: strawberry.ID
    unit_id: strawberry.ID
    employee_id: strawberry.ID
    kind: ActingKind
    sk_number: str | None = strawberry.field(description="Nomor SK penunjukan, if given")
    starts_on: date
    ends_on: date

    @classmethod
    def of(cls, a: Any) -> ActingAppointment:
        return cls(
            id=strawberry.ID(str(a.id)),
            unit_id=strawberry.ID(str(a.unit_id)),
            employee_id=strawberry.ID(str(a.employee_id)),
            kind=_ActingKind(a.kind),
            sk_number=a.sk_number,
            starts_on=a.starts_on,
            ends_on=a.ends_on,
        )

    @strawberry.field
    async def unit(self, info: strawberry.Info) -> Unit | None:
        unit = await info.context.loaders.unit.load(int(self.unit_id))
        return Unit.of(unit) if unit else None

    @strawberry.field
    async def employee(self, info: strawberry.Info) -> Employee | None:
        row = await info.context.loaders.employee.load(int(self.employee_id))
        return Employee.of(row, with_contact=False) if row else None

    @strawberry.field(description='What documents print before the signature: "Plt. Kepala …"')
    async def title(self, info: strawberry.Info) -> str:
        unit = await info.context.loaders.unit.load(int(self.unit_id))
        return acting_title(self.kind.value, unit.name if unit else "")


@strawberry.type(
    description="One stretch of an employee's position history (riwayat jabatan): unit, "
    "supervisor and jabatan from a date to a date (null startsOn: before the region's "
    "records; null endsOn: still so). Written by transferEmployee."
)
class PositionRecord:
    unit_id: strawberry.ID
    supervisor_id: strawberry.ID | None
    position: str
    starts_on: date | None
    ends_on: date | None

    @classmethod
    def of(cls, r: Any) -> PositionRecord:
        return cls(
            unit_id=strawberry.ID(str(r.unit_id)),
            supervisor_id=strawberry.ID(str(r.supervisor_id)) if r.supervisor_id else None,
            position=r.position,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
        )

    @strawberry.field
    async def unit(self, info: strawberry.Info) -> Unit | None:
        unit = await info.context.loaders.unit.load(int(self.unit_id))
        return Unit.of(unit) if unit else None

    @strawberry.field
    async def supervisor(self, info: strawberry.Info) -> Employee | None:
        if self.supervisor_id is None:
            return None
        row = await info.context.loaders.employee.load(int(self.supervisor_id))
        return Employee.of(row, with_contact=False) if row else None


# --- the compiled read path (schema/compiled.py): columns and relations of the types -------

compiled.declare(
    Unit,
    id=compiled.Col("id"),
    code=compiled.Col("code"),
    name=compiled.Col("name"),
    kind=compiled.Col("kind"),
    depth=compiled.Col("depth"),
    isActive=compiled.Col("is_active"),
    parentId=compiled.Col("parent_id"),
    parent=compiled.Rel(org_queries.UNITS_TABLE, "parent_id"),
    # Active sub-units by name, then id (org.service.unit_children).
    children=compiled.Children(
        org_queries.UNITS_TABLE, "parent_id", where=("is_active",), order=("name", "id")
    ),
)
compiled.declare(
    Employee,
    id=compiled.Col("id"),
    nip=compiled.Col("nip"),
    name=compiled.Col("name"),
    position=compiled.Col("position"),
    positionType=compiled.Col("position_type"),
    golongan=compiled.Col("golongan"),
    isActive=compiled.Col("is_active"),
    createdAt=compiled.Col("created_at"),
    updatedAt=compiled.Col("updated_at"),
    unitId=compiled.Col("unit_id"),
    supervisorId=compiled.Col("supervisor_id"),
    # Contacts: on a person reached through a relation, only where the viewer may see them.
    email=compiled.Col("email", private=True),
    phone=compiled.Col("phone", private=True),
    unit=compiled.Rel(org_queries.UNITS_TABLE, "unit_id"),
    supervisor=compiled.Rel(
        org_queries.EMPLOYEES_TABLE,
        "supervisor_id",
        reveal=lambda viewer: org_queries.contact_condition(rules.contact_scope(viewer)),
    ),
)
compiled.connection(EmployeeConnection, edge=EmployeeEdge, node=Employee)
