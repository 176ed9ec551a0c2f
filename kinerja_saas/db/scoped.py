"""The tenant-scoped model accessor: the current region's rows of a model, said once
(row-level security is the backstop; this is the application's own filter)."""

from __future__ import annotations

from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from tenants.context import current_tenant_id

M = TypeVar("M", bound=Model)


def scoped(model: type[M]) -> QuerySet[M]:
    """`model.filter(tenant_id=<the current region>)`; chain `.filter`, `.get_or_none`,
    `.exists`, `.update` … as on any query set."""
    return model.filter(tenant_id=current_tenant_id())
