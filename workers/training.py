"""Jobs of competency development: assigning training to what evaluations call for.

- From the outbox (handlers in the routing table, workers/routing.py): each finalised
  evaluation (`performance.evaluation_finalised`) is handled once (`processed_events`) and
  assigns that evaluation's programmes.
- `assignTrainingForPeriod` writes `training.assignment_requested`; its handler runs the same
  set-based assignment for the period (or an org unit).
- `assign_training`: the same for a region's evaluating or closed periods of this and last
  year, enqueued daily for every active region by the cron.
Every path inserts against the live-assignment unique key, so repeats add nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import scoped
from kinerja_saas.performance.models import Period, PeriodStatus
from kinerja_saas.training.assignment import assign_for_period
from workers import jobs
from workers.tenant_job import enqueue_for_active_regions, tenant_job


async def on_evaluation_finalised(actor: Actor, event_id: int, payload: dict[str, Any]) -> None:
    await assign_for_period(
        period_id=int(payload["period_id"]), evaluation_id=int(payload["evaluation_id"])
    )


async def on_assignment_requested(actor: Actor, event_id: int, payload: dict[str, Any]) -> None:
    unit_id = payload.get("unit_id")
    await assign_for_period(
        period_id=int(payload["period_id"]), unit_id=int(unit_id) if unit_id else None
    )


@tenant_job
async def assign_training(actor: Actor, *, period_id: int | None = None) -> int:
    """One region: assigns for one period, or for its evaluating and recently closed ones.
    Returns how many assignments are new."""
    if period_id is not None:
        return len(await assign_for_period(period_id=period_id))
    periods = cast(
        "list[int]",
        await scoped(Period)
        .filter(
            status__in=[PeriodStatus.EVALUATING, PeriodStatus.CLOSED],
            year__gte=date.today().year - 1,
        )
        .values_list("id", flat=True),
    )
    return sum([len(await assign_for_period(period_id=p)) for p in periods])


async def schedule_training_assignment(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, daily: `assign_training` for every active region (catches evaluations whose
    events were handled before a fitting programme or batch existed)."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return await enqueue_for_active_regions(ctx["redis"], jobs.ASSIGN_TRAINING, run=day)
