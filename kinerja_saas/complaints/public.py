"""The public side of complaints: the form of a service's survey code, a complaint, and its
status by tracking code. Nobody is logged in.

A survey code resolves to its region and service exactly as the survey does
(`surveys.public.resolve_code`, the definer function survey_code_lookup); a tracking code
through `complaint_tracking_lookup`, which returns only (region, complaint) of an active
region. The caller then works in that region's transaction. What the public sees of a
complaint is `PublicStatus`: never the contact or the complaint's text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kinerja_saas.complaints import queries
from kinerja_saas.complaints.errors import ComplaintError, field_error
from kinerja_saas.complaints.rows import PublicStatus, ServiceContext
from kinerja_saas.complaints.rules import (
    CATEGORIES,
    CONTACT_MAX,
    add_working_days,
    new_tracking_code,
    normalise_tracking_code,
)
from kinerja_saas.errors import CommonError, FieldError, NotFound, ValidationFailed
from kinerja_saas.surveys.public import CLIENT_TOKEN_SHAPE, CodeTarget, resolve_code

__all__ = [
    "CodeTarget",
    "ComplaintForm",
    "Submission",
    "Submitted",
    "TrackingTarget",
    "context",
    "form",
    "resolve_code",
    "resolve_tracking_code",
    "status",
    "submit",
]


@dataclass(frozen=True)
class TrackingTarget:
    tenant_id: int
    complaint_id: int


async def resolve_tracking_code(text: str) -> TrackingTarget | None:
    """Any active region's tracking code, without a tenant; None when unknown."""
    code = normalise_tracking_code(text)
    if code is None:
        return None
    row = await queries.tracking_target(code)
    return TrackingTarget(row["tenant_id"], row["complaint_id"]) if row else None


@dataclass(frozen=True)
class ComplaintForm:
    region_name: str
    service_name: str
    unit_name: str
    categories: tuple[tuple[str, str], ...]  # (code, label)
    text_max_length: int
    contact_max_length: int
    answer_due_working_days: int
    lapor_url: str
    is_open: bool  # the service takes complaints


async def context(target: CodeTarget) -> ServiceContext:
    """The service and the region's complaint settings (one statement): what a submission
    is rate-limited and checked against."""
    ctx = await queries.service_context(target.service_id)
    if ctx is None:  # the service was deleted since the code was resolved
        raise NotFound(ComplaintError.UNKNOWN_CODE, field="code")
    return ctx


async def form(target: CodeTarget) -> ComplaintForm:
    """In the code's region transaction: what the complaint form shows (one statement)."""
    ctx = await context(target)
    return ComplaintForm(
        region_name=ctx.region_name,
        service_name=ctx.service_name,
        unit_name=ctx.unit_name,
        categories=tuple(CATEGORIES.items()),
        text_max_length=ctx.settings.text_max_length,
        contact_max_length=CONTACT_MAX,
        answer_due_working_days=ctx.settings.answer_due_working_days,
        lapor_url=ctx.settings.lapor_url,
        is_open=ctx.is_active,
    )


@dataclass(frozen=True)
class Submission:
    category: str
    text: str
    client_token: str
    contact: str | None = None


@dataclass(frozen=True)
class Submitted:
    tracking_code: str
    due_on: date
    replayed: bool  # the client token was seen with the same complaint: nothing new stored


def _validate(ctx: ServiceContext, sub: Submission) -> tuple[str, str | None]:
    problems: list[FieldError] = []
    if not ctx.is_active:
        problems.append(field_error("code", ComplaintError.SERVICE_INACTIVE))
    if sub.category not in CATEGORIES:
        problems.append(field_error("category", CommonError.INVALID, values=list(CATEGORIES)))
    text = (sub.text or "").replace("\r\n", "\n").strip()
    limit = ctx.settings.text_max_length
    if not text:
        problems.append(field_error("text", ComplaintError.REQUIRED, label="Isi pengaduan"))
    elif len(text) > limit:
        problems.append(
            field_error("text", ComplaintError.TOO_LONG, label="Isi pengaduan", limit=limit)
        )
    contact = (sub.contact or "").strip() or None
    if contact is not None and len(contact) > CONTACT_MAX:
        problems.append(
            field_error("contact", ComplaintError.TOO_LONG, label="Kontak", limit=CONTACT_MAX)
        )
    if not CLIENT_TOKEN_SHAPE.fullmatch(sub.client_token or ""):
        problems.append(field_error("clientToken", ComplaintError.INVALID_CLIENT_TOKEN))
    if problems:
        raise ValidationFailed(problems)
    return text, contact


async def submit(target: CodeTarget, sub: Submission, ctx: ServiceContext) -> Submitted:
    """Validates, then writes the complaint (one INSERT), or nothing. A client token seen
    before with the same complaint returns the first one's tracking code (a double submit);
    seen with anything else it is refused: a token is no key to someone else's complaint.
    `ctx` is `context(target)`, read in this transaction."""
    text, contact = _validate(ctx, sub)
    received_on = datetime.now(ZoneInfo(ctx.timezone)).date()
    due_on = add_working_days(received_on, ctx.settings.answer_due_working_days)
    escalate_on = add_working_days(due_on, ctx.settings.escalate_after_working_days)
    for _ in range(3):  # a new tracking code if one (once in 2^60) was taken
        row = await queries.insert_complaint(
            service_id=target.service_id,
            campaign_id=target.campaign_id,
            category=sub.category,
            body=text,
            contact=contact,
            tracking_code=new_tracking_code(),
            client_token=sub.client_token,
            received_on=received_on,
            due_on=due_on,
            escalate_on=escalate_on,
        )
        if row is not None:
            return Submitted(row["tracking_code"], row["due_on"], replayed=False)
        first = await queries.complaint_of_client_token(sub.client_token)
        if first is None:
            continue  # the tracking code clashed, not the token
        given = (target.service_id, sub.category, text, contact)
        if (first["service_id"], first["category"], first["body"], first["contact"]) != given:
            raise ValidationFailed([field_error("clientToken", ComplaintError.CLIENT_TOKEN_REUSED)])
        return Submitted(first["tracking_code"], first["due_on"], replayed=True)
    raise RuntimeError("no free tracking code in three draws")  # 2^-180: never


async def status(target: TrackingTarget) -> PublicStatus:
    found = await queries.public_status(target.complaint_id)
    if found is None:
        raise NotFound(ComplaintError.UNKNOWN_TRACKING_CODE, field="trackingCode")
    return found
