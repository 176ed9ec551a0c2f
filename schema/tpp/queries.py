"""TPP reads: the region's rule sets and months (region admin), the finance export, and
an employee's own statement (`myTpp`)."""

from __future__ import annotations

import strawberry

from kinerja_saas.tpp import service
from kinerja_saas.tpp.rules import month_key, month_label
from schema.pagination import page_size
from schema.tpp.types import MyTpp, TppLine, TppLinePage, TppMonth, TppRuleSet


@strawberry.type
class TppQuery:
    @strawberry.field(description="Region admin: the TPP rule versions, newest first.")
    async def tpp_rule_sets(self, info: strawberry.Info) -> list[TppRuleSet]:
        actor = info.context.require_region_actor()
        return [TppRuleSet.of(r) for r in await service.rule_sets(actor=actor)]

    @strawberry.field(description="Region admin: a month's TPP state and totals (YYYY-MM).")
    async def tpp_month(self, info: strawberry.Info, month: str) -> TppMonth | None:
        actor = info.context.require_region_actor()
        found = await service.month(actor=actor, month=month)
        return TppMonth.of(found) if found else None

    @strawberry.field(
        description="Region admin: the month's rows by NIP, each employee with the "
        "computation and every correction."
    )
    async def tpp_lines(
        self, info: strawberry.Info, month: str, first: int = 50, after: str | None = None
    ) -> TppLinePage:
        actor = info.context.require_region_actor()
        limit = page_size(first, info.context.settings.max_page_size)
        lines = await service.month_lines(actor=actor, month=month, after_nip=after, first=limit)
        nips = list(dict.fromkeys(line.nip for line in lines))
        return TppLinePage(
            lines=[TppLine.of(line) for line in lines],
            next_after=nips[-1] if len(nips) == limit else None,
        )

    @strawberry.field(
        description="Region admin: the month as CSV for the finance unit (';' separated, "
        "Indonesian headers, decimal comma, whole rupiah, corrections as their own rows)."
    )
    async def tpp_export_csv(self, info: strawberry.Info, month: str) -> str:
        actor = info.context.require_region_actor()
        return await service.export_csv(actor=actor, month=month)

    @strawberry.field(description="My TPP of a month (YYYY-MM): how each part was computed.")
    async def my_tpp(self, info: strawberry.Info, month: str) -> MyTpp:
        actor = info.context.require_region_actor()
        the_month, lines = await service.my_tpp(actor=actor, month=month)
        history = [TppLine.of(line) for line in lines]
        return MyTpp(
            month=month_key(the_month),
            month_label=month_label(the_month),
            current=history[-1] if history else None,
            history=history,
        )
