"""Acting officials: a Pelaksana Tugas (Plt.) or Pelaksana Harian (Plh.) heading a unit for a
date range, as SE Kepala BKN 1/SE/I/2021 (Kewenangan Pelaksana Harian dan Pelaksana Tugas
dalam Aspek Kepegawaian) describes them: a Plt. stands in when the post is vacant or its
holder is away for good, a Plh. while the holder is away for a while; both carry the
holder's day-to-day authority, and sign with "Plt."/"Plh." before the post's title.

Rule: during the appointment (both days included, counted in the region's own time zone)
the acting head holds the unit head's rights as evaluator — approving plans, verifying
realisations, evaluating — for the plans whose evaluator is a head of that unit, i.e. an
employee of the unit whose own supervisor is outside it (a vacant post's former holder
included, since their reports keep pointing at them). Never for their own plan. The day after
`endsOn` the rights are gone: every check compares with the day, no job revokes anything.
Appointments of one unit never overlap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.indonesian import long_date
from kinerja_saas.org import events, queries
from kinerja_saas.org.errors import ActingError
from kinerja_saas.org.models import ActingAppointment, ActingKind, Employee, Unit
from kinerja_saas.outbox.service import emit
from tenants.context import current_tenant_id
from tenants.models import Tenant

MAX_SK_NUMBER = 100
PREFIX = {ActingKind.PLT: "Plt.", ActingKind.PLH: "Plh."}


@dataclass(frozen=True)
class Acting:
    """An acting capacity in force: the appointment, its kind and its unit."""

    appointment_id: int
    kind: ActingKind
    unit_id: int


async def region_today() -> date:
    """Today in the current region's own time zone (WIB, WITA or WIT)."""
    tenant = await Tenant.get(id=current_tenant_id())
    return datetime.now(ZoneInfo(str(tenant.timezone.value))).date()


def title(kind: ActingKind | str, unit_name: str) -> str:
    """What a document prints before the signature: "Plt. Kepala Bidang A"."""
    return f"{PREFIX[ActingKind(kind)]} Kepala {unit_name}"


async def appoint(
    *,
    actor: Actor,
    unit_id: int,
    employee_id: int,
    kind: ActingKind,
    starts_on: date,
    ends_on: date,
    sk_number: str | None = None,
) -> ActingAppointment:
    """A region admin appoints `employee_id` acting head of `unit_id` from `starts_on` to
    `ends_on`. Audited; the person is notified (ACTING_APPOINTED)."""
    actor.require(Role.REGION_ADMIN)
    errors = ErrorCollector()
    locked = await queries.lock_unit(unit_id)  # one unit's appointments, one at a time
    unit = await scoped(Unit).get_or_none(id=unit_id) if locked else None
    if unit is None:
        errors.add("unitId", CommonError.NOT_FOUND)
    elif not unit.is_active:
        errors.add("unitId", CommonError.INACTIVE)
    person = await scoped(Employee).get_or_none(id=employee_id)
    if person is None:
        errors.add("employeeId", CommonError.NOT_FOUND)
    elif not person.is_active:
        errors.add("employeeId", CommonError.INACTIVE)
    if starts_on > ends_on:
        errors.add("endsOn", ActingError.ENDS_BEFORE_START)
    sk = (sk_number or "").strip() or None
    if sk is not None and len(sk) > MAX_SK_NUMBER:
        errors.add("skNumber", CommonError.TOO_LONG, max=MAX_SK_NUMBER)
    if unit is not None and starts_on <= ends_on:
        clash = (
            await scoped(ActingAppointment)
            .filter(unit_id=unit_id, starts_on__lte=ends_on, ends_on__gte=starts_on)
            .order_by("starts_on")
            .first()
        )
        if clash is not None:
            errors.add(
                "startsOn",
                ActingError.ACTING_OVERLAP,
                kind=PREFIX[clash.kind],
                starts=long_date(clash.starts_on),
                ends=long_date(clash.ends_on),
            )
    errors.raise_if_any()
    assert unit is not None and person is not None
    appointment = await ActingAppointment.create(
        tenant_id=current_tenant_id(),
        unit_id=unit.id,
        employee_id=person.id,
        kind=kind,
        sk_number=sk,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor.user_id or None,
    )
    after = {
        "unit_id": unit.id,
        "employee_id": person.id,
        "kind": kind.value,
        "sk_number": sk,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
    }
    await record(
        actor=actor,
        action="acting.appoint",
        entity="acting_appointment",
        entity_id=appointment.id,
        after=after,
    )
    await emit(
        events.ACTING_APPOINTED,
        {
            "appointment_id": appointment.id,
            "employee_id": person.id,
            "unit_id": unit.id,
            "kind": kind.value,
            "jabatan": title(kind, unit.name),
            "periode": f"{long_date(starts_on)} sampai {long_date(ends_on)}",
        },
    )
    return appointment


