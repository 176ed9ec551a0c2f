"""regions: the Query fields and their arguments (filters, orderings)."""

from __future__ import annotations

import strawberry

from kinerja_saas.performance import queries as performance
from kinerja_saas.regions import onboarding
from kinerja_saas.regions import queries as regions
from kinerja_saas.surveys import queries as surveys
from kinerja_saas.training import queries as training
from schema.pagination import decode_cursor, encode_cursor, page_info, page_size
from schema.performance.types import BehaviourValue
from schema.regions.types import (
    Region,
    RegionOverview,
    RegionOverviewConnection,
    RegionOverviewEdge,
    RegionStatus,
)
from schema.surveys.types import SurveyElement
from schema.training.types import Competency, TrainingRule


@strawberry.type
class RegionQuery:
    @strawberry.field(description="The region of the logged-in user.")
    async def region(self, info: strawberry.Info) -> Region:
        actor = info.context.require_region_actor()
        return Region.of(await regions.region(actor.tenant_id))

    @strawberry.field(description="Platform operators: every region, by name.")
    async def regions(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        status: RegionStatus | None = None,
    ) -> RegionOverviewConnection:
        limit = page_size(first, info.context.settings.max_page_size)
        rows = await onboarding.list_regions(
            actor=info.context.require_actor(),
            search=search,
            status=status,
            limit=limit,
            after=decode_cursor(after, "name") if after else None,
        )
        has_next = len(rows) > limit
        edges = [
            RegionOverviewEdge(
                cursor=encode_cursor(r.tenant.name, r.tenant.id, "name"),
                node=RegionOverview(
                    region=Region.of(r.tenant),
                    employees=r.employees,
                    units=r.units,
                    last_activity=r.last_activity,
                ),
            )
            for r in rows[:limit]
        ]
        return RegionOverviewConnection(
            edges=edges,
            page_info=page_info(edges, has_next=has_next, after=after),
        )


@strawberry.type
class CatalogueQuery:
    @strawberry.field
    async def behaviour_values(self, info: strawberry.Info) -> list[BehaviourValue]:
        info.context.require_region_actor()
        rows = await performance.behaviour_values()
        return [
            BehaviourValue(code=r.code, name=r.name, guide_behaviours=r.guide_behaviours)
            for r in rows
        ]

    @strawberry.field
    async def survey_elements(self, info: strawberry.Info) -> list[SurveyElement]:
        info.context.require_region_actor()
        rows = await surveys.survey_elements()
        return [
            SurveyElement(code=r.code, name=r.name, answer_labels=r.answer_labels) for r in rows
        ]

    @strawberry.field
    async def competencies(self, info: strawberry.Info) -> list[Competency]:
        info.context.require_region_actor()
        rows = await training.competencies()
        return [Competency.of(r) for r in rows]

    @strawberry.field
    async def training_rules(self, info: strawberry.Info) -> list[TrainingRule]:
        info.context.require_region_actor()
        rows = await training.training_rules()
        return [TrainingRule.of(r) for r in rows]
