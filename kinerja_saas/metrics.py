"""Prometheus metrics (docs/operations.md lists each one and its alerts).

Counters and histograms live in the process that counts them: the API's GraphQL metrics in
each API process (served at `/metrics`), job metrics in each worker process (served on
`KINERJA_WORKER_METRICS_PORT`). Values that describe the whole deployment — queue depth,
outbox backlog, worker heartbeat — are read from Redis and PostgreSQL when `/metrics` is
scraped (kinerja_saas/runtime/metrics.py), so they are right even when every worker is down.

Labels are bounded: job functions are the registered ones, operation names are capped
(`KINERJA_METRICS_MAX_OPERATIONS`, the rest count as "other"); never a region, user or id.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)

disable_created_metrics()  # no `*_created` series: half the lines, nothing an alert uses

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)

GRAPHQL_REQUESTS = Counter(
    "kinerja_graphql_requests",
    "GraphQL operations over HTTP by operation name and outcome (ok, user_error, denied, error).",
    ["operation", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "kinerja_graphql_request_duration_seconds",
    "Time to execute a GraphQL operation (parsing to result), by operation name.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS_REFUSED = Counter(
    "kinerja_requests_refused",
    "Operations refused by fair sharing: limit region or user (RATE_LIMITED), busy (BUSY).",
    ["limit"],
)
DB_POOL_IN_USE = Gauge("kinerja_db_pool_in_use", "App-role connections lent out by this process.")
DB_POOL_SIZE = Gauge("kinerja_db_pool_size", "App-role connections open in this process.")
DB_POOL_MAX = Gauge("kinerja_db_pool_max", "The pool's ceiling (KINERJA_DB_POOL_MAX).")

JOBS = Counter(
    "kinerja_jobs",
    "Job runs by function and outcome (ok, retry, error, cancelled).",
    ["function", "outcome"],
)
JOB_DURATION = Histogram(
    "kinerja_job_duration_seconds", "Job run time by function.", ["function"], buckets=JOB_BUCKETS
)
JOBS_IN_PROGRESS = Gauge("kinerja_jobs_in_progress", "Jobs running now, by function.", ["function"])

JOBS_DEFERRED = Counter(
    "kinerja_jobs_deferred",
    "Jobs put back because their region had KINERJA_WORKER_REGION_MAX_JOBS running.",
    ["function"],
)
JOBS_PARKED = Counter(
    "kinerja_jobs_parked",
    "Jobs parked as dead after KINERJA_JOB_MAX_FAILURES failures of their own (worker metric).",
    ["function"],
)
JOBS_DEAD = Gauge(
    "kinerja_jobs_dead", "Jobs parked as dead, waiting for an operator (kinerja jobs retry)."
)
OUTBOX_NOT_DONE = Gauge(
    "kinerja_outbox_not_done", "Relayed outbox events whose jobs have not all succeeded yet."
)
LEASE_RENEWALS_FAILED = Counter(
    "kinerja_worker_lease_renewals_failed",
    "Lease heartbeats of a worker that could not reach Redis (its jobs' leases may lapse).",
)

QUEUE_DEPTH = Gauge("kinerja_queue_depth", "Jobs waiting in the queue (due and deferred).")
QUEUE_READY = Gauge("kinerja_queue_ready", "Jobs due now and not yet started.")
QUEUE_JOBS = Gauge(
    "kinerja_queue_jobs",
    "Queued jobs by function, among the first QUEUE_SAMPLE by due time.",
    ["function"],
)
OUTBOX_BACKLOG = Gauge("kinerja_outbox_backlog", "Committed outbox events not relayed yet.")
WORKER_HEARTBEAT = Gauge(
    "kinerja_worker_heartbeat", "1 when a worker polled the queue recently (arq health key)."
)
JOBS_RECOVERED = Counter(
    "kinerja_jobs_recovered",
    "Stranded work (a job lost with Redis, a worker killed mid-job) re-enqueued by a "
    "recovery sweep, by sweep.",
    ["sweep"],
)
RATE_LIMIT_UNCHECKED = Counter(
    "kinerja_rate_limit_unchecked",
    "Requests let through without their rate-limit check because Redis did not answer or "
    "refused the command, by limit (login, survey, requests).",
    ["limit"],
)
LOGIN_THROTTLE_LOCAL = Counter(
    "kinerja_login_throttle_local",
    "Login throttle steps (check, failure, success) counted in this process only, because "
    "Redis could not count them: the limits hold per process instead of platform-wide.",
    ["step"],
)
TOKENS_REVOKED_REFUSED = Counter(
    "kinerja_tokens_revoked_refused",
    "Requests and WebSocket connections refused because their access token was revoked.",
)
REVOCATION_SYNC_ERRORS = Counter(
    "kinerja_revocation_sync_errors",
    "Failed reads of the token revocations (the process works on what it read last).",
)
REGION_SETTINGS_OUT_OF_RANGE = Counter(
    "kinerja_region_settings_out_of_range",
    "Stored region settings read as their default because they fail their own check, once "
    "per region and setting per process, by setting (`kinerja doctor` lists the regions).",
    ["setting"],
)
COLLECT_ERRORS = Counter(
    "kinerja_metrics_collect_errors",
    "Failures reading a deployment-wide value at scrape time.",
    ["source"],
)

_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_FIRST_OPERATION = re.compile(r"^\s*(?:query|mutation|subscription)\s+([_A-Za-z]\w*)")


class OperationNames:
    """Bounds the `operation` label: the first `limit` distinct valid names, then "other"."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _OPERATION_NAME.fullmatch(name):
            return "other"
        with self._lock:
            if name in self._seen:
                return name
            if len(self._seen) < self.limit:
                self._seen.add(name)
                return name
        return "other"


def operation_name(given: str | None, query: str | None) -> str | None:
    """The operation's name: the one the request names, else the document's first one."""
    if given:
        return given
    match = _FIRST_OPERATION.match(query or "")
    return match.group(1) if match else None


def record_graphql(operation: str, outcome: str, seconds: float) -> None:
    GRAPHQL_REQUESTS.labels(operation, outcome).inc()
    GRAPHQL_DURATION.labels(operation).observe(seconds)


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve_worker_metrics(port: int, host: str = "0.0.0.0") -> Any:
    """A worker's own /metrics (a thread of prometheus_client's). Returns the server."""
    server, _thread = start_http_server(port, addr=host)
    return server


def stop_server(server: Any) -> None:
    with contextlib.suppress(Exception):
        server.shutdown()
        server.server_close()
