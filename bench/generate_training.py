"""Set-based generator of a finalised evaluation round and a training catalogue, on top of
bench/generate.py (regions, units, employees), for bench/training.py.

`generate_training(owner_dsn, tenant_ids, year=…, today=…)` fills, per region, one
`INSERT … SELECT` per table (a few statements whatever the number of employees), as the owner
(a superuser, which bypasses FORCE ROW LEVEL SECURITY), so it must never be pointed at the app
role. Deterministic: the same regions give the same data.

Per region:

* the **starter catalogue as onboarding seeds it**: the competencies and training rules of
  `kinerja_saas/regions/defaults.py` (`COMPETENCIES`, `TRAINING_RULES`), in that order;
* **3 training units** (the first has a TRAINING_OFFICER login `diklat@<slug>.go.id`, tied to
  the region's employee 3, and its `training_officers` row);
* **11 programmes**: one per competency (the first competency's title), plus two broader ones
  (MJ-MASALAH + MJ-KEPUTUSAN, TK-TIK + TK-DATA) that the "most focused programme" rule must
  pass over; units round-robin, modes KLASIKAL/DARING/BLENDED, 12–40 JP, `capacity` seats;
* per programme **one past batch** (already started, so never placed in) and `batches`
  upcoming ones two weeks apart from `today` + 14 days, `capacity` seats each;
* a **period** of `year`, EVALUATING, QUARTERLY, with its 4 checkpoints (the app's rule);
* per employee an APPROVED **plan**, one UTAMA result and **3 indicators** (KUANTITAS and
  KUALITAS higher-is-better, WAKTU lower-is-better), and **2 realisations** each (Q3, Q4;
  1 in 25 of the Q4 ones REJECTED, so Q3's counts);
* per employee a **FINALISED annual evaluation** with all 7 BerAKHLAK values rated. Exactly
  3 employees in 20 (15 %) are **low performers**: SANGAT_KURANG (result and behaviour below
  expectation), KURANG (behaviour below) or BUTUH_PERBAIKAN (result below). Those with a low
  behaviour rating have 1–2 values DI_BAWAH_EKSPEKTASI (and 1 in 2 BUTUH_PERBAIKAN one); those
  with a low result rating (and 1 in 3 KURANG) have an indicator whose latest counted value
  is 35–55 % of its target, under the default floor of 60 %. So every rule kind (PREDIKAT,
  WEAK_BEHAVIOUR, WEAK_RESULT) fires. The others are BAIK / SANGAT_BAIK with every value as
  expected or above and every indicator at 85–115 %.

`fill_unit_assignments` then tops a training unit up to a given number of assignments (for
the officer's list): manual and self-enrolment assignments of the region's employees to the
unit's programmes in every status, set-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg

from kinerja_saas.performance.models import CheckpointKind
from kinerja_saas.performance.periods import checkpoints_for
from kinerja_saas.regions import defaults

DEADLINE_DAYS = 10
BERAKHLAK_CODES = [code for code, _name, _guides in defaults.BERAKHLAK]

# $1 tenant, $2 codes, $3 names, $4 kinds.
INSERT_COMPETENCIES = """
INSERT INTO competencies (tenant_id, code, name, kind, is_active)
SELECT $1::bigint, c.code, c.name, c.kind, true
FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS c(code, name, kind, k)
ORDER BY c.k
"""

# $1 tenant, $2 triggers, $3 values, $4 competency codes, $5 priorities.
INSERT_RULES = """
INSERT INTO training_rules (tenant_id, trigger, trigger_value, competency_id, programme_id,
                            priority, is_active)
SELECT $1::bigint, r.trigger, r.value, c.id, NULL, r.priority, true
FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]) WITH ORDINALITY
    AS r(trigger, value, code, priority, k)
