"""surveys: the Mutation fields, their inputs and payloads."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from kinerja_saas.surveys import admin, aggregation, public, results
from kinerja_saas.surveys.models import ResultScope
from kinerja_saas.surveys.ratelimit import check_submission
from kinerja_saas.surveys.rules import PROFILE_FIELDS
from schema.errors import parse_id
from schema.payloads import mutate, payload
from schema.surveys.types import (
    SurveyCampaignType,
    SurveyResults,
    SurveyServiceType,
    api_name,
    campaigns_of,
    enter_region,
    refuse_unknown_code,
    request_ip,
)


async def _resolve_with_rules(
    info: strawberry.Info, code: str
) -> tuple[public.CodeTarget, public.Rules]:
    found = await public.resolve_code_with_rules(code.strip())
    if found is None:
        await refuse_unknown_code(info)
    target, rules = found
    await enter_region(info, target.tenant_id)
    return target, rules


_FROM_API = {api_name(f): f for f in PROFILE_FIELDS}


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


@payload
class SubmitSurveyResponsePayload:
    accepted: bool = False
    replayed: bool = strawberry.field(
        default=False, description="This clientToken was already accepted; nothing new stored"
    )


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


@payload
class SurveyServicePayload:
    service: SurveyServiceType | None


@payload
class SurveyCampaignPayload:
    campaign: SurveyCampaignType | None


@payload
class RecomputeSurveyResultsPayload:
    results: SurveyResults | None


async def _campaign(info: strawberry.Info, campaign: Any) -> SurveyCampaignType:
    return (await campaigns_of(info, [campaign]))[0]


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
                    ip=request_ip(info),
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
        return await mutate(
            SubmitSurveyResponsePayload,
            body,
            lambda done: {"accepted": True, "replayed": done.replayed},
            savepoint=False,
        )

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
                    unit_id=parse_id(input.unit_id, "unitId"),
                    name=input.name,
                    description=input.description,
                    population_per_year=input.population_per_year,
                    is_active=input.is_active,
                ),
            )

        return await mutate(SurveyServicePayload, body, SurveyServiceType.of)

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
                    service_ids=[parse_id(i, "serviceIds") for i in input.service_ids],
                    extra_questions=[
                        {"code": q.code, "text": q.text, "required": q.required}
                        for q in input.extra_questions
                    ],
                    profile_fields=[_FROM_API.get(f, f) for f in input.profile_fields],
                ),
            )

        return await mutate(SurveyCampaignPayload, body, lambda c: _campaign(info, c))

    @strawberry.mutation(description="Region admin: moves a campaign's dates (or closes it).")
    async def set_survey_campaign_dates(
        self, info: strawberry.Info, campaign_id: strawberry.ID, opens_on: date, closes_on: date
    ) -> SurveyCampaignPayload:
        actor = info.context.require_region_actor()

        async def body():
            return await admin.set_campaign_dates(
                actor=actor,
                campaign_id=parse_id(campaign_id, "campaignId"),
                opens_on=opens_on,
                closes_on=closes_on,
            )

        return await mutate(SurveyCampaignPayload, body, lambda c: _campaign(info, c))

    @strawberry.mutation(description="Region admin: publishes (or withdraws) a campaign's results.")
    async def publish_survey_results(
        self, info: strawberry.Info, campaign_id: strawberry.ID, published: bool = True
    ) -> SurveyCampaignPayload:
        actor = info.context.require_region_actor()

        async def body():
            return await results.set_published(
                actor=actor,
                campaign_id=parse_id(campaign_id, "campaignId"),
                published=published,
            )

        return await mutate(SurveyCampaignPayload, body, lambda c: _campaign(info, c))

    @strawberry.mutation(description="Region admin: recomputes a campaign's results now.")
    async def recompute_survey_results(
        self, info: strawberry.Info, campaign_id: strawberry.ID
    ) -> RecomputeSurveyResultsPayload:
        actor = info.context.require_region_actor()

        async def body():
            cid = parse_id(campaign_id, "campaignId")
            await admin.get_campaign(actor=actor, campaign_id=cid)
            await aggregation.aggregate(campaign_id=cid)
            return await results.campaign_results(
                actor=actor,
                campaign_id=cid,
                group_by=ResultScope.SERVICE,
            )

        return await mutate(RecomputeSurveyResultsPayload, body, SurveyResults.of)
