"""Regions (tenants): the current region and its settings, the operators' side (onboarding, the
overview of every region, suspension) and the region's reference catalogue seeded at onboarding.

The types; queries.py and mutations.py hold the root fields."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry

from kinerja_saas.regions.region_settings import with_defaults
from schema.pagination import PageInfo
from tenants.models import RegionKind as _RegionKind
from tenants.models import RegionStatus as _RegionStatus
from tenants.models import RegionTimezone as _RegionTimezone
from tenants.plans import RegionPlan as _RegionPlan

if TYPE_CHECKING:
    from tenants.models import Tenant

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
    result_rating_method: str = strawberry.field(
        description="REGULATION (default): the proposed result rating follows PermenPANRB "
        "6/2022, each work result judged on its own and no weights between them; "
        "WEIGHTED_MEAN: the plan's weighted mean achievement against the thresholds"
    )
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
class ComplaintSettings:
    answer_due_working_days: int = strawberry.field(
        description="Working days (Monday to Friday) after receipt that the answer is due"
    )
    escalate_after_working_days: int = strawberry.field(
        description="Working days after the due day that the region admin is told"
    )
    lapor_url: str = strawberry.field(description='The region\'s SP4N-LAPOR! link; "" for none')
    text_max_length: int
    rate_limit_per_ip_per_hour: int


@strawberry.type
class RegionSettings:
    performance: PerformanceSettings
    surveys: SurveySettings
    training: TrainingSettings
    complaints: ComplaintSettings

    @classmethod
    def of(cls, stored: dict[str, Any]) -> RegionSettings:
        s = with_defaults(stored)
        return cls(
            performance=PerformanceSettings(**s["performance"]),
            surveys=SurveySettings(**s["surveys"]),
            training=TrainingSettings(**s["training"]),
            complaints=ComplaintSettings(**s["complaints"]),
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
