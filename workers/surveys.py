"""Survey jobs: the debounced aggregation after submissions and the nightly recompute of
every region (an admin recomputes one campaign at once with recomputeSurveyResults)."""

from __future__ import annotations

from datetime import UTC, datetime

from kinerja_saas.auth.actor import Actor
from kinerja_saas.outbox import service as outbox
from kinerja_saas.surveys.aggregation import (
    STALE_PENDING_SECONDS,
    aggregate_campaigns,
    aggregate_pending,
    campaign_ids_to_recompute,
    stale_pending_campaigns,
)
from kinerja_saas.surveys.events import RESPONSE_SUBMITTED
from workers import jobs
from workers.tenant_job import enqueue_for_active_regions, tenant_job


@tenant_job
async def aggregate_survey_campaign(actor: Actor, *, campaign_id: int, **_: object) -> dict:
    """Refreshes the campaign's pending services and their unit and region rows (debounced
    by the relay: one run per campaign and window however many responses came in), then
    the survey-fed realisations of indicators with source SKM_IKM (same transaction).
    Jobs queued before an upgrade (`LEGACY_AGGREGATE_SURVEY_SERVICE`, with a service_id) run it
    too: the pending rows say which services to refresh."""
    run = await aggregate_pending(campaign_id=campaign_id)
    # The campaign's relayed submission events are done with this run (same transaction).
    await outbox.mark_scope_done(RESPONSE_SUBMITTED, {"campaign_id": campaign_id})
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


@tenant_job
async def recompute_survey_results(actor: Actor) -> int:
    """One region: every campaign with responses, recomputed from scratch in one pass."""
    campaign_ids = await campaign_ids_to_recompute()
    await aggregate_campaigns(campaign_ids=campaign_ids)
    return len(campaign_ids)


async def schedule_survey_recompute(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, nightly: `recompute_survey_results` for every active region."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return await enqueue_for_active_regions(ctx["redis"], jobs.RECOMPUTE_SURVEY_RESULTS, run=day)
