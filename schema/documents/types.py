"""GraphQL types of documents: a document job with its progress and its short-lived
download link, and the documents it made with their verification codes."""

from __future__ import annotations

from datetime import datetime

import strawberry

from kinerja_saas.documents import rules, service
from kinerja_saas.documents.queries import DocumentRow, JobRow
from kinerja_saas.documents.storage import storage_for
from schema.errors import optional_id
from schema.payloads import payload

DocumentKind = strawberry.enum(
    rules.DocumentKind,
    name="DocumentKind",
    description="SKP: the plan (id: a plan); EVALUATION: a finalised checkpoint or annual "
    "evaluation (id: an evaluation); PREDIKAT_RECAP: the predikat per unit (id: a period).",
)
DocumentJobStatus = strawberry.enum(rules.JobStatus, name="DocumentJobStatus")
DocumentJobScope = strawberry.enum(rules.JobScope, name="DocumentJobScope")


@strawberry.type(description="A document the platform made, as its public page shows it.")
class IssuedDocument:
    kind: DocumentKind  # type: ignore[valid-type]
    code: str = strawberry.field(description="The verification code as printed (XXXX-XXXX-XXXX)")
    verification_path: str = strawberry.field(description="/v/{code}: the public page")
    content_hash: str = strawberry.field(description="SHA-256 of the content it was made from")
    file_sha256: str

    @classmethod
    def of(cls, row: DocumentRow) -> IssuedDocument:
        return cls(
            kind=rules.DocumentKind(row["kind"]),
            code=rules.code_text(row["code"]),
            verification_path=f"/v/{row['code']}",
            content_hash=row["content_hash"],
            file_sha256=row["file_sha256"],
        )


@strawberry.type(description="A request for documents, rendered by a worker.")
class DocumentJob:
    id: strawberry.ID
    kind: DocumentKind  # type: ignore[valid-type]
    scope: DocumentJobScope  # type: ignore[valid-type]
    status: DocumentJobStatus  # type: ignore[valid-type]
    total: int = strawberry.field(description="Documents to render")
    done: int = strawberry.field(description="Documents rendered so far")
    filename: str | None
    size_bytes: int | None
    error: str | None
    period_id: strawberry.ID | None
    unit_id: strawberry.ID | None
    created_at: datetime
    finished_at: datetime | None
    row: strawberry.Private[JobRow]

    @strawberry.field(description="Share of the documents rendered, 0 to 1")
    def progress(self) -> float:
        return round(self.done / self.total, 4) if self.total else 0.0

    @strawberry.field(
        description="A link to the PDF (one document) or ZIP (a unit) that works for "
        "KINERJA_DOCUMENT_LINK_SECONDS (default 300); null until the job succeeded. Ask again "
        "for a fresh one."
    )
    async def download_url(self, info: strawberry.Info) -> str | None:
        settings = info.context.settings
        request = info.context.request
        base = settings.platform_url(str(request.base_url) if request is not None else None)
        return await service.download_link(
            self.row, storage=storage_for(settings), base_url=base or settings.own_url
        )

    @strawberry.field(description="The documents made (codes and hashes), in order")
    async def documents(self, first: int = 20) -> list[IssuedDocument]:
        rows = await service.job_documents(self.row, limit=max(1, min(first, 100)))
        return [IssuedDocument.of(r) for r in rows]

    @classmethod
    def of(cls, row: JobRow) -> DocumentJob:
        return cls(
            id=strawberry.ID(str(row["id"])),
            kind=rules.DocumentKind(row["kind"]),
            scope=rules.JobScope(row["scope"]),
            status=rules.JobStatus(row["status"]),
            total=row["total"],
            done=row["done"],
            filename=row["filename"],
            size_bytes=row["size_bytes"],
            error=row["error"],
            period_id=optional_id(row["period_id"]),
            unit_id=optional_id(row["unit_id"]),
            created_at=row["created_at"],
            finished_at=row["finished_at"],
            row=row,
        )


@payload
class DocumentJobPayload:
    job: DocumentJob | None = None
