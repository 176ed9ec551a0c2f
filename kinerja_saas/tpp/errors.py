"""Error codes of the TPP domain, each with the Indonesian message people read: a catalogue
of kinerja_saas.errors (`{label}` is the Indonesian name the rule or column gives)."""

from __future__ import annotations

from typing import Any

from kinerja_saas.errors import ErrorCode, FieldError


class TppError(ErrorCode):
    REQUIRED = "REQUIRED", "{label} wajib diisi."
    INVALID_MONTH = (
        "INVALID_MONTH",
        "{label} harus berupa bulan dengan format TTTT-BB, misalnya 2026-03.",
    )
    OUT_OF_RANGE = "OUT_OF_RANGE", "{label} harus antara {low} dan {high}."
    WEIGHTS_NOT_100 = (
        "WEIGHTS_NOT_100",
        "Bobot kinerja dan bobot disiplin harus berjumlah 100 % (sekarang {total} %).",
    )
    MONTH_CLOSED = (
        "MONTH_CLOSED",
        "Bulan {month} sudah ditutup; aturan yang berlaku sejak bulan itu tidak dapat diubah lagi.",
    )
    NOT_ADMIN = "NOT_ADMIN", "Hanya admin daerah yang dapat {action}."
    UNKNOWN_NIP = "UNKNOWN_NIP", "Tidak ada pegawai aktif dengan NIP {nip} di daerah ini."
    NIP_TWICE = "DUPLICATE", "NIP {nip} disebut dua kali di daftar ini."
    DUPLICATE_IN_FILE = "DUPLICATE_IN_FILE", "NIP {nip} juga ada di baris {first}."
    NOT_A_NUMBER = (
        "NOT_A_NUMBER",
        "{label} harus bilangan bulat antara 0 dan 31 (tertulis {value!r}).",
    )
    WRONG_MONTH = "WRONG_MONTH", "Bulan {value!r} tidak sama dengan bulan impor {month}."
    NO_RULE_SET = "NO_RULE_SET", "Belum ada aturan TPP yang berlaku untuk bulan {month}."
    NOT_COMPUTED = "NOT_COMPUTED", "TPP bulan {month} belum dihitung."
    ALREADY_CLOSED = "ALREADY_CLOSED", "Bulan {month} sudah ditutup."
    # the file as a whole
    EMPTY = "EMPTY", "Berkas kosong."
    TOO_LARGE = "TOO_LARGE", "Berkas berukuran {size} bait; batasnya {limit} bait."
    NOT_CSV = "NOT_CSV", "Berkas ini bukan berkas teks CSV."
    NOT_UTF8 = "NOT_UTF8", "Berkas bukan teks UTF-8; simpan sebagai CSV UTF-8."
    MISSING_COLUMNS = (
        "MISSING_COLUMNS",
        "Baris judul tidak memuat kolom {missing}; kolom yang diharapkan: {expected}.",
    )
    DUPLICATE_COLUMN = (
        "DUPLICATE_COLUMN",
        "Kolom {columns} ada lebih dari sekali di baris judul (kolom cuti dibaca sebagai "
        "cuti_tahunan).",
    )
    NO_ROWS = "NO_ROWS", "Berkas memiliki baris judul tetapi tidak ada data pegawai."
    AMOUNT_NOT_ALLOWED = (
        "AMOUNT_NOT_ALLOWED",
        "Nominal hanya untuk INSENTIF_KINERJA dan PENGURANGAN_TPP.",
    )


class TppRuleError(ErrorCode):
    """A rule's value as typed (its code is also one of the import's, with another text)."""

    NOT_A_NUMBER = (
        "NOT_A_NUMBER",
        "{label} harus berupa angka, misalnya 2,5 (tertulis {value!r}).",
    )


def message(code: ErrorCode, **values: Any) -> str:
    return code.render(**values)


def field_error(field: str | None, code: ErrorCode, **values: Any) -> FieldError:
    return FieldError.of(field, code, **values)
