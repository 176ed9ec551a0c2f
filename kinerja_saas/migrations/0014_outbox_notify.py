"""A committed outbox event wakes the relay at once: a statement-level trigger NOTIFYs
`kinerja_outbox` (delivered on commit, collapsed within a transaction, never on rollback),
so the relay's poll interval is only a fallback."""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORWARD = """
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kinerja_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
"""

REVERSE = """
DROP TRIGGER outbox_events_notify ON outbox_events;
DROP FUNCTION outbox_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0013_notifications_isolation")]

    operations = [ops.RunSQL(FORWARD, reverse_sql=REVERSE)]
