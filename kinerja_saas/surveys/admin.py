"""The region admin's side of the surveys: services (layanan) and campaigns."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import ErrorCollector, NotFound
from kinerja_saas.org.models import Unit
from kinerja_saas.surveys.models import SurveyCampaign, SurveyCampaignService, SurveyService
from kinerja_saas.surveys.rules import PROFILE_FIELDS
from tenants.context import current_tenant_id

CODE_BYTES = 18  # secrets.token_urlsafe(18): 24 characters, 144 random bits
EXTRA_QUESTION_CODE = re.compile(r"[A-Za-z0-9_]{1,20}")
MAX_EXTRA_QUESTIONS = 10


def require_admin(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN, "Only the region admin manages surveys.")


@dataclass(frozen=True)
class ServiceData:
    unit_id: int
    name: str
    description: str = ""
    population_per_year: int = 0
    is_active: bool = True


async def save_service(*, actor: Actor, service_id: int | None, data: ServiceData) -> SurveyService:
    require_admin(actor)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    name = data.name.strip()
    if not name or len(name) > 200:
        errors.add("name", "REQUIRED" if not name else "TOO_LONG", "1 to 200 characters.")
    if not 0 <= data.population_per_year <= 100_000_000:
        errors.add("populationPerYear", "OUT_OF_RANGE", "Must be between 0 and 100,000,000.")
    if not await Unit.filter(tenant_id=tenant_id, id=data.unit_id).exists():
        errors.add("unitId", "NOT_FOUND", "No such unit in this region.")
    errors.raise_if_any()
    clash = SurveyService.filter(tenant_id=tenant_id, unit_id=data.unit_id, name=name)
    if service_id is not None:
        clash = clash.exclude(id=service_id)
    if await clash.exists():
        errors.add("name", "DUPLICATE", "This unit already has a service with this name.")
        errors.raise_if_any()
    values = {
        "unit_id": data.unit_id,
        "name": name,
        "description": data.description.strip(),
        "population_per_year": data.population_per_year,
        "is_active": data.is_active,
    }
    if service_id is None:
        return await SurveyService.create(tenant_id=tenant_id, **values)
    service = await SurveyService.get_or_none(tenant_id=tenant_id, id=service_id)
    if service is None:
        raise NotFound("No such service.", field="id")
    for key, value in values.items():
        setattr(service, key, value)
    await service.save_fields(*values)
    return service


async def list_services(*, actor: Actor, unit_id: int | None = None) -> list[SurveyService]:
    require_admin(actor)
    query = SurveyService.filter(tenant_id=current_tenant_id())
    if unit_id is not None:
        query = query.filter(unit_id=unit_id)
    return await query.order_by("unit_id", "name")


@dataclass(frozen=True)
class CampaignData:
    name: str
    period_label: str
    opens_on: date
    closes_on: date
    service_ids: list[int]
    extra_questions: list[dict] = field(default_factory=list)  # {code, text, required}
    profile_fields: list[str] = field(default_factory=list)


def _check_campaign(data: CampaignData, errors: ErrorCollector) -> None:
    if not data.name.strip() or len(data.name) > 200:
        errors.add("name", "REQUIRED", "1 to 200 characters.")
    if not data.period_label.strip() or len(data.period_label) > 100:
        errors.add("periodLabel", "REQUIRED", "1 to 100 characters, e.g. 'Semester I 2026'.")
    if data.closes_on < data.opens_on:
        errors.add("closesOn", "DATES_REVERSED", "The campaign cannot close before it opens.")
    if not data.service_ids:
        errors.add("serviceIds", "REQUIRED", "Choose at least one service.")
    unknown = [f for f in data.profile_fields if f not in PROFILE_FIELDS]
    if unknown or len(set(data.profile_fields)) != len(data.profile_fields):
        errors.add(
            "profileFields", "INVALID", f"Choose distinct fields of {', '.join(PROFILE_FIELDS)}."
        )
    if len(data.extra_questions) > MAX_EXTRA_QUESTIONS:
        errors.add("extraQuestions", "TOO_MANY", f"At most {MAX_EXTRA_QUESTIONS} questions.")
    codes = [q["code"] for q in data.extra_questions]
    if len(set(codes)) != len(codes):
        errors.add("extraQuestions", "DUPLICATE", "Question codes must be distinct.")
    for i, question in enumerate(data.extra_questions):
        if not EXTRA_QUESTION_CODE.fullmatch(question["code"]):
            errors.add(f"extraQuestions.{i}.code", "INVALID", "Letters, digits and _, up to 20.")
        if not question["text"].strip() or len(question["text"]) > 500:
            errors.add(f"extraQuestions.{i}.text", "REQUIRED", "1 to 500 characters.")


async def create_campaign(*, actor: Actor, data: CampaignData) -> SurveyCampaign:
    """A campaign over services of this region; each covered service gets its public code."""
    require_admin(actor)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    _check_campaign(data, errors)
    service_ids = sorted(set(data.service_ids))
    found = await SurveyService.filter(
        tenant_id=tenant_id, id__in=service_ids, is_active=True
    ).values_list("id", flat=True)
    if data.service_ids and len(found) != len(service_ids):
        errors.add("serviceIds", "NOT_FOUND", "Some services are unknown or inactive here.")
    errors.raise_if_any()
    campaign = await SurveyCampaign.create(
        tenant_id=tenant_id,
        name=data.name.strip(),
        period_label=data.period_label.strip(),
        opens_on=data.opens_on,
        closes_on=data.closes_on,
        extra_questions=[
            {"code": q["code"], "text": q["text"].strip(), "required": bool(q.get("required"))}
            for q in data.extra_questions
        ],
        profile_fields=list(data.profile_fields),
    )
    await SurveyCampaignService.bulk_create(
        [
            SurveyCampaignService(
                tenant_id=tenant_id,
                campaign_id=campaign.id,
                service_id=service_id,
                code=secrets.token_urlsafe(CODE_BYTES),
            )
            for service_id in service_ids
        ]
    )
    return campaign


async def set_campaign_dates(
    *, actor: Actor, campaign_id: int, opens_on: date, closes_on: date
) -> SurveyCampaign:
    """Extends or closes a campaign early (closing: closes_on before today)."""
    campaign = await get_campaign(actor=actor, campaign_id=campaign_id)
    if closes_on < opens_on:
        errors = ErrorCollector()
        errors.add("closesOn", "DATES_REVERSED", "The campaign cannot close before it opens.")
        errors.raise_if_any()
    campaign.opens_on, campaign.closes_on = opens_on, closes_on
    await campaign.save_fields("opens_on", "closes_on")
    return campaign


async def get_campaign(*, actor: Actor, campaign_id: int) -> SurveyCampaign:
    require_admin(actor)
    campaign = await SurveyCampaign.get_or_none(tenant_id=current_tenant_id(), id=campaign_id)
    if campaign is None:
        raise NotFound("No such campaign.", field="campaignId")
    return campaign


async def list_campaigns(*, actor: Actor) -> list[SurveyCampaign]:
    require_admin(actor)
    return await SurveyCampaign.filter(tenant_id=current_tenant_id()).order_by("-opens_on", "-id")


async def campaign_services(campaign_ids: list[int]) -> list[dict]:
    """The covered services of campaigns with their codes, units and populations."""
    from tortoise import connections

    return await connections.get("default").execute_query_dict(
        "SELECT cs.campaign_id, cs.service_id, cs.code, s.name, s.unit_id,"
        " s.population_per_year, u.name AS unit_name"
        " FROM survey_campaign_services cs"
        " JOIN survey_services s ON s.tenant_id = cs.tenant_id AND s.id = cs.service_id"
        " JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id"
        " WHERE cs.tenant_id = $1 AND cs.campaign_id = ANY($2::bigint[])"
        " ORDER BY cs.campaign_id, u.name, s.name",
        [current_tenant_id(), campaign_ids],
    )
