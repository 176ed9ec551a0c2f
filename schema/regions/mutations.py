"""regions: the Mutation fields, their inputs and payloads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from kinerja_saas.regions import onboarding
from kinerja_saas.regions import queries as regions
from kinerja_saas.regions.settings import SECTIONS
from schema.errors import parse_id
from schema.payloads import mutate, payload
from schema.regions.types import (
    Region,
    RegionKind,
    RegionPlan,
    RegionSettingsInput,
    RegionTimezone,
)
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
        self,
        info: strawberry.Info,
        input: Annotated[Any, strawberry.argument(graphql_type=RegionSettingsInput)],
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


def _changes(given: Any) -> dict[str, dict[str, Any]]:
    """A `RegionSettingsInput` as the section -> setting -> value changes it asks for."""
    found: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        values: Mapping[str, Any] | None = _values(getattr(given, section, None))
        if values is not None:
            found[section] = {k: v for k, v in values.items() if v is not None}
    return found


def _values(section: object) -> Mapping[str, Any] | None:
    return None if section is None else vars(section)
