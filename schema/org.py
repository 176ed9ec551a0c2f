from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types.nodes import SelectedField

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import FieldError
from kinerja_saas.org import rules
from kinerja_saas.org import service as org
from kinerja_saas.org.models import PositionType as _PositionType
from kinerja_saas.org.models import Unit as UnitModel
from kinerja_saas.org.models import UnitKind as _UnitKind
from schema.errors import UserError, parse_id, run_mutation
from schema.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size

UnitKind = strawberry.enum(_UnitKind, description="Kind of organisational unit.")
PositionType = strawberry.enum(_PositionType, description="Jenis jabatan.")


@strawberry.enum
class Gender(Enum):
    L = "L"
    P = "P"


EmployeeKind = strawberry.enum(
    rules.EmployeeKind, description="PNS (NIP) or PPPK (NI PPPK), read from the number"
)


@strawberry.type(description="An organisational unit (perangkat daerah, bidang, kecamatan…).")
class Unit:
    id: strawberry.ID
    code: str
    name: str
    kind: UnitKind
    depth: int
    is_active: bool
    parent_id: strawberry.ID | None

    @classmethod
    def of(cls, unit: UnitModel | dict[str, Any]) -> Unit:
        get = unit.get if isinstance(unit, dict) else unit.__getattribute__
        return cls(
            id=strawberry.ID(str(get("id"))),
            code=get("code"),
            name=get("name"),
            kind=_UnitKind(get("kind")),
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
    position_type: PositionType
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
        cls, row: dict[str, Any], *, with_contact: bool = True, viewer: Actor | None = None
    ) -> Employee:
        """`with_contact=False` for people reached through a relation (e.g. one's own
        supervisor chain) rather than through the viewer's scope: name and position yes,
        e-mail and phone no."""
        preloaded = None
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
            position_type=_PositionType(row["position_type"]),
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
        return self._load_supervisor(info)  # type: ignore[return-value]

    async def _load_supervisor(self, info: strawberry.Info) -> Employee | None:
        row = await info.context.loaders.employee.load(int(self.supervisor_id))
        if row is None:
            return None
        return Employee.of(row, with_contact=_may_see_contact(info.context.actor, row["id"]))


def _may_see_contact(viewer: Actor | None, employee_id: int) -> bool:
    """Contacts of someone reached through a relation: the region admin and the person."""
    return viewer is not None and (
        viewer.has(Role.REGION_ADMIN) or viewer.employee_id == employee_id
    )


def _node_fields(info: strawberry.Info) -> set[str]:
    """Names selected under `edges { node { … } }` of this connection field."""
    names: set[str] = set()

    def walk(selections, path: tuple[str, ...]) -> None:
        for sel in selections:
            if isinstance(sel, SelectedField):
                if path:
                    if sel.name == path[0]:
                        walk(sel.selections, path[1:])
                else:
                    names.add(sel.name)
            else:  # inline fragment or fragment spread
                walk(sel.selections, path)

    walk(info.selected_fields[0].selections, ("edges", "node"))
    return names


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


@strawberry.input
class EmployeeOrder:
    field: EmployeeOrderField = EmployeeOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class EmployeeFilter:
    unit_id: strawberry.ID | None = None
    include_subunits: bool = strawberry.field(
        default=True, description="With unitId: include employees of every unit below it."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the name, or the leading digits of the NIP."
    )
    active: bool | None = None
    supervisor_id: strawberry.ID | None = None


@strawberry.type
class OrgQuery:
    @strawberry.field(description="Units of the region, in tree order (by path).")
    async def units(
        self, info: strawberry.Info, roots_only: bool = False, include_inactive: bool = False
    ) -> list[Unit]:
        info.context.require_region_actor()
        units = await org.list_units(include_inactive=include_inactive)
        if roots_only:
            units = [u for u in units if u.parent_id is None]
        return [Unit.of(u) for u in units]

    @strawberry.field
    async def unit(self, info: strawberry.Info, id: strawberry.ID) -> Unit | None:
        info.context.require_region_actor()
        unit = await info.context.loaders.unit.load(parse_id(id, "id"))
        return Unit.of(unit) if unit else None

    @strawberry.field(
        description="Employees visible to you: the region admin sees all, a supervisor their "
        "reports (all levels) and themselves, anyone else only themselves."
    )
    async def employees(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: EmployeeFilter | None = None,
        order_by: EmployeeOrder | None = None,
    ) -> EmployeeConnection:
        actor = info.context.require_region_actor()
        limit = page_size(first, info.context.settings.max_page_size)
        flt_in = filter or EmployeeFilter()
        flt = org.EmployeeFilter(
            unit_id=parse_id(flt_in.unit_id, "filter.unitId"),
            include_subunits=flt_in.include_subunits,
            search=flt_in.search,
            active=flt_in.active,
            supervisor_id=parse_id(flt_in.supervisor_id, "filter.supervisorId"),
        )
        order = order_by or EmployeeOrder()
        column = org.ORDER_COLUMNS[order.field.value]
        order_tag = f"{order.field.value}:{order.direction.value}"
        rows = await org.list_employees(
            actor=actor,
            flt=flt,
            order=order.field.value,
            descending=order.direction == OrderDirection.DESC,
            limit=limit,
            after=decode_cursor(after, order_tag) if after else None,
            include=frozenset(_node_fields(info) & set(org.RELATIONS)),
        )
        has_next = len(rows) > limit
        rows = rows[:limit]
        edges = [
            EmployeeEdge(
                cursor=encode_cursor(r[column], r["id"], order_tag),
                node=Employee.of(r, viewer=actor),
            )
            for r in rows
        ]
        return EmployeeConnection(
            edges=edges,
            page_info=page_info(edges, has_next=has_next, after=after),
            filter=flt,
        )

    @strawberry.field(description="One employee, if visible to you.")
    async def employee(self, info: strawberry.Info, id: strawberry.ID) -> Employee:
        actor = info.context.require_region_actor()
        return Employee.of(await org.get_employee(actor=actor, employee_id=parse_id(id, "id")))


