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

from tortoise import connections

from kinerja_saas.errors import CommonError, ErrorCollector
from kinerja_saas.performance.errors import PerformanceError
from kinerja_saas.performance.models import Aspect, IndicatorSource
from kinerja_saas.performance.rules import Direction
from tenants.context import current_tenant_id

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
    rows = await connections.get("default").execute_query_dict(
        "SELECT 'UNIT' AS kind, id FROM org_units WHERE tenant_id = $1 AND id = ANY($2::bigint[])"
        " UNION ALL SELECT 'SERVICE', id FROM survey_services"
        " WHERE tenant_id = $1 AND id = ANY($3::bigint[])",
        [current_tenant_id(), sorted(unit_ids), sorted(service_ids)],
    )
    units = {r["id"] for r in rows if r["kind"] == "UNIT"}
    services = {r["id"] for r in rows if r["kind"] == "SERVICE"}
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


# $1 tenant, $2 campaigns (NULL: every campaign), $3 services (NULL: all), $4 their units,
# $5 a plan (NULL: every approved plan). `targets` is MATERIALIZED: planned with the rest
# as one join of nine tables the statement took 5–11 ms to plan (and ~0.3 ms to run)
# until a connection had run it often enough for a generic plan; apart, about 1 ms.
FILL_SQL = """
WITH targets AS MATERIALIZED (
    SELECT i.id AS indicator_id, i.plan_id, ck.id AS checkpoint_id, ck.starts_on, ck.ends_on,
        CASE WHEN i.source_service_id IS NULL THEN 'UNIT' ELSE 'SERVICE' END AS scope,
        coalesce(i.source_service_id, i.source_unit_id) AS scope_id
    FROM survey_campaigns c
    JOIN checkpoints ck ON ck.tenant_id = c.tenant_id
        AND c.closes_on BETWEEN ck.starts_on AND ck.ends_on
    JOIN periods pe ON pe.tenant_id = ck.tenant_id AND pe.id = ck.period_id
        AND pe.status IN ('ACTIVE', 'EVALUATING')
    JOIN plans p ON p.tenant_id = pe.tenant_id AND p.period_id = pe.id AND p.status = 'APPROVED'
    JOIN indicators i ON i.tenant_id = p.tenant_id AND i.plan_id = p.id AND i.source = 'SKM_IKM'
    WHERE c.tenant_id = $1 AND ($2::bigint[] IS NULL OR c.id = ANY($2::bigint[]))
        AND ($5::bigint IS NULL OR p.id = $5)
        AND ($3::bigint[] IS NULL OR i.source_service_id = ANY($3::bigint[])
            OR i.source_unit_id = ANY($4::bigint[]))
        AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.tenant_id = $1
            AND e.plan_id = p.id AND e.checkpoint_id = ck.id AND e.status = 'FINALISED')
),
latest AS (
    SELECT DISTINCT ON (t.indicator_id, t.checkpoint_id) t.indicator_id, t.plan_id,
        t.checkpoint_id, r.campaign_id, r.converted_ikm, r.respondents, c.name
    FROM targets t
    JOIN survey_results r ON r.tenant_id = $1 AND r.scope = t.scope
        AND r.scope_id = t.scope_id AND r.dimension = 'TOTAL' AND r.value = ''
    JOIN survey_campaigns c ON c.tenant_id = $1 AND c.id = r.campaign_id
        AND c.closes_on BETWEEN t.starts_on AND t.ends_on
    ORDER BY t.indicator_id, t.checkpoint_id, c.closes_on DESC, c.id DESC
)
INSERT INTO realisations (tenant_id, plan_id, indicator_id, checkpoint_id, value, note,
    evidence, status, is_late, entered_at, source, survey_campaign_id)
SELECT $1, l.plan_id, l.indicator_id, l.checkpoint_id, l.converted_ikm,
    'IKM ' || l.name || ': ' || l.respondents || ' responden', '[]'::jsonb, 'VERIFIED', false,
    now(), 'SKM_IKM', l.campaign_id
FROM latest l
ON CONFLICT (tenant_id, indicator_id, checkpoint_id) DO UPDATE SET
    value = EXCLUDED.value, note = EXCLUDED.note, evidence = EXCLUDED.evidence,
    status = EXCLUDED.status, is_late = false, entered_at = now(), reject_reason = NULL,
    reviewed_by = NULL, reviewed_at = NULL, source = EXCLUDED.source,
    survey_campaign_id = EXCLUDED.survey_campaign_id
WHERE realisations.value IS DISTINCT FROM EXCLUDED.value
    OR realisations.note IS DISTINCT FROM EXCLUDED.note
    OR realisations.source <> EXCLUDED.source
    OR realisations.survey_campaign_id IS DISTINCT FROM EXCLUDED.survey_campaign_id
RETURNING realisations.id
"""


async def fill_from_survey(
    *,
    campaign_ids: list[int],
    service_ids: list[int] | None = None,
    unit_ids: list[int] | None = None,
) -> int:
    """Writes the realisations the campaigns' results feed (all of them, or those of some
    services and their units); returns how many rows changed. One statement."""
    rows = await connections.get("default").execute_query_dict(
        FILL_SQL, [current_tenant_id(), campaign_ids, service_ids, unit_ids, None]
    )
    return len(rows)


async def fill_plan_from_surveys(*, plan_id: int) -> int:
    """Right after a plan's approval: its survey-fed indicators get the latest results at
    once, not at the next aggregation run. One statement."""
    rows = await connections.get("default").execute_query_dict(
        FILL_SQL, [current_tenant_id(), None, None, None, plan_id]
    )
    return len(rows)
