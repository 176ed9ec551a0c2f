"""performance: the Query fields and their arguments (filters, orderings)."""

from __future__ import annotations

import strawberry

from kinerja_saas.db import json_select
from kinerja_saas.performance import (
    appeals,
    consequences,
    distribution,
    evaluations,
    monitoring,
    plans,
)
from kinerja_saas.performance import queries as performance_queries
from kinerja_saas.performance import service as performance
from kinerja_saas.performance.models import EvaluationStatus as _EvaluationStatus
from kinerja_saas.performance.monitoring import PlanFilter as _PlanFilter
from kinerja_saas.performance.monitoring import list_plans
from kinerja_saas.performance.rules import Predikat as _Predikat
from schema import compiled
from schema.context import Context
from schema.errors import optional_id, parse_id
from schema.org.types import Employee
from schema.pagination import decode_cursor, encode_cursor, page_info, page_size
from schema.performance.types import (
    DistributionCheck,
    Evaluation,
    PerformanceStatsRow,
    Period,
    Plan,
    PlanConnection,
    PlanEdge,
    PlanStatus,
    RewardSanction,
    StatsDimension,
    TeamMember,
    rating_of,
)


@strawberry.type
class PerformanceQuery:
    @strawberry.field(description="The region's periods, newest first.")
    async def periods(self, info: strawberry.Info) -> list[Period]:
        info.context.require_region_actor()
        return [Period.of(p) for p in await performance.list_periods()]


@strawberry.type
class PlanQuery:
    @strawberry.field(description="Your own plan for the period, if you have written one.")
    async def my_plan(self, info: strawberry.Info, period_id: strawberry.ID) -> Plan | None:
        actor = info.context.require_region_actor()
        plan = await plans.my_plan(actor=actor, period_id=parse_id(period_id, "periodId"))
        return Plan.of(plan) if plan else None

    @strawberry.field(description="A plan you may see: your own, your reports', or any (admin).")
    async def plan(self, info: strawberry.Info, id: strawberry.ID) -> Plan:
        actor = info.context.require_region_actor()
        return Plan.of(await plans.get_plan(actor=actor, plan_id=parse_id(id, "id")))

    @strawberry.field(
        description="Plans visible to you, by employee name: the region admin sees all, a "
        "supervisor their supervision chain, anyone else their own."
    )
    async def plans(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: PlanFilter | None = None,
    ) -> PlanConnection:
        actor = info.context.require_region_actor()
        limit = page_size(first, info.context.settings.max_page_size)
        f = filter or PlanFilter()
        flt = _PlanFilter(
            period_id=parse_id(f.period_id, "filter.periodId"),
            unit_id=parse_id(f.unit_id, "filter.unitId"),
            include_subunits=f.include_subunits,
            status=f.status.value if f.status else None,
            predikat=f.predikat,
            evaluator_id=parse_id(f.evaluator_id, "filter.evaluatorId"),
        )
        rows = await list_plans(
            actor=actor,
            flt=flt,
            limit=limit,
            after=decode_cursor(after, "plans") if after else None,
        )
        has_next = len(rows) > limit
        edges = [
            PlanEdge(cursor=encode_cursor(r["employee_name"], r["id"], "plans"), node=Plan.of(r))
            for r in rows[:limit]
        ]
        return PlanConnection(
            edges=edges, page_info=page_info(edges, has_next=has_next, after=after), filter=flt
        )


# --- the compiled read path (schema/compiled.py): the resolver's check, one statement ------


@compiled.root("plan")
async def _compiled_plan(context: Context, id: strawberry.ID) -> compiled.Root:
    """`plan(id)`: who may read it is decided by the resolver's own service call
    (`plans.get_plan`: `access.visible_plan`, every relation of `relations_to`), which
    raises NOT_FOUND for a plan the viewer may not see (the ordinary path then answers);
    the statement reads the plan it allowed."""
    actor = context.require_region_actor()
    plan = await plans.get_plan(actor=actor, plan_id=parse_id(id, "id"))

    def build(b: json_select.Builder, shape: json_select.Obj) -> str:
        return performance_queries.plan_json(b, plan_id=plan.id, shape=shape)

    return compiled.Root(build=build)


@compiled.root("myPlan")
async def _compiled_my_plan(context: Context, period_id: strawberry.ID) -> compiled.Root:
    """`myPlan(periodId)`: the resolver's own service call finds the plan; none (null) is
    left to the ordinary path, which answers it without reading more."""
    actor = context.require_region_actor()
    plan = await plans.my_plan(actor=actor, period_id=parse_id(period_id, "periodId"))
    if plan is None:
        raise compiled.NotCompilable

    def build(b: json_select.Builder, shape: json_select.Obj) -> str:
        return performance_queries.plan_json(b, plan_id=plan.id, shape=shape)

    return compiled.Root(build=build)


