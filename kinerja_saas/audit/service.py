from __future__ import annotations

from typing import Any

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.actor import Actor
from tenants.context import current_tenant_id


def snapshot(model: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """A JSON-ready copy of the named fields of a model instance."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(model, name)
        out[name] = value.value if hasattr(value, "value") else value
    return out


async def record(
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Appends one entry in the current tenant transaction (rolled back with it)."""
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: before[k] for k in changed if k in before}
        after = {k: after[k] for k in changed}
    await AuditEntry.create(
        tenant_id=current_tenant_id(),
        actor_user_id=actor.user_id or None,
        actor=actor.label,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        request_id=actor.request_id,
    )
