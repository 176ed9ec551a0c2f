"""Error codes of the exports domain, each with the Indonesian message people read."""

from __future__ import annotations

from enum import StrEnum

from kinerja_saas.errors import FieldError


class ErrorCode(StrEnum):
    NOT_ADMIN = "NOT_ADMIN"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    CHECKPOINT_REQUIRED = "CHECKPOINT_REQUIRED"
    CHECKPOINT_NOT_ALLOWED = "CHECKPOINT_NOT_ALLOWED"
    UNKNOWN_CHECKPOINT = "UNKNOWN_CHECKPOINT"
    NOT_FOUND = "NOT_FOUND"
    FAILED = "FAILED"


MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.NOT_ADMIN: "Hanya admin daerah yang dapat {action}.",
    ErrorCode.OUT_OF_RANGE: "{label} harus antara {low} dan {high}.",
    ErrorCode.CHECKPOINT_REQUIRED: "Ekspor predikat periodik memerlukan nomor periode "
    "(checkpointNumber).",
    ErrorCode.CHECKPOINT_NOT_ALLOWED: "Nomor periode hanya untuk ekspor predikat periodik.",
    ErrorCode.UNKNOWN_CHECKPOINT: "Tahun {year} tidak memiliki periode nomor {number}.",
    ErrorCode.NOT_FOUND: "Ekspor tidak ditemukan di daerah ini.",
    ErrorCode.FAILED: "Ekspor tidak dapat diselesaikan ({cause}); silakan minta ulang.",
}


def message(code: ErrorCode, **values: object) -> str:
    return MESSAGES[code].format(**values)


def field_error(field: str | None, code: ErrorCode, **values: object) -> FieldError:
    return FieldError(field, code.value, message(code, **values))
