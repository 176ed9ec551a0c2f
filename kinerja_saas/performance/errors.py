"""The performance domain's error codes (periods, plans, realisations, evaluations, appeals,
the distribution pattern), each with its message in Bahasa Indonesia. Shared codes
(REQUIRED, NOT_FOUND, FORBIDDEN, …) are in kinerja_saas.errors."""

from __future__ import annotations

from kinerja_saas.errors import ErrorCode, field_labels


class PerformanceError(ErrorCode):
    FORBIDDEN = "FORBIDDEN", "Hanya {allowed} yang dapat melakukan tindakan ini."
    PERIOD_CLOSED = "PERIOD_CLOSED", "Periode sudah ditutup."
    PERIOD_NOT_ACTIVE = (
        "PERIOD_NOT_ACTIVE",
        "Realisasi diisi setelah periode berstatus ACTIVE.",
    )
    PERIOD_NOT_EVALUATING = (
        "PERIOD_NOT_EVALUATING",
        "Penilaian tahunan dilakukan setelah periode berstatus EVALUATING.",
    )
    PERIOD_NOT_OPEN_FOR_PLANS = (
        "PERIOD_NOT_OPEN_FOR_PLANS",
        "SKP disusun selama periode berstatus PLANNING atau ACTIVE; saat ini {status}.",
    )
    INVALID_TRANSITION = (
        "INVALID_TRANSITION",
        "Status {current} tidak dapat berpindah ke {target}.",
    )
    NOT_IN_PERIOD = "NOT_IN_PERIOD", "Checkpoint ini tidak berada dalam periode SKP."
    NOT_STARTED = "NOT_STARTED", "{checkpoint} belum dimulai."
    BEFORE_START = "BEFORE_START", "Batas waktu tidak boleh sebelum checkpoint dimulai."
    TOO_LATE = (
        "TOO_LATE",
        "Batas waktu paling lambat {max} hari setelah checkpoint berakhir.",
    )
    PLAN_NOT_APPROVED = "PLAN_NOT_APPROVED", "SKP harus sudah disetujui."
    PLAN_LOCKED = (
        "PLAN_LOCKED",
        "SKP berstatus {status} tidak dapat diubah[ (pegawai: {employees:dan})]; SKP yang "
        "disetujui hanya berubah melalui revisi, SKP yang diajukan menunggu keputusan "
        "pejabat penilai.",
    )
    MAIN_RESULT_REQUIRED = (
        "MAIN_RESULT_REQUIRED",
        "SKP memerlukan paling sedikit satu hasil kerja UTAMA.",
    )
    WEIGHTS_NOT_100 = (
        "WEIGHTS_NOT_100",
        "Jumlah bobot indikator harus 100; saat ini {total}.",
    )
    HAS_REALISATIONS = (
        "HAS_REALISATIONS",
        "Indikator yang sudah memiliki realisasi tidak dapat dihapus.",
    )
    NOT_A_REPORT = (
        "NOT_A_REPORT",
        "Bukan bawahan langsung Anda yang aktif: {employees:dan}.",
    )
    MIXED_PERIODS = "MIXED_PERIODS", "Salin hasil kerja dari satu SKP sekaligus."
    SOURCED_INDICATOR = (
        "SOURCED_INDICATOR",
        "Indikator ini terisi otomatis dari {source}; tidak diisi manual.",
    )
    SOURCED_REALISATION = (
        "SOURCED_REALISATION",
        "Realisasi ini berasal dari {source}; tidak perlu diverifikasi.",
    )
    SOURCE_REQUIRED = (
        "SOURCE_REQUIRED",
        "Indikator yang menunjuk unit atau layanan harus bersumber SKM_IKM.",
    )
    SOURCE_TARGET_REQUIRED = (
        "SOURCE_TARGET_REQUIRED",
        "Indikator SKM_IKM menunjuk tepat satu unit atau satu layanan survei.",
    )
    SOURCE_MISMATCH = (
        "SOURCE_MISMATCH",
        "{field} tidak cocok untuk indikator IKM[; yang benar: {expected}]"
        "[; harus di antara {min} dan {max}].",
    )
    INVALID_URL = "INVALID_URL", "{field} harus berupa tautan http:// atau https://."
    EVALUATION_FINALISED = "EVALUATION_FINALISED", "Penilaian[ {checkpoint}] sudah final."
    NOT_FINALISED = "NOT_FINALISED", "Penilaian harus sudah final."
    AMOUNT_NOT_ALLOWED = (
        "AMOUNT_NOT_ALLOWED",
        "{field} hanya untuk konsekuensi INSENTIF_KINERJA dan PENGURANGAN_TPP.",
    )
    NO_BEHAVIOUR_VALUES = (
        "NO_BEHAVIOUR_VALUES",
        "Wilayah ini belum memiliki nilai BerAKHLAK, sehingga perilaku kerja tidak dapat "
        "dinilai; hubungi operator platform.",
    )
    UNKNOWN_VALUE = "UNKNOWN_VALUE", "Tidak ada nilai BerAKHLAK {value}."
    RATING_REQUIRED = (
        "RATING_REQUIRED",
        "Berikan penilaian terlebih dahulu[; belum dinilai: {missing:dan}].",
    )
    OVERRIDE_REASON_REQUIRED = (
        "OVERRIDE_REASON_REQUIRED",
        "Usulan rating hasil kerja menurut PermenPANRB 6/2022 adalah {proposed}; tuliskan "
        "alasan Anda menilai {rating}.",
    )
    DISTRIBUTION_PATTERN = (
        "DISTRIBUTION_PATTERN",
        "Predikat unit ini akan menyalahi pola distribusinya: {problems} Finalkan sekali lagi "
        "dengan acknowledgeDistribution untuk melanjutkan.",
    )
    APPEAL_WINDOW_CLOSED = (
        "APPEAL_WINDOW_CLOSED",
        "Keberatan hanya dapat diajukan sampai {deadline}.",
    )
    APPEAL_EXISTS = "APPEAL_EXISTS", "Penilaian ini sudah pernah diajukan keberatan."
    # Periodic targets (rules.periodic_target_problems, issue #18).
    TARGET_KIND_REQUIRED = (
        "TARGET_KIND_REQUIRED",
        "Nyatakan jenis target per periode: CUMULATIVE (kumulatif) atau PER_PERIOD.",
    )
    TARGET_COUNT = (
        "TARGET_COUNT",
        "Isi {count} target, satu untuk setiap {checkpoint} periode ini; sekarang {given}.",
    )
    TARGETS_NOT_MONOTONE = (
        "TARGETS_NOT_MONOTONE",
        "Target kumulatif {checkpoint} ke-{position} ({value}) tidak boleh {way} dari "
        "{checkpoint} ke-{previous_position} ({previous}).",
    )
    LAST_TARGET_NOT_ANNUAL = (
        "LAST_TARGET_NOT_ANNUAL",
        "Target kumulatif {checkpoint} terakhir harus sama dengan target tahunan {annual}; "
        "sekarang {value}.",
    )
    TARGETS_SUM_NOT_ANNUAL = (
        "TARGETS_SUM_NOT_ANNUAL",
        "Jumlah target per {checkpoint} harus sama dengan target tahunan {annual}; "
        "sekarang {total}.",
    )


