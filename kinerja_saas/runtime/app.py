"""The ASGI application: /graphql (HTTP and WebSocket), /healthz, /readyz, and the public
survey page /s/{code} with the region admin's QR codes (kinerja_saas/runtime/survey_pages.py),
the document verification page /v/{code} and signed downloads (runtime/document_pages.py)."""

from __future__ import annotations

import contextlib
import gc
import hmac
import logging

import orjson
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise import Tortoise, connections

from kinerja_saas import logs, metrics
from kinerja_saas.database import close_db, init_app_db
from kinerja_saas.database_client import count_statements
from kinerja_saas.notifications.live import LiveHub
from kinerja_saas.runtime.client_address import ClientAddressMiddleware
from kinerja_saas.runtime.complaint_pages import ComplaintPages
from kinerja_saas.runtime.document_pages import DocumentPages
from kinerja_saas.runtime.metrics import collect
from kinerja_saas.runtime.survey_pages import SurveyPages
from kinerja_saas.settings import Settings, get_settings
from schema.error_codes import ApiError
from schema.graphiql import ASSET_PATH, asset
from schema.view import KinerjaGraphQL

log = logging.getLogger("kinerja.app")
GZIP_MINIMUM_BYTES = 1024


class BodyLimitMiddleware:
    """Refuses request bodies over the limit before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = self.max_bytes
        if headers.get(b"content-type", b"").startswith(b"multipart/form-data"):
            limit = self.max_upload_bytes + 64_000  # the file and the multipart envelope
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(send, limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    error = ApiError.BODY_TOO_LARGE
    body = orjson.dumps(
        {"errors": [{"message": error.render(max=limit), "extensions": {"code": error.value}}]}
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestScopeMiddleware:
    """Gives each HTTP request and WebSocket a request id (the client's `X-Request-Id` when
    safe to echo) that every log line of it carries, and returns it as `X-Request-Id`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        request_id = logs.request_id_from(given.decode("latin-1"))

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        with logs.log_scope(request_id=request_id):
            await self.app(scope, receive, send_with_id)


class StatementCountMiddleware:
    """Dev/bench aid: reports the SQL statements a request ran in X-SQL-Statements."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with count_statements() as counter:
            body_messages: list = []
            start: dict = {}

            async def buffered_send(message):
                if message["type"] == "http.response.start":
                    start.update(message)
                else:
                    body_messages.append(message)

            await self.app(scope, receive, buffered_send)
        start["headers"] = [
            *start.get("headers", []),
            (b"x-sql-statements", str(counter.count).encode()),
        ]
        await send(start)
        for message in body_messages:
            await send(message)


def _serve_metrics(settings: Settings) -> bool:
    if not settings.metrics_enabled:
        return False
    if settings.env == "production" and not settings.metrics_token:
        log.warning("/metrics is not served: set KINERJA_METRICS_TOKEN for the scraper")
        return False
    return True


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _graphiql_routes(settings: Settings) -> list[Route]:
    """GraphiQL's scripts and styles, served from the package (schema/graphiql/)."""
    if not settings.show_graphiql:
        return []
    return [Route(ASSET_PATH + "/{name}", asset)]


