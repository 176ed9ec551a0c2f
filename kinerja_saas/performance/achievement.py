"""Achievement (capaian) computed in SQL (performance/queries.py), with the same rule as rules.achievement (the SQL
function kinerja_achievement, migration 0011; a test holds the two equal), so that one
plan or five thousand cost one statement.

An indicator's value at a checkpoint is its realisation there; "to date" is its latest
realisation (the sum of them for PER_PERIOD targets), each against the checkpoint's own
target when the indicator has periodic targets. A rejected realisation does not count; a
missing one counts as 0 % beside others, and a plan without any entry has no achievement
("no data", None). The SQL is in performance/queries.py (INDICATOR_VALUE,
INDICATOR_ACHIEVEMENT, PLAN_ACHIEVEMENT)."""

from __future__ import annotations

from decimal import Decimal

from kinerja_saas.performance.queries import (
    INDICATOR_ACHIEVEMENT as INDICATOR_ACHIEVEMENT,
)
from kinerja_saas.performance.queries import INDICATOR_VALUE as INDICATOR_VALUE
from kinerja_saas.performance.queries import (
    checkpoint_achievements as checkpoint_achievements,
)
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
