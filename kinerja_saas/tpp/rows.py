"""Typed rows of the TPP tables (migration 0027_tpp). The tables are read and written with
SQL only (`queries.py`): the computation is set-based and nothing needs an ORM model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from kinerja_saas.tpp.rules import LEAVE_TYPES, RuleSet


class MonthStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class LineKind(StrEnum):
    COMPUTED = "COMPUTED"  # revision 0, rewritten while the month is open
    CORRECTION = "CORRECTION"  # after the month was closed: a new row, never a rewrite


@dataclass(frozen=True)
class RuleSetRow:
    id: int
    effective_month: date
    rules: RuleSet
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True)
class TppMonth:
    month: date
    status: MonthStatus
    requested_at: datetime | None
    computed_at: datetime | None
    closed_at: datetime | None
    employees: int = 0
    total: int = 0
    corrections: int = 0


@dataclass(frozen=True)
class TppLine:
    id: int
    month: date
    employee_id: int
    nip: str
    name: str
    revision: int
    kind: LineKind
    rule_set_id: int
    base: int
    predikat: str
    performance_pct: Decimal
    performance_full: int
    performance_part: int
    discipline_full: int
    absent_days: int
    absent_deduction: int
    late_deduction: int
    early_deduction: int
    leave_deduction: int
    cuti_tahunan_deduction: int
    cuti_besar_deduction: int
    cuti_sakit_deduction: int
    cuti_melahirkan_deduction: int
    cuti_alasan_penting_deduction: int
    cuti_bersama_deduction: int
    cuti_cltn_deduction: int
    deduction_pct: Decimal
    discipline_part: int
    incentive: int
    reduction: int
    total: int
    difference: int
    computed_at: datetime

    @property
    def leave_deductions(self) -> tuple[int, ...]:
        """Per leave type, in LEAVE_TYPES order."""
        return tuple(getattr(self, f"{t}_deduction") for t in LEAVE_TYPES)


@dataclass(frozen=True)
class ImportProblem:
    line: int  # line in the CSV (1: the header); 0: the file as a whole
    field: str | None
    code: str
    message: str
