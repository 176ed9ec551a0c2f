"""exports: the Mutation fields and payloads (region admin)."""

from __future__ import annotations

import strawberry

from kinerja_saas.exports import service
from kinerja_saas.exports.rules import ExportFormat, ExportKind
from schema.exports.types import NationalExport, NationalExportFormat, NationalExportKind
from schema.payloads import mutate, payload


@payload
class NationalExportPayload:
    export: NationalExport | None


@strawberry.type
class ExportMutation:
    @strawberry.mutation(
        description="Region admin: a file for the national systems — the year's or a "
        "period's predikat per NIP (BKN e-Kinerja / SIASN layout) or the training JP per NIP "
        "(competency records) — built by a worker; follow it with `nationalExport`."
    )
    async def request_national_export(
        self,
        info: strawberry.Info,
        kind: NationalExportKind,
        year: int,
        checkpoint_number: int | None = None,
        format: NationalExportFormat = NationalExportFormat.CSV,
    ) -> NationalExportPayload:
        actor = info.context.require_region_actor()

        async def body():
            return await service.request_export(
                actor=actor,
                kind=ExportKind(kind.value),
                year=year,
                checkpoint_number=checkpoint_number,
                fmt=ExportFormat(format.value),
            )

        return await mutate(NationalExportPayload, body, NationalExport.of)
