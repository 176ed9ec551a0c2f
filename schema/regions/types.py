"""Regions (tenants): the current region and its settings, the operators' side (onboarding, the
overview of every region, suspension) and the region's reference catalogue seeded at onboarding.

The types; queries.py and mutations.py hold the root fields."""

from __future__ import annotations

import functools
from datetime import datetime
from enum import Enum
from types import GenericAlias
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args, get_origin

import strawberry
from pydantic import BaseModel

from kinerja_saas.regions.settings import RegionSettings as RegionSettingsModel
from kinerja_saas.regions.settings import load as load_settings
from schema.pagination import PageInfo
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


# --- the region settings, generated from their declaration (kinerja_saas/regions/settings.py):
# `RegionSettings` (every setting, with its description) and `RegionSettingsInput` (every
# setting optional: only the values given change), one type and one input per section. A
# setting added to its section appears here with nothing to write. Literal choices (result
# rating method, checkpoint, predikat) stay `String` in the SDL, as clients have always sent
# them; the choice is checked in one place with the other settings.


def _graphql(annotation: Any, *, input: bool) -> Any:
    origin = get_origin(annotation)
    if origin is Literal:
        return str
    if origin is list:
        return GenericAlias(list, (_graphql(get_args(annotation)[0], input=input),))  # list[…]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return generated(annotation, input=input)
    return annotation  # int, float, bool, str


@functools.cache
def generated(model: type[BaseModel], *, input: bool = False) -> type:
    """The Strawberry type (or input) of `model`, named after it: `PerformanceSettings`,
    `PerformanceSettingsInput`. Descriptions come from the settings' own."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__}
    for name, info in model.model_fields.items():
        kind = _graphql(info.annotation, input=input)
        if input:
            annotations[name] = kind | None
            namespace[name] = strawberry.field(default=None)
        else:
            annotations[name] = kind
            namespace[name] = strawberry.field(description=info.description)
    type_name = model.__name__ + ("Input" if input else "")
    cls = type(type_name, (), namespace)
    if input:
        description = "Only the values given change." if model is RegionSettingsModel else None
        return strawberry.input(cls, name=type_name, description=description)
    return strawberry.type(cls, name=type_name)


# A field returning the settings resolves from the pydantic model itself (attributes of the
# same names): `@strawberry.field(graphql_type=RegionSettings)`.
RegionSettings = generated(RegionSettingsModel)
RegionSettingsInput = generated(RegionSettingsModel, input=True)


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
