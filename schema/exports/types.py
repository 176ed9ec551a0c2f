"""exports: object types and enums of the API."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from kinerja_saas.exports import service
from kinerja_saas.exports.service import NationalExport as ExportRow


@strawberry.enum(description="What a national export holds")
class NationalExportKind(Enum):
    PREDIKAT_TAHUNAN = "PREDIKAT_TAHUNAN"
    PREDIKAT_PERIODIK = "PREDIKAT_PERIODIK"
    JP_KOMPETENSI = "JP_KOMPETENSI"


@strawberry.enum
class NationalExportFormat(Enum):
    CSV = "CSV"
    JSON = "JSON"


@strawberry.enum
class NationalExportStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


@strawberry.type(
    description="An export for BKN e-Kinerja / SIASN (predikat per NIP) or the competency "
    "records (JP per NIP), built by a worker (docs/exports.md)."
)
class NationalExport:
    id: strawberry.ID
    kind: NationalExportKind
    year: int
    checkpoint_number: int | None
    format: NationalExportFormat
    status: NationalExportStatus
    progress: int = strawberry.field(description="0 to 100 (%)")
    row_count: int | None
    file_name: str | None
    error: str | None
    requested_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, x: ExportRow) -> NationalExport:
        return cls(
            id=strawberry.ID(str(x.id)),
            kind=NationalExportKind(x.kind.value),
            year=x.year,
            checkpoint_number=x.checkpoint_number,
            format=NationalExportFormat(x.format.value),
            status=NationalExportStatus(x.status.value),
            progress=x.progress,
            row_count=x.row_count,
            file_name=x.file_name,
            error=x.error,
            requested_at=x.requested_at,
            finished_at=x.finished_at,
        )

    @strawberry.field(
        description="The file's content when DONE (UTF-8 text: CSV or JSON); null before. "
        "Served here until the platform's document storage lands."
    )
    async def content(self, info: strawberry.Info) -> str | None:
        actor = info.context.require_region_actor()
        return await service.content(actor=actor, export_id=int(self.id))
