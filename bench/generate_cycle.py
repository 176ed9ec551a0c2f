"""Set-based generator of a year of the performance cycle, on top of bench/generate.py.

`generate_cycle(owner_dsn, tenant_ids, year=…, team=300)` fills, per region, one
`INSERT … SELECT` per table (a few statements whatever the number of employees), as the owner
(a superuser, which bypasses FORCE ROW LEVEL SECURITY), so it must never be pointed at the app
role. Deterministic: the same regions give the same data, so runs are comparable.

Per region:

* one large team: the region's employee 2 (by id; its supervisor is employee 1) gets exactly
  `team` direct reports. generate.py's 8-ary heap gives it 8 (employees 10–17); the others
  are the region's last employees that supervise nobody (leaves of the tree), re-pointed to
  it. A leaf has no one below it, so it cannot be an ancestor of employee 2: no cycle.
  A SUPERVISOR + EMPLOYEE login `atasan@<slug>.go.id` is tied to employee 2.
* `periods`: the year `year`, ACTIVE, MONTHLY checkpoints.
* `checkpoints`: the 12 months, by the app's own rule (`periods.checkpoints_for`, deadline
  10 days after each month).
* `plans`: one APPROVED plan per employee (evaluator = their supervisor, evaluator's
  supervisor = the supervisor's supervisor; employee 1 has neither), in their unit.
* `plan_results`: 2 per plan (UTAMA, TAMBAHAN).
* `indicators`: 5 per plan, 3 under UTAMA and 2 under TAMBAHAN: KUANTITAS (higher is better),
  KUALITAS (higher), WAKTU (lower is better), KUANTITAS (higher), and BIAYA (lower) or
  KUALITAS (higher) by plan. Weights by plan: 30/25/20/15/10, 20×5 or 40/20/15/15/10 (sum 100).
* `realisations`: one per indicator and checkpoint (12), improving over the year: higher is
  better 50–80 % of the target in January up to 105–135 % in December, lower is better
  115–145 % down to 65–95 % (now and then 0, which reaches the cap); 4 % REJECTED,
  6 % SUBMITTED (waiting for verification), the rest VERIFIED; some entered late.
* `evaluations`: the year's evaluation (checkpoint null) for 60 % of the plans: most
  FINALISED with result rating, behaviour rating and the predikat of the PermenPANRB 6/2022
  matrix, 1 in 6 still DRAFT without a predikat; and evaluations at checkpoints 3, 6 and 9
  (FINALISED, with ratings and predikat) for half of the plans, overlapping the year's.

Then `ANALYZE` of every table written, and the performance read models rebuilt once
(`kinerja_progress_rebuild`; their triggers are off during the load).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from kinerja_saas.performance.models import CheckpointKind
from kinerja_saas.performance.periods import checkpoints_for

DEADLINE_DAYS = 10
# The tables whose writes refresh the performance read models (migration 0034).
PROGRESS_SOURCES = ("checkpoints", "plans", "indicators", "realisations", "evaluations")
TEAM_LEADER_RANK = 2  # employee 2 of the region, by id

# $1 tenant, $2 wanted team size. Re-points leaves (employees supervising nobody) from the
# end of the region to employee 2 until it has $2 direct reports; returns the team size.
REPOINT_TEAM = """
WITH ranked AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM employees WHERE tenant_id = $1::bigint
), boss AS (
    SELECT id FROM ranked WHERE n = 2
), current AS (
    SELECT count(*) AS n FROM employees
    WHERE tenant_id = $1::bigint AND supervisor_id = (SELECT id FROM boss)
), movers AS (
    SELECT r.id FROM ranked r JOIN employees e ON e.tenant_id = $1::bigint AND e.id = r.id
    WHERE r.n > 2 AND e.supervisor_id IS DISTINCT FROM (SELECT id FROM boss)
      AND NOT EXISTS (SELECT 1 FROM employees c
                      WHERE c.tenant_id = $1::bigint AND c.supervisor_id = r.id)
    ORDER BY r.n DESC
    LIMIT greatest(0, $2::int - (SELECT n FROM current))
), moved AS (
    UPDATE employees SET supervisor_id = (SELECT id FROM boss), updated_at = now()
    WHERE tenant_id = $1::bigint AND id IN (SELECT id FROM movers)
    RETURNING id
)
SELECT (SELECT id FROM boss) AS boss_id,
       (SELECT n FROM current) + (SELECT count(*) FROM moved) AS team
