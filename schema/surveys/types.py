"""Public satisfaction surveys (SKM → IKM): services and campaigns for the region admin, the
public form and submission (no login), results, suggestions and published results.

Public fields run in the region their code (or slug) names: the request's transaction
starts without a tenant (no token), and the resolver enters the region once the code is
resolved (`tenants.context.enter_tenant`, as `login` does). A request is bound to one region:
a token of another region, or a second region in the same request, is refused.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import NoReturn, TypeAlias

import strawberry

from kinerja_saas.errors import NotFound, PermissionDenied
from kinerja_saas.ratelimit import digest, limit_bucket
from kinerja_saas.surveys import admin, qr, results
from kinerja_saas.surveys.errors import SurveyError
from kinerja_saas.surveys.ratelimit import RateLimited, hit
from kinerja_saas.surveys.rules import decimal_places, krejcie_morgan
from schema.pagination import PageInfo
from tenants.context import RegionMismatch, enter_tenant

_ELEMENT_CODES = tuple(f"U{i}" for i in range(1, 10))


UNKNOWN_CODE_LIMIT_PER_HOUR = 60  # lookups of unknown codes per IP: guessing is pointless


async def refuse_unknown_code(info: strawberry.Info) -> NoReturn:
    redis = info.context.redis
    if redis is not None:
        wait = await hit(
            redis,
            f"kinerja:skm:unknown:{digest(limit_bucket(request_ip(info)))}",
            limit=UNKNOWN_CODE_LIMIT_PER_HOUR,
            window_seconds=3600,
        )
        if wait is not None:
            raise RateLimited(retry_after=wait)
    raise NotFound(SurveyError.UNKNOWN_CODE, field="code")


@strawberry.type
class SurveyServiceType:
    id: strawberry.ID
    unit_id: strawberry.ID
    name: str
    description: str
    population_per_year: int
    is_active: bool

    @strawberry.field(description="Krejcie-Morgan sample size for the yearly population")
    def sample_target(self) -> int:
        return krejcie_morgan(self.population_per_year)

    @classmethod
    def of(cls, s) -> SurveyServiceType:
        return cls(
            id=strawberry.ID(str(s.id)),
            unit_id=strawberry.ID(str(s.unit_id)),
            name=s.name,
            description=s.description,
            population_per_year=s.population_per_year,
            is_active=s.is_active,
        )


@strawberry.type
class ExtraQuestion:
    code: str
    text: str
    required: bool


@strawberry.type(description="A service covered by a campaign, with its public code.")
class CampaignService:
    service_id: strawberry.ID
    name: str
    unit_id: strawberry.ID
    unit_name: str
    code: str = strawberry.field(description="For the QR code: surveyForm(code)")
    population_per_year: int
    sample_target: int
    survey_url: str | None = strawberry.field(
        description="The platform's own survey page for this code (what its QR code encodes;"
        " null until KINERJA_PUBLIC_URL is set). The QR code itself, for the region admin:"
        " GET /surveys/campaigns/{campaignId}/services/{serviceId}/qr.png (or .svg) with the"
        " Authorization header."
    )


@strawberry.type(name="SurveyCampaign")
class SurveyCampaignType:
    id: strawberry.ID
    name: str
    period_label: str
    opens_on: date
    closes_on: date
    extra_questions: list[ExtraQuestion]
    profile_fields: list[str]
    published_at: datetime | None
    services: list[CampaignService]

    @classmethod
    def of(cls, c, services: list[dict], public_url: str | None) -> SurveyCampaignType:
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            period_label=c.period_label,
            opens_on=c.opens_on,
            closes_on=c.closes_on,
            extra_questions=[ExtraQuestion(**q) for q in c.extra_questions],
            profile_fields=[api_name(f) for f in c.profile_fields],
            published_at=c.published_at,
            services=[
                CampaignService(
                    service_id=strawberry.ID(str(s["service_id"])),
                    name=s["name"],
                    unit_id=strawberry.ID(str(s["unit_id"])),
                    unit_name=s["unit_name"],
                    code=s["code"],
                    population_per_year=s["population_per_year"],
                    sample_target=krejcie_morgan(s["population_per_year"]),
                    survey_url=qr.survey_url(public_url, s["code"]) if public_url else None,
                )
                for s in services
            ],
        )


def api_name(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(p.capitalize() for p in rest)


async def campaigns_of(
    info: strawberry.Info, campaigns, unit_path: str | None = None
) -> list[SurveyCampaignType]:
    request = info.context.request
    public_url = info.context.settings.platform_url(
        str(request.base_url) if request is not None else None
    )
    rows = await admin.campaign_services([c.id for c in campaigns], unit_path)
    by_campaign: dict[int, list[dict]] = {}
    for row in rows:
        by_campaign.setdefault(row["campaign_id"], []).append(row)
    return [SurveyCampaignType.of(c, by_campaign.get(c.id, []), public_url) for c in campaigns]


@strawberry.type
class SurveyCampaignEdge:
    cursor: str
    node: SurveyCampaignType


@strawberry.type
class SurveyCampaignConnection:
    edges: list[SurveyCampaignEdge]
    page_info: PageInfo


SurveyCampaignStatus: TypeAlias = admin.CampaignStatus
strawberry.enum(SurveyCampaignStatus, description="Relative to today in the region's time zone")


@strawberry.type(description="One campaign's result for a service or unit, in a trend.")
class SurveyTrendPoint:
    campaign_id: strawberry.ID
    campaign_name: str
    period_label: str
    opens_on: date
    closes_on: date
    respondents: int
    converted_ikm: float = strawberry.field(description="IKM × 25, 25 to 100")
    band: str
    band_label: str
    change: float | None = strawberry.field(
        description="Converted IKM minus the previous campaign's (null for the first)"
    )


@strawberry.type
class SurveyFormElement:
    code: str
    name: str
    answer_labels: list[str] = strawberry.field(description="Labels of the answers 1 to 4")


@strawberry.type
class SurveyProfileField:
    field: str
    values: list[str]


@strawberry.type(description="What a respondent sees for a code (no login).")
class SurveyForm:
    region_name: str
    campaign_name: str
    period_label: str
    service_name: str
    unit_name: str
    opens_on: date
    closes_on: date
    is_open: bool
    elements: list[SurveyFormElement]
    extra_questions: list[ExtraQuestion]
    profile_fields: list[SurveyProfileField]
    suggestion_max_length: int


@strawberry.type
class ElementNrr:
    code: str
    nrr: float
    weighted_nrr: float = strawberry.field(description="NRR × 1/9 (NRR tertimbang)")


@strawberry.type
class IkmBreakdown:
    dimension: str = strawberry.field(description="AGE_BAND, GENDER, EDUCATION or OCCUPATION")
    value: str
    respondents: int
    converted_ikm: float
    band: str
    band_label: str


@strawberry.type(description="The IKM of a service, a unit's services, or the region.")
class IkmResult:
    scope: str
    id: strawberry.ID
    name: str
    unit_id: strawberry.ID | None
    unit_name: str | None
    respondents: int
    nrr: list[ElementNrr]
    ikm: float = strawberry.field(description="Σ NRR × 1/9, 1 to 4")
    converted_ikm: float = strawberry.field(description="IKM × 25, 25 to 100")
    band: str = strawberry.field(description="A, B, C or D (mutu pelayanan)")
    band_label: str
    population: int
    sample_target: int = strawberry.field(description="Krejcie-Morgan for the population")
    sample_met: bool
    breakdowns: list[IkmBreakdown]

    @classmethod
    def of(cls, r: results.ScopeResult) -> IkmResult:
        ikm = r.result
        return cls(
            scope=r.scope.value,
            id=strawberry.ID(str(r.scope_id)),
            name=r.name,
            unit_id=strawberry.ID(str(r.unit_id)) if r.unit_id is not None else None,
            unit_name=r.unit_name,
            respondents=ikm.respondents,
            nrr=[
                ElementNrr(
                    code=code,
                    nrr=float(decimal_places(value)),
                    weighted_nrr=float(decimal_places(value / 9)),
                )
                for code, value in zip(_ELEMENT_CODES, ikm.nrr, strict=True)
            ],
            ikm=float(decimal_places(ikm.ikm)),
            converted_ikm=float(ikm.converted_ikm),
            band=ikm.band,
            band_label=ikm.band_label,
            population=ikm.population,
            sample_target=ikm.sample_target,
            sample_met=ikm.sample_met,
            breakdowns=[
                IkmBreakdown(
                    dimension=b.dimension,
                    value=b.value,
                    respondents=b.result.respondents,
                    converted_ikm=float(b.result.converted_ikm),
                    band=b.result.band,
                    band_label=b.result.band_label,
                )
                for b in r.breakdowns
            ],
        )


@strawberry.enum
class SurveyResultsGroupBy(Enum):
    SERVICE = "SERVICE"
    UNIT = "UNIT"


@strawberry.type
class SurveyResults:
    campaign_id: strawberry.ID
    campaign_name: str
    period_label: str
    published_at: datetime | None
    region: IkmResult | None = strawberry.field(description="All responses of the campaign")
    items: list[IkmResult]

    @classmethod
    def of(cls, r: results.CampaignResults) -> SurveyResults:
        return cls(
            campaign_id=strawberry.ID(str(r.campaign.id)),
            campaign_name=r.campaign.name,
            period_label=r.campaign.period_label,
            published_at=r.campaign.published_at,
            region=IkmResult.of(r.region) if r.region else None,
            items=[IkmResult.of(i) for i in r.items],
        )


@strawberry.type
class SurveySuggestion:
    id: strawberry.ID
    service_id: strawberry.ID
    service_name: str
    text: str
    submitted_at: datetime


@strawberry.type
class SurveySuggestionEdge:
    cursor: str
    node: SurveySuggestion


@strawberry.type
class SurveySuggestionConnection:
    edges: list[SurveySuggestionEdge]
    page_info: PageInfo


def request_ip(info: strawberry.Info) -> str:
    return info.context.client_ip


async def enter_region(info: strawberry.Info, tenant_id: int) -> None:
    """The code's (or slug's) region is the request's: a token of another region is refused,
    and without a token the first region named binds the request (tenants.context.Binding
    refuses a second one too, whatever field names it)."""
    context = info.context
    actor = context.actor
    if actor is not None:
        if actor.tenant_id != tenant_id:
            raise RegionMismatch()
        return  # the request already runs in the login's region
    # Checked and set with no await in between: sibling fields cannot both pass.
    if context.public_tenant_id is not None:
        if context.public_tenant_id != tenant_id:
            raise PermissionDenied(SurveyError.ONE_REGION_PER_REQUEST)
    context.public_tenant_id = tenant_id
    # Every field enters, not only the first: sibling root fields run as separate tasks,
    # each with its own copy of the tenant contextvar (found by tests/security/test_fuzz).
    await enter_tenant(tenant_id)


@strawberry.type(description="An SKM element (unsur) with the labels of answers 1–4.")
class SurveyElement:
    code: str
    name: str
    answer_labels: list[str]
