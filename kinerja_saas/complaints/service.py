"""Use cases of complaints for logged-in users: the list of a unit head (their unit and its
sub-units) or of the region admin, the answer, the per-unit figures for monitoring, and the
daily overdue reminders (run by a worker). Knows nothing of GraphQL or the queue.

Who answers: the head of the service's unit, or of a unit above it (the organisation's
head as `surveys.access` finds it: a SUPERVISOR active in the unit whose own supervisor sits
elsewhere), and the region admin, who is told when an answer is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.complaints import queries
from kinerja_saas.complaints.errors import ComplaintError, field_error
from kinerja_saas.complaints.events import ESCALATED, OVERDUE
from kinerja_saas.complaints.rows import Complaint, UnitStatistics
from kinerja_saas.complaints.rules import ANSWER_MAX
from kinerja_saas.errors import NotFound, PermissionDenied, ValidationFailed
from kinerja_saas.indonesian import long_date
from kinerja_saas.surveys import queries as surveys
from tenants.context import current_tenant_id
from tenants.models import Tenant


@dataclass(frozen=True)
class Scope:
    """`unit_path` None: the whole region (the admin); else the headed unit and below."""

    unit_path: str | None

    def covers(self, path: str) -> bool:
        return self.unit_path is None or path.startswith(self.unit_path)


async def scope_of(actor: Actor, action: str) -> Scope:
    if actor.has(Role.REGION_ADMIN):
        return Scope(None)
    if actor.has(Role.SUPERVISOR) and actor.employee_id is not None:
        path = await surveys.headed_unit_path(actor.employee_id)
        if path is not None:
            return Scope(path)
    raise PermissionDenied(ComplaintError.NOT_ANSWERER, action=action)


async def region_today() -> date:
    tenant = await Tenant.get(id=current_tenant_id())
    return datetime.now(ZoneInfo(str(tenant.timezone.value))).date()


async def complaints(
    *,
    actor: Actor,
    status: str | None,
    overdue_only: bool,
    after_id: int | None,
    limit: int,
) -> list[Complaint]:
    """Newest first; `limit + 1` rows tell the caller whether there is a next page."""
    scope = await scope_of(actor, "membaca pengaduan")
    return await queries.complaints(
        unit_path=scope.unit_path,
        status=status,
        overdue_on=await region_today() if overdue_only else None,
        after_id=after_id,
        limit=limit,
    )


async def answer(*, actor: Actor, complaint_id: int, text: str) -> Complaint:
    """The answer the citizen reads with their tracking code; once, then it stands."""
    scope = await scope_of(actor, "menjawab pengaduan")
    cleaned = (text or "").replace("\r\n", "\n").strip()
    if not cleaned:
        raise ValidationFailed([field_error("answer", ComplaintError.REQUIRED, label="Jawaban")])
    if len(cleaned) > ANSWER_MAX:
        raise ValidationFailed(
            [field_error("answer", ComplaintError.TOO_LONG, label="Jawaban", limit=ANSWER_MAX)]
        )
    found = await queries.complaint_for_update(complaint_id)
    if found is None or not scope.covers(found[1]):
        # Another unit's complaint reads as absent, as another region's does.
        raise NotFound(ComplaintError.NOT_FOUND, field="id")
    complaint = found[0]
    if complaint.answered_at is not None:
        raise ValidationFailed(
            [
                field_error(
                    "id",
                    ComplaintError.ALREADY_ANSWERED,
                    day=long_date(complaint.answered_at.date()),
                )
            ]
        )
    answered = await queries.answer(complaint_id, cleaned, actor.user_id or None)
    await record(
        actor=actor,
        action="complaints.answer",
        entity="complaint",
        entity_id=complaint_id,
        after={"status": answered.status},
    )
    return answered


async def unit_statistics(*, actor: Actor, since: date, until: date) -> list[UnitStatistics]:
    """Per unit: received, answered, open, overdue, answered on time, mean response hours."""
    scope = await scope_of(actor, "melihat rekap pengaduan")
    if since > until:
        raise ValidationFailed([field_error("from", ComplaintError.INVALID_DATE_RANGE)])
    return await queries.unit_statistics(
        unit_path=scope.unit_path, since=since, until=until, today=await region_today()
    )


@dataclass(frozen=True)
class Reminded:
    heads: int  # complaints the unit head was reminded of
    admins: int  # complaints the region admins were told of


async def remind_overdue(*, now: datetime | None = None) -> Reminded:
    """In the current region's transaction, one statement: the unit head of each complaint
    open past its due day, once; the region admins of each still open past its escalation
    day, once, a day's run after the head's at the earliest."""
    now = now or datetime.now(UTC)
    tenant = await Tenant.get(id=current_tenant_id())
    today = now.astimezone(ZoneInfo(str(tenant.timezone.value))).date()
    topics = await queries.remind_overdue(today=today, now=now)
    return Reminded(
        heads=sum(t == OVERDUE.name for t in topics),
        admins=sum(t == ESCALATED.name for t in topics),
    )
