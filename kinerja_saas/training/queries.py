"""Reads of the training domain."""

from __future__ import annotations

from typing import Any

from tortoise import connections

from kinerja_saas.training import participants
from kinerja_saas.training.models import (
    Competency,
    TrainingBatch,
    TrainingProgramme,
    TrainingRule,
    TrainingUnit,
)
from tenants.context import current_tenant_id

# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def competencies() -> list[Competency]:
    """The region's competency catalogue by code."""
    return await Competency.filter(tenant_id=current_tenant_id()).order_by("code")


async def training_rules() -> list[TrainingRule]:
    """The region's training rules by trigger, then priority."""
    return await TrainingRule.filter(tenant_id=current_tenant_id()).order_by("trigger", "priority")


async def training_units() -> list[TrainingUnit]:
    """The region's training units by name."""
    return await TrainingUnit.filter(tenant_id=current_tenant_id()).order_by("name")


async def training_programmes(*, open_only: bool = False) -> list[TrainingProgramme]:
    """The region's programmes by title; `open_only`: those open for enrolment."""
    query = TrainingProgramme.filter(tenant_id=current_tenant_id())
    if open_only:
        query = query.filter(is_open=True, is_active=True)
    return await query.order_by("title")


async def training_batches(programme_id: int) -> list[TrainingBatch]:
    """A programme's batches in date order."""
    return await TrainingBatch.filter(
        tenant_id=current_tenant_id(), programme_id=programme_id
    ).order_by("starts_on", "id")


async def assignments_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    """Assignments as the lists show them (participants.ROW: people, unit, programme,
    batch joined), by id, in one statement."""
    return await connections.get("default").execute_query_dict(
        participants.ROW + " AND a.id = ANY($2::bigint[]) ORDER BY a.id",
        [current_tenant_id(), ids],
    )
