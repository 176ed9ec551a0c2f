"""Indicators whose realisations come from elsewhere than the employee: today a unit's or a
service's converted IKM from the public satisfaction surveys (SKM), so a unit head's "IKM
Disdukcapil ≥ 85" fills in by itself.

A sourced indicator is set when the plan is written (`save_plan`) and validated there: the
unit or service exists in this region, and the indicator makes sense for an IKM (25–100):
aspect KUALITAS, HIGHER_IS_BETTER, a target between 25 and 100.

`fill_from_survey` is called by the survey aggregation after it has written a campaign's
results. For each sourced indicator of an APPROVED plan in an ACTIVE or EVALUATING period, it
writes the realisation of the checkpoint that contains the campaign's closing day (the day
the survey's value is known), with the converted IKM of the latest campaign of its unit or
service closing in that checkpoint: one INSERT … SELECT … ON CONFLICT, however many
indicators. Such a realisation is `source = SKM_IKM`, VERIFIED (computed by the platform from
the regulation's formula, so nobody verifies it), never late, and names its campaign; the
employee cannot overwrite it and the evaluator does not review it, but both see it. A
checkpoint whose evaluation is FINALISED keeps what it had.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kinerja_saas.errors import CommonError, ErrorCollector
from kinerja_saas.performance import queries
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import Aspect, IndicatorSource
from kinerja_saas.performance.rules import Direction

IKM_MIN = Decimal(25)
IKM_MAX = Decimal(100)


async def check_sources(errors: ErrorCollector, indicators: list[tuple[str, Any]]) -> None:
    """Validates the sources of a plan's indicators (`(field prefix, IndicatorData)`): one
    statement for all the units and services they name."""
    sourced = [(at, i) for at, i in indicators if i.source is not IndicatorSource.MANUAL]
    for at, ind in indicators:
        if ind.source is IndicatorSource.MANUAL and (
            ind.source_unit_id is not None or ind.source_service_id is not None
        ):
            errors.add(f"{at}.source", PerformanceError.SOURCE_REQUIRED)
    if not sourced:
        return
    unit_ids = {i.source_unit_id for _, i in sourced if i.source_unit_id is not None}
    service_ids = {i.source_service_id for _, i in sourced if i.source_service_id is not None}
    units, services = await queries.existing_units_and_services(
        sorted(unit_ids), sorted(service_ids)
    )
    for at, ind in sourced:
        if (ind.source_unit_id is None) == (ind.source_service_id is None):
            errors.add(f"{at}.sourceUnitId", PerformanceError.SOURCE_TARGET_REQUIRED)
        elif ind.source_unit_id is not None and ind.source_unit_id not in units:
            errors.add(f"{at}.sourceUnitId", CommonError.NOT_FOUND)
        elif ind.source_service_id is not None and ind.source_service_id not in services:
            errors.add(f"{at}.sourceServiceId", CommonError.NOT_FOUND)
        if ind.aspect is not Aspect.KUALITAS:
            errors.add(f"{at}.aspect", PerformanceError.SOURCE_MISMATCH, expected="KUALITAS")
        if ind.direction is not Direction.HIGHER_IS_BETTER:
            errors.add(
                f"{at}.direction", PerformanceError.SOURCE_MISMATCH, expected="HIGHER_IS_BETTER"
            )
        try:
            in_range = IKM_MIN <= ind.target <= IKM_MAX
        except (TypeError, ArithmeticError):
            in_range = False
        if not in_range:
            errors.add(f"{at}.target", PerformanceError.SOURCE_MISMATCH, min=IKM_MIN, max=IKM_MAX)


async def fill_from_survey(
    *,
    campaign_ids: list[int],
    service_ids: list[int] | None = None,
    unit_ids: list[int] | None = None,
) -> int:
    """Writes the realisations the campaigns' results feed (all of them, or those of some
    services and their units); returns how many rows changed. One statement."""
    return await queries.fill_realisations_from_surveys(
        campaign_ids=campaign_ids, service_ids=service_ids, unit_ids=unit_ids, plan_id=None
    )


async def fill_plan_from_surveys(*, plan_id: int) -> int:
    """Right after a plan's approval: its survey-fed indicators get the latest results at
    once, not at the next aggregation run. One statement."""
    return await queries.fill_realisations_from_surveys(
        campaign_ids=None, service_ids=None, unit_ids=None, plan_id=plan_id
    )
