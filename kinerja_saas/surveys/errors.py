"""The surveys domain's error codes (SKM campaigns, the public form, results), each with its
message in Bahasa Indonesia. Shared codes (REQUIRED, NOT_FOUND, …) are in kinerja_saas.errors."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode, field_labels


class SurveyError(ErrorCode):
    UNKNOWN_CODE = "UNKNOWN_CODE", "Tidak ada survei dengan kode ini."
    CAMPAIGN_CLOSED = "CAMPAIGN_CLOSED", "Survei ini sedang tidak dibuka."
    UNKNOWN = "UNKNOWN", "{field} tidak ada dalam survei ini."
    NOT_ASKED = "NOT_ASKED", "{field} tidak ditanyakan dalam survei ini."
    INCOMPLETE = "INCOMPLETE", "Semua {count} unsur wajib dijawab."
    ONE_SCOPE = "ONE_SCOPE", "Isi salah satu saja: layanan atau unit."
    DATES_REVERSED = "DATES_REVERSED", "Tanggal penutupan tidak boleh sebelum tanggal pembukaan."
    TOO_MANY_RESPONSES = (
        "RATE_LIMITED",
        "Terlalu banyak jawaban; coba lagi dalam {wait} detik.",
    )
    QR_KIND = "NOT_FOUND", "Gunakan qr.png atau qr.svg."
    NO_PUBLIC_URL = (
        "NO_PUBLIC_URL",
        "Alamat publik platform belum diatur: isi KINERJA_SURVEY_PUBLIC_URL (atau "
        "KINERJA_PUBLIC_URL) terlebih dahulu.",
    )
    ONE_REGION_PER_REQUEST = (
        "ONE_REGION_PER_REQUEST",
        "Satu permintaan hanya dapat menjangkau satu wilayah.",
    )


field_labels(
    {
        "answers": "Jawaban unsur",
        "extraAnswers": "Jawaban pertanyaan tambahan",
        "clientToken": "Token klien",
        "profile": "Data responden",
        "profile.age_band": "Kelompok umur",
        "profile.gender": "Jenis kelamin",
        "profile.education": "Pendidikan",
        "profile.occupation": "Pekerjaan",
        "suggestion": "Saran",
        "periodLabel": "Label periode",
        "closesOn": "Tanggal penutupan",
        "serviceIds": "Layanan",
        "serviceId": "Layanan",
        "profileFields": "Data responden yang ditanyakan",
        "extraQuestions": "Pertanyaan tambahan",
        "extraQuestions.code": "Kode pertanyaan",
        "extraQuestions.text": "Teks pertanyaan",
        "populationPerYear": "Jumlah penduduk terlayani per tahun",
        "campaignId": "Kampanye survei",
        "regionSlug": "Wilayah",
        "filter.year": "Tahun",
        "last": "Jumlah kampanye",
        "scale": "Skala (piksel per modul)",
    }
)
