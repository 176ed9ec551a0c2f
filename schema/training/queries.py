"""training: the Query fields and their arguments (filters, orderings)."""

from __future__ import annotations

import strawberry

from kinerja_saas.auth.roles import Role
from kinerja_saas.db import json_select
from kinerja_saas.training import admin, effectiveness, participants
from kinerja_saas.training import queries as training
from schema import compiled
from schema.context import Context
from schema.errors import parse_id
from schema.pagination import decode_cursor, encode_cursor, page_info, page_size
from schema.training.types import (
    JpLedgerConnection,
    JpLedgerEdge,
    JpLedgerLine,
    TrainingAssignment,
    TrainingAssignmentConnection,
    TrainingAssignmentEdge,
    TrainingAssignmentStatus,
    TrainingBatch,
    TrainingEffect,
    TrainingEffectivenessGroupBy,
    TrainingProgramme,
    TrainingUnit,
    required_id,
    to_id,
)

_ORDER = "training-assignments"


_LEDGER = "jp-ledger"


def _connection(rows: list[dict], limit: int, after: str | None) -> TrainingAssignmentConnection:
    edges = [
        TrainingAssignmentEdge(
            cursor=encode_cursor(None, r["id"], _ORDER), node=TrainingAssignment.of(r)
        )
        for r in rows[:limit]
    ]
    return TrainingAssignmentConnection(
        edges=edges, page_info=page_info(edges, has_next=len(rows) > limit, after=after)
    )


def _page(info: strawberry.Info, first: int | None, after: str | None, order: str):
    limit = page_size(first, info.context.settings.max_page_size)
    return limit, decode_cursor(after, order)[1] if after else None


async def _filtered_page(
    info: strawberry.Info,
    fetch,
    filter: TrainingAssignmentFilter | None,
    first: int | None,
    after: str | None,
) -> TrainingAssignmentConnection:
    """A page of a filtered assignment list; `fetch` (a participants function) scopes it."""
    actor = info.context.require_region_actor()
    limit, after_id = _page(info, first, after, _ORDER)
    rows = await fetch(
        actor=actor,
        filter=(filter or TrainingAssignmentFilter()).parsed(),
        limit=limit,
        after_id=after_id,
    )
    return _connection(rows, limit, after)


@compiled.root("trainingAssignments")
async def _compiled_training_assignments(
    context: Context,
    filter: TrainingAssignmentFilter | None = None,
    first: int | None = None,
    after: str | None = None,
) -> compiled.Root:
    """`trainingAssignments` in one statement: the resolver's checks, the officer's unit
    looked up in the statement itself (`officer_unit`'s lookup; a login without a unit
    answers null, and the ordinary path refuses it), the same page SELECT (training.queries)."""
    actor = context.require_region_actor()
    limit = page_size(first, context.settings.max_page_size)
    after_id = decode_cursor(after, _ORDER)[1] if after else None
    flt = (filter or TrainingAssignmentFilter()).parsed()
    if not actor.has(Role.TRAINING_OFFICER):
        raise compiled.NotCompilable  # `officer_unit` refuses: the ordinary path says so
    user_id = actor.user_id

    def build(b: json_select.Builder, shape: json_select.Page) -> str:
        return training.assignments_page_json(
            b, flt=flt, officer_user_id=user_id, limit=limit, after_id=after_id, shape=shape
        )

    return compiled.Root(build=build, cursor=(None, _ORDER), has_previous=after is not None)


