"""The notifications domain's error codes (inbox, preferences, region texts, announcements,
webhooks), each with its message in Bahasa Indonesia. Shared codes (REQUIRED, NOT_FOUND, …)
are in kinerja_saas.errors."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode, field_labels


class NotificationError(ErrorCode):
    UNKNOWN_KIND = (
        "UNKNOWN_KIND",
        "Tidak ada jenis notifikasi '{kind}'; lihat notificationPreferences untuk daftarnya.",
    )
    NOT_A_USER_CHANNEL = (
        "NOT_A_USER_CHANNEL",
        "Pilih IN_APP atau EMAIL; webhook diatur per endpoint oleh admin wilayah.",
    )
    INVALID_TEMPLATE = (
        "INVALID",
        "{field} tidak valid: tulis {{{{ dan }}}} untuk kurung kurawal, dan placeholder tanpa "
        "format, misalnya {{nama}}.",
    )
    UNKNOWN_PLACEHOLDER = (
        "UNKNOWN_PLACEHOLDER",
        "Placeholder tidak dikenal: {unknown:dan}; gunakan {known:dan}.",
    )
    URL_INVALID = (
        "URL_INVALID",
        "URL tidak valid: tanpa spasi, karakter kontrol, host atau port yang salah.",
    )
    URL_SCHEME = "URL_SCHEME", "URL harus diawali http:// atau https://."
    URL_HOST = "URL_HOST", "URL harus menyebut host, misalnya https://simpeg.example.go.id/hook."
    URL_UNRESOLVABLE = "URL_UNRESOLVABLE", "Host '{host}' tidak dapat di-resolve."
    URL_NOT_PUBLIC = (
        "URL_NOT_PUBLIC",
        "Host '{host}' menunjuk ke alamat yang tidak publik ({kinds:dan}): webhook tidak "
        "boleh menuju ke sana.",
    )
    ENDPOINTS_LIMIT = "TOO_MANY", "Satu wilayah paling banyak memiliki {max} endpoint webhook."
    NOT_REDELIVERABLE = (
        "NOT_REDELIVERABLE",
        "Pengiriman ini berstatus {status}: masih dikirim atau dicoba ulang.",
    )
    ENDPOINT_INACTIVE = (
        "ENDPOINT_INACTIVE",
        "Aktifkan endpoint terlebih dahulu sebelum mengirim ulang.",
    )


field_labels(
    {
        "kind": "Jenis notifikasi",
        "kinds": "Jenis notifikasi",
        "channel": "Kanal",
        "preferences": "Preferensi",
        "url": "URL",
        "isActive": "Status aktif",
        "filter.kind": "Jenis notifikasi",
        "filter.endpointId": "Endpoint webhook",
    }
)
