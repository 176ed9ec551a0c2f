"""Jobs of the documents domain: a document job queued by `requestDocument` or
`requestUnitDocuments` through the outbox (topic documents.requested)."""

from __future__ import annotations

from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.documents import service
from kinerja_saas.documents.storage import storage_for
from workers.tenant_job import WorkerContext, tenant_job

RENDER_TIMEOUT_SECONDS = 3600  # a unit of a few thousand documents takes minutes


async def _render_failed(
    actor: Actor, exc: Exception, *, payload: dict[str, Any], **_: Any
) -> None:
    assert actor.tenant_id is not None  # a region's job
    await service.fail_job(
        tenant_id=actor.tenant_id, job_id=payload["job_id"], reason=type(exc).__name__
    )


async def _render_skipped(
    actor: Actor, exc: Exception, *, payload: dict[str, Any], **_: Any
) -> None:
    assert actor.tenant_id is not None
    await service.fail_job(
        tenant_id=actor.tenant_id, job_id=payload["job_id"], reason="daerah ditangguhkan"
    )


@tenant_job(
    transactional=False,
    with_worker=True,
    on_final_failure=_render_failed,
    on_skip=_render_skipped,
)
async def render_documents(
    actor: Actor, *, worker: WorkerContext, event_id: int, topic: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Renders and stores the job's PDF or ZIP; commits its progress per batch."""
    assert actor.tenant_id is not None
    settings = worker.settings
    job = await service.run_job(
        tenant_id=actor.tenant_id,
        job_id=payload["job_id"],
        storage=storage_for(settings),
        public_url=settings.platform_url() or settings.own_url,
    )
    return {"job_id": payload["job_id"], "status": job["status"] if job else None}
