"""All SQL of the TPP domain. Every statement names the tenant ($1) as well as relying on
row-level security."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from kinerja_saas.db import db
from kinerja_saas.tpp.rows import (
    ImportProblem,
    LineKind,
    MonthStatus,
    RuleSetRow,
    TppLine,
    TppMonth,
)
from kinerja_saas.tpp.rules import LEAVE_TYPES, RULE_FIELDS, RuleSet

# --- rule sets ---------------------------------------------------------------------------

_RULE_COLUMNS = ", ".join(RULE_FIELDS)


def _rule_row(r: dict[str, Any]) -> RuleSetRow:
    return RuleSetRow(
        id=r["id"],
        effective_month=r["effective_month"],
        rules=RuleSet(**{f: Decimal(r[f]) for f in RULE_FIELDS}),
        created_by=r["created_by"],
        created_at=r["created_at"],
    )


async def rule_sets(tenant_id: int) -> list[RuleSetRow]:
    rows = await db().execute_query_dict(
        f"SELECT id, effective_month, {_RULE_COLUMNS}, created_by, created_at"
        " FROM tpp_rule_sets WHERE tenant_id = $1 ORDER BY effective_month DESC",
        [tenant_id],
    )
    return [_rule_row(r) for r in rows]


async def rule_set_in_force(tenant_id: int, month: date) -> RuleSetRow | None:
    rows = await db().execute_query_dict(
        f"SELECT id, effective_month, {_RULE_COLUMNS}, created_by, created_at"
        " FROM tpp_rule_sets WHERE tenant_id = $1 AND effective_month <= $2"
        " ORDER BY effective_month DESC LIMIT 1",
        [tenant_id, month],
    )
    return _rule_row(rows[0]) if rows else None


async def save_rule_set(
    tenant_id: int, month: date, rules: RuleSet, user_id: int | None
) -> RuleSetRow:
    """The version effective from `month`: a new row, or the month's own version replaced
    (only while no month it governs is closed: the service checks)."""
    values = [getattr(rules, f) for f in RULE_FIELDS]
    placeholders = ", ".join(f"${i + 4}" for i in range(len(RULE_FIELDS)))
    rows = await db().execute_query_dict(
        f"INSERT INTO tpp_rule_sets (tenant_id, effective_month, created_by, {_RULE_COLUMNS})"
        f" VALUES ($1, $2, $3, {placeholders})"
        " ON CONFLICT (tenant_id, effective_month) DO UPDATE SET "
        + ", ".join(f"{f} = EXCLUDED.{f}" for f in RULE_FIELDS)
        + ", created_by = EXCLUDED.created_by, created_at = now()"
        f" RETURNING id, effective_month, {_RULE_COLUMNS}, created_by, created_at",
        [tenant_id, month, user_id, *values],
    )
    return _rule_row(rows[0])


async def closed_month_governed_by(tenant_id: int, month: date) -> date | None:
    """The first closed month whose rule set a version effective from `month` would be or
    replace: a closed month on or after `month` with no later version before it."""
    rows = await db().execute_query_dict(
        "SELECT m.month FROM tpp_months m WHERE m.tenant_id = $1 AND m.status = 'CLOSED'"
        " AND m.month >= $2 AND NOT EXISTS (SELECT 1 FROM tpp_rule_sets r"
        "   WHERE r.tenant_id = $1 AND r.effective_month > $2 AND r.effective_month <= m.month)"
        " ORDER BY m.month LIMIT 1",
        [tenant_id, month],
    )
    return rows[0]["month"] if rows else None


# --- base amounts ------------------------------------------------------------------------


async def unknown_nips(tenant_id: int, nips: Sequence[str]) -> set[str]:
    rows = await db().execute_query_dict(
        "SELECT n.nip FROM unnest($2::text[]) AS n(nip) WHERE NOT EXISTS ("
        " SELECT 1 FROM employees e WHERE e.tenant_id = $1 AND e.nip = n.nip AND e.is_active)",
        [tenant_id, list(nips)],
    )
    return {r["nip"] for r in rows}


async def set_base_amounts(tenant_id: int, nips: Sequence[str], amounts: Sequence[int]) -> int:
    rows = await db().execute_query_dict(
        "INSERT INTO tpp_base_amounts (tenant_id, employee_id, amount, updated_at)"
        " SELECT $1, e.id, i.amount, now()"
        " FROM unnest($2::text[], $3::bigint[]) AS i(nip, amount)"
        " JOIN employees e ON e.tenant_id = $1 AND e.nip = i.nip"
        " ON CONFLICT (tenant_id, employee_id) DO UPDATE SET amount = EXCLUDED.amount,"
        " updated_at = now() RETURNING employee_id",
        [tenant_id, list(nips), list(amounts)],
    )
    return len(rows)


# --- attendance import -------------------------------------------------------------------

ATTENDANCE_COLUMNS = (
    "absent_days",
    "tl1",
    "tl2",
    "tl3",
    "tl4",
    "psw1",
    "psw2",
    "psw3",
    "psw4",
    *LEAVE_TYPES,
)


async def create_staging() -> None:
    await db().execute_script(
        "CREATE TEMP TABLE tpp_staged (line_no integer, nip text, "
        + ", ".join(f"{c} smallint" for c in ATTENDANCE_COLUMNS)
        + ") ON COMMIT DROP"
    )


async def stage(rows: Sequence[tuple[Any, ...]]) -> None:
    """One statement per batch (executemany): COPY is refused on tables with RLS, and the
    staging table is a temporary one for the same path as the roster import."""
    placeholders = ", ".join(f"${i + 1}" for i in range(2 + len(ATTENDANCE_COLUMNS)))
    await db().execute_many(
        f"INSERT INTO tpp_staged (line_no, nip, {', '.join(ATTENDANCE_COLUMNS)})"
        f" VALUES ({placeholders})",
        [list(row) for row in rows],
    )


async def staged_problems(tenant_id: int, limit: int) -> list[ImportProblem]:
    """The rules between rows and against the region, one statement: a NIP twice in the
    file, a NIP that is no active employee of the region."""
    rows = await db().execute_query_dict(
        """
        SELECT line_no, 'nip' AS field, 'DUPLICATE_IN_FILE' AS code,
               'NIP ' || s.nip || ' juga ada di baris ' || f.first_line || '.' AS message
        FROM tpp_staged s JOIN (SELECT nip, min(line_no) AS first_line FROM tpp_staged
                                GROUP BY nip HAVING count(*) > 1) f
          ON f.nip = s.nip AND s.line_no > f.first_line
        UNION ALL
        SELECT line_no, 'nip', 'UNKNOWN_NIP',
               'Tidak ada pegawai aktif dengan NIP ' || s.nip || ' di daerah ini.'
        FROM tpp_staged s
        WHERE NOT EXISTS (SELECT 1 FROM employees e
                          WHERE e.tenant_id = $1 AND e.nip = s.nip AND e.is_active)
        ORDER BY 1 LIMIT $2
        """,
        [tenant_id, limit],
    )
    return [ImportProblem(r["line_no"], r["field"], r["code"], r["message"]) for r in rows]


async def replace_attendance(tenant_id: int, month: date) -> int:
    """The file is the month's data: what it does not name is removed."""
    conn = db()
    await conn.execute_query(
        "DELETE FROM tpp_attendance WHERE tenant_id = $1 AND month = $2", [tenant_id, month]
    )
    columns = ", ".join(ATTENDANCE_COLUMNS)
    rows = await conn.execute_query_dict(
        f"INSERT INTO tpp_attendance (tenant_id, month, employee_id, {columns})"
        f" SELECT $1, $2, e.id, {', '.join('s.' + c for c in ATTENDANCE_COLUMNS)}"
        " FROM tpp_staged s JOIN employees e ON e.tenant_id = $1 AND e.nip = s.nip"
        " RETURNING employee_id",
        [tenant_id, month],
    )
    return len(rows)


