"""The deployment-wide values of /metrics, read when it is scraped (kinerja_saas/metrics.py
declares every metric): the database pool, the outbox backlog and parked jobs (PostgreSQL, as
the relay role), the queue and the worker heartbeat (Redis). Here, in the runtime, because it
reads the outbox and the workers' queue together."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from tortoise import Tortoise, connections

from kinerja_saas import metrics
from kinerja_saas.database import relay_connection_params
from kinerja_saas.logs import get_logger
from kinerja_saas.outbox.parking import counts
from kinerja_saas.outbox.service import backlog
from workers.metrics import heartbeat_alive, queue_stats

log = get_logger("kinerja.metrics")


def read_db_pool() -> None:
    """The Tortoise app connection's asyncpg pool (absent before the first connection)."""
    if not Tortoise._inited:
        return
    pool = getattr(connections.get("default"), "_pool", None)
    if pool is None:
        return
    size = pool.get_size()
    metrics.DB_POOL_SIZE.set(size)
    metrics.DB_POOL_IN_USE.set(size - pool.get_idle_size())
    metrics.DB_POOL_MAX.set(pool.get_max_size())


async def read_outbox_backlog(settings: Any) -> None:
    """As the relay role: only it may call outbox_backlog() (it sees every region)."""
    conn = await asyncpg.connect(**relay_connection_params(settings), timeout=3)
    try:
        metrics.OUTBOX_BACKLOG.set(await backlog(conn))
        dead, not_done = await counts(conn)
        metrics.JOBS_DEAD.set(dead)
        metrics.OUTBOX_NOT_DONE.set(not_done)
    finally:
        await conn.close()


async def read_queue(redis: Any) -> None:
    depth, ready, by_function = await queue_stats(redis)
    metrics.QUEUE_DEPTH.set(depth)
    metrics.QUEUE_READY.set(ready)
    for labels in list(metrics.QUEUE_JOBS._metrics):  # functions that left the queue read 0
        metrics.QUEUE_JOBS.labels(*labels).set(0)
    for function, count in by_function.items():
        metrics.QUEUE_JOBS.labels(function).set(count)
    metrics.WORKER_HEARTBEAT.set(1 if await heartbeat_alive(redis) else 0)


async def collect(settings: Any, redis: Any) -> None:
    """Refreshes the scrape-time values; a failing source is counted and logged, and its
    gauges keep their last value (alert on kinerja_metrics_collect_errors)."""
    read_db_pool()
    sources = {"outbox": read_outbox_backlog(settings)}
    if redis is not None:
        sources["redis"] = read_queue(redis)
    results = await asyncio.gather(
        *(asyncio.wait_for(c, 5) for c in sources.values()), return_exceptions=True
    )
    for source, result in zip(sources, results, strict=True):
        if isinstance(result, BaseException):
            metrics.COLLECT_ERRORS.labels(source).inc()
            log.warning("metrics source failed", source=source, error=repr(result))
