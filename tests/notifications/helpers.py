"""Running the notification fan-out for a fixture region's events, as the worker does."""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis, create_pool

from kinerja_saas.auth.roles import Role
from kinerja_saas.notifications.models import Delivery, Notification
from kinerja_saas.outbox.catalogue import TOPICS
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.outbox.service import emit
from kinerja_saas.settings import Settings
from tenants.context import tenant_transaction
from workers.notifications.fanout import fan_out_notifications
from workers.queue import redis_settings
from workers.routing import ROUTES, kind_of


async def queue(settings) -> ArqRedis:
    return await create_pool(redis_settings(settings))


async def emit_event(region: Any, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    async with tenant_transaction(region.id):
        return await emit(TOPICS[topic], payload)


async def fan_out(
    pool: ArqRedis, region: Any, event: OutboxEvent, settings: Settings | None = None
) -> dict[str, int]:
    """The job body for one event, called as arq calls it."""
    if settings is None:  # the queue's own Redis, whose database names the live channels
        kw = pool.connection_pool.connection_kwargs
        url = f"redis://{kw.get('host', '127.0.0.1')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"
        settings = Settings(env="test", redis_url=url)
    return await fan_out_notifications(
        {"redis": pool, "settings": settings, "job_try": 1},
        region.id,
        event_id=event.id,
        topic=event.topic,
        payload=event.payload,
    )


async def fan_out_region(
    pool: ArqRedis, region: Any, *, after_event: int = 0, settings: Settings | None = None
) -> list[int]:
    """Every notifying event of the region after `after_event`; returns their ids."""
    async with tenant_transaction(region.id):
        events = await OutboxEvent.filter(
            tenant_id=region.id,
            id__gt=after_event,
            topic__in=[t for t in ROUTES if kind_of(t) is not None],
        ).order_by("id")
    for event in events:
        await fan_out(pool, region, event, settings)
    return [e.id for e in events]


async def inbox(region: Any, role: Role) -> list[Notification]:
    async with tenant_transaction(region.id):
        return await Notification.filter(
            tenant_id=region.id, user_id=region.accounts[role].id
        ).order_by("id")


async def notified_roles(region: Any, event_id: int) -> set[Role]:
    """The fixture logins (by role) that got an in-app notification of the event."""
    async with tenant_transaction(region.id):
        users = set(
            await Notification.filter(tenant_id=region.id, event_id=event_id).values_list(
                "user_id", flat=True
            )
        )
    return {role for role, account in region.accounts.items() if account.id in users}


async def emailed_roles(region: Any, event_id: int) -> dict[Role, str]:
    """Fixture logins (by role) with an e-mail delivery of the event, and its status."""
    async with tenant_transaction(region.id):
        rows = await Delivery.filter(tenant_id=region.id, event_id=event_id, channel="EMAIL")
    by_user = {d.user_id: d.status.value for d in rows}
    return {
        role: by_user[account.id]
        for role, account in region.accounts.items()
        if account.id in by_user
    }


async def fill_notification_tables(region: Any) -> None:
    """A row in every notification table of the region (for the isolation tests): an
    endpoint, a text override, preferences, and one event fanned out to in-app, e-mail and
    the webhook, by the services themselves (no queue needed)."""
    from kinerja_saas.notifications import fanout
    from kinerja_saas.notifications.inbox import ChannelChoice, set_preferences
    from kinerja_saas.notifications.models import Channel, NotificationTemplate, WebhookEndpoint

    user = region.accounts[Role.EMPLOYEE]
    actor = region.actor(Role.EMPLOYEE)
    async with tenant_transaction(region.id):
        await WebhookEndpoint.create(
            tenant_id=region.id, name="SIMPEG", url="https://simpeg.example/hook", secret="s"
        )
        await NotificationTemplate.create(
            tenant_id=region.id, kind="PLAN_APPROVED", title="SKP {nama}", body="Disetujui."
        )
        await set_preferences(
            actor=actor,
            choices=[ChannelChoice("DIALOG_NOTE", Channel.EMAIL, True)],
            email_digest=False,
        )
        event = await emit(
            TOPICS["performance.plan_approved"], {"plan_id": 1, "employee_id": user.employee_id}
        )
        kind = kind_of(event.topic)
        await fanout.queue_webhooks(
            kind=kind, event_id=event.id, topic=event.topic, payload=event.payload
        )
        await fanout.fan_out_chunk(
            kind=kind, event_id=event.id, payload=event.payload, after_user_id=0, batch_size=10
        )


async def webhook_endpoint(
    region: Any, url: str, *, kinds: tuple[str, ...] = (), active: bool = True, name: str = "hook"
) -> tuple[Any, str]:
    """An endpoint made by the region admin through the service; returns it and its secret."""
    from kinerja_saas.notifications import webhooks

    actor = region.actor(Role.REGION_ADMIN)
    async with tenant_transaction(region.id):
        endpoint, secret = await webhooks.create_endpoint(
            actor=actor, name=name, url=url, kinds=list(kinds), allow_private=True
        )
        if not active:
            endpoint = await webhooks.update_endpoint(
                actor=actor, endpoint_id=endpoint.id, allow_private=True, is_active=False
            )
    return endpoint, secret


async def queue_webhook_deliveries(region: Any, topic: str, payload: dict[str, Any]) -> list[int]:
    """Emits an event and queues its webhook deliveries (as the fan-out does), no jobs."""
    from kinerja_saas.notifications import fanout

    async with tenant_transaction(region.id):
        event = await emit(TOPICS[topic], payload)
        return await fanout.queue_webhooks(
            kind=kind_of(topic), event_id=event.id, topic=topic, payload=payload
        )
