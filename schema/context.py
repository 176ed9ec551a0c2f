from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.errors import AuthError
from kinerja_saas.errors import AuthenticationFailed, PermissionDenied
from kinerja_saas.ratelimit import client_ip
from kinerja_saas.settings import Settings
from schema.dataloaders import Loaders
from tenants.context import check_region

if TYPE_CHECKING:
    from kinerja_saas.admission import FairShare
    from kinerja_saas.notifications.live import LiveHub


@dataclass
class Context:
    request: Request | WebSocket | None
    response: Any
    settings: Settings
    request_id: str
    actor: Actor | None = None
    auth_error: AuthenticationFailed | None = None
    loaders: Loaders = field(default_factory=Loaders)
    # WebSocket connections: the connection_init payload, the process's live hub, and the
    # timer that closes the socket when the access token expires.
    connection_params: dict[str, Any] | None = None
    live_hub: LiveHub | None = None
    token_expiry: asyncio.Task | None = None
    revocation: Any = None  # the socket's registration with the revocation watch
    redis: Any = None  # the API's Redis client (rate limits of public endpoints)
    fair_share: FairShare | None = None  # per-region and per-user limits, region slots
    # The region a public field (survey code, region slug) bound this request to. On the
    # request, not in a contextvar: sibling root fields run as separate tasks.
    public_tenant_id: int | None = None
    region_plan: str | None = None  # the region's plan, read when the transaction opened
    # The request limits counted this request already (the response cache's look-up).
    request_counted: bool = False

    @property
    def client_ip(self) -> str:
        """The client's address, behind trusted proxies too (the runtime's
        ClientAddressMiddleware put it into the scope): what every per-IP limit counts."""
        return client_ip(self.request)

    def require_actor(self) -> Actor:
        """The request's actor, admitted only in a transaction of their own region (or
        platform scope for an operator): the second line behind the request's binding
        (tenants.context.Binding), so no field can act with one region's roles in another."""
        if self.actor is None:
            raise AuthenticationFailed(AuthError.UNAUTHENTICATED)
        check_region(self.actor.tenant_id)
        return self.actor

    def require_region_actor(self) -> Actor:
        """An actor acting inside a region (platform operators have none)."""
        actor = self.require_actor()
        if actor.tenant_id is None:
            raise PermissionDenied(AuthError.NO_REGION)
        return actor