# --- the month's computation -------------------------------------------------------------

# The computation of rules.compute for every active employee with a base amount, in one
# SELECT ($1 tenant, $2 month). Figures are exact numerics until each is rounded half up
# (round(numeric) rounds half away from zero; every amount here is non-negative).
COMPUTE_SQL = (
    """
WITH r AS (
    SELECT * FROM tpp_rule_sets WHERE tenant_id = $1 AND effective_month <= $2
    ORDER BY effective_month DESC LIMIT 1
), pred AS (
    SELECT DISTINCT ON (ev.employee_id) ev.employee_id, ev.predikat
    FROM evaluations ev JOIN periods p ON p.tenant_id = ev.tenant_id AND p.id = ev.period_id
    WHERE ev.tenant_id = $1 AND ev.status = 'FINALISED' AND ev.predikat IS NOT NULL
      AND $2 BETWEEN date_trunc('month', p.starts_on) AND p.ends_on
    ORDER BY ev.employee_id, ev.finalised_at DESC, ev.id DESC
), adj AS (
    SELECT employee_id,
           coalesce(sum(amount) FILTER (WHERE type = 'INSENTIF_KINERJA'), 0) AS incentive,
           coalesce(sum(amount) FILTER (WHERE type = 'PENGURANGAN_TPP'), 0) AS reduction
    FROM rewards_sanctions
    WHERE tenant_id = $1 AND amount IS NOT NULL
      AND type IN ('INSENTIF_KINERJA', 'PENGURANGAN_TPP')
      AND decided_on >= $2 AND decided_on < ($2 + interval '1 month')
    GROUP BY employee_id
), x AS (
    SELECT b.employee_id, r.id AS rule_set_id, b.amount AS base,
           coalesce(pr.predikat, 'BELUM_DINILAI') AS predikat,
           CASE coalesce(pr.predikat, 'BELUM_DINILAI')
               WHEN 'SANGAT_BAIK' THEN r.pct_sangat_baik WHEN 'BAIK' THEN r.pct_baik
               WHEN 'BUTUH_PERBAIKAN' THEN r.pct_butuh_perbaikan WHEN 'KURANG' THEN r.pct_kurang
               WHEN 'SANGAT_KURANG' THEN r.pct_sangat_kurang ELSE r.pct_belum_dinilai
           END AS pct,
           b.amount * r.weight_performance / 100 AS perf_full,
           b.amount * r.weight_discipline / 100 AS disc_full,
           coalesce(a.absent_days, 0) AS absent_days,
           coalesce(a.absent_days, 0) * r.absent_day AS absent,
           coalesce(a.tl1 * r.tl1 + a.tl2 * r.tl2 + a.tl3 * r.tl3 + a.tl4 * r.tl4, 0) AS late,
           coalesce(a.psw1 * r.psw1 + a.psw2 * r.psw2 + a.psw3 * r.psw3 + a.psw4 * r.psw4, 0)
               AS early,
"""
    # per leave type: days × rate (named like the type), and their sum
    + "".join(f"           coalesce(a.{t}, 0) * r.{t} AS {t},\n" for t in LEAVE_TYPES)
    + "           "
    + " + ".join(f"coalesce(a.{t}, 0) * r.{t}" for t in LEAVE_TYPES)
    + """ AS leave,
           coalesce(adj.incentive, 0) AS incentive, coalesce(adj.reduction, 0) AS reduction
    FROM tpp_base_amounts b
    CROSS JOIN r
    JOIN employees e ON e.tenant_id = $1 AND e.id = b.employee_id AND e.is_active
    LEFT JOIN tpp_attendance a
        ON a.tenant_id = $1 AND a.month = $2 AND a.employee_id = b.employee_id
    LEFT JOIN pred pr ON pr.employee_id = b.employee_id
    LEFT JOIN adj ON adj.employee_id = b.employee_id
    WHERE b.tenant_id = $1
), y AS (
    SELECT x.*, least(100, absent + late + early + leave) AS ded,
           round(perf_full * pct / 100)::bigint AS perf_part,
           round(disc_full * (100 - least(100, absent + late + early + leave)) / 100)::bigint
               AS disc_part
    FROM x
)
SELECT employee_id, rule_set_id, base, predikat, pct AS performance_pct,
       round(perf_full)::bigint AS performance_full, perf_part AS performance_part,
       round(disc_full)::bigint AS discipline_full, absent_days,
       round(disc_full * absent / 100)::bigint AS absent_deduction,
       round(disc_full * late / 100)::bigint AS late_deduction,
       round(disc_full * early / 100)::bigint AS early_deduction,
       round(disc_full * leave / 100)::bigint AS leave_deduction,
"""
    + "".join(
        f"       round(disc_full * {t} / 100)::bigint AS {t}_deduction,\n" for t in LEAVE_TYPES
    )
    + """       ded AS deduction_pct, disc_part AS discipline_part, incentive, reduction,
       greatest(0, perf_part + disc_part + incentive - reduction)::bigint AS total
FROM y
"""
)

