"""The training domain's error codes (competencies, training units, programmes, batches,
assignments), each with its message in Bahasa Indonesia. Shared codes (REQUIRED, NOT_FOUND,
…) are in kinerja_saas.errors."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode, field_labels


class TrainingError(ErrorCode):
    NOT_TRAINING_OFFICER = (
        "NOT_TRAINING_OFFICER",
        "Akun ini bukan petugas unit pelatihan.",
    )
    ALREADY_ASSIGNED = "ALREADY_ASSIGNED", "Pegawai sudah ditugaskan ke program ini."
    NOT_OPEN = "NOT_OPEN", "Program ini tidak dibuka untuk pendaftaran mandiri."
    CANCELLED = "CANCELLED", "Angkatan ini sudah dibatalkan."
    DATES_REVERSED = "DATES_REVERSED", "Tanggal selesai tidak boleh sebelum tanggal mulai."
    BATCH_NOT_STARTED = (
        "BATCH_NOT_STARTED",
        "{batch} baru dimulai {day}; kehadiran belum dapat dicatat sebelum angkatan dimulai.",
    )
    BATCH_NOT_ENDED = (
        "BATCH_NOT_ENDED",
        "{batch} berakhir {day}; pelatihan belum dapat dinyatakan selesai sebelum tanggal "
        "berakhirnya.",
    )
    INVALID_STATUS = (
        "INVALID_STATUS",
        "Penugasan {id} berstatus {status}; yang dapat diproses hanya yang berstatus {allowed}.",
    )


class TrainingNotice(ErrorCode):
    """Texts of successful outcomes that a person reads (not errors)."""

    WAITING_LIST = (
        "WAITING_LIST",
        "Semua angkatan penuh: masuk daftar tunggu pada urutan ke-{position}.",
    )


field_labels(
    {
        "competencyId": "Kompetensi",
        "competencyIds": "Kompetensi",
        "trainingUnitId": "Unit pelatihan",
        "programmeId": "Program pelatihan",
        "batchId": "Angkatan",
        "assignmentIds": "Penugasan",
        "assignmentId": "Penugasan",
        "jpHours": "Jumlah JP",
        "capacity": "Kapasitas",
        "triggerValue": "Nilai pemicu",
        "priority": "Prioritas",
        "score": "Nilai",
        "certificateRef": "Nomor sertifikat",
        "startsOn": "Tanggal mulai",
        "endsOn": "Tanggal selesai",
        "endpointId": "Endpoint webhook",
    }
)
