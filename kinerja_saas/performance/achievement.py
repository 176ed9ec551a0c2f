"""Achievement (capaian) computed in SQL, with the same rule as rules.achievement (the SQL
function kinerja_achievement, migration 0011; a test holds the two equal), so that one
plan or five thousand cost one statement.

An indicator's value at a checkpoint is its realisation there; "to date" is its latest
realisation. A rejected realisation does not count, and a missing one counts as 0%."""

from __future__ import annotations

from decimal import Decimal

from tortoise import connections

from kinerja_saas.regions.region_settings import with_defaults
from tenants.context import current_tenant_id
from tenants.models import Tenant

# Per-indicator value: at the checkpoint $cp when given, else the latest. Expects the
# indicator as `i`, the tenant as $1; `{checkpoint}` is filled with a parameter or NULL.
INDICATOR_VALUE = """LEFT JOIN LATERAL (
    SELECT r.value FROM realisations r JOIN checkpoints c
        ON c.tenant_id = r.tenant_id AND c.id = r.checkpoint_id
    WHERE r.tenant_id = $1 AND r.indicator_id = i.id AND r.status <> 'REJECTED'
        AND ({checkpoint}::bigint IS NULL OR r.checkpoint_id = {checkpoint}::bigint)
    ORDER BY c.number DESC LIMIT 1) r ON true"""

INDICATOR_ACHIEVEMENT = (
    "CASE WHEN r.value IS NULL THEN 0"
    " ELSE kinerja_achievement(i.target, r.value, i.direction, {cap}) END"
)


async def achievement_cap() -> Decimal:
    tenant = await Tenant.get(id=current_tenant_id())
    return Decimal(str(with_defaults(tenant.settings)["performance"]["achievement_cap"]))


async def plan_achievements(
    plan_ids: list[int], *, checkpoint_id: int | None, cap: Decimal
) -> dict[int, Decimal]:
    """Weighted achievement per plan (%), at a checkpoint or to date."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT i.plan_id, round(sum(x.a * i.weight) / sum(i.weight), 2) AS achievement"
        " FROM indicators i "
        + INDICATOR_VALUE.format(checkpoint="$3")
        + " CROSS JOIN LATERAL (SELECT "
        + INDICATOR_ACHIEVEMENT.format(cap="$4")
        + " AS a) x WHERE i.tenant_id = $1 AND i.plan_id = ANY($2::bigint[]) GROUP BY i.plan_id",
        [current_tenant_id(), plan_ids, checkpoint_id, cap],
    )
    return {r["plan_id"]: r["achievement"] for r in rows}


async def indicator_achievements(
    plan_id: int, *, checkpoint_id: int | None, cap: Decimal
) -> dict[int, Decimal]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT i.id, "
        + INDICATOR_ACHIEVEMENT.format(cap="$4")
        + " AS a FROM indicators i "
        + INDICATOR_VALUE.format(checkpoint="$3")
        + " WHERE i.tenant_id = $1 AND i.plan_id = $2",
        [current_tenant_id(), plan_id, checkpoint_id, cap],
    )
    return {r["id"]: r["a"] for r in rows}
