"""complaints: the Query fields. `complaintForm` and `complaintStatus` are public."""

from __future__ import annotations

from datetime import date

import strawberry

from kinerja_saas.complaints import public, ratelimit, service
from schema.complaints.types import (
    Complaint,
    ComplaintCategory,
    ComplaintCategoryOption,
    ComplaintForm,
    ComplaintPage,
    ComplaintPublicStatus,
    ComplaintStatus,
    ComplaintUnitStatistics,
    refuse_unknown_tracking_code,
)
from schema.errors import parse_id
from schema.pagination import page_size
from schema.surveys.types import enter_region, refuse_unknown_code


async def resolve_service_code(info: strawberry.Info, code: str) -> public.CodeTarget:
    """A survey code, as the survey resolves it (the same unknown-code limit)."""
    target = await public.resolve_code(code.strip())
    if target is None:
        await refuse_unknown_code(info)
    await enter_region(info, target.tenant_id)
    return target


@strawberry.type
class ComplaintQuery:
    @strawberry.field(
        description="Public (no login): the complaint form of a service's survey code."
    )
    async def complaint_form(self, info: strawberry.Info, code: str) -> ComplaintForm:
        target = await resolve_service_code(info, code)
        fm = await public.form(target)
        return ComplaintForm(
            region_name=fm.region_name,
            service_name=fm.service_name,
            unit_name=fm.unit_name,
            categories=[
                ComplaintCategoryOption(category=ComplaintCategory(c), label=label)
                for c, label in fm.categories
            ],
            text_max_length=fm.text_max_length,
            contact_max_length=fm.contact_max_length,
            answer_due_working_days=fm.answer_due_working_days,
            lapor_url=fm.lapor_url or None,
            is_open=fm.is_open,
        )

    @strawberry.field(
        description="Public (no login): a complaint's status and answer by its tracking code "
        "(12 letters and digits; case, spaces and dashes do not matter)."
    )
    async def complaint_status(
        self, info: strawberry.Info, tracking_code: str
    ) -> ComplaintPublicStatus:
        redis = info.context.redis
        if redis is not None:
            await ratelimit.check_lookup(redis, ip=info.context.client_ip)
        target = await public.resolve_tracking_code(tracking_code)
        if target is None:
            await refuse_unknown_tracking_code(info)
        await enter_region(info, target.tenant_id)
        return ComplaintPublicStatus.of(await public.status(target))

    @strawberry.field(
        description="Unit head (their unit and its sub-units) or region admin: complaints, "
        "newest first."
    )
    async def complaints(
        self,
        info: strawberry.Info,
        status: ComplaintStatus | None = None,
        overdue_only: bool = False,
        first: int = 50,
        after: strawberry.ID | None = None,
    ) -> ComplaintPage:
        actor = info.context.require_region_actor()
        limit = page_size(first, info.context.settings.max_page_size)
        found = await service.complaints(
            actor=actor,
            status=status.value if status else None,
            overdue_only=overdue_only,
            after_id=parse_id(after, "after"),
            limit=limit,
        )
        page = found[:limit]
        return ComplaintPage(
            nodes=[Complaint.of(c) for c in page],
            next_after=strawberry.ID(str(page[-1].id)) if len(found) > limit and page else None,
        )

    @strawberry.field(
        description="Unit head or region admin: per unit, the complaints received in a date "
        "range (counts and response times), for the unit's monitoring."
    )
    async def complaint_statistics(
        self, info: strawberry.Info, since: date, until: date
    ) -> list[ComplaintUnitStatistics]:
        actor = info.context.require_region_actor()
        rows = await service.unit_statistics(actor=actor, since=since, until=until)
        return [ComplaintUnitStatistics.of(r) for r in rows]