"""

# $1 tenant, $2 boss: the supervisor's login.
INSERT_SUPERVISOR_LOGIN = """
INSERT INTO user_accounts (tenant_id, email, name, password_hash, roles, employee_id,
                           is_active, token_version, created_at)
SELECT e.tenant_id, 'atasan@' || t.slug || '.go.id', e.name, 'x',
       ARRAY['SUPERVISOR', 'EMPLOYEE']::text[], e.id, true, 1, now()
FROM employees e JOIN tenants t ON t.id = e.tenant_id
WHERE e.tenant_id = $1::bigint AND e.id = $2::bigint
RETURNING id, email
"""

# $1 tenant, $2 year.
INSERT_PERIOD = """
INSERT INTO periods (tenant_id, year, name, status, checkpoint_kind, starts_on, ends_on,
                     created_at, updated_at)
VALUES ($1::bigint, $2::int, 'Periode Kinerja ' || $2::int, 'ACTIVE', 'MONTHLY',
        make_date($2::int, 1, 1), make_date($2::int, 12, 31), now(), now())
RETURNING id
"""

# $1 tenant, $2 period, $3… the checkpoints' columns as arrays (periods.checkpoints_for).
INSERT_CHECKPOINTS = """
INSERT INTO checkpoints (tenant_id, period_id, number, label, starts_on, ends_on, deadline,
                         deadline_notice_for)
SELECT $1::bigint, $2::bigint, c.number, c.label, c.starts_on, c.ends_on, c.deadline, NULL
FROM unnest($3::int[], $4::text[], $5::date[], $6::date[], $7::date[])
    AS c(number, label, starts_on, ends_on, deadline)
"""

# $1 tenant, $2 period, $3 year.
INSERT_PLANS = """
INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id,
                   evaluator_supervisor_id, status, return_reason, revision, submitted_at,
                   approved_at, created_at, updated_at)
SELECT e.tenant_id, $2::bigint, e.id, e.unit_id, e.supervisor_id, s.supervisor_id,
       'APPROVED', NULL, 0,
       make_timestamptz($3::int, 1, 10, 9, 0, 0, 'Asia/Jakarta'),
       make_timestamptz($3::int, 1, 20, 9, 0, 0, 'Asia/Jakarta'),
       make_timestamptz($3::int, 1, 5, 9, 0, 0, 'Asia/Jakarta'), now()
FROM employees e
LEFT JOIN employees s ON s.tenant_id = e.tenant_id AND s.id = e.supervisor_id
WHERE e.tenant_id = $1::bigint
ORDER BY e.id
"""

# $1 tenant, $2 period.
INSERT_RESULTS = """
INSERT INTO plan_results (tenant_id, plan_id, kind, text, supports_result_id, position)
SELECT p.tenant_id, p.id,
       CASE k WHEN 1 THEN 'UTAMA' ELSE 'TAMBAHAN' END,
       CASE k WHEN 1 THEN 'Meningkatnya kualitas layanan '
              ELSE 'Terlaksananya dukungan administrasi ' END
       || (ARRAY['perizinan', 'kesehatan', 'pendidikan', 'kependudukan', 'sosial',
                 'perhubungan', 'lingkungan', 'keuangan'])[1 + p.id % 8],
       NULL, k
