"""Use cases of the organisation domain: units and employees.

Every function runs inside the caller's tenant transaction, validates all input before
writing, and raises `ValidationFailed` with every problem found; the caller's savepoint
makes sure nothing of a failed call is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise import connections

from kinerja_saas.audit.service import record, snapshot
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.revocation import revoke_logins
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, api_field
from kinerja_saas.org import rules
from kinerja_saas.org.errors import OrgError
from kinerja_saas.org.models import Employee, PositionType, Unit, UnitKind
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
MAX_SUPERVISION_DEPTH = 64


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def require_region_admin(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN)


def _db():
    return connections.get("default")


async def lock_org_structure() -> None:
    """Serialises changes to the unit tree and the supervision chain of one region until the
    transaction ends, so two concurrent moves cannot build a cycle that each check alone
    would have refused. Callers read the rows they check after taking it."""
    await _db().execute_query(
        "SELECT pg_advisory_xact_lock(hashtextextended('kinerja:org-structure', $1))",
        [current_tenant_id()],
    )


# --- units -----------------------------------------------------------------------------


async def _get_unit(unit_id: int, field: str = "id") -> Unit:
    unit = await Unit.get_or_none(tenant_id=current_tenant_id(), id=unit_id)
    if unit is None:
        raise NotFound(CommonError.NOT_FOUND, field=field)
    return unit


def _check_unit_text(errors: ErrorCollector, *, name: Any, code: Any) -> None:
    if name is not UNSET and not (name or "").strip():
        errors.add("name", CommonError.REQUIRED)
    if code is not UNSET and not (code or "").strip():
        errors.add("code", CommonError.REQUIRED)


async def _check_code_free(errors: ErrorCollector, code: str, except_id: int | None) -> None:
    clash = Unit.filter(tenant_id=current_tenant_id(), code=code.strip())
    if except_id is not None:
        clash = clash.exclude(id=except_id)
    if await clash.exists():
        errors.add("code", CommonError.DUPLICATE)


async def _active_parent(errors: ErrorCollector, parent_id: int) -> Unit | None:
    parent = await Unit.get_or_none(tenant_id=current_tenant_id(), id=parent_id)
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
    await Unit.filter(tenant_id=tenant_id, id=unit.id).update(path=unit.path)
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
    await unit.save_fields("name", "code", "kind")
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
    await _db().execute_query(
        "UPDATE org_units SET path = $2 || substr(path, length($3) + 1), depth = depth + $4,"
        " parent_id = CASE WHEN id = $5 THEN $6 ELSE parent_id END, updated_at = now()"
        " WHERE tenant_id = $1 AND path LIKE $3 || '%'",
        [
            current_tenant_id(),
            new_path,
            old_path,
            depth_delta,
            unit.id,
            new_parent.id if new_parent else None,
        ],
    )
    unit.path, unit.parent_id = new_path, new_parent.id if new_parent else None
    unit.depth += depth_delta


async def deactivate_unit(*, actor: Actor, unit_id: int) -> Unit:
    require_region_admin(actor)
    unit = await _get_unit(unit_id)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    if await Unit.filter(tenant_id=tenant_id, parent_id=unit.id, is_active=True).exists():
        errors.add("id", OrgError.HAS_ACTIVE_SUBUNITS)
    if await Employee.filter(tenant_id=tenant_id, unit_id=unit.id, is_active=True).exists():
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
    query = Unit.filter(tenant_id=current_tenant_id())
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
    employee = await Employee.get_or_none(tenant_id=current_tenant_id(), id=employee_id)
    if employee is None:
        raise NotFound(CommonError.NOT_FOUND, field=field)
    return employee


async def _supervisor_chain_contains(start_id: int, target_id: int) -> bool:
    """Whether `target_id` is `start_id` or above it in the supervision chain."""
    _, rows = await _db().execute_query(
        "WITH RECURSIVE chain(id, supervisor_id, depth) AS ("
        "  SELECT id, supervisor_id, 1 FROM employees WHERE tenant_id = $1 AND id = $2"
        "  UNION ALL"
        "  SELECT e.id, e.supervisor_id, c.depth + 1 FROM employees e"
        "  JOIN chain c ON e.id = c.supervisor_id"
        "  WHERE e.tenant_id = $1 AND c.depth < $4"
        ") SELECT 1 FROM chain WHERE id = $3 LIMIT 1",
        [current_tenant_id(), start_id, target_id, MAX_SUPERVISION_DEPTH],
    )
    return bool(rows)


async def _validate_employee(
    data: EmployeeData, *, existing: Employee | None, today: date
) -> dict[str, Any]:
    """Checks every field given; returns the normalised values to write."""
    errors = ErrorCollector()
    values: dict[str, Any] = {}
    tenant_id = current_tenant_id()
    creating = existing is None

    def given(name: str) -> bool:
        return getattr(data, name) is not UNSET

    for name in ("nip", "name", "position", "unit_id"):
        if creating and (not given(name) or getattr(data, name) in (None, "")):
            errors.add(api_field(name), CommonError.REQUIRED)
        elif given(name) and getattr(data, name) in (None, ""):
            errors.add(api_field(name), CommonError.REQUIRED)

    if given("nip") and data.nip:
        nip = data.nip.strip()
        parsed = rules.parse_nip(nip, today=today)
        if isinstance(parsed, rules.FieldError):
            errors.errors.append(parsed)
        elif existing is None or nip != existing.nip:
            clash = Employee.filter(tenant_id=tenant_id, nip=nip)
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
            errors.add("golongan", CommonError.INVALID, example="III/a")
        else:
            values["golongan"] = golongan
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
        unit = await Unit.get_or_none(tenant_id=tenant_id, id=data.unit_id)
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
            supervisor = await Employee.get_or_none(tenant_id=tenant_id, id=sup_id)
            if supervisor is None:
                errors.add("supervisorId", CommonError.NOT_FOUND)
            elif not supervisor.is_active:
                errors.add("supervisorId", CommonError.INACTIVE)
            elif existing is not None and await _supervisor_chain_contains(sup_id, existing.id):
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
    return employee


async def update_employee(
    *, actor: Actor, employee_id: int, data: EmployeeData, today: date | None = None
) -> Employee:
    require_region_admin(actor)
    if data.supervisor_id is not UNSET:
        await lock_org_structure()  # the cycle check must see every committed change
    employee = await _get_employee(employee_id)
    before = snapshot(employee, EMPLOYEE_FIELDS)
    values = await _validate_employee(data, existing=employee, today=today or date.today())
    if values:
        employee.update_from_dict(values)
        await employee.save_fields(*values)
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
    return employee


async def deactivate_employee(*, actor: Actor, employee_id: int) -> Employee:
    """Deactivates the employee and their login, and ends their sessions. Their reports keep
    the supervisor link until reassigned, so nobody's evaluator silently disappears."""
    require_region_admin(actor)
    employee = await _get_employee(employee_id)
    if not employee.is_active:
        return employee
    employee.is_active = False
    await employee.save_fields("is_active")
    tenant_id = current_tenant_id()
    ended = await _db().execute_query_dict(  # execute_query would drop RETURNING's rows
        "UPDATE user_accounts SET is_active = false, token_version = token_version + 1"
        " WHERE tenant_id = $1 AND employee_id = $2 RETURNING id, token_version",
        [tenant_id, employee.id],
    )
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
    return employee