JOIN competencies c ON c.tenant_id = $1::bigint AND c.code = r.code
ORDER BY r.k
"""

# $1 tenant.
INSERT_TRAINING_UNITS = """
INSERT INTO training_units (tenant_id, name, email, is_active, created_at)
SELECT $1::bigint, u.name, u.email || '@' || t.slug || '.go.id', true, now()
FROM unnest(ARRAY['BPSDM Provinsi', 'Bidang Pengembangan Kompetensi BKPSDM',
                  'Lembaga Pelatihan Mitra'],
            ARRAY['diklat', 'bangkom', 'mitra']) WITH ORDINALITY AS u(name, email, k)
JOIN tenants t ON t.id = $1::bigint
ORDER BY u.k
RETURNING id
"""

# $1 tenant, $2 training unit ids (3), $3 capacity. One programme per competency (in
# catalogue order), then two broader ones. Returns (id, codes) per programme.
INSERT_PROGRAMMES = """
WITH spec AS (
    SELECT k, c.name AS title, ARRAY[c.code] AS codes
    FROM competencies c
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM competencies
          WHERE tenant_id = $1::bigint) o ON o.id = c.id
    WHERE c.tenant_id = $1::bigint
    UNION ALL
    SELECT 100, 'Kepemimpinan dan pemecahan masalah', ARRAY['MJ-MASALAH', 'MJ-KEPUTUSAN']
    UNION ALL
    SELECT 101, 'Literasi digital dan data', ARRAY['TK-TIK', 'TK-DATA']
), numbered AS (
    SELECT spec.*, row_number() OVER (ORDER BY k) AS n FROM spec
), ins AS (
    INSERT INTO training_programmes (tenant_id, training_unit_id, title, description, mode,
                                     jp_hours, capacity, is_open, is_active, created_at)
    SELECT $1::bigint, ($2::bigint[])[1 + (n - 1) % 3], 'Pelatihan ' || title,
           'Pelatihan ' || lower(title) || ' bagi ASN', (ARRAY['KLASIKAL', 'DARING',
           'BLENDED'])[1 + n % 3], 12 + (n * 7) % 29, $3::int, n % 2 = 0, true, now()
    FROM numbered ORDER BY n
    RETURNING id, title
)
SELECT ins.id, numbered.codes FROM ins JOIN numbered ON 'Pelatihan ' || numbered.title = ins.title
ORDER BY ins.id
"""

# $1 tenant.
INSERT_PROGRAMME_COMPETENCIES = """
INSERT INTO training_programme_competencies (tenant_id, programme_id, competency_id)
SELECT $1::bigint, p.id, c.id
FROM unnest($2::bigint[], $3::text[]) AS x(programme_id, code)
JOIN training_programmes p ON p.tenant_id = $1::bigint AND p.id = x.programme_id
JOIN competencies c ON c.tenant_id = $1::bigint AND c.code = x.code
"""

# $1 tenant, $2 first upcoming start, $3 upcoming batches, $4 capacity. Batch 0 started a
# month ago (not open for placement); batches 1..$3 two weeks apart, 3 days long.
INSERT_BATCHES = """
INSERT INTO training_batches (tenant_id, programme_id, name, starts_on, ends_on, capacity,
                              confirmed_at, is_cancelled)
SELECT p.tenant_id, p.id, 'Angkatan ' || (k + 1),
       CASE WHEN k = 0 THEN $2::date - 44 ELSE $2::date + 14 * (k - 1) END,
       CASE WHEN k = 0 THEN $2::date - 41 ELSE $2::date + 14 * (k - 1) + 2 END,
       $4::int, CASE WHEN k = 0 THEN now() - interval '40 days' END, false
