"""The public survey page's texts in Bahasa Indonesia: labels of the profile values and the
page's own wording of the service's validation errors, shown next to each field."""

from __future__ import annotations

from datetime import datetime

from kinerja_saas.errors import FieldError
from tenants.models import RegionTimezone

PROFILE_LABELS: dict[str, str] = {
    "age_band": "Usia",
    "gender": "Jenis kelamin",
    "education": "Pendidikan terakhir",
    "occupation": "Pekerjaan",
}

PROFILE_VALUE_LABELS: dict[str, str] = {
    "UNDER_20": "Di bawah 20 tahun",
    "20_29": "20–29 tahun",
    "30_39": "30–39 tahun",
    "40_49": "40–49 tahun",
    "50_59": "50–59 tahun",
    "60_PLUS": "60 tahun ke atas",
    "LAKI_LAKI": "Laki-laki",
    "PEREMPUAN": "Perempuan",
    "SD": "SD/sederajat",
    "SMP": "SMP/sederajat",
    "SMA": "SMA/sederajat",
    "D1_D3": "D1–D3",
    "D4_S1": "D4/S1",
    "S2_PLUS": "S2 ke atas",
    "PNS": "PNS",
    "TNI_POLRI": "TNI/Polri",
    "PEGAWAI_SWASTA": "Pegawai swasta",
    "WIRAUSAHA": "Wirausaha",
    "PELAJAR": "Pelajar/Mahasiswa",
    "LAINNYA": "Lainnya",
}

ZONE_ABBREVIATIONS = {zone.value: zone.name for zone in RegionTimezone}  # WIB, WITA, WIT

TOKEN_REFUSED = (
    "Formulir ini sudah kedaluwarsa atau tidak sah. Jawaban Anda masih tersimpan di bawah: "
    "periksa lalu tekan Kirim sekali lagi."
)


def wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} detik"
    return f"{-(-seconds // 60)} menit"


def clock_text(moment: datetime, zone: str) -> str:
    return f"{moment:%H.%M} {ZONE_ABBREVIATIONS.get(zone, '')}".strip()


def field_message(error: FieldError, *, suggestion_max_length: int, extra_max: int) -> str:
    """The message shown next to the field; by the error's code, whichever field it is."""
    field = error.field or ""
    if field.startswith("answers."):
        return {
            "REQUIRED": "Pilih salah satu jawaban.",
            "OUT_OF_RANGE": "Pilih salah satu dari empat jawaban.",
        }.get(error.code, "Unsur ini tidak dikenal.")
    if field.startswith("profile."):
        return {
            "INVALID": "Pilih salah satu pilihan yang tersedia.",
        }.get(error.code, "Survei ini tidak menanyakan data ini.")
    if field == "suggestion":
        return f"Saran paling banyak {suggestion_max_length} karakter."
    if field.startswith("extraAnswers."):
        return {
            "REQUIRED": "Pertanyaan ini wajib dijawab.",
            "TOO_LONG": f"Jawaban paling banyak {extra_max} karakter.",
        }.get(error.code, "Pertanyaan ini tidak dikenal.")
    return "Isian tidak sah."


def summary(errors: list[FieldError]) -> str:
    missing = sum(
        1 for e in errors if e.field and e.field.startswith("answers.") and e.code == "REQUIRED"
    )
    if missing:
        return (
            f"{missing} unsur belum dijawab. Lengkapi isian yang ditandai, lalu tekan Kirim. "
            "Jawaban Anda yang lain tetap tersimpan."
        )
    return "Periksa isian yang ditandai, lalu tekan Kirim. Jawaban Anda yang lain tetap tersimpan."
