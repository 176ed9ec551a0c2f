"""Survey jobs: the debounced aggregation after submissions and the nightly recompute of
every region (an admin recomputes one campaign at once with recomputeSurveyResults)."""

from __future__ import annotations

from datetime import UTC, datetime

from kinerja_saas.auth.actor import Actor
from kinerja_saas.surveys.aggregation import aggregate, campaign_ids_to_recompute
from workers.tenant_job import enqueue_for_active_regions, tenant_job


@tenant_job
async def aggregate_survey_service(actor: Actor, *, campaign_id: int, service_id: int) -> dict:
    """Refreshes one campaign × service and its unit and region rows (debounced by the
    relay: one run per window however many responses came in), then the survey-fed
    realisations of indicators with source SKM_IKM (in the same transaction)."""
    run = await aggregate(campaign_id=campaign_id, service_id=service_id)
    return {
        "rows": run.rows,
        "band_drops": len(run.band_drops),
        "realisations": run.realisations,
    }


@tenant_job
async def recompute_survey_results(actor: Actor) -> int:
    """One region: every campaign with responses, recomputed from scratch."""
    campaign_ids = await campaign_ids_to_recompute()
    for campaign_id in campaign_ids:
        await aggregate(campaign_id=campaign_id)
    return len(campaign_ids)


async def schedule_survey_recompute(ctx: dict, *, now: datetime | None = None) -> int:
    """Cron, nightly: `recompute_survey_results` for every active region."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return await enqueue_for_active_regions(ctx["redis"], "recompute_survey_results", run=day)
