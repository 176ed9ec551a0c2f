"""The /graphql endpoint: authenticates the request (HTTP: the Authorization header;
WebSocket: the connection_init payload) into the context."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import functools
import re
import time
from collections.abc import Iterable
from typing import Any, cast

import jwt
import orjson
from cross_web import HTTPException
from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLFormattedError,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from redis.asyncio import Redis
from starlette.responses import HTMLResponse, JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage
from strawberry.types import ExecutionResult as StrawberryResult
from strawberry.types.unset import UNSET

from kinerja_saas import logs, metrics
from kinerja_saas.admission import FairShare
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.errors import AuthError, BearerError
from kinerja_saas.auth.revocation import RevocationWatch
from kinerja_saas.auth.tokens import VerifiedAccessTokens
from kinerja_saas.errors import AuthenticationFailed, DomainError, PermissionDenied
from kinerja_saas.notifications.live import LiveHub
from kinerja_saas.ratelimit import RateLimited
from kinerja_saas.regions import queries as regions
from kinerja_saas.settings import Settings
from schema import graphiql, response_cache
from schema.context import Context
from schema.error_codes import HTTP_REASONS, ApiError
from schema.errors import UNEXPECTED_MESSAGE
from schema.response_cache import Entry, ResponseCache, cache_key
from schema.schema import build_schema
from tenants.context import tenant_transaction

REGION_HEADER = "x-region"
REQUEST_ID = logs.REQUEST_ID  # echoed into logs and the audit log
REDIS_SOCKET_TIMEOUT = 1.0  # seconds: the limits fail open, Redis must not hold a request
FORBIDDEN = 4403  # graphql-transport-ws: clients retry it, calling connectionParams again


class SubscriptionsOnly(BaseGraphQLTransportWSHandler[Context, None]):
    """Only subscriptions run over WebSocket; queries and mutations go over HTTP. A socket's
    context (its actor, its DataLoader cache) lives as long as the socket, which suits only
    subscriptions; and a second way to run mutations would be a second place to keep the
    request rules. A `subscribe` message meets the same checks as an HTTP body (its shape,
    JSON nesting, which operation runs) before Strawberry sees it; the document then goes
    through the same schema extensions (validation, the isolation rule, limits, cost,
    masking and hidden suggestions) as over HTTP."""

    async def handle_subscribe(self, message) -> None:
        if self.connection_acknowledged:
            try:
                _check_subscribe(message.get("payload"), cast("KinerjaGraphQL", self.view).settings)
            except RequestRefused as refused:
                await self.send_message(
                    ErrorMessage(id=message["id"], type="error", payload=[refused.formatted])
                )
                return
        await super().handle_subscribe(message)


def _check_subscribe(payload: object, settings: Settings) -> None:
    """Raises RequestRefused unless the payload names exactly one subscription."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        raise RequestRefused(400, "payload.query harus berupa teks dokumen GraphQL.")
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        raise RequestRefused(400, OPERATION_NAME_TYPE)
    for key in ("variables", "extensions"):
        value = payload.get(key)
        if value is not None and not isinstance(value, dict):
            raise RequestRefused(400, f"{key} harus berupa objek JSON atau null.")
    if json_depth(payload) > MAX_JSON_DEPTH:
        raise RequestRefused(400, TOO_DEEP)
    kind = chosen_operation(payload["query"], name, settings.max_tokens)
    if kind is not None and kind != OperationType.SUBSCRIPTION:
        raise RequestRefused(400, USE_HTTP_MESSAGE, code=ApiError.USE_HTTP)


# --- which operation a document runs: the same rule over HTTP and WebSocket -------------

OPERATION_NAME_TYPE = "operationName harus berupa teks atau null."
BODY_NOT_OBJECT = "Permintaan harus berupa objek JSON."
TOO_DEEP_MESSAGE = "Permintaan bersarang lebih dari {depth} tingkat."
MAX_JSON_DEPTH = 64  # objects and lists within one another, the body itself included
TOO_DEEP = TOO_DEEP_MESSAGE.format(depth=MAX_JSON_DEPTH)
USE_HTTP_MESSAGE = ApiError.USE_HTTP.render()
NAME_REQUIRED_MESSAGE = ApiError.OPERATION_NAME_REQUIRED.render()
SUBSCRIPTION_OVER_HTTP_MESSAGE = ApiError.SUBSCRIPTION_OVER_HTTP.render()


