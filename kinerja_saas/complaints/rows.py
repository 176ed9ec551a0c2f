"""Typed rows of the complaints table (migration 0032_complaints), read and written with SQL
only (`queries.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from kinerja_saas.regions.settings import ComplaintSettings


@dataclass(frozen=True)
class ServiceContext:
    """What a complaint about a service is checked against, in the code's region."""

    service_id: int
    service_name: str
    unit_name: str
    region_name: str
    is_active: bool
    timezone: str
    settings: ComplaintSettings  # the region's `complaints` section over the defaults


@dataclass(frozen=True)
class PublicStatus:
    """What the holder of a tracking code sees: never the contact nor the complaint's text."""

    tracking_code: str
    status: str
    category: str
    service_name: str
    unit_name: str
    region_name: str
    received_on: date
    due_on: date
    answer: str | None
    answered_on: date | None
    lapor_url: str


@dataclass(frozen=True)
class Complaint:
    """A complaint as the unit head and the region admin read it (with the contact)."""

    id: int
    tracking_code: str
    service_id: int
    service_name: str
    unit_id: int
    unit_name: str
    category: str
    body: str
    contact: str | None
    status: str
    received_on: date
    due_on: date
    answer: str | None
    answered_at: datetime | None
    head_reminded_at: datetime | None
    admin_reminded_at: datetime | None


@dataclass(frozen=True)
class UnitStatistics:
    """A unit's complaints received in a date range, for its monitoring."""

    unit_id: int
    unit_name: str
    received: int
    answered: int
    open: int
    overdue: int  # open past their due day
    answered_on_time: int
    mean_response_hours: Decimal | None  # received to answered, of the answered ones
