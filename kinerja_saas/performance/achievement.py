"""Achievement (capaian) computed in SQL (performance/queries.py), with the same rule as rules.achievement (the SQL
function kinerja_achievement, migration 0011; a test holds the two equal), so that one
plan or five thousand cost one statement.

An indicator's value at a checkpoint is its realisation there; "to date" is its latest
realisation. A rejected realisation does not count, and a missing one counts as 0%."""

from __future__ import annotations

from decimal import Decimal

from kinerja_saas.performance.queries import (
    INDICATOR_ACHIEVEMENT as INDICATOR_ACHIEVEMENT,
)
from kinerja_saas.performance.queries import INDICATOR_VALUE as INDICATOR_VALUE
from kinerja_saas.performance.queries import current_values as current_values
from kinerja_saas.performance.queries import indicator_achievements as indicator_achievements
from kinerja_saas.performance.queries import indicator_evidence as indicator_evidence
from kinerja_saas.performance.queries import plan_achievements as plan_achievements
from kinerja_saas.performance.queries import (
    result_indicator_achievements as result_indicator_achievements,
)
from kinerja_saas.regions.settings import current_settings


async def achievement_cap() -> Decimal:
    return Decimal(str((await current_settings()).performance.achievement_cap))
