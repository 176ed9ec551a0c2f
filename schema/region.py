"""Regions (tenants): the current region and its settings, and the operators' side —
onboarding, the overview of every region, suspension."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from kinerja_saas.regions import onboarding
from kinerja_saas.regions.region_settings import with_defaults
from schema.errors import UserError, parse_id, run_mutation
from schema.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size
from tenants.models import RegionKind as _RegionKind
from tenants.models import RegionStatus as _RegionStatus
from tenants.models import RegionTimezone as _RegionTimezone
from tenants.models import Tenant
from tenants.plans import RegionPlan as _RegionPlan

RegionKind = strawberry.enum(_RegionKind, description="Kabupaten, kota or provinsi.")
RegionStatus = strawberry.enum(_RegionStatus)
RegionPlan = strawberry.enum(
    _RegionPlan,
    description="A region's share of the platform: its request limits per minute.",
)
RegionTimezone = strawberry.enum(
    Enum("RegionTimezone", {m.name: m.value for m in _RegionTimezone}),
    description="WIB (Asia/Jakarta), WITA (Asia/Makassar), WIT (Asia/Jayapura).",
)


@strawberry.type
class PerformanceSettings:
    result_threshold_above: float = strawberry.field(
        description="Achievement (%) from which the proposed result rating is DI_ATAS_EKSPEKTASI"
    )
    result_threshold_expected: float = strawberry.field(
        description="Achievement (%) from which it is SESUAI_EKSPEKTASI; below: DI_BAWAH_EKSPEKTASI"
    )
    achievement_cap: float = strawberry.field(
        description="Ceiling of an indicator's achievement (%)"
    )
    low_performer_predikat: list[str]
    low_indicator_floor: float = strawberry.field(
        description="An indicator under this achievement (%) marks a low performer"
    )
    checkpoint: str = strawberry.field(description="MONTHLY, QUARTERLY or SEMESTER")
    appeal_window_days: int
    deadline_notice_days: int = strawberry.field(
        description="Days before a checkpoint's realisation deadline that it is announced as near"
    )
    approval_reminder_days: int = strawberry.field(
        description="Evaluators are reminded daily of plans waiting longer than this"
    )


@strawberry.type
class SurveySettings:
    rate_limit_per_ip_per_hour: int
    suggestion_max_length: int
    publish_results: bool


@strawberry.type
class TrainingSettings:
    annual_jp_entitlement: int = strawberry.field(description="Training hours (JP) a year")


@strawberry.type
class RegionSettings:
    performance: PerformanceSettings
    surveys: SurveySettings
    training: TrainingSettings

    @classmethod
    def of(cls, stored: dict[str, Any]) -> RegionSettings:
        s = with_defaults(stored)
        return cls(
            performance=PerformanceSettings(**s["performance"]),
            surveys=SurveySettings(**s["surveys"]),
            training=TrainingSettings(**s["training"]),
        )


@strawberry.type(description="A region (kabupaten/kota/provinsi): one tenant of the platform.")
class Region:
    id: strawberry.ID
    slug: str
    name: str
    kind: RegionKind
    province: str
    timezone: RegionTimezone
    status: RegionStatus
    plan: RegionPlan
    created_at: datetime
    stored_settings: strawberry.Private[dict]

    @classmethod
    def of(cls, tenant: Tenant) -> Region:
        return cls(
            id=strawberry.ID(str(tenant.id)),
            slug=tenant.slug,
            name=tenant.name,
            kind=tenant.kind,
            province=tenant.province,
            timezone=RegionTimezone[_RegionTimezone(tenant.timezone).name],
            status=tenant.status,
            plan=tenant.plan,
            created_at=tenant.created_at,
            stored_settings=tenant.settings,
        )

    @strawberry.field
    def settings(self) -> RegionSettings:
        return RegionSettings.of(self.stored_settings)


@strawberry.type(description="A region as platform operators see it: counts, never people.")
class RegionOverview:
    region: Region
    employees: int = strawberry.field(description="Active employees")
    units: int = strawberry.field(description="Active units")
    last_activity: datetime | None = strawberry.field(description="Latest audited change")


@strawberry.type
class RegionOverviewEdge:
    cursor: str
    node: RegionOverview


@strawberry.type
class RegionOverviewConnection:
    edges: list[RegionOverviewEdge]
    page_info: PageInfo


@strawberry.type
class RegionQuery:
    @strawberry.field(description="The region of the logged-in user.")
    async def region(self, info: strawberry.Info) -> Region:
        actor = info.context.require_region_actor()
        return Region.of(await Tenant.get(id=actor.tenant_id))

    @strawberry.field(description="Platform operators: every region, by name.")
    async def regions(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        status: RegionStatus | None = None,
    ) -> RegionOverviewConnection:
        limit = page_size(first, info.context.settings.max_page_size)
        rows = await onboarding.list_regions(
            actor=info.context.require_actor(),
            search=search,
            status=status,
            limit=limit,
            after=decode_cursor(after, "name") if after else None,
        )
        has_next = len(rows) > limit
        edges = [
            RegionOverviewEdge(
                cursor=encode_cursor(r.tenant.name, r.tenant.id, "name"),
                node=RegionOverview(
                    region=Region.of(r.tenant),
                    employees=r.employees,
                    units=r.units,
                    last_activity=r.last_activity,
                ),
            )
            for r in rows[:limit]
        ]
        return RegionOverviewConnection(
            edges=edges,
            page_info=page_info(edges, has_next=has_next, after=after),
        )


@strawberry.input
class RegionAdminInput:
    name: str
    email: str


@strawberry.input
class OnboardRegionInput:
    slug: str = strawberry.field(description="Lowercase, e.g. 'kota-bengkulu'; used in URLs")
    name: str = strawberry.field(description="Official name, e.g. 'Kota Bengkulu'")
    kind: RegionKind
    province: str
    timezone: RegionTimezone
    admin: RegionAdminInput = strawberry.field(description="The region's first REGION_ADMIN")


@strawberry.type
class OnboardRegionPayload:
    region: Region | None = None
    activation_token: str | None = strawberry.field(
        default=None,
        description="One-time token for the admin to set a password (activateAccount); "
        "valid 14 days. Also sent to the admin by e-mail.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RegionPayload:
    region: Region | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class PerformanceSettingsInput:
    result_threshold_above: float | None = None
    result_threshold_expected: float | None = None
    achievement_cap: float | None = None
    low_performer_predikat: list[str] | None = None
    low_indicator_floor: float | None = None
    checkpoint: str | None = None
    appeal_window_days: int | None = None
    deadline_notice_days: int | None = None
    approval_reminder_days: int | None = None


@strawberry.input
class SurveySettingsInput:
    rate_limit_per_ip_per_hour: int | None = None
    suggestion_max_length: int | None = None
    publish_results: bool | None = None


@strawberry.input
class TrainingSettingsInput:
    annual_jp_entitlement: int | None = None


@strawberry.input(description="Only the values given change.")
class RegionSettingsInput:
    performance: PerformanceSettingsInput | None = None
    surveys: SurveySettingsInput | None = None
    training: TrainingSettingsInput | None = None


def _changes(inp: RegionSettingsInput) -> dict[str, dict[str, Any]]:
    changes: dict[str, dict[str, Any]] = {}
    for section in ("performance", "surveys", "training"):
        value = getattr(inp, section)
        if value is not None:
            changes[section] = {k: v for k, v in vars(value).items() if v is not None}
    return changes


@strawberry.type
class RegionMutation:
    @strawberry.mutation(description="Platform operators: bring a new region onto the platform.")
    async def onboard_region(
        self, info: strawberry.Info, input: OnboardRegionInput
    ) -> OnboardRegionPayload:
        actor = info.context.require_actor()
        data = onboarding.RegionInput(
            slug=input.slug,
            name=input.name,
            kind=input.kind,
            province=input.province,
            timezone=_RegionTimezone(input.timezone.value),
            admin_name=input.admin.name,
            admin_email=input.admin.email,
        )
        result, errors = await run_mutation(
            lambda: onboarding.onboard_region(
                actor=actor, data=data, secret=info.context.settings.jwt_secret or ""
            )
        )
        if result is None:
            return OnboardRegionPayload(errors=errors)
        return OnboardRegionPayload(
            region=Region.of(result.tenant), activation_token=result.activation_token
        )

    @strawberry.mutation(description="Platform operators: refuse every token of a region at once.")
    async def suspend_region(
        self, info: strawberry.Info, id: strawberry.ID, reason: str | None = None
    ) -> RegionPayload:
        return await _set_status(info, id, _RegionStatus.SUSPENDED, reason)

    @strawberry.mutation(description="Platform operators: let a suspended region back in.")
    async def reactivate_region(self, info: strawberry.Info, id: strawberry.ID) -> RegionPayload:
        return await _set_status(info, id, _RegionStatus.ACTIVE, None)

    @strawberry.mutation(
        description="Platform operators: move a region to another plan (its request limits)."
    )
    async def set_region_plan(
        self, info: strawberry.Info, id: strawberry.ID, plan: RegionPlan
    ) -> RegionPayload:
        actor = info.context.require_actor()
        tenant, errors = await run_mutation(
            lambda: onboarding.set_region_plan(
                actor=actor, tenant_id=parse_id(id, "id"), plan=_RegionPlan(plan.value)
            )
        )
        return RegionPayload(region=Region.of(tenant) if tenant else None, errors=errors)

    @strawberry.mutation(description="Region admin: change the region's settings.")
    async def update_region_settings(
        self, info: strawberry.Info, input: RegionSettingsInput
    ) -> RegionPayload:
        actor = info.context.require_region_actor()

        async def body() -> Tenant:
            await onboarding.update_settings(actor=actor, changes=_changes(input))
            return await Tenant.get(id=actor.tenant_id)

        tenant, errors = await run_mutation(body)
        return RegionPayload(region=Region.of(tenant) if tenant else None, errors=errors)


async def _set_status(info, id, status, reason) -> RegionPayload:
    actor = info.context.require_actor()
    tenant, errors = await run_mutation(
        lambda: onboarding.set_region_status(
            actor=actor, tenant_id=parse_id(id, "id"), status=status, reason=reason
        )
    )
    return RegionPayload(region=Region.of(tenant) if tenant else None, errors=errors)
