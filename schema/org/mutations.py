"""org: the Mutation fields, their inputs and payloads."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from kinerja_saas.org import importing
from kinerja_saas.org import service as org
from kinerja_saas.org.models import PositionType as _PositionType
from schema.errors import parse_id
from schema.org.types import Employee, ImportJob, PositionType, Unit, UnitKind
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
