"""Reads of the org domain."""

from __future__ import annotations

from tortoise.expressions import Q

from kinerja_saas.org.models import ImportJob, ImportProblem
from tenants.context import current_tenant_id

# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def import_job(job_id: int) -> ImportJob | None:
    """One of the region's imports."""
    return await ImportJob.get_or_none(tenant_id=current_tenant_id(), id=job_id)


async def latest_import_jobs(limit: int) -> list[ImportJob]:
    """The region's latest imports, newest first."""
    return await ImportJob.filter(tenant_id=current_tenant_id()).order_by("-id").limit(limit)


async def import_problems(
    job_id: int, *, after: tuple[int, int] | None, limit: int
) -> list[ImportProblem]:
    """An import's problems by line, then id: `limit` of them after the (line, id) given."""
    query = ImportProblem.filter(tenant_id=current_tenant_id(), job_id=job_id)
    if after:
        line, row_id = after
        query = query.filter(Q(line_no__gt=line) | Q(line_no=line, id__gt=row_id))
    return await query.order_by("line_no", "id").limit(limit)
