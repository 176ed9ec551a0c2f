from typing import Any

from tortoise import fields

from tenants.models import TenantModel


class AuditEntry(TenantModel):
    actor_user_id = fields.BigIntField(null=True)
    actor = fields.CharField(max_length=254)
    action = fields.CharField(max_length=64)
    entity = fields.CharField(max_length=64)
    entity_id = fields.BigIntField(null=True)
    before = fields.JSONField[Any](null=True)
    after = fields.JSONField[Any](null=True)
    request_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_log"
        indexes = (("tenant_id", "entity", "entity_id"), ("tenant_id", "created_at"))
