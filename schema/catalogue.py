"""The region's reference data: the BerAKHLAK values, the SKM elements, the competency
catalogue and the training rules seeded at onboarding."""

from __future__ import annotations

import strawberry

from kinerja_saas.performance.models import BehaviourValue as BehaviourValueModel
from kinerja_saas.surveys.models import SurveyElement as SurveyElementModel
from kinerja_saas.training.models import Competency as CompetencyModel
from kinerja_saas.training.models import CompetencyKind as _CompetencyKind
from kinerja_saas.training.models import RuleTrigger as _RuleTrigger
from kinerja_saas.training.models import TrainingRule as TrainingRuleModel
from tenants.context import current_tenant_id

CompetencyKind = strawberry.enum(_CompetencyKind)
RuleTrigger = strawberry.enum(_RuleTrigger)


@strawberry.type(description="A BerAKHLAK core value with its guide behaviours.")
class BehaviourValue:
    code: str
    name: str
    guide_behaviours: list[str]


@strawberry.type(description="An SKM element (unsur) with the labels of answers 1–4.")
class SurveyElement:
    code: str
    name: str
    answer_labels: list[str]


@strawberry.type
class Competency:
    id: strawberry.ID
    code: str
    name: str
    kind: CompetencyKind
    is_active: bool

    @classmethod
    def of(cls, c: CompetencyModel) -> Competency:
        return cls(
            id=strawberry.ID(str(c.id)),
            code=c.code,
            name=c.name,
            kind=c.kind,
            is_active=c.is_active,
        )


@strawberry.type
class TrainingRule:
    id: strawberry.ID
    trigger: RuleTrigger
    trigger_value: str
    competency_id: strawberry.ID
    programme_id: strawberry.ID | None = strawberry.field(
        description="The programme the rule assigns; none: the best programme of the competency"
    )
    priority: int
    is_active: bool

    @classmethod
    def of(cls, r: TrainingRuleModel) -> TrainingRule:
        return cls(
            id=strawberry.ID(str(r.id)),
            trigger=r.trigger,
            trigger_value=r.trigger_value,
            competency_id=strawberry.ID(str(r.competency_id)),
            programme_id=strawberry.ID(str(r.programme_id)) if r.programme_id else None,
            priority=r.priority,
            is_active=r.is_active,
        )


@strawberry.type
class CatalogueQuery:
    @strawberry.field
    async def behaviour_values(self, info: strawberry.Info) -> list[BehaviourValue]:
        info.context.require_region_actor()
        rows = await BehaviourValueModel.filter(tenant_id=current_tenant_id()).order_by("position")
        return [
            BehaviourValue(code=r.code, name=r.name, guide_behaviours=r.guide_behaviours)
            for r in rows
        ]

    @strawberry.field
    async def survey_elements(self, info: strawberry.Info) -> list[SurveyElement]:
        info.context.require_region_actor()
        rows = await SurveyElementModel.filter(tenant_id=current_tenant_id()).order_by("position")
        return [
            SurveyElement(code=r.code, name=r.name, answer_labels=r.answer_labels) for r in rows
        ]

    @strawberry.field
    async def competencies(self, info: strawberry.Info) -> list[Competency]:
        info.context.require_region_actor()
        rows = await CompetencyModel.filter(tenant_id=current_tenant_id()).order_by("code")
        return [Competency.of(r) for r in rows]

    @strawberry.field
    async def training_rules(self, info: strawberry.Info) -> list[TrainingRule]:
        info.context.require_region_actor()
        rows = await TrainingRuleModel.filter(tenant_id=current_tenant_id()).order_by(
            "trigger", "priority"
        )
        return [TrainingRule.of(r) for r in rows]
