"""The notification kinds: who receives each (one SQL query, so a region-wide event is
resolved by the database, not in Python), its default texts in Bahasa Indonesia and its
default channels. Which outbox topic causes which kind is the routing table's
(`workers/routing.py`); a kind's `event_vars` and recipient query read that topic's payload
(its declared type in `<domain>/events.py`; tests/test_event_catalogue.py checks both).

Recipient queries take $1 = tenant id and $2 = the event's payload (jsonb) and return
`user_id` and `nama` (the recipient's name) plus the kind's `recipient_vars` as text. Only
active logins receive anything."""

from __future__ import annotations

from dataclasses import dataclass

from kinerja_saas.db.fragments import unit_subtree
from kinerja_saas.notifications.models import Channel
from kinerja_saas.org.queries import acting_heads_for_sql


@dataclass(frozen=True)
class Kind:
    name: str
    description: str
    title: str
    body: str
    link: str | None
    recipients: str
    event_vars: tuple[str, ...] = ()  # from the payload (and `region`, the region's name)
    recipient_vars: tuple[str, ...] = ()  # columns of the recipient query
    send_time_vars: tuple[str, ...] = ()  # filled by the channel when it sends (secrets)
    in_app: bool = True  # default per channel; a user's preference overrides it
    email: bool = True

    @property
    def variables(self) -> tuple[str, ...]:
        return ("nama", "region", *self.event_vars, *self.recipient_vars, *self.send_time_vars)

    def default_enabled(self, channel: Channel) -> bool:
        return self.in_app if channel is Channel.IN_APP else self.email


def _bigint(key: str) -> str:
    return f"($2::jsonb->>'{key}')::bigint"


def _account_of(employee: str, *, extra: str = "", joins: str = "") -> str:
    """The active login of one employee."""
    return (
        f"SELECT u.id AS user_id, u.name AS nama{extra} FROM user_accounts u {joins}"
        f" WHERE u.tenant_id = $1 AND u.is_active AND u.employee_id = {employee}"
    )


def _account_or_admins(employee: str, *, extra: str = "", joins: str = "") -> str:
    """The employee's login, or the region admins when the payload names nobody (the head
    of a region has no supervisor: the admin approves and reviews for them)."""
    return (
        f"SELECT u.id AS user_id, u.name AS nama{extra} FROM user_accounts u {joins}"
        f" WHERE u.tenant_id = $1 AND u.is_active AND CASE WHEN {employee} IS NULL"
        f" THEN 'REGION_ADMIN' = ANY(u.roles) ELSE u.employee_id = {employee} END"
    )


_EMPLOYEE_NAME = (
    "JOIN employees e ON e.tenant_id = $1 AND e.id = " + _bigint("employee_id"),
    ", e.name AS pegawai",
)

# The service and unit of a complaint event's `service_id` (complaints.events).
_COMPLAINT_SERVICE = (
    "WITH svc AS (SELECT s.unit_id, s.name AS layanan, o.name AS unit FROM survey_services s"
    " JOIN org_units o ON o.tenant_id = $1 AND o.id = s.unit_id"
    " WHERE s.tenant_id = $1 AND s.id = " + _bigint("service_id") + ")"
)

