"""The notifications domain's SQL: the fan-out of an event to its recipients (one statement
per chunk), webhook and e-mail deliveries (claims, outcomes, recovery), digests, the inbox's
upserts and the reminders. Services and jobs in this package call these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kinerja_saas.db import Row, Sql, db
from kinerja_saas.notifications.events import APPROVAL_REMINDER
from kinerja_saas.outbox.queries import insert_events_sql
from kinerja_saas.outbox.topics import sql_literal
from tenants.context import current_tenant_id

# --- fan-out -------------------------------------------------------------------------------------


def fan_out_sql(recipients: str, *, title: str, body: str, link: str) -> str:
    """One chunk of a fan-out: the next recipients ($3 after, $4 batch) of the kind's
    recipient query, their preferences ($5 kind, $6/$7 defaults), their in-app
    notifications and e-mails ($8 event) with the texts rendered by the database."""
    return f"""
WITH r AS MATERIALIZED (
    SELECT * FROM ({recipients}) r0 WHERE r0.user_id > $3 ORDER BY r0.user_id LIMIT $4
), p AS (
    SELECT r.*, coalesce(pi.enabled, $6) AS in_app, coalesce(pe.enabled, $7) AS email
    FROM r
    LEFT JOIN notification_preferences pi ON pi.tenant_id = $1 AND pi.user_id = r.user_id
        AND pi.kind = $5 AND pi.channel = 'IN_APP'
    LEFT JOIN notification_preferences pe ON pe.tenant_id = $1 AND pe.user_id = r.user_id
        AND pe.kind = $5 AND pe.channel = 'EMAIL'
), ins AS (
    INSERT INTO notifications (tenant_id, user_id, event_id, kind, title, body, link, created_at)
    SELECT $1, r.user_id, $8, $5, left({title}, 300), {body}, {link}, now()
    FROM p r WHERE r.in_app
    ON CONFLICT (tenant_id, event_id, user_id) DO NOTHING
    RETURNING id, user_id
), mail AS (
    INSERT INTO notification_deliveries (tenant_id, event_id, kind, channel, user_id, status,
        payload, attempts, created_at, updated_at)
    SELECT $1, $8, $5, 'EMAIL', r.user_id,
        CASE WHEN s.email_digest THEN 'DIGEST' ELSE 'PENDING' END,
        jsonb_build_object('subject', {title}, 'body', {body}, 'link', {link}),
        0, now(), now()
    FROM p r LEFT JOIN notification_settings s ON s.tenant_id = $1 AND s.user_id = r.user_id
    WHERE r.email
    ON CONFLICT (tenant_id, event_id, user_id) WHERE channel = 'EMAIL' DO NOTHING
    RETURNING status
)
SELECT (SELECT count(*) FROM r) AS recipients, (SELECT max(user_id) FROM r) AS last_user_id,
    (SELECT coalesce(jsonb_agg(jsonb_build_array(id, user_id) ORDER BY user_id), '[]')
     FROM ins) AS notified,
    (SELECT count(*) FROM mail WHERE status = 'PENDING') AS emails,
    $2::jsonb IS NOT NULL AS typed  -- types $2 for kinds whose recipients ignore the payload
