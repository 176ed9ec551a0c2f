"""Error codes of the documents domain, each with the Indonesian message people read
(the pattern of kinerja_saas/tpp/errors.py)."""

from __future__ import annotations

from enum import StrEnum

from kinerja_saas.errors import FieldError, NotFound, PermissionDenied


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    NOT_ADMIN = "NOT_ADMIN"
    NOT_FINALISED = "NOT_FINALISED"
    NOTHING_TO_RENDER = "NOTHING_TO_RENDER"
    WRONG_KIND = "WRONG_KIND"
    JOB_FAILED = "JOB_FAILED"


MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.NOT_FOUND: "{what} tidak ditemukan di daerah ini.",
    ErrorCode.NOT_ADMIN: "Hanya admin daerah yang dapat {action}.",
    ErrorCode.NOT_FINALISED: "Evaluasi ini belum final; dokumennya dapat dicetak setelah "
    "evaluasi difinalkan.",
    ErrorCode.NOTHING_TO_RENDER: "Tidak ada {what} pada unit dan periode ini.",
    ErrorCode.WRONG_KIND: "Jenis dokumen {kind} tidak dibuat per {scope}.",
    ErrorCode.JOB_FAILED: "Dokumen tidak dapat dibuat ({reason}); coba lagi atau hubungi "
    "admin daerah.",
}


def message(code: ErrorCode, **values: object) -> str:
    return MESSAGES[code].format(**values)


def field_error(field: str | None, code: ErrorCode, **values: object) -> FieldError:
    return FieldError(field, code.value, message(code, **values))


def not_found(what: str, field: str) -> NotFound:
    """Also what a caller gets for a thing they may not see: existence is not told."""
    return NotFound(message(ErrorCode.NOT_FOUND, what=what), field=field)


def not_admin(action: str) -> PermissionDenied:
    return PermissionDenied(message(ErrorCode.NOT_ADMIN, action=action), code="FORBIDDEN")
