"""Use cases of the organisation domain: units and employees.

Every function runs inside the caller's tenant transaction, validates all input before
writing, and raises `ValidationFailed` with every problem found; the caller's savepoint
makes sure nothing of a failed call is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kinerja_saas.audit.service import record, snapshot
from kinerja_saas.auth import queries as auth_queries
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.grants import sync_supervisor_roles
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.revocation import revoke_logins
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, api_field
from kinerja_saas.org import positions, queries, rules
from kinerja_saas.org.errors import OrgError
from kinerja_saas.org.models import Employee, PositionType, Unit, UnitKind
from kinerja_saas.org.queries import ORDER_COLUMNS as ORDER_COLUMNS
from kinerja_saas.org.queries import RELATIONS as RELATIONS
from kinerja_saas.org.queries import EmployeeFilter, EmployeeRow
from kinerja_saas.org.queries import lock_org_structure as lock_org_structure
from tenants.context import current_tenant_id

UNIT_FIELDS = ("code", "name", "kind", "parent_id", "is_active")
EMPLOYEE_FIELDS = (
    "nip",
    "name",
    "position",
    "position_type",
    "golongan",
    "unit_id",
    "supervisor_id",
    "email",
    "phone",
    "is_active",
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def require_region_admin(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN)


# --- units -----------------------------------------------------------------------------


async def _get_unit(unit_id: int, field: str = "id") -> Unit:
    unit = await scoped(Unit).get_or_none(id=unit_id)
    if unit is None:
        raise NotFound(CommonError.NOT_FOUND, field=field)
    return unit


def _check_unit_text(errors: ErrorCollector, *, name: Any, code: Any) -> None:
    if name is not UNSET and not (name or "").strip():
        errors.add("name", CommonError.REQUIRED)
    if code is not UNSET and not (code or "").strip():
        errors.add("code", CommonError.REQUIRED)


async def _check_code_free(errors: ErrorCollector, code: str, except_id: int | None) -> None:
    if rules.is_import_unit_code(code):
        errors.add("code", OrgError.CODE_RESERVED)
        return
    clash = scoped(Unit).filter(code=code.strip())
    if except_id is not None:
        clash = clash.exclude(id=except_id)
    if await clash.exists():
        errors.add("code", CommonError.DUPLICATE)


async def _active_parent(errors: ErrorCollector, parent_id: int) -> Unit | None:
    parent = await scoped(Unit).get_or_none(id=parent_id)
    if parent is None:
        errors.add("parentId", CommonError.NOT_FOUND)
    elif not parent.is_active:
        errors.add("parentId", CommonError.INACTIVE)
    return parent


async def create_unit(
    *, actor: Actor, name: str, code: str, kind: UnitKind, parent_id: int | None
) -> Unit:
    require_region_admin(actor)
    await lock_org_structure()  # the parent's path must not move under us
    errors = ErrorCollector()
    _check_unit_text(errors, name=name, code=code)
    if code.strip():
        await _check_code_free(errors, code, None)
    parent = await _active_parent(errors, parent_id) if parent_id is not None else None
    errors.raise_if_any()

    tenant_id = current_tenant_id()
    unit = await Unit.create(
        tenant_id=tenant_id,
        name=name.strip(),
        code=code.strip(),
        kind=kind,
        parent_id=parent_id,
        depth=(parent.depth + 1) if parent else 0,
    )
    unit.path = rules.subtree_path(parent.path if parent else None, unit.id)
    await scoped(Unit).filter(id=unit.id).update(path=unit.path)
    await record(
        actor=actor,
        action="unit.create",
        entity="unit",
        entity_id=unit.id,
        after=snapshot(unit, UNIT_FIELDS),
    )
    return unit


async def update_unit(
    *,
    actor: Actor,
    unit_id: int,
    name: Any = UNSET,
    code: Any = UNSET,
    kind: Any = UNSET,
    parent_id: Any = UNSET,
) -> Unit:
    require_region_admin(actor)
    await lock_org_structure()
    unit = await _get_unit(unit_id)  # read after the lock: its path is current
    before = snapshot(unit, UNIT_FIELDS)
    errors = ErrorCollector()
    _check_unit_text(errors, name=name, code=code)
    if code is not UNSET and code and code.strip() != unit.code:
        await _check_code_free(errors, code, unit.id)
    new_parent: Unit | None = None
    moving = parent_id is not UNSET and parent_id != unit.parent_id
    if moving and parent_id is not None:
        new_parent = await _active_parent(errors, parent_id)
        if new_parent is not None and new_parent.path.startswith(unit.path):
            errors.add("parentId", OrgError.CYCLE)
    errors.raise_if_any()

    if name is not UNSET:
        unit.name = name.strip()
    if code is not UNSET:
        unit.code = code.strip()
    if kind is not UNSET and kind is not None:
        unit.kind = kind
    # A kind stored outside the known values reads as None: kept as stored unless given.
    await unit.save_fields("name", "code", *(("kind",) if unit.kind is not None else ()))
    if moving:
        await _move_subtree(unit, new_parent)
    await record(
        actor=actor,
        action="unit.update",
        entity="unit",
        entity_id=unit.id,
        before=before,
        after=snapshot(unit, UNIT_FIELDS),
    )
    return unit


async def _move_subtree(unit: Unit, new_parent: Unit | None) -> None:
    """Re-roots the unit and all its descendants in one statement."""
    old_path = unit.path
    new_path = rules.subtree_path(new_parent.path if new_parent else None, unit.id)
    depth_delta = ((new_parent.depth + 1) if new_parent else 0) - unit.depth
    await queries.move_subtree(
        unit_id=unit.id,
        old_path=old_path,
        new_path=new_path,
        depth_delta=depth_delta,
        new_parent_id=new_parent.id if new_parent else None,
    )
    unit.path, unit.parent_id = new_path, new_parent.id if new_parent else None
    unit.depth += depth_delta


async def deactivate_unit(*, actor: Actor, unit_id: int) -> Unit:
    require_region_admin(actor)
    unit = await _get_unit(unit_id)
    errors = ErrorCollector()
    if await scoped(Unit).filter(parent_id=unit.id, is_active=True).exists():
        errors.add("id", OrgError.HAS_ACTIVE_SUBUNITS)
    if await scoped(Employee).filter(unit_id=unit.id, is_active=True).exists():
        errors.add("id", OrgError.HAS_ACTIVE_EMPLOYEES)
    errors.raise_if_any()
    if unit.is_active:
        unit.is_active = False
        await unit.save_fields("is_active")
        await record(
            actor=actor,
            action="unit.deactivate",
            entity="unit",
            entity_id=unit.id,
            before={"is_active": True},
            after={"is_active": False},
        )
    return unit


async def list_units(*, include_inactive: bool = False) -> list[Unit]:
    query = scoped(Unit)
    if not include_inactive:
        query = query.filter(is_active=True)
    return await query.order_by("path")


# --- employees -------------------------------------------------------------------------


@dataclass
class EmployeeData:
    """Fields of an employee; UNSET leaves a field as it is on update."""

    nip: Any = UNSET
    name: Any = UNSET
    position: Any = UNSET
    position_type: Any = UNSET
    golongan: Any = UNSET
    unit_id: Any = UNSET
    supervisor_id: Any = UNSET
    email: Any = UNSET
    phone: Any = UNSET


async def _get_employee(employee_id: int, field: str = "id") -> Employee:
    employee = await scoped(Employee).get_or_none(id=employee_id)
    if employee is None:
        raise NotFound(CommonError.NOT_FOUND, field=field)
    return employee


async def _validate_employee(
    data: EmployeeData, *, existing: Employee | None, today: date
) -> dict[str, Any]:
    """Checks every field given; returns the normalised values to write."""
    errors = ErrorCollector()
    values: dict[str, Any] = {}
    creating = existing is None

    def given(name: str) -> bool:
        return getattr(data, name) is not UNSET

    for name in ("nip", "name", "position", "unit_id"):
        if creating and (not given(name) or getattr(data, name) in (None, "")):
            errors.add(api_field(name), CommonError.REQUIRED)
        elif given(name) and getattr(data, name) in (None, ""):
            errors.add(api_field(name), CommonError.REQUIRED)

    parsed = None
    if given("nip") and data.nip:
        nip = rules.normalise_nip(data.nip)
        parsed = rules.parse_nip(nip, today=today)
        if isinstance(parsed, rules.FieldError):
            errors.errors.append(parsed)
        elif existing is None or nip != existing.nip:
            clash = scoped(Employee).filter(nip=nip)
            if existing is not None:
                clash = clash.exclude(id=existing.id)
            if await clash.exists():
                errors.add("nip", CommonError.DUPLICATE)
            values["nip"] = nip
    for name in ("name", "position"):
        if given(name) and getattr(data, name):
            values[name] = getattr(data, name).strip()
    if given("position_type") and data.position_type is not None:
        values["position_type"] = PositionType(data.position_type)
    if given("golongan"):
        if data.golongan in (None, ""):
            values["golongan"] = None
        elif (golongan := rules.normalise_golongan(data.golongan)) is None:
            errors.add("golongan", OrgError.GOLONGAN_UNKNOWN, value=data.golongan)
        else:
            kind = (
                parsed.kind
                if isinstance(parsed, rules.NipInfo)
                else rules.nip_kind(existing.nip)
                if existing is not None and parsed is None
                else None
            )
            if kind is not None and (mismatch := rules.golongan_mismatch(golongan, kind)):
                errors.errors.append(mismatch)
            values["golongan"] = golongan
    elif isinstance(parsed, rules.NipInfo) and existing is not None and existing.golongan:
        # a new number of another kind with the golongan kept from before
        if mismatch := rules.golongan_mismatch(existing.golongan, parsed.kind):
            errors.errors.append(mismatch)
    if given("email"):
        email = (data.email or "").strip().lower() or None
        if email and not rules.valid_email(email):
            errors.add("email", CommonError.INVALID, example="nama@bkpsdm.go.id")
        values["email"] = email
    if given("phone"):
        phone = (data.phone or "").strip() or None
        if phone and not rules.valid_phone(phone):
            errors.add("phone", CommonError.INVALID, example="0812 3456 7890")
        values["phone"] = phone
    if given("unit_id") and data.unit_id is not None:
        unit = await scoped(Unit).get_or_none(id=data.unit_id)
        if unit is None:
            errors.add("unitId", CommonError.NOT_FOUND)
        elif not unit.is_active:
            errors.add("unitId", CommonError.INACTIVE)
        else:
            values["unit_id"] = unit.id
    if given("supervisor_id"):
        sup_id = data.supervisor_id
        if sup_id is None:
            values["supervisor_id"] = None
        else:
            supervisor = await scoped(Employee).get_or_none(id=sup_id)
            if supervisor is None:
                errors.add("supervisorId", CommonError.NOT_FOUND)
            elif not supervisor.is_active:
                errors.add("supervisorId", CommonError.INACTIVE)
            elif existing is not None and await queries.supervisor_chain_contains(
                sup_id, existing.id
            ):
                errors.add("supervisorId", OrgError.CYCLE)
            else:
                values["supervisor_id"] = sup_id
    errors.raise_if_any()
    return values


async def create_employee(
    *, actor: Actor, data: EmployeeData, today: date | None = None
) -> Employee:
    require_region_admin(actor)
    if data.supervisor_id is not UNSET:
        await lock_org_structure()
    values = await _validate_employee(data, existing=None, today=today or date.today())
    employee = await Employee.create(tenant_id=current_tenant_id(), **values)
    after = snapshot(employee, EMPLOYEE_FIELDS)
    await record(
        actor=actor, action="employee.create", entity="employee", entity_id=employee.id, after=after
    )
    if employee.supervisor_id is not None:
        await sync_supervisor_roles(actor=actor, employee_ids=[employee.supervisor_id])
    return employee


async def update_employee(
    *,
    actor: Actor,
    employee_id: int,
    data: EmployeeData,
    today: date | None = None,
    effective_on: date | None = None,
) -> Employee:
    """Updates the employee. A new unit, supervisor or jabatan is written to their position
    history from `effective_on` (a transfer's date; by default the region's today). Their
    plans keep the evaluator recorded on them: only a transfer reassigns a plan
    (performance/transfers.py)."""
    require_region_admin(actor)
    if data.supervisor_id is not UNSET:
        await lock_org_structure()  # the cycle check must see every committed change
    employee = await _get_employee(employee_id)
    before = snapshot(employee, EMPLOYEE_FIELDS)
    placement = positions.Placement.of(employee)
    old_supervisor = employee.supervisor_id
    values = await _validate_employee(data, existing=employee, today=today or date.today())
    if values:
        employee.update_from_dict(values)
        await employee.save_fields(*values)
        await positions.record_change(
            actor=actor, before=placement, after=employee, effective_on=effective_on
        )
    after = snapshot(employee, EMPLOYEE_FIELDS)
    if after != before:
        await record(
            actor=actor,
            action="employee.update",
            entity="employee",
            entity_id=employee.id,
            before=before,
            after=after,
        )
    if employee.supervisor_id != old_supervisor:
        await sync_supervisor_roles(
            actor=actor,
            employee_ids=[s for s in (old_supervisor, employee.supervisor_id) if s is not None],
        )
    return employee


async def deactivate_employee(*, actor: Actor, employee_id: int) -> Employee:
    """Deactivates the employee and their login, and ends their sessions. Their reports keep
    the supervisor link until reassigned, so nobody's evaluator silently disappears."""
    require_region_admin(actor)
    employee = await _get_employee(employee_id)
    if not employee.is_active:
        return employee
    tenant_id = current_tenant_id()
    # The region's last active admin login stays (auth.grants): lock the admins' rows so
    # that two deactivations at once cannot both pass.
    admins = await auth_queries.lock_active_admins(tenant_id=tenant_id)
    if admins and all(r["employee_id"] == employee.id for r in admins):
        errors = ErrorCollector()
        errors.add("id", OrgError.LAST_REGION_ADMIN)
        errors.raise_if_any()
    employee.is_active = False
    await employee.save_fields("is_active")
    ended = await queries.end_logins_of_employee(employee.id)
    # Their access tokens stop within seconds on every API process, not in 15 minutes.
    await revoke_logins(tenant_id=tenant_id, versions={r["id"]: r["token_version"] for r in ended})
    await record(
        actor=actor,
        action="employee.deactivate",
        entity="employee",
        entity_id=employee.id,
        before={"is_active": True},
        after={"is_active": False},
    )
    if employee.supervisor_id is not None:
        # their supervisor may have had no one else
        await sync_supervisor_roles(actor=actor, employee_ids=[employee.supervisor_id])
    return employee