class RequestRefused(HTTPException):
    """A malformed or refused request: HTTP answers `status` with a GraphQL error of `code`,
    a WebSocket an `error` message with the same error."""

    def __init__(self, status_code: int, reason: str, *, code: str | None = None) -> None:
        super().__init__(status_code, reason)
        self.code = str(code or _HTTP_ERRORS.get(status_code, ApiError.BAD_REQUEST))

    @property
    def formatted(self) -> GraphQLFormattedError:
        return {"message": self.reason, "extensions": {"code": self.code}}


def json_depth(value: object) -> int:
    """How deeply lists and objects nest in a decoded JSON value (iterative: a hostile
    value cannot exhaust the stack here, only where it would be read recursively later)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


@functools.lru_cache(maxsize=512)
def _operations(query: str, max_tokens: int) -> tuple[tuple[str | None, OperationType], ...]:
    """(name, type) of each operation of a document, in order; () when it does not parse
    (Strawberry then reports the syntax error as usual)."""
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return ()
    return tuple(
        (d.name.value if d.name else None, OperationType(d.operation.value))
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


def chosen_operation(
    query: str, operation_name: str | None, max_tokens: int
) -> OperationType | None:
    """The type of the operation a request runs, chosen as graphql-core executes (and the
    guards read it): by its name, or the only one. Several without a name, or an unknown
    name, is refused here with a typed error: Strawberry would otherwise take the first
    operation (over WebSocket a mutation placed before a subscription ran). None when the
    document does not parse."""
    operations = (
        _operations(query, max_tokens)
        if len(query) <= 20_000
        else (_operations.__wrapped__(query, max_tokens))
    )
    if not operations:
        return None
    if operation_name is None:
        if len(operations) > 1:
            raise RequestRefused(400, NAME_REQUIRED_MESSAGE, code=ApiError.OPERATION_NAME_REQUIRED)
        return operations[0][1]
    for name, kind in operations:
        if name == operation_name:
            return kind
    raise RequestRefused(
        400,
        ApiError.UNKNOWN_OPERATION.render(name=orjson.dumps(operation_name[:100]).decode()),
        code=ApiError.UNKNOWN_OPERATION,
    )


@dataclasses.dataclass
class CachedResult(StrawberryResult):
    """A response cache entry's answer: its `data` is the stored JSON (orjson.Fragment),
    written into the response body as it is; the outcome is the computed request's."""

    outcome: str = "ok"

    @classmethod
    def of(cls, entry: Entry) -> CachedResult:
        return cls(data=cast(Any, entry.data), errors=None, outcome=entry.outcome)


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


