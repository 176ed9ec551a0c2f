"""Error codes of the documents domain, each with the Indonesian message people read: a
catalogue of kinerja_saas.errors."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode, NotFound, PermissionDenied


class DocumentError(ErrorCode):
    # Also what a caller gets for a thing they may not see: existence is not told.
    NOT_FOUND = "NOT_FOUND", "{what} tidak ditemukan di daerah ini."
    NOT_ADMIN = "FORBIDDEN", "Hanya admin daerah yang dapat {action}."
    NOT_FINALISED = (
        "NOT_FINALISED",
        "Evaluasi ini belum final; dokumennya dapat dicetak setelah evaluasi difinalkan.",
    )
    NOTHING_TO_RENDER = "NOTHING_TO_RENDER", "Tidak ada {what} pada unit dan periode ini."
    WRONG_KIND = (
        "WRONG_KIND",
        "Rekapitulasi predikat tidak dibuat per pegawai; mintalah dengan requestDocument.",
    )
    JOB_FAILED = (
        "JOB_FAILED",
        "Dokumen tidak dapat dibuat ({reason}); coba lagi atau hubungi admin daerah.",
    )
    SUBJECT_GONE = "SUBJECT_GONE", "Data dokumen ini sudah tidak ada (dihapus setelah diminta)."


def not_found(what: str, field: str) -> NotFound:
    return NotFound(DocumentError.NOT_FOUND, field=field, what=what)


def not_admin(action: str) -> PermissionDenied:
    return PermissionDenied(DocumentError.NOT_ADMIN, action=action)
