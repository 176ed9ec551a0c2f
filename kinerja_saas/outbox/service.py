"""Writing events with the change that causes them, and claiming them for the relay."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from kinerja_saas.outbox import queries
from kinerja_saas.outbox.models import OutboxEvent, ProcessedEvent
from kinerja_saas.outbox.topics import Topic
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
    queries.declared_topic(topic)
    return await OutboxEvent.create(
        tenant_id=current_tenant_id(), topic=topic.name, payload=payload
    )


async def emit_many(topic: Topic[Any], payloads: Sequence[Mapping[str, object]]) -> int:
    """Writes one event of `topic` per payload in one statement (e.g. a roster import's
    activation e-mails, an aggregation's band drops), in the current tenant transaction,
    in the order given. Returns how many."""
    queries.declared_topic(topic)
    if not payloads:
        return 0
    rows = await queries.insert_events_from_json(topic, orjson.dumps(list(payloads)).decode())
    return len(rows)


insert_events_sql = queries.insert_events_sql


async def claim_batch(conn: asyncpg.Connection, limit: int) -> list[ClaimedEvent]:
    """Claims unrelayed events of every region on the relay's own connection (its role may
    call the claim function and nothing else). Call it inside a transaction, so that the
    claim is undone when handing the events to the queue fails."""
    rows = await queries.claim_events(conn, limit)
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
    rows = await queries.relayed_events_not_done(older_than_seconds=older_than_seconds, limit=limit)
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
    return await queries.add_done_job(event_id=event_id, job=job, expected=expected)


async def mark_scope_done(topic: str, scope: dict[str, Any]) -> int:
    """A debounced job ran for `scope` (e.g. a campaign): the relayed events of `topic` with
    that scope are done. Their work itself is durable elsewhere (survey_pending_services),
    so an event that raced the run loses nothing by being counted with it."""
    return await queries.mark_topic_scope_done(topic=topic, scope_json=orjson.dumps(scope).decode())


async def backlog(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT outbox_backlog()")


async def mark_processed(event_id: int, handler: str) -> bool:
    """Records that `handler` handled `event_id` in the current tenant transaction.
    False when it was already recorded: the caller skips the work (at-least-once delivery)."""
    # execute_query_dict: Tortoise's execute_query drops the RETURNING rows of an INSERT.
    return await queries.insert_processed(event_id=event_id, handler=handler)


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
