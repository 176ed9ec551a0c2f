"""Error codes of the exports domain, each with the Indonesian message people read: a
catalogue of kinerja_saas.errors."""

from __future__ import annotations

from typing import Any

from kinerja_saas.errors import ErrorCode, FieldError


class ExportError(ErrorCode):
    NOT_ADMIN = "FORBIDDEN", "Hanya admin daerah yang dapat {action}."
    OUT_OF_RANGE = "OUT_OF_RANGE", "{label} harus antara {low} dan {high}."
    CHECKPOINT_REQUIRED = (
        "CHECKPOINT_REQUIRED",
        "Nomor periode (checkpointNumber) wajib diisi untuk ekspor predikat periodik.",
    )
    CHECKPOINT_NOT_ALLOWED = (
        "CHECKPOINT_NOT_ALLOWED",
        "Nomor periode hanya untuk ekspor predikat periodik.",
    )
    UNKNOWN_CHECKPOINT = (
        "UNKNOWN_CHECKPOINT",
        "Tahun {year} tidak memiliki periode ke-{position}.",
    )
    FAILED = "FAILED", "Ekspor tidak dapat diselesaikan ({reason}); silakan minta ulang."


def message(code: ErrorCode, **values: Any) -> str:
    return code.render(**values)


def field_error(field: str | None, code: ErrorCode, **values: Any) -> FieldError:
    return FieldError.of(field, code, **values)
