"""Bringing a region onto the platform, and the operators' side of looking after it.

`onboard_region` writes the tenant, its default settings, its reference data and its first
region admin in the caller's transaction: a failure half-way leaves nothing behind."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from kinerja_saas.audit.service import record
from kinerja_saas.auth.activation import activation_token
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.events import ACTIVATION_REQUESTED
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import ROLE_LABELS, Role
from kinerja_saas.auth.service import normalise_email
from kinerja_saas.errors import CommonError, ErrorCollector, NotFound, PermissionDenied
from kinerja_saas.org.rules import valid_email
from kinerja_saas.outbox.service import emit
from kinerja_saas.performance.models import BehaviourValue
from kinerja_saas.regions import defaults, queries
from kinerja_saas.regions.errors import RegionError
from kinerja_saas.regions.settings import RegionSettings, changed
from kinerja_saas.regions.settings import defaults as default_settings
from kinerja_saas.regions.settings import load as load_settings
from kinerja_saas.surveys.models import SurveyElement
from kinerja_saas.training.models import Competency, CompetencyKind, RuleTrigger, TrainingRule
from tenants.context import current_tenant_id, tenant_transaction
from tenants.models import RegionKind, RegionStatus, RegionTimezone, Tenant
from tenants.plans import RegionPlan

SLUG = re.compile(r"^[a-z][a-z0-9-]{0,61}[a-z0-9]$")
RESERVED_SLUGS = frozenset({"admin", "api", "platform", "www", "graphql", "static", "s"})


def require_operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise PermissionDenied(CommonError.FORBIDDEN, allowed=[ROLE_LABELS[Role.PLATFORM_OPERATOR]])


@dataclass(frozen=True)
class RegionInput:
    slug: str
    name: str
    kind: RegionKind
    province: str
    timezone: RegionTimezone
    admin_name: str
    admin_email: str


@dataclass(frozen=True)
class Onboarded:
    tenant: Tenant
    admin: UserAccount
    activation_token: str


async def _validate(data: RegionInput) -> RegionInput:
    errors = ErrorCollector()
    slug = data.slug.strip()
    if not SLUG.match(slug) or "--" in slug:
        errors.add("slug", CommonError.INVALID, example="kota-palembang")
    elif slug in RESERVED_SLUGS:
        errors.add("slug", RegionError.RESERVED, slug=slug)
    elif await Tenant.exists(slug=slug):
        errors.add("slug", CommonError.DUPLICATE)
    for field, value in (
        ("name", data.name),
        ("province", data.province),
        ("admin.name", data.admin_name),
    ):
        if not value.strip():
            errors.add(field, CommonError.REQUIRED)
    email = normalise_email(data.admin_email)
    if not valid_email(email):
        errors.add("admin.email", CommonError.INVALID, example="admin@bkpsdm.go.id")
    errors.raise_if_any()
    return RegionInput(
        slug,
        data.name.strip(),
        data.kind,
        data.province.strip(),
        data.timezone,
        data.admin_name.strip(),
        email,
    )


async def seed_reference_data(tenant_id: int) -> None:
    """The regulations' reference data and the starter catalogue, one INSERT per table."""
    await BehaviourValue.bulk_create(
        [
            BehaviourValue(
                tenant_id=tenant_id, code=code, name=name, guide_behaviours=list(guides), position=i
            )
            for i, (code, name, guides) in enumerate(defaults.BERAKHLAK, 1)
        ]
    )
    await SurveyElement.bulk_create(
        [
            SurveyElement(
                tenant_id=tenant_id, code=code, name=name, answer_labels=list(labels), position=i
            )
            for i, (code, name, labels) in enumerate(defaults.SKM_ELEMENTS, 1)
        ]
    )
    await Competency.bulk_create(
        [
            Competency(tenant_id=tenant_id, code=code, name=name, kind=CompetencyKind(kind))
            for code, name, kind in defaults.COMPETENCIES
        ]
    )
    competency_ids = dict(await Competency.filter(tenant_id=tenant_id).values_list("code", "id"))
    await TrainingRule.bulk_create(
        [
            TrainingRule(
                tenant_id=tenant_id,
                trigger=RuleTrigger(trigger),
                trigger_value=value,
                competency_id=competency_ids[code],
                priority=priority,
            )
            for trigger, value, code, priority in defaults.TRAINING_RULES
        ]
    )


