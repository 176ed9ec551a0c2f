"""org: the Mutation fields, their inputs and payloads."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from kinerja_saas.org import acting, importing
from kinerja_saas.org import service as org
from kinerja_saas.org.models import ActingKind as _ActingKind
from kinerja_saas.org.models import PositionType as _PositionType
from kinerja_saas.performance import transfers
from schema.errors import parse_id
from schema.org.types import (
    ActingAppointment,
    ActingKind,
    Employee,
    ImportJob,
    PositionType,
    Unit,
    UnitKind,
)
from schema.payloads import mutate, payload
from schema.uploads import uploaded


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


@strawberry.input(
    description="A region admin appoints an acting head (Plt./Plh.) of a unit from startsOn to "
    "endsOn (both included; SE Kepala BKN 1/SE/I/2021). An overlapping appointment for the "
    "same unit is refused (ACTING_OVERLAP)."
)
class AppointActingInput:
    unit_id: strawberry.ID
    employee_id: strawberry.ID
    kind: ActingKind
    starts_on: date
    ends_on: date
    sk_number: str | None = None


@strawberry.input(
    description="A transfer (mutasi) from effectiveOn: only the fields given change. The "
    "employee's position history gets a new stretch; their plans of periods open on that date "
    "keep their content and history and are reassigned to the new supervisor. Checkpoints "
    "that ended before effectiveOn stay with the evaluator of that time; later ones and the "
    "year go to the new one (PermenPANRB 6/2022: the pejabat penilai kinerja is the atasan "
    "langsung of the time)."
)
class TransferEmployeeInput:
    employee_id: strawberry.ID
    effective_on: date
    unit_id: strawberry.ID | None = strawberry.UNSET
    supervisor_id: strawberry.ID | None = strawberry.UNSET
    position: str | None = strawberry.UNSET


@payload
class ActingAppointmentPayload:
    appointment: ActingAppointment | None


@payload
class TransferPayload:
    employee: Employee | None
    reassigned_plan_ids: list[strawberry.ID] = strawberry.field(
        description="Plans now evaluated by the new supervisor", default_factory=list
    )


@payload
class UnitPayload:
    unit: Unit | None


@payload
class EmployeePayload:
    employee: Employee | None


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
    return await mutate(UnitPayload, body, Unit.of)


async def _employee_payload(body) -> EmployeePayload:
    async def with_row():
        employee = await body()
        return (await org.employees_by_ids([employee.id]))[employee.id]

    return await mutate(EmployeePayload, with_row, Employee.of)


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

    @strawberry.mutation(description="Region admin: appoint an acting head (Plt./Plh.) of a unit.")
    async def appoint_acting(
        self, info: strawberry.Info, input: AppointActingInput
    ) -> ActingAppointmentPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            ActingAppointmentPayload,
            lambda: acting.appoint(
                actor=actor,
                unit_id=parse_id(input.unit_id, "unitId"),
                employee_id=parse_id(input.employee_id, "employeeId"),
                kind=_ActingKind(input.kind.value),
                starts_on=input.starts_on,
                ends_on=input.ends_on,
                sk_number=input.sk_number,
            ),
            ActingAppointment.of,
        )

    @strawberry.mutation(
        description="Region admin: end an acting appointment early, or correct its end date "
        "(endsOn, the last day included; not before startsOn, not overlapping another "
        "appointment of the unit). The acting head's rights follow the new date at once; "
        "they are notified (ACTING_ENDS_CHANGED)."
    )
    async def end_acting_appointment(
        self, info: strawberry.Info, id: strawberry.ID, ends_on: date
    ) -> ActingAppointmentPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            ActingAppointmentPayload,
            lambda: acting.change_end(
                actor=actor, appointment_id=parse_id(id, "id"), ends_on=ends_on
            ),
            ActingAppointment.of,
        )

    @strawberry.mutation(
        description="Region admin: transfer (mutasi) an employee to another unit, supervisor or "
        "jabatan from a date; their plans follow (see TransferEmployeeInput)."
    )
    async def transfer_employee(
        self, info: strawberry.Info, input: TransferEmployeeInput
    ) -> TransferPayload:
        actor = info.context.require_region_actor()

        async def body() -> dict[str, Any]:
            employee, plans = await transfers.transfer_employee(
                actor=actor,
                employee_id=parse_id(input.employee_id, "employeeId"),
                effective_on=input.effective_on,
                unit_id=_id_or_unset(input.unit_id, "unitId"),
                supervisor_id=_id_or_unset(input.supervisor_id, "supervisorId"),
                position=_given(input.position),
            )
            row = (await org.employees_by_ids([employee.id]))[employee.id]
            return {
                "employee": Employee.of(row),
                "reassigned_plan_ids": [strawberry.ID(str(p.id)) for p in plans],
            }

        return await mutate(TransferPayload, body, lambda result: result)

    @strawberry.mutation(description="Region admin: deactivate an employee and their login.")
    async def deactivate_employee(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> EmployeePayload:
        actor = info.context.require_region_actor()
        return await _employee_payload(
            lambda: org.deactivate_employee(actor=actor, employee_id=parse_id(id, "id"))
        )


@payload
class ImportJobPayload:
    job: ImportJob | None


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Region admin: import employees from a CSV file (columns NIP, nama, jabatan, "
        "jenis_jabatan, golongan, unit, nip_atasan, email, telepon; ',' or ';'; UTF-8). "
        "Runs as a background job: follow it with importJob(id). All or nothing: with any "
        "problem nothing is written. dryRun validates only."
    )
    async def import_employees(
        self,
        info: strawberry.Info,
        file: Upload,
        dry_run: bool = False,
        deactivate_missing: Annotated[
            bool, strawberry.argument(description="Deactivate active employees not in the file")
        ] = False,
    ) -> ImportJobPayload:
        actor = info.context.require_region_actor()
        importing.require_import_rights(actor)
        return await mutate(
            ImportJobPayload,
            lambda: importing.stage_import(
                actor=actor,
                filename=getattr(file, "filename", None) or "roster.csv",
                binary=uploaded(file).file,
                dry_run=dry_run,
                deactivate_missing=deactivate_missing,
                max_bytes=info.context.settings.import_max_bytes,
            ),
            ImportJob.of,
        )
