"""GraphQL types of TPP. Amounts are whole rupiah (Int) with a text in Indonesian
(`Rp1.234.567`); percentages are decimals (e.g. "2.50") with a text with a decimal comma."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

import strawberry

from kinerja_saas.tpp import rows, service
from kinerja_saas.tpp.rules import (
    LEAVE_LABELS,
    LEAVE_TYPES,
    RULE_FIELDS,
    month_key,
    month_label,
    rupiah,
)
from schema.payloads import payload

TppMonthStatus: TypeAlias = rows.MonthStatus
strawberry.enum(TppMonthStatus, name="TppMonthStatus")
TppLineKind: TypeAlias = rows.LineKind
strawberry.enum(TppLineKind, name="TppLineKind")


@strawberry.type(description="A version of the region's TPP rules, in force from its month.")
class TppRuleSet:
    id: strawberry.ID
    effective_month: str = strawberry.field(description="YYYY-MM")
    weight_performance: Decimal
    weight_discipline: Decimal
    pct_sangat_baik: Decimal
    pct_baik: Decimal
    pct_butuh_perbaikan: Decimal
    pct_kurang: Decimal
    pct_sangat_kurang: Decimal
    pct_belum_dinilai: Decimal = strawberry.field(
        description="Of the performance part when no evaluation of the period is finalised"
    )
    absent_day: Decimal = strawberry.field(
        description="Deduction per day absent without reason, % of the discipline part"
    )
    tl1: Decimal
    tl2: Decimal
    tl3: Decimal
    tl4: Decimal
    psw1: Decimal
    psw2: Decimal
    psw3: Decimal
    psw4: Decimal
    cuti_tahunan: Decimal = strawberry.field(
        description="Per day of leave of this type (PP 11/2017 art. 310), % of the discipline part"
    )
    cuti_besar: Decimal
    cuti_sakit: Decimal
    cuti_melahirkan: Decimal
    cuti_alasan_penting: Decimal = strawberry.field(description="Cuti karena alasan penting")
    cuti_bersama: Decimal
    cuti_cltn: Decimal = strawberry.field(description="Cuti di luar tanggungan negara")
    created_at: datetime

    @classmethod
    def of(cls, row: rows.RuleSetRow) -> TppRuleSet:
        return cls(
            id=strawberry.ID(str(row.id)),
            effective_month=month_key(row.effective_month),
            created_at=row.created_at,
            **{f: getattr(row.rules, f) for f in RULE_FIELDS},
        )


@strawberry.input(
    description="Percentages 0–100 ('2,5' or '2.5'); deductions are of the discipline part. "
    "A field left out takes the default (60/40; 100, 100, 75, 50, 25 and 0 per predikat; "
    "2,5 per day absent; 0,5/1/1,25/1,5 per TL and PSW band; 0 per day of each leave type)."
)
class TppRuleSetInput:
    effective_month: str = strawberry.field(description="YYYY-MM")
    weight_performance: str | None = None
    weight_discipline: str | None = None
    pct_sangat_baik: str | None = None
    pct_baik: str | None = None
    pct_butuh_perbaikan: str | None = None
    pct_kurang: str | None = None
    pct_sangat_kurang: str | None = None
    pct_belum_dinilai: str | None = None
    absent_day: str | None = None
    tl1: str | None = None
    tl2: str | None = None
    tl3: str | None = None
    tl4: str | None = None
    psw1: str | None = None
    psw2: str | None = None
    psw3: str | None = None
    psw4: str | None = None
    cuti_tahunan: str | None = None
    cuti_besar: str | None = None
    cuti_sakit: str | None = None
    cuti_melahirkan: str | None = None
    cuti_alasan_penting: str | None = None
    cuti_bersama: str | None = None
    cuti_cltn: str | None = None


@payload
class TppRuleSetPayload:
    rule_set: TppRuleSet | None = None


@strawberry.input
class TppBaseAmountInput:
    nip: str
    amount: int = strawberry.field(description="Whole rupiah")


@payload
class TppBaseAmountsPayload:
    updated: int = 0


@strawberry.type(description="A problem in the attendance file; line 1 is the header row.")
class TppImportProblem:
    line: int = strawberry.field(description="Line in the CSV file; 0: the file as a whole")
    field: str | None
    code: str
    message: str


@payload
class TppAttendancePayload:
    imported: int = 0
    problem_count: int = 0
    problems: list[TppImportProblem] = strawberry.field(default_factory=list)


@strawberry.type(description="One part of a TPP computation, as a person reads it.")
class TppItem:
    label: str
    amount: int = strawberry.field(description="Whole rupiah; deductions are negative")
    amount_text: str


@strawberry.type(description="The deduction for one leave type in a TPP computation.")
class TppLeaveDeduction:
    leave_type: str = strawberry.field(description="cuti_tahunan, cuti_besar, … cuti_cltn")
    label: str = strawberry.field(description="Indonesian name, e.g. Cuti sakit")
    amount: int = strawberry.field(description="Whole rupiah")


@strawberry.type(
    description="The computation of one employee's TPP for a month, or a "
    "correction of it after the month was closed."
)
class TppLine:
    employee_id: strawberry.ID
    nip: str
    name: str
    month: str
    revision: int = strawberry.field(description="0: the computation; 1, 2, …: corrections")
    kind: TppLineKind
    base: int
    predikat: str = strawberry.field(description="The predikat used; BELUM_DINILAI: none")
    performance_pct: Decimal
    performance_full: int
    performance_part: int
    discipline_full: int
    absent_days: int
    absent_deduction: int
    late_deduction: int
    early_deduction: int
    leave_deduction: int = strawberry.field(description="All leave types together")
    leave_deductions: list[TppLeaveDeduction] = strawberry.field(
        description="Per leave type, in the order of PP 11/2017 art. 310"
    )
    deduction_pct: Decimal = strawberry.field(description="Of the discipline part, at most 100")
    discipline_part: int
    incentive: int
    reduction: int
    total: int
    total_text: str
    difference: int = strawberry.field(description="A correction: its total minus the previous")
    computed_at: datetime
    items: list[TppItem]

    @classmethod
    def of(cls, line: rows.TppLine) -> TppLine:
        return cls(
            employee_id=strawberry.ID(str(line.employee_id)),
            nip=line.nip,
            name=line.name,
            month=month_key(line.month),
            revision=line.revision,
            kind=line.kind,
            base=line.base,
            predikat=line.predikat,
            performance_pct=line.performance_pct,
            performance_full=line.performance_full,
            performance_part=line.performance_part,
            discipline_full=line.discipline_full,
            absent_days=line.absent_days,
            absent_deduction=line.absent_deduction,
            late_deduction=line.late_deduction,
            early_deduction=line.early_deduction,
            leave_deduction=line.leave_deduction,
            leave_deductions=[
                TppLeaveDeduction(leave_type=t, label=LEAVE_LABELS[t], amount=amount)
                for t, amount in zip(LEAVE_TYPES, line.leave_deductions, strict=True)
            ],
            deduction_pct=line.deduction_pct,
            discipline_part=line.discipline_part,
            incentive=line.incentive,
            reduction=line.reduction,
            total=line.total,
            total_text=rupiah(line.total),
            difference=line.difference,
            computed_at=line.computed_at,
            items=[
                TppItem(label=label, amount=amount, amount_text=rupiah(amount))
                for label, amount in service.explain(line)
            ],
        )


@strawberry.type(description="An employee's TPP of a month: the computation and its corrections.")
class MyTpp:
    month: str
    month_label: str
    current: TppLine | None = strawberry.field(description="The latest revision")
    history: list[TppLine] = strawberry.field(description="Every revision, oldest first")


@strawberry.type
class TppMonth:
    month: str
    month_label: str
    status: TppMonthStatus
    requested_at: datetime | None
    computed_at: datetime | None
    closed_at: datetime | None
    employees: int
    total: int = strawberry.field(description="Sum of each employee's latest revision")
    total_text: str
    corrections: int

    @classmethod
    def of(cls, m: rows.TppMonth) -> TppMonth:
        return cls(
            month=month_key(m.month),
            month_label=month_label(m.month),
            status=m.status,
            requested_at=m.requested_at,
            computed_at=m.computed_at,
            closed_at=m.closed_at,
            employees=m.employees,
            total=m.total,
            total_text=rupiah(m.total),
            corrections=m.corrections,
        )


@payload
class TppMonthPayload:
    month: TppMonth | None = None


@strawberry.type
class TppLinePage:
    lines: list[TppLine]
    next_after: str | None = strawberry.field(description="Pass as `after` for the next page")