"""


async def fan_out(sql: Sql, *, recipients: str, title: str, body: str, link: str) -> Row:
    """Runs one chunk (`sql` holds $1..$8 and the texts' own parameters)."""
    rows = await db().execute_query_dict(
        fan_out_sql(recipients, title=title, body=body, link=link), sql.params
    )
    return rows[0]


async def queue_webhook_deliveries(*, event_id: int, kind: str, body: str) -> list[int]:
    """One delivery per active endpoint that takes the kind (see fanout.queue_webhooks);
    returns the ids of the event's webhook deliveries never attempted yet."""
    await db().execute_query(
        """
INSERT INTO notification_deliveries (tenant_id, event_id, kind, channel, endpoint_id, status,
    payload, attempts, created_at, updated_at)
SELECT $1, $2, $3::text, 'WEBHOOK', w.id, 'PENDING', $4::jsonb, 0, now(), now()
FROM webhook_endpoints w
WHERE w.tenant_id = $1 AND w.is_active AND (w.kinds = '[]'::jsonb OR w.kinds ? $3::text)
    AND (w.training_unit_id IS NULL
        OR w.training_unit_id = ($4::jsonb->'data'->>'training_unit_id')::bigint)
ON CONFLICT (tenant_id, event_id, endpoint_id) WHERE channel = 'WEBHOOK' DO NOTHING
""",
        [current_tenant_id(), event_id, kind, body],
    )
    waiting = await db().execute_query_dict(
        "SELECT id FROM notification_deliveries WHERE tenant_id = $1 AND event_id = $2"
        " AND channel = 'WEBHOOK' AND status = 'PENDING' AND attempts = 0 ORDER BY id",
        [current_tenant_id(), event_id],
    )
    return [r["id"] for r in waiting]


_DIGEST_CLAIM = """
WITH due AS (
    SELECT s.id, s.user_id, s.last_digest_at AS previous
    FROM notification_settings s
    WHERE s.tenant_id = $1 AND (s.last_digest_at IS NULL OR s.last_digest_at < $2)
        AND EXISTS (SELECT 1 FROM notification_deliveries d
            WHERE d.tenant_id = $1 AND d.channel = 'EMAIL' AND d.status = 'DIGEST'
                AND d.user_id = s.user_id AND d.created_at < $2)
    ORDER BY s.user_id LIMIT $3
    FOR UPDATE OF s SKIP LOCKED
), claimed AS (
    -- never before the cutoff, even when the caller's clock runs ahead of the database's
    UPDATE notification_settings s SET last_digest_at = greatest(now(), $2)
    FROM due WHERE s.tenant_id = $1 AND s.id = due.id
    RETURNING s.user_id, s.last_digest_at AS claimed_at, due.previous
)
SELECT c.user_id, c.claimed_at, c.previous, u.email, u.name, u.is_active,
    u.password_hash IS NULL AS no_password, u.token_version,
    (SELECT jsonb_agg(jsonb_build_object('id', d.id, 'kind', d.kind, 'payload', d.payload)
        ORDER BY d.id)
     FROM notification_deliveries d
     WHERE d.tenant_id = $1 AND d.channel = 'EMAIL' AND d.status = 'DIGEST'
        AND d.user_id = c.user_id AND d.created_at < $2) AS items
FROM claimed c JOIN user_accounts u ON u.tenant_id = $1 AND u.id = c.user_id
ORDER BY c.user_id
"""


_DIGEST_RECORD = """
WITH o AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[])
        AS o(id, outcome, error, code)
), d AS (
    UPDATE notification_deliveries d SET
        attempts = d.attempts + 1,
        status = CASE o.outcome WHEN 'SENT' THEN 'SENT' WHEN 'FAILED' THEN 'FAILED'
            ELSE CASE WHEN d.attempts + 1 >= $6 THEN 'DEAD' ELSE 'DIGEST' END END,
        sent_at = CASE WHEN o.outcome = 'SENT' THEN now() END,
        last_error = o.error,
        response_status = o.code,
        updated_at = now()
    FROM o WHERE d.tenant_id = $1 AND d.id = o.id AND d.status = 'DIGEST'
    RETURNING d.status, d.attempts
), s AS (
    -- a transient failure hands the user's claim back, unless someone claimed it since
    UPDATE notification_settings s SET last_digest_at = r.previous
    FROM unnest($7::bigint[], $8::timestamptz[], $9::timestamptz[]) AS r(user_id, previous, claimed)
    WHERE s.tenant_id = $1 AND s.user_id = r.user_id AND s.last_digest_at = r.claimed
)
SELECT status, count(*) AS n, min(attempts) AS attempts FROM d GROUP BY status
"""


async def claim_digests(*, tenant_id: int, cutoff: datetime, batch: int) -> list[Row]:
    """Claims the region's users due a digest ($1 tenant, $2 cutoff, $3 batch), with
    their items."""
    return await db().execute_query_dict(_DIGEST_CLAIM, [tenant_id, cutoff, batch])


async def record_digest_outcomes(
    *,
    tenant_id: int,
    ids: list[int],
    outcomes: list[str],
    errors: list[str | None],
    codes: list[int | None],
    max_attempts: int,
    handed_back_users: list[int],
    previous: list[datetime | None],
    claimed_at: list[datetime],
) -> list[Row]:
    """Records the outcomes of digest items and hands back the claims of users whose
    digest must be retried."""
    return await db().execute_query_dict(
        _DIGEST_RECORD,
        [
            tenant_id,
            ids,
            outcomes,
            errors,
            codes,
            max_attempts,
            handed_back_users,
            previous,
            claimed_at,
        ],
    )


# --- e-mail deliveries ---------------------------------------------------------------------------


def _claim_sql(
    event_id: int | None, after_user_id: int, upto_user_id: int | None
) -> tuple[str, list[Any]]:
    """The statement and its parameters after $1 tenant, $2 limit. Fixed shapes (not
    `$n IS NULL OR …`), so each keeps its good plan: an event's chunk by the unique key
    (tenant, event, user), a whole region by the due index."""
    where, params = "", []
    if event_id is not None:
        where, params = "AND event_id = $3 AND user_id > $4", [event_id, after_user_id]
        if upto_user_id is not None:
            where, params = where + " AND user_id <= $5", [*params, upto_user_id]
    sql = f"""
WITH c AS (
    UPDATE notification_deliveries d
    SET status = 'SENDING', attempts = d.attempts + 1, updated_at = now()
    WHERE d.tenant_id = $1 AND d.id IN (
        SELECT id FROM notification_deliveries
        WHERE tenant_id = $1 AND channel = 'EMAIL' AND status = 'PENDING'
            AND (next_attempt_at IS NULL OR next_attempt_at <= now()) {where}
        ORDER BY id LIMIT $2
        FOR UPDATE SKIP LOCKED)
    RETURNING d.id, d.user_id, d.kind, d.payload, d.attempts
)
SELECT c.id, c.user_id, c.kind, c.payload, c.attempts, u.email, u.name, u.is_active,
    u.password_hash IS NULL AS no_password, u.token_version,
    (SELECT t.name FROM tenants t WHERE t.id = $1) AS region
FROM c JOIN user_accounts u ON u.tenant_id = $1 AND u.id = c.user_id
ORDER BY c.id
"""
    return sql, params


async def claim_due_emails(
    *,
    tenant_id: int,
    limit: int,
    event_id: int | None,
    after_user_id: int,
    upto_user_id: int | None,
) -> list[Row]:
    """Claims up to `limit` due e-mail deliveries: one event's chunk of recipients (user
    ids in (after_user_id, upto_user_id]) or every due e-mail of the region."""
    sql, params = _claim_sql(event_id, after_user_id, upto_user_id)
    return await db().execute_query_dict(sql, [tenant_id, limit, *params])


_EMAIL_RECORD = """
WITH o AS (
    SELECT * FROM unnest($2::bigint[], $3::smallint[], $4::text[], $5::text[], $6::int[])
        AS o(id, attempts, outcome, error, code)
), u AS (
    UPDATE notification_deliveries d SET
        status = CASE o.outcome WHEN 'SENT' THEN 'SENT' WHEN 'FAILED' THEN 'FAILED'
            ELSE CASE WHEN d.attempts >= $7 THEN 'DEAD' ELSE 'PENDING' END END,
        sent_at = CASE WHEN o.outcome = 'SENT' THEN now() END,
        last_error = o.error,
        response_status = o.code,
        next_attempt_at = CASE WHEN o.outcome = 'RETRY' AND d.attempts < $7
            THEN now() + least($8 * power(4, d.attempts - 1), $9) * interval '1 second' END,
        updated_at = now()
    FROM o
    -- `attempts` fences the claim: if it went stale and was claimed again meanwhile, the
    -- newer claim's outcome wins and this one is dropped.
    WHERE d.tenant_id = $1 AND d.id = o.id AND d.status = 'SENDING' AND d.attempts = o.attempts
    RETURNING d.status, d.attempts, d.next_attempt_at
)
SELECT status, count(*) AS n, min(attempts) AS attempts,
    extract(epoch FROM min(next_attempt_at) - now())::float8 AS retry_in
FROM u GROUP BY status
"""


_EMAIL_RECOVER = """
WITH j AS (
    SELECT * FROM unnest($2::bigint[], $3::smallint[], $4::text[]) AS j(id, attempts, state)
)
UPDATE notification_deliveries d SET
    status = CASE j.state WHEN 'sent' THEN 'SENT' WHEN 'sending' THEN 'DEAD' ELSE 'PENDING' END,
    sent_at = CASE WHEN j.state = 'sent' THEN now() END,
    last_error = CASE WHEN j.state = 'sending' THEN $5 END,
    next_attempt_at = NULL,
    updated_at = now()
FROM j
WHERE d.tenant_id = $1 AND d.id = j.id AND d.status = 'SENDING' AND d.attempts = j.attempts
RETURNING d.status
"""


async def record_email_outcomes(
    *,
    tenant_id: int,
    ids: list[int],
    attempts: list[int],
    outcomes: list[str],
    errors: list[str | None],
    codes: list[int | None],
    max_attempts: int,
    retry_base_seconds: float,
    retry_max_seconds: float,
) -> list[Row]:
    """One statement for a batch of e-mail outcomes (see _EMAIL_RECORD for the parameters)."""
    return await db().execute_query_dict(
        _EMAIL_RECORD,
        [
            tenant_id,
            ids,
            attempts,
            outcomes,
            errors,
            codes,
            max_attempts,
            retry_base_seconds,
            retry_max_seconds,
        ],
    )


async def recover_email_claims(
    *, tenant_id: int, ids: list[int], attempts: list[int], states: list[str], uncertain: Any
) -> list[Row]:
    """Settles a dead run's claimed e-mails from its journal; only rows still SENDING under
    that claim change."""
    return await db().execute_query_dict(
        _EMAIL_RECOVER, [tenant_id, ids, attempts, states, uncertain]
    )


async def release_stale_email_claims(
    *, tenant_id: int, max_attempts: int, timeout_minutes: int
) -> list[Row]:
    """SENDING claims older than the timeout ($3 minutes) go back to PENDING (DEAD after the
    last attempt, $2)."""
    return await db().execute_query_dict(
        """
UPDATE notification_deliveries SET
    status = CASE WHEN attempts >= $2 THEN 'DEAD' ELSE 'PENDING' END,
    next_attempt_at = NULL,
    last_error = 'claim expired: the sending worker stopped before recording the outcome',
    updated_at = now()
WHERE tenant_id = $1 AND channel = 'EMAIL' AND status = 'SENDING'
    AND updated_at < now() - $3 * interval '1 minute'
RETURNING id
""",
        [tenant_id, max_attempts, timeout_minutes],
    )


_LOG_SQL = """
SELECT d.id, d.event_id, d.kind, d.status, d.attempts, d.next_attempt_at, d.last_error,
    d.response_status, d.sent_at, d.created_at, d.updated_at, d.payload,
    w.id AS w_id, w.name AS w_name, w.url AS w_url, w.kinds AS w_kinds,
    w.is_active AS w_is_active, w.training_unit_id AS w_training_unit_id,
    w.created_at AS w_created_at, w.updated_at AS w_updated_at,
    (SELECT slug FROM tenants WHERE id = $1) AS region
FROM notification_deliveries d
JOIN webhook_endpoints w ON w.tenant_id = d.tenant_id AND w.id = d.endpoint_id
WHERE d.tenant_id = $1 AND d.channel = 'WEBHOOK'
    AND ($2::bigint IS NULL OR d.endpoint_id = $2)
    AND ($3::text IS NULL OR d.status = $3)
    AND ($4::text IS NULL OR d.kind = $4)
    AND ($5::bigint IS NULL OR d.id < $5)
    AND ($6::bigint IS NULL OR d.id = $6)
ORDER BY d.id DESC
LIMIT $7
"""


async def webhook_delivery_log(
    *,
    endpoint_id: int | None,
    status: str | None,
    kind: str | None,
    before_id: int | None,
    delivery_id: int | None,
    limit: int,
) -> list[Row]:
    """Webhook deliveries with their endpoints, newest first, filtered by whichever of
    endpoint, status, kind, before id and delivery id is given (None: any)."""
    return await db().execute_query_dict(
        _LOG_SQL, [current_tenant_id(), endpoint_id, status, kind, before_id, delivery_id, limit]
    )


async def lock_webhook_delivery(*, delivery_id: int | None) -> list[Row]:
    """The delivery's status and attempts and whether its endpoint is active, locked."""
    return await db().execute_query_dict(
        """
SELECT d.status, d.attempts, w.is_active FROM notification_deliveries d
JOIN webhook_endpoints w ON w.tenant_id = d.tenant_id AND w.id = d.endpoint_id
WHERE d.tenant_id = $1 AND d.id = $2 AND d.channel = 'WEBHOOK'
FOR UPDATE OF d
""",
        [current_tenant_id(), delivery_id],
    )


async def mark_webhook_delivery_pending(*, delivery_id: int | None) -> tuple[int, Any]:
    """Back to PENDING for a new round, due now."""
    return await db().execute_query(
        "UPDATE notification_deliveries SET status = 'PENDING', next_attempt_at = now(),"
        " updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [current_tenant_id(), delivery_id],
    )


async def claim_webhook_delivery(
    *, delivery_id: int, attempt: int, stale_after_seconds: float
) -> list[Row]:
    """Claims the delivery for an attempt (see webhooks.claim_delivery), reading the row as
    it was."""
    return await db().execute_query_dict(
        """
WITH claimed AS (
    UPDATE notification_deliveries d SET status = 'SENDING', attempts = $3, updated_at = now()
    FROM webhook_endpoints w
    WHERE d.tenant_id = $1 AND d.id = $2 AND d.channel = 'WEBHOOK'
        AND w.tenant_id = $1 AND w.id = d.endpoint_id AND w.is_active
        AND ((d.status = 'PENDING' AND d.attempts = $3 - 1)
            OR (d.status = 'SENDING' AND d.attempts = $3
                AND d.updated_at < now() - make_interval(secs => $4::float8)))
    RETURNING d.id, d.kind, d.payload, d.created_at, w.url, w.secret
)
SELECT c.id, c.kind, c.payload, c.created_at, c.url, c.secret,
    (SELECT slug FROM tenants WHERE id = $1) AS region,
    s.status, s.attempts, s.next_attempt_at, s.is_active
FROM (SELECT 1) one
LEFT JOIN claimed c ON true
LEFT JOIN (
    SELECT d.status, d.attempts, d.next_attempt_at, w.is_active
    FROM notification_deliveries d
    JOIN webhook_endpoints w ON w.tenant_id = d.tenant_id AND w.id = d.endpoint_id
    WHERE d.tenant_id = $1 AND d.id = $2 AND d.channel = 'WEBHOOK'
) s ON true
""",
        [current_tenant_id(), delivery_id, attempt, stale_after_seconds],
    )


async def fail_webhook_delivery_of_inactive_endpoint(
    *, delivery_id: int, attempt: int
) -> tuple[int, Any]:
    """An attempt of a delivery whose endpoint is inactive fails, counting the attempt."""
    return await db().execute_query(
        "UPDATE notification_deliveries SET status = 'FAILED', attempts = $3,"
        " last_error = 'Tidak dikirim: endpoint tidak aktif.', response_status = NULL,"
        " next_attempt_at = NULL, updated_at = now()"
        " WHERE tenant_id = $1 AND id = $2 AND status = 'PENDING' AND attempts = $3 - 1",
        [current_tenant_id(), delivery_id, attempt],
    )


async def record_webhook_outcome(
    *,
    delivery_id: int,
    attempt: int,
    status: str,
    response_status: int | None,
    error: str | None,
    retry_in: float | None,
) -> list[Row]:
    """Stores an attempt's outcome if the claim still holds; returns next_attempt_at."""
    return await db().execute_query_dict(
        """
UPDATE notification_deliveries SET status = $4::text, response_status = $5, last_error = $6,
    sent_at = CASE WHEN $4::text = 'SENT' THEN now() ELSE sent_at END,
    next_attempt_at = CASE WHEN $7::float8 IS NULL THEN NULL
        ELSE now() + make_interval(secs => $7::float8) END,
    updated_at = now()
WHERE tenant_id = $1 AND id = $2 AND status = 'SENDING' AND attempts = $3
RETURNING next_attempt_at
""",
        [current_tenant_id(), delivery_id, attempt, status, response_status, error, retry_in],
    )


async def stranded_webhook_deliveries(
    *, pending_after_seconds: float, stale_claim_seconds: float, limit: int
) -> list[Row]:
    """Overdue PENDING deliveries and SENDING ones whose claim is stale."""
    return await db().execute_query_dict(
        """
SELECT id, status, attempts FROM notification_deliveries
WHERE tenant_id = $1 AND channel = 'WEBHOOK' AND (
    (status = 'PENDING'
        AND coalesce(next_attempt_at, created_at) < now() - make_interval(secs => $2::float8))
    OR (status = 'SENDING' AND updated_at < now() - make_interval(secs => $3::float8)))
ORDER BY id
LIMIT $4
""",
        [current_tenant_id(), pending_after_seconds, stale_claim_seconds, limit],
    )


async def upsert_preferences(
    *, user_id: int, kinds: list[str], channels: list[str], enabled: list[bool]
) -> tuple[int, Any]:
    """Sets the user's channel choices per kind ($3 kinds, $4 channels, $5 enabled)."""
    return await db().execute_query(
        """
INSERT INTO notification_preferences (tenant_id, user_id, kind, channel, enabled)
SELECT $1, $2, c.kind, c.channel, c.enabled
FROM unnest($3::text[], $4::text[], $5::boolean[]) AS c(kind, channel, enabled)
ON CONFLICT (tenant_id, user_id, kind, channel) DO UPDATE SET enabled = EXCLUDED.enabled
""",
        [current_tenant_id(), user_id, kinds, channels, enabled],
    )


async def upsert_email_digest(*, user_id: int, email_digest: bool) -> tuple[int, Any]:
    """Sets whether the user's e-mails come as a daily digest."""
    return await db().execute_query(
        """
INSERT INTO notification_settings (tenant_id, user_id, email_digest) VALUES ($1, $2, $3)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET email_digest = EXCLUDED.email_digest
""",
        [current_tenant_id(), user_id, email_digest],
    )


async def upsert_region_text(*, kind: str, title: str, body: str) -> tuple[int, Any]:
    """The region's own title and body of a kind."""
    return await db().execute_query(
        """
INSERT INTO notification_templates (tenant_id, kind, title, body, updated_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (tenant_id, kind) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body,
    updated_at = now()
""",
        [current_tenant_id(), kind, title, body],
    )


# --- reminders -----------------------------------------------------------------------------------

# Writes the day's approval reminder when some plan waits for approval since before $4 and
# none was written for the region's day $2 yet; $3 the region's days.
_REMIND_SQL = insert_events_sql(
    APPROVAL_REMINDER,
    payload_sql="jsonb_build_object('day', $2::text, 'days', $3::int, 'before', $4::timestamptz)",
    tail_sql=f"""
WHERE EXISTS (
    SELECT 1 FROM plans p
    WHERE p.tenant_id = $1 AND p.status = 'SUBMITTED' AND p.submitted_at < $4::timestamptz
) AND NOT EXISTS (
    SELECT 1 FROM outbox_events o
    WHERE o.tenant_id = $1 AND o.topic = {sql_literal(APPROVAL_REMINDER)}
        AND o.payload->>'day' = $2::text
)""",
    returning="id",
)


async def insert_approval_reminder(*, day: str, days: int, before: datetime) -> bool:
    """True when the reminder was written (one statement)."""
    rows = await db().execute_query_dict(_REMIND_SQL, [current_tenant_id(), day, days, before])
    return bool(rows)
