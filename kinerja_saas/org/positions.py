"""Position history (riwayat jabatan): where an employee worked, under whom and as what,
from a date to a date. Written by a transfer (mutasi, performance/transfers.py); the first
transfer of someone without a history also records where they were before it (from an
unknown date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.indonesian import long_date
from kinerja_saas.org import queries
from kinerja_saas.org.acting import region_today
from kinerja_saas.org.errors import ActingError
from kinerja_saas.org.models import Employee, PositionRecord
from tenants.context import current_tenant_id


async def open_record(employee_id: int) -> PositionRecord | None:
    return (
        await scoped(PositionRecord)
        .filter(employee_id=employee_id, ends_on=None)
        .order_by("-id")
        .first()
    )


async def check_effective(errors: ErrorCollector, employee_id: int, effective_on: date) -> None:
    """A transfer cannot take effect before the day the current position began (on that day
    it amends the stretch, e.g. after an updateEmployee the same day)."""
    current = await open_record(employee_id)
    if current is not None and current.starts_on is not None and effective_on < current.starts_on:
        errors.add(
            "effectiveOn",
            ActingError.BEFORE_CURRENT_POSITION,
            starts=long_date(current.starts_on),
        )


@dataclass(frozen=True)
class Placement:
    """Where an employee stands: unit, supervisor and jabatan."""

    unit_id: int
    supervisor_id: int | None
    position: str

    @classmethod
    def of(cls, employee: Employee) -> Placement:
        return cls(employee.unit_id, employee.supervisor_id, employee.position)


async def record_change(
    *, actor: Actor, before: Placement, after: Employee, effective_on: date | None = None
) -> PositionRecord | None:
    """The one code path that writes an employee's move (transferEmployee and updateEmployee;
    the roster import does the same set-based in org/queries.py): closes the current stretch
    the day before `effective_on` (by default the region's today), writing it from `before`
    when there is none, and opens the new one from `after`. A stretch that begins on or after
    `effective_on` (a second change the same day) is amended instead, so no stretch ever ends
    before it begins. Nothing is written when the placement did not change."""
    if Placement.of(after) == before:
        return None
    day = effective_on if effective_on is not None else await region_today()
    tenant_id = current_tenant_id()
    current = await open_record(after.id)
    if current is not None and current.starts_on is not None and current.starts_on >= day:
        current.unit_id = after.unit_id
        current.supervisor_id = after.supervisor_id
        current.position = after.position
        await current.save_fields("unit_id", "supervisor_id", "position")
        return current
    if current is None:
        await PositionRecord.create(
            tenant_id=tenant_id,
            employee_id=after.id,
            unit_id=before.unit_id,
            supervisor_id=before.supervisor_id,
            position=before.position,
            starts_on=None,
            ends_on=day - timedelta(days=1),
            created_by=actor.user_id or None,
        )
    else:
        await scoped(PositionRecord).filter(id=current.id).update(ends_on=day - timedelta(days=1))
    return await PositionRecord.create(
        tenant_id=tenant_id,
        employee_id=after.id,
        unit_id=after.unit_id,
        supervisor_id=after.supervisor_id,
        position=after.position,
        starts_on=day,
        ends_on=None,
        created_by=actor.user_id or None,
    )


async def history(*, actor: Actor, employee_id: int) -> list[PositionRecord]:
    """The employee's position history, oldest first, for whoever may see the employee."""
    if await queries.visible_employee(actor=actor, employee_id=employee_id) is None:
        raise NotFound(CommonError.NOT_FOUND, field="employeeId")
    rows = await scoped(PositionRecord).filter(employee_id=employee_id).order_by("id")
    # by date (a stretch from an unknown date first), not by id: the import writes a
    # person's earlier and new stretch in one statement, in no promised order
    return sorted(rows, key=lambda r: (r.starts_on is not None, r.starts_on or date.min, r.id))
