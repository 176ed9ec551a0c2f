"""Pure rules of performance periods: the checkpoints of a year, and the status workflow."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from kinerja_saas.indonesian import MONTHS
from kinerja_saas.performance.models import CheckpointKind, PeriodStatus

ROMAN = ("I", "II", "III", "IV")
MONTHS_PER_CHECKPOINT = {
    CheckpointKind.MONTHLY: 1,
    CheckpointKind.QUARTERLY: 3,
    CheckpointKind.SEMESTER: 6,
}

# Each status moves only to the next one: plans, then realisations, then evaluation.
NEXT_STATUS = {
    PeriodStatus.PLANNING: PeriodStatus.ACTIVE,
    PeriodStatus.ACTIVE: PeriodStatus.EVALUATING,
    PeriodStatus.EVALUATING: PeriodStatus.CLOSED,
}


@dataclass(frozen=True)
class CheckpointSpec:
    number: int
    label: str
    starts_on: date
    ends_on: date
    deadline: date


def checkpoints_for(year: int, kind: CheckpointKind, deadline_days: int) -> list[CheckpointSpec]:
    """The checkpoints of a calendar year; realisations are due `deadline_days` after each
    one ends."""
    step = MONTHS_PER_CHECKPOINT[kind]
    specs = []
    for number, first_month in enumerate(range(1, 13, step), 1):
        last_month = first_month + step - 1
        ends_on = date(year, last_month, calendar.monthrange(year, last_month)[1])
        if kind is CheckpointKind.MONTHLY:
            label = f"{MONTHS[first_month - 1]} {year}"
        elif kind is CheckpointKind.QUARTERLY:
            label = f"Triwulan {ROMAN[number - 1]} {year}"
        else:
            label = f"Semester {ROMAN[number - 1]} {year}"
        specs.append(
            CheckpointSpec(
                number,
                label,
                date(year, first_month, 1),
                ends_on,
                ends_on + timedelta(days=deadline_days),
            )
        )
    return specs


def can_move(current: PeriodStatus, target: PeriodStatus) -> bool:
    return NEXT_STATUS.get(current) is target
