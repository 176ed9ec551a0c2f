"""The outbox's SQL: the event rows a hot path writes in its own statement, the relay's
claim, and the bookkeeping of jobs done. Services and jobs call these."""

from __future__ import annotations

from typing import Any

import asyncpg

from kinerja_saas.db import Row, db
from kinerja_saas.outbox.topics import Topic, sql_literal
from tenants.context import current_tenant_id


def insert_events_sql(
    topic: Topic[Any] | None,
    *,
    payload_sql: str,
    tail_sql: str = "",
    topic_sql: str | None = None,
    returning: str | None = None,
) -> str:
    """The one set-based way to write events: an `INSERT … SELECT` of one event per row that
    `tail_sql` selects (what follows the SELECT list: `FROM … WHERE … ORDER BY …`, e.g.
    over a data-modifying CTE's RETURNING rows; a bare `WHERE …` for at most one row) in
    the current tenant, with `payload_sql` an expression over that row. A hot path writes its change and its events in one
    statement. `topic` is the event's declared topic; for rows of several topics pass
    `topic=None` and a `topic_sql` expression whose values the caller wrote with
    `topics.sql_literal` of declared topics."""
    if (topic is None) == (topic_sql is None):
        raise ValueError("give either a declared topic or a topic_sql expression")
    if topic is not None:
        topic_sql = sql_literal(declared_topic(topic))
    return (
        "INSERT INTO outbox_events (tenant_id, topic, payload, created_at, relay_attempts)"
        " SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint,"
        f" {topic_sql}, {payload_sql}, now(), 0"
        + (f" {tail_sql}" if tail_sql else "")
        + (f" RETURNING {returning}" if returning else "")
    )


def declared_topic(topic: Topic[Any]) -> Topic[Any]:
    if not isinstance(topic, Topic):
        raise TypeError(f"not a declared topic (see kinerja_saas/<domain>/events.py): {topic!r}")
    return topic


async def insert_events_from_json(topic: Topic[Any], payloads_json: str) -> list[Row]:
    """One event of `topic` per element of the JSON array `payloads_json`, in its order."""
    return await db().execute_query_dict(
        insert_events_sql(
            topic,
            payload_sql="p.payload",
            tail_sql="FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS p(payload, n)"
            " ORDER BY p.n",
            returning="id",
        ),
        [payloads_json],
    )


