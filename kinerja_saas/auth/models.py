from tortoise import fields
from tortoise.contrib.postgres.fields import ArrayField
from tortoise.models import Model

from tenants.models import TenantModel


class UserAccount(TenantModel):
    """A login of a region. Roles are strings of `kinerja_saas.auth.roles.Role`."""

    email = fields.CharField(max_length=254)
    name = fields.CharField(max_length=200)
    password_hash = fields.CharField(max_length=255, null=True)
    roles = ArrayField(element_type="text", default=list)
    employee_id = fields.BigIntField(null=True)
    is_active = fields.BooleanField(default=True)
    token_version = fields.IntField(default=1)
    last_login_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user_accounts"
        unique_together = (("tenant_id", "email"),)
        indexes = (("tenant_id", "employee_id"),)


class LoginSession(TenantModel):
    """One login of a region user (a device). Its refresh token carries the generation; each
    refresh moves it on, so an older token coming back means it was stolen: the session ends."""

    user_id = fields.BigIntField()
    generation = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "login_sessions"
        indexes = (("tenant_id", "user_id"),)


class OperatorSession(Model):
    """The same for platform operators (a platform table: operators belong to no region)."""

    id = fields.BigIntField(primary_key=True)
    operator_id = fields.BigIntField()
    generation = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "operator_sessions"
        indexes = (("operator_id",),)
