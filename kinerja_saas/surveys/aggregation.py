"""Aggregating responses into results, set-based, whatever the number of responses.

Full recompute (a campaign): ONE `INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`. The
campaign's responses are read once, grouped by service and slice (the total and each
profile value); the unit and region rows are rolled up from those groups (`GROUPING SETS`:
answer sums are additive), so it costs one pass over the campaign's responses.

Incremental (after submissions): a submission marks its campaign × service pending
(`survey_pending_services`, in the statement that stores it). The debounced run of a
campaign takes every pending service of the campaign and runs the same statement over
their responses, with every other service's groups read from its stored rows; it writes
the pending services' rows, their units' and the region's. So a run reads only the
responses of services that received some, and one run per campaign and window covers
every service of the campaign. Runs of a campaign (incremental or full) take its
transaction-level advisory lock, so each starts from the previous one's committed rows
and the rows always equal a full recompute's once no service is pending.
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

_SUMS = ", ".join(f"sum(r.u{i})::int AS s{i}" for i in range(1, 10))
_STORED_SUMS = ", ".join(f"(r.element_sums->>{i - 1})::int AS s{i}" for i in range(1, 10))
_ROLL_UP = ", ".join(f"sum(p.s{i})::int AS s{i}" for i in range(1, 10))
_SUM_ALL = " + ".join(f"a.s{i}" for i in range(1, 10))
_SUM_ARRAY = ", ".join(f"a.s{i}" for i in range(1, 10))
_SLICES = ", ".join(
    [f"('{TOTAL}', '')", *(f"('{dim}', r.{col})" for col, dim in PROFILE_DIMENSIONS.items())]
)
# The scope of a row of `GROUPING SETS ((unit, service), (unit), ())`, and its id.
_SCOPE = (
    "CASE WHEN GROUPING({unit}) = 1 THEN 'REGION' WHEN GROUPING({service}) = 1 THEN 'UNIT'"
    " ELSE 'SERVICE' END"
)

# `per_service`: (service, slice) -> respondents and the 9 answer sums, from the responses
# (of the campaign, or of its service $3) …
_FROM_RESPONSES = """
per_service AS (
    SELECT r.service_id, d.dimension, d.value, count(*)::int AS n, {sums}
    FROM survey_responses r
    CROSS JOIN LATERAL (VALUES {slices}) d (dimension, value)
    WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND d.value IS NOT NULL {narrow}
    GROUP BY 1, 2, 3 {stored}
)"""
# … or, incrementally, from the responses of the pending services $3 and the stored rows
# of every other service of the campaign.
_FROM_SERVICE_ROWS = f"""
UNION ALL
    SELECT r.scope_id AS service_id, r.dimension, r.value, r.respondents AS n, {_STORED_SUMS}
    FROM survey_results r
    WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.scope = 'SERVICE'
        AND r.scope_id <> ALL($3::bigint[])"""


def _statement(per_service: str, write: str) -> str:
    """Groups `per_service` by service, unit and region and upserts the rows `write`
    selects; returns the TOTAL rows written with their previous band."""
    return f"""
