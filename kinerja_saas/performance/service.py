"""Use cases of the performance cycle. So far: periods and their checkpoints."""

from __future__ import annotations

from datetime import date

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.outbox.service import emit
from kinerja_saas.performance import events, queries
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import Checkpoint, CheckpointKind, Period, PeriodStatus
from kinerja_saas.performance.periods import can_move, checkpoints_for
from kinerja_saas.regions.settings import load as load_settings
from tenants.context import current_tenant_id
from tenants.models import Tenant

MAX_DEADLINE_DAYS = 60


def require_region_admin(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN)


async def open_period(
    *,
    actor: Actor,
    year: int,
    checkpoint_kind: CheckpointKind | None,
    deadline_days: int,
    today: date | None = None,
) -> Period:
    """Opens the year in PLANNING with its checkpoints (by the region's setting unless given)."""
    require_region_admin(actor)
    tenant_id = current_tenant_id()
    this_year = (today or date.today()).year
    errors = ErrorCollector()
    if not this_year - 1 <= year <= this_year + 1:
        errors.add("year", CommonError.OUT_OF_RANGE, min=str(this_year - 1), max=str(this_year + 1))
    elif await scoped(Period).filter(year=year).exists():
        errors.add("year", CommonError.DUPLICATE)
    if not 0 <= deadline_days <= MAX_DEADLINE_DAYS:
        errors.add(
            "deadlineDays", CommonError.OUT_OF_RANGE, min=0, max=MAX_DEADLINE_DAYS, unit="hari"
        )
    errors.raise_if_any()
    if checkpoint_kind is None:
        settings = load_settings((await Tenant.get(id=tenant_id)).settings)
        checkpoint_kind = CheckpointKind(settings.performance.checkpoint)
    period = await Period.create(
        tenant_id=tenant_id,
        year=year,
        name=f"Periode Kinerja {year}",
        checkpoint_kind=checkpoint_kind,
        starts_on=date(year, 1, 1),
        ends_on=date(year, 12, 31),
    )
    await Checkpoint.bulk_create(
        [
            Checkpoint(
                tenant_id=tenant_id,
                period_id=period.id,
                number=c.number,
                label=c.label,
                starts_on=c.starts_on,
                ends_on=c.ends_on,
                deadline=c.deadline,
            )
            for c in checkpoints_for(year, checkpoint_kind, deadline_days)
        ]
    )
    await record(
        actor=actor,
        action="period.open",
        entity="period",
        entity_id=period.id,
        after={"year": year, "checkpoint_kind": checkpoint_kind.value},
    )
    await emit(events.PERIOD_OPENED, {"period_id": period.id, "year": year})
    return period


async def _period(period_id: int) -> Period:
    period = await scoped(Period).filter(id=period_id).select_for_update().first()
    if period is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    return period


async def advance_period(*, actor: Actor, period_id: int, status: PeriodStatus) -> Period:
    """One step forward only (PLANNING → ACTIVE → EVALUATING → CLOSED); CLOSED is final."""
    require_region_admin(actor)
    period = await _period(period_id)
    if not can_move(period.status, status):
        errors = ErrorCollector()
        errors.add(
            "status",
            PerformanceError.INVALID_TRANSITION,
            current=period.status.value,
            target=status.value,
        )
        errors.raise_if_any()
    before = period.status.value
    period.status = status
    await period.save_fields("status")
    await record(
        actor=actor,
        action="period.status",
        entity="period",
        entity_id=period.id,
        before={"status": before},
        after={"status": status.value},
    )
    return period


async def set_checkpoint_deadline(
    *, actor: Actor, checkpoint_id: int, deadline: date
) -> Checkpoint:
    require_region_admin(actor)
    checkpoint = await scoped(Checkpoint).get_or_none(id=checkpoint_id)
    if checkpoint is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    period = await _period(checkpoint.period_id)
    errors = ErrorCollector()
    if period.status is PeriodStatus.CLOSED:
        errors.add("id", PerformanceError.PERIOD_CLOSED)
    if deadline < checkpoint.starts_on:
        errors.add("deadline", PerformanceError.BEFORE_START)
    elif (deadline - checkpoint.ends_on).days > MAX_DEADLINE_DAYS:
        errors.add("deadline", PerformanceError.TOO_LATE, max=MAX_DEADLINE_DAYS)
    errors.raise_if_any()
    before = checkpoint.deadline.isoformat()
    checkpoint.deadline = deadline
    await checkpoint.save_fields("deadline")
    await record(
        actor=actor,
        action="checkpoint.deadline",
        entity="checkpoint",
        entity_id=checkpoint.id,
        before={"deadline": before},
        after={"deadline": deadline.isoformat()},
    )
    return checkpoint


async def list_periods() -> list[Period]:
    return await scoped(Period).order_by("-year")


async def checkpoints_of(period_ids: list[int]) -> dict[int, list[Checkpoint]]:
    grouped: dict[int, list[Checkpoint]] = {}
    for c in await scoped(Checkpoint).filter(period_id__in=period_ids).order_by("number"):
        grouped.setdefault(c.period_id, []).append(c)
    return grouped


async def checkpoints_by_ids(ids: list[int]) -> dict[int, Checkpoint]:
    return {c.id: c for c in await scoped(Checkpoint).filter(id__in=ids)}


async def rebuild_read_models(*, actor: Actor) -> None:
    """Recomputes the region's performance read models (plan progress and its counts) from
    the plans, realisations and evaluations, with the SQL the writing transactions use.
    Nothing should need it: each write keeps them current; it is the check and the repair
    (`kinerja tenant rebuild-read-models`)."""
    actor.require(Role.REGION_ADMIN)
    await queries.rebuild_progress()
