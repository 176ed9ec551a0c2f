from enum import StrEnum

from tortoise import fields

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
    kind = fields.CharEnumField(UnitKind, max_length=16)
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
    position_type = fields.CharEnumField(
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