FROM training_programmes p CROSS JOIN generate_series(0, $3::int) AS k
WHERE p.tenant_id = $1::bigint
ORDER BY p.id, k
"""

# $1 tenant, $2 training unit: the officer's login (employee 3 of the region) and its unit.
INSERT_OFFICER = """
WITH e AS (
    SELECT id, name FROM employees WHERE tenant_id = $1::bigint ORDER BY id OFFSET 2 LIMIT 1
), acc AS (
    INSERT INTO user_accounts (tenant_id, email, name, password_hash, roles, employee_id,
                               is_active, token_version, created_at)
    SELECT $1::bigint, 'diklat@' || t.slug || '.go.id', e.name, 'x',
           ARRAY['TRAINING_OFFICER', 'EMPLOYEE']::text[], e.id, true, 1, now()
    FROM e JOIN tenants t ON t.id = $1::bigint
    RETURNING id, email, employee_id
), officer AS (
    INSERT INTO training_officers (tenant_id, training_unit_id, user_id)
    SELECT $1::bigint, $2::bigint, acc.id FROM acc
)
SELECT id, email, employee_id FROM acc
"""

# $1 tenant, $2 year.
INSERT_PERIOD = """
INSERT INTO periods (tenant_id, year, name, status, checkpoint_kind, starts_on, ends_on,
                     created_at, updated_at)
VALUES ($1::bigint, $2::int, 'Periode Kinerja ' || $2::int, 'EVALUATING', 'QUARTERLY',
        make_date($2::int, 1, 1), make_date($2::int, 12, 31), now(), now())
RETURNING id
"""

INSERT_CHECKPOINTS = """
INSERT INTO checkpoints (tenant_id, period_id, number, label, starts_on, ends_on, deadline,
                         deadline_notice_for)
SELECT $1::bigint, $2::bigint, c.number, c.label, c.starts_on, c.ends_on, c.deadline, NULL
FROM unnest($3::int[], $4::text[], $5::date[], $6::date[], $7::date[])
    AS c(number, label, starts_on, ends_on, deadline)
"""

# The region's employees numbered 1..N by id with their kind of outcome:
#   low: 0 SANGAT_KURANG, 1 KURANG, 2 BUTUH_PERBAIKAN, NULL not a low performer
#   (exactly 3 in every 20 consecutive n, since 7919 is prime to 20);
#   h: a second hash 0..6 (which value / indicator is weak).
_PEOPLE = """
    SELECT e.tenant_id, e.id AS employee_id, e.unit_id, e.supervisor_id, n,
           CASE WHEN (n * 7919) % 20 < 3 THEN (n * 7919) % 20 END AS low,
           (n * 104729) % 7 AS h
    FROM (SELECT tenant_id, id, unit_id, supervisor_id,
                 row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS n
          FROM employees WHERE tenant_id = ANY($1::bigint[])) e
"""

# From here on, all regions at once: $1 the tenants, $2 their periods (one each).
# $3 year.
INSERT_PLANS = """
INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id,
                   evaluator_supervisor_id, status, return_reason, revision, submitted_at,
                   approved_at, created_at, updated_at)
SELECT e.tenant_id, pd.id, e.id, e.unit_id, e.supervisor_id, s.supervisor_id,
       'APPROVED', NULL, 0,
       make_timestamptz($3::int, 1, 10, 9, 0, 0, 'Asia/Jakarta'),
       make_timestamptz($3::int, 1, 20, 9, 0, 0, 'Asia/Jakarta'),
       make_timestamptz($3::int, 1, 5, 9, 0, 0, 'Asia/Jakarta'), now()
FROM employees e
JOIN periods pd ON pd.tenant_id = e.tenant_id AND pd.id = ANY($2::bigint[])
LEFT JOIN employees s ON s.tenant_id = e.tenant_id AND s.id = e.supervisor_id
WHERE e.tenant_id = ANY($1::bigint[])
ORDER BY e.id
"""

INSERT_RESULTS = """
INSERT INTO plan_results (tenant_id, plan_id, kind, text, supports_result_id, position)
SELECT p.tenant_id, p.id, 'UTAMA', 'Meningkatnya kualitas layanan administrasi', NULL, 1
FROM plans p WHERE p.tenant_id = ANY($1::bigint[]) AND p.period_id = ANY($2::bigint[])
ORDER BY p.id
"""

# Positions 1 KUANTITAS ↑, 2 KUALITAS ↑, 3 WAKTU ↓; weights 40/35/25.
INSERT_INDICATORS = """
INSERT INTO indicators (tenant_id, plan_id, result_id, text, aspect, target, unit_label,
                        direction, weight, position)
