"""Survey fixtures: a service and an open campaign in a region, responses, and a row in
every survey table (for the isolation tests)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kinerja_saas.auth.roles import Role
from kinerja_saas.surveys import admin, aggregation, public
from kinerja_saas.surveys.models import SurveyCampaignService
from tenants.context import tenant_transaction

_tokens = itertools.count(1)


@dataclass
class Campaign:
    id: int
    codes: dict[str, str]  # service key -> public code
    services: dict[str, int]  # service key -> service id


async def open_campaign(
    region: Any,
    *,
    populations: dict[str, int] | None = None,
    profile_fields: tuple[str, ...] = ("age_band", "gender", "education", "occupation"),
    days_open: int = 10,
) -> Campaign:
    """Services 'ktp' (unit A) and 'akta' (unit B) by default, in a campaign open today."""
    populations = populations or {"ktp": 1000, "akta": 100}
    units = ["a", "b", "dinas"]
    actor = region.actor(Role.REGION_ADMIN)
    async with tenant_transaction(region.id):
        services = {}
        for i, (key, population) in enumerate(populations.items()):
            service = await admin.save_service(
                actor=actor,
                service_id=None,
                data=admin.ServiceData(
                    unit_id=region.units[units[i % 3]].id,
                    name=f"Layanan {key}",
                    population_per_year=population,
                ),
            )
            services[key] = service.id
        campaign = await admin.create_campaign(
            actor=actor,
            data=admin.CampaignData(
                name="SKM Semester I",
                period_label="Semester I",
                opens_on=region.today - timedelta(days=1),
                closes_on=region.today + timedelta(days=days_open),
                service_ids=list(services.values()),
                extra_questions=[{"code": "Q1", "text": "Apa yang perlu diperbaiki?"}],
                profile_fields=list(profile_fields),
            ),
        )
        rows = await SurveyCampaignService.filter(tenant_id=region.id, campaign_id=campaign.id)
    by_id = {v: k for k, v in services.items()}
    return Campaign(campaign.id, {by_id[r.service_id]: r.code for r in rows}, services)


def token() -> str:
    return f"client-token-{next(_tokens):06d}"


async def respond(
    region: Any,
    code: str,
    answers: list[int],
    *,
    profile: dict | None = None,
    suggestion: str | None = None,
    client_token: str | None = None,
) -> public.Submitted:
    """A submission through the service (no HTTP, no rate limit), as the API makes it: the
    code and its rules from the definer function, then the region's transaction."""
    found = await public.resolve_code_with_rules(code)
    assert found is not None
    target, rules = found
    assert target.tenant_id == region.id
    async with tenant_transaction(region.id):
        return await public.submit(
            target,
            public.Submission(
                answers={f"U{i}": v for i, v in enumerate(answers, 1)},
                client_token=client_token or token(),
                profile=profile or {},
                suggestion=suggestion,
            ),
            rules,
        )


async def recompute(region: Any, campaign_id: int) -> aggregation.AggregationRun:
    async with tenant_transaction(region.id):
        return await aggregation.aggregate(campaign_id=campaign_id)


async def fill_survey_tables(region: Any) -> Campaign:
    """A row in every survey table of the region: services, a campaign with codes, a
    response and its aggregated results, and a later response still pending."""
    campaign = await open_campaign(region)
    await respond(region, campaign.codes["ktp"], [3] * 9, profile={"gender": "PEREMPUAN"})
    await recompute(region, campaign.id)
    await respond(region, campaign.codes["akta"], [4] * 9)
    return campaign