@strawberry.type
class EvaluationQuery:
    @strawberry.field(description="Your evaluations, newest period first.")
    async def my_evaluations(
        self, info: strawberry.Info, period_id: strawberry.ID | None = None
    ) -> list[Evaluation]:
        actor = info.context.require_region_actor()
        rows = await evaluations.my_evaluations(
            actor=actor, period_id=parse_id(period_id, "periodId")
        )
        return [Evaluation.of(e) for e in rows]

    @strawberry.field(
        description="Your direct reports, live: one statement however many there are. While "
        "you are an acting head (Plt./Plh., SE Kepala BKN 1/SE/I/2021), also the reports of "
        "the head you stand in for."
    )
    async def my_team(self, info: strawberry.Info, period_id: strawberry.ID) -> list[TeamMember]:
        actor = info.context.require_region_actor()
        rows = await monitoring.my_team(actor=actor, period_id=parse_id(period_id, "periodId"))
        return [
            TeamMember(
                employee=Employee.of(r, viewer=actor),
                plan_id=optional_id(r["plan_id"]),
                plan_status=r["plan_status"],
                achievement_to_date=r["achievement"],
                indicators=r["indicators"],
                missing_realisations=r["missing_realisations"],
                pending_verifications=r["pending_verifications"],
                latest_predikat=_Predikat(r["latest_predikat"]) if r["latest_predikat"] else None,
                latest_evaluation_status=_EvaluationStatus(r["latest_evaluation_status"])
                if r["latest_evaluation_status"]
                else None,
            )
            for r in rows
        ]

    @strawberry.field(
        description="Counts of plans and average achievement, grouped in the database. "
        "Group by CHECKPOINT for trends across checkpoints. A supervisor counts the plans "
        "they, or someone below them, evaluate by the evaluator recorded on the plan (which "
        "only a transfer changes), not today's supervision chain; the region admin all."
    )
    async def performance_stats(
        self,
        info: strawberry.Info,
        period_id: strawberry.ID,
        group_by: list[StatsDimension],
        unit_id: strawberry.ID | None = None,
    ) -> list[PerformanceStatsRow]:
        actor = info.context.require_region_actor()
        rows = await monitoring.performance_stats(
            actor=actor,
            period_id=parse_id(period_id, "periodId"),
            unit_id=parse_id(unit_id, "unitId"),
            by=[monitoring.StatsDimension(d.value) for d in group_by],
        )
        return [
            PerformanceStatsRow(
                unit_id=optional_id(r.get("unit_id")),
                checkpoint_id=optional_id(r.get("checkpoint_id")),
                predikat=_Predikat(r["predikat"]) if r.get("predikat") else None,
                result_rating=rating_of(r.get("result_rating")),
                behaviour_rating=rating_of(r.get("behaviour_rating")),
                plan_status=r.get("plan_status"),
                plans=r["plans"],
                with_achievement=r["with_achievement"],
                no_data=r["no_data"],
                average_achievement=r["average_achievement"],
            )
            for r in rows
        ]

    @strawberry.field(
        description="The region's Tim Penilai Kinerja: they decide appeals where the "
        "evaluator has no supervisor (PermenPANRB 6/2022), unless the region's "
        "appealDeciderAtTop is REGION_ADMIN."
    )
    async def appraisal_team(self, info: strawberry.Info) -> list[Employee]:
        actor = info.context.require_region_actor()
        return [Employee.of(r, with_contact=False) for r in await appeals.team(actor=actor)]

    @strawberry.field(description="A unit's predikat distribution against its pattern, live.")
    async def distribution_check(
        self, info: strawberry.Info, period_id: strawberry.ID, unit_id: strawberry.ID
    ) -> DistributionCheck:
        actor = info.context.require_region_actor()
        d = await distribution.distribution_check(
            actor=actor,
            period_id=parse_id(period_id, "periodId"),
            unit_id=parse_id(unit_id, "unitId"),
        )
        return DistributionCheck.of(d)

    @strawberry.field(description="Rewards and sanctions of an employee visible to you.")
    async def rewards_and_sanctions(
        self, info: strawberry.Info, employee_id: strawberry.ID
    ) -> list[RewardSanction]:
        actor = info.context.require_region_actor()
        rows = await consequences.consequences_of(
            actor=actor, employee_id=parse_id(employee_id, "employeeId")
        )
        return [RewardSanction.of(r) for r in rows]


@strawberry.input
class PlanFilter:
    period_id: strawberry.ID | None = None
    unit_id: strawberry.ID | None = None
    include_subunits: bool = True
    status: PlanStatus | None = None
    predikat: str | None = strawberry.field(
        default=None, description="The year's predikat, e.g. BUTUH_PERBAIKAN"
    )
    evaluator_id: strawberry.ID | None = None
