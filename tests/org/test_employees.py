import pytest

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.org.models import Employee
from kinerja_saas.outbox.models import OutboxEvent
from tenants.context import tenant_transaction
from tests.factories import make_nip

ADMIN = Role.REGION_ADMIN

FIELDS = (
    "id nip name position positionType golongan email phone isActive unit { id } supervisor { id }"
)
CREATE = f"""mutation($input: CreateEmployeeInput!) {{ createEmployee(input: $input) {{
  employee {{ {FIELDS} }} errors {{ field code message }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateEmployeeInput!) {{ updateEmployee(id: $id, input: $input) {{
  employee {{ {FIELDS} }} errors {{ field code message }} }} }}"""
DEACTIVATE = """mutation($id: ID!) { deactivateEmployee(id: $id) { employee { id isActive } errors { code } } }"""
LIST = """query($first: Int, $after: String, $filter: EmployeeFilter, $order: EmployeeOrder) {
  employees(first: $first, after: $after, filter: $filter, orderBy: $order) {
    totalCount edges { cursor node { id name nip } } pageInfo { hasNextPage endCursor } } }"""


async def _count(region, model) -> int:
    async with tenant_transaction(region.id):
        return await model.filter(tenant_id=region.id).count()


async def test_admin_creates_an_employee_with_audit_and_event(api, region_a):
    nip = make_nip()
    res = await api.as_role(
        region_a,
        ADMIN,
        CREATE,
        {
            "input": {
                "nip": nip,
                "name": "  Sri Wahyuni ",
                "position": "Analis SDM",
                "positionType": "FUNGSIONAL",
                "golongan": "iii/b",
                "unitId": str(region_a.units["b"].id),
                "supervisorId": str(region_a.employees["other"].id),
                "email": "Sri@Example.go.id",
                "phone": "0812 3456 7890",
            }
        },
    )
    payload = res.data["createEmployee"]
    assert payload["errors"] == []
    emp = payload["employee"]
    assert (emp["nip"], emp["name"], emp["golongan"], emp["email"]) == (
        nip,
        "Sri Wahyuni",
        "III/b",
        "sri@example.go.id",
    )
    assert emp["supervisor"]["id"] == str(region_a.employees["other"].id)
    async with tenant_transaction(region_a.id):
        audit = await AuditEntry.get(entity="employee", entity_id=int(emp["id"]))
    assert audit.action == "employee.create" and audit.after["nip"] == nip


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"nip": "12345"}, "nip", "NIP_FORMAT"),
        ({"nip": "198502302010011002"}, "nip", "NIP_BIRTH_DATE"),
        ({"nip": "198503152010131002"}, "nip", "NIP_CPNS_DATE"),
        ({"nip": "198503152010015002"}, "nip", "NIP_GENDER"),
        ({"golongan": "V/a"}, "golongan", "INVALID"),
        ({"email": "not-an-email"}, "email", "INVALID"),
        ({"phone": "call me"}, "phone", "INVALID"),
        ({"name": ""}, "name", "REQUIRED"),
        ({"unitId": "424242424"}, "unitId", "NOT_FOUND"),
        ({"supervisorId": "424242424"}, "supervisorId", "NOT_FOUND"),
    ],
)
async def test_bad_employee_input_is_refused_and_nothing_written(
    api, region_a, changes, field, code
):
    before = (
        await _count(region_a, Employee),
        await _count(region_a, AuditEntry),
        await _count(region_a, OutboxEvent),
    )
    data = {
        "nip": make_nip(),
        "name": "Nama",
        "position": "Staf",
        "unitId": str(region_a.units["a"].id),
        **changes,
    }
    res = await api.as_role(region_a, ADMIN, CREATE, {"input": data})
    payload = res.data["createEmployee"]
    assert payload["employee"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert payload["errors"][0]["message"]
    after = (
        await _count(region_a, Employee),
        await _count(region_a, AuditEntry),
        await _count(region_a, OutboxEvent),
    )
    assert after == before


async def test_duplicate_nip_in_the_region_is_refused_but_allowed_in_another(
    api, region_a, region_b
):
    nip = region_a.employees["staff1"].nip
    data = {"nip": nip, "name": "Kembar", "position": "Staf", "unitId": str(region_a.units["a"].id)}
    res = await api.as_role(region_a, ADMIN, CREATE, {"input": data})
    assert [(e["field"], e["code"]) for e in res.data["createEmployee"]["errors"]] == [
        ("nip", "DUPLICATE")
    ]
    res = await api.as_role(
        region_b, ADMIN, CREATE, {"input": {**data, "unitId": str(region_b.units["a"].id)}}
    )
    assert res.data["createEmployee"]["errors"] == []


async def test_supervision_cycle_is_refused(api, region_a):
    head, staff = region_a.employees["head"], region_a.employees["staff1"]
    res = await api.as_role(
        region_a, ADMIN, UPDATE, {"id": str(head.id), "input": {"supervisorId": str(staff.id)}}
    )
    assert [(e["field"], e["code"]) for e in res.data["updateEmployee"]["errors"]] == [
        ("supervisorId", "CYCLE")
    ]
    res = await api.as_role(
        region_a, ADMIN, UPDATE, {"id": str(head.id), "input": {"supervisorId": str(head.id)}}
    )
    assert [e["code"] for e in res.data["updateEmployee"]["errors"]] == ["CYCLE"]
    async with tenant_transaction(region_a.id):
        assert (await Employee.get(id=head.id)).supervisor_id is None


async def test_partial_update_changes_only_given_fields_and_audits_the_diff(api, region_a):
    staff = region_a.employees["staff2"]
    res = await api.as_role(
        region_a,
        ADMIN,
        UPDATE,
        {
            "id": str(staff.id),
            "input": {
                "position": "Pranata Komputer",
                "phone": None,
                "supervisorId": str(region_a.employees["head"].id),
            },
        },
    )
    emp = res.data["updateEmployee"]["employee"]
    assert (emp["position"], emp["name"], emp["phone"]) == ("Pranata Komputer", staff.name, None)
    assert emp["supervisor"]["id"] == str(region_a.employees["head"].id)
    async with tenant_transaction(region_a.id):
        audit = await AuditEntry.get(entity_id=staff.id, action="employee.update")
    assert audit.before == {"position": "staff2", "supervisor_id": region_a.employees["chief"].id}
    assert audit.after == {
        "position": "Pranata Komputer",
        "supervisor_id": region_a.employees["head"].id,
    }


async def test_deactivation_ends_the_login_and_hides_from_active_filter(api, region_a, settings):
    staff = region_a.employees["staff1"]  # linked to the EMPLOYEE account
    res = await api.as_role(region_a, ADMIN, DEACTIVATE, {"id": str(staff.id)})
    assert res.data["deactivateEmployee"] == {
        "employee": {"id": str(staff.id), "isActive": False},
        "errors": [],
    }
    async with tenant_transaction(region_a.id):
        account = await UserAccount.get(id=region_a.accounts[Role.EMPLOYEE].id)
        assert (account.is_active, account.token_version) == (False, 2)
    res = await api.as_role(region_a, ADMIN, LIST, {"filter": {"active": True}})
    assert str(staff.id) not in {e["node"]["id"] for e in res.data["employees"]["edges"]}
    assert res.data["employees"]["totalCount"] == 4


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER])
async def test_only_the_region_admin_changes_employees(api, region_a, role):
    staff = region_a.employees["staff1"]
    for query, variables in (
        (
            CREATE,
            {
                "input": {
                    "nip": make_nip(),
                    "name": "X",
                    "position": "X",
                    "unitId": str(region_a.units["a"].id),
                }
            },
        ),
        (UPDATE, {"id": str(staff.id), "input": {"name": "Hacked"}}),
        (DEACTIVATE, {"id": str(staff.id)}),
    ):
        res = await api.as_role(region_a, role, query, variables)
        assert res.codes == ["FORBIDDEN"] and res.body["data"] is None
    async with tenant_transaction(region_a.id):
        current = await Employee.get(id=staff.id)
    assert (current.name, current.is_active) == (staff.name, True)
    assert await _count(region_a, Employee) == 5


