"""The auth domain's error codes (logins, tokens, passwords, activation, roles), each with its
message in Bahasa Indonesia. Shared codes (REQUIRED, NOT_FOUND, …) are in kinerja_saas.errors."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode, field_labels

# The same text whatever went wrong with the e-mail, the password or the region: a refusal
# must not tell which accounts exist.
_SESSION_ENDED = "Sesi ini telah diakhiri; silakan masuk lagi."


class AuthError(ErrorCode):
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS", "E-mail atau kata sandi salah."
    REGION_SUSPENDED = "REGION_SUSPENDED", "Wilayah ini sedang dinonaktifkan."
    ACCOUNT_INACTIVE = "ACCOUNT_INACTIVE", "Akun ini sudah tidak aktif."
    WRONG_PASSWORD = "WRONG_PASSWORD", "Kata sandi saat ini salah."
    TOO_SHORT = "TOO_SHORT", "{field} minimal {min} karakter."
    TOO_WEAK = "TOO_WEAK", "{field} terlalu mudah ditebak; pilih yang lebih sulit."
    TOKEN_EXPIRED = "TOKEN_EXPIRED", "Token sudah kedaluwarsa."
    TOKEN_INVALID = "TOKEN_INVALID", "Token tidak sah."
    TOKEN_REVOKED = "TOKEN_REVOKED", _SESSION_ENDED
    TOKEN_REUSED = "TOKEN_REUSED", _SESSION_ENDED
    UNAUTHENTICATED = "UNAUTHENTICATED", "Silakan masuk terlebih dahulu."
    NO_REGION = (
        "NO_REGION",
        "Hanya akun wilayah yang dapat melakukan ini; operator platform tidak melihat data "
        "wilayah.",
    )
    NOT_GRANTABLE = (
        "NOT_GRANTABLE",
        "Peran {role} tidak {verb} langsung; yang dapat {verb}: {grantable:dan}.",
    )
    NOT_APPLICABLE = "NOT_APPLICABLE", "{field} hanya diisi untuk peran {role}."
    LAST_REGION_ADMIN = (
        "LAST_REGION_ADMIN",
        "Ini admin wilayah aktif terakhir; berikan peran Admin Wilayah kepada akun lain "
        "terlebih dahulu.",
    )
    ALREADY_ACTIVE = "ALREADY_ACTIVE", "Akun ini sudah memiliki kata sandi."
    RATE_LIMITED = (
        "RATE_LIMITED",
        "Terlalu banyak percobaan masuk yang gagal; coba lagi dalam {wait} detik.",
    )
    BUSY = "BUSY", "Terlalu banyak proses masuk yang sedang diperiksa; coba lagi sebentar lagi."


class ActivationError(ErrorCode):
    """The account activation link (e-mailed to a new login)."""

    TOKEN_INVALID = "TOKEN_INVALID", "Tautan aktivasi ini tidak sah."
    TOKEN_EXPIRED = (
        "TOKEN_EXPIRED",
        "Tautan aktivasi ini sudah kedaluwarsa; mintalah tautan baru kepada admin wilayah.",
    )
    TOKEN_USED = "TOKEN_USED", "Tautan aktivasi ini sudah pernah dipakai."


class BearerError(ErrorCode):
    """HTTP routes outside GraphQL that take an access token (QR codes)."""

    TOKEN_INVALID = (
        "TOKEN_INVALID",
        "Kirim token akses dengan header 'Authorization: Bearer <token>'.",
    )


field_labels(
    {
        "password": "Kata sandi",
        "newPassword": "Kata sandi baru",
        "currentPassword": "Kata sandi saat ini",
        "role": "Peran",
        "roles": "Peran",
    }
)
