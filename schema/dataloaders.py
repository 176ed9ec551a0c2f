"""Per-request DataLoaders: one statement per relation however many rows ask for it."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from kinerja_saas.org import service as org
from kinerja_saas.performance import service as performance


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
