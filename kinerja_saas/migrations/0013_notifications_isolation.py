"""Row-level security on the notification tables, their same-tenant keys, and the unique
keys that make every (event, recipient, channel) exactly once."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TABLES = (
    "notifications",
    "notification_deliveries",
    "notification_preferences",
    "notification_settings",
    "notification_templates",
    "webhook_endpoints",
)


def _fk(table: str, name: str, columns: str, target: str, action: str = "") -> str:
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_{name}_fk FOREIGN KEY (tenant_id, {columns})"
        f" REFERENCES {target} (tenant_id, id){action};"
    )


CONSTRAINTS = "\n".join(
    [
        *(
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_fk FOREIGN KEY (tenant_id)"
            f" REFERENCES tenants (id);\n"
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_id_id_key UNIQUE (tenant_id, id);"
            for t in TABLES
        ),
        _fk("notifications", "user", "user_id", "user_accounts", " ON DELETE CASCADE"),
        _fk("notification_deliveries", "user", "user_id", "user_accounts", " ON DELETE CASCADE"),
        _fk(
            "notification_deliveries",
            "endpoint",
            "endpoint_id",
            "webhook_endpoints",
            " ON DELETE CASCADE",
        ),
        _fk("notification_preferences", "user", "user_id", "user_accounts", " ON DELETE CASCADE"),
        _fk("notification_settings", "user", "user_id", "user_accounts", " ON DELETE CASCADE"),
        """
-- Exactly once per (event, recipient, channel): e-mail per user, webhook per endpoint.
CREATE UNIQUE INDEX notification_deliveries_email_key
    ON notification_deliveries (tenant_id, event_id, user_id) WHERE channel = 'EMAIL';
CREATE UNIQUE INDEX notification_deliveries_webhook_key
    ON notification_deliveries (tenant_id, event_id, endpoint_id) WHERE channel = 'WEBHOOK';
ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_recipient CHECK (
    (channel = 'EMAIL' AND user_id IS NOT NULL AND endpoint_id IS NULL)
    OR (channel = 'WEBHOOK' AND endpoint_id IS NOT NULL AND user_id IS NULL));
-- The work queues of the delivery jobs and the recovery of stale claims.
CREATE INDEX notification_deliveries_due
    ON notification_deliveries (tenant_id, channel, next_attempt_at)
    WHERE status IN ('PENDING', 'SENDING');
CREATE INDEX notification_deliveries_event ON notification_deliveries (tenant_id, event_id);
-- A user's list, newest first, and the unread count.
CREATE INDEX notifications_user_newest ON notifications (tenant_id, user_id, id DESC);
CREATE INDEX notifications_user_unread ON notifications (tenant_id, user_id)
    WHERE read_at IS NULL;
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_url CHECK (url ~ '^https?://');
""",
    ]
)

REVERSE = "\n".join(
    [
        "ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_url;",
        "DROP INDEX notifications_user_unread;",
        "DROP INDEX notifications_user_newest;",
        "DROP INDEX notification_deliveries_event;",
        "DROP INDEX notification_deliveries_due;",
        "ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_recipient;",
        "DROP INDEX notification_deliveries_webhook_key;",
        "DROP INDEX notification_deliveries_email_key;",
        *(f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_id_id_key CASCADE;" for t in TABLES),
        *(f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_fk;" for t in TABLES),
    ]
)


class Migration(migrations.Migration):
    dependencies = [("models", "0012_notifications")]

    operations = [
        ops.RunSQL(CONSTRAINTS, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
    ]