SELECT pr.tenant_id, pr.plan_id, pr.id,
       (ARRAY['Jumlah dokumen yang diselesaikan', 'Persentase layanan sesuai standar',
              'Rata-rata waktu penyelesaian layanan'])[k],
       (ARRAY['KUANTITAS', 'KUALITAS', 'WAKTU'])[k],
       CASE k WHEN 1 THEN 10 + pr.plan_id % 40 WHEN 2 THEN 85 + pr.plan_id % 15
              ELSE 3 + pr.plan_id % 12 END,
       (ARRAY['dokumen', 'persen', 'hari'])[k],
       CASE WHEN k = 3 THEN 'LOWER_IS_BETTER' ELSE 'HIGHER_IS_BETTER' END,
       (ARRAY[40, 35, 25])[k], k
FROM plan_results pr
JOIN plans p ON p.tenant_id = pr.tenant_id AND p.id = pr.plan_id
CROSS JOIN generate_series(1, 3) AS k
WHERE pr.tenant_id = ANY($1::bigint[]) AND p.period_id = ANY($2::bigint[])
ORDER BY pr.plan_id, k
"""

# Realisations at checkpoints 3 and 4. An indicator is weak when its
# employee has a low result (SANGAT_KURANG, BUTUH_PERBAIKAN, or KURANG with h % 3 = 0) and
# its position is 1 + h % 3: then the counted value is 35-55 % of the target (the mirror for
# lower is better), else 85-115 %. 1 in 25 of the Q4 values is REJECTED (Q3's counts).
INSERT_REALISATIONS = f"""
WITH people AS ({_PEOPLE}), grid AS (
    SELECT i.tenant_id, i.plan_id, i.id AS indicator_id, i.target, i.direction,
           c.id AS checkpoint_id, c.number, c.ends_on, c.deadline, p.evaluator_id,
           (i.id * 7919 + c.number * 104729) % 10007 AS hh,
           (pe.low IN (0, 2) OR (pe.low = 1 AND pe.h % 3 = 0))
               AND i.position = 1 + pe.h % 3 AS weak
    FROM indicators i
    JOIN plans p ON p.tenant_id = i.tenant_id AND p.id = i.plan_id
    JOIN people pe ON pe.tenant_id = p.tenant_id AND pe.employee_id = p.employee_id
    JOIN checkpoints c ON c.tenant_id = p.tenant_id AND c.period_id = p.period_id
    WHERE i.tenant_id = ANY($1::bigint[]) AND p.period_id = ANY($2::bigint[])
        AND c.number IN (3, 4)
), r AS (
    SELECT grid.*,
           CASE WHEN weak THEN 0.35 + (hh % 21) / 100.0 ELSE 0.85 + (hh % 31) / 100.0 END
               AS ratio,
           CASE WHEN number = 4 AND hh % 25 = 0 THEN 'REJECTED' ELSE 'VERIFIED' END AS status,
           ends_on + (hh % 13)::int AS entered_on
    FROM grid
)
INSERT INTO realisations (tenant_id, plan_id, indicator_id, checkpoint_id, value, note,
                          evidence, status, reject_reason, is_late, entered_at, reviewed_by,
                          reviewed_at)
SELECT tenant_id, plan_id, indicator_id, checkpoint_id,
       CASE WHEN direction = 'HIGHER_IS_BETTER' THEN round(target * ratio, 2)
            ELSE round(target / ratio, 2) END,
       NULL, '[]'::jsonb, status,
       CASE WHEN status = 'REJECTED' THEN 'Bukti dukung tidak sesuai' END,
       entered_on > deadline,
       (entered_on + time '10:00') AT TIME ZONE 'Asia/Jakarta',
       evaluator_id,
       (entered_on + 2 + time '14:00') AT TIME ZONE 'Asia/Jakarta'
