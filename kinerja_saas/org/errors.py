"""The org domain's error codes (units, employees, NIP, the roster import), each with its
message in Bahasa Indonesia. Shared codes (REQUIRED, NOT_FOUND, …) are in kinerja_saas.errors."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode, field_labels


class OrgError(ErrorCode):
    HAS_ACTIVE_SUBUNITS = (
        "HAS_ACTIVE_SUBUNITS",
        "Nonaktifkan atau pindahkan dahulu sub-unit yang masih aktif.",
    )
    HAS_ACTIVE_EMPLOYEES = (
        "HAS_ACTIVE_EMPLOYEES",
        "Pindahkan atau nonaktifkan dahulu pegawai yang masih aktif di unit ini.",
    )
    LAST_REGION_ADMIN = (
        "LAST_REGION_ADMIN",
        "Pegawai ini memegang akun admin wilayah aktif terakhir; berikan peran Admin Wilayah "
        "kepada akun lain terlebih dahulu.",
    )
    CYCLE = (
        "CYCLE",
        "{field} membentuk lingkaran: tidak boleh dirinya sendiri atau salah satu bawahannya.",
    )
    NIP_FORMAT = "NIP_FORMAT", "{field} harus terdiri atas tepat 18 angka."
    NIP_BIRTH_DATE = "NIP_BIRTH_DATE", "Tanggal lahir dalam {field} tidak mungkin[: {value}]."
    NIP_CPNS_DATE = (
        "NIP_CPNS_DATE",
        "Tanggal pengangkatan CPNS dalam {field} tidak mungkin[: {value}][ untuk tanggal lahir "
        "{birth}].",
    )
    NIP_PPPK_DATE = (
        "NIP_PPPK_DATE",
        "Tahun pengangkatan PPPK {year} dalam {field} tidak mungkin untuk tanggal lahir {birth}.",
    )
    NIP_GENDER = "NIP_GENDER", "Digit jenis kelamin (ke-15) dalam {field} harus 1 atau 2."
    NIP_SEQUENCE = (
        "NIP_SEQUENCE",
        "Nomor urut pada {field} (3 angka terakhir) tidak boleh 000.",
    )
    GOLONGAN_KIND = (
        "GOLONGAN_KIND",
        "{field} {value} tidak berlaku untuk {kind}; golongan {kind}: {scale}.",
    )
    CODE_RESERVED = (
        "CODE_RESERVED",
        "{field} berawalan IMP- diikuti angka dicadangkan untuk unit yang dibuat oleh impor "
        "pegawai; pilih kode lain.",
    )
    GOLONGAN_UNKNOWN = (
        "INVALID",
        "{field} {value} tidak dikenal; golongan PNS: I/a sampai IV/e, PPPK: I sampai XVII.",
    )


class ActingError(ErrorCode):
    """Acting officials (Plt./Plh.) and transfers (mutasi)."""

    ACTING_OVERLAP = (
        "ACTING_OVERLAP",
        "Unit ini sudah memiliki {kind} dari {starts} sampai {ends}; rentang tanggal "
        "penunjukan tidak boleh tumpang tindih.",
    )
    ENDS_BEFORE_START = "BEFORE_START", "{field} tidak boleh sebelum tanggal mulai."
    BEFORE_CURRENT_POSITION = (
        "BEFORE_CURRENT_POSITION",
        "{field} tidak boleh sebelum awal jabatan saat ini ({starts}).",
    )
    NOTHING_TO_TRANSFER = (
        "REQUIRED",
        "Sebutkan unit, atasan atau jabatan baru dari mutasi ini.",
    )


class NipMonthError(ErrorCode):
    """The CPNS month of a NIP (digits 13-14), refused with the same code as its date but
    saying which numbers a PPPK number uses there."""

    NIP_CPNS_MONTH = (
        "NIP_CPNS_DATE",
        "Bulan CPNS dalam {field} ({value}) tidak mungkin; NI PPPK memakai 21 sampai 29.",
    )


class ImportError_(ErrorCode):
    """The roster file as a whole (refused before any row is read)."""

    EMPTY = "EMPTY", "Berkas kosong."
    TOO_LARGE = "TOO_LARGE", "Berkas berukuran {size} bita; batasnya {max} bita."
    NOT_CSV = "NOT_CSV", "Berkas ini bukan berkas teks CSV yang dapat dibaca."
    NOT_UTF8 = "NOT_UTF8", "Berkas bukan teks UTF-8; simpan sebagai CSV UTF-8."
    MISSING_COLUMNS = (
        "MISSING_COLUMNS",
        "Baris judul tidak memuat kolom {missing:dan}; kolom yang diharapkan: {columns:dan}.",
    )
    EXTRA_FIELDS = (
        "EXTRA_FIELDS",
        "Baris {lines:dan}[ serta {more} baris lainnya] memuat lebih banyak kolom daripada baris judul ({count} kolom); "
        "nilai yang memuat tanda pemisah kolom ({delimiter}) harus diapit tanda kutip ganda.",
    )
    NO_ROWS = "NO_ROWS", "Berkas memiliki baris judul tetapi tidak ada data pegawai."
    TOO_DEEP = "TOO_DEEP", "Jalur unit paling dalam {max} tingkat."
    JOB_FAILED = (
        "JOB_FAILED",
        "Impor tidak dapat diselesaikan; coba lagi atau hubungi dukungan.",
    )
    REGION_SUSPENDED = (
        "REGION_SUSPENDED",
        "Wilayah ini dinonaktifkan sebelum impor sempat berjalan.",
    )


class ImportRowError(ErrorCode):
    """Problems between rows of the roster, found by SQL over the staged file; the statements
    in org/importing.py build the same texts (with the row's values) in the database."""

    DUPLICATE_IN_FILE = "DUPLICATE_IN_FILE", "{field} {value} juga ada di baris {line}."
    UNKNOWN_SUPERVISOR = (
        "UNKNOWN_SUPERVISOR",
        "Tidak ada pegawai dengan NIP {value} di berkas ini maupun di wilayah ini.",
    )
    INACTIVE_SUPERVISOR = (
        "INACTIVE_SUPERVISOR",
        "Atasan {value} sudah dinonaktifkan; cantumkan di berkas untuk mengaktifkannya "
        "kembali, atau tunjuk atasan lain.",
    )
    EMAIL_TAKEN = (
        "EMAIL_TAKEN",
        "E-mail {value} sudah menjadi akun pegawai lain di wilayah ini.",
    )
    INACTIVE_UNIT = (
        "INACTIVE_UNIT",
        "Unit {value} adalah, atau berada di bawah, unit yang dinonaktifkan.",
    )
    SUPERVISOR_NOT_IN_FILE = (
        "SUPERVISOR_NOT_IN_FILE",
        "Atasan {value} tidak ada di berkas, sehingga impor ini akan menonaktifkannya.",
    )
    CYCLE = "CYCLE", "Rantai atasan membentuk lingkaran: {value}."


field_labels(
    {
        "startsOn": "Tanggal mulai",
        "endsOn": "Tanggal selesai",
        "skNumber": "Nomor SK",
        "effectiveOn": "Tanggal berlaku mutasi",
        "nip": "NIP",
        "nip_atasan": "NIP atasan",
        "position": "Jabatan",
        "jabatan": "Jabatan",
        "jenis_jabatan": "Jenis jabatan",
        "positionType": "Jenis jabatan",
        "golongan": "Golongan",
        "telepon": "Nomor telepon",
        "nama": "Nama",
        "unit": "Unit",
        "parentId": "Unit induk",
        "supervisorId": "Atasan",
    }
)