async def onboard_region(*, actor: Actor, data: RegionInput, secret: str) -> Onboarded:
    require_operator(actor)
    data = await _validate(data)
    tenant = await Tenant.create(
        slug=data.slug,
        name=data.name,
        kind=data.kind,
        province=data.province,
        timezone=data.timezone,
        settings=default_settings(),
    )
    async with tenant_transaction(tenant.id):
        await seed_reference_data(tenant.id)
        admin = await UserAccount.create(
            tenant_id=tenant.id,
            email=data.admin_email,
            name=data.admin_name,
            roles=[Role.REGION_ADMIN.value],
            password_hash=None,
        )
        await record(
            actor=actor,
            action="region.onboard",
            entity="region",
            entity_id=tenant.id,
            after={"slug": tenant.slug, "name": tenant.name, "admin": admin.email},
        )
        await emit(ACTIVATION_REQUESTED, {"user_ids": [admin.id]})
    token = activation_token(
        tenant_id=tenant.id, user_id=admin.id, token_version=admin.token_version, secret=secret
    )
    return Onboarded(tenant, admin, token)


async def set_region_status(
    *, actor: Actor, tenant_id: int, status: RegionStatus, reason: str | None = None
) -> Tenant:
    """Suspending takes effect at once: every request checks the status of its region."""
    require_operator(actor)
    tenant = await Tenant.get_or_none(id=tenant_id)
    if tenant is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    if tenant.status != status:
        before = tenant.status.value
        await queries.set_status_as_platform(tenant.id, status)
        tenant.status = status
        async with tenant_transaction(tenant.id, require_active=False):
            await record(
                actor=actor,
                action=f"region.{status.value.lower()}",
                entity="region",
                entity_id=tenant.id,
                before={"status": before},
                after={"status": status.value, "reason": reason},
            )
    return tenant


async def set_region_plan(*, actor: Actor, tenant_id: int, plan: RegionPlan) -> Tenant:
    """The region's request limits follow its plan from its next request on (the plan is
    read with the tenant setting of every request)."""
    require_operator(actor)
    tenant = await Tenant.get_or_none(id=tenant_id)
    if tenant is None:
        raise NotFound(CommonError.NOT_FOUND, field="id")
    if tenant.plan != plan:
        before = tenant.plan.value
        await queries.set_plan_as_platform(tenant.id, plan)
        tenant.plan = plan
        async with tenant_transaction(tenant.id, require_active=False):
            await record(
                actor=actor,
                action="region.plan_changed",
                entity="region",
                entity_id=tenant.id,
                before={"plan": before},
                after={"plan": plan.value},
            )
    return tenant


async def update_settings(
    *, actor: Actor, changes: Mapping[str, Mapping[str, Any]]
) -> RegionSettings:
    """Applies `changes` (section -> setting -> value; None keeps a value) whole or not at
    all: every broken setting is reported at once (regions.settings.changed)."""
    actor.require(Role.REGION_ADMIN)
    # Locked until the transaction ends: two admins saving at once cannot lose a change.
    tenant = await Tenant.filter(id=current_tenant_id()).select_for_update().get()
    current = load_settings(tenant.settings)
    updated = changed(current, changes)
    await Tenant.filter(id=tenant.id).update(settings=updated.stored())
    await record(
        actor=actor,
        action="region.settings",
        entity="region",
        entity_id=tenant.id,
        before=current.flat(),
        after=updated.flat(),
    )
    return updated


@dataclass(frozen=True)
class RegionOverview:
    tenant: Tenant
    employees: int
    units: int
    last_activity: datetime | None


async def list_regions(
    *,
    actor: Actor,
    search: str | None,
    status: RegionStatus | None,
    limit: int,
    after: tuple[str, int] | None,
) -> list[RegionOverview]:
    """A keyset page of regions by name, with their counts (one extra statement)."""
    require_operator(actor)
    query = Tenant.all()
    if search and search.strip():
        term = search.strip()
        query = query.filter(Q(name__icontains=term) | Q(slug__icontains=term))
    if status is not None:
        query = query.filter(status=status)
    if after is not None:
        query = query.filter(Q(name__gt=after[0]) | Q(name=after[0], id__gt=after[1]))
    tenants = await query.order_by("name", "id").limit(limit + 1)
    if not tenants:
        return []
    stats = await queries.region_stats([t.id for t in tenants])
    return [
        RegionOverview(
            t, stats[t.id]["employees"], stats[t.id]["units"], stats[t.id]["last_activity"]
        )
        for t in tenants
    ]