FROM r
ORDER BY plan_id, indicator_id, checkpoint_id
"""

# $3 year, $4 BerAKHLAK codes. Behaviour value j (0-based) is weak
# when the behaviour rating is low and j = h or j = (h + 3) % 7 with n even, or for half of
# BUTUH_PERBAIKAN j = h; good performers have every value as expected, 1 in 10 above.
INSERT_EVALUATIONS = f"""
WITH people AS ({_PEOPLE}), rated AS (
    SELECT pe.*, p.id AS plan_id, p.period_id, p.evaluator_id,
           CASE WHEN pe.low IN (0, 2) THEN 'DI_BAWAH_EKSPEKTASI'
                WHEN pe.low IS NULL AND pe.n % 7 = 0 THEN 'DI_ATAS_EKSPEKTASI'
                ELSE 'SESUAI_EKSPEKTASI' END AS r,
           CASE WHEN pe.low IN (0, 1) THEN 'DI_BAWAH_EKSPEKTASI'
                WHEN pe.low IS NULL AND pe.n % 5 = 0 THEN 'DI_ATAS_EKSPEKTASI'
                ELSE 'SESUAI_EKSPEKTASI' END AS b
    FROM people pe
    JOIN plans p ON p.tenant_id = pe.tenant_id AND p.period_id = ANY($2::bigint[])
        AND p.employee_id = pe.employee_id
), ratings AS (
    SELECT rated.plan_id, jsonb_object_agg(v.code, jsonb_build_object(
        'rating', CASE
            WHEN rated.b = 'DI_BAWAH_EKSPEKTASI'
                 AND (v.j = rated.h OR (rated.n % 2 = 0 AND v.j = (rated.h + 3) % 7))
                THEN 'DI_BAWAH_EKSPEKTASI'
            WHEN rated.low = 2 AND rated.n % 2 = 0 AND v.j = rated.h THEN 'DI_BAWAH_EKSPEKTASI'
            WHEN rated.b = 'DI_ATAS_EKSPEKTASI' AND v.j % 2 = 0 THEN 'DI_ATAS_EKSPEKTASI'
            ELSE 'SESUAI_EKSPEKTASI' END,
        'note', '')) AS behaviour_ratings
    FROM rated CROSS JOIN unnest($4::text[]) WITH ORDINALITY AS v0(code, k)
    CROSS JOIN LATERAL (SELECT v0.code, (v0.k - 1)::int AS j) v
    GROUP BY rated.plan_id
)
INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, checkpoint_id, status,
                         achievement, proposed_result_rating, result_rating,
                         result_override_reason, behaviour_ratings, behaviour_rating, predikat,
                         feedback, self_assessment, self_result_rating, self_behaviour_rating,
                         finalised_at, finalised_by, appeal_deadline, created_at, updated_at)
SELECT rated.tenant_id, rated.plan_id, rated.period_id, rated.employee_id, NULL, 'FINALISED',
       CASE WHEN r = 'DI_BAWAH_EKSPEKTASI' THEN 55 + n % 20 ELSE 85 + n % 30 END,
       r, r, NULL, ratings.behaviour_ratings, b,
       CASE
           WHEN b = 'DI_BAWAH_EKSPEKTASI' AND r = 'DI_BAWAH_EKSPEKTASI' THEN 'SANGAT_KURANG'
           WHEN b = 'DI_BAWAH_EKSPEKTASI' THEN 'KURANG'
           WHEN r = 'DI_BAWAH_EKSPEKTASI' THEN 'BUTUH_PERBAIKAN'
           WHEN b = 'DI_ATAS_EKSPEKTASI' AND r = 'DI_ATAS_EKSPEKTASI' THEN 'SANGAT_BAIK'
           ELSE 'BAIK' END,
       'Pertahankan kinerja dan tingkatkan koordinasi', 'Target tercapai sesuai rencana',
       NULL, NULL,
       make_timestamptz($3::int, 12, 20, 15, 0, 0, 'Asia/Jakarta')
           + (n % 600) * interval '1 minute',
       rated.evaluator_id, make_date($3::int, 12, 31) + 14,
       make_timestamptz($3::int, 12, 15, 9, 0, 0, 'Asia/Jakarta'), now()
