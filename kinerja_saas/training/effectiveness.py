"""Did training help? For each completed assignment of a period: the evaluation that
triggered it (or, for a manual one, the employee's evaluation of that period) against the
employee's first evaluation finalised after completion. One statement for the period's
assignments; the figures come from the pure `rules.effect`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kinerja_saas.auth.actor import Actor
from kinerja_saas.training import queries, rules
from kinerja_saas.training.admin import require_admin


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
    rows = await queries.effect_pairs(period_id)
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
