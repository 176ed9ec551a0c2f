"""Error codes of the complaints domain, each with the Indonesian message people read: a
catalogue of kinerja_saas.errors."""

from __future__ import annotations

from typing import Any

from kinerja_saas.errors import ErrorCode, FieldError, field_labels


class ComplaintError(ErrorCode):
    UNKNOWN_CODE = "UNKNOWN_CODE", "Kode layanan ini tidak dikenal."
    UNKNOWN_TRACKING_CODE = (
        "UNKNOWN_TRACKING_CODE",
        "Kode pelacakan ini tidak dikenal. Periksa kembali 12 huruf dan angkanya.",
    )
    SERVICE_INACTIVE = "SERVICE_INACTIVE", "Layanan ini tidak lagi menerima pengaduan."
    REQUIRED = "REQUIRED", "{label} wajib diisi."
    TOO_LONG = "TOO_LONG", "{label} paling banyak {limit} karakter."
    INVALID_CLIENT_TOKEN = (
        "INVALID_CLIENT_TOKEN",
        "Kode pengiriman harus 8 sampai 64 huruf, angka, '-' atau '_'.",
    )
    CLIENT_TOKEN_REUSED = (
        "CLIENT_TOKEN_REUSED",
        "Kode pengiriman ini sudah dipakai untuk pengaduan lain; kirim ulang dengan kode "
        "pengiriman baru.",
    )
    NOT_FOUND = "NOT_FOUND", "Pengaduan tidak ditemukan di daerah ini."
    ALREADY_ANSWERED = "ALREADY_ANSWERED", "Pengaduan ini sudah dijawab pada {day}."
    NOT_ANSWERER = (
        "FORBIDDEN",
        "Hanya kepala unit layanan dan admin daerah yang dapat {action}.",
    )
    INVALID_DATE_RANGE = (
        "INVALID_DATE_RANGE",
        "Tanggal awal tidak boleh sesudah tanggal akhir.",
    )


field_labels({"trackingCode": "Kode pelacakan"})


def message(code: ErrorCode, **values: Any) -> str:
    return code.render(**values)


def field_error(field: str | None, code: ErrorCode, **values: Any) -> FieldError:
    return FieldError.of(field, code, **values)
