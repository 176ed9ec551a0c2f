"""In-app notifications, their preferences, and the region's notification texts."""

from __future__ import annotations

from datetime import datetime

import strawberry

from kinerja_saas.notifications import inbox
from kinerja_saas.notifications.announcements import send_announcement
from kinerja_saas.notifications.models import Channel as _Channel
from kinerja_saas.notifications.models import Notification as NotificationModel
from schema.errors import UserError, parse_id, run_mutation
from schema.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size

NotificationChannel = strawberry.enum(_Channel, name="NotificationChannel")


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


def _text(t: inbox.KindTexts) -> NotificationText:
    return NotificationText(
        kind=t.kind.name,
        title=t.title,
        body=t.body,
        default_title=t.kind.title,
        default_body=t.kind.body,
        overridden=t.override is not None,
        variables=list(t.kind.variables),
    )


@strawberry.type
class MarkReadPayload:
    updated: int = 0
    unread_count: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationPreferencesPayload:
    preferences: NotificationPreferences | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationTextPayload:
    text: NotificationText | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AnnouncementPayload:
    queued: bool = strawberry.field(
        default=False, description="Written; the recipients are notified in the background"
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


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


async def _preferences(actor) -> NotificationPreferences:
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
        return await _preferences(info.context.require_region_actor())

    @strawberry.field(description="Region admins: each kind's text, the region's or built-in.")
    async def notification_texts(self, info: strawberry.Info) -> list[NotificationText]:
        return [
            _text(t) for t in await inbox.region_texts(actor=info.context.require_region_actor())
        ]


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Marks the user's own notifications read; all or none.")
    async def mark_notifications_read(
        self, info: strawberry.Info, ids: list[strawberry.ID]
    ) -> MarkReadPayload:
        actor = info.context.require_region_actor()

        async def body() -> int:
            parsed = [parse_id(i, "ids") for i in ids]
            return await inbox.mark_read(actor=actor, ids=[i for i in parsed if i is not None])

        updated, errors = await run_mutation(body)
        return MarkReadPayload(
            updated=updated or 0,
            unread_count=await inbox.unread_count(actor=actor),
            errors=errors,
        )

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
        _, errors = await run_mutation(
            lambda: inbox.set_preferences(
                actor=actor, choices=choices, email_digest=input.email_digest
            )
        )
        if errors:
            return NotificationPreferencesPayload(errors=errors)
        return NotificationPreferencesPayload(preferences=await _preferences(actor))

    @strawberry.mutation(description="Region admins: the region's own text for a kind.")
    async def set_notification_text(
        self, info: strawberry.Info, kind: str, title: str, body: str
    ) -> NotificationTextPayload:
        actor = info.context.require_region_actor()
        text, errors = await run_mutation(
            lambda: inbox.set_region_text(actor=actor, kind_name=kind, title=title, body=body)
        )
        return NotificationTextPayload(text=_text(text) if text else None, errors=errors)

    @strawberry.mutation(
        description="Region admins: an announcement to a unit and its sub-units, or to all."
    )
    async def send_announcement(
        self, info: strawberry.Info, input: AnnouncementInput
    ) -> AnnouncementPayload:
        actor = info.context.require_region_actor()

        async def body() -> None:
            await send_announcement(
                actor=actor,
                title=input.title,
                body=input.body,
                unit_id=parse_id(input.unit_id, "unitId"),
            )

        _, errors = await run_mutation(body)
        return AnnouncementPayload(queued=not errors, errors=errors)

    @strawberry.mutation(description="Region admins: back to the built-in text.")
    async def reset_notification_text(
        self, info: strawberry.Info, kind: str
    ) -> NotificationTextPayload:
        actor = info.context.require_region_actor()
        text, errors = await run_mutation(
            lambda: inbox.reset_region_text(actor=actor, kind_name=kind)
        )
        return NotificationTextPayload(text=_text(text) if text else None, errors=errors)