def settle_heap() -> None:
    """After start-up (imports, the schema, the database pool): collect once, then move every
    object alive into the permanent generation (gc.freeze), which the cyclic GC no longer
    scans. A full collection under load otherwise walks the whole start-up heap — hundreds
    of thousands of objects, 80–240 ms with the process's one event loop stopped, every
    request in flight waiting (bench/README.md). Frozen objects are still freed by reference
    counting; only cycles among them are never collected, and start-up makes none worth it."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()

    # One listener on the notification channels per process; it connects to Redis when
    # the first subscription starts.
    live_hub = LiveHub(settings.redis_url) if settings.redis_url else None
    graphql = KinerjaGraphQL(settings, live_hub=live_hub)
    state: dict = {}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # A process that connected the database before serving (the tests) keeps it open.
        opened_db = not Tortoise._inited
        await init_app_db(settings)
        if settings.gc_freeze:
            settle_heap()
        try:
            yield
        finally:
            if live_hub is not None:
                await live_hub.close()
            await graphql.revocations.close()
            if state.get("redis") is not None:
                await state["redis"].aclose()
            for client in (graphql.redis, graphql.limits_redis):
                if client is not None:
                    await client.aclose()
            if opened_db:
                await close_db()

    async def healthz(request: Request):
        return PlainTextResponse("ok")

    async def readyz(request: Request):
        checks = {"database": False, "redis": False}
        with contextlib.suppress(Exception):
            await connections.get("default").execute_query("SELECT 1")
            checks["database"] = True
        with contextlib.suppress(Exception):
            if state.get("redis") is None and settings.redis_url:
                state["redis"] = Redis.from_url(settings.redis_url, socket_connect_timeout=1)
            checks["redis"] = bool(await state["redis"].ping())
        # Only the database decides readiness: without Redis the API still serves reads
        # and writes (background work waits in the outbox, rate limits fail open), and a
        # Redis outage must not make the load balancer drop every API process at once.
        return JSONResponse(checks, status_code=200 if checks["database"] else 503)

    async def metrics_endpoint(request: Request):
        """Prometheus text format, for the scraper only (docs/operations.md): with
        KINERJA_METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
        if settings.metrics_token and not _bearer_matches(request, settings.metrics_token):
            return JSONResponse(
                {
                    "errors": [
                        {
                            "message": ApiError.METRICS_TOKEN.render(),
                            "extensions": {"code": ApiError.METRICS_TOKEN.value},
                        }
                    ]
                },
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
        if state.get("redis") is None and settings.redis_url:
            state["redis"] = Redis.from_url(settings.redis_url, socket_connect_timeout=1)
        await collect(settings, state.get("redis"))
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    middleware = [
        # First: everything after it (logs, per-IP limits) sees the client's address.
        Middleware(
            ClientAddressMiddleware,
            networks=settings.trusted_proxy_networks,
            header=settings.proxy_header,
        ),
        Middleware(RequestScopeMiddleware),
        # Responses over 1 KB, gzipped when the client asks (the survey page: 7.8 KB, 2.2 KB
        # gzipped). HTTP only: WebSocket frames pass untouched. Streamed responses are
        # flushed chunk by chunk; multipart/mixed (subscriptions over HTTP) is left alone.
        Middleware(
            GZipMiddleware,
            minimum_size=GZIP_MINIMUM_BYTES,
            compresslevel=6,
            exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "multipart/mixed"),
        ),
        Middleware(
            BodyLimitMiddleware,
            max_bytes=settings.max_body_bytes,
            max_upload_bytes=settings.import_max_bytes,
        ),
    ]
    if settings.debug_headers:
        middleware.append(Middleware(StatementCountMiddleware))
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            # Prometheus (docs/operations.md); keep it away from the internet.
            *([Route("/metrics", metrics_endpoint)] if _serve_metrics(settings) else []),
            WebSocketRoute("/graphql", graphql),  # subscriptions (graphql-transport-ws)
            *_graphiql_routes(settings),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # Shares the GraphQL endpoint's Redis client: the same rate-limit counters.
            *SurveyPages(settings, graphql.redis, graphql.revocations).routes,
            *ComplaintPages(settings, graphql.redis, graphql.revocations).routes,
            # Document verification (/v/{code}) and signed downloads: the same Redis
            # counters and the same per-region slots as GraphQL operations.
            *DocumentPages(settings, graphql.redis, graphql.fair_share).routes,
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.live_hub = live_hub
    app.state.fair_share = graphql.fair_share
    app.state.revocations = graphql.revocations
    app.state.verified_tokens = graphql.verified_tokens
    app.state.response_cache = graphql.response_cache
    return app