async def _visible(api, region, role) -> set[str]:
    res = await api.as_role(region, role, LIST, {"first": 100})
    return {e["node"]["name"].split()[0].lower() for e in res.data["employees"]["edges"]}


async def test_who_sees_whom(api, region_a):
    assert await _visible(api, region_a, ADMIN) == {"head", "chief", "staff1", "staff2", "other"}
    assert await _visible(api, region_a, Role.SUPERVISOR) == {"chief", "staff1", "staff2"}
    assert await _visible(api, region_a, Role.EMPLOYEE) == {"staff1"}
    other = region_a.employees["other"]
    res = await api.as_role(region_a, Role.EMPLOYEE, f'{{ employee(id: "{other.id}") {{ id }} }}')
    assert res.codes == ["NOT_FOUND"]
    res = await api.as_role(
        region_a,
        Role.SUPERVISOR,
        f'{{ employee(id: "{region_a.employees["staff2"].id}") {{ name supervisor {{ name }} }} }}',
    )
    assert res.data["employee"]["supervisor"]["name"] == region_a.employees["chief"].name


async def test_filter_by_unit_includes_sub_units_unless_told_not_to(api, region_a):
    dinas = str(region_a.units["dinas"].id)
    res = await api.as_role(region_a, ADMIN, LIST, {"filter": {"unitId": dinas}})
    assert res.data["employees"]["totalCount"] == 5
    res = await api.as_role(
        region_a, ADMIN, LIST, {"filter": {"unitId": dinas, "includeSubunits": False}}
    )
    assert [e["node"]["name"].split()[0] for e in res.data["employees"]["edges"]] == ["Head"]