KINDS: tuple[Kind, ...] = (
    Kind(
        name="PLAN_SUBMITTED",
        description="An employee submitted an SKP plan: to the evaluator (atasan langsung), "
        "and to an acting head (Plt./Plh.) standing in for them today.",
        title="SKP {pegawai} menunggu persetujuan Anda",
        body="{pegawai} telah mengajukan rencana SKP. Silakan periksa, lalu setujui atau "
        "kembalikan dengan alasan.",
        link="/skp/{plan_id}",
        recipients=f"SELECT u.id AS user_id, u.name AS nama{_EMPLOYEE_NAME[1]}"
        f" FROM user_accounts u {_EMPLOYEE_NAME[0]} WHERE u.tenant_id = $1 AND u.is_active"
        f" AND (CASE WHEN {_bigint('evaluator_id')} IS NULL THEN 'REGION_ADMIN' = ANY(u.roles)"
        f" ELSE u.employee_id = {_bigint('evaluator_id')} END"
        f" OR u.employee_id IN ({acting_heads_for_sql(_bigint('evaluator_id'))})"
        f" AND u.employee_id <> {_bigint('employee_id')})",
        event_vars=("plan_id",),
        recipient_vars=("pegawai",),
    ),
    Kind(
        name="PLAN_APPROVED",
        description="The evaluator approved the plan: to the employee.",
        title="SKP Anda telah disetujui",
        body="Rencana SKP Anda telah disetujui. Anda dapat mulai mencatat realisasi beserta "
        "bukti dukungnya.",
        link="/skp/{plan_id}",
        recipients=_account_of(_bigint("employee_id")),
        event_vars=("plan_id",),
    ),
    Kind(
        name="PLAN_RETURNED",
        description="The evaluator returned the plan with a reason: to the employee.",
        title="SKP Anda dikembalikan untuk diperbaiki",
        body="Atasan Anda mengembalikan rencana SKP. Alasan: {reason}",
        link="/skp/{plan_id}",
        recipients=_account_of(_bigint("employee_id")),
        event_vars=("plan_id", "reason"),
    ),
    Kind(
        name="REALISATION_REJECTED",
        description="The evaluator rejected a realisation: to the employee.",
        title="Realisasi ditolak: {indikator}",
        body='Realisasi Anda untuk indikator "{indikator}" ({periode}) ditolak. '
        "Alasan: {reason}. Silakan perbaiki dan kirim kembali.",
        link="/skp/{plan_id}",
        recipients=_account_of(
            _bigint("employee_id"),
            joins="JOIN indicators i ON i.tenant_id = $1 AND i.id = "
            + _bigint("indicator_id")
            + " JOIN checkpoints c ON c.tenant_id = $1 AND c.id = "
            + _bigint("checkpoint_id"),
            extra=", i.text AS indikator, c.label AS periode",
        ),
        event_vars=("plan_id", "reason"),
        recipient_vars=("indikator", "periode"),
    ),
    Kind(
        name="DEADLINE_NEAR",
        description="A checkpoint's realisation deadline is near: to each employee with an "
        "approved plan who has indicators without a realisation there.",
        title="Batas pengisian realisasi {label}: {deadline}",
        body="Tinggal {days_left} hari lagi. Masih ada {belum_diisi} indikator yang belum Anda "
        "isi realisasinya untuk {label}.",
        link="/realisasi",
        recipients=f"""SELECT u.id AS user_id, u.name AS nama, m.n::text AS belum_diisi
            FROM plans p
            JOIN LATERAL (
                SELECT count(*) AS n FROM indicators i
                WHERE i.tenant_id = $1 AND i.plan_id = p.id AND NOT EXISTS (
                    SELECT 1 FROM realisations r WHERE r.tenant_id = $1
                        AND r.indicator_id = i.id AND r.status <> 'REJECTED'
                        AND r.checkpoint_id = {_bigint("checkpoint_id")})
            ) m ON m.n > 0
            JOIN user_accounts u ON u.tenant_id = $1 AND u.is_active
                AND u.employee_id = p.employee_id
            WHERE p.tenant_id = $1 AND p.period_id = {_bigint("period_id")}
                AND p.status = 'APPROVED'""",
        event_vars=("label", "deadline", "days_left"),
        recipient_vars=("belum_diisi",),
    ),
    Kind(
        name="APPROVAL_OVERDUE",
        description="Daily: plans waiting for approval longer than the region's reminder "
        "setting, to their evaluators.",
        title="{jumlah} SKP menunggu persetujuan Anda",
        body="Ada {jumlah} rencana SKP yang menunggu persetujuan Anda lebih dari {days} hari.",
        link="/persetujuan",
        recipients="""SELECT u.id AS user_id, u.name AS nama, count(*)::text AS jumlah
            FROM plans p
            JOIN user_accounts u ON u.tenant_id = $1 AND u.is_active
                AND u.employee_id = p.evaluator_id
            WHERE p.tenant_id = $1 AND p.status = 'SUBMITTED'
                AND p.submitted_at < ($2::jsonb->>'before')::timestamptz
            GROUP BY u.id, u.name""",
        event_vars=("days",),
        recipient_vars=("jumlah",),
    ),
    Kind(
        name="EVALUATION_FINALISED",
        description="An evaluation was finalised: to the employee.",
        title="Evaluasi kinerja Anda telah final",
        body="Predikat kinerja Anda: {predikat}. Baca umpan balik atasan pada halaman evaluasi.",
        link="/evaluasi/{evaluation_id}",
        recipients=_account_of(_bigint("employee_id")),
        event_vars=("evaluation_id", "predikat"),
    ),
    Kind(
        name="EVALUATION_APPEALED",
        description="An employee appealed (keberatan): to whoever decides it — the "
        "evaluator's supervisor, else the region's Tim Penilai Kinerja, or the region admins "
        "where the region says so (payload `decider`).",
        title="Keberatan atas evaluasi {pegawai}",
        body="{pegawai} mengajukan keberatan atas evaluasi kinerjanya. Anda diminta "
        "meninjau dan memutuskannya.",
        link="/evaluasi/{evaluation_id}",
        recipients="SELECT u.id AS user_id, u.name AS nama, e.name AS pegawai"
        f" FROM user_accounts u {_EMPLOYEE_NAME[0]}"
        " WHERE u.tenant_id = $1 AND u.is_active AND CASE $2::jsonb->>'decider'"
        " WHEN 'TIM_PENILAI' THEN u.employee_id IN (SELECT t.employee_id"
        " FROM appraisal_team_members t WHERE t.tenant_id = $1)"
        " WHEN 'REGION_ADMIN' THEN 'REGION_ADMIN' = ANY(u.roles)"
        f" ELSE u.employee_id = {_bigint('reviewer_id')} END",
        event_vars=("evaluation_id",),
        recipient_vars=("pegawai",),
    ),
    Kind(
        name="DIALOG_NOTE",
        description="A new note in the dialog kinerja: to the other side of the plan.",
        title="Catatan baru dari {penulis}",
        body="{penulis} menambahkan catatan dialog kinerja pada rencana SKP.",
        link="/skp/{plan_id}",
        recipients=_account_of(
            _bigint("recipient_employee_id"),
            joins="JOIN employees a ON a.tenant_id = $1 AND a.id = "
            + _bigint("author_employee_id"),
            extra=", a.name AS penulis",
        ),
        event_vars=("plan_id",),
        recipient_vars=("penulis",),
        email=False,
    ),
    Kind(
        name="CONSEQUENCE_RECORDED",
        description="A reward or sanction was recorded: to the employee.",
        title="Tindak lanjut kinerja: {type}",
        body="Telah dicatat untuk Anda: {type}. Rinciannya ada pada halaman kinerja Anda.",
        link="/kinerja",
        recipients=_account_of(_bigint("employee_id")),
        event_vars=("type",),
    ),
    Kind(
        name="PERIOD_OPENED",
        description="A performance period opened: to every login of the region.",
        title="Periode kinerja {year} dibuka",
        body="Periode kinerja {year} telah dibuka. Susun rencana SKP Anda bersama atasan.",
        link="/skp",
        recipients="SELECT u.id AS user_id, u.name AS nama FROM user_accounts u"
        " WHERE u.tenant_id = $1 AND u.is_active",
        event_vars=("year",),
        email=False,  # a region-wide e-mail is the admin's call, not a default
    ),
    Kind(
        name="IMPORT_FINISHED",
        description="An employee import ended: to the admin who started it.",
        title="Impor pegawai selesai: {status}",
        body="Impor data pegawai {region} telah selesai dengan status {status}.",
        link="/impor/{job_id}",
        recipients="SELECT u.id AS user_id, u.name AS nama FROM user_accounts u"
        " WHERE u.tenant_id = $1 AND u.is_active AND u.id = " + _bigint("created_by"),
        event_vars=("job_id", "status"),
    ),
    Kind(
        name="ANNOUNCEMENT",
        description="A region admin's announcement (pengumuman): to every login of a unit "
        "and its sub-units, or of the whole region.",
        title="{judul}",
        body="{isi}",
        link="/pengumuman",
        recipients=f"""SELECT u.id AS user_id, u.name AS nama FROM user_accounts u
            WHERE u.tenant_id = $1 AND u.is_active AND (
                ($2::jsonb->>'unit_id') IS NULL OR u.employee_id IN (
                    SELECT e.id FROM employees e
                    WHERE e.tenant_id = $1 AND e.is_active
                        AND e.unit_id IN ({unit_subtree(_bigint("unit_id"))})))""",
        event_vars=("judul", "isi"),
        email=False,
    ),
    Kind(
        name="SURVEY_BAND_DROPPED",
        description="A service's IKM quality band fell after an aggregation (e.g. B to C): "
        "to the region admins.",
        title="Mutu pelayanan {layanan} turun ke {mutu_baru}",
        body="Hasil SKM layanan {layanan} ({unit}) pada {survei} turun dari mutu {mutu_lama} "
        "menjadi {mutu_baru}, dengan nilai IKM konversi {converted_ikm}. Silakan tinjau saran "
        "masyarakat dan tindak lanjuti.",
        link="/skm/{campaign_id}",
        recipients="SELECT u.id AS user_id, u.name AS nama, s.name AS layanan, o.name AS unit,"
        " c.name AS survei, ($2::jsonb->>'old_band') AS mutu_lama,"
        " ($2::jsonb->>'new_band') AS mutu_baru FROM user_accounts u"
        " JOIN survey_services s ON s.tenant_id = $1 AND s.id = " + _bigint("service_id") + ""
        " JOIN org_units o ON o.tenant_id = $1 AND o.id = s.unit_id"
        " JOIN survey_campaigns c ON c.tenant_id = $1 AND c.id = " + _bigint("campaign_id") + ""
        " WHERE u.tenant_id = $1 AND u.is_active AND 'REGION_ADMIN' = ANY(u.roles)",
        event_vars=("campaign_id", "converted_ikm"),
        recipient_vars=("layanan", "unit", "survei", "mutu_lama", "mutu_baru"),
    ),
    Kind(
        name="TRAINING_ASSIGNED",
        description="A training assignment (automatic, manual or self-enrolment, in a batch or "
        "on the waiting list): to the employee.",
        title="Penugasan pelatihan: {judul}",
        body="Anda ditugaskan mengikuti pelatihan {judul} ({jp} JP). {jadwal}",
        link="/pelatihan",
        recipients=_account_of(_bigint("employee_id")),
        event_vars=("judul", "jp", "jadwal"),
    ),
    Kind(
        name="TRAINING_TEAM_ASSIGNED",
        description="Members of a supervisor's team were assigned training: to the supervisor.",
        title="{jumlah} anggota tim Anda mendapat penugasan pelatihan",
        body="Sebanyak {jumlah} anggota tim Anda ditugaskan mengikuti pelatihan pengembangan "
        "kompetensi. Rinciannya ada pada halaman pelatihan tim.",
        link="/pelatihan/tim",
        recipients=_account_of(_bigint("supervisor_id")),
        event_vars=("jumlah",),
    ),
    Kind(
        name="TRAINING_UNIT_ASSIGNED",
        description="New participants for a training unit: to its training officers (and to "
        "webhook endpoints of that unit).",
        title="{jumlah} peserta baru untuk {unit_pelatihan}",
        body="Ada {jumlah} penugasan pelatihan baru untuk {unit_pelatihan}. Silakan periksa "
        "daftar peserta dan konfirmasi angkatan.",
        link="/pelatihan/unit",
        recipients="SELECT u.id AS user_id, u.name AS nama, t.name AS unit_pelatihan"
        " FROM training_officers o"
        " JOIN user_accounts u ON u.tenant_id = $1 AND u.id = o.user_id AND u.is_active"
        " JOIN training_units t ON t.tenant_id = $1 AND t.id = o.training_unit_id"
        " WHERE o.tenant_id = $1 AND o.training_unit_id = " + _bigint("training_unit_id"),
        event_vars=("jumlah",),
        recipient_vars=("unit_pelatihan",),
    ),
    Kind(
        name="ACCOUNT_ACTIVATION",
        description="A new login: the activation link, by e-mail (the link is made when the "
        "e-mail is sent and never stored).",
        title="Aktivasi akun Kinerja {region}",
        body="Yth. {nama},\n\nakun Anda pada aplikasi Kinerja {region} telah dibuat. Buka "
        "tautan berikut untuk membuat kata sandi:\n\n{activation_link}\n\nTautan berlaku 14 "
        "hari dan hanya dapat dipakai sekali.",
        link=None,
        recipients="SELECT u.id AS user_id, u.name AS nama FROM user_accounts u"
        " WHERE u.tenant_id = $1 AND u.is_active AND u.password_hash IS NULL"
        " AND u.id IN (SELECT jsonb_array_elements_text($2::jsonb->'user_ids')::bigint)",
        send_time_vars=("activation_link",),
        in_app=False,  # nobody can read it before logging in
    ),
    Kind(
        name="ROLE_CHANGED",
        description="A region admin granted or revoked a role of a login (grantRole, "
        "revokeRole): to that person.",
        title="Perubahan peran akun Kinerja {region}",
        body="Yth. {nama},\n\n{perubahan} pada aplikasi Kinerja {region}. Silakan masuk "
        "kembali agar menu Anda sesuai dengan peran yang baru.",
        link=None,
        # Also to a login that has lost its last role: it is the person who must know.
        recipients="SELECT u.id AS user_id, u.name AS nama FROM user_accounts u"
        " WHERE u.tenant_id = $1 AND u.is_active AND u.id = " + _bigint("user_id"),
        event_vars=("perubahan",),
    ),
    Kind(
        name="ACTING_APPOINTED",
        description="A region admin appointed an acting head (Plt./Plh.) of a unit: to that "
        "person.",
        title="Penunjukan sebagai {jabatan}",
        body="Yth. {nama},\n\nAnda ditunjuk sebagai {jabatan} untuk {periode}. Selama masa "
        "itu Anda menyetujui SKP, memverifikasi realisasi, dan menilai kinerja pegawai yang "
        "dipimpin unit tersebut, dengan tanda tangan sebagai {jabatan}.",
        link=None,
        recipients=_account_of(_bigint("employee_id")),
        event_vars=("jabatan", "periode"),
    ),
    Kind(
        name="ACTING_ENDS_CHANGED",
        description="A region admin ended an acting appointment early or corrected its end "
        "date (endActingAppointment): to the acting head.",
        title="Perubahan masa tugas sebagai {jabatan}",
        body="Yth. {nama},\n\nMasa tugas Anda sebagai {jabatan} diubah menjadi {periode}. "
        "Sesudah tanggal terakhir itu kewenangan {jabatan} tidak lagi berlaku bagi Anda.",
        link=None,
        recipients=_account_of(_bigint("employee_id")),
        event_vars=("jabatan", "periode"),
    ),
    Kind(
        name="COMPLAINT_OVERDUE",
        description="Daily: a public complaint still unanswered after its due day (the "
        "region's answerDueWorkingDays), to the head of its service's unit (the region "
        "admins when the unit has no head with a login); once per complaint.",
        title="Pengaduan {tracking_code} belum dijawab",
        body="Pengaduan masyarakat {tracking_code} tentang layanan {layanan} ({unit}) belum "
        "dijawab, padahal batas waktunya {batas}. Silakan jawab pengaduan tersebut.",
        link="/pengaduan/{complaint_id}",
        recipients=_COMPLAINT_SERVICE
        + """, heads AS (
            SELECT u.id AS user_id, u.name AS nama, svc.layanan, svc.unit FROM svc
            JOIN employees e ON e.tenant_id = $1 AND e.unit_id = svc.unit_id AND e.is_active
            LEFT JOIN employees sup ON sup.tenant_id = $1 AND sup.id = e.supervisor_id
            JOIN user_accounts u ON u.tenant_id = $1 AND u.is_active
                AND u.employee_id = e.id AND 'SUPERVISOR' = ANY(u.roles)
            WHERE sup.id IS NULL OR sup.unit_id <> e.unit_id)
        SELECT user_id, nama, layanan, unit FROM heads
        UNION ALL
        SELECT u.id, u.name, svc.layanan, svc.unit FROM user_accounts u, svc
        WHERE u.tenant_id = $1 AND u.is_active AND 'REGION_ADMIN' = ANY(u.roles)
            AND NOT EXISTS (SELECT 1 FROM heads)""",
        event_vars=("complaint_id", "tracking_code", "batas"),
        recipient_vars=("layanan", "unit"),
    ),
    Kind(
        name="COMPLAINT_ESCALATED",
        description="Daily: a public complaint the unit head was reminded of and is still "
        "unanswered after the region's escalateAfterWorkingDays more: to the region admins; "
        "once per complaint.",
        title="Pengaduan {tracking_code} terlambat dijawab",
        body="Pengaduan masyarakat {tracking_code} tentang layanan {layanan} ({unit}) belum "
        "dijawab oleh kepala unit walaupun sudah diingatkan; batas waktunya {batas}. Mohon "
        "tindak lanjuti.",
        link="/pengaduan/{complaint_id}",
        recipients=_COMPLAINT_SERVICE
        + """
        SELECT u.id AS user_id, u.name AS nama, svc.layanan, svc.unit
        FROM user_accounts u, svc
        WHERE u.tenant_id = $1 AND u.is_active AND 'REGION_ADMIN' = ANY(u.roles)""",
        event_vars=("complaint_id", "tracking_code", "batas"),
        recipient_vars=("layanan", "unit"),
    ),
)

BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
