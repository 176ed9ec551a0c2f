"""complaints: the Mutation fields and payloads. `submitComplaint` is public."""

from __future__ import annotations

from datetime import date

import strawberry

from kinerja_saas.complaints import public, ratelimit, service
from kinerja_saas.complaints.rules import show_tracking_code
from kinerja_saas.indonesian import long_date
from schema.complaints.queries import resolve_service_code
from schema.complaints.types import Complaint, ComplaintCategory
from schema.errors import parse_id
from schema.payloads import mutate, payload


@payload
class SubmitComplaintPayload:
    tracking_code: str | None = strawberry.field(
        description="Keep it: the complaint's status and answer are read with it"
    )
    due_on: date | None
    due_on_text: str | None
    replayed: bool = strawberry.field(
        default=False,
        description="This clientToken was already accepted with the same complaint; nothing "
        "new stored",
    )


@payload
class AnswerComplaintPayload:
    complaint: Complaint | None


@strawberry.type
class ComplaintMutation:
    @strawberry.mutation(
        description="Public (no login): a complaint about the service of a survey code. The "
        "clientToken makes a repeated send harmless."
    )
    async def submit_complaint(
        self,
        info: strawberry.Info,
        code: str,
        category: ComplaintCategory,
        text: str,
        client_token: str,
        contact: str | None = None,
    ) -> SubmitComplaintPayload:
        async def body() -> public.Submitted:
            target = await resolve_service_code(info, code)
            ctx = await public.context(target)
            if info.context.redis is not None:
                await ratelimit.check_submission(
                    info.context.redis,
                    tenant_id=target.tenant_id,
                    code=code.strip(),
                    ip=info.context.client_ip,
                    per_ip_hour=ctx.settings.rate_limit_per_ip_per_hour,
                )
            return await public.submit(
                target,
                public.Submission(
                    category=category.value,
                    text=text,
                    client_token=client_token,
                    contact=contact,
                ),
                ctx,
            )

        return await mutate(
            SubmitComplaintPayload,
            body,
            lambda done: {
                "tracking_code": show_tracking_code(done.tracking_code),
                "due_on": done.due_on,
                "due_on_text": long_date(done.due_on),
                "replayed": done.replayed,
            },
        )

    @strawberry.mutation(
        description="Unit head of the service's unit (or above) or region admin: the answer "
        "the citizen reads with the tracking code. Once."
    )
    async def answer_complaint(
        self, info: strawberry.Info, id: strawberry.ID, answer: str
    ) -> AnswerComplaintPayload:
        actor = info.context.require_region_actor()

        async def body():
            complaint_id = parse_id(id, "id")
            assert complaint_id is not None
            return await service.answer(actor=actor, complaint_id=complaint_id, text=answer)

        return await mutate(AnswerComplaintPayload, body, Complaint.of)