class KinerjaGraphQL(GraphQL[Context, None]):
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
            Redis.from_url(
                settings.redis_url,
                socket_connect_timeout=REDIS_SOCKET_TIMEOUT,
                socket_timeout=REDIS_SOCKET_TIMEOUT,
            )
            if settings.redis_url
            else None
        )
        # The request limits' own client. Each count is bounded as a whole by
        # `rate_limit_timeout_seconds` (kinerja_saas/admission.py); when that is within the
        # socket timeout it always ends the wait first, and the socket timeout is left out:
        # with one, redis-py wraps every command's write in asyncio.wait_for, a task per
        # request.
        self.limits_redis = (
            Redis.from_url(
                settings.redis_url,
                socket_connect_timeout=REDIS_SOCKET_TIMEOUT,
                socket_timeout=(
                    None
                    if settings.rate_limit_timeout_seconds <= REDIS_SOCKET_TIMEOUT
                    else REDIS_SOCKET_TIMEOUT
                ),
            )
            if settings.redis_url
            else None
        )
        self.fair_share = FairShare(self.limits_redis, settings)
        self.response_cache = ResponseCache(self.redis, settings.response_cache_entries)
        # Access tokens that verified, memoised per token string until their `exp`; the
        # revocation, region header and region status are still checked per request.
        self.verified_tokens = VerifiedAccessTokens()
        # Revoked access tokens, refused within seconds (kinerja_saas/auth/revocation.py).
        self.revocations = RevocationWatch(settings)

    async def render_graphql_ide(self, request) -> HTMLResponse:
        """GraphiQL from this package's own assets (schema/graphiql/), never a CDN."""
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
        if json_depth(value) > MAX_JSON_DEPTH:
            # Read recursively later (variables' coercion, the guards): a RecursionError.
            raise RequestRefused(400, TOO_DEEP)
        if isinstance(value, list) and self.schema.config.batching_config is not None:
            return value
        if not isinstance(value, dict):
            raise RequestRefused(400, BODY_NOT_OBJECT)
        return value

    async def parse_multipart(self, request) -> dict:
        """Strawberry's, with the `map` checked first: a map that is not an object of lists
        of `variables.…` paths, names a file not sent, or points at no null variable answers
        400 naming the problem (Strawberry's own walk raised TypeError, ValueError,
        IndexError: a 500)."""
        try:
            form_data = await request.get_form_data()
        except ValueError as e:
            raise RequestRefused(400, "Badan multipart tidak dapat dibaca.") from e
        operations = form_data.form.get("operations", "{}")
        files_map = form_data.form.get("map", "{}")
        if isinstance(operations, bytes | str):
            operations = self.parse_json(operations)
        if isinstance(files_map, bytes | str):
            files_map = self.parse_json(files_map)
        return _place_files(operations, files_map, form_data.files)

    async def parse_http_body(self, request_adapter):
        parsed = await super().parse_http_body(request_adapter)
        for item in parsed if isinstance(parsed, list) else [parsed]:
            if item.operation_name is not None and not isinstance(item.operation_name, str):
                raise RequestRefused(400, OPERATION_NAME_TYPE)
            if isinstance(item.query, str):
                # The operation that runs, chosen as over WebSocket; a subscription belongs
                # on the socket (over HTTP it failed with "Unexpected error.").
                kind = chosen_operation(item.query, item.operation_name, self.settings.max_tokens)
                if kind == OperationType.SUBSCRIPTION:
                    raise RequestRefused(
                        400, SUBSCRIPTION_OVER_HTTP_MESSAGE, code=ApiError.SUBSCRIPTION_OVER_HTTP
                    )
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
            code = getattr(exc, "code", None)
            if code is not None:  # our own refusal (RequestRefused): its Indonesian text
                message = exc.reason
            else:  # Strawberry's own, in English: as a person reads it
                error = _HTTP_ERRORS.get(exc.status_code, ApiError.BAD_REQUEST)
                reason = HTTP_REASONS.get(exc.reason)
                code, message = error.value, error.render(**({"reason": reason} if reason else {}))
            return JSONResponse(
                {"errors": [{"message": message, "extensions": {"code": code}}]},
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
        actor = self.verified_tokens.decode(token, self.settings.jwt_verification_secrets)
        return actor.__class__(
            **{**{f: getattr(actor, f) for f in actor.__slots__}, "request_id": request_id}
        )

    async def _check_region_header(self, context: Context, slug: str) -> None:
        """A frontend of region B names its region; a token of region A is refused there."""
        tenant = await regions.region_by_slug(slug)
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
            result = await self._execute_or_cached(
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

    async def _execute_or_cached(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ):
        """A cacheable read is answered from the response cache when an entry of its exact
        key and the region's current generation exists (after the request limits count it),
        and its result kept when it has no errors (schema/response_cache.py)."""
        key = (
            self._cache_key(request, context, request_data)
            if request_adapter.method == "POST"  # GET: CSRF-prone, and refused for queries
            else None
        )
        if key is None:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        cache = self.response_cache
        asked_at = response_cache.now()  # before the generation and the data are read
        generation, counted = await self._generation_and_count(context, key)
        if generation is None:  # no Redis: no cache
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        entry = cache.get(key, generation)
        if entry is not None and counted is None:
            # Kept by another request of this process while this one read the generation
            # (it looked before the entry existed, so nothing was counted yet): counted now
            # and answered from the entry, not computed a second time. A request the limits
            # refused already (False) is not counted again here: every count of a refused
            # request spends the region's shared budget too.
            counted = await self._count(context, entry.plan)
        # Served only when counted; refused (False): the ordinary path refuses it, with its
        # Retry-After.
        if entry is not None and counted:
            if cache.due_for_refresh(entry) and cache.running(key, generation) is None:
                # Past half its second: one request recomputes it in the background while
                # this and the next ones are still answered from it, so the hot list's
                # requests do not all wait for the recompute when it expires (the tail).
                entry.refreshing = True
                context.request_counted = True  # the refresh is this request, counted
                execute = super().execute_single
                cache.in_background(
                    self._recompute(
                        execute,
                        key,
                        generation,
                        asked_at,
                        context,
                        (request, request_adapter, sub_response, context, root_value, request_data),
                    )
                )
            return CachedResult.of(entry)
        # Counted already (a stale entry's plan): the transaction does not count it again.
        context.request_counted = bool(counted)
        running = cache.running(key, generation)
        if running is not None:
            # The same key and generation is being computed by another request of this
            # process (the same viewer, document and variables): its answer is this one's.
            done = await asyncio.shield(running)
            # Counted only when nothing was yet: a refused request (False) is not counted
            # again to be answered (the ordinary path refuses it, with its Retry-After).
            if done is not None and (
                counted or (counted is None and await self._count(context, done.plan))
            ):
                return CachedResult.of(done)
        with cache.computing(key, generation) as finished:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
            _keep_clean(cache, finished, key, generation, result, context, asked_at)
        return result

    async def _recompute(
        self, execute, key, generation, asked_at: float, context: Context, args
    ) -> None:
        """The background refresh of an entry: the same request again (already counted
        against the limits), kept under the generation read before it ran."""
        cache = self.response_cache
        with cache.computing(key, generation) as finished:
            try:
                result = await execute(*args)
            except Exception:
                _log.exception("response cache refresh failed")
                return
            _keep_clean(cache, finished, key, generation, result, context, asked_at)

    async def _count(self, context: Context, plan: str | None) -> bool:
        """Counts the request against its limits; False when they refuse it (the ordinary
        path then counts and refuses it, with its Retry-After)."""
        if self.fair_share is None or context.actor is None:
            return True
        try:
            await self.fair_share.limiter.admit(context.actor, plan)
        except RateLimited:
            return False
        context.request_counted = True
        return True

    async def _generation_and_count(self, context: Context, key) -> tuple[Any, bool | None]:
        """The region's generation; with an entry in memory (its plan known), the request
        limits counted at the same time, so a hit waits for Redis once, not twice. Counted
        is None when nothing was counted, False when the limits refused (the ordinary path
        then counts and refuses it, with its Retry-After)."""
        actor = context.actor
        assert actor is not None and actor.tenant_id is not None
        candidate = self.response_cache.peek(key)
        if candidate is None or self.fair_share is None:
            return await self.response_cache.generation(actor.tenant_id), None

        generation, counted = await asyncio.gather(
            self.response_cache.generation(actor.tenant_id), self._count(context, candidate.plan)
        )
        return generation, counted

    def _cache_key(self, request, context: Context, request_data):
        """The key of a request the response cache may answer; None for anything else: not a
        query, anonymous, an operator, a refused token, uploads."""
        actor = context.actor
        if (
            not self.response_cache.enabled
            or actor is None
            or context.auth_error is not None
            or not isinstance(request_data.query, str)
            or self.is_websocket_request(request)
        ):
            return None
        try:
            kind = chosen_operation(
                request_data.query, request_data.operation_name, self.settings.max_tokens
            )
        except RequestRefused:
            return None
        if kind != OperationType.QUERY:
            return None
        return cache_key(
            actor,
            str(request.base_url),
            request_data.query,
            request_data.operation_name,
            request_data.variables,
        )

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


def _keep_clean(cache, finished, key, generation, result, context, asked_at: float) -> None:
    """Keeps an error-free answer with data under `key` and the generation read before it
    ran, and hands it to the requests waiting for it (the request path and the background
    refresh alike)."""
    if isinstance(result, StrawberryResult) and not result.errors and isinstance(result.data, dict):
        finished(
            cache.keep(
                key, generation, result.data, context.region_plan, _outcome(result), asked_at
            )
        )


def _outcome(result: ExecutionResult | StrawberryResult) -> str:
    """ok; user_error (invalid document or input, typed payload errors, not found); denied
    (authentication, permission, rate limit); error (unexpected, masked)."""
    if isinstance(result, CachedResult):
        return result.outcome
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


def _socket(context: Context) -> WebSocket:
    """The socket of a subscription's context (only sockets are watched and closed)."""
    if not isinstance(context.request, WebSocket):
        raise RuntimeError("not a WebSocket context")  # suppressed by the callers' close
    return context.request


def _close_revoked(context: Context) -> None:
    """From the revocation watch's task: the close runs as a task of its own."""

    async def close() -> None:
        with contextlib.suppress(RuntimeError, OSError):  # already closed
            await _socket(context).close(code=FORBIDDEN, reason="Token revoked")

    task = asyncio.get_running_loop().create_task(close())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


_closing: set[asyncio.Task] = set()


async def _close_on_expiry(context: Context, expires_at: float) -> None:
    """An access token is valid for minutes: a socket outliving it must log in again, so a
    logged-out or deactivated user's socket ends as their HTTP requests do."""
    await asyncio.sleep(max(0.0, expires_at - time.time()))
    with contextlib.suppress(RuntimeError, OSError):  # already closed
        await _socket(context).close(code=FORBIDDEN, reason="Token expired")


MAP_PROBLEM = "map: {problem}"


def _place_files(operations: object, files_map: object, files) -> dict:
    """The multipart request's operations with each file at the paths `map` names
    (graphql-multipart-request-spec): every problem a 400 that names it."""
    if not isinstance(files_map, dict):
        raise RequestRefused(400, MAP_PROBLEM.format(problem="harus berupa objek JSON."))
    if not isinstance(operations, dict):
        raise RequestRefused(400, BODY_NOT_OBJECT)
    placed = copy.deepcopy(operations)
    for key, paths in files_map.items():
        if key not in files:
            problem = f"berkas {orjson.dumps(key[:100]).decode()} tidak ada dalam formulir."
            raise RequestRefused(400, MAP_PROBLEM.format(problem=problem))
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            problem = f"nilai {orjson.dumps(key[:100]).decode()} harus daftar path teks."
            raise RequestRefused(400, MAP_PROBLEM.format(problem=problem))
        for path in paths:
            _put(placed, path, files[key])
    return placed


def _put(operations: dict, path: str, file) -> None:
    shown = orjson.dumps(path[:200]).decode()
    keys = path.split(".")
    if len(keys) < 2 or keys[0] != "variables":
        raise RequestRefused(400, MAP_PROBLEM.format(problem=f"path {shown} harus di variables."))
    target: object = operations
    for position, key in enumerate(keys):
        last = position == len(keys) - 1
        if isinstance(target, dict) and key in target:
            if last:
                if target[key] is not None:
                    break
                target[key] = file
                return
            target = target[key]
        elif (
            isinstance(target, list) and key.isascii() and key.isdigit() and int(key) < len(target)
        ):
            if last:
                if target[int(key)] is not None:
                    break
                target[int(key)] = file
                return
            target = target[int(key)]
        else:
            break
    problem = f"path {shown} tidak menunjuk variabel bernilai null."
    raise RequestRefused(400, MAP_PROBLEM.format(problem=problem))
