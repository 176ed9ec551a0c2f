"""Did training help? For each completed assignment of a period: the evaluation that
triggered it (or, for a manual one, the employee's evaluation of that period) against the
employee's first evaluation finalised after completion. One statement for the period's
assignments; the figures come from the pure `rules.effect`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tortoise import connections

from kinerja_saas.auth.actor import Actor
from kinerja_saas.training import rules
from kinerja_saas.training.admin import require_admin
from tenants.context import current_tenant_id

PAIRS = """
SELECT a.id, p.id AS programme_id, p.title AS programme_title, t.id AS training_unit_id,
    t.name AS training_unit_name, b.predikat AS before_predikat,
    b.achievement AS before_achievement, n.predikat AS after_predikat,
    n.achievement AS after_achievement
FROM training_assignments a
JOIN training_programmes p ON p.tenant_id = $1 AND p.id = a.programme_id
JOIN training_units t ON t.tenant_id = $1 AND t.id = p.training_unit_id
LEFT JOIN LATERAL (
    SELECT e.id, e.predikat, e.achievement FROM evaluations e
    WHERE e.tenant_id = $1 AND e.employee_id = a.employee_id AND e.status = 'FINALISED'
        AND (e.id = a.evaluation_id OR (a.evaluation_id IS NULL AND e.period_id = a.period_id))
    ORDER BY (e.id = a.evaluation_id) IS TRUE DESC, (e.checkpoint_id IS NULL) DESC,
        e.finalised_at DESC LIMIT 1) b ON true
LEFT JOIN LATERAL (
    SELECT e.predikat, e.achievement FROM evaluations e
    WHERE e.tenant_id = $1 AND e.employee_id = a.employee_id AND e.status = 'FINALISED'
        AND e.finalised_at > a.completed_at AND e.id IS DISTINCT FROM b.id
    ORDER BY e.finalised_at, e.id LIMIT 1) n ON true
WHERE a.tenant_id = $1 AND a.period_id = $2 AND a.status = 'COMPLETED'
ORDER BY a.id
"""


class GroupBy(StrEnum):
    PROGRAMME = "PROGRAMME"
    UNIT = "UNIT"  # the training unit that ran it


@dataclass(frozen=True)
class Group:
    id: int | None  # None: the whole region
    name: str
    effect: rules.Effect


async def effectiveness(*, actor: Actor, period_id: int, group_by: GroupBy) -> list[Group]:
    """One group per programme (or training unit) with completed assignments, then the
    region's total."""
    require_admin(actor)
    rows = await connections.get("default").execute_query_dict(
        PAIRS, [current_tenant_id(), period_id]
    )
    key, name = (
        ("programme_id", "programme_title")
        if group_by is GroupBy.PROGRAMME
        else ("training_unit_id", "training_unit_name")
    )
    groups: dict[int, list[dict]] = {}
    names: dict[int, str] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
        names[row[key]] = row[name]

    def figures(members: list[dict]) -> rules.Effect:
        return rules.effect(
            (
                (
                    r["before_predikat"],
                    r["after_predikat"],
                    r["before_achievement"],
                    r["after_achievement"],
                )
                for r in members
                if r["after_predikat"] is not None
            ),
            completed=len(members),
        )

    result = [Group(g, names[g], figures(m)) for g, m in sorted(groups.items())]
    return [*result, Group(None, "Total", figures(rows))]
