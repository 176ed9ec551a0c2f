"""The surveys domain's SQL: the set-based aggregation of responses into results (see
surveys/aggregation.py for the design), the results and trends read models, the public
form's lookups and the submission, and the admin's campaign lists. Services in this
package call these."""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict, cast

from kinerja_saas.db import Row, db, scoped
from kinerja_saas.db.fragments import path_under
from kinerja_saas.outbox.queries import insert_events_sql
from kinerja_saas.surveys.events import RESPONSE_SUBMITTED
from kinerja_saas.surveys.models import SurveyElement
from kinerja_saas.surveys.rules import PROFILE_DIMENSIONS, band_sql
from tenants.context import current_tenant_id

TOTAL = "TOTAL"

# --- aggregation -------------------------------------------------------------------------------

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

# `per_service`: (service, slice) -> respondents and the 9 answer sums of responses of the
# campaign: those no pending row names (a full recompute) or the taken ids $3 (a run).
_FROM_RESPONSES = """
per_service AS (
    SELECT r.campaign_id, r.service_id, d.dimension, d.value, count(*)::int AS n, {sums}
    FROM survey_responses r
    CROSS JOIN LATERAL (VALUES {slices}) d (dimension, value)
    WHERE r.tenant_id = $1 AND r.campaign_id = ANY($2::bigint[]) AND d.value IS NOT NULL
        AND {which}
    GROUP BY 1, 2, 3, 4
)"""
# One array of the campaign's pending ids (an init plan, computed once): an anti-join
# planned per row forced an ordered index scan of the responses (1.6× the floor, not 1.46×).
_NOT_PENDING = (
    "r.id <> ALL(ARRAY(SELECT unnest(q.response_ids) FROM survey_pending_services q"
    " WHERE q.tenant_id = $1 AND q.campaign_id = ANY($2::bigint[])))"
)
_TAKEN = "r.id = ANY($3::bigint[])"
# A run adds the stored sums of each row it touches to the new responses' (a recompute
# starts from nothing).
_PLUS_STORED = (
    "LEFT JOIN survey_results o ON o.tenant_id = $1 AND o.campaign_id = d.campaign_id"
    " AND o.scope = d.scope AND o.scope_id = d.scope_id AND o.dimension = d.dimension"
    " AND o.value = d.value"
)
_MERGED_SUMS = ", ".join(
    f"d.s{i} + coalesce((o.element_sums->>{i - 1})::int, 0) AS s{i}" for i in range(1, 10)
)


def _statement(per_service: str, *, plus_stored: bool) -> str:
    """Groups `per_service` by service, unit and region (adding the stored rows' counts
    when `plus_stored`) and upserts the rows; returns the TOTAL rows written with their
    previous band."""
    if plus_stored:
        stored_join, stored_n, sums = _PLUS_STORED, "+ coalesce(o.respondents, 0)", _MERGED_SUMS
    else:
        stored_join, stored_n = "", ""
        sums = ", ".join(f"d.s{i} AS s{i}" for i in range(1, 10))
    return f"""
WITH old AS (
    SELECT campaign_id, scope, scope_id, band FROM survey_results
    WHERE tenant_id = $1 AND campaign_id = ANY($2::bigint[]) AND dimension = '{TOTAL}'
),
svc AS (
    SELECT cs.campaign_id, s.id AS service_id, s.unit_id, s.population_per_year
    FROM survey_campaign_services cs
    JOIN survey_services s ON s.tenant_id = cs.tenant_id AND s.id = cs.service_id
    WHERE cs.tenant_id = $1 AND cs.campaign_id = ANY($2::bigint[])
),
pop AS (
    SELECT campaign_id, {_SCOPE.format(unit="unit_id", service="service_id")} AS scope,
        coalesce(service_id, unit_id, 0) AS scope_id, sum(population_per_year)::int AS population
    FROM svc
    GROUP BY campaign_id, GROUPING SETS ((unit_id, service_id), (unit_id), ())
),
{per_service},
delta AS (
    SELECT p.campaign_id, {_SCOPE.format(unit="v.unit_id", service="p.service_id")} AS scope,
        coalesce(p.service_id, v.unit_id, 0) AS scope_id, v.unit_id, p.dimension, p.value,
        sum(p.n)::int AS n, {_ROLL_UP}
    FROM per_service p
    JOIN svc v ON v.campaign_id = p.campaign_id AND v.service_id = p.service_id
    GROUP BY p.campaign_id, GROUPING SETS ((p.dimension, p.value, v.unit_id, p.service_id),
                                           (p.dimension, p.value, v.unit_id),
                                           (p.dimension, p.value))
),
agg AS (
    SELECT d.campaign_id, d.scope, d.scope_id, d.unit_id, d.dimension, d.value,
        d.n {stored_n} AS n, {sums}
    FROM delta d {stored_join}
),
up AS (
    INSERT INTO survey_results (tenant_id, campaign_id, scope, scope_id, dimension, value,
        unit_id, respondents, element_sums, converted_ikm, band, population, updated_at)
    SELECT $1, a.campaign_id, a.scope, a.scope_id, a.dimension, a.value, a.unit_id, a.n,
        jsonb_build_array({_SUM_ARRAY}), c.conv, {band_sql("c.conv")},
        coalesce(p.population, 0), now()
    FROM agg a
    CROSS JOIN LATERAL (SELECT round(({_SUM_ALL})::numeric * 25 / (9 * a.n), 2) AS conv) c
    LEFT JOIN pop p ON p.campaign_id = a.campaign_id AND p.scope = a.scope
        AND p.scope_id = a.scope_id
    ON CONFLICT (tenant_id, campaign_id, scope, scope_id, dimension, value) DO UPDATE SET
        unit_id = EXCLUDED.unit_id, respondents = EXCLUDED.respondents,
        element_sums = EXCLUDED.element_sums, converted_ikm = EXCLUDED.converted_ikm,
        band = EXCLUDED.band, population = EXCLUDED.population, updated_at = now()
    RETURNING campaign_id, scope, scope_id, unit_id, dimension, band, converted_ikm
)
SELECT up.campaign_id, up.scope, up.scope_id, up.unit_id, up.band, up.converted_ikm,
    old.band AS old_band
FROM up LEFT JOIN old ON old.campaign_id = up.campaign_id AND old.scope = up.scope
    AND old.scope_id = up.scope_id
WHERE up.dimension = '{TOTAL}'
"""


