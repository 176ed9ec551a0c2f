"""The /graphql endpoint: authenticates the request (HTTP: the Authorization header;
WebSocket: the connection_init payload) into the context."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

import jwt
import orjson
from cross_web import HTTPException
from graphql import ExecutionResult, GraphQLError, OperationType, parse
from redis.asyncio import Redis
from starlette.responses import HTMLResponse, JSONResponse
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.unset import UNSET

from kinerja_saas import logs, metrics
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.errors import AuthError, BearerError
from kinerja_saas.auth.revocation import RevocationWatch
from kinerja_saas.auth.tokens import decode_access
from kinerja_saas.errors import AuthenticationFailed, DomainError, PermissionDenied
from kinerja_saas.notifications.live import LiveHub
from kinerja_saas.settings import Settings
from schema.context import Context
from schema.error_codes import HTTP_REASONS, ApiError
from schema.errors import UNEXPECTED_MESSAGE
from schema.schema import build_schema
from tenants.context import tenant_transaction
from tenants.fair_share import FairShare

REGION_HEADER = "x-region"
REQUEST_ID = logs.REQUEST_ID  # echoed into logs and the audit log
FORBIDDEN = 4403  # graphql-transport-ws: clients retry it, calling connectionParams again


class SubscriptionsOnly(BaseGraphQLTransportWSHandler):
    """Queries and mutations go over HTTP: a socket's context (its actor, its DataLoader
    cache) lives as long as the socket, which suits only subscriptions."""

    async def handle_subscribe(self, message) -> None:
        payload = message.get("payload") or {}
        if self.connection_acknowledged and not _is_subscription(
            payload.get("query"), payload.get("operationName")
        ):
            error = GraphQLError(
                ApiError.USE_HTTP.render(), extensions={"code": ApiError.USE_HTTP.value}
            )
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)


def _is_subscription(query: object, operation_name: object) -> bool:
    """False only for a document that surely names a query or mutation; anything unclear
    goes on to Strawberry, which reports it as usual."""
    if not isinstance(query, str):
        return True
    try:
        document = parse(query)
    except GraphQLError:
        return True
    operations = [
        d
        for d in document.definitions
        if getattr(d, "operation", None) is not None
        and (operation_name is None or (d.name and d.name.value == operation_name))
    ]
    return len(operations) != 1 or operations[0].operation == OperationType.SUBSCRIPTION


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go out as text frames. Strawberry sends bytes as a
    binary frame, and `encode_json` returns orjson's bytes: the npm `graphql-ws` client closes
    with 4004 on a binary frame, Python `gql` refuses it, browsers get a Blob."""

    async def send_json(self, message) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class KinerjaGraphQL(GraphQL):
    graphql_transport_ws_handler_class = SubscriptionsOnly
    websocket_adapter_class = TextFrames

    def __init__(self, settings: Settings, live_hub: LiveHub | None = None) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.show_graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # Uploads (importEmployees). Browsers cannot send a cross-site multipart request
            # with an Authorization header without a CORS preflight, so no CSRF opening.
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.live_hub = live_hub
        self._operation_names = metrics.OperationNames(settings.metrics_max_operations)
        # Rate limits (public survey endpoints, failed logins, every region's requests);
        # connects on first use. Short timeouts: the limits fail open, so an unreachable
        # Redis must not hold the request long.
        self.redis = (
            Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=1)
            if settings.redis_url
            else None
        )
        self.fair_share = FairShare(self.redis, settings)
        # Revoked access tokens, refused within seconds (kinerja_saas/auth/revocation.py).
        self.revocations = RevocationWatch(settings)

    async def render_graphql_ide(self, request) -> HTMLResponse:
        """GraphiQL from this package's own assets (schema/graphiql/), never a CDN."""
        from schema import graphiql

        return HTMLResponse(graphiql.page(), headers={"cache-control": "no-cache"})

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    # --- malformed requests: 400 with a GraphQL error, never a 500 ------------------------

    def parse_json(self, data: str | bytes) -> object:
        """A request body (and a multipart `operations` or `map`, a GET `variables`) must be
        a JSON object: Strawberry reads it with `.get`, so `42`, `"x"`, `null` or a list
        (no batching here) would fail with a 500."""
        value = super().parse_json(data)
        if isinstance(value, list) and self.schema.config.batching_config is not None:
            return value
        if not isinstance(value, dict):
            raise HTTPException(400, "The request must be a JSON object.")
        return value

    async def parse_http_body(self, request_adapter):
        parsed = await super().parse_http_body(request_adapter)
        for item in parsed if isinstance(parsed, list) else [parsed]:
            if item.operation_name is not None and not isinstance(item.operation_name, str):
                raise HTTPException(400, "operationName must be a string or null.")
        return parsed

    async def process_result(self, request, result):
        processed = await super().process_result(request, result)
        if not self.settings.suggestions_enabled:
            # "Did you mean 'employees'?" tells a stranger the schema field by field.
            for error in processed.get("errors") or ():
                error["message"] = _SUGGESTION.sub("", error["message"])
        return processed

    async def run(self, request, context=UNSET, root_value=UNSET):
        try:
            return await self._run(request, context, root_value)
        except HTTPException as exc:
            # Strawberry answers these in plain text; clients expect GraphQL's shape.
            error = _HTTP_ERRORS.get(exc.status_code, ApiError.BAD_REQUEST)
            reason = HTTP_REASONS.get(exc.reason)
            message = error.render(**({"reason": reason} if reason else {}))
            return JSONResponse(
                {"errors": [{"message": message, "extensions": {"code": error.value}}]},
                status_code=exc.status_code,
            )

    async def get_context(self, request, response) -> Context:
        # RequestScopeMiddleware chose it (and logs carry it); derived here when the view
        # runs without the middleware.
        request_id = logs.current("request_id") or logs.request_id_from(
            request.headers.get("x-request-id")
        )
        context = Context(
            request=request,
            response=response,
            settings=self.settings,
            request_id=request_id,
            live_hub=self.live_hub,
            redis=self.redis,
            fair_share=self.fair_share,
        )
        header = request.headers.get("authorization")
        if not header or self.is_websocket_request(request):
            return context  # a WebSocket authenticates in connection_init (on_ws_connect)
        try:
            context.actor = self._actor(_bearer(header), request_id)
            await self.revocations.check(context.actor)
        except AuthenticationFailed as exc:
            context.actor = None
            context.auth_error = exc
            return context
        _bind_actor(context.actor)
        region = request.headers.get(REGION_HEADER)
        if region:
            await self._check_region_header(context, region.strip().lower())
        return context

    def _actor(self, token: str, request_id: str) -> Actor:
        actor = decode_access(token, self.settings.jwt_verification_secrets)
        return actor.__class__(
            **{**{f: getattr(actor, f) for f in actor.__slots__}, "request_id": request_id}
        )

    async def _check_region_header(self, context: Context, slug: str) -> None:
        """A frontend of region B names its region; a token of region A is refused there."""
        from tenants.models import Tenant

        tenant = await Tenant.by_slug(slug)
        if context.actor and (tenant is None or tenant.id != context.actor.tenant_id):
            context.auth_error = AuthenticationFailed(ApiError.REGION_MISMATCH)
            context.actor = None

    # --- metrics and the request's log line ---------------------------------------------

    async def execute_single(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ):
        """Times and classifies each operation (metrics, one log line per operation)."""
        name = metrics.operation_name(request_data.operation_name, request_data.query)
        label = self._operation_names.label(name)
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
            outcome = _outcome(result)
            return result
        finally:
            seconds = time.perf_counter() - started
            metrics.record_graphql(label, outcome, seconds)
            fields = {"operation": name, "outcome": outcome, "ms": round(seconds * 1000, 1)}
            if name is None and self.settings.env == "production":
                # Warn, not refuse: a name is a client's label, not a guard, and refusing
                # would break GraphiQL and every anonymous query in the wild at once.
                _log.warning("graphql operation without a name", **fields)
            else:
                _log.info("graphql", **fields)

    # --- WebSocket -------------------------------------------------------------------------

    async def _run(self, request, context=UNSET, root_value=UNSET):
        if context is not UNSET or not self.is_websocket_request(request):
            return await super().run(request, context, root_value)
        context = await self.get_context(request, response=request)
        try:
            return await super().run(request, context, root_value)
        finally:
            if context.token_expiry is not None:
                context.token_expiry.cancel()
            if context.revocation is not None:
                context.revocation.__exit__(None, None, None)

    async def on_ws_connect(self, context: Context):
        """connection_init: `{"authorization": "Bearer <access token>"}`. Only a region's
        users of an active region get in; anything else closes the socket with 4403."""
        params = context.connection_params or {}
        try:
            token = _bearer(params.get("authorization") or params.get("Authorization"))
            actor = self._actor(token, context.request_id)
            if actor.is_operator or actor.tenant_id is None:
                raise AuthenticationFailed(AuthError.NO_REGION)
            await self.revocations.check(actor)
            async with tenant_transaction(actor.tenant_id):  # refuses a suspended region
                pass
        except AuthenticationFailed as exc:
            raise ConnectionRejectionError({"code": exc.code, "message": exc.message}) from exc
        context.actor = actor
        _bind_actor(actor)
        # A logout, deactivation or password change elsewhere closes this socket too.
        context.revocation = self.revocations.track(actor, lambda: _close_revoked(context))
        context.revocation.__enter__()
        expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]  # verified
        context.token_expiry = asyncio.create_task(_close_on_expiry(context, expires_at))
        return UNSET


