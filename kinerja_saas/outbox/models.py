from typing import Any

from tortoise import fields

from tenants.models import TenantModel


class OutboxEvent(TenantModel):
    topic = fields.CharField(max_length=100)
    payload = fields.JSONField[dict[str, Any]](default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    relayed_at = fields.DatetimeField(null=True)
    relay_attempts = fields.IntField(default=0)

    class Meta:
        table = "outbox_events"
        indexes = (("tenant_id", "created_at"),)


class ProcessedEvent(TenantModel):
    """Marks an event as handled by one handler: the idempotency key of consumers."""

    event_id = fields.BigIntField()
    handler = fields.CharField(max_length=100)
    processed_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "processed_events"
        unique_together = (("tenant_id", "event_id", "handler"),)