@strawberry.type
class TrainingQuery:
    @strawberry.field(description="The region's training units.")
    async def training_units(self, info: strawberry.Info) -> list[TrainingUnit]:
        info.context.require_region_actor()
        rows = await training.training_units()
        return [TrainingUnit.of(u) for u in rows]

    @strawberry.field(description="Training programmes; `openOnly` those open for enrolment.")
    async def training_programmes(
        self, info: strawberry.Info, open_only: bool = False
    ) -> list[TrainingProgramme]:
        info.context.require_region_actor()
        rows = await training.training_programmes(open_only=open_only)
        comps = await admin.programme_competencies([p.id for p in rows])
        return [TrainingProgramme.of(p, comps.get(p.id, [])) for p in rows]

    @strawberry.field(description="A programme's batches in date order.")
    async def training_batches(
        self, info: strawberry.Info, programme_id: strawberry.ID
    ) -> list[TrainingBatch]:
        info.context.require_region_actor()
        rows = await training.training_batches(required_id(programme_id, "programmeId"))
        return [TrainingBatch.of(b) for b in rows]

    @strawberry.field(description="Training officer: their unit's assignments, newest first.")
    async def training_assignments(
        self,
        info: strawberry.Info,
        filter: TrainingAssignmentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TrainingAssignmentConnection:
        return await _filtered_page(info, participants.unit_assignments, filter, first, after)

    @strawberry.field(description="The logged-in employee's trainings, newest first.")
    async def my_trainings(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> TrainingAssignmentConnection:
        actor = info.context.require_region_actor()
        limit, after_id = _page(info, first, after, _ORDER)
        rows = await participants.my_trainings(actor=actor, limit=limit, after_id=after_id)
        return _connection(rows, limit, after)

    @strawberry.field(
        description="A supervisor's direct reports' trainings and, while acting (Plt./Plh.), "
        "those of the heads they stand in for, as in myTeam (admin: all)."
    )
    async def team_trainings(
        self,
        info: strawberry.Info,
        filter: TrainingAssignmentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TrainingAssignmentConnection:
        return await _filtered_page(info, participants.team_trainings, filter, first, after)

    @strawberry.field(description="Region admin: JP completed per employee in a year.")
    async def jp_ledger(
        self,
        info: strawberry.Info,
        year: int,
        below_entitlement: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> JpLedgerConnection:
        actor = info.context.require_region_actor()
        limit, after_id = _page(info, first, after, _LEDGER)
        lines = await participants.jp_ledger(
            actor=actor, year=year, below_only=below_entitlement, limit=limit, after_id=after_id
        )
        edges = [
            JpLedgerEdge(
                cursor=encode_cursor(None, line.employee_id, _LEDGER),
                node=JpLedgerLine(
                    employee_id=to_id(line.employee_id),
                    nip=line.nip,
                    name=line.name,
                    unit_name=line.unit_name,
                    completed_jp=line.completed_jp,
                    entitlement=line.entitlement,
                    shortfall=line.shortfall,
                ),
            )
            for line in lines[:limit]
        ]
        return JpLedgerConnection(
            edges=edges, page_info=page_info(edges, has_next=len(lines) > limit, after=after)
        )

    @strawberry.field(
        description="Region admin: per programme or training unit (then the region's total), "
        "how the predikat and achievement of a period's completed trainings changed at the "
        "next evaluation."
    )
    async def training_effectiveness(
        self,
        info: strawberry.Info,
        period_id: strawberry.ID,
        group_by: TrainingEffectivenessGroupBy = TrainingEffectivenessGroupBy.PROGRAMME,
    ) -> list[TrainingEffect]:
        actor = info.context.require_region_actor()
        groups = await effectiveness.effectiveness(
            actor=actor,
            period_id=required_id(period_id, "periodId"),
            group_by=effectiveness.GroupBy(group_by.value),
        )
        return [TrainingEffect.of(g) for g in groups]


@strawberry.input
class TrainingAssignmentFilter:
    programme_id: strawberry.ID | None = None
    batch_id: strawberry.ID | None = None
    status: TrainingAssignmentStatus | None = None
    period_id: strawberry.ID | None = None

    def parsed(self) -> participants.AssignmentFilter:
        return participants.AssignmentFilter(
            programme_id=parse_id(self.programme_id, "filter.programmeId"),
            batch_id=parse_id(self.batch_id, "filter.batchId"),
            status=self.status,
            period_id=parse_id(self.period_id, "filter.periodId"),
        )