# --- reads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EmployeeFilter:
    unit_id: int | None = None
    include_subunits: bool = True
    search: str | None = None
    active: bool | None = None
    supervisor_id: int | None = None


ORDER_COLUMNS = {"NAME": "name", "NIP": "nip", "CREATED_AT": "created_at"}
EMPLOYEE_COLUMNS = (
    "id, tenant_id, nip, name, position, position_type, golongan, unit_id, supervisor_id,"
    " email, phone, is_active, created_at, updated_at"
)


class _Sql:
    """Collects WHERE clauses and their positional parameters."""

    def __init__(self, tenant_id: int) -> None:
        self.params: list[Any] = [tenant_id]
        self.where: list[str] = ["tenant_id = $1"]

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"


def _scope(sql: _Sql, actor: Actor, column: str = "id") -> None:
    """What the actor may see: the region admin all, a supervisor their chain below and
    themselves, anyone else only themselves. `column` holds the employee id."""
    if actor.has(Role.REGION_ADMIN):
        return
    if actor.employee_id is None:
        sql.where.append("false")
        return
    me = sql.param(actor.employee_id)
    if actor.has(Role.SUPERVISOR):
        sql.where.append(
            f"({column} = {me} OR {column} IN (WITH RECURSIVE below(id, depth) AS ("
            f" SELECT id, 1 FROM employees WHERE tenant_id = $1 AND supervisor_id = {me}"
            " UNION ALL SELECT e.id, b.depth + 1 FROM employees e JOIN below b"
            f" ON e.supervisor_id = b.id WHERE e.tenant_id = $1 AND b.depth < {MAX_SUPERVISION_DEPTH}"
            ") SELECT id FROM below))"
        )
    else:
        sql.where.append(f"{column} = {me}")


scope_employees = _scope  # for other domains' queries over employees' rows


async def supervises(supervisor_id: int, employee_id: int) -> bool:
    """Whether `supervisor_id` is above `employee_id` in the supervision chain."""
    return supervisor_id != employee_id and await _supervisor_chain_contains(
        employee_id, supervisor_id
    )


