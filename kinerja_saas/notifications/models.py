"""Notifications: in-app rows, per-channel deliveries (e-mail, webhooks), preferences, a
region's text overrides and its webhook endpoints.

Exactly once per (event, recipient, channel) is a unique key in PostgreSQL, not a check in
Python: notifications (tenant_id, event_id, user_id), and deliveries (tenant_id, event_id,
channel, user_id) for e-mail and (tenant_id, event_id, channel, endpoint_id) for webhooks
(partial unique indexes, migration 0013). A re-run, a second worker or a worker killed half-way
inserts with ON CONFLICT DO NOTHING and adds nothing twice."""

from enum import StrEnum
from typing import Any

from tortoise import fields

from tenants.models import TenantModel


class Channel(StrEnum):
    IN_APP = "IN_APP"
    EMAIL = "EMAIL"
    WEBHOOK = "WEBHOOK"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its job (or its next attempt)
    DIGEST = "DIGEST"  # e-mail held for the recipient's daily digest
    SENDING = "SENDING"  # claimed by a job; a stale claim is recovered
    SENT = "SENT"
    FAILED = "FAILED"  # refused for good (e.g. a webhook answered 4xx): not retried
    DEAD = "DEAD"  # gave up after the last attempt (dead letter); can be redelivered


class Notification(TenantModel):
    """One in-app notification of one user, rendered in Bahasa Indonesia when written."""

    user_id = fields.BigIntField()
    event_id = fields.BigIntField()
    kind = fields.CharField(max_length=60)
    title = fields.CharField(max_length=300)
    body = fields.TextField()
    link = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        unique_together = (("tenant_id", "event_id", "user_id"),)


class Delivery(TenantModel):
    """One message of one event to one e-mail recipient or one webhook endpoint."""

    event_id = fields.BigIntField()
    kind = fields.CharField(max_length=60)
    channel = fields.CharEnumField(Channel, max_length=16)
    user_id = fields.BigIntField(null=True)  # e-mail
    endpoint_id = fields.BigIntField(null=True)  # webhook
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    # E-mail: {"subject", "body"} rendered for the recipient; webhook: the JSON body's data.
    payload = fields.JSONField[dict[str, Any]](default=dict)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    response_status = fields.SmallIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification_deliveries"
        indexes = (("tenant_id", "channel", "status"),)


class NotificationPreference(TenantModel):
    """A user's choice for one kind and channel; absent means the kind's default."""

    user_id = fields.BigIntField()
    kind = fields.CharField(max_length=60)
    channel = fields.CharEnumField(Channel, max_length=16)
    enabled = fields.BooleanField()

    class Meta:
        table = "notification_preferences"
        unique_together = (("tenant_id", "user_id", "kind", "channel"),)


class NotificationSettings(TenantModel):
    """Per-user settings across kinds: one daily digest e-mail instead of one per event."""

    user_id = fields.BigIntField()
    email_digest = fields.BooleanField(default=False)
    last_digest_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification_settings"
        unique_together = (("tenant_id", "user_id"),)


class NotificationTemplate(TenantModel):
    """A region's own text for a kind, over the built-in one."""

    kind = fields.CharField(max_length=60)
    title = fields.CharField(max_length=300)
    body = fields.TextField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_templates"
        unique_together = (("tenant_id", "kind"),)


class WebhookEndpoint(TenantModel):
    """A region integration or a training unit's system that receives signed POSTs."""

    name = fields.CharField(max_length=200)
    url = fields.CharField(max_length=1000)
    secret = fields.CharField(max_length=100)  # HMAC-SHA256 key, shown once when created
    kinds = fields.JSONField[list[Any]](default=list)  # notification kinds sent; empty: every kind
    training_unit_id = fields.BigIntField(null=True)  # set by the training domain
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhook_endpoints"
