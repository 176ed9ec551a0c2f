"""Jobs of the organisation domain."""

from __future__ import annotations

from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.org import importing
from workers.tenant_job import tenant_job


async def _import_failed(
    actor: Actor, exc: Exception, *, payload: dict[str, Any], **_: Any
) -> None:
    await importing.fail_import(
        tenant_id=actor.tenant_id,
        job_id=payload["job_id"],
        message=f"The import could not finish ({type(exc).__name__}); try again or contact support.",
    )


async def _import_skipped(
    actor: Actor, exc: Exception, *, payload: dict[str, Any], **_: Any
) -> None:
    await importing.fail_import(
        tenant_id=actor.tenant_id,
        job_id=payload["job_id"],
        code="REGION_SUSPENDED",
        message="The region was suspended before the import could run.",
    )


@tenant_job(transactional=False, on_final_failure=_import_failed, on_skip=_import_skipped)
async def import_employees(
    actor: Actor, *, event_id: int, topic: str, payload: dict[str, Any]
) -> dict:
    """Runs an import queued by `importEmployees` (outbox topic org.import.requested)."""
    job = await importing.run_import(
        tenant_id=actor.tenant_id, job_id=payload["job_id"], actor=actor
    )
    return {"job_id": payload["job_id"], "status": job.status.value if job else None}
