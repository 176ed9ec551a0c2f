"""Login, tokens and the logged-in user.

The types; queries.py and mutations.py hold the root fields."""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role as _Role
from kinerja_saas.regions import queries as regions
from schema.org.types import Employee
from schema.regions.types import Region

Role: TypeAlias = _Role
strawberry.enum(Role)


@strawberry.type(description="The logged-in user.")
class Me:
    id: strawberry.ID
    email: str
    name: str
    roles: list[Role]
    is_platform_operator: bool
    employee_id: strawberry.Private[int | None]
    tenant_id: strawberry.Private[int | None]
    employee_row: strawberry.Private[dict | None] = None

    @strawberry.field
    async def region(self) -> Region | None:
        if self.tenant_id is None:
            return None
        return Region.of(await regions.region(self.tenant_id))

    @strawberry.field(description="The employee record linked to this login, if any.")
    async def employee(self, info: strawberry.Info) -> Employee | None:
        if self.employee_id is None:
            return None
        # After `login` the request has no tenant yet: the service read the row for us.
        row = self.employee_row or await info.context.loaders.employee.load(self.employee_id)
        return Employee.of(row) if row else None


def me_of(actor: Actor, name: str, employee_row: dict | None = None) -> Me:
    return Me(
        id=strawberry.ID(str(actor.user_id)),
        email=actor.email,
        name=name,
        roles=sorted(actor.roles),
        is_platform_operator=actor.is_operator,
        employee_id=actor.employee_id,
        tenant_id=actor.tenant_id,
        employee_row=employee_row,
    )
