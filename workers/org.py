"""Jobs of the organisation domain."""

from __future__ import annotations

from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.metrics import JOBS_RECOVERED
from kinerja_saas.org import importing
from kinerja_saas.org.errors import ImportError_
from kinerja_saas.org.events import IMPORT_REQUESTED
from tenants.context import tenant_transaction
from workers import jobs
from workers.queue import enqueue
from workers.tenant_job import WorkerContext, tenant_job

IMPORT_TIMEOUT_SECONDS = 3600  # arq cancels a run after this
# A queued import normally starts within seconds; after this its job is taken as lost.
IMPORT_QUEUED_STRANDED_SECONDS = 600
# Past the run's timeout (a killed worker's run is re-run by arq within one worker lease).
IMPORT_RUNNING_STRANDED_SECONDS = IMPORT_TIMEOUT_SECONDS + 300


async def _import_failed(
    actor: Actor, exc: Exception, *, payload: dict[str, Any], **_: Any
) -> None:
    assert actor.tenant_id is not None  # a region's job
    await importing.fail_import(
        tenant_id=actor.tenant_id,
        job_id=payload["job_id"],
    )


async def _import_skipped(
    actor: Actor, exc: Exception, *, payload: dict[str, Any], **_: Any
) -> None:
    assert actor.tenant_id is not None  # a region's job
    await importing.fail_import(
        tenant_id=actor.tenant_id,
        job_id=payload["job_id"],
        error=ImportError_.REGION_SUSPENDED,
    )


@tenant_job(transactional=False, on_final_failure=_import_failed, on_skip=_import_skipped)
async def import_employees(
    actor: Actor, *, event_id: int, topic: str, payload: dict[str, Any]
) -> dict:
    """Runs an import queued by `importEmployees` (outbox topic org.import.requested)."""
    assert actor.tenant_id is not None  # a region's job
    job = await importing.run_import(
        tenant_id=actor.tenant_id, job_id=payload["job_id"], actor=actor
    )
    return {"job_id": payload["job_id"], "status": job.status.value if job else None}


@tenant_job(transactional=False, with_worker=True)
async def sweep_imports(actor: Actor, *, worker: WorkerContext) -> dict[str, int]:
    """Recovery of one region's stranded imports: each gets `import_employees` again. The
    job id names the run that stopped, so one stranded state is recovered by one job; the
    new run takes the import over (`run_import` claims it with a run id of its own)."""
    assert actor.tenant_id is not None
    async with tenant_transaction(actor.tenant_id):
        stranded = await importing.stranded_imports(
            queued_seconds=IMPORT_QUEUED_STRANDED_SECONDS,
            running_seconds=IMPORT_RUNNING_STRANDED_SECONDS,
        )
    for s in stranded:
        await enqueue(
            worker.queue,
            jobs.IMPORT_EMPLOYEES,
            job_id=f"import-sweep:{s.job_id}:{s.run_id or 'queued'}",
            tenant_id=actor.tenant_id,
            event_id=0,  # not from an event: the sweep found it
            topic=IMPORT_REQUESTED.name,
            payload={"job_id": s.job_id},
        )
    JOBS_RECOVERED.labels(sweep="imports").inc(len(stranded))
    return {"requeued": len(stranded)}