FROM plans p CROSS JOIN generate_series(1, 2) AS k
WHERE p.tenant_id = $1::bigint AND p.period_id = $2::bigint
ORDER BY p.id, k
"""

# $1 tenant, $2 period. Positions 1-3 under UTAMA, 4-5 under TAMBAHAN.
INSERT_INDICATORS = """
WITH spec AS (
    SELECT pr.tenant_id, pr.plan_id, pr.id AS result_id, k,
           CASE WHEN k = 3 THEN 'WAKTU'
                WHEN k = 5 AND pr.plan_id % 2 = 0 THEN 'BIAYA'
                WHEN k IN (2, 5) THEN 'KUALITAS'
                ELSE 'KUANTITAS' END AS aspect
    FROM plan_results pr
    JOIN plans p ON p.tenant_id = pr.tenant_id AND p.id = pr.plan_id
    CROSS JOIN generate_series(1, 5) AS k
    WHERE pr.tenant_id = $1::bigint AND p.period_id = $2::bigint
      AND (pr.position = 1) = (k <= 3)
)
INSERT INTO indicators (tenant_id, plan_id, result_id, text, aspect, target, unit_label,
                        direction, weight, position)
SELECT tenant_id, plan_id, result_id,
       CASE aspect WHEN 'KUANTITAS' THEN 'Jumlah dokumen yang diselesaikan'
                   WHEN 'KUALITAS' THEN 'Persentase layanan sesuai standar'
                   WHEN 'WAKTU' THEN 'Rata-rata waktu penyelesaian layanan'
                   ELSE 'Realisasi biaya per kegiatan' END || ' ' || k,
       aspect,
       CASE aspect WHEN 'KUANTITAS' THEN 10 + plan_id % 40
                   WHEN 'KUALITAS' THEN 85 + plan_id % 15
                   WHEN 'WAKTU' THEN 3 + plan_id % 12
                   ELSE 500000 + (plan_id % 20) * 25000 END,
       CASE aspect WHEN 'KUANTITAS' THEN 'dokumen' WHEN 'KUALITAS' THEN 'persen'
                   WHEN 'WAKTU' THEN 'hari' ELSE 'rupiah' END,
       CASE WHEN aspect IN ('WAKTU', 'BIAYA') THEN 'LOWER_IS_BETTER'
            ELSE 'HIGHER_IS_BETTER' END,
       (CASE plan_id % 3 WHEN 0 THEN ARRAY[30, 25, 20, 15, 10]
                         WHEN 1 THEN ARRAY[20, 20, 20, 20, 20]
                         ELSE ARRAY[40, 20, 15, 15, 10] END)[k],
       k
FROM spec
ORDER BY plan_id, k
"""

# $1 tenant, $2 period. h: a deterministic hash of (indicator, checkpoint) in 0..9999.
INSERT_REALISATIONS = """
WITH grid AS (
    SELECT i.tenant_id, i.plan_id, i.id AS indicator_id, i.target, i.direction,
           c.id AS checkpoint_id, c.number, c.ends_on, c.deadline, p.evaluator_id,
           (i.id * 7919 + c.number * 104729) % 10007 AS h
    FROM indicators i
    JOIN plans p ON p.tenant_id = i.tenant_id AND p.id = i.plan_id
    JOIN checkpoints c ON c.tenant_id = p.tenant_id AND c.period_id = p.period_id
    WHERE i.tenant_id = $1::bigint AND p.period_id = $2::bigint
), r AS (
    SELECT grid.*,
           CASE WHEN h % 100 < 4 THEN 'REJECTED' WHEN h % 100 < 10 THEN 'SUBMITTED'
                ELSE 'VERIFIED' END AS status,
           ends_on + (h % 13)::int AS entered_on
    FROM grid
)
INSERT INTO realisations (tenant_id, plan_id, indicator_id, checkpoint_id, value, note,
                          evidence, status, reject_reason, is_late, entered_at, reviewed_by,
                          reviewed_at)
