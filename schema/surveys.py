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
from typing import NoReturn

import strawberry

from kinerja_saas.errors import CommonError, NotFound, PermissionDenied
from kinerja_saas.ratelimit import digest, limit_bucket
from kinerja_saas.surveys import admin, aggregation, public, qr, results
from kinerja_saas.surveys.errors import SurveyError
from kinerja_saas.surveys.models import ResultScope
from kinerja_saas.surveys.ratelimit import RateLimited, check_submission, hit
from kinerja_saas.surveys.rules import PROFILE_FIELDS, decimal_places, krejcie_morgan
from schema.errors import UserError, parse_id, run_mutation
from schema.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size
from tenants.context import RegionMismatch, enter_tenant
from tenants.models import RegionStatus, Tenant

_ELEMENT_CODES = tuple(f"U{i}" for i in range(1, 10))
UNKNOWN_CODE_LIMIT_PER_HOUR = 60  # lookups of unknown codes per IP: guessing is pointless


async def _enter_region(info: strawberry.Info, tenant_id: int) -> None:
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


def _client_ip(info: strawberry.Info) -> str:
    return info.context.client_ip


async def _refuse_unknown_code(info: strawberry.Info) -> NoReturn:
    redis = info.context.redis
    if redis is not None:
        wait = await hit(
            redis,
            f"kinerja:skm:unknown:{digest(limit_bucket(_client_ip(info)))}",
            limit=UNKNOWN_CODE_LIMIT_PER_HOUR,
            window_seconds=3600,
        )
        if wait is not None:
            raise RateLimited(retry_after=wait)
    raise NotFound(SurveyError.UNKNOWN_CODE, field="code")


async def _resolve(info: strawberry.Info, code: str) -> public.CodeTarget:
    target = await public.resolve_code(code.strip())
    if target is None:
        await _refuse_unknown_code(info)
    await _enter_region(info, target.tenant_id)
    return target


async def _resolve_with_rules(
    info: strawberry.Info, code: str
) -> tuple[public.CodeTarget, public.Rules]:
    found = await public.resolve_code_with_rules(code.strip())
    if found is None:
        await _refuse_unknown_code(info)
    target, rules = found
    await _enter_region(info, target.tenant_id)
    return target, rules


# --- types --------------------------------------------------------------------------------


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
            profile_fields=[_api(f) for f in c.profile_fields],
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


