"""Webhooks for the region admin: endpoints, their secrets, the delivery log, redelivery."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from kinerja_saas.notifications import webhooks
from kinerja_saas.notifications.models import DeliveryStatus
from schema.errors import UserError, optional_id, parse_id, run_mutation
from schema.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size


@strawberry.enum(description="Where a webhook delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    DEAD = "DEAD"


_STATUS_DESCRIPTION = (
    "PENDING: waiting for its (next) attempt; SENDING: being sent; SENT: answered 2xx; "
    "FAILED: refused (4xx other than 408/429, a redirect, or the endpoint was inactive), not "
    "retried; DEAD: no success after the last attempt. FAILED, DEAD and SENT can be redelivered."
)


@strawberry.type(description="A URL that receives the region's notifications as signed POSTs.")
class WebhookEndpoint:
    id: strawberry.ID
    name: str
    url: str
    kinds: list[str] = strawberry.field(
        description="Notification kinds sent to it; empty: every kind"
    )
    is_active: bool
    training_unit_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: Any) -> WebhookEndpoint:
        """From the model or the log's EndpointInfo; the secret is never read."""
        return cls(
            id=strawberry.ID(str(e.id)),
            name=e.name,
            url=e.url,
            kinds=list(e.kinds or []),
            is_active=e.is_active,
            training_unit_id=optional_id(e.training_unit_id),
            created_at=e.created_at,
            updated_at=e.updated_at,
        )


@strawberry.type(description="One event's POST to one endpoint, with its latest outcome.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Also the body's id and X-Kinerja-Delivery")
    event_id: strawberry.ID
    kind: str
    status: WebhookDeliveryStatus = strawberry.field(description=_STATUS_DESCRIPTION)
    attempts: int = strawberry.field(description="Attempts made, over every (re)delivery")
    next_attempt_at: datetime | None
    last_error: str | None = strawberry.field(description="The latest failure, shortened")
    response_status: int | None = strawberry.field(description="HTTP status of the latest answer")
    sent_at: datetime | None = strawberry.field(description="When it was last answered 2xx")
    created_at: datetime
    updated_at: datetime
    body: JSON = strawberry.field(description="The JSON body POSTed (see docs/webhooks.md)")
    endpoint: WebhookEndpoint

    @classmethod
    def of(cls, d: webhooks.DeliveryRow) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(str(d.id)),
            event_id=strawberry.ID(str(d.event_id)),
            kind=d.kind,
            status=WebhookDeliveryStatus(d.status.value),
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_error=d.last_error,
            response_status=d.response_status,
            sent_at=d.sent_at,
            created_at=d.created_at,
            updated_at=d.updated_at,
            body=d.body,
            endpoint=WebhookEndpoint.of(d.endpoint),
        )


@strawberry.type
class WebhookDeliveryEdge:
    cursor: str
    node: WebhookDelivery


@strawberry.type
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge]
    page_info: PageInfo


@strawberry.input
class WebhookDeliveryFilter:
    endpoint_id: strawberry.ID | None = None
    status: WebhookDeliveryStatus | None = None
    kind: str | None = None


@strawberry.input
class CreateWebhookEndpointInput:
    name: str
    url: str = strawberry.field(description="http(s); in production it must reach a public address")
    kinds: list[str] = strawberry.field(
        default_factory=list, description="Notification kinds to send; empty: every kind"
    )


@strawberry.input(description="Only the fields given are changed.")
class UpdateWebhookEndpointInput:
    name: str | None = strawberry.UNSET
    url: str | None = strawberry.UNSET
    kinds: list[str] | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookSecretPayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="Signs every POST (X-Kinerja-Signature). Shown only now: store it safely.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _given(value: Any) -> Any:
    return webhooks.UNSET if value is strawberry.UNSET else value


