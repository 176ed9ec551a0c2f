"""Reads of the surveys domain."""

from __future__ import annotations

from kinerja_saas.surveys.models import SurveyElement
from tenants.context import current_tenant_id

# --- reads for the GraphQL API (schema/) --------------------------------------------------


async def survey_elements() -> list[SurveyElement]:
    """The region's SKM elements (unsur) in their order."""
    return await SurveyElement.filter(tenant_id=current_tenant_id()).order_by("position")