class BehaviourRatingError(ErrorCode):
    """The behaviour rating (its code is the result rating's: the same rule on another
    field)."""

    OVERRIDE_REASON_REQUIRED = (
        "OVERRIDE_REASON_REQUIRED",
        "Usulan rating perilaku kerja dari penilaian nilai BerAKHLAK adalah {proposed}; "
        "tuliskan alasan Anda menilai {rating}.",
    )


class DistributionError(ErrorCode):
    """The distribution pattern (kurva distribusi) of PermenPANRB 6/2022: one problem each;
    `now` is the group's share, e.g. "80,00% (8 dari 10)"."""

    MAX_SHARE_EXCEEDED = (
        "MAX_SHARE_EXCEEDED",
        "Paling banyak {limit:%} boleh berpredikat {group}; saat ini {now}.",
    )
    MIN_SHARE_MISSED = (
        "MIN_SHARE_MISSED",
        "Paling sedikit {limit:%} harus berpredikat {group}; saat ini {now}.",
    )
    NOT_ALLOWED = "NOT_ALLOWED", "Tidak boleh ada pegawai berpredikat {group}; saat ini {now}."
    REQUIRED_MISSING = (
        "REQUIRED_MISSING",
        "Paling sedikit satu pegawai harus berpredikat {either}; saat ini {now}.",
    )
    NOT_LARGEST = (
        "NOT_LARGEST",
        "Sebagian besar pegawai harus berpredikat {group}, tetapi {rival} lebih banyak; "
        "saat ini {now}.",
    )


field_labels(
    {
        "planId": "SKP",
        "indicatorId": "Indikator",
        "checkpointId": "Checkpoint",
        "resultIds": "Hasil kerja",
        "employeeIds": "Pegawai",
        "results": "Hasil kerja (RHK)",
        "indicators": "Indikator (IKI)",
        "supportsResultId": "Hasil kerja atasan yang didukung",
        "target": "Target",
        "weight": "Bobot",
        "value": "Nilai realisasi",
        "evidence": "Bukti dukung",
        "evidence.url": "Tautan bukti",
        "evidence.label": "Keterangan bukti",
        "behaviour.code": "Kode nilai BerAKHLAK",
        "behaviour.note": "Catatan nilai BerAKHLAK",
        "aspect": "Aspek",
        "direction": "Arah indikator",
        "source": "Sumber",
        "sourceUnitId": "Unit sumber",
        "sourceServiceId": "Layanan survei sumber",
        "behaviour": "Perilaku kerja",
        "feedback": "Umpan balik",
        "decisionNote": "Catatan keputusan",
        "resultRating": "Rating hasil kerja",
        "resultOverrideReason": "Alasan rating hasil kerja",
        "behaviourOverrideReason": "Alasan rating perilaku kerja",
        "acknowledgeDistribution": "Persetujuan pola distribusi",
        "status": "Status",
        "deadline": "Batas waktu",
        "deadlineDays": "Jumlah hari batas waktu",
        "decidedOn": "Tanggal keputusan",
        "evaluationId": "Penilaian",
        "replyToId": "Catatan yang dibalas",
        "unitRating": "Predikat organisasi",
        "amount": "Nominal",
        "targetKind": "Jenis target per periode",
        "checkpointTargets": "Target per checkpoint",
    }
)