SELECT tenant_id, plan_id, indicator_id, checkpoint_id,
       CASE WHEN direction = 'HIGHER_IS_BETTER'
            THEN round(target * (0.45 + 0.05 * number + (h % 301) / 1000.0), 2)
            WHEN h % 53 = 0 THEN 0
            ELSE round(target * (1.5 - 0.05 * number - (h % 301) / 1000.0), 2) END,
       CASE WHEN h % 7 = 0 THEN 'Sesuai laporan bulanan' END,
       CASE WHEN h % 3 = 0 THEN '[{"name": "laporan.pdf", "url": "https://example.go.id/b"}]'
            ELSE '[]' END::jsonb,
       status,
       CASE WHEN status = 'REJECTED' THEN 'Bukti dukung tidak sesuai' END,
       entered_on > deadline,
       (entered_on + time '10:00') AT TIME ZONE 'Asia/Jakarta',
       CASE WHEN status <> 'SUBMITTED' THEN evaluator_id END,
       CASE WHEN status <> 'SUBMITTED' THEN (entered_on + 2 + time '14:00') AT TIME ZONE 'Asia/Jakarta' END
FROM r
ORDER BY plan_id, indicator_id, checkpoint_id
"""

# A deterministic hash 0..9 of (plan, checkpoint) in the evaluations' CTE.
_HASH = "((t.plan_id * {a} + coalesce(t.checkpoint_id, 0) * {b} + {c}) % 10007) % 10"
# Result (behaviour) rating from a hash 0..9: 0-1 above, 2-8 as expected, 9 below.
_RATING = (
    "CASE WHEN {h} < 2 THEN 'DI_ATAS_EKSPEKTASI' WHEN {h} < 9 THEN 'SESUAI_EKSPEKTASI'"
    " ELSE 'DI_BAWAH_EKSPEKTASI' END"
)
# PermenPANRB 6/2022 (rules.PREDIKAT_MATRIX): behaviour b, result r.
_PREDIKAT = """CASE
    WHEN b = 'DI_BAWAH_EKSPEKTASI' AND r = 'DI_BAWAH_EKSPEKTASI' THEN 'SANGAT_KURANG'
    WHEN b = 'DI_BAWAH_EKSPEKTASI' THEN 'KURANG'
    WHEN r = 'DI_BAWAH_EKSPEKTASI' THEN 'BUTUH_PERBAIKAN'
    WHEN b = 'DI_ATAS_EKSPEKTASI' AND r = 'DI_ATAS_EKSPEKTASI' THEN 'SANGAT_BAIK'
    ELSE 'BAIK' END"""

# $1 tenant, $2 period, $3 year. The year's evaluations (checkpoint null) for plans with
# id % 10 < 6, DRAFT without ratings when id % 6 = 0; and the evaluations at checkpoints
# 3, 6 and 9 for plans with id % 10 >= 3.
INSERT_EVALUATIONS = f"""
WITH target AS (
    SELECT p.tenant_id, p.id AS plan_id, p.period_id, p.employee_id, p.evaluator_id,
           NULL::bigint AS checkpoint_id, (p.id % 6 = 0) AS draft,
           make_date($3::int, 12, 31) AS due
    FROM plans p
    WHERE p.tenant_id = $1::bigint AND p.period_id = $2::bigint AND p.id % 10 < 6
    UNION ALL
    SELECT p.tenant_id, p.id, p.period_id, p.employee_id, p.evaluator_id, c.id, false,
           c.ends_on
    FROM plans p JOIN checkpoints c ON c.tenant_id = p.tenant_id AND c.period_id = p.period_id
    WHERE p.tenant_id = $1::bigint AND p.period_id = $2::bigint AND p.id % 10 >= 3
      AND c.number IN (3, 6, 9)
), rated AS (
    SELECT t.*,
           {_RATING.format(h=_HASH.format(a=7919, b=104729, c=0))} AS r,
           {_RATING.format(h=_HASH.format(a=104729, b=7919, c=5003))} AS b
    FROM target t
)
INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, checkpoint_id, status,
                         achievement, proposed_result_rating, result_rating,
                         result_override_reason, behaviour_ratings, behaviour_rating, predikat,
                         feedback, self_assessment, self_result_rating, self_behaviour_rating,
                         finalised_at, finalised_by, appeal_deadline, created_at, updated_at)
