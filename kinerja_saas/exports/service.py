"""Use cases of the national exports: the region admin asks for a file (an outbox event
starts the job), follows its status and progress, and reads its content when done. The job
builds the file from one statement over the region's rows. Knows nothing of GraphQL or the
queue.

Storage: the documents helper's storage interface has not landed on main, so the file's
content is kept with the export's row and returned by the GraphQL field `content`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import PermissionDenied, ValidationFailed
from kinerja_saas.exports import events, queries
from kinerja_saas.exports.errors import ExportError, field_error, message
from kinerja_saas.exports.rules import (
    ExportFormat,
    ExportKind,
    ExportStatus,
    file_name,
    render,
)
from kinerja_saas.outbox.service import emit
from kinerja_saas.regions.settings import load
from tenants.context import current_tenant_id
from tenants.models import Tenant

MIN_YEAR, MAX_YEAR = 2000, 2100
RECENT_LIMIT = 50


@dataclass(frozen=True)
class NationalExport:
    id: int
    kind: ExportKind
    year: int
    checkpoint_number: int | None
    format: ExportFormat
    status: ExportStatus
    progress: int
    row_count: int | None
    file_name: str | None
    error: str | None
    requested_by: int | None
    requested_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, r: dict[str, Any]) -> NationalExport:
        return cls(
            id=r["id"],
            kind=ExportKind(r["kind"]),
            year=r["year"],
            checkpoint_number=r["checkpoint_number"],
            format=ExportFormat(r["format"]),
            status=ExportStatus(r["status"]),
            progress=r["progress"],
            row_count=r["row_count"],
            file_name=r["file_name"],
            error=r["error"],
            requested_by=r["requested_by"],
            requested_at=r["requested_at"],
            finished_at=r["finished_at"],
        )


def _require_admin(actor: Actor, action: str) -> None:
    if not actor.has(Role.REGION_ADMIN):
        raise PermissionDenied(ExportError.NOT_ADMIN, action=action)


async def request_export(
    *,
    actor: Actor,
    kind: ExportKind,
    year: int,
    checkpoint_number: int | None,
    fmt: ExportFormat,
) -> NationalExport:
    """The export's row (QUEUED) and its event, in the caller's transaction."""
    _require_admin(actor, "meminta ekspor data nasional")
    problems = []
    if not MIN_YEAR <= year <= MAX_YEAR:
        problems.append(
            field_error(
                "year",
                ExportError.OUT_OF_RANGE,
                label="Tahun",
                low=str(MIN_YEAR),
                high=str(MAX_YEAR),
            )
        )
    if kind is ExportKind.PREDIKAT_PERIODIK and checkpoint_number is None:
        problems.append(field_error("checkpointNumber", ExportError.CHECKPOINT_REQUIRED))
    if kind is not ExportKind.PREDIKAT_PERIODIK and checkpoint_number is not None:
        problems.append(field_error("checkpointNumber", ExportError.CHECKPOINT_NOT_ALLOWED))
    if problems:
        raise ValidationFailed(problems)
    if checkpoint_number is not None and not await queries.checkpoint_exists(
        year, checkpoint_number
    ):
        raise ValidationFailed(
            [
                field_error(
                    "checkpointNumber",
                    ExportError.UNKNOWN_CHECKPOINT,
                    year=year,
                    position=checkpoint_number,
                )
            ]
        )
    row = await queries.insert_export(
        kind=kind.value,
        year=year,
        checkpoint_number=checkpoint_number,
        fmt=fmt.value,
        requested_by=actor.user_id or None,
    )
    await emit(
        events.EXPORT_REQUESTED,
        {"export_id": row["id"], "kind": kind.value, "requested_by": actor.user_id or None},
    )
    await record(
        actor=actor,
        action="exports.request",
        entity="national_export",
        entity_id=row["id"],
        after={"kind": kind.value, "year": year, "checkpoint": checkpoint_number},
    )
    return NationalExport.of(row)


async def exports_by_ids(*, actor: Actor, ids: list[int]) -> list[NationalExport]:
    _require_admin(actor, "melihat ekspor data nasional")
    return [NationalExport.of(r) for r in await queries.exports_by_ids(ids)]


async def recent_exports(*, actor: Actor) -> list[NationalExport]:
    _require_admin(actor, "melihat ekspor data nasional")
    return [NationalExport.of(r) for r in await queries.recent_exports(RECENT_LIMIT)]


async def content(*, actor: Actor, export_id: int) -> str | None:
    """The file of a finished export (None while it is not done)."""
    _require_admin(actor, "mengunduh ekspor data nasional")
    return await queries.content(export_id)


# --- the job ---------------------------------------------------------------------------------


async def start(export_id: int) -> dict[str, Any] | None:
    """Step 1 (its own transaction, so the progress shows): RUNNING at 10 %."""
    return await queries.start(export_id)


async def build(job: dict[str, Any]) -> int:
    """Step 2: one statement for the region's rows, the file, DONE at 100 %. Returns the
    number of rows."""
    kind = ExportKind(job["kind"])
    fmt = ExportFormat(job["format"])
    if kind is ExportKind.JP_KOMPETENSI:
        tenant = await Tenant.get(id=current_tenant_id())
        entitlement = load(tenant.settings).training.annual_jp_entitlement
        rows = await queries.jp_rows(job["year"], entitlement)
    else:
        rows = await queries.predikat_rows(job["year"], job["checkpoint_number"])
    await queries.finish(
        job["id"],
        row_count=len(rows),
        file_name=file_name(kind, fmt, job["slug"], job["year"], job["checkpoint_number"]),
        text=render(kind, fmt, rows),
    )
    return len(rows)


async def fail(export_id: int, cause: str) -> None:
    await queries.fail(export_id, message(ExportError.FAILED, reason=cause))
