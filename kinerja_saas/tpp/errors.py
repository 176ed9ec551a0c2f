"""Error codes of the TPP domain, each with the Indonesian message people read."""

from __future__ import annotations

from enum import StrEnum

from kinerja_saas.errors import FieldError


class TppError(StrEnum):
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


MESSAGES: dict[TppError, str] = {
    TppError.REQUIRED: "{label} wajib diisi.",
    TppError.INVALID_MONTH: "{label} harus berupa bulan dengan format TTTT-BB, misalnya 2026-03.",
    TppError.OUT_OF_RANGE: "{label} harus antara {low} dan {high}.",
    TppError.WEIGHTS_NOT_100: "Bobot kinerja dan bobot disiplin harus berjumlah 100 % "
    "(sekarang {total} %).",
    TppError.MONTH_CLOSED: "Bulan {month} sudah ditutup; aturan yang berlaku sejak bulan itu "
    "tidak dapat diubah lagi.",
    TppError.NOT_ADMIN: "Hanya admin daerah yang dapat {action}.",
    TppError.UNKNOWN_NIP: "Tidak ada pegawai aktif dengan NIP {nip} di daerah ini.",
    TppError.DUPLICATE_IN_FILE: "NIP {nip} juga ada di baris {first}.",
    TppError.NOT_A_NUMBER: "{label} harus bilangan bulat antara 0 dan 31 (tertulis {value!r}).",
    TppError.WRONG_MONTH: "Bulan {value!r} tidak sama dengan bulan impor {month}.",
    TppError.NO_RULE_SET: "Belum ada aturan TPP yang berlaku untuk bulan {month}.",
    TppError.NOT_COMPUTED: "TPP bulan {month} belum dihitung.",
    TppError.ALREADY_CLOSED: "Bulan {month} sudah ditutup.",
    TppError.EMPTY: "Berkas kosong.",
    TppError.TOO_LARGE: "Berkas berukuran {size} bait; batasnya {limit} bait.",
    TppError.NOT_CSV: "Berkas ini bukan berkas teks CSV.",
    TppError.NOT_UTF8: "Berkas bukan teks UTF-8; simpan sebagai CSV UTF-8.",
    TppError.MISSING_COLUMNS: "Baris judul tidak memuat kolom {missing}; kolom yang diharapkan: "
    "{expected}.",
    TppError.NO_ROWS: "Berkas memiliki baris judul tetapi tidak ada data pegawai.",
    TppError.AMOUNT_NOT_ALLOWED: "Nominal hanya untuk INSENTIF_KINERJA dan PENGURANGAN_TPP.",
}


def message(code: TppError, **values: object) -> str:
    return MESSAGES[code].format(**values)


def field_error(field: str | None, code: TppError, **values: object) -> FieldError:
    return FieldError(field, code.value, message(code, **values))
