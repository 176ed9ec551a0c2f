from __future__ import annotations

from enum import Enum

import strawberry

from tenants.models import RegionKind as _RegionKind
from tenants.models import RegionStatus as _RegionStatus
from tenants.models import RegionTimezone as _RegionTimezone
from tenants.models import Tenant

RegionKind = strawberry.enum(_RegionKind, description="Kabupaten, kota or provinsi.")
RegionStatus = strawberry.enum(_RegionStatus)
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
        )


@strawberry.type
class RegionQuery:
    @strawberry.field(description="The region of the logged-in user.")
    async def region(self, info: strawberry.Info) -> Region:
        actor = info.context.require_region_actor()
        return Region.of(await Tenant.get(id=actor.tenant_id))
