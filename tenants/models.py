"""Platform tables: not tenant-owned, no row-level security."""

from enum import StrEnum
from typing import Any, cast

from tortoise import fields
from tortoise.fields.base import Field
from tortoise.models import Model

from tenants.plans import RegionPlan

SLUG_MAX_LENGTH = 63


def nullable_text(**kwargs: Any) -> Field[str | None]:
    """A TEXT column that may be NULL, typed so: Tortoise types every TextField `str`."""
    return cast("Field[str | None]", fields.TextField(null=True, **kwargs))


class RegionKind(StrEnum):
    KABUPATEN = "KABUPATEN"
    KOTA = "KOTA"
    PROVINSI = "PROVINSI"


class RegionTimezone(StrEnum):
    WIB = "Asia/Jakarta"
    WITA = "Asia/Makassar"
    WIT = "Asia/Jayapura"


class RegionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class Tenant(Model):
    """A region (kabupaten/kota/provinsi) on the platform."""

    id = fields.BigIntField(primary_key=True)
    slug = fields.CharField(max_length=SLUG_MAX_LENGTH, unique=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(RegionKind, max_length=16)
    province = fields.CharField(max_length=100)
    timezone = fields.CharEnumField(RegionTimezone, max_length=32, default=RegionTimezone.WIB)
    status = fields.CharEnumField(RegionStatus, max_length=16, default=RegionStatus.ACTIVE)
    settings = fields.JSONField[dict[str, Any]](default=dict)
    # Its share of the platform: request limits (tenants/plans.py).
    plan = fields.CharEnumField(
        RegionPlan, max_length=16, default=RegionPlan.STANDARD, db_default=RegionPlan.STANDARD
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tenants"

    @classmethod
    async def by_slug(cls, slug: str) -> "Tenant | None":
        """The region a client names by slug. A name longer than any slug is nobody's
        (Tortoise would refuse the lookup itself with a ValidationError)."""
        slug = slug.strip().lower()
        if len(slug) > SLUG_MAX_LENGTH:
            return None
        return await cls.get_or_none(slug=slug)


class PlatformOperator(Model):
    """Staff of the platform who onboard and look after regions."""

    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200)
    password_hash = fields.CharField(max_length=255, null=True)
    is_active = fields.BooleanField(default=True)
    token_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "platform_operators"


class TenantModel(Model):
    """Base of every tenant-owned table: `tenant_id` first, RLS on (see tenants/rls.py)."""

    id = fields.BigIntField(primary_key=True)
    tenant_id = fields.BigIntField()

    class Meta:
        abstract = True

    async def save_fields(self, *names: str) -> None:
        """UPDATE … WHERE tenant_id = … AND id = …: Tortoise's save() filters by id alone,
        which RLS makes safe but a distributed (Citus) table would fan out to every shard."""
        values = {name: getattr(self, name) for name in names}
        if "updated_at" in self._meta.fields_map:
            from datetime import UTC, datetime

            self.updated_at = values["updated_at"] = datetime.now(UTC)
        await type(self).filter(tenant_id=self.tenant_id, id=self.id).update(**values)
