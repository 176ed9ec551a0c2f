"""Error codes of the GraphQL API itself (limits, the document, transport, HTTP), each with
its message in Bahasa Indonesia. Domain errors come from kinerja_saas/<domain>/errors.py."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode


class ApiError(ErrorCode):
    UNEXPECTED = "UNEXPECTED", "Terjadi kesalahan yang tidak terduga."
    SERVICE_UNAVAILABLE = (
        "SERVICE_UNAVAILABLE",
        "Layanan sedang tidak tersedia sebentar; tidak ada yang tersimpan. Silakan coba lagi.",
    )
    ROLLED_BACK = (
        "ROLLED_BACK",
        "Operasi gagal, sehingga tidak ada perubahannya yang tersimpan.",
    )
    QUERY_TOO_COSTLY = (
        "QUERY_TOO_COSTLY",
        "Biaya query {cost} melebihi batas {max}; minta lebih sedikit field atau halaman yang "
        "lebih kecil.",
    )
    QUERY_TOO_LARGE = (
        "QUERY_TOO_LARGE",
        "Query memilih lebih dari {max} field setelah fragmennya diuraikan.",
    )
    ONE_AUTH_PER_REQUEST = (
        "ONE_AUTH_PER_REQUEST",
        "Kirim satu login, refreshToken atau activateAccount per permintaan.",
    )
    INVALID_CHARACTER = "INVALID_CHARACTER", "Argumen {name} memuat karakter NUL."
    AUTHENTICATION_ALONE = (
        "AUTHENTICATION_ALONE",
        "Login, logout, pembaruan token, aktivasi akun dan penggantian kata sandi dikirim "
        "sendiri: satu-satunya field dalam operasinya.",
    )
    ALREADY_AUTHENTICATED = (
        "ALREADY_AUTHENTICATED",
        "Permintaan ini sudah membawa token: login, pembaruan token dan aktivasi akun dikirim "
        "tanpa header Authorization.",
    )
    USE_HTTP = (
        "USE_HTTP",
        "Lewat WebSocket hanya subscription yang dijalankan; kirim query dan mutation lewat HTTP.",
    )
    OPERATION_NAME_REQUIRED = (
        "OPERATION_NAME_REQUIRED",
        "Dokumen memuat beberapa operasi: sebutkan satu di operationName.",
    )
    UNKNOWN_OPERATION = "UNKNOWN_OPERATION", "Dokumen tidak memuat operasi bernama {name}."
    SUBSCRIPTION_OVER_HTTP = (
        "SUBSCRIPTION_OVER_HTTP",
        "Subscription dijalankan lewat WebSocket (graphql-transport-ws), tidak lewat HTTP.",
    )
    REGION_MISMATCH = "REGION_MISMATCH", "Token ini milik wilayah lain."
    INVALID_ID = "INVALID_ID", "{name}: bukan id yang sah (hanya angka 0-9)."
    INVALID_CURSOR = "INVALID_CURSOR", "Kursor tidak valid atau milik urutan yang lain."
    PAGE_SIZE = "PAGE_SIZE", "{field} harus di antara 0 dan {max}."
    LIVE_UNAVAILABLE = (
        "LIVE_UNAVAILABLE",
        "Notifikasi langsung tidak tersedia di server ini.",
    )
    BODY_TOO_LARGE = "BODY_TOO_LARGE", "Isi permintaan melebihi {max} bita."
    BAD_REQUEST = "BAD_REQUEST", "Permintaan tidak valid[: {reason}]."
    NOT_FOUND = "NOT_FOUND", "Alamat ini tidak ditemukan."
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED", "GraphQL hanya menerima permintaan GET dan POST."
    METRICS_TOKEN = "UNAUTHENTICATED", "Token /metrics salah."


# HTTP 400 reasons (ours and Strawberry's) as a person reads them; others get the bare
# BAD_REQUEST text.
HTTP_REASONS: dict[str, str] = {
    "Unable to parse request body as JSON": "isi permintaan bukan JSON yang valid",
    "No GraphQL query found in the request": "permintaan tidak memuat query GraphQL",
    "Unable to parse the multipart body": "isi multipart tidak dapat dibaca",
    "File(s) missing in form data": "berkas yang dirujuk tidak ada di form data",
    "Unsupported content type": "Content-Type tidak didukung",
    "Batching is not enabled": "satu permintaan memuat satu operasi",
    "Too many operations": "terlalu banyak operasi dalam satu permintaan",
}
