"""Did training help? For each completed assignment of a period: the evaluation that
triggered it (or, for a manual one, the employee's evaluation of that period) against the
employee's first evaluation finalised after completion. The pairs are a read model
(`training_effect_pairs`, migration 0036); one statement counts them per group in SQL, and
`rules.effect_of_counts` gives the figures the pure `rules.effect` would (a test holds
them equal on random pairs)."""

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
    region's total: counted in SQL over the read model of the pairs (one statement)."""
    require_admin(actor)
    rows = await queries.effect_counts(
        period_id,
        by_programme=group_by is GroupBy.PROGRAMME,
        predikat_order=rules.PREDIKAT_ORDER,
    )
    if not rows:
        return [Group(None, "Total", rules.effect((), completed=0))]
    return [
        Group(
            r["id"],
            r["name"] if r["id"] is not None else "Total",
            rules.effect_of_counts(
                completed=r["completed"],
                followed_up=r["followed_up"],
                improved=r["improved"],
                unchanged=r["unchanged"],
                worsened=r["worsened"],
                delta_sum=r["delta_sum"],
                deltas=r["deltas"],
            ),
        )
        for r in rows
    ]
