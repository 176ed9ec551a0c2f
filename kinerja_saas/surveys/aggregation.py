"""Aggregating responses into results, set-based: one INSERT … SELECT … GROUP BY … ON
CONFLICT DO UPDATE per scope (service, unit, region), totals and profile breakdowns
together, whatever the number of responses.

Incremental (after submissions to one campaign × service) and full recompute (a campaign)
run the same statements, narrowed or not to the service and its unit, so they agree by
construction. Runs of one campaign are serialised by a transaction-level advisory lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tortoise import connections

from kinerja_saas.outbox import service as outbox
from kinerja_saas.performance.sources import fill_from_survey
from kinerja_saas.surveys.models import ResultScope
from kinerja_saas.surveys.rules import PROFILE_DIMENSIONS, band_dropped, band_sql
from tenants.context import current_tenant_id

BAND_DROPPED_TOPIC = "surveys.band_dropped"
TOTAL = "TOTAL"

# scope -> (key of a response's row, through its service `s`)
_KEYS = {
    ResultScope.SERVICE: ("s.id", "s.unit_id"),
    ResultScope.UNIT: ("s.unit_id", "s.unit_id"),
    ResultScope.REGION: ("0::bigint", "NULL::bigint"),
}
# scope -> what narrows it to one service ($3) and that service's unit
_NARROW = {
    ResultScope.SERVICE: "s.id = $3",
    ResultScope.UNIT: "s.unit_id = (SELECT unit_id FROM survey_services"
    " WHERE tenant_id = $1 AND id = $3)",
    ResultScope.REGION: "TRUE",
}
_SUMS = ", ".join(f"sum(r.u{i})::int AS s{i}" for i in range(1, 10))
_SUM_ALL = " + ".join(f"a.s{i}" for i in range(1, 10))
_SUM_ARRAY = ", ".join(f"a.s{i}" for i in range(1, 10))
_SLICES = ", ".join(
    [f"('{TOTAL}', '')", *(f"('{dim}', r.{col})" for col, dim in PROFILE_DIMENSIONS.items())]
)


def _statement(scope: ResultScope, narrowed: bool) -> str:
    key, unit = _KEYS[scope]
    narrow = _NARROW[scope] if narrowed else "TRUE"
    return f"""
