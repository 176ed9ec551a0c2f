"""The /graphql endpoint: authenticates the request into the context."""

from __future__ import annotations

import re
import uuid

import orjson
from redis.asyncio import Redis
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from kinerja_saas.auth.tokens import decode_access
from kinerja_saas.errors import AuthenticationFailed
from kinerja_saas.settings import Settings
from schema.context import Context
from schema.schema import build_schema

REGION_HEADER = "x-region"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # echoed into logs and the audit log


class KinerjaGraphQL(GraphQL):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.show_graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # Uploads (importEmployees). Browsers cannot send a cross-site multipart request
            # with an Authorization header without a CORS preflight, so no CSRF opening.
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        # Rate limits of the public survey endpoints; connects on first use.
        self.redis = Redis.from_url(settings.redis_url) if settings.redis_url else None

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def get_context(self, request, response) -> Context:
        given = request.headers.get("x-request-id", "")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        context = Context(
            request=request,
            response=response,
            settings=self.settings,
            request_id=request_id,
            redis=self.redis,
        )
        header = request.headers.get("authorization")
        if not header:
            return context
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthenticationFailed(
                    "Use 'Authorization: Bearer <token>'.", code="TOKEN_INVALID"
                )
            actor = decode_access(token.strip(), self.settings.jwt_secret or "")
            context.actor = actor.__class__(
                **{**{f: getattr(actor, f) for f in actor.__slots__}, "request_id": request_id}
            )
        except AuthenticationFailed as exc:
            context.auth_error = exc
            return context
        region = request.headers.get(REGION_HEADER)
        if region:
            await self._check_region_header(context, region.strip().lower())
        return context

    async def _check_region_header(self, context: Context, slug: str) -> None:
        """A frontend of region B names its region; a token of region A is refused there."""
        from tenants.models import Tenant

        tenant = await Tenant.get_or_none(slug=slug)
        if context.actor and (tenant is None or tenant.id != context.actor.tenant_id):
            context.auth_error = AuthenticationFailed(
                "This token belongs to another region.", code="REGION_MISMATCH"
            )
            context.actor = None
