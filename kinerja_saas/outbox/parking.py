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
from tortoise import connections

from tenants.context import current_tenant_id

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
    await connections.get("default").execute_query_dict(
        "INSERT INTO parked_jobs (tenant_id, job_id, function, kwargs, event_id, status, error,"
        " failures) VALUES ($1, $2, $3, $4::jsonb, $5, 'DEAD', $6, $7)"
        " ON CONFLICT (tenant_id, job_id) DO UPDATE SET status = 'DEAD', error = EXCLUDED.error,"
        " failures = EXCLUDED.failures, kwargs = EXCLUDED.kwargs, parked_at = now()",
        [
            current_tenant_id(),
            job_id,
            function,
            _jsonable(kwargs),
            event_id if isinstance(event_id, int) and event_id > 0 else None,
            error[:ERROR_MAX_CHARS],
            failures,
        ],
    )


async def dead_job_ids(job_ids: list[str]) -> set[str]:
    """Which of the current region's `job_ids` are parked as dead (the outbox sweep leaves
    their events to the operator)."""
    if not job_ids:
        return set()
    rows = await connections.get("default").execute_query_dict(
        "SELECT job_id FROM parked_jobs WHERE tenant_id = $1 AND status = 'DEAD'"
        " AND job_id = ANY($2::text[])",
        [current_tenant_id(), job_ids],
    )
    return {r["job_id"] for r in rows}


# --- the operator's side: as the owner (DATABASE_URL), across regions ---------------------

_SELECT = (
    "SELECT p.id, p.tenant_id, t.slug AS region, p.job_id, p.function, p.kwargs, p.event_id,"
    " p.status, p.error, p.failures, p.parked_at, p.retries"
    " FROM parked_jobs p JOIN tenants t ON t.id = p.tenant_id"
)


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
    rows = await conn.fetch(
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
    return [_row(r) for r in rows]


async def mark_retried(conn: asyncpg.Connection, ids: list[int]) -> set[int]:
    """Only rows still DEAD. Call it in a transaction and enqueue what it returns before
    committing (as the relay does): a failed enqueue leaves the jobs dead, and two operators
    retrying at once enqueue each job once (the second waits on the row locks)."""
    rows = await conn.fetch(
        "UPDATE parked_jobs SET status = 'RETRIED', retried_at = now(), retries = retries + 1"
        " WHERE id = ANY($1::bigint[]) AND status = 'DEAD' RETURNING id",
        ids,
    )
    return {r["id"] for r in rows}


async def counts(conn: asyncpg.Connection) -> tuple[int, int]:
    """(dead jobs, relayed events not done) across regions: `job_health()`, callable by the
    app and relay roles."""
    row = await conn.fetchrow("SELECT dead_jobs, events_not_done FROM job_health()")
    return row["dead_jobs"], row["events_not_done"]
