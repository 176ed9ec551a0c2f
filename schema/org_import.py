"""Importing the roster: the upload, and the job's progress and problems."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload
from tortoise.expressions import Q

from kinerja_saas.org import importing
from kinerja_saas.org.models import ImportJob as ImportJobModel
from kinerja_saas.org.models import ImportProblem
from kinerja_saas.org.models import ImportStatus as _ImportStatus
from schema.errors import UserError, parse_id, run_mutation
from schema.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size
from tenants.context import current_tenant_id

ImportStatus = strawberry.enum(_ImportStatus)


@strawberry.type
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    existing: int = strawberry.field(default=0, description="Dry run: NIPs already in the region")
    supervisors_set: int = 0
    deactivated: int = 0
    units_created: int = 0
    accounts_created: int = 0


@strawberry.type(description="A problem in an imported file; line 1 is the header row.")
class ImportProblemType:
    line: int = strawberry.field(description="Line in the CSV file; 0: the file as a whole")
    field: str | None
    code: str
    message: str


@strawberry.type
class ImportProblemEdge:
    cursor: str
    node: ImportProblemType


@strawberry.type
class ImportProblemConnection:
    edges: list[ImportProblemEdge]
    page_info: PageInfo


@strawberry.type
class ImportJob:
    id: strawberry.ID
    filename: str
    status: ImportStatus
    phase: str = strawberry.field(description="queued, validating, merging or done")
    dry_run: bool
    deactivate_missing: bool
    total_rows: int
    rows_done: int
    error_count: int
    summary: ImportSummary
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ImportJobModel) -> ImportJob:
        return cls(
            id=strawberry.ID(str(job.id)),
            filename=job.filename,
            status=job.status,
            phase=job.phase,
            dry_run=job.dry_run,
            deactivate_missing=job.deactivate_missing,
            total_rows=job.total_rows,
            rows_done=job.rows_done,
            error_count=job.error_count,
            summary=ImportSummary(**job.summary),
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )

    @strawberry.field(description="Every problem found, by line.")
    async def problems(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> ImportProblemConnection:
        limit = page_size(first, info.context.settings.max_page_size)
        query = ImportProblem.filter(tenant_id=current_tenant_id(), job_id=int(self.id))
        if after:
            line, row_id = decode_cursor(after, "line")
            query = query.filter(Q(line_no__gt=line) | Q(line_no=line, id__gt=row_id))
        rows = await query.order_by("line_no", "id").limit(limit + 1)
        edges = [
            ImportProblemEdge(
                cursor=encode_cursor(p.line_no, p.id, "line"),
                node=ImportProblemType(
                    line=p.line_no, field=p.field, code=p.code, message=p.message
                ),
            )
            for p in rows[:limit]
        ]
        return ImportProblemConnection(
            edges=edges,
            page_info=page_info(edges, has_next=len(rows) > limit, after=after),
        )


@strawberry.type
class ImportJobPayload:
    job: ImportJob | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _visible_job(info: strawberry.Info, job_id: int) -> ImportJobModel | None:
    importing.require_import_rights(info.context.require_region_actor())
    return await ImportJobModel.get_or_none(tenant_id=current_tenant_id(), id=job_id)


@strawberry.type
class ImportQuery:
    @strawberry.field(description="Region admin: an import's status, progress and problems.")
    async def import_job(self, info: strawberry.Info, id: strawberry.ID) -> ImportJob | None:
        job = await _visible_job(info, parse_id(id, "id"))
        return ImportJob.of(job) if job else None

    @strawberry.field(description="Region admin: the latest imports, newest first.")
    async def import_jobs(self, info: strawberry.Info, first: int = 20) -> list[ImportJob]:
        importing.require_import_rights(info.context.require_region_actor())
        limit = page_size(first, info.context.settings.max_page_size)
        jobs = (
            await ImportJobModel.filter(tenant_id=current_tenant_id()).order_by("-id").limit(limit)
        )
        return [ImportJob.of(j) for j in jobs]


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Region admin: import employees from a CSV file (columns NIP, nama, jabatan, "
        "jenis_jabatan, golongan, unit, nip_atasan, email, telepon; ',' or ';'; UTF-8). "
        "Runs as a background job: follow it with importJob(id). All or nothing: with any "
        "problem nothing is written. dryRun validates only."
    )
    async def import_employees(
        self,
        info: strawberry.Info,
        file: Upload,
        dry_run: bool = False,
        deactivate_missing: Annotated[
            bool, strawberry.argument(description="Deactivate active employees not in the file")
        ] = False,
    ) -> ImportJobPayload:
        actor = info.context.require_region_actor()
        importing.require_import_rights(actor)
        job, errors = await run_mutation(
            lambda: importing.stage_import(
                actor=actor,
                filename=getattr(file, "filename", None) or "roster.csv",
                binary=file.file,
                dry_run=dry_run,
                deactivate_missing=deactivate_missing,
                max_bytes=info.context.settings.import_max_bytes,
            )
        )
        return ImportJobPayload(job=ImportJob.of(job) if job else None, errors=errors)
