"""The region admin's side of the surveys: services (layanan) and campaigns."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from tortoise import connections

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.org.models import Unit
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
    if not await Unit.filter(tenant_id=tenant_id, id=data.unit_id).exists():
        errors.add("unitId", CommonError.NOT_FOUND)
    errors.raise_if_any()
    clash = SurveyService.filter(tenant_id=tenant_id, unit_id=data.unit_id, name=name)
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
    service = await SurveyService.get_or_none(tenant_id=tenant_id, id=service_id)
    if service is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
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
    found = await SurveyService.filter(
        tenant_id=tenant_id, id__in=service_ids, is_active=True
    ).values_list("id", flat=True)
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
    campaign = await SurveyCampaign.get_or_none(tenant_id=current_tenant_id(), id=campaign_id)
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

# Newest first (opens_on, id descending), keyset after ($5 opens_on, $6 id). $2 region's
# today, $3 status, $4 year, $7 a unit head's path (campaigns covering one of its services).
_CAMPAIGNS_SQL = """
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
        WHERE cs.tenant_id = $1 AND cs.campaign_id = c.id AND u.path LIKE $7 || '%'))
ORDER BY c.opens_on DESC, c.id DESC
LIMIT $8
"""


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
    rows = await connections.get("default").execute_query_dict(
        _CAMPAIGNS_SQL,
        [
            tenant_id,
            today,
            flt.status.value if flt.status else None,
            flt.year,
            after[0] if after else None,
            after[1] if after else None,
            scope.unit_path,
            limit + 1,
        ],
    )
    ids = [r["id"] for r in rows]
    by_id = {c.id: c for c in await SurveyCampaign.filter(tenant_id=tenant_id, id__in=ids)}
    return [by_id[i] for i in ids], scope.unit_path


async def campaign_services(campaign_ids: list[int], unit_path: str | None = None) -> list[dict]:
    """The covered services of campaigns with their codes, units and populations (with
    `unit_path`, only those of that unit and its sub-units)."""
    return await connections.get("default").execute_query_dict(
        "SELECT cs.campaign_id, cs.service_id, cs.code, s.name, s.unit_id,"
        " s.population_per_year, u.name AS unit_name"
        " FROM survey_campaign_services cs"
        " JOIN survey_services s ON s.tenant_id = cs.tenant_id AND s.id = cs.service_id"
        " JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id"
        " WHERE cs.tenant_id = $1 AND cs.campaign_id = ANY($2::bigint[])"
        " AND ($3::text IS NULL OR u.path LIKE $3 || '%')"
        " ORDER BY cs.campaign_id, u.name, s.name",
        [current_tenant_id(), campaign_ids, unit_path],
    )