# The campaigns' transaction-level advisory locks ($1 tenant, $2 campaigns): a campaign's
# runs one at a time. Taken in campaign order, so two runs never wait for each other's.
_LOCK = (
    "SELECT count(pg_advisory_xact_lock(hashtextextended('kinerja.skm:' || $1::text || ':'"
    " || c::text, 0))) FROM (SELECT unnest($2::bigint[]) AS c ORDER BY 1) AS campaigns"
)


# The full recompute of a campaign ($1 tenant, $2 campaign), of the responses no pending
# row names (the run that follows in the same transaction adds those).
FULL = _statement(
    _FROM_RESPONSES.format(sums=_SUMS, slices=_SLICES, which=_NOT_PENDING), plus_stored=False
)
# A run: the responses taken ($3), added to the stored rows they touch.
ADD_TAKEN = _statement(
    _FROM_RESPONSES.format(sums=_SUMS, slices=_SLICES, which=_TAKEN), plus_stored=True
)
# A separate statement before ADD_TAKEN: it waits for submissions holding a pending row,
# so ADD_TAKEN's snapshot sees every response whose id it returns.
_TAKE_PENDING = (
    "DELETE FROM survey_pending_services WHERE tenant_id = $1"
    " AND campaign_id = ANY($2::bigint[]) RETURNING service_id, response_ids"
)


async def lock_campaigns(campaign_ids: list[int]) -> None:
    await db().execute_query(_LOCK, [str(current_tenant_id()), campaign_ids])


async def recompute_results(campaign_ids: list[int]) -> list[Row]:
    """The full recompute of the campaigns; returns the TOTAL rows with their old band."""
    return await db().execute_query_dict(FULL, [current_tenant_id(), campaign_ids])


async def delete_results_not_rewritten(campaign_ids: list[int]) -> None:
    """Every row of these campaigns the recompute wrote carries this transaction's now():
    the others no response supports any more."""
    await db().execute_query(
        "DELETE FROM survey_results WHERE tenant_id = $1"
        " AND campaign_id = ANY($2::bigint[]) AND updated_at < now()",
        [current_tenant_id(), campaign_ids],
    )


class PendingService(TypedDict):
    service_id: int
    response_ids: list[int]


async def take_pending_services(campaign_ids: list[int]) -> list[PendingService]:
    rows = await db().execute_query_dict(_TAKE_PENDING, [current_tenant_id(), campaign_ids])
    return cast(list[PendingService], rows)


async def add_taken_responses(campaign_ids: list[int], response_ids: list[int]) -> list[Row]:
    return await db().execute_query_dict(
        ADD_TAKEN, [current_tenant_id(), campaign_ids, response_ids]
    )