# --- reads -----------------------------------------------------------------------------


async def supervises(supervisor_id: int, employee_id: int) -> bool:
    """Whether `supervisor_id` is above `employee_id` in the supervision chain."""
    return supervisor_id != employee_id and await queries.supervisor_chain_contains(
        employee_id, supervisor_id
    )


async def list_employees(
    *,
    actor: Actor,
    flt: EmployeeFilter,
    order: str = "NAME",
    descending: bool = False,
    limit: int,
    after: tuple[Any, int] | None = None,
    include: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """One keyset page (`limit` rows, plus one to tell whether more follow). Relations
    named in `include` come joined in, as nested dicts (None when the row has none)."""
    return await queries.employees_page(
        actor=actor,
        flt=flt,
        order=order,
        descending=descending,
        limit=limit,
        after=after,
        include=include,
    )


async def count_employees(*, actor: Actor, flt: EmployeeFilter) -> int:
    return await queries.employees_count(actor=actor, flt=flt)


async def get_employee(*, actor: Actor, employee_id: int) -> EmployeeRow:
    row = await queries.visible_employee(actor=actor, employee_id=employee_id)
    if row is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    return row


employees_by_ids = queries.employees_by_ids


async def units_by_ids(ids: list[int]) -> dict[int, Unit]:
    units = await scoped(Unit).filter(id__in=ids)
    return {u.id: u for u in units}


async def accounts_by_employee(employee_ids: list[int]) -> dict[int, UserAccount]:
    accounts = await scoped(UserAccount).filter(employee_id__in=employee_ids)
    return {a.employee_id: a for a in accounts if a.employee_id is not None}


async def unit_children(parent_ids: list[int]) -> dict[int, list[Unit]]:
    # By name, then id: a defined order for units of the same name (the compiled read path
    # orders alike, docs/compiled-queries.md).
    units = await (
        scoped(Unit).filter(parent_id__in=parent_ids, is_active=True).order_by("name", "id")
    )
    grouped: dict[int, list[Unit]] = {}
    for unit in units:
        grouped.setdefault(unit.parent_id, []).append(unit)
    return grouped