_log = logs.get_logger("kinerja.graphql")

_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)
_HTTP_ERRORS = {
    400: ApiError.BAD_REQUEST,
    404: ApiError.NOT_FOUND,
    405: ApiError.METHOD_NOT_ALLOWED,
}

_DENIED_CODES = frozenset({"RATE_LIMITED", "BUSY"})  # refused for who is asking, not the input


def _outcome(result: ExecutionResult) -> str:
    """ok; user_error (invalid document or input, typed payload errors, not found); denied
    (authentication, permission, rate limit); error (unexpected, masked)."""
    outcomes = {_error_outcome(e) for e in result.errors or []}
    for rank in ("error", "denied", "user_error"):
        if rank in outcomes:
            return rank
    payloads = (result.data or {}).values()
    if any(isinstance(p, dict) and p.get("errors") for p in payloads):
        return "user_error"
    return "ok"


def _error_outcome(error: GraphQLError) -> str:
    original = error.original_error
    code = (error.extensions or {}).get("code")
    if isinstance(original, AuthenticationFailed | PermissionDenied) or code in _DENIED_CODES:
        return "denied"
    if code == ApiError.SERVICE_UNAVAILABLE:  # an outage, typed for the client: still an error
        return "error"
    if isinstance(original, DomainError) or code == ApiError.ROLLED_BACK:
        return "user_error"
    if original is None and error.message != UNEXPECTED_MESSAGE:  # MaskErrors' message
        return "user_error"  # the document itself: syntax, validation, limits
    return "error"


def _bind_actor(actor: Actor) -> None:
    logs.bind(region=actor.tenant_id, user=actor.user_id, operator=actor.is_operator or None)


def _bearer(header: object) -> str:
    scheme, _, token = header.partition(" ") if isinstance(header, str) else ("", "", "")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(BearerError.TOKEN_INVALID)
    return token.strip()


def _close_revoked(context: Context) -> None:
    """From the revocation watch's task: the close runs as a task of its own."""

    async def close() -> None:
        with contextlib.suppress(RuntimeError, OSError):  # already closed
            await context.request.close(code=FORBIDDEN, reason="Token revoked")

    task = asyncio.get_running_loop().create_task(close())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


_closing: set[asyncio.Task] = set()


async def _close_on_expiry(context: Context, expires_at: float) -> None:
    """An access token is valid for minutes: a socket outliving it must log in again, so a
    logged-out or deactivated user's socket ends as their HTTP requests do."""
    await asyncio.sleep(max(0.0, expires_at - time.time()))
    with contextlib.suppress(RuntimeError, OSError):  # already closed
        await context.request.close(code=FORBIDDEN, reason="Token expired")
