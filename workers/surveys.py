"""Survey jobs: the debounced aggregation after submissions and the nightly recompute of
every region (an admin recomputes one campaign at once with recomputeSurveyResults)."""

from __future__ import annotations

from datetime import UTC, datetime

from kinerja_saas.auth.actor import Actor
from kinerja_saas.surveys.aggregation import (
    STALE_PENDING_SECONDS,
    aggregate,
    aggregate_pending,
    campaign_ids_to_recompute,
    stale_pending_campaigns,
)
from workers.queue import enqueue
from workers.tenant_job import WorkerContext, enqueue_for_active_regions, tenant_job


@tenant_job
async def aggregate_survey_campaign(actor: Actor, *, campaign_id: int, **_: object) -> dict:
    """Refreshes the campaign's pending services and their unit and region rows (debounced
    by the relay: one run per campaign and window however many responses came in), then
    the survey-fed realisations of indicators with source SKM_IKM (same transaction).
    Jobs queued before an upgrade (`aggregate_survey_service`, with a service_id) run it
    too: the pending rows say which services to refresh."""
    run = await aggregate_pending(campaign_id=campaign_id)
    return {
        "services": len(run.services),
        "rows": run.rows,
        "band_drops": len(run.band_drops),
        "realisations": run.realisations,
    }


@tenant_job
async def sweep_survey_pending(actor: Actor) -> int:
    """Campaigns of the region whose services stayed pending (their aggregation job lost
    or failed for good): aggregated now, one of workers/recovery.py's sweeps. Returns how
    many campaigns."""
    campaign_ids = await stale_pending_campaigns(older_than_seconds=STALE_PENDING_SECONDS)
    for campaign_id in campaign_ids:
        await aggregate_pending(campaign_id=campaign_id)
    return len(campaign_ids)


@tenant_job(with_worker=True)
async def recompute_survey_results(actor: Actor, *, worker: WorkerContext) -> list[str]:
    """One region: a `recompute_survey_campaign` job per campaign with responses, so the
    region's campaigns are recomputed side by side, each in its own transaction (one after
    the other in one job took 1.6× a GROUP BY per region at 250,000 responses). Returns the
    jobs' ids; named after this job's, so a cron run enqueues each once."""
    job_ids = []
    for campaign_id in await campaign_ids_to_recompute():
        job_id = f"{actor.request_id}:campaign:{campaign_id}"
        await enqueue(
            worker.queue,
            "recompute_survey_campaign",
            job_id=job_id,
            tenant_id=actor.tenant_id,
            campaign_id=campaign_id,
        )
        job_ids.append(job_id)
    return job_ids


@tenant_job
async def recompute_survey_campaign(actor: Actor, *, campaign_id: int) -> dict:
    """One campaign recomputed from scratch (the nightly recompute's unit of work)."""
    run = await aggregate(campaign_id=campaign_id)
    return {"rows": run.rows, "realisations": run.realisations}


async def schedule_survey_recompute(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, nightly: `recompute_survey_results` for every active region."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return await enqueue_for_active_regions(ctx["redis"], "recompute_survey_results", run=day)
