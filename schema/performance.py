"""The performance cycle. So far: periods and their checkpoints."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from kinerja_saas.performance import service as performance
from kinerja_saas.performance.models import CheckpointKind as _CheckpointKind
from kinerja_saas.performance.models import Period as PeriodModel
from kinerja_saas.performance.models import PeriodStatus as _PeriodStatus
from schema.errors import UserError, parse_id, run_mutation

PeriodStatus = strawberry.enum(
    _PeriodStatus, description="PLANNING → ACTIVE → EVALUATING → CLOSED, one step at a time."
)
CheckpointKind = strawberry.enum(_CheckpointKind)


@strawberry.type
class Checkpoint:
    id: strawberry.ID
    number: int
    label: str = strawberry.field(description="e.g. 'Triwulan I 2027'")
    starts_on: date
    ends_on: date
    deadline: date = strawberry.field(description="Last day to enter realisations on time")

    @classmethod
    def of(cls, c: Any) -> Checkpoint:
        return cls(
            id=strawberry.ID(str(c.id)),
            number=c.number,
            label=c.label,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            deadline=c.deadline,
        )


@strawberry.type(description="A region's annual performance period.")
class Period:
    id: strawberry.ID
    year: int
    name: str
    status: PeriodStatus
    checkpoint_kind: CheckpointKind
    starts_on: date
    ends_on: date

    @classmethod
    def of(cls, p: PeriodModel) -> Period:
        return cls(
            id=strawberry.ID(str(p.id)),
            year=p.year,
            name=p.name,
            status=p.status,
            checkpoint_kind=p.checkpoint_kind,
            starts_on=p.starts_on,
            ends_on=p.ends_on,
        )

    @strawberry.field
    async def checkpoints(self, info: strawberry.Info) -> list[Checkpoint]:
        rows = await info.context.loaders.checkpoints.load(int(self.id))
        return [Checkpoint.of(c) for c in rows]


@strawberry.type
class PerformanceQuery:
    @strawberry.field(description="The region's periods, newest first.")
    async def periods(self, info: strawberry.Info) -> list[Period]:
        info.context.require_region_actor()
        return [Period.of(p) for p in await performance.list_periods()]


@strawberry.input
class OpenPeriodInput:
    year: int
    checkpoint_kind: CheckpointKind | None = strawberry.field(
        default=None, description="Default: the region's setting (performance.checkpoint)"
    )
    deadline_days: int = strawberry.field(
        default=10, description="Realisations are due this many days after a checkpoint ends"
    )


@strawberry.type
class PeriodPayload:
    period: Period | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CheckpointPayload:
    checkpoint: Checkpoint | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PerformanceMutation:
    @strawberry.mutation(description="Region admin: open a year in PLANNING with its checkpoints.")
    async def open_period(self, info: strawberry.Info, input: OpenPeriodInput) -> PeriodPayload:
        actor = info.context.require_region_actor()
        period, errors = await run_mutation(
            lambda: performance.open_period(
                actor=actor,
                year=input.year,
                checkpoint_kind=_CheckpointKind(input.checkpoint_kind.value)
                if input.checkpoint_kind
                else None,
                deadline_days=input.deadline_days,
            )
        )
        return PeriodPayload(period=Period.of(period) if period else None, errors=errors)

    @strawberry.mutation(description="Region admin: move a period to its next status.")
    async def advance_period(
        self, info: strawberry.Info, id: strawberry.ID, status: PeriodStatus
    ) -> PeriodPayload:
        actor = info.context.require_region_actor()
        period, errors = await run_mutation(
            lambda: performance.advance_period(
                actor=actor, period_id=parse_id(id, "id"), status=_PeriodStatus(status.value)
            )
        )
        return PeriodPayload(period=Period.of(period) if period else None, errors=errors)

    @strawberry.mutation(description="Region admin: move a checkpoint's deadline.")
    async def set_checkpoint_deadline(
        self, info: strawberry.Info, id: strawberry.ID, deadline: date
    ) -> CheckpointPayload:
        actor = info.context.require_region_actor()
        checkpoint, errors = await run_mutation(
            lambda: performance.set_checkpoint_deadline(
                actor=actor, checkpoint_id=parse_id(id, "id"), deadline=deadline
            )
        )
        return CheckpointPayload(
            checkpoint=Checkpoint.of(checkpoint) if checkpoint else None, errors=errors
        )
