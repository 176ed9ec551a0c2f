"""Reading a month's attendance and discipline file (CSV) from the region's attendance
system. Pure parsing: the service stages the rows and checks them against the region.

Columns (header names as attendance systems write them; ',' or ';'; UTF-8 with or
without BOM): nip, bulan (YYYY-MM, the month of the import), alpa (days absent without
reason), tl1..tl4 (late arrivals per band), psw1..psw4 (early leaves per band), cuti
(leave days)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO

from kinerja_saas.tpp.errors import TppError, message
from kinerja_saas.tpp.rows import ImportProblem
from kinerja_saas.tpp.rules import month_key, parse_month

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
    "cuti",
)
COUNT_COLUMNS = COLUMNS[2:]
HEADER_ALIASES = {
    "month": "bulan",
    "periode": "bulan",
    "tanpa_keterangan": "alpa",
    "tk": "alpa",
    "hari_alpa": "alpa",
    "days_absent": "alpa",
    "leave_days": "cuti",
    "hari_cuti": "cuti",
}
LABELS = {"alpa": "Hari tanpa keterangan (alpa)", "cuti": "Hari cuti"} | {
    c: c.upper() for c in COUNT_COLUMNS if c not in ("alpa", "cuti")
}
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
        text = raw[column].strip() or "0"
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
        if missing:
            raise _refuse(
                TppError.MISSING_COLUMNS, missing=", ".join(missing), expected=", ".join(COLUMNS)
            )
        index = {name: names.index(name) for name in COLUMNS}
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