async def change_end(*, actor: Actor, appointment_id: int, ends_on: date) -> ActingAppointment:
    """A region admin ends an appointment early or corrects its end date (later too: an
    extension must not overlap the unit's next appointment). The rights follow the new
    `ends_on` at once, since every check compares with the day. Audited; the acting head is
    notified (ACTING_ENDS_CHANGED). Another region's appointment is NOT_FOUND (RLS)."""
    actor.require(Role.REGION_ADMIN)
    found = await scoped(ActingAppointment).get_or_none(id=appointment_id)
    if found is None or not await queries.lock_unit(found.unit_id):
        raise NotFound(CommonError.NOT_FOUND, field="id")
    # Re-read under the unit's lock: an appointment or change of the same unit waits.
    appointment = await scoped(ActingAppointment).get(id=appointment_id)
    errors = ErrorCollector()
    if ends_on < appointment.starts_on:
        errors.add("endsOn", ActingError.ENDS_BEFORE_START)
    else:
        clash = (
            await scoped(ActingAppointment)
            .filter(
                unit_id=appointment.unit_id,
                starts_on__lte=ends_on,
                ends_on__gte=appointment.starts_on,
                id__not=appointment.id,
            )
            .order_by("starts_on")
            .first()
        )
        if clash is not None:
            errors.add(
                "endsOn",
                ActingError.ACTING_OVERLAP,
                kind=PREFIX[clash.kind],
                starts=long_date(clash.starts_on),
                ends=long_date(clash.ends_on),
            )
    errors.raise_if_any()
    if ends_on == appointment.ends_on:
        return appointment
    before = {"ends_on": appointment.ends_on.isoformat()}
    appointment.ends_on = ends_on
    await appointment.save_fields("ends_on")
    await record(
        actor=actor,
        action="acting.change_end",
        entity="acting_appointment",
        entity_id=appointment.id,
        before=before,
        after={"ends_on": ends_on.isoformat()},
    )
    unit = await scoped(Unit).get(id=appointment.unit_id)
    await emit(
        events.ACTING_ENDS_CHANGED,
        {
            "appointment_id": appointment.id,
            "employee_id": appointment.employee_id,
            "unit_id": appointment.unit_id,
            "jabatan": title(appointment.kind, unit.name),
            "periode": f"{long_date(appointment.starts_on)} sampai {long_date(ends_on)}",
        },
    )
    return appointment


async def appointments(*, actor: Actor, unit_id: int | None = None) -> list[ActingAppointment]:
    """The region's appointments (region admin; `unit_id` narrows them), else the actor's
    own; latest first."""
    query = scoped(ActingAppointment)
    if not actor.has(Role.REGION_ADMIN):
        if actor.employee_id is None:
            return []
        query = query.filter(employee_id=actor.employee_id)
    if unit_id is not None:
        query = query.filter(unit_id=unit_id)
    return await query.order_by("-starts_on", "-id")


async def acting_for(
    *, acting_id: int, evaluator_id: int, today: date | None = None
) -> Acting | None:
    """The capacity in which `acting_id` stands in for `evaluator_id` on `today` (by default
    the region's today, in its own time zone), if any."""
    row = await queries.acting_for(acting_id=acting_id, evaluator_id=evaluator_id, today=today)
    if row is None:
        return None
    return Acting(appointment_id=row["id"], kind=ActingKind(row["kind"]), unit_id=row["unit_id"])
