"""complaints: object types and enums of the API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import NoReturn

import strawberry

from kinerja_saas.complaints import ratelimit, rows
from kinerja_saas.complaints.errors import ComplaintError
from kinerja_saas.complaints.rules import CATEGORIES, STATUS_LABELS, show_tracking_code
from kinerja_saas.errors import NotFound
from kinerja_saas.indonesian import long_date


@strawberry.enum(description="What a complaint is about")
class ComplaintCategory(Enum):
    PROSEDUR = "PROSEDUR"
    WAKTU = "WAKTU"
    BIAYA = "BIAYA"
    PETUGAS = "PETUGAS"
    SARANA = "SARANA"
    LAINNYA = "LAINNYA"


@strawberry.enum(description="BARU: waiting for the answer; DIJAWAB: answered")
class ComplaintStatus(Enum):
    BARU = "BARU"
    DIJAWAB = "DIJAWAB"


@strawberry.type
class ComplaintCategoryOption:
    category: ComplaintCategory
    label: str


@strawberry.type(description="Public: the complaint form of a service's survey code.")
class ComplaintForm:
    region_name: str
    service_name: str
    unit_name: str
    categories: list[ComplaintCategoryOption]
    text_max_length: int
    contact_max_length: int
    answer_due_working_days: int
    lapor_url: str | None = strawberry.field(description="The region's SP4N-LAPOR! link")
    is_open: bool = strawberry.field(description="The service takes complaints")


@strawberry.type(
    description="Public: what the holder of a tracking code sees. Never the contact or the "
    "complaint's text."
)
class ComplaintPublicStatus:
    tracking_code: str
    status: ComplaintStatus
    status_label: str
    category: ComplaintCategory
    category_label: str
    region_name: str
    service_name: str
    unit_name: str
    received_on: date
    due_on: date
    due_on_text: str
    answer: str | None
    answered_on: date | None
    lapor_url: str | None

    @classmethod
    def of(cls, s: rows.PublicStatus) -> ComplaintPublicStatus:
        return cls(
            tracking_code=show_tracking_code(s.tracking_code),
            status=ComplaintStatus(s.status),
            status_label=STATUS_LABELS[s.status],
            category=ComplaintCategory(s.category),
            category_label=CATEGORIES[s.category],
            region_name=s.region_name,
            service_name=s.service_name,
            unit_name=s.unit_name,
            received_on=s.received_on,
            due_on=s.due_on,
            due_on_text=long_date(s.due_on),
            answer=s.answer,
            answered_on=s.answered_on,
            lapor_url=s.lapor_url or None,
        )


@strawberry.type(description="A complaint as the unit head and the region admin read it.")
class Complaint:
    id: strawberry.ID
    tracking_code: str
    service_id: strawberry.ID
    service_name: str
    unit_id: strawberry.ID
    unit_name: str
    category: ComplaintCategory
    text: str
    contact: str | None = strawberry.field(description="Personal data: for the answer only")
    status: ComplaintStatus
    received_on: date
    due_on: date
    answer: str | None
    answered_at: datetime | None
    head_reminded_at: datetime | None
    admin_reminded_at: datetime | None

    @classmethod
    def of(cls, c: rows.Complaint) -> Complaint:
        return cls(
            id=strawberry.ID(str(c.id)),
            tracking_code=show_tracking_code(c.tracking_code),
            service_id=strawberry.ID(str(c.service_id)),
            service_name=c.service_name,
            unit_id=strawberry.ID(str(c.unit_id)),
            unit_name=c.unit_name,
            category=ComplaintCategory(c.category),
            text=c.body,
            contact=c.contact,
            status=ComplaintStatus(c.status),
            received_on=c.received_on,
            due_on=c.due_on,
            answer=c.answer,
            answered_at=c.answered_at,
            head_reminded_at=c.head_reminded_at,
            admin_reminded_at=c.admin_reminded_at,
        )


@strawberry.type
class ComplaintPage:
    nodes: list[Complaint]
    next_after: strawberry.ID | None = strawberry.field(
        description="Pass as `after` for the next page; null on the last"
    )


@strawberry.type(description="A unit's complaints received in a date range (monitoring).")
class ComplaintUnitStatistics:
    unit_id: strawberry.ID
    unit_name: str
    received: int
    answered: int
    open: int
    overdue: int = strawberry.field(description="Open past their due day")
    answered_on_time: int
    mean_response_hours: Decimal | None = strawberry.field(
        description="Received to answered, over the answered ones (hours, one decimal)"
    )
    mean_response_text: str | None = strawberry.field(description="e.g. 26,5 jam")

    @classmethod
    def of(cls, s: rows.UnitStatistics) -> ComplaintUnitStatistics:
        hours = s.mean_response_hours
        return cls(
            unit_id=strawberry.ID(str(s.unit_id)),
            unit_name=s.unit_name,
            received=s.received,
            answered=s.answered,
            open=s.open,
            overdue=s.overdue,
            answered_on_time=s.answered_on_time,
            mean_response_hours=hours,
            mean_response_text=None if hours is None else f"{hours:.1f}".replace(".", ",") + " jam",
        )


async def refuse_unknown_tracking_code(info: strawberry.Info) -> NoReturn:
    redis = info.context.redis
    if redis is not None:
        await ratelimit.check_unknown_tracking_code(redis, ip=info.context.client_ip)
    raise NotFound(ComplaintError.UNKNOWN_TRACKING_CODE, field="trackingCode")
