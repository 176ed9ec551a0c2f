"""regions: the Mutation fields, their inputs and payloads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry

from kinerja_saas.regions import onboarding
from kinerja_saas.regions import queries as regions
from schema.errors import parse_id
from schema.payloads import mutate, payload
from schema.regions.types import Region, RegionKind, RegionPlan, RegionTimezone
from tenants.models import RegionStatus as _RegionStatus
from tenants.models import RegionTimezone as _RegionTimezone
from tenants.plans import RegionPlan as _RegionPlan

if TYPE_CHECKING:
    from tenants.models import Tenant


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


@payload
class OnboardRegionPayload:
    region: Region | None
    activation_token: str | None = strawberry.field(
        default=None,
        description="One-time token for the admin to set a password (activateAccount); "
        "valid 14 days. Also sent to the admin by e-mail.",
    )


@payload
class RegionPayload:
    region: Region | None


@strawberry.input
class PerformanceSettingsInput:
    result_rating_method: str | None = None
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


@strawberry.input
class ComplaintSettingsInput:
    answer_due_working_days: int | None = None
    escalate_after_working_days: int | None = None
    lapor_url: str | None = strawberry.field(default=None, description='"" removes the link')
    text_max_length: int | None = None
    rate_limit_per_ip_per_hour: int | None = None


@strawberry.input(description="Only the values given change.")
class RegionSettingsInput:
    performance: PerformanceSettingsInput | None = None
    surveys: SurveySettingsInput | None = None
    training: TrainingSettingsInput | None = None
    complaints: ComplaintSettingsInput | None = None


def _changes(inp: RegionSettingsInput) -> dict[str, dict[str, Any]]:
    changes: dict[str, dict[str, Any]] = {}
    for section in ("performance", "surveys", "training", "complaints"):
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
        return await mutate(
            OnboardRegionPayload,
            lambda: onboarding.onboard_region(
                actor=actor, data=data, secret=info.context.settings.jwt_secret or ""
            ),
            lambda result: {
                "region": Region.of(result.tenant),
                "activation_token": result.activation_token,
            },
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
        return await mutate(
            RegionPayload,
            lambda: onboarding.set_region_plan(
                actor=actor, tenant_id=parse_id(id, "id"), plan=_RegionPlan(plan.value)
            ),
            Region.of,
        )

    @strawberry.mutation(description="Region admin: change the region's settings.")
    async def update_region_settings(
        self, info: strawberry.Info, input: RegionSettingsInput
    ) -> RegionPayload:
        actor = info.context.require_region_actor()

        async def body() -> Tenant:
            await onboarding.update_settings(actor=actor, changes=_changes(input))
            return await regions.region(actor.tenant_id)

        return await mutate(RegionPayload, body, Region.of)


async def _set_status(info, id, status, reason) -> RegionPayload:
    actor = info.context.require_actor()
    return await mutate(
        RegionPayload,
        lambda: onboarding.set_region_status(
            actor=actor, tenant_id=parse_id(id, "id"), status=status, reason=reason
        ),
        Region.of,
    )
