"""The survey results are the surveys' read model (issue 19): `survey_results`, kept by the
debounced incremental runs from the pending services (surveys/aggregation.py). Whatever the
sequence of responses (services sharing a unit, profile slices, several per run) and of
incremental runs between them, once nothing is pending the rows equal a full recompute
from the responses (hypothesis), which is what surveyResults, surveyTrends and the
published results read."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from kinerja_saas.surveys import aggregation
from kinerja_saas.surveys.rules import PROFILE_FIELDS
from tenants.context import tenant_transaction
from tests.surveys.helpers import Campaign, open_campaign, recompute, respond
from tests.surveys.test_aggregation import snapshot

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")

SERVICES = ("ktp", "akta", "kk", "sim")  # ktp and sim share unit a
PROFILES = st.fixed_dictionaries(
    {},
    optional={
        f: st.sampled_from(list(PROFILE_FIELDS[f])[:3])
        for f in ("age_band", "gender", "education", "occupation")
    },
)
STEPS = st.one_of(
    st.tuples(
        st.just("respond"),
        st.sampled_from(SERVICES),
        st.lists(st.integers(1, 4), min_size=9, max_size=9),
        PROFILES,
    ),
    st.tuples(st.just("run")),
)

_campaigns: dict[int, Campaign] = {}


async def _campaign(region: Any) -> Campaign:
    if region.id not in _campaigns:
        _campaigns[region.id] = await open_campaign(
            region, populations={"ktp": 1000, "akta": 100, "kk": 50, "sim": 70}
        )
    return _campaigns[region.id]


@examples(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEPS, min_size=1, max_size=12))
async def test_incremental_results_equal_a_recompute_after_random_responses(region_a, steps):
    campaign = await _campaign(region_a)
    for name, *args in steps:
        if name == "respond":
            service, answers, profile = args
            await respond(region_a, campaign.codes[service], answers, profile=profile)
        else:
            async with tenant_transaction(region_a.id):
                await aggregation.aggregate_pending(campaign_id=campaign.id)
    async with tenant_transaction(region_a.id):
        await aggregation.aggregate_pending(campaign_id=campaign.id)  # what is still pending
    incremental = await snapshot(region_a)
    await recompute(region_a, campaign.id)
    assert await snapshot(region_a) == incremental