LINE_FIGURES = (
    "rule_set_id, base, predikat, performance_pct, performance_full, performance_part,"
    " discipline_full, absent_days, absent_deduction, late_deduction, early_deduction,"
    " leave_deduction, "
    + ", ".join(f"{t}_deduction" for t in LEAVE_TYPES)
    + ", deduction_pct, discipline_part, incentive, reduction, total"
)


async def lock_month(tenant_id: int, month: date) -> TppMonth:
    """The month's row (created when new), locked for this transaction: a computation and a
    closing of the same month run one after the other."""
    conn = db()
    await conn.execute_query(
        "INSERT INTO tpp_months (tenant_id, month) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [tenant_id, month],
    )
    rows = await conn.execute_query_dict(
        "SELECT month, status, requested_at, computed_at, closed_at FROM tpp_months"
        " WHERE tenant_id = $1 AND month = $2 FOR UPDATE",
        [tenant_id, month],
    )
    return _month_row(rows[0])


async def mark_requested(tenant_id: int, month: date) -> None:
    await db().execute_query(
        "UPDATE tpp_months SET requested_at = now() WHERE tenant_id = $1 AND month = $2",
        [tenant_id, month],
    )


async def compute_open_month(tenant_id: int, month: date) -> int:
    """While open, revision 0 is the computation as of now: rewritten whole."""
    conn = db()
    await conn.execute_query(
        "DELETE FROM tpp_lines WHERE tenant_id = $1 AND month = $2", [tenant_id, month]
    )
    rows = await conn.execute_query_dict(
        f"WITH ins AS (INSERT INTO tpp_lines (tenant_id, month, employee_id, revision, kind,"
        f" {LINE_FIGURES}) SELECT $1, $2, employee_id, 0, 'COMPUTED', {LINE_FIGURES}"
        f" FROM ({COMPUTE_SQL}) c RETURNING 1) SELECT count(*) AS n FROM ins",
        [tenant_id, month],
    )
    await _computed(tenant_id, month)
    return rows[0]["n"]


