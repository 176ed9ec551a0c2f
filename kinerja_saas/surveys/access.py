"""Who reads survey results: the region admin all of them, a unit head those of their unit
and its sub-units, nobody else.

The organisation has no explicit head of a unit; a unit head is a SUPERVISOR whose employee
is active in the unit and is not supervised by anyone in the same unit (their atasan sits
in another unit, or they have none). That is the kepala of a dinas or bidang in the usual
supervision chain (see tests/conftest.build_region: `chief` heads BIDANG-A)."""

from __future__ import annotations

from dataclasses import dataclass

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import CommonError, PermissionDenied
from kinerja_saas.surveys import queries


@dataclass(frozen=True)
class ResultsScope:
    """`unit_path` None: the whole region; otherwise the headed unit's materialised path,
    whose prefix matches the unit and everything below it."""

    unit_path: str | None = None

    @property
    def is_region(self) -> bool:
        return self.unit_path is None

    def covers(self, path: str) -> bool:
        return self.unit_path is None or path.startswith(self.unit_path)


async def results_scope(actor: Actor) -> ResultsScope:
    """The actor's view of survey results, or FORBIDDEN."""
    if actor.has(Role.REGION_ADMIN):
        return ResultsScope()
    if actor.has(Role.SUPERVISOR) and actor.employee_id is not None:
        path = await queries.headed_unit_path(actor.employee_id)
        if path is not None:
            return ResultsScope(path)
    raise PermissionDenied(CommonError.FORBIDDEN)
