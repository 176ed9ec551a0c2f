"""Documents changes: asking for one document or a unit's documents (a worker renders
them; follow the job with `documentJob`)."""

from __future__ import annotations

import strawberry

from kinerja_saas.documents import service
from kinerja_saas.documents.rules import DocumentKind as Kind
from schema.documents.types import DocumentJob, DocumentJobPayload, DocumentKind
from schema.errors import parse_id
from schema.payloads import mutate


@strawberry.type
class DocumentMutation:
    @strawberry.mutation(
        description="One document as a PDF: SKP (id: plan) or EVALUATION (id: a finalised "
        "evaluation) for the employee, their evaluator and the evaluator's supervisor; "
        "PREDIKAT_RECAP (id: period, unitId: a unit's subtree, else the region) for the "
        "region admin."
    )
    async def request_document(
        self,
        info: strawberry.Info,
        kind: DocumentKind,  # type: ignore[valid-type]
        id: strawberry.ID,
        unit_id: strawberry.ID | None = None,
    ) -> DocumentJobPayload:
        actor = info.context.require_region_actor()

        async def body():
            subject = parse_id(id, "id")
            assert subject is not None
            return await service.request_document(
                actor=actor,
                kind=Kind(kind),
                subject_id=subject,
                unit_id=parse_id(unit_id, "unitId"),
            )

        return await mutate(DocumentJobPayload, body, DocumentJob.of)

    @strawberry.mutation(
        description="Region admin: every SKP, or every finalised annual evaluation, of a unit "
        "and its sub-units in a period, as one ZIP of PDFs."
    )
    async def request_unit_documents(
        self,
        info: strawberry.Info,
        kind: DocumentKind,  # type: ignore[valid-type]
        unit_id: strawberry.ID,
        period_id: strawberry.ID,
    ) -> DocumentJobPayload:
        actor = info.context.require_region_actor()

        async def body():
            unit = parse_id(unit_id, "unitId")
            period = parse_id(period_id, "periodId")
            assert unit is not None and period is not None
            return await service.request_unit_documents(
                actor=actor, kind=Kind(kind), unit_id=unit, period_id=period
            )

        return await mutate(DocumentJobPayload, body, DocumentJob.of)