def _api(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(p.capitalize() for p in rest)


_FROM_API = {_api(f): f for f in PROFILE_FIELDS}


async def _campaigns(
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


SurveyCampaignStatus = strawberry.enum(
    admin.CampaignStatus, description="Relative to today in the region's time zone"
)


@strawberry.input
class SurveyCampaignFilter:
    status: SurveyCampaignStatus | None = None  # type: ignore[valid-type]
    year: int | None = strawberry.field(
        default=None, description="Campaigns running at any time in this year"
    )


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


@strawberry.input
class SurveyAnswerInput:
    element: str = strawberry.field(description="U1 … U9")
    value: int = strawberry.field(description="1 to 4")


@strawberry.input
class SurveyProfileInput:
    age_band: str | None = None
    gender: str | None = None
    education: str | None = None
    occupation: str | None = None


@strawberry.input
class SurveyExtraAnswerInput:
    code: str
    text: str


@strawberry.type
class SubmitSurveyResponsePayload:
    accepted: bool = False
    replayed: bool = strawberry.field(
        default=False, description="This clientToken was already accepted; nothing new stored"
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


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


@strawberry.input
class SurveyServiceInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="None: a new service")
    unit_id: strawberry.ID
    name: str
    description: str = ""
    population_per_year: int = 0
    is_active: bool = True


@strawberry.input
class ExtraQuestionInput:
    code: str
    text: str
    required: bool = False


@strawberry.input
class SurveyCampaignInput:
    name: str
    period_label: str
    opens_on: date
    closes_on: date
    service_ids: list[strawberry.ID]
    extra_questions: list[ExtraQuestionInput] = strawberry.field(default_factory=list)
    profile_fields: list[str] = strawberry.field(
        default_factory=list, description="Of ageBand, gender, education, occupation"
    )


@strawberry.type
class SurveyServicePayload:
    service: SurveyServiceType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SurveyCampaignPayload:
    campaign: SurveyCampaignType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecomputeSurveyResultsPayload:
    results: SurveyResults | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


# --- queries -----------------------------------------------------------------------------

_SUGGESTIONS_ORDER = "suggestions-newest"
_CAMPAIGNS_ORDER = "campaigns-newest"


@strawberry.type
class SurveyQuery:
    @strawberry.field(description="Public (no login): the form of a service's survey code.")
    async def survey_form(self, info: strawberry.Info, code: str) -> SurveyForm:
        target = await _resolve(info, code)
        fm = await public.form(target)
        return SurveyForm(
            region_name=fm.region_name,
            campaign_name=fm.campaign_name,
            period_label=fm.period_label,
            service_name=fm.service_name,
            unit_name=fm.unit_name,
            opens_on=fm.opens_on,
            closes_on=fm.closes_on,
            is_open=fm.is_open,
            elements=[
                SurveyFormElement(code=e.code, name=e.name, answer_labels=list(e.answer_labels))
                for e in fm.elements
            ],
            extra_questions=[ExtraQuestion(**q) for q in fm.extra_questions],
            profile_fields=[
                SurveyProfileField(field=_api(f), values=list(PROFILE_FIELDS[f]))
                for f in fm.profile_fields
            ],
            suggestion_max_length=fm.suggestion_max_length,
        )

    @strawberry.field(description="Public (no login): a region's published campaign results.")
    async def published_survey_results(
        self, info: strawberry.Info, region_slug: str
    ) -> list[SurveyResults]:
        # One answer for a region that does not exist, is suspended, or is not the one the
        # request is bound to (another region's token, a second slug): no existence oracle.
        not_found = NotFound(CommonError.NOT_FOUND, field="regionSlug")
        tenant = await Tenant.by_slug(region_slug)
        if tenant is None or tenant.status != RegionStatus.ACTIVE:
            raise not_found
        try:
            await _enter_region(info, tenant.id)
        except (RegionMismatch, PermissionDenied) as exc:
            raise not_found from exc

        return [SurveyResults.of(r) for r in await results.published_results()]

    @strawberry.field(description="Region admin: the region's survey services.")
    async def survey_services(
        self, info: strawberry.Info, unit_id: strawberry.ID | None = None
    ) -> list[SurveyServiceType]:
        actor = info.context.require_region_actor()
        rows = await admin.list_services(actor=actor, unit_id=parse_id(unit_id, "unitId"))
        return [SurveyServiceType.of(s) for s in rows]

    @strawberry.field(
        description="Region admin, or a unit head (campaigns covering a service of their unit "
        "or sub-units, and only those services): campaigns newest first, with their codes."
    )
    async def survey_campaigns(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: SurveyCampaignFilter | None = None,
    ) -> SurveyCampaignConnection:
        actor = info.context.require_region_actor()
        limit = page_size(first, info.context.settings.max_page_size)
        keyset = None
        if after:
            opens_on, last_id = decode_cursor(after, _CAMPAIGNS_ORDER)
            keyset = (date.fromisoformat(opens_on), last_id)
        f = filter or SurveyCampaignFilter()
        rows, unit_path = await admin.list_campaigns(
            actor=actor,
            flt=admin.CampaignFilter(
                status=admin.CampaignStatus(f.status.value) if f.status else None, year=f.year
            ),
            limit=limit,
            after=keyset,
        )
        nodes = await _campaigns(info, rows[:limit], unit_path)
        edges = [
            SurveyCampaignEdge(
                cursor=encode_cursor(c.opens_on.isoformat(), c.id, _CAMPAIGNS_ORDER), node=n
            )
            for c, n in zip(rows[:limit], nodes, strict=True)
        ]
        return SurveyCampaignConnection(
            edges=edges, page_info=page_info(edges, has_next=len(rows) > limit, after=after)
        )

    @strawberry.field(
        description="Region admin, or a unit head (their unit and sub-units; no region "
        "total): converted IKM, band and respondents of a service or a unit per campaign, "
        "oldest first (the last `last` campaigns)."
    )
    async def survey_trends(
        self,
        info: strawberry.Info,
        service_id: strawberry.ID | None = None,
        unit_id: strawberry.ID | None = None,
        last: int = 8,
    ) -> list[SurveyTrendPoint]:
        actor = info.context.require_region_actor()
        points = await results.trends(
            actor=actor,
            service_id=parse_id(service_id, "serviceId"),
            unit_id=parse_id(unit_id, "unitId"),
            last=last,
        )
        return [
            SurveyTrendPoint(
                campaign_id=strawberry.ID(str(p.campaign_id)),
                campaign_name=p.campaign_name,
                period_label=p.period_label,
                opens_on=p.opens_on,
                closes_on=p.closes_on,
                respondents=p.respondents,
                converted_ikm=float(p.converted_ikm),
                band=p.band,
                band_label=p.band_label,
                change=float(p.change) if p.change is not None else None,
            )
            for p in points
        ]

    @strawberry.field(
        description="Region admin, or a unit head (their unit and sub-units; no region "
        "total): a campaign's IKM per service or unit."
    )
    async def survey_results(
        self,
        info: strawberry.Info,
        campaign_id: strawberry.ID,
        group_by: SurveyResultsGroupBy = SurveyResultsGroupBy.SERVICE,
    ) -> SurveyResults:
        actor = info.context.require_region_actor()
        found = await results.campaign_results(
            actor=actor,
            campaign_id=parse_id(campaign_id, "campaignId"),  # type: ignore[arg-type]
            group_by=ResultScope(group_by.value),
        )
        return SurveyResults.of(found)

    @strawberry.field(
        description="Region admin, or a unit head (services of their unit and sub-units): "
        "suggestions of a campaign, newest first."
    )
    async def survey_suggestions(
        self,
        info: strawberry.Info,
        campaign_id: strawberry.ID,
        service_id: strawberry.ID | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SurveySuggestionConnection:
        actor = info.context.require_region_actor()
        limit = page_size(first, info.context.settings.max_page_size)
        before = decode_cursor(after, _SUGGESTIONS_ORDER)[1] if after else None
        rows = await results.suggestions(
            actor=actor,
            campaign_id=parse_id(campaign_id, "campaignId"),  # type: ignore[arg-type]
            service_id=parse_id(service_id, "serviceId"),
            search=search,
            limit=limit,
            before_id=before,
        )
        edges = [
            SurveySuggestionEdge(
                cursor=encode_cursor(None, s.id, _SUGGESTIONS_ORDER),
                node=SurveySuggestion(
                    id=strawberry.ID(str(s.id)),
                    service_id=strawberry.ID(str(s.service_id)),
                    service_name=s.service_name,
                    text=s.text,
                    submitted_at=s.submitted_at,
                ),
            )
            for s in rows[:limit]
        ]
        return SurveySuggestionConnection(
            edges=edges, page_info=page_info(edges, has_next=len(rows) > limit, after=after)
        )


# --- mutations ---------------------------------------------------------------------------


@strawberry.type
class SurveyMutation:
    @strawberry.mutation(description="Public (no login): one response to a service's survey.")
    async def submit_survey_response(
        self,
        info: strawberry.Info,
        code: str,
        answers: list[SurveyAnswerInput],
        client_token: str,
        profile: SurveyProfileInput | None = None,
        suggestion: str | None = None,
        extra_answers: list[SurveyExtraAnswerInput] | None = None,
    ) -> SubmitSurveyResponsePayload:
        async def body() -> public.Submitted:
            target, rules = await _resolve_with_rules(info, code)
            if info.context.redis is not None:
                await check_submission(
                    info.context.redis,
                    tenant_id=target.tenant_id,
                    code=code.strip(),
                    ip=_client_ip(info),
                    per_ip_hour=rules.per_ip_per_hour,
                    per_code_minute=info.context.settings.survey_rate_limit_per_code_per_minute,
                    per_code_client_minute=info.context.settings.survey_rate_limit_per_code_client_per_minute,
                )
            given: dict[str, object] = {}
            for a in answers:
                # A repeated element keeps an impossible value, so it is reported.
                given[a.element] = 0 if a.element in given else a.value
            return await public.submit(
                target,
                public.Submission(
                    answers=given,
                    client_token=client_token,
                    profile={
                        name: getattr(profile, name) if profile else None for name in PROFILE_FIELDS
                    },
                    suggestion=suggestion,
                    extra_answers={e.code: e.text for e in extra_answers or []},
                ),
                rules,
            )

        # Its one write is public.submit's last statement, after every check.
        done, errors = await run_mutation(body, savepoint=False)
        if done is None:
            return SubmitSurveyResponsePayload(errors=errors)
        return SubmitSurveyResponsePayload(accepted=True, replayed=done.replayed)

    @strawberry.mutation(description="Region admin: creates (no id) or updates a service.")
    async def save_survey_service(
        self, info: strawberry.Info, input: SurveyServiceInput
    ) -> SurveyServicePayload:
        actor = info.context.require_region_actor()

        async def body():
            return await admin.save_service(
                actor=actor,
                service_id=parse_id(input.id, "id"),
                data=admin.ServiceData(
                    unit_id=parse_id(input.unit_id, "unitId"),  # type: ignore[arg-type]
                    name=input.name,
                    description=input.description,
                    population_per_year=input.population_per_year,
                    is_active=input.is_active,
                ),
            )

        service, errors = await run_mutation(body)
        return SurveyServicePayload(
            service=SurveyServiceType.of(service) if service else None, errors=errors
        )

    @strawberry.mutation(description="Region admin: a campaign; each service gets its code.")
    async def create_survey_campaign(
        self, info: strawberry.Info, input: SurveyCampaignInput
    ) -> SurveyCampaignPayload:
        actor = info.context.require_region_actor()

        async def body():
            return await admin.create_campaign(
                actor=actor,
                data=admin.CampaignData(
                    name=input.name,
                    period_label=input.period_label,
                    opens_on=input.opens_on,
                    closes_on=input.closes_on,
                    service_ids=[
                        parse_id(i, "serviceIds")  # type: ignore[misc]
                        for i in input.service_ids
                    ],
                    extra_questions=[
                        {"code": q.code, "text": q.text, "required": q.required}
                        for q in input.extra_questions
                    ],
                    profile_fields=[_FROM_API.get(f, f) for f in input.profile_fields],
                ),
            )

        campaign, errors = await run_mutation(body)
        if campaign is None:
            return SurveyCampaignPayload(errors=errors)
        return SurveyCampaignPayload(campaign=(await _campaigns(info, [campaign]))[0])

    @strawberry.mutation(description="Region admin: moves a campaign's dates (or closes it).")
    async def set_survey_campaign_dates(
        self, info: strawberry.Info, campaign_id: strawberry.ID, opens_on: date, closes_on: date
    ) -> SurveyCampaignPayload:
        actor = info.context.require_region_actor()

        async def body():
            return await admin.set_campaign_dates(
                actor=actor,
                campaign_id=parse_id(campaign_id, "campaignId"),  # type: ignore[arg-type]
                opens_on=opens_on,
                closes_on=closes_on,
            )

        campaign, errors = await run_mutation(body)
        if campaign is None:
            return SurveyCampaignPayload(errors=errors)
        return SurveyCampaignPayload(campaign=(await _campaigns(info, [campaign]))[0])

    @strawberry.mutation(description="Region admin: publishes (or withdraws) a campaign's results.")
    async def publish_survey_results(
        self, info: strawberry.Info, campaign_id: strawberry.ID, published: bool = True
    ) -> SurveyCampaignPayload:
        actor = info.context.require_region_actor()

        async def body():
            return await results.set_published(
                actor=actor,
                campaign_id=parse_id(campaign_id, "campaignId"),  # type: ignore[arg-type]
                published=published,
            )

        campaign, errors = await run_mutation(body)
        if campaign is None:
            return SurveyCampaignPayload(errors=errors)
        return SurveyCampaignPayload(campaign=(await _campaigns(info, [campaign]))[0])

    @strawberry.mutation(description="Region admin: recomputes a campaign's results now.")
    async def recompute_survey_results(
        self, info: strawberry.Info, campaign_id: strawberry.ID
    ) -> RecomputeSurveyResultsPayload:
        actor = info.context.require_region_actor()

        async def body():
            cid = parse_id(campaign_id, "campaignId")
            await admin.get_campaign(actor=actor, campaign_id=cid)  # type: ignore[arg-type]
            await aggregation.aggregate(campaign_id=cid)  # type: ignore[arg-type]
            return await results.campaign_results(
                actor=actor,
                campaign_id=cid,
                group_by=ResultScope.SERVICE,  # type: ignore[arg-type]
            )

        found, errors = await run_mutation(body)
        return RecomputeSurveyResultsPayload(
            results=SurveyResults.of(found) if found else None, errors=errors
        )
