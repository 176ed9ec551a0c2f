"""`notificationReceived`: the signed-in user's new in-app notifications, as they are stored.

Never holds a transaction while it waits (DESIGN §9): each delivery loads its row in its own
short tenant transaction, as the subscriber, and yields only after that transaction ended.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from kinerja_saas.auth.actor import Actor
from kinerja_saas.errors import DomainError
from kinerja_saas.notifications import inbox
from kinerja_saas.notifications.live import NewNotification
from kinerja_saas.notifications.models import Notification as NotificationModel
from schema.notifications import Notification
from tenants.context import tenant_transaction

DESCRIPTION = """Each new in-app notification of the signed-in user, as soon as it is stored.

Over WebSocket at /graphql with the `graphql-transport-ws` subprotocol only. Authenticate in
`connection_init`: `{"authorization": "Bearer <accessToken>"}`; a missing, invalid or expired
token, a platform operator's token or a suspended region's token closes the socket with 4403.
The server closes the socket with 4403 when the access token expires: reconnect with a fresh
one (graphql-ws clients retry on 4403 and call `connectionParams` again). Notifications
published while a client was away are not replayed: read them with `myNotifications`."""


class LiveUnavailable(DomainError):
    code = "LIVE_UNAVAILABLE"


async def _load(actor: Actor, item: NewNotification) -> NotificationModel | None:
    """The row if it is this user's own, of this region, of the announced event."""
    async with tenant_transaction(actor.tenant_id):
        row = await inbox.get_notification(actor=actor, notification_id=item.notification_id)
    return row if row is not None and row.event_id == item.event_id else None


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(description=DESCRIPTION)
    async def notification_received(
        self, info: strawberry.Info
    ) -> AsyncGenerator[Notification, None]:
        actor = info.context.require_region_actor()
        hub = info.context.live_hub
        if hub is None:
            raise LiveUnavailable("Live notifications are not available on this server.")
        with hub.subscribe(actor.tenant_id, actor.user_id) as feed:
            while True:
                row = await _load(actor, await feed.get())
                if row is not None:
                    yield Notification.of(row)
