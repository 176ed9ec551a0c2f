"""A user's in-app notifications, their preferences per kind and channel, and the region's
own texts. A user only ever reads or marks their own notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.db import scoped
from kinerja_saas.errors import (
    CommonError,
    ErrorCollector,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from kinerja_saas.notifications import queries
from kinerja_saas.notifications.errors import NotificationError
from kinerja_saas.notifications.kinds import BY_NAME, KINDS, Kind
from kinerja_saas.notifications.models import (
    Channel,
    Notification,
    NotificationPreference,
    NotificationSettings,
    NotificationTemplate,
)
from kinerja_saas.notifications.rendering import template_problems

USER_CHANNELS = (Channel.IN_APP, Channel.EMAIL)  # webhooks belong to endpoints, not users
MAX_MARK = 500


def _user(actor: Actor) -> int:
    if not actor.user_id or actor.is_operator:
        raise PermissionDenied(CommonError.FORBIDDEN)
    return actor.user_id


# --- the inbox -------------------------------------------------------------------------------


async def list_notifications(
    *, actor: Actor, unread_only: bool, limit: int, before_id: int | None
) -> list[Notification]:
    """Newest first, keyset by id; one more row than asked tells whether more follow."""
    query = scoped(Notification).filter(user_id=_user(actor))
    if unread_only:
        query = query.filter(read_at=None)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit + 1)


async def unread_count(*, actor: Actor) -> int:
    return await scoped(Notification).filter(user_id=_user(actor), read_at=None).count()


async def get_notification(*, actor: Actor, notification_id: int) -> Notification | None:
    return await scoped(Notification).get_or_none(user_id=_user(actor), id=notification_id)


async def notifications_by_id(ids: list[int]) -> dict[int, Notification]:
    """Rows of the current region by id, for the live feed, which checks each row's owner
    itself (one statement for all the subscribers one message wakes)."""
    rows = await scoped(Notification).filter(id__in=ids)
    return {n.id: n for n in rows}


async def mark_read(*, actor: Actor, ids: list[int]) -> int:
    """Marks the given notifications read; any id that is not the user's own (another's, or
    unknown) refuses the whole call. Returns how many changed (already read ones do not)."""
    user_id = _user(actor)
    wanted = sorted(set(ids))
    errors = ErrorCollector()
    if not wanted:
        errors.add("ids", CommonError.REQUIRED)
    elif len(wanted) > MAX_MARK:
        errors.add("ids", CommonError.TOO_MANY, max=MAX_MARK)
    errors.raise_if_any()
    own = set(
        await scoped(Notification)
        .filter(user_id=user_id, id__in=wanted)
        .values_list("id", flat=True)
    )
    missing = [i for i in wanted if i not in own]
    if missing:
        raise NotFound(CommonError.NOT_FOUND, field="ids")
    return (
        await scoped(Notification)
        .filter(user_id=user_id, id__in=wanted, read_at=None)
        .update(read_at=datetime.now(UTC))
    )


async def mark_all_read(*, actor: Actor) -> int:
    return (
        await scoped(Notification)
        .filter(user_id=_user(actor), read_at=None)
        .update(read_at=datetime.now(UTC))
    )


# --- preferences -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelChoice:
    kind: str
    channel: Channel
    enabled: bool


@dataclass(frozen=True)
class KindPreferences:
    kind: Kind
    enabled: dict[Channel, bool]  # effective: the user's choice, else the default
    chosen: frozenset[Channel]  # channels the user set explicitly


async def preferences(*, actor: Actor) -> tuple[list[KindPreferences], bool]:
    """Every kind with its effective channels, and whether e-mail comes as a daily digest."""
    user_id = _user(actor)
    stored = {
        (p.kind, p.channel): p.enabled
        for p in await scoped(NotificationPreference).filter(user_id=user_id)
    }
    settings = await scoped(NotificationSettings).get_or_none(user_id=user_id)
    result = []
    for kind in KINDS:
        enabled = {
            ch: stored.get((kind.name, ch), kind.default_enabled(ch)) for ch in USER_CHANNELS
        }
        chosen = frozenset(ch for ch in USER_CHANNELS if (kind.name, ch) in stored)
        result.append(KindPreferences(kind=kind, enabled=enabled, chosen=chosen))
    return result, bool(settings and settings.email_digest)


async def set_preferences(
    *, actor: Actor, choices: list[ChannelChoice], email_digest: bool | None
) -> None:
    """Upserts the choices (all or nothing) and the digest setting."""
    user_id = _user(actor)
    errors = ErrorCollector()
    for n, choice in enumerate(choices):
        if choice.kind not in BY_NAME:
            errors.add(f"preferences[{n}].kind", NotificationError.UNKNOWN_KIND, kind=choice.kind)
        if choice.channel not in USER_CHANNELS:
            errors.add(f"preferences[{n}].channel", NotificationError.NOT_A_USER_CHANNEL)
    seen = set()
    for n, choice in enumerate(choices):
        key = (choice.kind, choice.channel)
        if key in seen:
            errors.add(f"preferences[{n}]", CommonError.DUPLICATE)
        seen.add(key)
    errors.raise_if_any()
    if choices:
        await queries.upsert_preferences(
            user_id=user_id,
            kinds=[c.kind for c in choices],
            channels=[c.channel.value for c in choices],
            enabled=[c.enabled for c in choices],
        )
    if email_digest is not None:
        await queries.upsert_email_digest(user_id=user_id, email_digest=email_digest)


# --- the region's texts ------------------------------------------------------------------------


@dataclass(frozen=True)
class KindTexts:
    kind: Kind
    override: NotificationTemplate | None

    @property
    def title(self) -> str:
        return self.override.title if self.override else self.kind.title

    @property
    def body(self) -> str:
        return self.override.body if self.override else self.kind.body


def _require_admin(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN)


async def region_texts(*, actor: Actor) -> list[KindTexts]:
    _require_admin(actor)
    overrides = {t.kind: t for t in await scoped(NotificationTemplate)}
    return [KindTexts(kind=k, override=overrides.get(k.name)) for k in KINDS]


def _kind(name: str) -> Kind:
    kind = BY_NAME.get(name)
    if kind is None:
        raise ValidationFailed.one("kind", NotificationError.UNKNOWN_KIND, kind=name)
    return kind


async def set_region_text(*, actor: Actor, kind_name: str, title: str, body: str) -> KindTexts:
    _require_admin(actor)
    kind = _kind(kind_name)
    problems = template_problems(kind, title=title, body=body)
    if problems:
        raise ValidationFailed(problems)
    await queries.upsert_region_text(kind=kind.name, title=title, body=body)
    await record(
        actor=actor,
        action="notification.template_set",
        entity="notification_template",
        entity_id=None,
        after={"kind": kind.name, "title": title},
    )
    return KindTexts(kind=kind, override=await scoped(NotificationTemplate).get(kind=kind.name))


async def reset_region_text(*, actor: Actor, kind_name: str) -> KindTexts:
    _require_admin(actor)
    kind = _kind(kind_name)
    deleted = await scoped(NotificationTemplate).filter(kind=kind.name).delete()
    if deleted:
        await record(
            actor=actor,
            action="notification.template_reset",
            entity="notification_template",
            entity_id=None,
            after={"kind": kind.name},
        )
    return KindTexts(kind=kind, override=None)