# --- mutations -------------------------------------------------------------------------


@strawberry.input
class CreateUnitInput:
    name: str
    code: str
    kind: UnitKind
    parent_id: strawberry.ID | None = None


@strawberry.input(description="Only the fields given are changed; parentId null makes it a root.")
class UpdateUnitInput:
    name: str | None = strawberry.UNSET
    code: str | None = strawberry.UNSET
    kind: UnitKind | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class CreateEmployeeInput:
    nip: str
    name: str
    position: str
    unit_id: strawberry.ID
    position_type: PositionType = _PositionType.PELAKSANA
    golongan: str | None = None
    supervisor_id: strawberry.ID | None = None
    email: str | None = None
    phone: str | None = None


@strawberry.input(description="Only the fields given are changed; null clears optional ones.")
class UpdateEmployeeInput:
    nip: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    position: str | None = strawberry.UNSET
    position_type: PositionType | None = strawberry.UNSET
    golongan: str | None = strawberry.UNSET
    unit_id: strawberry.ID | None = strawberry.UNSET
    supervisor_id: strawberry.ID | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET


@strawberry.type
class UnitPayload:
    unit: Unit | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EmployeePayload:
    employee: Employee | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _given(value: Any) -> Any:
    return org.UNSET if value is strawberry.UNSET else value


def _id_or_unset(value: Any, field: str) -> Any:
    return org.UNSET if value is strawberry.UNSET else parse_id(value, field)


def _employee_data(inp: CreateEmployeeInput | UpdateEmployeeInput) -> org.EmployeeData:
    return org.EmployeeData(
        nip=_given(inp.nip),
        name=_given(inp.name),
        position=_given(inp.position),
        position_type=_given(inp.position_type),
        golongan=_given(inp.golongan),
        unit_id=_id_or_unset(inp.unit_id, "unitId"),
        supervisor_id=_id_or_unset(inp.supervisor_id, "supervisorId"),
        email=_given(inp.email),
        phone=_given(inp.phone),
    )


async def _unit_payload(body) -> UnitPayload:
    unit, errors = await run_mutation(body)
    return UnitPayload(unit=Unit.of(unit) if unit else None, errors=errors)


async def _employee_payload(body) -> EmployeePayload:
    async def with_row():
        employee = await body()
        return (await org.employees_by_ids([employee.id]))[employee.id]

    row, errors = await run_mutation(with_row)
    return EmployeePayload(employee=Employee.of(row) if row else None, errors=errors)


@strawberry.type
class OrgMutation:
    @strawberry.mutation(description="Region admin: add a unit.")
    async def create_unit(self, info: strawberry.Info, input: CreateUnitInput) -> UnitPayload:
        actor = info.context.require_region_actor()
        return await _unit_payload(
            lambda: org.create_unit(
                actor=actor,
                name=input.name,
                code=input.code,
                kind=input.kind,
                parent_id=parse_id(input.parent_id, "parentId"),
            )
        )

    @strawberry.mutation(description="Region admin: rename, recode or move a unit.")
    async def update_unit(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateUnitInput
    ) -> UnitPayload:
        actor = info.context.require_region_actor()
        return await _unit_payload(
            lambda: org.update_unit(
                actor=actor,
                unit_id=parse_id(id, "id"),
                name=_given(input.name),
                code=_given(input.code),
                kind=_given(input.kind),
                parent_id=_id_or_unset(input.parent_id, "parentId"),
            )
        )

    @strawberry.mutation(description="Region admin: deactivate an empty unit.")
    async def deactivate_unit(self, info: strawberry.Info, id: strawberry.ID) -> UnitPayload:
        actor = info.context.require_region_actor()
        return await _unit_payload(
            lambda: org.deactivate_unit(actor=actor, unit_id=parse_id(id, "id"))
        )

    @strawberry.mutation(description="Region admin: add an employee.")
    async def create_employee(
        self, info: strawberry.Info, input: CreateEmployeeInput
    ) -> EmployeePayload:
        actor = info.context.require_region_actor()
        return await _employee_payload(
            lambda: org.create_employee(actor=actor, data=_employee_data(input))
        )

    @strawberry.mutation(description="Region admin: change an employee.")
    async def update_employee(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateEmployeeInput
    ) -> EmployeePayload:
        actor = info.context.require_region_actor()
        return await _employee_payload(
            lambda: org.update_employee(
                actor=actor, employee_id=parse_id(id, "id"), data=_employee_data(input)
            )
        )

    @strawberry.mutation(description="Region admin: deactivate an employee and their login.")
    async def deactivate_employee(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> EmployeePayload:
        actor = info.context.require_region_actor()
        return await _employee_payload(
            lambda: org.deactivate_employee(actor=actor, employee_id=parse_id(id, "id"))
        )
