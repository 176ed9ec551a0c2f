"""Pure rules of the documents: the kinds and their titles, the official labels, how
numbers and dates are written, verification codes and the content hash. No I/O."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import asdict, is_dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kinerja_saas.indonesian import long_date


class DocumentKind(StrEnum):
    SKP = "SKP"  # the plan (Sasaran Kinerja Pegawai)
    EVALUATION = "EVALUATION"  # a checkpoint's or the year's evaluation
    PREDIKAT_RECAP = "PREDIKAT_RECAP"  # a region's (or unit's) predikat per unit


class JobScope(StrEnum):
    ONE = "ONE"  # one document, stored as a PDF
    UNIT = "UNIT"  # every document of a unit (and the units below it), as a ZIP


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


TITLES = {
    DocumentKind.SKP: "Sasaran Kinerja Pegawai",
    DocumentKind.EVALUATION: "Dokumen Evaluasi Kinerja Pegawai",
    DocumentKind.PREDIKAT_RECAP: "Rekapitulasi Predikat Kinerja Pegawai",
}

RATING_LABELS = {
    "DI_ATAS_EKSPEKTASI": "Di Atas Ekspektasi",
    "SESUAI_EKSPEKTASI": "Sesuai Ekspektasi",
    "DI_BAWAH_EKSPEKTASI": "Di Bawah Ekspektasi",
}
PREDIKAT_ORDER = ("SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")
PREDIKAT_LABELS = {
    "SANGAT_BAIK": "Sangat Baik",
    "BAIK": "Baik",
    "BUTUH_PERBAIKAN": "Butuh Perbaikan",
    "KURANG": "Kurang",
    "SANGAT_KURANG": "Sangat Kurang",
}
ORGANISATION_LABELS = {
    "ISTIMEWA": "Istimewa",
    "BAIK": "Baik",
    "BUTUH_PERBAIKAN": "Butuh Perbaikan",
    "KURANG": "Kurang",
    "SANGAT_KURANG": "Sangat Kurang",
}
ASPECT_LABELS = {
    "KUANTITAS": "Kuantitas",
    "KUALITAS": "Kualitas",
    "WAKTU": "Waktu",
    "BIAYA": "Biaya",
}
RESULT_KIND_LABELS = {"UTAMA": "Utama", "TAMBAHAN": "Tambahan"}
PLAN_STATUS_LABELS = {
    "DRAFT": "Konsep",
    "SUBMITTED": "Diajukan",
    "APPROVED": "Disetujui",
    "RETURNED": "Dikembalikan",
}
NOT_RATED = "Belum dinilai"
DASH = "-"

# Acting officials (Plt. = pelaksana tugas, Plh. = pelaksana harian): the capacity an
# official signs in, when the data says so (the acting-officials branch adds it).
CAPACITY_PREFIXES = {"PLT": "Plt.", "PLH": "Plh."}


def capacity_prefix(capacity: str | None) -> str:
    """'PLT' -> 'Plt. ' (before the title of the position); none or unknown -> ''."""
    prefix = CAPACITY_PREFIXES.get((capacity or "").upper())
    return f"{prefix} " if prefix else ""


def number(value: Decimal | int | str | None, places: int = 2) -> str:
    """Indonesian notation: '1.234,5'; trailing zeros dropped; None -> '-'."""
    if value is None:
        return DASH
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    sign = "-" if d < 0 else ""
    whole, _, frac = f"{abs(d):f}".partition(".")
    frac = frac.rstrip("0")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{grouped},{frac}" if frac else f"{sign}{grouped}"


def percent(value: Decimal | str | None) -> str:
    return DASH if value is None else f"{number(value)} %"


def date_text(day: date | None) -> str:
    """'7 Desember 2026' ('-' without a date)."""
    return long_date(day) if day is not None else DASH


def period_range(starts_on: date, ends_on: date) -> str:
    return f"{long_date(starts_on)} s.d. {long_date(ends_on)}"


# --- verification codes -----------------------------------------------------------------

# Crockford's base32: no I, L, O, U, so a code read off paper is typed without doubt.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 bits: not guessable, and unknown codes are rate limited per address
CODE_SHAPE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """What a person typed or a QR code carried -> the stored code, or None when it cannot
    be one (so an impossible code costs no database round trip)."""
    code = (raw or "")[:32].upper().translate(_READ_AS)
    return code if CODE_SHAPE.fullmatch(code) else None


def code_text(code: str) -> str:
    """'ABCD1234EFGH' -> 'ABCD-1234-EFGH' (as printed)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verification_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/v/{code}"


# --- the content hash -------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def content_hash(content: Any) -> str:
    """SHA-256 of the content a document is rendered from, as canonical JSON: the same
    content always gives the same hash, any change of a value a different one. The code,
    the date of printing and the PDF's own bytes are not part of it."""
    canonical = json.dumps(
        _plain(content), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_name(kind: DocumentKind, *parts: object) -> str:
    """'SKP-2026-198001012005011001.pdf': letters, digits and '-' only."""
    stem = "-".join([kind.value, *(str(p) for p in parts if p is not None)])
    return re.sub(r"[^A-Za-z0-9-]+", "-", stem).strip("-") + ".pdf"
