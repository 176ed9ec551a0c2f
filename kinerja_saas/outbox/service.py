"""Writing events with the change that causes them, and claiming them for the relay."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from tortoise import connections

from kinerja_saas.outbox.models import OutboxEvent, ProcessedEvent
from kinerja_saas.outbox.topics import Topic, sql_literal
from tenants.context import current_tenant_id


@dataclass(frozen=True)
class ClaimedEvent:
    id: int
    tenant_id: int
    topic: str
    payload: dict[str, Any]


async def emit(topic: Topic[Any], payload: Mapping[str, object]) -> OutboxEvent:
    """Writes one event of a declared topic (`<domain>/events.py`). Must run inside the
    tenant transaction of the change: commits or rolls back with it. The payload should be
    the topic's declared type (`topic.payload`); tests/test_event_catalogue.py checks what
    the services write. (Typed as a mapping: mypy cannot infer a TypedDict from a dict
    literal and a generic topic together.)"""
    _declared(topic)
    return await OutboxEvent.create(
        tenant_id=current_tenant_id(), topic=topic.name, payload=payload
    )


async def emit_many(topic: Topic[Any], payloads: Sequence[Mapping[str, object]]) -> int:
    """Writes one event of `topic` per payload in one statement (e.g. a roster import's
    activation e-mails, an aggregation's band drops), in the current tenant transaction,
    in the order given. Returns how many."""
    _declared(topic)
    if not payloads:
        return 0
    rows = await connections.get("default").execute_query_dict(
        insert_events_sql(
            topic,
            payload_sql="p.payload",
            tail_sql="FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS p(payload, n)"
            " ORDER BY p.n",
            returning="id",
        ),
        [orjson.dumps(list(payloads)).decode()],
    )
    return len(rows)


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
        topic_sql = sql_literal(_declared(topic))
    return (
        "INSERT INTO outbox_events (tenant_id, topic, payload, created_at, relay_attempts)"
        " SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint,"
        f" {topic_sql}, {payload_sql}, now(), 0"
        + (f" {tail_sql}" if tail_sql else "")
        + (f" RETURNING {returning}" if returning else "")
    )


def _declared(topic: Topic[Any]) -> Topic[Any]:
    if not isinstance(topic, Topic):
        raise TypeError(f"not a declared topic (see kinerja_saas/<domain>/events.py): {topic!r}")
    return topic


async def claim_batch(conn: asyncpg.Connection, limit: int) -> list[ClaimedEvent]:
    """Claims unrelayed events of every region on the relay's own connection (its role may
    call the claim function and nothing else). Call it inside a transaction, so that the
    claim is undone when handing the events to the queue fails."""
    rows = await conn.fetch("SELECT id, tenant_id, topic, payload FROM outbox_claim($1)", limit)
    events = [
        ClaimedEvent(
            id=r["id"],
            tenant_id=r["tenant_id"],
            topic=r["topic"],
            payload=orjson.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"],
        )
        for r in rows
    ]
    return sorted(events, key=lambda e: e.id)


@dataclass(frozen=True)
class UnfinishedEvent:
    id: int
    tenant_id: int
    topic: str
    payload: dict[str, Any]
    done_jobs: tuple[str, ...]
    relayed_seconds_ago: float


async def relayed_not_done(
    *, older_than_seconds: float, limit: int = 2000
) -> list[UnfinishedEvent]:
    """The current region's relayed events whose jobs have not all succeeded (oldest
    first), in one statement over the small partial index of events not done: the
    candidates of the outbox sweep, which asks the queue whether their jobs live."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT id, tenant_id, topic, payload, done_jobs,"
        " extract(epoch FROM now() - relayed_at)::float8 AS age FROM outbox_events"
        " WHERE tenant_id = $1"
        " AND done_at IS NULL AND relayed_at IS NOT NULL"
        " AND relayed_at < now() - make_interval(secs => $2::float8)"
        " ORDER BY id LIMIT $3",
        [current_tenant_id(), older_than_seconds, limit],
    )
    return [
        UnfinishedEvent(
            id=r["id"],
            tenant_id=r["tenant_id"],
            topic=r["topic"],
            payload=orjson.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"],
            done_jobs=tuple(r["done_jobs"] or ()),
            relayed_seconds_ago=r["age"],
        )
        for r in rows
    ]


async def mark_job_done(event_id: int, job: str, expected: list[str]) -> bool:
    """Records that the event's job `job` succeeded, in the current tenant transaction; the
    event is done once every job in `expected` has. One statement: the row lock
    serialises two jobs of the event finishing at once, and the second sees the first's
    entry (READ COMMITTED re-evaluates the SET on the updated row). True when done now."""
    rows = await connections.get("default").execute_query_dict(
        "UPDATE outbox_events SET"
        " done_jobs = CASE WHEN $3 = ANY(done_jobs) THEN done_jobs"
        "   ELSE array_append(done_jobs, $3) END,"
        " done_at = COALESCE(done_at, CASE WHEN array_append(done_jobs, $3) @> $4::text[]"
        "   THEN now() END)"
        " WHERE tenant_id = $1 AND id = $2 RETURNING done_at",
        [current_tenant_id(), event_id, job, expected],
    )
    return bool(rows and rows[0]["done_at"] is not None)


async def mark_scope_done(topic: str, scope: dict[str, Any]) -> int:
    """A debounced job ran for `scope` (e.g. a campaign): the relayed events of `topic` with
    that scope are done. Their work itself is durable elsewhere (survey_pending_services),
    so an event that raced the run loses nothing by being counted with it."""
    rows = await connections.get("default").execute_query_dict(
        "UPDATE outbox_events SET done_at = now() WHERE tenant_id = $1 AND done_at IS NULL"
        " AND relayed_at IS NOT NULL AND topic = $2 AND payload @> $3::jsonb RETURNING id",
        [current_tenant_id(), topic, orjson.dumps(scope).decode()],
    )
    return len(rows)


async def backlog(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT outbox_backlog()")


async def mark_processed(event_id: int, handler: str) -> bool:
    """Records that `handler` handled `event_id` in the current tenant transaction.
    False when it was already recorded: the caller skips the work (at-least-once delivery)."""
    # execute_query_dict: Tortoise's execute_query drops the RETURNING rows of an INSERT.
    rows = await connections.get("default").execute_query_dict(
        "INSERT INTO processed_events (tenant_id, event_id, handler, processed_at)"
        " VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING RETURNING id",
        [current_tenant_id(), event_id, handler],
    )
    return bool(rows)


__all__ = [
    "ClaimedEvent",
    "ProcessedEvent",
    "backlog",
    "claim_batch",
    "emit",
    "emit_many",
    "insert_events_sql",
    "mark_job_done",
    "mark_processed",
    "mark_scope_done",
    "relayed_not_done",
]
