"""Notifications: the in-app inbox, preferences, the region's notification texts, announcements,
webhooks (endpoints, secrets, the delivery log) and the live subscription.

The types; queries.py and mutations.py hold the root fields."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias

import strawberry
from strawberry.scalars import JSON

from kinerja_saas.notifications import inbox, webhooks
from kinerja_saas.notifications.models import Channel as _Channel
from schema.errors import optional_id
from schema.pagination import PageInfo

if TYPE_CHECKING:
    from kinerja_saas.notifications.models import Notification as NotificationModel

NotificationChannel: TypeAlias = _Channel
strawberry.enum(NotificationChannel, name="NotificationChannel")


@strawberry.type(description="One in-app notification of the signed-in user.")
class Notification:
    id: strawberry.ID
    kind: str = strawberry.field(description="See notificationPreferences for the kinds")
    title: str
    body: str
    link: str | None = strawberry.field(description="Route in the frontend, e.g. /skp/12")
    created_at: datetime
    read_at: datetime | None

    @strawberry.field
    def is_read(self) -> bool:
        return self.read_at is not None

    @classmethod
    def of(cls, n: NotificationModel) -> Notification:
        return cls(
            id=strawberry.ID(str(n.id)),
            kind=n.kind,
            title=n.title,
            body=n.body,
            link=n.link,
            created_at=n.created_at,
            read_at=n.read_at,
        )


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo


@strawberry.type
class ChannelPreference:
    channel: NotificationChannel
    enabled: bool
    is_default: bool = strawberry.field(description="False when the user chose it")


@strawberry.type
class KindPreference:
    kind: str
    description: str
    channels: list[ChannelPreference]


@strawberry.type
class NotificationPreferences:
    kinds: list[KindPreference]
    email_digest: bool = strawberry.field(
        description="One daily digest e-mail instead of one e-mail per notification"
    )


@strawberry.type(description="A notification kind's text in this region (Bahasa Indonesia).")
class NotificationText:
    kind: str
    title: str
    body: str
    default_title: str
    default_body: str
    overridden: bool
    variables: list[str] = strawberry.field(description="Placeholders usable as {name}")


def text_of(t: inbox.KindTexts) -> NotificationText:
    return NotificationText(
        kind=t.kind.name,
        title=t.title,
        body=t.body,
        default_title=t.kind.title,
        default_body=t.kind.body,
        overridden=t.override is not None,
        variables=list(t.kind.variables),
    )


async def preferences_of(actor) -> NotificationPreferences:
    kinds, digest = await inbox.preferences(actor=actor)
    return NotificationPreferences(
        kinds=[
            KindPreference(
                kind=k.kind.name,
                description=k.kind.description,
                channels=[
                    ChannelPreference(channel=ch, enabled=enabled, is_default=ch not in k.chosen)
                    for ch, enabled in k.enabled.items()
                ],
            )
            for k in kinds
        ],
        email_digest=digest,
    )


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
            body=JSON(d.body),
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