async def claim_events(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Claims unrelayed events of every region on the relay's own connection (the definer
    function outbox_claim)."""
    return await conn.fetch("SELECT id, tenant_id, topic, payload FROM outbox_claim($1)", limit)


async def relayed_events_not_done(*, older_than_seconds: float, limit: int) -> list[Row]:
    """The region's relayed events not done, relayed more than `older_than_seconds` ago,
    oldest first; `age` is the seconds since they were relayed."""
    return await db().execute_query_dict(
        "SELECT id, tenant_id, topic, payload, done_jobs,"
        " extract(epoch FROM now() - relayed_at)::float8 AS age FROM outbox_events"
        " WHERE tenant_id = $1"
        " AND done_at IS NULL AND relayed_at IS NOT NULL"
        " AND relayed_at < now() - make_interval(secs => $2::float8)"
        " ORDER BY id LIMIT $3",
        [current_tenant_id(), older_than_seconds, limit],
    )


async def add_done_job(*, event_id: int, job: str, expected: list[str]) -> bool:
    """Records the event's job as done; the event is done once every job in `expected` is.
    True when it is done now."""
    rows = await db().execute_query_dict(
        "UPDATE outbox_events SET"
        " done_jobs = CASE WHEN $3 = ANY(done_jobs) THEN done_jobs"
        "   ELSE array_append(done_jobs, $3) END,"
        " done_at = COALESCE(done_at, CASE WHEN array_append(done_jobs, $3) @> $4::text[]"
        "   THEN now() END)"
        " WHERE tenant_id = $1 AND id = $2 RETURNING done_at",
        [current_tenant_id(), event_id, job, expected],
    )
    return bool(rows and rows[0]["done_at"] is not None)


async def mark_topic_scope_done(*, topic: str, scope_json: str) -> int:
    """The relayed events of `topic` whose payload contains `scope_json` are done; returns
    how many."""
    rows = await db().execute_query_dict(
        "UPDATE outbox_events SET done_at = now() WHERE tenant_id = $1 AND done_at IS NULL"
        " AND relayed_at IS NOT NULL AND topic = $2 AND payload @> $3::jsonb RETURNING id",
        [current_tenant_id(), topic, scope_json],
    )
    return len(rows)


async def insert_processed(*, event_id: int, handler: str) -> bool:
    """Records that `handler` handled the event; False when it was already recorded."""
    rows = await db().execute_query_dict(
        "INSERT INTO processed_events (tenant_id, event_id, handler, processed_at)"
        " VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING RETURNING id",
        [current_tenant_id(), event_id, handler],
    )
    return bool(rows)


async def upsert_parked_job(
    *,
    job_id: str,
    function: str,
    kwargs_json: str,
    event_id: int | None,
    error: str,
    failures: int,
) -> None:
    """Parks a job as DEAD in the current region, or updates its row when parked again."""
    await db().execute_query_dict(
        "INSERT INTO parked_jobs (tenant_id, job_id, function, kwargs, event_id, status, error,"
        " failures) VALUES ($1, $2, $3, $4::jsonb, $5, 'DEAD', $6, $7)"
        " ON CONFLICT (tenant_id, job_id) DO UPDATE SET status = 'DEAD', error = EXCLUDED.error,"
        " failures = EXCLUDED.failures, kwargs = EXCLUDED.kwargs, parked_at = now()",
        [current_tenant_id(), job_id, function, kwargs_json, event_id, error, failures],
    )


async def dead_job_ids(job_ids: list[str]) -> set[str]:
    """Which of the job ids are parked as dead in the region."""
    rows = await db().execute_query_dict(
        "SELECT job_id FROM parked_jobs WHERE tenant_id = $1 AND status = 'DEAD'"
        " AND job_id = ANY($2::text[])",
        [current_tenant_id(), job_ids],
    )
    return {r["job_id"] for r in rows}


# --- the operator's side: as the owner (DATABASE_URL), across regions --------------------------

_SELECT = (
    "SELECT p.id, p.tenant_id, t.slug AS region, p.job_id, p.function, p.kwargs, p.event_id,"
    " p.status, p.error, p.failures, p.parked_at, p.retries"
    " FROM parked_jobs p JOIN tenants t ON t.id = p.tenant_id"
)


async def parked_rows(
    conn: asyncpg.Connection,
    *,
    region: str | None,
    function: str | None,
    include_retried: bool,
    ids: list[int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        _SELECT + " WHERE ($1::text IS NULL OR t.slug = $1)"
        " AND ($2::text IS NULL OR p.function = $2)"
        " AND ($3 OR p.status = 'DEAD')"
        " AND ($4::bigint[] IS NULL OR p.id = ANY($4::bigint[]))"
        " ORDER BY p.parked_at, p.id LIMIT $5",
        region,
        function,
        include_retried,
        ids,
        limit,
    )


async def mark_parked_retried(conn: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    """Only rows still DEAD become RETRIED; returns their ids."""
    return await conn.fetch(
        "UPDATE parked_jobs SET status = 'RETRIED', retried_at = now(), retries = retries + 1"
        " WHERE id = ANY($1::bigint[]) AND status = 'DEAD' RETURNING id",
        ids,
    )


async def job_health(conn: asyncpg.Connection) -> asyncpg.Record:
    """(dead jobs, relayed events not done) across regions (the definer function)."""
    return await conn.fetchrow("SELECT dead_jobs, events_not_done FROM job_health()")
