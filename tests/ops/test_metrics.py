"""/metrics after real GraphQL requests, and a real arq worker's job metrics."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from arq import func
from arq.connections import create_pool
from arq.worker import Worker

from kinerja_saas.auth.roles import Role
from kinerja_saas.metrics import OperationNames, operation_name, serve_worker_metrics, stop_server
from kinerja_saas.outbox import service as outbox
from kinerja_saas.outbox.topics import Topic
from tenants.context import tenant_transaction
from tests.ops.conftest import value
from workers.metrics import HEARTBEAT_KEY, instrument
from workers.queue import redis_settings
from workers.settings import worker_options

OK = "query OpsMetricsOk { employees(first: 1) { totalCount } }"
INVALID = "query OpsMetricsInvalid { noSuchField }"
PROBE_FUNCTION = "ops_metrics_probe"


async def _metrics(api) -> str:
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def _count(text: str, operation: str, outcome: str) -> float:
    return value(text, "kinerja_graphql_requests_total", operation=operation, outcome=outcome) or 0


async def test_metrics_count_graphql_requests_by_operation_and_outcome(
    api, region_a, settings, redis
):
    before = await _metrics(api)
    token = region_a.token(Role.REGION_ADMIN, settings)
    for _ in range(3):
        assert (await api(OK, token=token)).status == 200
    assert (await api(OK)).codes == ["UNAUTHENTICATED"]  # no token: denied
    assert (await api(INVALID, token=token)).errors  # not in the schema: the client's error
    bad_input = await api(  # a typed payload error: nothing written
        'mutation OpsMetricsBadInput { createUnit(input: {name: "", code: "", kind: DINAS}) '
        "{ errors { code } } }",
        token=token,
    )
    assert bad_input.data["createUnit"]["errors"]

    text = await _metrics(api)
    assert _count(text, "OpsMetricsOk", "ok") - _count(before, "OpsMetricsOk", "ok") == 3
    assert _count(text, "OpsMetricsOk", "denied") - _count(before, "OpsMetricsOk", "denied") == 1
    assert _count(text, "OpsMetricsInvalid", "user_error") >= 1
    assert _count(text, "OpsMetricsBadInput", "user_error") >= 1
    duration = value(
        text, "kinerja_graphql_request_duration_seconds_count", operation="OpsMetricsOk"
    )
    assert (
        duration
        - (
            value(
                before, "kinerja_graphql_request_duration_seconds_count", operation="OpsMetricsOk"
            )
            or 0
        )
        == 4
    )
    assert value(text, "kinerja_graphql_request_duration_seconds_sum", operation="OpsMetricsOk") > 0

    # The app role's pool, read from asyncpg's pool of the Tortoise connection.
    assert value(text, "kinerja_db_pool_max") == settings.db_pool_max
    size = value(text, "kinerja_db_pool_size")
    assert 1 <= size <= settings.db_pool_max
    assert 0 <= value(text, "kinerja_db_pool_in_use") <= size


async def test_metrics_read_queue_depth_outbox_backlog_and_heartbeat(
    api, region_a, settings, redis, owner_conn
):
    pool = await create_pool(redis_settings(settings))
    jobs = [
        await pool.enqueue_job(PROBE_FUNCTION, n, _job_id=f"ops-probe-{n}", _defer_by=3600)
        for n in range(2)
    ]
    async with tenant_transaction(region_a.id):
        await outbox.emit(Topic("test.ops_metrics", dict, "A test event."), {"n": 1})
    try:
        text = await _metrics(api)
        assert value(text, "kinerja_queue_jobs", function=PROBE_FUNCTION) == 2
        assert value(text, "kinerja_queue_depth") >= 2
        assert value(text, "kinerja_queue_ready") <= value(text, "kinerja_queue_depth") - 2
        backlog = await owner_conn.fetchval(
            "SELECT count(*) FROM outbox_events WHERE relayed_at IS NULL"
        )
        assert value(text, "kinerja_outbox_backlog") == backlog >= 1
        await redis.set(HEARTBEAT_KEY, b"test", px=5000)
        assert value(await _metrics(api), "kinerja_worker_heartbeat") == 1
        await redis.delete(HEARTBEAT_KEY)
        assert value(await _metrics(api), "kinerja_worker_heartbeat") == 0
    finally:
        for job in jobs:
            await redis.zrem("arq:queue", job.job_id)
            await redis.delete(f"arq:job:{job.job_id}")
        await pool.aclose()
        # Leave no event for the relays of other tests.
        await owner_conn.execute(
            "UPDATE outbox_events SET relayed_at = now() WHERE topic = 'test.ops_metrics'"
        )
    text = await _metrics(api)
    assert value(text, "kinerja_queue_jobs", function=PROBE_FUNCTION) == 0


def test_operation_label_is_bounded():
    names = OperationNames(limit=2)
    assert [names.label(n) for n in ("A", "B", "C", "A", None, "bad name!")] == [
        "A",
        "B",
        "other",
        "A",
        "anonymous",
        "other",
    ]
    assert operation_name(None, "  mutation SavePlan($x: ID) { x }") == "SavePlan"
    assert operation_name("Given", "query Other { x }") == "Given"
    assert operation_name(None, "{ employees { totalCount } }") is None


# --- a real worker ---------------------------------------------------------------------


async def ops_ok(ctx, *, tenant_id: int) -> str:
    import logging

    logging.getLogger("kinerja.test").info("inside the job")
    # A polling worker keeps arq's health-check key alive (recorded after each poll; deleted
    # when the worker stops).
    for _ in range(40):
        if await ctx["redis"].exists(HEARTBEAT_KEY):
            return "done"
        await asyncio.sleep(0.05)
    return "no heartbeat"


async def ops_fail(ctx, *, tenant_id: int) -> None:
    raise ValueError("this job always fails")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def worker_metrics_url():
    port = _free_port()
    server = serve_worker_metrics(port, host="127.0.0.1")
    yield f"http://127.0.0.1:{port}/metrics"
    stop_server(server)


async def test_worker_job_metrics_and_log_scope(
    settings, region_a, worker_metrics_url, json_logs, redis
):
    pool = await create_pool(redis_settings(settings))
    try:
        ok = await pool.enqueue_job("ops_ok", tenant_id=region_a.id, _job_id="ops-ok-1")
        failed = await pool.enqueue_job("ops_fail", tenant_id=region_a.id, _job_id="ops-fail-1")
        options = worker_options(settings, relay=False, manage_db=False)
        options["functions"] = [
            *options["functions"],
            instrument(func(ops_ok, name="ops_ok")),
            instrument(func(ops_fail, name="ops_fail", max_tries=1)),
        ]
        options["cron_jobs"] = []
        worker = Worker(**options, burst=True, handle_signals=False)
        await worker.async_run()
        await worker.close()
        assert await ok.result(timeout=5) == "done"
        with pytest.raises(ValueError):
            await failed.result(timeout=5)
    finally:
        await pool.aclose()

    async with httpx.AsyncClient() as client:
        text = (await client.get(worker_metrics_url)).text
    assert value(text, "kinerja_jobs_total", function="ops_ok", outcome="ok") == 1
    assert value(text, "kinerja_jobs_total", function="ops_fail", outcome="error") == 1
    assert value(text, "kinerja_job_duration_seconds_count", function="ops_ok") == 1
    assert value(text, "kinerja_job_duration_seconds_count", function="ops_fail") == 1
    assert value(text, "kinerja_jobs_in_progress", function="ops_ok") == 0

    (inside,) = json_logs.where(event="inside the job")
    assert inside["job_id"] == "ops-ok-1" and inside["function"] == "ops_ok"
    assert inside["region"] == region_a.id and inside["job_try"] == 1
    failure = [e for e in json_logs.where(job_id="ops-fail-1") if e["level"] == "error"]
    assert failure and "this job always fails" in failure[0]["exception"]
    assert not await redis.exists(HEARTBEAT_KEY)  # a stopped worker has no heartbeat


async def _get_metrics(settings, headers=None) -> httpx.Response:
    from kinerja_saas.runtime.app import create_app

    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/metrics", headers=headers or {})


async def test_metrics_behind_a_bearer_token(settings):
    guarded = settings.model_copy(update={"metrics_token": "pengikis-rahasia"})
    for headers in (None, {"authorization": "Bearer salah"}, {"authorization": "pengikis-rahasia"}):
        refused = await _get_metrics(guarded, headers)
        assert refused.status_code == 401 and "kinerja_" not in refused.text
        assert refused.headers["www-authenticate"] == "Bearer"
    allowed = await _get_metrics(guarded, {"authorization": "Bearer pengikis-rahasia"})
    assert allowed.status_code == 200 and "kinerja_graphql_requests_total" in allowed.text


async def test_production_serves_no_metrics_without_a_token(settings):
    production = settings.model_copy(update={"env": "production"})
    assert (await _get_metrics(production)).status_code == 404
    with_token = production.model_copy(update={"metrics_token": "t"})
    ok = await _get_metrics(with_token, {"authorization": "Bearer t"})
    assert ok.status_code == 200
