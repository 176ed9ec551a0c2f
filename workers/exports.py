"""Jobs of the national exports: one export's file, queued by `requestNationalExport`
through the outbox (topic exports.requested). Two commits, so the status and progress show
while it runs."""

from __future__ import annotations

from typing import Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.exports import service
from tenants.context import tenant_transaction
from workers.tenant_job import tenant_job


async def _failed(actor: Actor, exc: Exception, *, payload: dict[str, Any], **_: Any) -> None:
    assert actor.tenant_id is not None  # a region's job
    async with tenant_transaction(actor.tenant_id):
        await service.fail(payload["export_id"], type(exc).__name__)


@tenant_job(transactional=False, on_final_failure=_failed)
async def build_national_export(
    actor: Actor, *, event_id: int, topic: str, payload: dict[str, Any]
) -> dict[str, Any]:
    assert actor.tenant_id is not None  # a region's job
    async with tenant_transaction(actor.tenant_id):
        job = await service.start(payload["export_id"])
    if job is None:  # finished (or gone) already: a repeated job does nothing
        return {"export_id": payload["export_id"], "rows": None}
    async with tenant_transaction(actor.tenant_id):
        rows = await service.build(job)
    return {"export_id": payload["export_id"], "rows": rows}
