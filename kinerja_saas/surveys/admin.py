"""The region admin's side of the surveys: services (layanan) and campaigns."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.org.models import Unit
from kinerja_saas.surveys import queries
from kinerja_saas.surveys.access import results_scope
from kinerja_saas.surveys.errors import SurveyError
from kinerja_saas.surveys.models import SurveyCampaign, SurveyCampaignService, SurveyService
from kinerja_saas.surveys.public import region_today
from kinerja_saas.surveys.rules import PROFILE_FIELDS
from tenants.context import current_tenant_id
from tenants.models import Tenant

CODE_BYTES = 18  # secrets.token_urlsafe(18): 24 characters, 144 random bits
EXTRA_QUESTION_CODE = re.compile(r"[A-Za-z0-9_]{1,20}")
MAX_EXTRA_QUESTIONS = 10


def require_admin(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN)


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
        if name:
            errors.add("name", CommonError.TOO_LONG, max=200)
        else:
            errors.add("name", CommonError.REQUIRED, min=1, max=200)
    if not 0 <= data.population_per_year <= 100_000_000:
        errors.add("populationPerYear", CommonError.OUT_OF_RANGE, min=0, max=100_000_000)
    if not await scoped(Unit).filter(id=data.unit_id).exists():
        errors.add("unitId", CommonError.NOT_FOUND)
    errors.raise_if_any()
    clash = scoped(SurveyService).filter(unit_id=data.unit_id, name=name)
    if service_id is not None:
        clash = clash.exclude(id=service_id)
    if await clash.exists():
        errors.add("name", CommonError.DUPLICATE)
        errors.raise_if_any()
    values: dict[str, Any] = {
        "unit_id": data.unit_id,
        "name": name,
        "description": data.description.strip(),
        "population_per_year": data.population_per_year,
        "is_active": data.is_active,
    }
    if service_id is None:
        return await SurveyService.create(tenant_id=tenant_id, **values)
    service = await scoped(SurveyService).get_or_none(id=service_id)
    if service is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    for key, value in values.items():
        setattr(service, key, value)
    await service.save_fields(*values)
    return service


async def list_services(*, actor: Actor, unit_id: int | None = None) -> list[SurveyService]:
    require_admin(actor)
    query = scoped(SurveyService)
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
        errors.add("name", CommonError.REQUIRED, min=1, max=200)
    if not data.period_label.strip() or len(data.period_label) > 100:
        errors.add("periodLabel", CommonError.REQUIRED, min=1, max=100)
    if data.closes_on < data.opens_on:
        errors.add("closesOn", SurveyError.DATES_REVERSED)
    if not data.service_ids:
        errors.add("serviceIds", CommonError.REQUIRED)
    unknown = [f for f in data.profile_fields if f not in PROFILE_FIELDS]
    if unknown or len(set(data.profile_fields)) != len(data.profile_fields):
        errors.add("profileFields", CommonError.INVALID, values=list(PROFILE_FIELDS))
    if len(data.extra_questions) > MAX_EXTRA_QUESTIONS:
        errors.add("extraQuestions", CommonError.TOO_MANY, max=MAX_EXTRA_QUESTIONS)
    codes = [q["code"] for q in data.extra_questions]
    if len(set(codes)) != len(codes):
        errors.add("extraQuestions", CommonError.DUPLICATE)
    for i, question in enumerate(data.extra_questions):
        if not EXTRA_QUESTION_CODE.fullmatch(question["code"]):
            errors.add(f"extraQuestions.{i}.code", CommonError.INVALID, example="PUAS_WAKTU")
        if not question["text"].strip() or len(question["text"]) > 500:
            errors.add(f"extraQuestions.{i}.text", CommonError.REQUIRED, min=1, max=500)


async def create_campaign(*, actor: Actor, data: CampaignData) -> SurveyCampaign:
    """A campaign over services of this region; each covered service gets its public code."""
    require_admin(actor)
    tenant_id = current_tenant_id()
    errors = ErrorCollector()
    _check_campaign(data, errors)
    service_ids = sorted(set(data.service_ids))
    found = (
        await scoped(SurveyService)
        .filter(id__in=service_ids, is_active=True)
        .values_list("id", flat=True)
    )
    if data.service_ids and len(found) != len(service_ids):
        errors.add("serviceIds", CommonError.NOT_FOUND)
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
        errors.add("closesOn", SurveyError.DATES_REVERSED)
        errors.raise_if_any()
    campaign.opens_on, campaign.closes_on = opens_on, closes_on
    await campaign.save_fields("opens_on", "closes_on")
    return campaign


async def get_campaign(*, actor: Actor, campaign_id: int) -> SurveyCampaign:
    require_admin(actor)
    return await campaign_of_region(campaign_id)


async def campaign_of_region(campaign_id: int) -> SurveyCampaign:
    """A campaign of the current region (no role check: the caller has done it)."""
    campaign = await scoped(SurveyCampaign).get_or_none(id=campaign_id)
    if campaign is None:
        raise NotFound(CommonError.NOT_FOUND, field="campaignId")
    return campaign


class CampaignStatus(StrEnum):
    UPCOMING = "UPCOMING"  # opens after today
    OPEN = "OPEN"  # open today
    CLOSED = "CLOSED"  # closed before today


@dataclass(frozen=True)
class CampaignFilter:
    status: CampaignStatus | None = None
    year: int | None = None  # campaigns running at any time in that year


MAX_YEAR_SPAN = (2000, 2100)


async def list_campaigns(
    *,
    actor: Actor,
    flt: CampaignFilter | None = None,
    limit: int = 100,
    after: tuple[date, int] | None = None,
) -> tuple[list[SurveyCampaign], str | None]:
    """A page of campaigns, newest first (`limit + 1` rows tell whether more follow), and
    the unit path a unit head's view is narrowed to (None: the region admin's whole view).
    A unit head sees the campaigns covering a service of their unit or sub-units."""
    scope = await results_scope(actor)
    flt = flt or CampaignFilter()
    if flt.year is not None and not MAX_YEAR_SPAN[0] <= flt.year <= MAX_YEAR_SPAN[1]:
        errors = ErrorCollector()
        errors.add("filter.year", CommonError.OUT_OF_RANGE, min="2000", max="2100")
        errors.raise_if_any()
    tenant_id = current_tenant_id()
    today = region_today(await Tenant.get(id=tenant_id))
    ids = await queries.campaign_ids_page(
        today=today,
        status=flt.status.value if flt.status else None,
        year=flt.year,
        after=after,
        unit_path=scope.unit_path,
        limit=limit,
    )
    by_id = {c.id: c for c in await scoped(SurveyCampaign).filter(id__in=ids)}
    return [by_id[i] for i in ids], scope.unit_path


campaign_services = queries.campaign_services
