"""`notificationReceived`: the signed-in user's new in-app notifications, as they are stored.

Never holds a transaction while it waits (DESIGN §9): the rows announced by one message are
loaded in one short tenant transaction for all of the process's subscribers woken by it, each
subscriber keeps only its own user's row, and yields only after that transaction ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import strawberry

from kinerja_saas.auth.actor import Actor
from kinerja_saas.errors import DomainError
from kinerja_saas.notifications import inbox
from kinerja_saas.notifications.live import NewNotification
from schema.error_codes import ApiError
from schema.notifications.types import Notification
from tenants.context import tenant_transaction

if TYPE_CHECKING:
    from kinerja_saas.notifications.models import Notification as NotificationModel

DESCRIPTION = """Each new in-app notification of the signed-in user, as soon as it is stored.

Over WebSocket at /graphql with the `graphql-transport-ws` subprotocol only. Authenticate in
`connection_init`: `{"authorization": "Bearer <accessToken>"}`; a missing, invalid or expired
token, a platform operator's token or a suspended region's token closes the socket with 4403.
The server closes the socket with 4403 when the access token expires, and within seconds when
it is revoked (logout, logoutEverywhere, password change, deactivation): reconnect with a fresh
one (graphql-ws clients retry on 4403 and call `connectionParams` again). Notifications
published while a client was away are not replayed: read them with `myNotifications`."""


class LiveUnavailable(DomainError):
    code = "LIVE_UNAVAILABLE"


class _RegionBatches:
    """Coalesces the loads of every subscriber woken by the same message into one statement
    per region: a region-wide event wakes all of a process's subscribers in the same loop
    turn, and one short transaction for all of them beats one each on a pool of 20."""

    def __init__(self) -> None:
        self._pending: dict[int, dict[int, list[asyncio.Future]]] = {}

    async def load(self, tenant_id: int, notification_id: int) -> NotificationModel | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        waiting = self._pending.setdefault(tenant_id, {})
        if not waiting:  # the first of this turn: flush once the others have queued theirs
            loop.call_soon(lambda: asyncio.ensure_future(self._flush(tenant_id)))
        waiting.setdefault(notification_id, []).append(future)
        return await future

    async def _flush(self, tenant_id: int) -> None:
        batch = self._pending.pop(tenant_id, {})
        try:
            async with tenant_transaction(tenant_id):
                rows = await inbox.notifications_by_id(list(batch))
        except Exception as exc:  # e.g. the region was suspended: every waiter learns it
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            return
        for notification_id, futures in batch.items():
            for future in futures:
                if not future.done():
                    future.set_result(rows.get(notification_id))


_batches = _RegionBatches()


async def _load(actor: Actor, item: NewNotification) -> NotificationModel | None:
    """The row if it is this user's own, of this region, of the announced event."""
    if actor.tenant_id is None:  # a platform operator has no region's notifications
        return None
    row = await _batches.load(actor.tenant_id, item.notification_id)
    if row is None or row.user_id != actor.user_id or row.event_id != item.event_id:
        return None
    return row


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(description=DESCRIPTION)
    async def notification_received(
        self, info: strawberry.Info
    ) -> AsyncGenerator[Notification, None]:
        actor = info.context.require_region_actor()
        hub = info.context.live_hub
        if hub is None:
            raise LiveUnavailable(ApiError.LIVE_UNAVAILABLE)
        with hub.subscribe(actor.tenant_id, actor.user_id) as feed:
            while True:
                row = await _load(actor, await feed.get())
                if row is not None:
                    yield Notification.of(row)