_ORDER = "webhook-deliveries-newest"  # the cursor's ordering


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Region admin: the region's webhook endpoints.")
    async def webhook_endpoints(self, info: strawberry.Info) -> list[WebhookEndpoint]:
        actor = info.context.require_region_actor()
        return [WebhookEndpoint.of(e) for e in await webhooks.list_endpoints(actor=actor)]

    @strawberry.field(description="Region admin: the webhook delivery log, newest first.")
    async def webhook_deliveries(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: WebhookDeliveryFilter | None = None,
    ) -> WebhookDeliveryConnection:
        actor = info.context.require_region_actor()
        limit = page_size(first, info.context.settings.max_page_size)
        before = decode_cursor(after, _ORDER)[1] if after else None
        f = filter or WebhookDeliveryFilter()
        rows = await webhooks.list_deliveries(
            actor=actor,
            limit=limit,
            before_id=before,
            endpoint_id=parse_id(f.endpoint_id, "filter.endpointId"),
            status=DeliveryStatus(f.status.value) if f.status else None,
            kind=f.kind,
        )
        edges = [
            WebhookDeliveryEdge(
                cursor=encode_cursor(None, d.id, _ORDER), node=WebhookDelivery.of(d)
            )
            for d in rows[:limit]
        ]
        return WebhookDeliveryConnection(
            edges=edges, page_info=page_info(edges, has_next=len(rows) > limit, after=after)
        )


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Region admin: a new endpoint; its secret is shown once.")
    async def create_webhook_endpoint(
        self, info: strawberry.Info, input: CreateWebhookEndpointInput
    ) -> WebhookSecretPayload:
        actor = info.context.require_region_actor()
        result, errors = await run_mutation(
            lambda: webhooks.create_endpoint(
                actor=actor,
                name=input.name,
                url=input.url,
                kinds=input.kinds,
                allow_private=info.context.settings.webhook_private_urls_allowed,
            )
        )
        if result is None:
            return WebhookSecretPayload(errors=errors)
        endpoint, secret = result
        return WebhookSecretPayload(endpoint=WebhookEndpoint.of(endpoint), secret=secret)

    @strawberry.mutation(description="Region admin: rename, re-point, (de)activate an endpoint.")
    async def update_webhook_endpoint(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        actor = info.context.require_region_actor()
        endpoint, errors = await run_mutation(
            lambda: webhooks.update_endpoint(
                actor=actor,
                endpoint_id=parse_id(id, "id"),
                allow_private=info.context.settings.webhook_private_urls_allowed,
                name=_given(input.name),
                url=_given(input.url),
                kinds=_given(input.kinds),
                is_active=_given(input.is_active),
            )
        )
        return WebhookEndpointPayload(
            endpoint=WebhookEndpoint.of(endpoint) if endpoint else None, errors=errors
        )

    @strawberry.mutation(
        description="Region admin: a new secret, in force at once; the old one stops signing."
    )
    async def rotate_webhook_secret(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> WebhookSecretPayload:
        actor = info.context.require_region_actor()
        result, errors = await run_mutation(
            lambda: webhooks.rotate_secret(actor=actor, endpoint_id=parse_id(id, "id"))
        )
        if result is None:
            return WebhookSecretPayload(errors=errors)
        endpoint, secret = result
        return WebhookSecretPayload(endpoint=WebhookEndpoint.of(endpoint), secret=secret)

    @strawberry.mutation(
        description="Region admin: delete an endpoint and its delivery log (isActive: false "
        "keeps the log)."
    )
    async def delete_webhook_endpoint(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> DeleteWebhookEndpointPayload:
        actor = info.context.require_region_actor()
        deleted, errors = await run_mutation(
            lambda: webhooks.delete_endpoint(actor=actor, endpoint_id=parse_id(id, "id"))
        )
        return DeleteWebhookEndpointPayload(deleted_id=optional_id(deleted), errors=errors)

    @strawberry.mutation(
        description="Region admin: send a SENT, FAILED or DEAD delivery again, with a new "
        "round of attempts (the attempt count goes on)."
    )
    async def redeliver_webhook(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> WebhookDeliveryPayload:
        actor = info.context.require_region_actor()
        delivery, errors = await run_mutation(
            lambda: webhooks.redeliver(actor=actor, delivery_id=parse_id(id, "id"))
        )
        return WebhookDeliveryPayload(
            delivery=WebhookDelivery.of(delivery) if delivery else None, errors=errors
        )