async def compute_closed_month(tenant_id: int, month: date) -> int:
    """After closing: a CORRECTION row (next revision, with the difference of its total)
    for each employee whose computation differs from their latest row, including someone
    added since (revision 1, from nothing). Nothing is rewritten or deleted."""
    rows = await db().execute_query_dict(
        f"""
        WITH latest AS (
            SELECT DISTINCT ON (employee_id) employee_id, revision, {LINE_FIGURES}
            FROM tpp_lines WHERE tenant_id = $1 AND month = $2
            ORDER BY employee_id, revision DESC
        )
        INSERT INTO tpp_lines (tenant_id, month, employee_id, revision, kind, difference,
            {LINE_FIGURES})
        SELECT $1, $2, c.employee_id, coalesce(l.revision, 0) + 1, 'CORRECTION',
               c.total - coalesce(l.total, 0),
               {", ".join("c." + f.strip() for f in LINE_FIGURES.split(","))}
        FROM ({COMPUTE_SQL}) c LEFT JOIN latest l ON l.employee_id = c.employee_id
        WHERE l.employee_id IS NULL OR
              ({", ".join("c." + f.strip() for f in LINE_FIGURES.split(",") if f.strip() != "rule_set_id")})
              IS DISTINCT FROM
              ({", ".join("l." + f.strip() for f in LINE_FIGURES.split(",") if f.strip() != "rule_set_id")})
        RETURNING 1
        """,
        [tenant_id, month],
    )
    await _computed(tenant_id, month)
    return len(rows)


