"""Per-request DataLoaders: one statement per relation however many rows ask for it."""

from __future__ import annotations

import functools
from typing import Any

from strawberry.dataloader import DataLoader

from kinerja_saas.org import service as org
from kinerja_saas.performance import dialog, evaluations, plans, realisations
from kinerja_saas.performance import queries as performance_queries
from kinerja_saas.performance import service as performance
from kinerja_saas.performance.achievement import (
    achievement_cap,
    checkpoint_achievements,
    current_values,
    plan_achievements,
)
from kinerja_saas.training import queries as training_queries


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
    """The request's DataLoaders, each made on first use: most requests need one or two."""

    @functools.cached_property
    def unit(self) -> DataLoader:
        return DataLoader(load_fn=_load_units)

    @functools.cached_property
    def employee(self) -> DataLoader:
        return DataLoader(load_fn=_load_employees)

    @functools.cached_property
    def unit_children(self) -> DataLoader:
        return DataLoader(load_fn=_load_unit_children)

    @functools.cached_property
    def account_by_employee(self) -> DataLoader:
        return DataLoader(load_fn=_load_accounts)

    @functools.cached_property
    def checkpoints(self) -> DataLoader:
        return DataLoader(load_fn=_load_checkpoints)

    @functools.cached_property
    def checkpoint(self) -> DataLoader:
        return DataLoader(load_fn=_load_checkpoint)

    @functools.cached_property
    def plan(self) -> DataLoader:
        return DataLoader(load_fn=_load_plans)

    @functools.cached_property
    def plan_content(self) -> DataLoader:
        return DataLoader(load_fn=_grouped(plans.plan_content))

    @functools.cached_property
    def weight_total(self) -> DataLoader:
        return DataLoader(load_fn=_grouped(plans.weight_totals))

    @functools.cached_property
    def revisions(self) -> DataLoader:
        return DataLoader(load_fn=_grouped(plans.revisions_of))

    @functools.cached_property
    def realisations(self) -> DataLoader:
        return DataLoader(load_fn=_grouped(realisations.realisations_of))

    @functools.cached_property
    def evaluations(self) -> DataLoader:
        return DataLoader(load_fn=_grouped(evaluations.evaluations_of_plans))

    @functools.cached_property
    def appeal(self) -> DataLoader:
        return DataLoader(load_fn=_optional(evaluations.appeals_of))

    @functools.cached_property
    def dialog(self) -> DataLoader:
        return DataLoader(load_fn=_grouped(dialog.notes_of))

    @functools.cached_property
    def achievement_to_date(self) -> DataLoader:
        return DataLoader(load_fn=_load_achievements)

    @functools.cached_property
    def training_programme(self) -> DataLoader:
        return DataLoader(load_fn=_optional(training_queries.programmes_by_ids))

    @functools.cached_property
    def checkpoint_achievements(self) -> DataLoader:
        """plan id -> its achievement at each checkpoint (None: no data), in order."""
        return DataLoader(load_fn=_load_checkpoint_achievements)

    @functools.cached_property
    def current_values(self) -> DataLoader:
        """(plan id, checkpoint id or None) -> {indicator id: realisation counted now}."""
        return DataLoader(load_fn=_load_current_values)


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
    found = await performance_queries.plans_by_id(ids)
    return [found.get(i) for i in ids]


async def _load_achievements(plan_ids: list[int]) -> list[Any]:
    found = await plan_achievements(
        list(set(plan_ids)), checkpoint_id=None, cap=await achievement_cap()
    )
    return [found.get(i) for i in plan_ids]


async def _load_current_values(keys: list[tuple[int, int | None]]) -> list[Any]:
    found = await current_values(list(set(keys)))
    return [found[k] for k in keys]


async def _load_checkpoint_achievements(plan_ids: list[int]) -> list[Any]:
    found = await checkpoint_achievements(list(set(plan_ids)), cap=await achievement_cap())
    return [found[i] for i in plan_ids]
