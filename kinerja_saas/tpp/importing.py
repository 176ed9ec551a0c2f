"""Reading a month's attendance and discipline file (CSV) from the region's attendance
system. Pure parsing: the service stages the rows and checks them against the region.

Columns (header names as attendance systems write them; ',' or ';'; UTF-8 with or
without BOM): nip, bulan (YYYY-MM, the month of the import), alpa (days absent without
reason), tl1..tl4 (late arrivals per band), psw1..psw4 (early leaves per band), and the
leave days per leave type (rules.LEAVE_TYPES: cuti_tahunan … cuti_cltn). A leave-type column
left out counts 0 days, but at least one must be there (a file without any leave column is
refused rather than read as "no leave"). The single `cuti` column of the first version of
this import is read as cuti_tahunan (what it meant), so the old files still load."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO

from kinerja_saas.tpp.errors import TppError, message
from kinerja_saas.tpp.rows import ImportProblem
from kinerja_saas.tpp.rules import LEAVE_LABELS, LEAVE_TYPES, month_key, parse_month

COLUMNS = (
    "nip",
    "bulan",
    "alpa",
    "tl1",
    "tl2",
    "tl3",
    "tl4",
    "psw1",
    "psw2",
    "psw3",
    "psw4",
)  # required
COUNT_COLUMNS = (*COLUMNS[2:], *LEAVE_TYPES)  # the counts of a Row, in this order
HEADER_ALIASES = {
    "month": "bulan",
    "periode": "bulan",
    "tanpa_keterangan": "alpa",
    "tk": "alpa",
    "hari_alpa": "alpa",
    "days_absent": "alpa",
    # the single leave column of the first version: annual leave
    "cuti": "cuti_tahunan",
    "leave_days": "cuti_tahunan",
    "hari_cuti": "cuti_tahunan",
    "cuti_karena_alasan_penting": "cuti_alasan_penting",
    "cuti_di_luar_tanggungan_negara": "cuti_cltn",
    "cltn": "cuti_cltn",
}
LABELS = (
    {"alpa": "Hari tanpa keterangan (alpa)"}
    | {c: c.upper() for c in COLUMNS[3:]}
    | {t: f"Hari {label.lower()}" for t, label in LEAVE_LABELS.items()}
)
BATCH = 1000


class FileRefused(Exception):
    def __init__(self, problem: ImportProblem):
        super().__init__(problem.message)
        self.problem = problem


def _refuse(code: TppError, **values: object) -> FileRefused:
    return FileRefused(ImportProblem(0, "file", code.value, message(code, **values)))


def _column(header: str) -> str:
    name = "_".join(header.strip().lower().replace("-", " ").replace(".", " ").split())
    return HEADER_ALIASES.get(name, name)


@dataclass(frozen=True)
class Row:
    line_no: int
    nip: str
    counts: tuple[int, ...]  # in COUNT_COLUMNS order


def _row(
    line_no: int, raw: dict[str, str], month: date, problems: list[ImportProblem]
) -> Row | None:
    before = len(problems)
    nip = raw["nip"].strip()
    if not nip:
        problems.append(
            ImportProblem(
                line_no, "nip", TppError.REQUIRED.value, message(TppError.REQUIRED, label="NIP")
            )
        )
    elif not (len(nip) == 18 and nip.isdigit()):
        problems.append(ImportProblem(line_no, "nip", "NIP_FORMAT", "NIP harus tepat 18 angka."))
    bulan = raw["bulan"].strip()
    parsed = parse_month(bulan) if bulan else None
    if parsed != month:
        problems.append(
            ImportProblem(
                line_no,
                "bulan",
                TppError.WRONG_MONTH.value,
                message(TppError.WRONG_MONTH, value=bulan, month=month_key(month)),
            )
        )
    counts: list[int] = []
    for column in COUNT_COLUMNS:
        text = raw.get(column, "").strip() or "0"
        if text.isdigit() and int(text) <= 31:
            counts.append(int(text))
        else:
            counts.append(0)
            problems.append(
                ImportProblem(
                    line_no,
                    column,
                    TppError.NOT_A_NUMBER.value,
                    message(TppError.NOT_A_NUMBER, label=LABELS[column], value=text),
                )
            )
    return Row(line_no, nip, tuple(counts)) if len(problems) == before else None


def read_attendance(
    binary: IO[bytes], *, month: date, max_bytes: int, problems: list[ImportProblem]
) -> Iterator[list[Row]]:
    """Batches of valid rows; each row's problems go to `problems` (with its line)."""
    binary.seek(0, io.SEEK_END)
    size = binary.tell()
    binary.seek(0)
    if size == 0:
        raise _refuse(TppError.EMPTY)
    if size > max_bytes:
        raise _refuse(
            TppError.TOO_LARGE,
            size=f"{size:,}".replace(",", "."),
            limit=f"{max_bytes:,}".replace(",", "."),
        )
    if b"\x00" in binary.read(4096):
        raise _refuse(TppError.NOT_CSV)
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        header_line = text.readline()
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        names = [_column(h) for h in next(csv.reader([header_line], delimiter=delimiter), [])]
        missing = [c for c in COLUMNS if c not in names]
        if not any(t in names for t in LEAVE_TYPES):
            missing.append(LEAVE_TYPES[0])
        if missing:
            raise _refuse(
                TppError.MISSING_COLUMNS,
                missing=", ".join(missing),
                expected=", ".join((*COLUMNS, *LEAVE_TYPES)),
            )
        twice = sorted({n for n in names if n in COUNT_COLUMNS + COLUMNS and names.count(n) > 1})
        if twice:
            raise _refuse(TppError.DUPLICATE_COLUMN, columns=", ".join(twice))
        index = {name: names.index(name) for name in (*COLUMNS, *LEAVE_TYPES) if name in names}
        reader = csv.reader(text, delimiter=delimiter)
        batch: list[Row] = []
        while True:
            line_no = reader.line_num + 2  # the header is line 1
            fields = next(reader, None)
            if fields is None:
                break
            if not any(f.strip() for f in fields):
                continue
            raw = {c: (fields[i] if i < len(fields) else "") for c, i in index.items()}
            row = _row(line_no, raw, month, problems)
            if row is not None:
                batch.append(row)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch
    except UnicodeDecodeError as exc:
        raise _refuse(TppError.NOT_UTF8) from exc
    except csv.Error as exc:
        raise _refuse(TppError.NOT_CSV) from exc
    finally:
        text.detach()
