"""The regions domain's error codes (onboarding, region settings), each with its message in
Bahasa Indonesia. Shared codes (REQUIRED, OUT_OF_RANGE, …) are in kinerja_saas.errors. The
settings' field labels are declared with the settings (regions/settings.py)."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode, field_labels


class RegionError(ErrorCode):
    RESERVED = "RESERVED", "Slug '{slug}' sudah dicadangkan oleh platform; pilih yang lain."
    NOT_ORDERED = (
        "NOT_ORDERED",
        "Ambang 'di atas ekspektasi' harus lebih tinggi daripada ambang 'sesuai ekspektasi'.",
    )
    ABOVE_CAP = (
        "OUT_OF_RANGE",
        "{field} tidak boleh melebihi batas capaian ({cap:%}), agar masih dapat dicapai.",
    )
    LOW_PERFORMER_PREDIKAT = (
        "INVALID",
        "SANGAT_BAIK dan BAIK tidak dapat menandai pegawai berkinerja rendah.",
    )


field_labels(
    {
        "province": "Provinsi",
        "region.kind": "Jenis wilayah",
        "timezone": "Zona waktu",
        "admin.name": "Nama admin",
        "admin.email": "E-mail admin",
    }
)
