"""Error codes of the TPP domain, each with the Indonesian message people read."""

from __future__ import annotations

from enum import StrEnum

from kinerja_saas.errors import FieldError


class ErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID_MONTH = "INVALID_MONTH"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    WEIGHTS_NOT_100 = "WEIGHTS_NOT_100"
    MONTH_CLOSED = "MONTH_CLOSED"
    NOT_ADMIN = "NOT_ADMIN"
    UNKNOWN_NIP = "UNKNOWN_NIP"
    DUPLICATE_IN_FILE = "DUPLICATE_IN_FILE"
    NOT_A_NUMBER = "NOT_A_NUMBER"
    WRONG_MONTH = "WRONG_MONTH"
    NO_RULE_SET = "NO_RULE_SET"
    NOT_COMPUTED = "NOT_COMPUTED"
    ALREADY_CLOSED = "ALREADY_CLOSED"
    # the file as a whole
    EMPTY = "EMPTY"
    TOO_LARGE = "TOO_LARGE"
    NOT_CSV = "NOT_CSV"
    NOT_UTF8 = "NOT_UTF8"
    MISSING_COLUMNS = "MISSING_COLUMNS"
    NO_ROWS = "NO_ROWS"
    AMOUNT_NOT_ALLOWED = "AMOUNT_NOT_ALLOWED"


MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.REQUIRED: "{label} wajib diisi.",
    ErrorCode.INVALID_MONTH: "{label} harus berupa bulan dengan format TTTT-BB, misalnya 2026-03.",
    ErrorCode.OUT_OF_RANGE: "{label} harus antara {low} dan {high}.",
    ErrorCode.WEIGHTS_NOT_100: "Bobot kinerja dan bobot disiplin harus berjumlah 100 % "
    "(sekarang {total} %).",
    ErrorCode.MONTH_CLOSED: "Bulan {month} sudah ditutup; aturan yang berlaku sejak bulan itu "
    "tidak dapat diubah lagi.",
    ErrorCode.NOT_ADMIN: "Hanya admin daerah yang dapat {action}.",
    ErrorCode.UNKNOWN_NIP: "Tidak ada pegawai aktif dengan NIP {nip} di daerah ini.",
    ErrorCode.DUPLICATE_IN_FILE: "NIP {nip} juga ada di baris {first}.",
    ErrorCode.NOT_A_NUMBER: "{label} harus bilangan bulat antara 0 dan 31 (tertulis {value!r}).",
    ErrorCode.WRONG_MONTH: "Bulan {value!r} tidak sama dengan bulan impor {month}.",
    ErrorCode.NO_RULE_SET: "Belum ada aturan TPP yang berlaku untuk bulan {month}.",
    ErrorCode.NOT_COMPUTED: "TPP bulan {month} belum dihitung.",
    ErrorCode.ALREADY_CLOSED: "Bulan {month} sudah ditutup.",
    ErrorCode.EMPTY: "Berkas kosong.",
    ErrorCode.TOO_LARGE: "Berkas berukuran {size} bait; batasnya {limit} bait.",
    ErrorCode.NOT_CSV: "Berkas ini bukan berkas teks CSV.",
    ErrorCode.NOT_UTF8: "Berkas bukan teks UTF-8; simpan sebagai CSV UTF-8.",
    ErrorCode.MISSING_COLUMNS: "Baris judul tidak memuat kolom {missing}; kolom yang diharapkan: "
    "{expected}.",
    ErrorCode.NO_ROWS: "Berkas memiliki baris judul tetapi tidak ada data pegawai.",
    ErrorCode.AMOUNT_NOT_ALLOWED: "Nominal hanya untuk INSENTIF_KINERJA dan PENGURANGAN_TPP.",
}


def message(code: ErrorCode, **values: object) -> str:
    return MESSAGES[code].format(**values)


def field_error(field: str | None, code: ErrorCode, **values: object) -> FieldError:
    return FieldError(field, code.value, message(code, **values))