async def test_search_by_name_or_nip_prefix(api, region_a):
    res = await api.as_role(region_a, ADMIN, LIST, {"filter": {"search": "staf"}})
    assert res.data["employees"]["totalCount"] == 2
    nip = region_a.employees["other"].nip
    res = await api.as_role(region_a, ADMIN, LIST, {"filter": {"search": nip[:14]}})
    assert nip in {e["node"]["nip"] for e in res.data["employees"]["edges"]}
    res = await api.as_role(region_a, ADMIN, LIST, {"filter": {"search": "100%_"}})
    assert res.data["employees"]["totalCount"] == 0


async def test_keyset_pages_cover_everything_once_in_order(api, region_a):
    seen, after = [], None
    while True:
        res = await api.as_role(
            region_a,
            ADMIN,
            LIST,
            {"first": 2, "after": after, "order": {"field": "NIP", "direction": "DESC"}},
        )
        page = res.data["employees"]
        seen += [e["node"]["nip"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted((e.nip for e in region_a.employees.values()), reverse=True)
    res = await api.as_role(region_a, ADMIN, LIST, {"after": "garbage!"})
    assert res.codes == ["INVALID_CURSOR"]


async def test_contacts_of_people_outside_ones_scope_stay_hidden(api, region_a):
    query = (
        "{ me { employee { email supervisor { name email phone supervisor { name email } } } } }"
    )
    res = await api.as_role(region_a, Role.EMPLOYEE, query)
    me = res.data["me"]["employee"]
    assert me["email"] == region_a.employees["staff1"].email  # one's own: yes
    chief, head = region_a.employees["chief"], region_a.employees["head"]
    assert me["supervisor"] == {
        "name": chief.name,
        "email": None,
        "phone": None,
        "supervisor": {"name": head.name, "email": None},
    }
    res = await api.as_role(region_a, ADMIN, query)
    assert res.data["me"]["employee"]["email"] == head.email
    res = await api.as_role(
        region_a,
        Role.SUPERVISOR,
        "{ employees(first: 10) { edges { node { email supervisor { email } } } } }",
    )
    emails = {e["node"]["email"] for e in res.data["employees"]["edges"]}
    assert region_a.employees["staff2"].email in emails  # reports: yes


async def test_joined_supervisor_chain_hides_contacts_too(api, region_a):
    """The list query joins supervisors in; the same contact rule holds there."""
    res = await api.as_role(
        region_a,
        Role.SUPERVISOR,
        """{ employees(first: 10, filter: {search: "Staff"})
        { edges { node { email supervisor { email supervisor { name email } } } } } }""",
    )
    for edge in res.data["employees"]["edges"]:
        node = edge["node"]
        assert node["email"]  # a report: visible
        assert node["supervisor"]["email"] == region_a.employees["chief"].email  # oneself
        assert node["supervisor"]["supervisor"] == {
            "name": region_a.employees["head"].name,
            "email": None,
        }


async def test_keyset_pages_with_ties_in_every_order(api, region_a):
    """Same names and same created_at: the id breaks ties, so no row is skipped or repeated."""
    from tortoise import connections

    async with tenant_transaction(region_a.id):
        await connections.get("default").execute_query(
            "INSERT INTO employees (tenant_id, nip, name, position, position_type, unit_id, is_active,"
            " created_at, updated_at) SELECT $1, n, 'Sama Nama', 'Staf', 'PELAKSANA', $2, true,"
            " '2026-01-01', now() FROM unnest($3::text[]) AS n",
            [region_a.id, region_a.units["a"].id, [make_nip() for _ in range(7)]],
        )
    everyone = None
    for field in ("NAME", "CREATED_AT", "NIP"):
        for direction in ("ASC", "DESC"):
            seen, after = [], None
            while True:
                res = await api.as_role(
                    region_a,
                    ADMIN,
                    LIST,
                    {"first": 3, "after": after, "order": {"field": field, "direction": direction}},
                )
                page = res.data["employees"]
                seen += [e["node"]["id"] for e in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            assert len(seen) == len(set(seen)) == 12, (field, direction)
            everyone = everyone or set(seen)
            assert set(seen) == everyone
