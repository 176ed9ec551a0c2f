"""Use cases of TPP: the region's rule sets and base amounts, the monthly attendance
import, the month's computation (run by a worker), closing, corrections, the employee's
view and the finance export. Knows nothing of GraphQL or the queue."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import FieldError, PermissionDenied, ValidationFailed
from kinerja_saas.outbox.service import emit
from kinerja_saas.tpp import events, queries
from kinerja_saas.tpp.errors import TppError, field_error, message
from kinerja_saas.tpp.importing import FileRefused, read_attendance
from kinerja_saas.tpp.rows import ImportProblem, MonthStatus, RuleSetRow, TppLine, TppMonth
from kinerja_saas.tpp.rules import (
    LEAVE_LABELS,
    LEAVE_TYPES,
    MAX_AMOUNT,
    RULE_FIELDS,
    RuleSet,
    decimal_comma,
    month_key,
    month_label,
    parse_month,
    validate_rule_set,
)
from tenants.context import current_tenant_id

MAX_BASE_ITEMS = 5000
MAX_PROBLEMS = 1000  # problems reported for one file (the count says how many more)


def _require_admin(actor: Actor, action: str) -> None:
    if not actor.has(Role.REGION_ADMIN):
        raise PermissionDenied(message(TppError.NOT_ADMIN, action=action), code="FORBIDDEN")


def _month(value: str, field: str = "month") -> date:
    parsed = parse_month(value, field)
    if isinstance(parsed, FieldError):
        raise ValidationFailed([parsed])
    return parsed


# --- rule sets and base amounts ------------------------------------------------------------


async def save_rule_set(*, actor: Actor, effective_month: str, rules: RuleSet) -> RuleSetRow:
    """A version of the region's rules, in force from `effective_month` until the next
    version. A version that would govern a closed month is refused: a closed month's rules
    stay as they were (a correction needs a recomputation under rules still open)."""
    _require_admin(actor, "mengubah aturan TPP")
    month = _month(effective_month, "effectiveMonth")
    problems = validate_rule_set(rules)
    if problems:
        raise ValidationFailed(problems)
    tenant_id = current_tenant_id()
    closed = await queries.closed_month_governed_by(tenant_id, month)
    if closed is not None:
        raise ValidationFailed(
            [field_error("effectiveMonth", TppError.MONTH_CLOSED, month=month_label(closed))]
        )
    row = await queries.save_rule_set(tenant_id, month, rules, actor.user_id or None)
    await record(
        actor=actor,
        action="tpp.rule_set.save",
        entity="tpp_rule_set",
        entity_id=row.id,
        after={"effective_month": month_key(month)}
        | {f: str(getattr(rules, f)) for f in RULE_FIELDS},
    )
    return row


async def rule_sets(*, actor: Actor) -> list[RuleSetRow]:
    _require_admin(actor, "melihat aturan TPP")
    return await queries.rule_sets(current_tenant_id())


@dataclass(frozen=True)
class BaseAmount:
    nip: str
    amount: int


async def set_base_amounts(*, actor: Actor, items: Sequence[BaseAmount]) -> int:
    """The base TPP (whole rupiah) of each employee named by NIP; all or nothing."""
    _require_admin(actor, "menetapkan TPP dasar")
    problems: list[FieldError] = []
    if not items:
        problems.append(field_error("items", TppError.REQUIRED, label="Daftar pegawai"))
    if len(items) > MAX_BASE_ITEMS:
        problems.append(
            field_error(
                "items", TppError.OUT_OF_RANGE, label="Jumlah baris", low=1, high=MAX_BASE_ITEMS
            )
        )
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not 0 <= item.amount <= MAX_AMOUNT:
            problems.append(
                field_error(
                    f"items.{i}.amount",
                    TppError.OUT_OF_RANGE,
                    label="TPP dasar",
                    low="Rp0",
                    high="Rp1.000.000.000",
                )
            )
        if item.nip in seen:
            problems.append(field_error(f"items.{i}.nip", TppError.NIP_TWICE, nip=item.nip))
        seen.add(item.nip)
    if problems:
        raise ValidationFailed(problems)
    tenant_id = current_tenant_id()
    unknown = await queries.unknown_nips(tenant_id, [i.nip for i in items])
    if unknown:
        raise ValidationFailed(
            [
                field_error(f"items.{i}.nip", TppError.UNKNOWN_NIP, nip=item.nip)
                for i, item in enumerate(items)
                if item.nip in unknown
            ]
        )
    count = await queries.set_base_amounts(
        tenant_id, [i.nip for i in items], [i.amount for i in items]
    )
    await record(
        actor=actor,
        action="tpp.base.set",
        entity="tpp_base",
        entity_id=None,
        after={"employees": count},
    )
    return count


# --- the attendance import -----------------------------------------------------------------


class AttendanceRefused(ValidationFailed):
    """The file has problems: nothing of it was written. `problems` carry line numbers."""

    def __init__(self, problems: list[ImportProblem], total: int):
        self.problems = problems
        self.total = total
        first = problems[0]
        where = f"Baris {first.line}: " if first.line else ""
        super().__init__(
            [
                FieldError(
                    "file",
                    first.code,
                    f"{where}{first.message} ({total} masalah; tidak ada yang disimpan.)",
                )
            ]
        )


async def import_attendance(*, actor: Actor, month: str, binary: IO[bytes], max_bytes: int) -> int:
    """Replaces the month's attendance figures with the file's, all or nothing: every row's
    problems with its line (in Python per batch of rows), then the rules between rows and
    against the region in one statement, then one INSERT … SELECT. Run it in a savepoint:
    on AttendanceRefused the staged rows are rolled back."""
    _require_admin(actor, "mengimpor data kehadiran")
    the_month = _month(month)
    tenant_id = current_tenant_id()
    problems: list[ImportProblem] = []
    # One import or computation of the month at a time (a second waits, then replaces).
    await queries.lock_month(tenant_id, the_month)
    await queries.create_staging()
    staged = 0
    try:
        for batch in read_attendance(
            binary, month=the_month, max_bytes=max_bytes, problems=problems
        ):
            await queries.stage([(r.line_no, r.nip, *r.counts) for r in batch])
            staged += len(batch)
    except FileRefused as exc:
        raise AttendanceRefused([exc.problem], 1) from exc
    if staged == 0 and not problems:
        raise AttendanceRefused([ImportProblem(0, "file", "NO_ROWS", message(TppError.NO_ROWS))], 1)
    problems += await queries.staged_problems(tenant_id, MAX_PROBLEMS)
    if problems:
        problems.sort(key=lambda p: (p.line, p.field or ""))
        raise AttendanceRefused(problems[:MAX_PROBLEMS], len(problems))
    count = await queries.replace_attendance(tenant_id, the_month)
    await record(
        actor=actor,
        action="tpp.attendance.import",
        entity="tpp_month",
        entity_id=None,
        after={"month": month_key(the_month), "rows": count},
    )
    return count


# --- the month's computation ---------------------------------------------------------------


async def request_computation(*, actor: Actor, month: str) -> TppMonth:
    """Queues the month's computation (a worker runs `compute_month`). A closed month can
    be computed again: what changed becomes correction rows."""
    _require_admin(actor, "menghitung TPP")
    the_month = _month(month)
    tenant_id = current_tenant_id()
    if await queries.rule_set_in_force(tenant_id, the_month) is None:
        raise ValidationFailed(
            [field_error("month", TppError.NO_RULE_SET, month=month_label(the_month))]
        )
    await queries.lock_month(tenant_id, the_month)
    await queries.mark_requested(tenant_id, the_month)
    await emit(
        events.COMPUTE_REQUESTED,
        {"month": the_month.isoformat(), "requested_by": actor.user_id or None},
    )
    summary = await queries.month_summary(tenant_id, the_month)
    assert summary is not None
    return summary


async def compute_month(*, month: date) -> int:
    """The job's body, in the region's transaction: one INSERT … SELECT for the whole
    region-month (open: the computation replaces revision 0; closed: correction rows for
    what differs). Returns the rows written. Idempotent: run again with nothing changed,
    an open month is rewritten identically and a closed one gets no row."""
    tenant_id = current_tenant_id()
    state = await queries.lock_month(tenant_id, month)
    if await queries.rule_set_in_force(tenant_id, month) is None:
        return 0
    if state.status is MonthStatus.CLOSED:
        return await queries.compute_closed_month(tenant_id, month)
    return await queries.compute_open_month(tenant_id, month)


async def close_month(*, actor: Actor, month: str) -> TppMonth:
    _require_admin(actor, "menutup bulan TPP")
    the_month = _month(month)
    tenant_id = current_tenant_id()
    state = await queries.lock_month(tenant_id, the_month)
    if state.status is MonthStatus.CLOSED:
        raise ValidationFailed(
            [field_error("month", TppError.ALREADY_CLOSED, month=month_label(the_month))]
        )
    if state.computed_at is None:
        raise ValidationFailed(
            [field_error("month", TppError.NOT_COMPUTED, month=month_label(the_month))]
        )
    await queries.close_month(tenant_id, the_month, actor.user_id or None)
    await record(
        actor=actor,
        action="tpp.month.close",
        entity="tpp_month",
        entity_id=None,
        after={"month": month_key(the_month)},
    )
    summary = await queries.month_summary(tenant_id, the_month)
    assert summary is not None
    return summary


async def month(*, actor: Actor, month: str) -> TppMonth | None:
    _require_admin(actor, "melihat TPP daerah")
    return await queries.month_summary(current_tenant_id(), _month(month))


async def month_lines(
    *, actor: Actor, month: str, after_nip: str | None, first: int
) -> list[TppLine]:
    _require_admin(actor, "melihat TPP daerah")
    return await queries.month_lines(
        current_tenant_id(), _month(month), after_nip=after_nip, limit=first
    )


async def my_tpp(*, actor: Actor, month: str) -> tuple[date, list[TppLine]]:
    """The actor's own rows of the month: the computation, then each correction."""
    the_month = _month(month)
    if actor.employee_id is None:
        return the_month, []
    lines = await queries.lines_of_employee(current_tenant_id(), the_month, actor.employee_id)
    return the_month, lines


