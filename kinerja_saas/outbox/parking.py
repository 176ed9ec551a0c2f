"""Dead jobs: a job that failed for a reason of its own (a bug, bad data) as many times as
`KINERJA_JOB_MAX_FAILURES` is parked here with its arguments and its last error, instead
of being retried for ever or dropped. An operator lists and retries them
(`kinerja jobs list|retry`); `/metrics` and `kinerja doctor` count them.

An outage (PostgreSQL, Redis unreachable) never parks a job: such a job retries with a
capped backoff until the dependency is back (workers/tenant_job.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from kinerja_saas.outbox import queries

DEAD = "DEAD"
RETRIED = "RETRIED"
ERROR_MAX_CHARS = 2000


@dataclass(frozen=True)
class ParkedJob:
    id: int
    tenant_id: int
    region: str
    job_id: str
    function: str
    kwargs: dict[str, Any]
    event_id: int | None
    status: str
    error: str
    failures: int
    parked_at: datetime
    retries: int


def _jsonable(kwargs: dict[str, Any]) -> str:
    # Job arguments are ids, strings and JSON payloads; anything else is kept as text
    # rather than refusing to park the job.
    return orjson.dumps(kwargs, default=str).decode()


async def park(
    *, job_id: str, function: str, kwargs: dict[str, Any], error: str, failures: int
) -> None:
    """In the current tenant transaction. Parking the same job again (it failed again after
    a retry) updates its row."""
    event_id = kwargs.get("event_id")
    await queries.upsert_parked_job(
        job_id=job_id,
        function=function,
        kwargs_json=_jsonable(kwargs),
        event_id=event_id if isinstance(event_id, int) and event_id > 0 else None,
        error=error[:ERROR_MAX_CHARS],
        failures=failures,
    )


async def dead_job_ids(job_ids: list[str]) -> set[str]:
    """Which of the current region's `job_ids` are parked as dead (the outbox sweep leaves
    their events to the operator)."""
    if not job_ids:
        return set()
    return await queries.dead_job_ids(job_ids)


# --- the operator's side: as the owner (DATABASE_URL), across regions ---------------------


def _row(r: asyncpg.Record) -> ParkedJob:
    kwargs = r["kwargs"]
    return ParkedJob(
        id=r["id"],
        tenant_id=r["tenant_id"],
        region=r["region"],
        job_id=r["job_id"],
        function=r["function"],
        kwargs=orjson.loads(kwargs) if isinstance(kwargs, str) else kwargs,
        event_id=r["event_id"],
        status=r["status"],
        error=r["error"],
        failures=r["failures"],
        parked_at=r["parked_at"],
        retries=r["retries"],
    )


async def list_parked(
    conn: asyncpg.Connection,
    *,
    region: str | None = None,
    function: str | None = None,
    include_retried: bool = False,
    ids: list[int] | None = None,
    limit: int = 200,
) -> list[ParkedJob]:
    rows = await queries.parked_rows(
        conn,
        region=region,
        function=function,
        include_retried=include_retried,
        ids=ids,
        limit=limit,
    )
    return [_row(r) for r in rows]


async def mark_retried(conn: asyncpg.Connection, ids: list[int]) -> set[int]:
    """Only rows still DEAD. Call it in a transaction and enqueue what it returns before
    committing (as the relay does): a failed enqueue leaves the jobs dead, and two operators
    retrying at once enqueue each job once (the second waits on the row locks)."""
    rows = await queries.mark_parked_retried(conn, ids)
    return {r["id"] for r in rows}


async def counts(conn: asyncpg.Connection) -> tuple[int, int]:
    """(dead jobs, relayed events not done) across regions: `job_health()`, callable by the
    app and relay roles."""
    row = await queries.job_health(conn)
    return row["dead_jobs"], row["events_not_done"]