WITH old AS (
    SELECT scope_id, band FROM survey_results
    WHERE tenant_id = $1 AND campaign_id = $2 AND scope = '{scope.value}'
        AND dimension = '{TOTAL}'
),
pop AS (
    SELECT {key} AS scope_id, sum(s.population_per_year)::int AS population
    FROM survey_campaign_services cs
    JOIN survey_services s ON s.tenant_id = cs.tenant_id AND s.id = cs.service_id
    WHERE cs.tenant_id = $1 AND cs.campaign_id = $2 AND {narrow}
    GROUP BY 1
),
agg AS (
    SELECT {key} AS scope_id, {unit} AS unit_id, d.dimension, d.value,
        count(*)::int AS n, {_SUMS}
    FROM survey_responses r
    JOIN survey_services s ON s.tenant_id = r.tenant_id AND s.id = r.service_id
    CROSS JOIN LATERAL (VALUES {_SLICES}) d (dimension, value)
    WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND d.value IS NOT NULL AND {narrow}
    GROUP BY 1, 2, 3, 4
),
up AS (
    INSERT INTO survey_results (tenant_id, campaign_id, scope, scope_id, dimension, value,
        unit_id, respondents, element_sums, converted_ikm, band, population, updated_at)
    SELECT $1, $2, '{scope.value}', a.scope_id, a.dimension, a.value, a.unit_id, a.n,
        jsonb_build_array({_SUM_ARRAY}), c.conv, {band_sql("c.conv")},
        coalesce(p.population, 0), now()
    FROM agg a
    CROSS JOIN LATERAL (SELECT round(({_SUM_ALL})::numeric * 25 / (9 * a.n), 2) AS conv) c
    LEFT JOIN pop p ON p.scope_id = a.scope_id
    ON CONFLICT (tenant_id, campaign_id, scope, scope_id, dimension, value) DO UPDATE SET
        unit_id = EXCLUDED.unit_id, respondents = EXCLUDED.respondents,
        element_sums = EXCLUDED.element_sums, converted_ikm = EXCLUDED.converted_ikm,
        band = EXCLUDED.band, population = EXCLUDED.population, updated_at = now()
    RETURNING scope_id, unit_id, dimension, band, converted_ikm
)
SELECT up.scope_id, up.unit_id, up.band, up.converted_ikm, old.band AS old_band
FROM up LEFT JOIN old ON old.scope_id = up.scope_id
WHERE up.dimension = '{TOTAL}'
"""


STATEMENTS = {
    (scope, narrowed): _statement(scope, narrowed)
    for scope in ResultScope
    for narrowed in (True, False)
}


@dataclass
class AggregationRun:
    rows: dict[str, int] = field(default_factory=dict)  # scope -> TOTAL rows written
    band_drops: list[dict] = field(default_factory=list)
    realisations: int = 0  # survey-fed realisations written or changed


async def aggregate(*, campaign_id: int, service_id: int | None = None) -> AggregationRun:
    """In the region's transaction: refreshes the results of one campaign × service (its
    service, unit and region rows), or of the whole campaign when `service_id` is None (and
    then drops rows no response supports any more). Then writes the realisations of the
    indicators those results feed (kinerja_saas.performance.sources). Emits
    `surveys.band_dropped` for each service whose band fell."""
    tenant_id = current_tenant_id()
    conn = connections.get("default")
    await conn.execute_query(
        "SELECT pg_advisory_xact_lock(hashtextextended('kinerja.skm:' || $1 || ':' || $2, 0))",
        [str(tenant_id), str(campaign_id)],
    )
    run = AggregationRun()
    narrowed = service_id is not None
    service_unit_id: int | None = None
    for scope in ResultScope:
        # The region's row is always the whole campaign's: no $3 in its statement.
        narrow = narrowed and scope is not ResultScope.REGION
        params = [tenant_id, campaign_id, *([service_id] if narrow else [])]
        rows = await conn.execute_query_dict(STATEMENTS[(scope, narrow)], params)
        run.rows[scope.value] = len(rows)
        if scope is ResultScope.SERVICE:
            service_unit_id = next((r["unit_id"] for r in rows), None)
            run.band_drops = [
                {
                    "campaign_id": campaign_id,
                    "service_id": r["scope_id"],
                    "unit_id": r["unit_id"],
                    "old_band": r["old_band"],
                    "new_band": r["band"],
                    "converted_ikm": str(Decimal(r["converted_ikm"])),
                }
                for r in rows
                if band_dropped(r["old_band"], r["band"])
            ]
    if not narrowed:
        # Every row of this campaign written above carries this transaction's now().
        await conn.execute_query(
            "DELETE FROM survey_results WHERE tenant_id = $1 AND campaign_id = $2"
            " AND updated_at < now()",
            [tenant_id, campaign_id],
        )
    if not narrowed or service_unit_id is not None:
        # Indicators fed by these results (performance.sources): one statement.
        run.realisations = await fill_from_survey(
            campaign_id=campaign_id, service_id=service_id, unit_id=service_unit_id
        )
    for drop in run.band_drops:
        await outbox.emit(BAND_DROPPED_TOPIC, drop)
    return run


async def campaign_ids_to_recompute() -> list[int]:
    """The region's campaigns with responses (the nightly recompute's work)."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT c.id FROM survey_campaigns c WHERE c.tenant_id = $1 AND EXISTS ("
        " SELECT 1 FROM survey_responses r WHERE r.tenant_id = $1 AND r.campaign_id = c.id)"
        " ORDER BY c.id",
        [current_tenant_id()],
    )
    return [r["id"] for r in rows]
