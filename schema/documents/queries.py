"""Documents reads: a document job's status, progress and download link."""

from __future__ import annotations

import strawberry

from kinerja_saas.documents import service
from schema.documents.types import DocumentJob
from schema.errors import parse_id


@strawberry.type
class DocumentQuery:
    @strawberry.field(
        description="A document job: for the one who asked for it and the region admin "
        "(null for anyone else)."
    )
    async def document_job(self, info: strawberry.Info, id: strawberry.ID) -> DocumentJob | None:
        actor = info.context.require_region_actor()
        job_id = parse_id(id, "id")
        assert job_id is not None
        row = await service.job_for(actor=actor, job_id=job_id)
        return DocumentJob.of(row) if row else None
