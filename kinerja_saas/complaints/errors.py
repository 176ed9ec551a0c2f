"""Error codes of the complaints domain, each with the Indonesian message people read."""

from __future__ import annotations

from enum import StrEnum

from kinerja_saas.errors import FieldError


class ErrorCode(StrEnum):
    UNKNOWN_CODE = "UNKNOWN_CODE"
    UNKNOWN_TRACKING_CODE = "UNKNOWN_TRACKING_CODE"
    SERVICE_INACTIVE = "SERVICE_INACTIVE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_CATEGORY = "INVALID_CATEGORY"
    INVALID_CLIENT_TOKEN = "INVALID_CLIENT_TOKEN"
    CLIENT_TOKEN_REUSED = "CLIENT_TOKEN_REUSED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    NOT_ANSWERER = "NOT_ANSWERER"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"


MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.UNKNOWN_CODE: "Kode layanan ini tidak dikenal.",
    ErrorCode.UNKNOWN_TRACKING_CODE: "Kode pelacakan ini tidak dikenal. Periksa kembali "
    "12 huruf dan angkanya.",
    ErrorCode.SERVICE_INACTIVE: "Layanan ini tidak lagi menerima pengaduan.",
    ErrorCode.REQUIRED: "{label} wajib diisi.",
    ErrorCode.TOO_LONG: "{label} paling banyak {limit} karakter.",
    ErrorCode.INVALID_CATEGORY: "Pilih salah satu kategori: {choices}.",
    ErrorCode.INVALID_CLIENT_TOKEN: "Kode pengiriman harus 8 sampai 64 huruf, angka, '-' atau '_'.",
    ErrorCode.CLIENT_TOKEN_REUSED: "Kode pengiriman ini sudah dipakai untuk pengaduan lain; "
    "kirim ulang dengan kode pengiriman baru.",
    ErrorCode.NOT_FOUND: "Pengaduan tidak ditemukan di daerah ini.",
    ErrorCode.ALREADY_ANSWERED: "Pengaduan ini sudah dijawab pada {day}.",
    ErrorCode.NOT_ANSWERER: "Hanya kepala unit layanan dan admin daerah yang dapat {action}.",
    ErrorCode.INVALID_DATE_RANGE: "Tanggal awal tidak boleh sesudah tanggal akhir.",
}


def message(code: ErrorCode, **values: object) -> str:
    return MESSAGES[code].format(**values)


def field_error(field: str | None, code: ErrorCode, **values: object) -> FieldError:
    return FieldError(field, code.value, message(code, **values))
