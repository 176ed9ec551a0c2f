"""org: the Query fields and their arguments (filters, orderings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.types.nodes import SelectedField

from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import json_select
from kinerja_saas.org import acting, importing, positions
from kinerja_saas.org import queries as org_queries
from kinerja_saas.org import service as org
from schema import compiled
from schema.context import Context
from schema.errors import parse_id
from schema.org.types import (
    ActingAppointment,
    Employee,
    EmployeeConnection,
    EmployeeEdge,
    EmployeeOrderField,
    ImportJob,
    OrderDirection,
    PositionRecord,
    Unit,
)
from schema.pagination import decode_cursor, encode_cursor, page_info, page_size

if TYPE_CHECKING:
    from kinerja_saas.org.models import ImportJob as ImportJobModel


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
class OrgQuery:
    @strawberry.field(
        description="Acting heads (Plt./Plh.): the region admin sees the region's (unitId "
        "narrows them), anyone else their own appointments; latest first."
    )
    async def acting_appointments(
        self, info: strawberry.Info, unit_id: strawberry.ID | None = None
    ) -> list[ActingAppointment]:
        actor = info.context.require_region_actor()
        rows = await acting.appointments(actor=actor, unit_id=parse_id(unit_id, "unitId"))
        return [ActingAppointment.of(a) for a in rows]

    @strawberry.field(
        description="An employee's position history (riwayat jabatan), oldest first, for "
        "whoever may see the employee."
    )
    async def position_history(
        self, info: strawberry.Info, employee_id: strawberry.ID
    ) -> list[PositionRecord]:
        actor = info.context.require_region_actor()
        rows = await positions.history(actor=actor, employee_id=parse_id(employee_id, "employeeId"))
        return [PositionRecord.of(r) for r in rows]

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
        actor, page = _employees_page(info.context, first, after, filter, order_by)
        rows = await org.list_employees(
            actor=actor,
            flt=page.flt,
            order=page.order,
            descending=page.descending,
            limit=page.limit,
            after=page.after_key,
            include=frozenset(_node_fields(info) & set(org.RELATIONS)),
        )
        has_next = len(rows) > page.limit
        rows = rows[: page.limit]
        edges = [
            EmployeeEdge(
                cursor=encode_cursor(r[page.column], r["id"], page.tag),
                node=Employee.of(r, viewer=actor),
            )
            for r in rows
        ]
        return EmployeeConnection(
            edges=edges,
            page_info=page_info(edges, has_next=has_next, after=after),
            filter=page.flt,
        )

    @strawberry.field(description="One employee, if visible to you.")
    async def employee(self, info: strawberry.Info, id: strawberry.ID) -> Employee:
        actor = info.context.require_region_actor()
        return Employee.of(await org.get_employee(actor=actor, employee_id=parse_id(id, "id")))


@dataclass(frozen=True)
class _Page:
    flt: org.EmployeeFilter
    order: str
    descending: bool
    column: str
    tag: str
    limit: int
    after: str | None
    after_key: tuple[Any, int] | None


def _employees_page(
    context: Context,
    first: int | None,
    after: str | None,
    filter: EmployeeFilter | None,
    order_by: EmployeeOrder | None,
) -> tuple[Actor, _Page]:
    """`employees`' arguments checked and read: the resolver's and the compiled path's."""
    actor = context.require_region_actor()
    limit = page_size(first, context.settings.max_page_size)
    flt_in = filter or EmployeeFilter()
    flt = org.EmployeeFilter(
        unit_id=parse_id(flt_in.unit_id, "filter.unitId"),
        include_subunits=flt_in.include_subunits,
        search=flt_in.search,
        active=flt_in.active,
        supervisor_id=parse_id(flt_in.supervisor_id, "filter.supervisorId"),
    )
    order = order_by or EmployeeOrder()
    tag = f"{order.field.value}:{order.direction.value}"
    return actor, _Page(
        flt=flt,
        order=order.field.value,
        descending=order.direction == OrderDirection.DESC,
        column=org.ORDER_COLUMNS[order.field.value],
        tag=tag,
        limit=limit,
        after=after,
        after_key=decode_cursor(after, tag, datetime if order.field.value == "CREATED_AT" else str)
        if after
        else None,
    )


# --- the compiled read path (schema/compiled.py): the same checks, one statement ----------

# Cursors compiled for text sort keys (CREATED_AT's cursor carries a timestamp object).
_TEXT_ORDERS = frozenset({"NAME", "NIP"})


@compiled.root("employees")
def _compiled_employees(
    context: Context,
    first: int | None = None,
    after: str | None = None,
    filter: EmployeeFilter | None = None,
    order_by: EmployeeOrder | None = None,
) -> compiled.Root:
    actor, page = _employees_page(context, first, after, filter, order_by)

    def build(b: json_select.Builder, shape: json_select.Page) -> str:
        return org_queries.employees_page_json(
            b,
            actor=actor,
            flt=page.flt,
            order=page.order,
            descending=page.descending,
            limit=page.limit,
            after=page.after_key,
            shape=shape,
        )

    return compiled.Root(
        build=build,
        cursor=(page.column, page.tag) if page.order in _TEXT_ORDERS else None,
        has_previous=after is not None,
    )


@compiled.root("unit")
def _compiled_unit(context: Context, id: strawberry.ID) -> compiled.Root:
    context.require_region_actor()
    unit_id = parse_id(id, "id")

    def build(b: json_select.Builder, shape: json_select.Obj) -> str:
        return org_queries.unit_json(b, unit_id=unit_id, shape=shape)

    return compiled.Root(build=build)


@compiled.root("employee")
def _compiled_employee(context: Context, id: strawberry.ID) -> compiled.Root:
    actor = context.require_region_actor()
    employee_id = parse_id(id, "id")

    def build(b: json_select.Builder, shape: json_select.Obj) -> str:
        return org_queries.employee_json(b, actor=actor, employee_id=employee_id, shape=shape)

    return compiled.Root(build=build)


async def _visible_job(info: strawberry.Info, job_id: int) -> ImportJobModel | None:
    importing.require_import_rights(info.context.require_region_actor())
    return await org_queries.import_job(job_id)


@strawberry.type
class ImportQuery:
    @strawberry.field(description="Region admin: an import's status, progress and problems.")
    async def import_job(self, info: strawberry.Info, id: strawberry.ID) -> ImportJob | None:
        job = await _visible_job(info, parse_id(id, "id"))
        return ImportJob.of(job) if job else None

    @strawberry.field(description="Region admin: the latest imports, newest first.")
    async def import_jobs(self, info: strawberry.Info, first: int = 20) -> list[ImportJob]:
        importing.require_import_rights(info.context.require_region_actor())
        limit = page_size(first, info.context.settings.max_page_size)
        jobs = await org_queries.latest_import_jobs(limit)
        return [ImportJob.of(j) for j in jobs]


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