FROM rated JOIN ratings ON ratings.plan_id = rated.plan_id
ORDER BY rated.plan_id
"""

ANALYZE = (
    "ANALYZE employees, user_accounts, periods, checkpoints, plans, plan_results, indicators,"
    " realisations, evaluations, competencies, training_rules, training_units,"
    " training_officers, training_programmes, training_programme_competencies,"
    " training_batches, training_assignments"
)


@dataclass
class TrainingRegion:
    tenant_id: int
    period_id: int
    training_unit_ids: list[int]
    officer_account_id: int
    officer_email: str
    officer_employee_id: int


async def generate_training(
    owner_dsn: str,
    tenant_ids: list[int],
    *,
    year: int,
    today: date,
    batches: int = 4,
    capacity: int = 30,
) -> list[TrainingRegion]:
    """See the module docstring; one transaction, then ANALYZE. The regions must come from
    bench.generate.generate."""
    specs = checkpoints_for(year, CheckpointKind.QUARTERLY, DEADLINE_DAYS)
    conn = await asyncpg.connect(owner_dsn)
    regions = []
    try:
        async with conn.transaction():
            for tenant_id in tenant_ids:
                comps = defaults.COMPETENCIES
                await conn.execute(
                    INSERT_COMPETENCIES,
                    tenant_id,
                    [c[0] for c in comps],
                    [c[1] for c in comps],
                    [c[2] for c in comps],
                )
                rules = defaults.TRAINING_RULES
                await conn.execute(
                    INSERT_RULES,
                    tenant_id,
                    [r[0] for r in rules],
                    [r[1] for r in rules],
                    [r[2] for r in rules],
                    [r[3] for r in rules],
                )
                unit_ids = [r["id"] for r in await conn.fetch(INSERT_TRAINING_UNITS, tenant_id)]
                programmes = await conn.fetch(INSERT_PROGRAMMES, tenant_id, unit_ids, capacity)
                pairs = [(p["id"], code) for p in programmes for code in p["codes"]]
                await conn.execute(
                    INSERT_PROGRAMME_COMPETENCIES,
                    tenant_id,
                    [p for p, _ in pairs],
                    [c for _, c in pairs],
                )
                await conn.execute(
                    INSERT_BATCHES, tenant_id, today + timedelta(days=14), batches, capacity
                )
                officer = await conn.fetchrow(INSERT_OFFICER, tenant_id, unit_ids[0])
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
                regions.append(
                    TrainingRegion(
                        tenant_id,
                        period_id,
                        unit_ids,
                        officer["id"],
                        officer["email"],
                        officer["employee_id"],
                    )
                )
            # the large tables: one statement each for all regions, with fresh statistics
            # between them (else the planner takes the new rows for an empty table)
            periods = [r.period_id for r in regions]
            await conn.execute(INSERT_PLANS, tenant_ids, periods, year)
            await conn.execute("ANALYZE employees, periods, plans")
            await conn.execute(INSERT_RESULTS, tenant_ids, periods)
            await conn.execute("ANALYZE plan_results")
            await conn.execute(INSERT_INDICATORS, tenant_ids, periods)
            await conn.execute("ANALYZE indicators, checkpoints")
            await conn.execute(INSERT_REALISATIONS, tenant_ids, periods)
            await conn.execute(INSERT_EVALUATIONS, tenant_ids, periods, year, BERAKHLAK_CODES)
        await conn.execute(ANALYZE)
    finally:
        await conn.close()
    return regions


# $1 tenant, $2 period, $3 training unit, $4 rows to add. Pairs (employee, programme of the
# unit) without a live assignment, spread over employees and programmes; statuses by n:
# COMPLETED (with score and certificate), ATTENDED, CONFIRMED, ASSIGNED, NO_SHOW, CANCELLED,
# in the unit's batches round-robin.
FILL_UNIT = """
WITH progs AS (
    SELECT p.id, row_number() OVER (ORDER BY p.id) AS k, count(*) OVER () AS total
    FROM training_programmes p WHERE p.tenant_id = $1::bigint AND p.training_unit_id = $3::bigint
), batches AS (
    SELECT b.id, b.programme_id, row_number() OVER (PARTITION BY b.programme_id ORDER BY b.id)
        AS k, count(*) OVER (PARTITION BY b.programme_id) AS total
    FROM training_batches b JOIN progs ON progs.id = b.programme_id
    WHERE b.tenant_id = $1::bigint
), people AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM employees
    WHERE tenant_id = $1::bigint AND is_active
), pairs AS (
    SELECT pe.id AS employee_id, pr.id AS programme_id,
           row_number() OVER (ORDER BY s, pe.n) AS n
    FROM people pe CROSS JOIN generate_series(0, 3) AS s
    JOIN progs pr ON pr.k = 1 + (pe.n + s) % pr.total
    WHERE NOT EXISTS (SELECT 1 FROM training_assignments a WHERE a.tenant_id = $1::bigint
        AND a.employee_id = pe.id AND a.programme_id = pr.id AND a.period_id = $2::bigint)
), chosen AS (
    SELECT pairs.*, (ARRAY['COMPLETED', 'ATTENDED', 'CONFIRMED', 'ASSIGNED', 'COMPLETED',
                           'NO_SHOW', 'ASSIGNED', 'CANCELLED'])[1 + n % 8] AS status
    FROM pairs WHERE n <= $4::int
)
INSERT INTO training_assignments (tenant_id, employee_id, programme_id, period_id, batch_id,
    waiting_position, status, reason, reason_value, evaluation_id, predikat, competency_id,
    rule_id, assigned_by, score, certificate_ref, note, completed_at, created_at, updated_at)
