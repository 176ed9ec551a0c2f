"""Who is acting: the verified identity of a request or job, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field

from kinerja_saas.auth.roles import ROLE_LABELS, Role
from kinerja_saas.errors import CommonError, PermissionDenied
from tenants.context import check_region


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    tenant_id: int | None
    roles: frozenset[Role]
    email: str
    employee_id: int | None = None
    is_operator: bool = False
    request_id: str | None = field(default=None, compare=False)
    # From the access token: the login's token version and session when it was issued, so
    # that a revocation (auth/revocation.py) can refuse it before it expires.
    token_version: int | None = field(default=None, compare=False)
    session_id: int | None = field(default=None, compare=False)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def require(self, role: Role) -> None:
        """Raises PermissionDenied (naming the role) unless the actor has `role`, and
        RegionMismatch when the open transaction is another region's than the actor's."""
        check_region(self.tenant_id)
        if not self.has(role):
            raise PermissionDenied(CommonError.FORBIDDEN, allowed=[ROLE_LABELS[role]])

    @property
    def label(self) -> str:
        return ("operator:" if self.is_operator else "user:") + self.email


SYSTEM_ACTOR = Actor(user_id=0, tenant_id=None, roles=frozenset(), email="system")
