"""notifications: the Query fields and their arguments (filters, orderings)."""

from __future__ import annotations

import strawberry

from kinerja_saas.notifications import inbox, webhooks
from kinerja_saas.notifications.models import DeliveryStatus
from schema.errors import parse_id
from schema.notifications.types import (
    Notification,
    NotificationConnection,
    NotificationEdge,
    NotificationPreferences,
    NotificationText,
    WebhookDelivery,
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    preferences_of,
    text_of,
)
from schema.pagination import decode_cursor, encode_cursor, page_info, page_size

_ORDER = "notifications-newest"  # the cursor's ordering


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="The signed-in user's notifications, newest first.")
    async def my_notifications(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool = False,
    ) -> NotificationConnection:
        actor = info.context.require_region_actor()
        limit = page_size(first, info.context.settings.max_page_size)
        before = decode_cursor(after, _ORDER)[1] if after else None
        rows = await inbox.list_notifications(
            actor=actor, unread_only=unread_only, limit=limit, before_id=before
        )
        edges = [
            NotificationEdge(cursor=encode_cursor(None, n.id, _ORDER), node=Notification.of(n))
            for n in rows[:limit]
        ]
        return NotificationConnection(
            edges=edges, page_info=page_info(edges, has_next=len(rows) > limit, after=after)
        )

    @strawberry.field
    async def unread_notification_count(self, info: strawberry.Info) -> int:
        return await inbox.unread_count(actor=info.context.require_region_actor())

    @strawberry.field(description="Every kind with the user's channels (or their defaults).")
    async def notification_preferences(self, info: strawberry.Info) -> NotificationPreferences:
        return await preferences_of(info.context.require_region_actor())

    @strawberry.field(description="Region admins: each kind's text, the region's or built-in.")
    async def notification_texts(self, info: strawberry.Info) -> list[NotificationText]:
        return [
            text_of(t) for t in await inbox.region_texts(actor=info.context.require_region_actor())
        ]


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


@strawberry.input
class WebhookDeliveryFilter:
    endpoint_id: strawberry.ID | None = None
    status: WebhookDeliveryStatus | None = None
    kind: str | None = None