async def campaign_ids_with_responses() -> list[int]:
    """The region's campaigns with responses (the nightly recompute's work)."""
    rows = await db().execute_query_dict(
        "SELECT c.id FROM survey_campaigns c WHERE c.tenant_id = $1 AND EXISTS ("
        " SELECT 1 FROM survey_responses r WHERE r.tenant_id = $1 AND r.campaign_id = c.id)"
        " ORDER BY c.id",
        [current_tenant_id()],
    )
    return [r["id"] for r in rows]


async def stale_pending_campaigns(*, older_than_seconds: float) -> list[int]:
    """The region's campaigns with a service pending for longer than a run should take."""
    rows = await db().execute_query_dict(
        "SELECT DISTINCT campaign_id FROM survey_pending_services WHERE tenant_id = $1"
        " AND pending_since < now() - make_interval(secs => $2) ORDER BY campaign_id",
        [current_tenant_id(), older_than_seconds],
    )
    return [r["campaign_id"] for r in rows]


# --- results, suggestions, trends ----------------------------------------------------------------

_RESULTS_SQL = f"""
SELECT r.campaign_id, r.scope, r.scope_id, r.dimension, r.value, r.unit_id, r.respondents,
    r.element_sums, r.converted_ikm, r.band, r.population,
    CASE r.scope WHEN 'SERVICE' THEN s.name WHEN 'UNIT' THEN u.name ELSE t.name END AS name,
    u.name AS unit_name
FROM survey_results r
JOIN tenants t ON t.id = r.tenant_id
LEFT JOIN survey_services s ON r.scope = 'SERVICE' AND s.tenant_id = r.tenant_id
    AND s.id = r.scope_id
LEFT JOIN org_units u ON u.tenant_id = r.tenant_id AND u.id = r.unit_id
WHERE r.tenant_id = $1 AND r.campaign_id = ANY($2::bigint[]) AND r.scope = ANY($3::text[])
    AND ($4 OR r.dimension = 'TOTAL')
    AND ($5::text IS NULL OR {path_under("u.path", "$5")})
ORDER BY r.campaign_id, r.scope, name, r.scope_id, r.dimension, r.value
"""


async def result_rows(
    campaign_ids: list[int], scopes: list[str], *, breakdowns: bool, unit_path: str | None
) -> list[Row]:
    """The campaigns' result rows of the scopes (totals, and slices when `breakdowns`),
    under `unit_path` when given; one statement."""
    return await db().execute_query_dict(
        _RESULTS_SQL, [current_tenant_id(), campaign_ids, scopes, breakdowns, unit_path]
    )


async def suggestion_rows(
    *,
    campaign_id: int,
    service_id: int | None,
    like: str | None,
    before_id: int | None,
    limit: int,
    unit_path: str | None,
) -> list[Row]:
    """Suggestions newest first, keyset by id; `limit + 1` rows."""
    return await db().execute_query_dict(
        "SELECT r.id, r.service_id, s.name AS service_name, r.suggestion, r.submitted_at"
        " FROM survey_responses r"
        " JOIN survey_services s ON s.tenant_id = r.tenant_id AND s.id = r.service_id"
        " JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id"
        " WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.suggestion IS NOT NULL"
        " AND ($7::text IS NULL OR " + path_under("u.path", "$7") + ")"
        " AND ($3::bigint IS NULL OR r.service_id = $3)"
        " AND ($4::text IS NULL OR r.suggestion ILIKE $4)"
        " AND ($5::bigint IS NULL OR r.id < $5)"
        " ORDER BY r.id DESC LIMIT $6",
        [current_tenant_id(), campaign_id, service_id, like, before_id, limit + 1, unit_path],
    )


# The last $4 campaigns (by closing day) of one scope, oldest first; the change is taken
# over all of the scope's campaigns, so the first point shown has one too.
_TRENDS_SQL = """
SELECT * FROM (
    SELECT c.id AS campaign_id, c.name, c.period_label, c.opens_on, c.closes_on,
        r.respondents, r.converted_ikm, r.band,
        r.converted_ikm - lag(r.converted_ikm) OVER (ORDER BY c.closes_on, c.id) AS change
    FROM survey_results r
    JOIN survey_campaigns c ON c.tenant_id = r.tenant_id AND c.id = r.campaign_id
    WHERE r.tenant_id = $1 AND r.scope = $2 AND r.scope_id = $3 AND r.dimension = 'TOTAL'
        AND r.value = ''
    ORDER BY c.closes_on DESC, c.id DESC
    LIMIT $4
) t ORDER BY closes_on, campaign_id
"""

