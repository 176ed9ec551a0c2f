"""Region plans: how much of the shared platform a region may use at once.

A region's plan (`tenants.plan`, set by a platform operator with `setRegionPlan`) picks its
request limits; `KINERJA_PLAN_LIMITS` overrides any of them per plan, e.g.
`{"LARGE": {"region_requests_per_minute": 30000}}`."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any


class RegionPlan(StrEnum):
    SMALL = "SMALL"  # a few hundred ASN
    STANDARD = "STANDARD"  # most kabupaten/kota
    LARGE = "LARGE"  # a provinsi or a big kota: tens of thousands of ASN


@dataclass(frozen=True, slots=True)
class PlanLimits:
    # GraphQL operations per minute of the whole region, and of one login in it.
    region_requests_per_minute: int
    user_requests_per_minute: int


# 2-core API processes serve a few hundred requests/s each: a LARGE region's rush may take
# ~200/s, a STANDARD one 50/s, and no login more than one dashboard refresh a second.
DEFAULT_PLAN_LIMITS: dict[RegionPlan, PlanLimits] = {
    RegionPlan.SMALL: PlanLimits(region_requests_per_minute=1200, user_requests_per_minute=240),
    RegionPlan.STANDARD: PlanLimits(region_requests_per_minute=3000, user_requests_per_minute=240),
    RegionPlan.LARGE: PlanLimits(region_requests_per_minute=12000, user_requests_per_minute=240),
}
LIMIT_NAMES = frozenset(f.name for f in fields(PlanLimits))


def check_overrides(overrides: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Validates KINERJA_PLAN_LIMITS: known plans and limit names, positive integers."""
    checked: dict[str, dict[str, int]] = {}
    for plan, limits in overrides.items():
        if plan not in RegionPlan.__members__:
            raise ValueError(f"KINERJA_PLAN_LIMITS: unknown plan {plan!r}")
        if not isinstance(limits, dict):
            raise ValueError(f"KINERJA_PLAN_LIMITS: {plan} must map limit names to numbers")
        for name, value in limits.items():
            if name not in LIMIT_NAMES:
                raise ValueError(f"KINERJA_PLAN_LIMITS: unknown limit {name!r} of {plan}")
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"KINERJA_PLAN_LIMITS: {plan}.{name} must be a positive integer")
        checked[plan] = dict(limits)
    return checked


def limits_of(plan: str | None, overrides: dict[str, dict[str, int]]) -> PlanLimits:
    """The limits of `plan` (STANDARD when unknown), with the deployment's overrides."""
    known = (
        RegionPlan(plan)
        if plan is not None and plan in RegionPlan.__members__
        else RegionPlan.STANDARD
    )
    return replace(DEFAULT_PLAN_LIMITS[known], **overrides.get(known.value, {}))
