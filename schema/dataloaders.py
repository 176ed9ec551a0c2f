"""Per-request DataLoaders: one statement per relation however many rows ask for it."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from kinerja_saas.org import service as org
from kinerja_saas.performance import dialog, evaluations, plans, realisations
from kinerja_saas.performance import service as performance
from kinerja_saas.performance.achievement import achievement_cap, plan_achievements
from kinerja_saas.performance.models import Plan
from tenants.context import current_tenant_id


async def _load_units(ids: list[int]) -> list[Any]:
    found = await org.units_by_ids(list(set(ids)))
    return [found.get(i) for i in ids]


async def _load_employees(ids: list[int]) -> list[Any]:
    found = await org.employees_by_ids(list(set(ids)))
    return [found.get(i) for i in ids]


async def _load_unit_children(parent_ids: list[int]) -> list[list[Any]]:
    children = await org.unit_children(list(set(parent_ids)))
    return [children.get(i, []) for i in parent_ids]


async def _load_accounts(employee_ids: list[int]) -> list[Any]:
    found = await org.accounts_by_employee(list(set(employee_ids)))
    return [found.get(i) for i in employee_ids]


async def _load_checkpoints(period_ids: list[int]) -> list[list[Any]]:
    found = await performance.checkpoints_of(list(set(period_ids)))
    return [found.get(i, []) for i in period_ids]


class Loaders:
    def __init__(self) -> None:
        self.unit = DataLoader(load_fn=_load_units)
        self.employee = DataLoader(load_fn=_load_employees)
        self.unit_children = DataLoader(load_fn=_load_unit_children)
        self.account_by_employee = DataLoader(load_fn=_load_accounts)
        self.checkpoints = DataLoader(load_fn=_load_checkpoints)
        self.checkpoint = DataLoader(load_fn=_load_checkpoint)
        self.plan = DataLoader(load_fn=_load_plans)
        self.plan_content = DataLoader(load_fn=_grouped(plans.plan_content))
        self.weight_total = DataLoader(load_fn=_grouped(plans.weight_totals))
        self.revisions = DataLoader(load_fn=_grouped(plans.revisions_of))
        self.realisations = DataLoader(load_fn=_grouped(realisations.realisations_of))
        self.evaluations = DataLoader(load_fn=_grouped(evaluations.evaluations_of_plans))
        self.appeal = DataLoader(load_fn=_optional(evaluations.appeals_of))
        self.dialog = DataLoader(load_fn=_grouped(dialog.notes_of))
        self.achievement_to_date = DataLoader(load_fn=_load_achievements)


def _grouped(fetch):
    """A DataLoader function from a service's `ids -> {id: value}` batch function."""

    async def load(ids: list[int]) -> list[Any]:
        found = await fetch(list(set(ids)))
        return [found[i] for i in ids]

    return load


def _optional(fetch):
    async def load(ids: list[int]) -> list[Any]:
        found = await fetch(list(set(ids)))
        return [found.get(i) for i in ids]

    return load


async def _load_checkpoint(ids: list[int]) -> list[Any]:
    found = await performance.checkpoints_by_ids(list(set(ids)))
    return [found.get(i) for i in ids]


async def _load_plans(ids: list[int]) -> list[Any]:
    found = {p.id: p for p in await Plan.filter(tenant_id=current_tenant_id(), id__in=set(ids))}
    return [found.get(i) for i in ids]


async def _load_achievements(plan_ids: list[int]) -> list[Any]:
    found = await plan_achievements(
        list(set(plan_ids)), checkpoint_id=None, cap=await achievement_cap()
    )
    return [found.get(i) for i in plan_ids]