WITH old AS (
    SELECT scope, scope_id, band FROM survey_results
    WHERE tenant_id = $1 AND campaign_id = $2 AND dimension = '{TOTAL}'
),
svc AS (
    SELECT s.id AS service_id, s.unit_id, s.population_per_year
    FROM survey_campaign_services cs
    JOIN survey_services s ON s.tenant_id = cs.tenant_id AND s.id = cs.service_id
    WHERE cs.tenant_id = $1 AND cs.campaign_id = $2
),
pop AS (
    SELECT {_SCOPE.format(unit="unit_id", service="service_id")} AS scope,
        coalesce(service_id, unit_id, 0) AS scope_id, sum(population_per_year)::int AS population
    FROM svc
    GROUP BY GROUPING SETS ((unit_id, service_id), (unit_id), ())
),
{per_service},
agg AS (
    SELECT {_SCOPE.format(unit="v.unit_id", service="p.service_id")} AS scope,
        coalesce(p.service_id, v.unit_id, 0) AS scope_id, v.unit_id, p.dimension, p.value,
        sum(p.n)::int AS n, {_ROLL_UP}
    FROM per_service p
    JOIN svc v ON v.service_id = p.service_id
    GROUP BY GROUPING SETS ((p.dimension, p.value, v.unit_id, p.service_id),
                            (p.dimension, p.value, v.unit_id),
                            (p.dimension, p.value))
),
up AS (
    INSERT INTO survey_results (tenant_id, campaign_id, scope, scope_id, dimension, value,
        unit_id, respondents, element_sums, converted_ikm, band, population, updated_at)
    SELECT $1, $2, a.scope, a.scope_id, a.dimension, a.value, a.unit_id, a.n,
        jsonb_build_array({_SUM_ARRAY}), c.conv, {band_sql("c.conv")},
        coalesce(p.population, 0), now()
    FROM agg a
    CROSS JOIN LATERAL (SELECT round(({_SUM_ALL})::numeric * 25 / (9 * a.n), 2) AS conv) c
    LEFT JOIN pop p ON p.scope = a.scope AND p.scope_id = a.scope_id
    WHERE {write}
    ON CONFLICT (tenant_id, campaign_id, scope, scope_id, dimension, value) DO UPDATE SET
        unit_id = EXCLUDED.unit_id, respondents = EXCLUDED.respondents,
        element_sums = EXCLUDED.element_sums, converted_ikm = EXCLUDED.converted_ikm,
        band = EXCLUDED.band, population = EXCLUDED.population, updated_at = now()
    RETURNING scope, scope_id, unit_id, dimension, band, converted_ikm
)
SELECT up.scope, up.scope_id, up.unit_id, up.band, up.converted_ikm, old.band AS old_band
FROM up LEFT JOIN old ON old.scope = up.scope AND old.scope_id = up.scope_id
WHERE up.dimension = '{TOTAL}'
"""


# The campaign's transaction-level advisory lock: its runs one at a time.
_LOCK = "pg_advisory_xact_lock(hashtextextended('kinerja.skm:' || $1::text, 0))"


# The full recompute of a campaign ($1 tenant, $2 campaign).
FULL = _statement(_FROM_RESPONSES.format(sums=_SUMS, slices=_SLICES, narrow="", stored=""), "TRUE")
# Incremental ($3 the pending services): their rows, their units' and the region's.
PENDING = _statement(
    _FROM_RESPONSES.format(
        sums=_SUMS,
        slices=_SLICES,
        narrow="AND r.service_id = ANY($3::bigint[])",
        stored=_FROM_SERVICE_ROWS,
    ),
    "a.scope = 'REGION' OR (a.scope = 'SERVICE' AND a.scope_id = ANY($3::bigint[]))"
    " OR (a.scope = 'UNIT' AND a.scope_id IN (SELECT unit_id FROM svc"
    " WHERE service_id = ANY($3::bigint[])))",
)
_TAKE_PENDING = (
    "DELETE FROM survey_pending_services WHERE tenant_id = $1 AND campaign_id = $2"
    " RETURNING service_id"
)


@dataclass
class AggregationRun:
    rows: dict[str, int] = field(default_factory=dict)  # scope -> TOTAL rows written
    services: list[int] = field(default_factory=list)  # the pending services taken
    band_drops: list[dict] = field(default_factory=list)
    realisations: int = 0  # survey-fed realisations written or changed


async def aggregate(*, campaign_id: int) -> AggregationRun:
    """In the region's transaction: recomputes every result row of the campaign from its
    responses, drops rows no response supports any more, and takes its pending services."""
    return await _run(campaign_id, incremental=False)


async def aggregate_pending(*, campaign_id: int) -> AggregationRun:
    """In the region's transaction: refreshes the campaign's pending services (their rows,
    their units' and the region's); nothing when none is pending."""
    return await _run(campaign_id, incremental=True)


async def _run(campaign_id: int, *, incremental: bool) -> AggregationRun:
    """Then writes the realisations of the indicators those results feed
    (kinerja_saas.performance.sources) and emits `surveys.band_dropped` for each service
    whose band fell."""
    tenant_id = current_tenant_id()
    conn = connections.get("default")
    run = AggregationRun(rows={scope.value: 0 for scope in ResultScope})
    await conn.execute_query(f"SELECT {_LOCK}", [f"{tenant_id}:{campaign_id}"])
    # Taking the pending rows waits for submissions still holding them; the next
    # statement's snapshot then includes their responses.
    taken = await conn.execute_query_dict(_TAKE_PENDING, [tenant_id, campaign_id])
    services = sorted({r["service_id"] for r in taken})
    if incremental:
        if not services:
            return run
        rows = await conn.execute_query_dict(PENDING, [tenant_id, campaign_id, services])
    else:
        rows = await conn.execute_query_dict(FULL, [tenant_id, campaign_id])
        # Every row of this campaign written above carries this transaction's now().
        await conn.execute_query(
            "DELETE FROM survey_results WHERE tenant_id = $1 AND campaign_id = $2"
            " AND updated_at < now()",
            [tenant_id, campaign_id],
        )
    run.services = services
    for r in rows:
        run.rows[r["scope"]] += 1
    service_rows = [r for r in rows if r["scope"] == ResultScope.SERVICE.value]
    run.band_drops = [
        {
            "campaign_id": campaign_id,
            "service_id": r["scope_id"],
            "unit_id": r["unit_id"],
            "old_band": r["old_band"],
            "new_band": r["band"],
            "converted_ikm": str(Decimal(r["converted_ikm"])),
        }
        for r in service_rows
        if band_dropped(r["old_band"], r["band"])
    ]
    # Indicators fed by these results (performance.sources): one statement.
    run.realisations = await fill_from_survey(
        campaign_id=campaign_id,
        service_ids=services if incremental else None,
        unit_ids=sorted({r["unit_id"] for r in service_rows}) if incremental else None,
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


STALE_PENDING_SECONDS = 120  # far beyond a debounce window and a run


async def stale_pending_campaigns(*, older_than_seconds: float) -> list[int]:
    """The region's campaigns with a service pending for longer than a run should take."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT DISTINCT campaign_id FROM survey_pending_services WHERE tenant_id = $1"
        " AND pending_since < now() - make_interval(secs => $2) ORDER BY campaign_id",
        [current_tenant_id(), older_than_seconds],
    )
    return [r["campaign_id"] for r in rows]
