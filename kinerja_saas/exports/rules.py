"""The layouts of the national exports: their columns and how a file is written. Pure.

Source of the column names (docs/exports.md): BKN publishes no import layout for e-Kinerja
or SIASN. SIASN's web service (apimws.bkn.go.id) takes a year's SKP result at `/skp22/save`
and a periodic one at `/kinerjaperiodik/save`; the field names below are those of the
payloads as public client code sends them (the community SDK black-coffee04/ws-siasn-php
documents the periodic payload; the annual one is the same minus the period fields).
Several of those fields are ids of BKN reference tables that are not public (pnsDinilaiId,
the ids of perilakuDanKinerja, kuadranNilai, periodik, koefisien, golongan): the export
carries the NIP and the platform's codes in their place, and the region's SIASN integration
maps them. The competency export follows SIASN's course record (`jumlahJam`, `tahunKursus`)
with one row per employee and year."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import orjson


class ExportKind(StrEnum):
    PREDIKAT_TAHUNAN = "PREDIKAT_TAHUNAN"  # the year's evaluation per NIP
    PREDIKAT_PERIODIK = "PREDIKAT_PERIODIK"  # one checkpoint's evaluation per NIP
    JP_KOMPETENSI = "JP_KOMPETENSI"  # training hours (JP) completed per NIP in the year


class ExportFormat(StrEnum):
    CSV = "CSV"
    JSON = "JSON"


class ExportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


_PREDIKAT = (
    "nipBaru",
    "nama",
    "unorNama",
    "tahun",
    "hasilKinerja",
    "perilakuKerja",
    "kuadranKinerja",
    "penilaiNipNrp",
    "penilaiNama",
    "penilaiJabatanNama",
    "penilaiUnorNama",
    "penilaiGolongan",
    "statusPenilai",
)
_PERIOD = (
    "periode",
    "bulanMulaiPenilaian",
    "tahunMulaiPenilaian",
    "bulanSelesaiPenilaian",
    "tahunSelesaiPenilaian",
)

COLUMNS: dict[ExportKind, tuple[str, ...]] = {
    ExportKind.PREDIKAT_TAHUNAN: _PREDIKAT,
    ExportKind.PREDIKAT_PERIODIK: _PREDIKAT[:4] + _PERIOD + _PREDIKAT[4:],
    ExportKind.JP_KOMPETENSI: (
        "nipBaru",
        "nama",
        "unorNama",
        "tahunKursus",
        "jumlahJam",
        "targetJam",
        "kekuranganJam",
    ),
}

KIND_LABELS: dict[ExportKind, str] = {
    ExportKind.PREDIKAT_TAHUNAN: "predikat-tahunan",
    ExportKind.PREDIKAT_PERIODIK: "predikat-periodik",
    ExportKind.JP_KOMPETENSI: "jp-kompetensi",
}


def file_name(kind: ExportKind, fmt: ExportFormat, slug: str, year: int, number: int | None) -> str:
    period = f"{year}" if number is None else f"{year}-p{number}"
    return f"{slug}-{KIND_LABELS[kind]}-{period}.{fmt.value.lower()}"


def render(kind: ExportKind, fmt: ExportFormat, rows: Sequence[dict[str, Any]]) -> str:
    """CSV: ';'-separated with a header row, UTF-8, NIPs as text (a spreadsheet would turn
    18 digits into a float: the CSV quotes every field). JSON: {"kolom": [...], "data":
    [{column: value}]}, values as in the CSV."""
    columns = COLUMNS[kind]
    if fmt is ExportFormat.JSON:
        return orjson.dumps(
            {"kolom": list(columns), "data": [{c: r.get(c) for c in columns} for r in rows]},
            option=orjson.OPT_INDENT_2,
        ).decode()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return out.getvalue()
