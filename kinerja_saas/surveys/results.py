"""Reading the aggregated results: per service or unit with the region's total, profile
breakdowns, suggestions, and what the public sees once a campaign's results are published."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from kinerja_saas.auth.actor import Actor
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, PermissionDenied
from kinerja_saas.surveys import queries, rules
from kinerja_saas.surveys.access import ResultsScope, results_scope
from kinerja_saas.surveys.admin import campaign_of_region, get_campaign
from kinerja_saas.surveys.aggregation import TOTAL
from kinerja_saas.surveys.errors import SurveyError
from kinerja_saas.surveys.models import ResultScope, SurveyCampaign


@dataclass
class Ikm:
    """One aggregate (a scope's total or one profile slice) with what the rules derive."""

    respondents: int
    element_sums: list[int]
    converted_ikm: Decimal
    band: str
    population: int = 0

    @property
    def nrr(self) -> list[Fraction]:
        return rules.nrrs(self.element_sums, self.respondents)

    @property
    def ikm(self) -> Fraction:
        return rules.ikm(self.nrr)

    @property
    def band_label(self) -> str:
        return rules.BY_GRADE[self.band].label

    @property
    def sample_target(self) -> int:
        return rules.krejcie_morgan(self.population)

    @property
    def sample_met(self) -> bool:
        return self.respondents >= self.sample_target


@dataclass
class Breakdown:
    dimension: str
    value: str
    result: Ikm


@dataclass
class ScopeResult:
    scope: ResultScope
    scope_id: int
    name: str
    unit_id: int | None
    unit_name: str | None
    result: Ikm
    breakdowns: list[Breakdown] = field(default_factory=list)


async def _results(
    campaign_ids: list[int],
    scopes: list[ResultScope],
    *,
    breakdowns: bool,
    unit_path: str | None = None,
) -> dict[int, list[ScopeResult]]:
    """campaign id -> its results of the scopes, totals with their breakdowns; one query.
    With `unit_path`, only services and units in that subtree (no region row)."""
    import orjson

    rows = await queries.result_rows(
        campaign_ids, [s.value for s in scopes], breakdowns=breakdowns, unit_path=unit_path
    )
    out: dict[int, list[ScopeResult]] = {c: [] for c in campaign_ids}
    by_key: dict[tuple, ScopeResult] = {}
    slices = []
    for row in rows:
        sums = row["element_sums"]
        ikm = Ikm(
            respondents=row["respondents"],
            element_sums=orjson.loads(sums) if isinstance(sums, str | bytes) else sums,
            converted_ikm=Decimal(row["converted_ikm"]),
            band=row["band"],
            population=row["population"],
        )
        key = (row["campaign_id"], row["scope"], row["scope_id"])
        if row["dimension"] == TOTAL:
            result = ScopeResult(
                scope=ResultScope(row["scope"]),
                scope_id=row["scope_id"],
                name=row["name"] or "",
                unit_id=row["unit_id"],
                unit_name=row["unit_name"],
                result=ikm,
            )
            by_key[key] = result
            out[row["campaign_id"]].append(result)
        else:
            slices.append((key, Breakdown(row["dimension"], row["value"], ikm)))
    for key, breakdown in slices:
        if key in by_key:
            by_key[key].breakdowns.append(breakdown)
    return out


@dataclass
class CampaignResults:
    campaign: SurveyCampaign
    region: ScopeResult | None
    items: list[ScopeResult]


async def campaign_results(
    *, actor: Actor, campaign_id: int, group_by: ResultScope
) -> CampaignResults:
    """The region admin's view, or a unit head's (their unit and sub-units, no region
    total); anyone else FORBIDDEN, a campaign of another region NOT_FOUND."""
    scope = await results_scope(actor)
    campaign = await campaign_of_region(campaign_id)
    found = (
        await _results(
            [campaign.id],
            [group_by, ResultScope.REGION],
            breakdowns=True,
            unit_path=scope.unit_path,
        )
    )[campaign.id]
    region = next((r for r in found if r.scope is ResultScope.REGION), None)
    items = [r for r in found if r.scope is group_by and group_by is not ResultScope.REGION]
    return CampaignResults(campaign, region, items)


async def set_published(*, actor: Actor, campaign_id: int, published: bool) -> SurveyCampaign:
    campaign = await get_campaign(actor=actor, campaign_id=campaign_id)
    campaign.published_at = datetime.now(UTC) if published else None
    await campaign.save_fields("published_at")
    return campaign


async def published_results() -> list[CampaignResults]:
    """The current region's published campaigns, newest first: totals per service, unit and
    region, without breakdowns or suggestions (public, no login)."""
    campaigns = (
        await scoped(SurveyCampaign).filter(published_at__isnull=False).order_by("-opens_on", "-id")
    )
    found = await _results(
        [c.id for c in campaigns],
        [ResultScope.SERVICE, ResultScope.UNIT, ResultScope.REGION],
        breakdowns=False,
    )
    return [
        CampaignResults(
            c,
            next((r for r in found[c.id] if r.scope is ResultScope.REGION), None),
            [r for r in found[c.id] if r.scope is not ResultScope.REGION],
        )
        for c in campaigns
    ]


@dataclass(frozen=True)
class Suggestion:
    id: int
    service_id: int
    service_name: str
    text: str
    submitted_at: datetime


def _like(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def suggestions(
    *,
    actor: Actor,
    campaign_id: int,
    service_id: int | None,
    search: str | None,
    limit: int,
    before_id: int | None,
) -> list[Suggestion]:
    """Newest first, keyset by id; `limit + 1` rows tell whether a next page exists. A unit
    head reads those about services of their unit and sub-units."""
    scope = await results_scope(actor)
    await campaign_of_region(campaign_id)
    rows = await queries.suggestion_rows(
        campaign_id=campaign_id,
        service_id=service_id,
        like=_like(search.strip()) if search and search.strip() else None,
        before_id=before_id,
        limit=limit,
        unit_path=scope.unit_path,
    )
    return [
        Suggestion(r["id"], r["service_id"], r["service_name"], r["suggestion"], r["submitted_at"])
        for r in rows
    ]


# --- trends --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    campaign_id: int
    campaign_name: str
    period_label: str
    opens_on: date
    closes_on: date
    respondents: int
    converted_ikm: Decimal
    band: str
    change: Decimal | None  # against the scope's previous campaign (None for its first)

    @property
    def band_label(self) -> str:
        return rules.BY_GRADE[self.band].label


MAX_TREND = 50


async def trends(
    *, actor: Actor, service_id: int | None, unit_id: int | None, last: int
) -> list[TrendPoint]:
    """Converted IKM, band and respondents of one service or unit per campaign, in time
    order (the last `last` campaigns). Two statements whatever the number of campaigns."""
    errors = ErrorCollector()
    if (service_id is None) == (unit_id is None):
        errors.add("serviceId", SurveyError.ONE_SCOPE)
    if not 1 <= last <= MAX_TREND:
        errors.add("last", CommonError.OUT_OF_RANGE, min=1, max=MAX_TREND)
    errors.raise_if_any()
    scope: ResultsScope = await results_scope(actor)
    path = await queries.service_or_unit_path(service_id=service_id, unit_id=unit_id)
    if path is None:
        field = "serviceId" if service_id is not None else "unitId"
        raise NotFound(CommonError.NOT_FOUND, field=field)
    if not scope.covers(path):
        raise PermissionDenied(CommonError.FORBIDDEN)
    kind = ResultScope.SERVICE if service_id is not None else ResultScope.UNIT
    rows = await queries.trend_rows(kind.value, service_id or unit_id, last)
    return [
        TrendPoint(
            campaign_id=r["campaign_id"],
            campaign_name=r["name"],
            period_label=r["period_label"],
            opens_on=r["opens_on"],
            closes_on=r["closes_on"],
            respondents=r["respondents"],
            converted_ikm=Decimal(r["converted_ikm"]),
            band=r["band"],
            change=Decimal(r["change"]) if r["change"] is not None else None,
        )
        for r in rows
    ]