SELECT $1::bigint, c.employee_id, c.programme_id, $2::bigint, b.id, NULL, c.status,
       CASE WHEN c.n % 3 = 0 THEN 'SELF_ENROLMENT' ELSE 'MANUAL' END, NULL, NULL, NULL, NULL,
       NULL, NULL,
       CASE WHEN c.status = 'COMPLETED' THEN 70 + c.n % 30 END,
       CASE WHEN c.status = 'COMPLETED' THEN 'SRT/' || c.n || '/BPSDM' END,
       CASE WHEN c.status = 'CANCELLED' THEN 'Tugas dinas luar' END,
       CASE WHEN c.status = 'COMPLETED' THEN now() - (c.n % 90) * interval '1 day' END,
       now() - (c.n % 200) * interval '1 hour', now()
FROM chosen c
JOIN batches b ON b.programme_id = c.programme_id AND b.k = 1 + c.n % b.total
ORDER BY c.n
"""


async def fill_unit_assignments(
    owner_dsn: str, region: TrainingRegion, *, training_unit_id: int, total: int
) -> int:
    """Adds assignments to the unit's programmes until it has `total`; returns how many it
    has (fewer only if the region runs out of employee × programme pairs)."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        count_sql = (
            "SELECT count(*) FROM training_assignments a JOIN training_programmes p"
            " ON p.tenant_id = a.tenant_id AND p.id = a.programme_id"
            " WHERE a.tenant_id = $1 AND p.training_unit_id = $2"
        )
        have = await conn.fetchval(count_sql, region.tenant_id, training_unit_id)
        if have < total:
            await conn.execute(
                FILL_UNIT, region.tenant_id, region.period_id, training_unit_id, total - have
            )
        await conn.execute("ANALYZE training_assignments")
        return await conn.fetchval(count_sql, region.tenant_id, training_unit_id)
    finally:
        await conn.close()
