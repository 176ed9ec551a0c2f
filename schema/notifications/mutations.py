"""notifications: the Mutation fields, their inputs and payloads."""

from __future__ import annotations

from typing import Any

import strawberry

from kinerja_saas.auth.actor import Actor
from kinerja_saas.notifications import inbox, webhooks
from kinerja_saas.notifications.announcements import send_announcement
from kinerja_saas.notifications.models import Channel as _Channel
from schema.errors import optional_id, parse_id
from schema.notifications.types import (
    NotificationChannel,
    NotificationPreferences,
    NotificationText,
    WebhookDelivery,
    WebhookEndpoint,
    preferences_of,
    text_of,
)
from schema.payloads import mutate, payload


@payload
class MarkReadPayload:
    updated: int = 0
    unread_count: int = 0


@payload
class NotificationPreferencesPayload:
    preferences: NotificationPreferences | None


@payload
class NotificationTextPayload:
    text: NotificationText | None


@payload
class AnnouncementPayload:
    queued: bool = strawberry.field(
        default=False, description="Written; the recipients are notified in the background"
    )


@strawberry.input
class AnnouncementInput:
    title: str
    body: str
    unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="The unit and its sub-units; none: the whole region"
    )


@strawberry.input
class ChannelChoiceInput:
    kind: str
    channel: NotificationChannel
    enabled: bool


@strawberry.input(description="Only what is given changes.")
class NotificationPreferencesInput:
    preferences: list[ChannelChoiceInput] = strawberry.field(default_factory=list)
    email_digest: bool | None = None


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Marks the user's own notifications read; all or none.")
    async def mark_notifications_read(
        self, info: strawberry.Info, ids: list[strawberry.ID]
    ) -> MarkReadPayload:
        actor = info.context.require_region_actor()

        async def body() -> int:
            return await inbox.mark_read(actor=actor, ids=[parse_id(i, "ids") for i in ids])

        async def unread() -> dict[str, Any]:  # refused or not, the badge's count
            return {"unread_count": await inbox.unread_count(actor=actor)}

        async def counts(updated: int) -> dict[str, Any]:
            return {"updated": updated, **await unread()}

        return await mutate(MarkReadPayload, body, counts, when_refused=lambda _refusal: unread())

    @strawberry.mutation
    async def mark_all_notifications_read(self, info: strawberry.Info) -> MarkReadPayload:
        actor = info.context.require_region_actor()
        updated = await inbox.mark_all_read(actor=actor)
        return MarkReadPayload(updated=updated, unread_count=0)

    @strawberry.mutation
    async def set_notification_preferences(
        self, info: strawberry.Info, input: NotificationPreferencesInput
    ) -> NotificationPreferencesPayload:
        actor = info.context.require_region_actor()
        choices = [
            inbox.ChannelChoice(kind=c.kind, channel=_Channel(c.channel.value), enabled=c.enabled)
            for c in input.preferences
        ]

        async def body() -> Actor:
            await inbox.set_preferences(
                actor=actor, choices=choices, email_digest=input.email_digest
            )
            return actor

        return await mutate(NotificationPreferencesPayload, body, preferences_of)

    @strawberry.mutation(description="Region admins: the region's own text for a kind.")
    async def set_notification_text(
        self, info: strawberry.Info, kind: str, title: str, body: str
    ) -> NotificationTextPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            NotificationTextPayload,
            lambda: inbox.set_region_text(actor=actor, kind_name=kind, title=title, body=body),
            text_of,
        )

    @strawberry.mutation(
        description="Region admins: an announcement to a unit and its sub-units, or to all."
    )
    async def send_announcement(
        self, info: strawberry.Info, input: AnnouncementInput
    ) -> AnnouncementPayload:
        actor = info.context.require_region_actor()

        async def body() -> bool:
            await send_announcement(
                actor=actor,
                title=input.title,
                body=input.body,
                unit_id=parse_id(input.unit_id, "unitId"),
            )
            return True

        return await mutate(AnnouncementPayload, body)

    @strawberry.mutation(description="Region admins: back to the built-in text.")
    async def reset_notification_text(
        self, info: strawberry.Info, kind: str
    ) -> NotificationTextPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            NotificationTextPayload,
            lambda: inbox.reset_region_text(actor=actor, kind_name=kind),
            text_of,
        )


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


@payload
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None


@payload
class WebhookSecretPayload:
    endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(
        default=None,
        description="Signs every POST (X-Kinerja-Signature). Shown only now: store it safely.",
    )


@payload
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None


@payload
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None


def _given(value: Any) -> Any:
    return webhooks.UNSET if value is strawberry.UNSET else value


def _with_secret(result: tuple[Any, str]) -> dict[str, Any]:
    endpoint, secret = result
    return {"endpoint": WebhookEndpoint.of(endpoint), "secret": secret}


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Region admin: a new endpoint; its secret is shown once.")
    async def create_webhook_endpoint(
        self, info: strawberry.Info, input: CreateWebhookEndpointInput
    ) -> WebhookSecretPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            WebhookSecretPayload,
            lambda: webhooks.create_endpoint(
                actor=actor,
                name=input.name,
                url=input.url,
                kinds=input.kinds,
                allow_private=info.context.settings.webhook_private_urls_allowed,
            ),
            _with_secret,
        )

    @strawberry.mutation(description="Region admin: rename, re-point, (de)activate an endpoint.")
    async def update_webhook_endpoint(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            WebhookEndpointPayload,
            lambda: webhooks.update_endpoint(
                actor=actor,
                endpoint_id=parse_id(id, "id"),
                allow_private=info.context.settings.webhook_private_urls_allowed,
                name=_given(input.name),
                url=_given(input.url),
                kinds=_given(input.kinds),
                is_active=_given(input.is_active),
            ),
            WebhookEndpoint.of,
        )

    @strawberry.mutation(
        description="Region admin: a new secret, in force at once; the old one stops signing."
    )
    async def rotate_webhook_secret(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> WebhookSecretPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            WebhookSecretPayload,
            lambda: webhooks.rotate_secret(actor=actor, endpoint_id=parse_id(id, "id")),
            _with_secret,
        )

    @strawberry.mutation(
        description="Region admin: delete an endpoint and its delivery log (isActive: false "
        "keeps the log)."
    )
    async def delete_webhook_endpoint(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> DeleteWebhookEndpointPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            DeleteWebhookEndpointPayload,
            lambda: webhooks.delete_endpoint(actor=actor, endpoint_id=parse_id(id, "id")),
            optional_id,
        )

    @strawberry.mutation(
        description="Region admin: send a SENT, FAILED or DEAD delivery again, with a new "
        "round of attempts (the attempt count goes on)."
    )
    async def redeliver_webhook(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> WebhookDeliveryPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            WebhookDeliveryPayload,
            lambda: webhooks.redeliver(actor=actor, delivery_id=parse_id(id, "id")),
            WebhookDelivery.of,
        )
