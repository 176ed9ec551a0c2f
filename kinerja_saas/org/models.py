from enum import StrEnum
from typing import Any

from tortoise import fields

from kinerja_saas.db.fields import LenientCharEnumField
from tenants.models import TenantModel


class UnitKind(StrEnum):
    DINAS = "DINAS"
    BADAN = "BADAN"
    KANTOR = "KANTOR"
    SEKRETARIAT = "SEKRETARIAT"
    INSPEKTORAT = "INSPEKTORAT"
    KECAMATAN = "KECAMATAN"
    KELURAHAN = "KELURAHAN"
    BIDANG = "BIDANG"
    BAGIAN = "BAGIAN"
    SUBBIDANG = "SUBBIDANG"
    UPT = "UPT"
    PUSKESMAS = "PUSKESMAS"
    SEKOLAH = "SEKOLAH"


class PositionType(StrEnum):
    """Jenis jabatan."""

    STRUKTURAL = "STRUKTURAL"
    FUNGSIONAL = "FUNGSIONAL"
    PELAKSANA = "PELAKSANA"


class Unit(TenantModel):
    """An organisational unit. `path` is the materialised chain of ids, e.g. `/3/17/`, so
    "this unit and everything below it" is one indexed prefix match."""

    parent_id = fields.BigIntField(null=True)
    code = fields.CharField(max_length=50)
    name = fields.CharField(max_length=200)
    # Read leniently: an unknown stored kind reads as None (logged), not a failed request.
    kind: UnitKind | None = LenientCharEnumField(UnitKind, max_length=16)
    path = fields.CharField(max_length=1000, default="/")
    depth = fields.SmallIntField(default=0)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "org_units"
        unique_together = (("tenant_id", "code"),)
        indexes = (("tenant_id", "parent_id"), ("tenant_id", "path"))


class Employee(TenantModel):
    nip = fields.CharField(max_length=18)
    name = fields.CharField(max_length=200)
    position = fields.CharField(max_length=200)
    position_type: PositionType | None = LenientCharEnumField(
        PositionType, max_length=16, default=PositionType.PELAKSANA
    )
    golongan = fields.CharField(max_length=8, null=True)
    unit_id = fields.BigIntField()
    supervisor_id = fields.BigIntField(null=True)
    email = fields.CharField(max_length=254, null=True)
    phone = fields.CharField(max_length=32, null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "employees"
        unique_together = (("tenant_id", "nip"),)
        indexes = (
            ("tenant_id", "unit_id"),
            ("tenant_id", "supervisor_id"),
            ("tenant_id", "name", "id"),
        )


class ActingKind(StrEnum):
    """SE Kepala BKN 1/SE/I/2021: a Pelaksana Tugas (Plt.) stands in when the post is vacant
    or its holder is away for good; a Pelaksana Harian (Plh.) while the holder is away for a
    while. Both carry the holder's day-to-day authority, and sign as "Plt."/"Plh."."""

    PLT = "PLT"
    PLH = "PLH"


class ActingAppointment(TenantModel):
    """An acting head (Plt./Plh.) of a unit for a date range (both days included, in the
    region's time zone). Appointments of one unit never overlap (org/acting.py)."""

    unit_id = fields.BigIntField()
    employee_id = fields.BigIntField()
    kind = fields.CharEnumField(ActingKind, max_length=8)
    sk_number = fields.CharField(max_length=100, null=True)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    created_by = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "acting_appointments"
        indexes = (("tenant_id", "unit_id", "starts_on"), ("tenant_id", "employee_id", "ends_on"))


class PositionRecord(TenantModel):
    """One stretch of an employee's career in the region (riwayat jabatan): unit,
    supervisor and jabatan from a date to a date (null: still so). Written by transfers
    (mutasi); the first transfer also records where the employee was before it."""

    employee_id = fields.BigIntField()
    unit_id = fields.BigIntField()
    supervisor_id = fields.BigIntField(null=True)
    position = fields.CharField(max_length=200)
    starts_on = fields.DateField(null=True)  # null: before the region's records
    ends_on = fields.DateField(null=True)
    created_by = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "position_history"
        indexes = (("tenant_id", "employee_id", "starts_on"),)


class ImportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class ImportJob(TenantModel):
    """An upload of the region's roster; its rows wait in `import_files` until the job runs."""

    created_by = fields.BigIntField(null=True)
    filename = fields.CharField(max_length=255)
    dry_run = fields.BooleanField(default=False)
    deactivate_missing = fields.BooleanField(default=False)
    status = fields.CharEnumField(ImportStatus, max_length=16, default=ImportStatus.QUEUED)
    phase = fields.CharField(max_length=32, default="queued")
    total_rows = fields.IntField(default=0)
    rows_done = fields.IntField(default=0)
    error_count = fields.IntField(default=0)
    summary = fields.JSONField[dict[str, Any]](default=dict)
    # The optional columns the file had: an absent column leaves existing values alone.
    columns = fields.JSONField[list[Any]](default=list)
    # Which run owns the job; a run that lost it (a stale or duplicate delivery) stops.
    run_id = fields.CharField(max_length=36, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "import_jobs"
        indexes = (("tenant_id", "created_at"),)


class ImportProblem(TenantModel):
    """One problem found in an import, with the CSV line it is on (0: the file itself)."""

    job_id = fields.BigIntField()
    line_no = fields.IntField()
    field = fields.CharField(max_length=32, null=True)
    code = fields.CharField(max_length=40)
    message = fields.CharField(max_length=500)

    class Meta:
        table = "import_problems"
        indexes = (("tenant_id", "job_id", "line_no"),)