def explain(line: TppLine) -> list[tuple[str, int]]:
    """Each part of a computation as a person reads it: (text, amount in rupiah)."""
    predikat = line.predikat.replace("_", " ").title()
    items = [
        ("TPP dasar", line.base),
        ("Bagian kinerja penuh", line.performance_full),
        (
            f"Bagian kinerja: {decimal_comma(line.performance_pct)} % untuk predikat {predikat}",
            line.performance_part,
        ),
        ("Bagian disiplin penuh", line.discipline_full),
        (f"Potongan tanpa keterangan ({line.absent_days} hari)", -line.absent_deduction),
        ("Potongan terlambat masuk (TL1–TL4)", -line.late_deduction),
        ("Potongan pulang sebelum waktunya (PSW1–PSW4)", -line.early_deduction),
        *(
            (f"Potongan {LEAVE_LABELS[t].lower()}", -amount)
            for t, amount in zip(LEAVE_TYPES, line.leave_deductions, strict=True)
        ),
        (
            f"Bagian disiplin setelah potongan {decimal_comma(line.deduction_pct)} %",
            line.discipline_part,
        ),
        ("Insentif kinerja", line.incentive),
        ("Pengurangan TPP", -line.reduction),
        ("Jumlah TPP", line.total),
    ]
    return items


