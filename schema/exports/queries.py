"""exports: the Query fields (region admin)."""

from __future__ import annotations

import strawberry

from kinerja_saas.exports import service
from schema.errors import parse_id
from schema.exports.types import NationalExport


@strawberry.type
class ExportQuery:
    @strawberry.field(description="Region admin: one national export (status, progress, file).")
    async def national_export(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> NationalExport | None:
        actor = info.context.require_region_actor()
        export_id = parse_id(id, "id")
        assert export_id is not None
        found = await service.exports_by_ids(actor=actor, ids=[export_id])
        return NationalExport.of(found[0]) if found else None

    @strawberry.field(description="Region admin: the latest national exports, newest first.")
    async def national_exports(self, info: strawberry.Info) -> list[NationalExport]:
        actor = info.context.require_region_actor()
        return [NationalExport.of(x) for x in await service.recent_exports(actor=actor)]