_TARGET_SQL = """
SELECT u.path FROM survey_services s
JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id
WHERE $2::bigint IS NOT NULL AND s.tenant_id = $1 AND s.id = $2
UNION ALL
SELECT u.path FROM org_units u WHERE $3::bigint IS NOT NULL AND u.tenant_id = $1 AND u.id = $3
"""


async def service_or_unit_path(*, service_id: int | None, unit_id: int | None) -> str | None:
    """The unit path of the service (its unit's) or of the unit; None if not in the region."""
    rows = await db().execute_query_dict(_TARGET_SQL, [current_tenant_id(), service_id, unit_id])
    return rows[0]["path"] if rows else None


async def trend_rows(scope: str, scope_id: int | None, last: int) -> list[Row]:
    return await db().execute_query_dict(_TRENDS_SQL, [current_tenant_id(), scope, scope_id, last])


# --- campaigns ---------------------------------------------------------------------------------

# Newest first (opens_on, id descending), keyset after ($5 opens_on, $6 id). $2 region's
# today, $3 status, $4 year, $7 a unit head's path (campaigns covering one of its services).
_CAMPAIGNS_SQL = f"""
SELECT c.id FROM survey_campaigns c
WHERE c.tenant_id = $1
    AND ($3::text IS NULL
        OR ($3 = 'UPCOMING' AND c.opens_on > $2)
        OR ($3 = 'OPEN' AND c.opens_on <= $2 AND c.closes_on >= $2)
        OR ($3 = 'CLOSED' AND c.closes_on < $2))
    AND ($4::int IS NULL OR (c.opens_on <= make_date($4, 12, 31)
        AND c.closes_on >= make_date($4, 1, 1)))
    AND ($5::date IS NULL OR (c.opens_on, c.id) < ($5, $6::bigint))
    AND ($7::text IS NULL OR EXISTS (
        SELECT 1 FROM survey_campaign_services cs
        JOIN survey_services s ON s.tenant_id = cs.tenant_id AND s.id = cs.service_id
        JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id
        WHERE cs.tenant_id = $1 AND cs.campaign_id = c.id AND {path_under("u.path", "$7")}))
ORDER BY c.opens_on DESC, c.id DESC
LIMIT $8
"""


async def campaign_ids_page(
    *,
    today: date,
    status: str | None,
    year: int | None,
    after: tuple[date, int] | None,
    unit_path: str | None,
    limit: int,
) -> list[int]:
    """The ids of a page of campaigns, newest first (`limit + 1` of them: one tells more)."""
    rows = await db().execute_query_dict(
        _CAMPAIGNS_SQL,
        [
            current_tenant_id(),
            today,
            status,
            year,
            after[0] if after else None,
            after[1] if after else None,
            unit_path,
            limit + 1,
        ],
    )
    return [r["id"] for r in rows]


async def campaign_services(campaign_ids: list[int], unit_path: str | None = None) -> list[dict]:
    """The covered services of campaigns with their codes, units and populations (with
    `unit_path`, only those of that unit and its sub-units)."""
    return await db().execute_query_dict(
        "SELECT cs.campaign_id, cs.service_id, cs.code, s.name, s.unit_id,"
        " s.population_per_year, u.name AS unit_name"
        " FROM survey_campaign_services cs"
        " JOIN survey_services s ON s.tenant_id = cs.tenant_id AND s.id = cs.service_id"
        " JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id"
        " WHERE cs.tenant_id = $1 AND cs.campaign_id = ANY($2::bigint[])"
        " AND ($3::text IS NULL OR " + path_under("u.path", "$3") + ")"
        " ORDER BY cs.campaign_id, u.name, s.name",
        [current_tenant_id(), campaign_ids, unit_path],
    )


# --- the public form ---------------------------------------------------------------------------


async def code_target(code: str) -> Row | None:
    """(tenant_id, campaign_id, service_id) of any region's code, without a tenant (the
    definer function survey_code_lookup)."""
    rows = await db().execute_query_dict(
        "SELECT tenant_id, campaign_id, service_id FROM survey_code_lookup($1)", [code]
    )
    return rows[0] if rows else None


async def code_rules(code: str) -> Row | None:
    """The code's target with the rules a submission is checked against (survey_code_rules)."""
    rows = await db().execute_query_dict("SELECT * FROM survey_code_rules($1)", [code])
    return rows[0] if rows else None