SELECT tenant_id, plan_id, period_id, employee_id, checkpoint_id,
       CASE WHEN draft THEN 'DRAFT' ELSE 'FINALISED' END,
       CASE WHEN NOT draft THEN 60 + (plan_id % 55) END,
       CASE WHEN NOT draft THEN r END,
       CASE WHEN NOT draft THEN r END,
       NULL,
       '{{}}'::jsonb,
       CASE WHEN NOT draft THEN b END,
       CASE WHEN NOT draft THEN {_PREDIKAT} END,
       CASE WHEN NOT draft THEN 'Pertahankan kinerja dan tingkatkan koordinasi' END,
       'Target tercapai sesuai rencana', NULL, NULL,
       CASE WHEN NOT draft THEN (due + time '15:00') AT TIME ZONE 'Asia/Jakarta' END,
       CASE WHEN NOT draft THEN evaluator_id END,
       CASE WHEN NOT draft THEN due + 14 END,
       (due + time '09:00') AT TIME ZONE 'Asia/Jakarta', now()
FROM rated
ORDER BY plan_id, checkpoint_id NULLS FIRST
"""

ANALYZE = (
    "ANALYZE employees, user_accounts, periods, checkpoints, plans, plan_results, indicators,"
    " realisations, evaluations"
)


@dataclass
class CycleRegion:
    tenant_id: int
    period_id: int
    supervisor_id: int  # the employee with the large team
    supervisor_account_id: int
    supervisor_email: str
    team: int


async def generate_cycle(
    owner_dsn: str, tenant_ids: list[int], *, year: int, team: int = 300
) -> list[CycleRegion]:
    """Fills a year of the performance cycle for each region (see the module docstring), in
    one transaction, then ANALYZE. The regions must come from bench.generate.generate."""
    if team < 8:
        raise ValueError("team must be at least 8 (employee 2's own staff in the 8-ary tree)")
    specs = checkpoints_for(year, CheckpointKind.MONTHLY, DEADLINE_DAYS)
    conn = await asyncpg.connect(owner_dsn)
    regions = []
    try:
        async with conn.transaction():
            # A bulk load: the read models' triggers (migration 0034) would refresh every
            # plan once per statement; they are off for the load and the read models are
            # rebuilt once at the end (as an owner's bulk load should).
            await conn.execute(
                "".join(f"ALTER TABLE {t} DISABLE TRIGGER USER;" for t in PROGRESS_SOURCES)
            )
            for tenant_id in tenant_ids:
                row = await conn.fetchrow(REPOINT_TEAM, tenant_id, team)
                if row["team"] != team:
                    raise ValueError(
                        f"region {tenant_id}: only {row['team']} employees could report to"
                        f" employee 2 (wanted {team}); generate more employees"
                    )
                login = await conn.fetchrow(INSERT_SUPERVISOR_LOGIN, tenant_id, row["boss_id"])
                period_id = await conn.fetchval(INSERT_PERIOD, tenant_id, year)
                await conn.execute(
                    INSERT_CHECKPOINTS,
                    tenant_id,
                    period_id,
                    [c.number for c in specs],
                    [c.label for c in specs],
                    [c.starts_on for c in specs],
                    [c.ends_on for c in specs],
                    [c.deadline for c in specs],
                )
                await conn.execute(INSERT_PLANS, tenant_id, period_id, year)
                await conn.execute(INSERT_RESULTS, tenant_id, period_id)
                await conn.execute(INSERT_INDICATORS, tenant_id, period_id)
                await conn.execute(INSERT_REALISATIONS, tenant_id, period_id)
                await conn.execute(INSERT_EVALUATIONS, tenant_id, period_id, year)
                regions.append(
                    CycleRegion(
                        tenant_id,
                        period_id,
                        row["boss_id"],
                        login["id"],
                        login["email"],
                        row["team"],
                    )
                )
            await conn.execute(
                "".join(f"ALTER TABLE {t} ENABLE TRIGGER USER;" for t in PROGRESS_SOURCES)
            )
        await conn.execute(ANALYZE)
        async with conn.transaction():
            for tenant_id in tenant_ids:
                await conn.execute("SELECT kinerja_progress_rebuild($1)", tenant_id)
        await conn.execute("ANALYZE plan_progress, plan_progress_counts")
    finally:
        await conn.close()
    return regions
