"""The request limits count on a Redis client of their own (schema/view.py): without a
socket timeout when the count's own bound (`rate_limit_timeout_seconds`) is within it, so
that redis-py does not wrap each write in a task; a Redis that stops answering still lets
the request through (fail open) once that bound passes, as with the socket timeout."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis

from kinerja_saas import metrics
from kinerja_saas.auth.roles import Role
from kinerja_saas.runtime.app import create_app
from schema.view import REDIS_SOCKET_TIMEOUT
from tests.conftest import Api

ME = "query LimitsClientMe { me { email } }"


def _socket_timeout(app) -> float | None:
    return app.state.fair_share.limiter.redis.connection_pool.connection_kwargs["socket_timeout"]


def test_the_limits_client_drops_the_socket_timeout_only_under_a_tighter_bound(settings):
    assert settings.rate_limit_timeout_seconds <= REDIS_SOCKET_TIMEOUT
    assert _socket_timeout(create_app(settings)) is None
    looser = settings.model_copy(update={"rate_limit_timeout_seconds": 5.0})
    assert _socket_timeout(create_app(looser)) == REDIS_SOCKET_TIMEOUT
    # Everything else on Redis keeps its socket timeout.
    app = create_app(settings)
    kwargs = app.state.response_cache.redis.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == REDIS_SOCKET_TIMEOUT


async def test_a_redis_that_stops_answering_lets_the_request_through(settings, region_a):
    app = create_app(settings.model_copy(update={"rate_limit_timeout_seconds": 0.2}))
    unchecked = metrics.RATE_LIMIT_UNCHECKED.labels("requests")
    token = region_a.token(Role.EMPLOYEE, settings)
    pauser = Redis.from_url(settings.redis_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        api = Api(client, settings)
        assert (await api(ME, token=token)).data["me"]  # the limits' connection is open
        before = unchecked._value.get()
        await pauser.execute_command("CLIENT", "PAUSE", "1500", "WRITE")
        try:
            res = await api(ME, token=token)
        finally:
            await pauser.execute_command("CLIENT", "UNPAUSE")
            await pauser.aclose()
        assert res.data["me"] and res.codes == []
        # Let through by the count's bound (a count that waited out the pause would have
        # been checked, not counted here).
        assert unchecked._value.get() == before + 1
        # The connection cut by the timeout is not reused half-read: the next count works.
        assert (await api(ME, token=token)).data["me"]
        assert unchecked._value.get() == before + 1
