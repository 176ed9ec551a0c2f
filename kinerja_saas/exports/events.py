"""Outbox topics of the exports domain (payload types and what each means)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class ExportRequested(TypedDict):
    export_id: int
    kind: str  # PREDIKAT_TAHUNAN, PREDIKAT_PERIODIK or JP_KOMPETENSI
    requested_by: int | None


EXPORT_REQUESTED = Topic(
    "exports.requested",
    ExportRequested,
    """`requestNationalExport` asked for a file for the national systems: the export job
    builds it (one statement for the region's rows) and stores it with the job's row.""",
)

TOPICS = (EXPORT_REQUESTED,)