async def _computed(tenant_id: int, month: date) -> None:
    await db().execute_query(
        "UPDATE tpp_months SET computed_at = now() WHERE tenant_id = $1 AND month = $2",
        [tenant_id, month],
    )


async def close_month(tenant_id: int, month: date, user_id: int | None) -> None:
    await db().execute_query(
        "UPDATE tpp_months SET status = 'CLOSED', closed_at = now(), closed_by = $3"
        " WHERE tenant_id = $1 AND month = $2",
        [tenant_id, month, user_id],
    )


def _month_row(r: dict[str, Any]) -> TppMonth:
    return TppMonth(
        month=r["month"],
        status=MonthStatus(r["status"]),
        requested_at=r["requested_at"],
        computed_at=r["computed_at"],
        closed_at=r["closed_at"],
        employees=r.get("employees") or 0,
        total=int(r.get("total") or 0),
        corrections=r.get("corrections") or 0,
    )


async def month_summary(tenant_id: int, month: date) -> TppMonth | None:
    """The month with its latest totals (each employee's latest revision)."""
    rows = await db().execute_query_dict(
        """
        SELECT m.month, m.status, m.requested_at, m.computed_at, m.closed_at,
               (SELECT count(DISTINCT employee_id) FROM tpp_lines l
                WHERE l.tenant_id = $1 AND l.month = $2) AS employees,
               (SELECT sum(total) FROM (SELECT DISTINCT ON (employee_id) total FROM tpp_lines l
                    WHERE l.tenant_id = $1 AND l.month = $2
                    ORDER BY employee_id, revision DESC) t) AS total,
               (SELECT count(*) FROM tpp_lines l WHERE l.tenant_id = $1 AND l.month = $2
                AND l.kind = 'CORRECTION') AS corrections
        FROM tpp_months m WHERE m.tenant_id = $1 AND m.month = $2
        """,
        [tenant_id, month],
    )
    return _month_row(rows[0]) if rows else None


_LINE_SELECT = (
    "SELECT l.id, l.month, l.employee_id, e.nip, e.name, l.revision, l.kind, "
    + LINE_FIGURES.replace("rule_set_id", "l.rule_set_id")
    .replace(" base", " l.base")
    .replace(" total", " l.total")
    + ", l.difference, l.computed_at FROM tpp_lines l"
    " JOIN employees e ON e.tenant_id = l.tenant_id AND e.id = l.employee_id"
)


def _line(r: dict[str, Any]) -> TppLine:
    values = dict(r)
    values["kind"] = LineKind(values["kind"])
    return TppLine(**values)


async def lines_of_employee(tenant_id: int, month: date, employee_id: int) -> list[TppLine]:
    rows = await db().execute_query_dict(
        _LINE_SELECT + " WHERE l.tenant_id = $1 AND l.month = $2 AND l.employee_id = $3"
        " ORDER BY l.revision",
        [tenant_id, month, employee_id],
    )
    return [_line(r) for r in rows]


async def month_lines(
    tenant_id: int, month: date, *, after_nip: str | None, limit: int | None
) -> list[TppLine]:
    """The rows of the month (the original and each correction) of up to `limit` employees
    after `after_nip`, by NIP and revision."""
    page = (
        "SELECT DISTINCT e2.nip FROM tpp_lines l2 JOIN employees e2 ON e2.tenant_id = $1"
        " AND e2.id = l2.employee_id WHERE l2.tenant_id = $1 AND l2.month = $2"
        " AND ($3::text IS NULL OR e2.nip > $3) ORDER BY e2.nip" + (" LIMIT $4" if limit else "")
    )
    rows = await db().execute_query_dict(
        _LINE_SELECT + f" WHERE l.tenant_id = $1 AND l.month = $2 AND e.nip IN ({page})"
        " ORDER BY e.nip, l.revision",
        [tenant_id, month, after_nip] + ([limit] if limit else []),
    )
    return [_line(r) for r in rows]
