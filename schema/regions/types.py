"""Regions (tenants): the current region and its settings, the operators' side (onboarding, the
overview of every region, suspension) and the region's reference catalogue seeded at onboarding.

The types; queries.py and mutations.py hold the root fields."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias

import strawberry

from kinerja_saas.regions.settings import load as load_settings
from schema.pagination import PageInfo
from schema.regions.settings import RegionSettings
from tenants.models import RegionKind as _RegionKind
from tenants.models import RegionStatus as _RegionStatus
from tenants.models import RegionTimezone as _RegionTimezone
from tenants.plans import RegionPlan as _RegionPlan

if TYPE_CHECKING:
    from tenants.models import Tenant

RegionKind: TypeAlias = _RegionKind
strawberry.enum(RegionKind, description="Kabupaten, kota or provinsi.")


RegionStatus: TypeAlias = _RegionStatus
strawberry.enum(RegionStatus)


RegionPlan: TypeAlias = _RegionPlan
strawberry.enum(
    RegionPlan, description="A region's share of the platform: its request limits per minute."
)


if TYPE_CHECKING:  # the API's copy has the tenant model's members, built at run time
    RegionTimezone: TypeAlias = _RegionTimezone
else:
    RegionTimezone = strawberry.enum(
        Enum("RegionTimezone", {m.name: m.value for m in _RegionTimezone}),
        description="WIB (Asia/Jakarta), WITA (Asia/Makassar), WIT (Asia/Jayapura).",
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
            timezone=RegionTimezone.__members__[_RegionTimezone(tenant.timezone).name],
            status=tenant.status,
            plan=tenant.plan,
            created_at=tenant.created_at,
            stored_settings=tenant.settings,
        )

    @strawberry.field(graphql_type=RegionSettings)
    def settings(self) -> Any:  # the pydantic model, resolved by the generated type
        return load_settings(self.stored_settings)


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