def _filters(sql: _Sql, flt: EmployeeFilter) -> None:
    if flt.unit_id is not None:
        unit = sql.param(flt.unit_id)
        if flt.include_subunits:
            sql.where.append(
                "unit_id IN (SELECT u.id FROM org_units u WHERE u.tenant_id = $1 AND u.path LIKE"
                f" (SELECT p.path FROM org_units p WHERE p.tenant_id = $1 AND p.id = {unit}) || '%')"
            )
        else:
            sql.where.append(f"unit_id = {unit}")
    if flt.search:
        term = flt.search.strip()
        if rules.DIGITS.fullmatch(term):
            sql.where.append(f"nip LIKE {sql.param(term + '%')}")
        else:
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql.where.append(f"name ILIKE {sql.param('%' + escaped + '%')}")
    if flt.active is not None:
        sql.where.append(f"is_active = {sql.param(flt.active)}")
    if flt.supervisor_id is not None:
        sql.where.append(f"supervisor_id = {sql.param(flt.supervisor_id)}")


UNIT_COLUMNS = (
    "id",
    "tenant_id",
    "parent_id",
    "code",
    "name",
    "kind",
    "path",
    "depth",
    "is_active",
)
RELATIONS = {
    # relation -> (join, columns): one LEFT JOIN each, so a page with its units and
    # supervisors is still one statement.
    "unit": (
        "LEFT JOIN org_units r_unit ON r_unit.tenant_id = p.tenant_id AND r_unit.id = p.unit_id",
        UNIT_COLUMNS,
    ),
    "supervisor": (
        "LEFT JOIN employees r_supervisor ON r_supervisor.tenant_id = p.tenant_id"
        " AND r_supervisor.id = p.supervisor_id",
        tuple(c.strip() for c in EMPLOYEE_COLUMNS.split(",")),
    ),
}


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
    column = ORDER_COLUMNS[order]
    sql = _Sql(current_tenant_id())
    _scope(sql, actor)
    _filters(sql, flt)
    if after is not None:
        op = "<" if descending else ">"
        sql.where.append(f"({column}, id) {op} ({sql.param(after[0])}, {sql.param(after[1])})")
    direction = "DESC" if descending else "ASC"
    page = (
        f"SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE {' AND '.join(sql.where)}"
        f" ORDER BY {column} {direction}, id {direction} LIMIT {sql.param(limit + 1)}"
    )
    relations = [r for r in RELATIONS if r in include]
    selected = "".join(f", r_{r}.{c} AS {r}__{c}" for r in relations for c in RELATIONS[r][1])
    joins = " ".join(RELATIONS[r][0] for r in relations)
    query = (
        f"WITH p AS ({page}) SELECT p.*{selected} FROM p {joins}"
        f" ORDER BY p.{column} {direction}, p.id {direction}"
    )
    _, rows = await _db().execute_query(query, sql.params)
    return [_nest(dict(r), relations) for r in rows]


def _nest(row: dict[str, Any], relations: list[str]) -> dict[str, Any]:
    for relation in relations:
        prefix = relation + "__"
        nested = {k[len(prefix) :]: row.pop(k) for k in [k for k in row if k.startswith(prefix)]}
        row[relation] = nested if nested["id"] is not None else None
    return row


async def count_employees(*, actor: Actor, flt: EmployeeFilter) -> int:
    sql = _Sql(current_tenant_id())
    _scope(sql, actor)
    _filters(sql, flt)
    _, rows = await _db().execute_query(
        f"SELECT count(*) AS n FROM employees WHERE {' AND '.join(sql.where)}", sql.params
    )
    return rows[0]["n"]


async def get_employee(*, actor: Actor, employee_id: int) -> dict[str, Any]:
    sql = _Sql(current_tenant_id())
    _scope(sql, actor)
    sql.where.append(f"id = {sql.param(employee_id)}")
    _, rows = await _db().execute_query(
        f"SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE {' AND '.join(sql.where)}", sql.params
    )
    if not rows:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    return dict(rows[0])


async def employees_by_ids(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Batch lookup for DataLoaders (one statement however many ids)."""
    _, rows = await _db().execute_query(
        f"SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
        [current_tenant_id(), ids],
    )
    return {r["id"]: dict(r) for r in rows}


async def units_by_ids(ids: list[int]) -> dict[int, Unit]:
    units = await Unit.filter(tenant_id=current_tenant_id(), id__in=ids)
    return {u.id: u for u in units}


async def accounts_by_employee(employee_ids: list[int]) -> dict[int, UserAccount]:
    accounts = await UserAccount.filter(tenant_id=current_tenant_id(), employee_id__in=employee_ids)
    return {a.employee_id: a for a in accounts if a.employee_id is not None}


async def unit_children(parent_ids: list[int]) -> dict[int, list[Unit]]:
    units = await Unit.filter(
        tenant_id=current_tenant_id(), parent_id__in=parent_ids, is_active=True
    ).order_by("name")
    grouped: dict[int, list[Unit]] = {}
    for unit in units:
        grouped.setdefault(unit.parent_id, []).append(unit)
    return grouped
