"""surveys: the Query fields and their arguments (filters, orderings)."""

from __future__ import annotations

from datetime import date

import strawberry

from kinerja_saas.errors import CommonError, NotFound, PermissionDenied
from kinerja_saas.regions import queries as regions
from kinerja_saas.surveys import admin, public, results
from kinerja_saas.surveys.models import ResultScope
from kinerja_saas.surveys.rules import PROFILE_FIELDS
from schema.errors import parse_id
from schema.pagination import decode_cursor, encode_cursor, page_info, page_size
from schema.surveys.types import (
    ExtraQuestion,
    SurveyCampaignConnection,
    SurveyCampaignEdge,
    SurveyCampaignStatus,
    SurveyForm,
    SurveyFormElement,
    SurveyProfileField,
    SurveyResults,
    SurveyResultsGroupBy,
    SurveyServiceType,
    SurveySuggestion,
    SurveySuggestionConnection,
    SurveySuggestionEdge,
    SurveyTrendPoint,
    api_name,
    campaigns_of,
    enter_region,
    refuse_unknown_code,
)
from tenants.context import RegionMismatch
from tenants.models import RegionStatus


async def _resolve(info: strawberry.Info, code: str) -> public.CodeTarget:
    target = await public.resolve_code(code.strip())
    if target is None:
        await refuse_unknown_code(info)
    await enter_region(info, target.tenant_id)
    return target


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
                SurveyProfileField(field=api_name(f), values=list(PROFILE_FIELDS[f]))
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
        tenant = await regions.region_by_slug(region_slug)
        if tenant is None or tenant.status != RegionStatus.ACTIVE:
            raise not_found
        try:
            await enter_region(info, tenant.id)
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
        nodes = await campaigns_of(info, rows[:limit], unit_path)
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
            campaign_id=parse_id(campaign_id, "campaignId"),
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
            campaign_id=parse_id(campaign_id, "campaignId"),
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


@strawberry.input
class SurveyCampaignFilter:
    status: SurveyCampaignStatus | None = None
    year: int | None = strawberry.field(
        default=None, description="Campaigns running at any time in this year"
    )