# Under RLS in the code's region (its tenant_id filters too): the region, campaign, service
# and unit names, the campaign's questions and the elements with the region's labels.
_FORM = """
SELECT t.name AS region_name, t.timezone::text AS timezone,
    t.settings -> 'surveys' AS survey_settings,
    c.name AS campaign_name, c.period_label, c.opens_on, c.closes_on, c.extra_questions,
    c.profile_fields, s.name AS service_name, u.name AS unit_name,
    (SELECT jsonb_agg(jsonb_build_array(e.code, e.name, e.answer_labels) ORDER BY e.position)
     FROM survey_elements e WHERE e.tenant_id = t.id) AS elements
FROM tenants t
JOIN survey_campaigns c ON c.tenant_id = t.id AND c.id = $2
JOIN survey_services s ON s.tenant_id = t.id AND s.id = $3
-- Still in the campaign: a service taken out of it since the code was looked up has no form.
JOIN survey_campaign_services cs ON cs.tenant_id = t.id AND cs.campaign_id = c.id
    AND cs.service_id = s.id
JOIN org_units u ON u.tenant_id = t.id AND u.id = s.unit_id
WHERE t.id = $1
"""


async def form_row(*, campaign_id: int, service_id: int) -> Row | None:
    rows = await db().execute_query_dict(_FORM, [current_tenant_id(), campaign_id, service_id])
    return rows[0] if rows else None


# The response, its id appended to its service's pending row (surveys.aggregation takes
# them), and an event when the service was not pending yet: the event schedules the
# campaign's debounced aggregation, which takes every pending row up to then. The upsert
# locks the pending row until this transaction ends, so an aggregation taking the row
# waits for this response to commit and then counts it.
_NEWLY_PENDING_EVENT = insert_events_sql(
    RESPONSE_SUBMITTED,
    payload_sql="jsonb_build_object('campaign_id', campaign_id, 'service_id', service_id)",
    tail_sql="FROM pending WHERE newly_pending",
)
_INSERT = (
    """
WITH response AS (
    INSERT INTO survey_responses (tenant_id, campaign_id, service_id,
        u1, u2, u3, u4, u5, u6, u7, u8, u9,
        age_band, gender, education, occupation, suggestion, extra_answers, client_token,
        submitted_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
        $18::jsonb, $19, now())
    ON CONFLICT (tenant_id, campaign_id, client_token) DO NOTHING
    RETURNING id, campaign_id, service_id
),
pending AS (
    INSERT INTO survey_pending_services AS p (tenant_id, campaign_id, service_id, response_ids)
    SELECT $1, campaign_id, service_id, ARRAY[id] FROM response
    ON CONFLICT (tenant_id, campaign_id, service_id)
        DO UPDATE SET response_ids = p.response_ids || EXCLUDED.response_ids
    RETURNING (xmax = 0) AS newly_pending, campaign_id, service_id
),
event AS ("""
    + _NEWLY_PENDING_EVENT
    + """)
SELECT id FROM response
"""
)


async def insert_response(params: list[Any]) -> int | None:
    """Writes the response ($1.. of _INSERT); None when its client token was seen before."""
    rows = await db().execute_query_dict(_INSERT, params)
    return rows[0]["id"] if rows else None


async def response_of_client_token(
    *, tenant_id: int, campaign_id: int, client_token: str
) -> int | None:
    rows = await db().execute_query_dict(
        "SELECT id FROM survey_responses"
        " WHERE tenant_id = $1 AND campaign_id = $2 AND client_token = $3",
        [tenant_id, campaign_id, client_token],
    )
    return rows[0]["id"] if rows else None


# --- who reads results -------------------------------------------------------------------------

_HEADED_UNIT_SQL = """
SELECT u.path FROM employees e
JOIN org_units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id
LEFT JOIN employees s ON s.tenant_id = e.tenant_id AND s.id = e.supervisor_id
WHERE e.tenant_id = $1 AND e.id = $2 AND e.is_active
    AND (s.id IS NULL OR s.unit_id <> e.unit_id)
"""


async def headed_unit_path(employee_id: int) -> str | None:
    """The path of the unit the employee heads (active, and their supervisor, if any, is
    in another unit); None when they head none."""
    rows = await db().execute_query_dict(_HEADED_UNIT_SQL, [current_tenant_id(), employee_id])
    return rows[0]["path"] if rows else None


# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def survey_elements() -> list[SurveyElement]:
    """The region's SKM elements (unsur) in their order."""
    return await scoped(SurveyElement).order_by("position")
