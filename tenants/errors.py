"""Tenancy's error codes (a request's region: unknown, suspended, another region's, busy),
each with its message in Bahasa Indonesia."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode


class TenancyError(ErrorCode):
    REGION_SUSPENDED = "REGION_SUSPENDED", "Wilayah ini sedang dinonaktifkan."
    REGION_UNKNOWN = "REGION_UNKNOWN", "Wilayah ini tidak ada."
    # The same text whatever region was reached for: a refusal must not tell another
    # region's name, or whether it exists.
    REGION_MISMATCH = (
        "REGION_MISMATCH",
        "Permintaan ini terikat pada satu wilayah dan tidak dapat menjangkau wilayah lain.",
    )
    BUSY = (
        "BUSY",
        "Wilayah ini sedang menjalankan terlalu banyak permintaan; coba lagi sebentar lagi.",
    )