EXPORT_HEADER = (
    "NIP",
    "Nama",
    "Bulan",
    "Revisi",
    "Jenis",
    "TPP Dasar",
    "Predikat",
    "Persentase Kinerja",
    "Bagian Kinerja",
    "Hari Tanpa Keterangan",
    "Potongan Disiplin (%)",
    *(f"Potongan {LEAVE_LABELS[t].title()}" for t in LEAVE_TYPES),
    "Bagian Disiplin",
    "Insentif",
    "Pengurangan",
    "Jumlah TPP",
    "Selisih",
)


async def export_csv(*, actor: Actor, month: str) -> str:
    """The month for the finance unit: every row (the computation and each correction),
    Indonesian headers, ';' between fields (spreadsheets with an Indonesian locale read ','
    as the decimal separator), amounts in whole rupiah, percentages with a decimal comma."""
    _require_admin(actor, "mengekspor TPP")
    lines = await queries.month_lines(
        current_tenant_id(), _month(month), after_nip=None, limit=None
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for line in lines:
        writer.writerow(
            (
                line.nip,
                line.name,
                month_key(line.month),
                line.revision,
                "Koreksi" if line.revision else "Perhitungan",
                line.base,
                line.predikat.replace("_", " ").title(),
                decimal_comma(line.performance_pct),
                line.performance_part,
                line.absent_days,
                decimal_comma(line.deduction_pct),
                *line.leave_deductions,
                line.discipline_part,
                line.incentive,
                line.reduction,
                line.total,
                line.difference,
            )
        )
    return out.getvalue()
