"""Benchmark: the monthly TPP computation of one region (issue 20) against a hand-written
SQL floor of the same computation.

    .venv/bin/python -m bench.tpp [--employees 20000 --rounds 5]

Steps: (re)create the database `kinerja_bench_tpp` on the server of DATABASE_URL, migrate
it, generate one region (bench/generate.py) and, set-based, its TPP inputs: the default
rule set, a base amount for every employee, the month's attendance for every employee, a
finalised evaluation for 90 % of them (all five predikats) and 1,000 incentives and
reductions with amounts. Then, alternating, `rounds` times each:

- platform: `kinerja_saas.tpp.service.compute_month` (the body of the `compute_tpp` job)
  through Tortoise as the app role (RLS), in one tenant transaction;
- floor: one hand-written DELETE and INSERT … SELECT over asyncpg as the app role (RLS),
  in one transaction with the region set.

Both write the month's lines; their checksums are compared before any timing is reported.
Prints the medians and the ratio platform / floor (target: within 2×) and writes
bench/results/tpp.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import date

import asyncpg
import orjson

from bench.common import DEFAULT_DATABASE_URL, RESULTS_DIR, fresh_database
from bench.generate import generate
from kinerja_saas.database import app_connection_params, close_db, init_app_db

BENCH_DB = "kinerja_bench_tpp"
MONTH = date(date.today().year, 3, 1)

INPUTS = """
WITH p AS (
    INSERT INTO periods (tenant_id, year, name, status, checkpoint_kind, starts_on, ends_on,
                         created_at, updated_at)
    VALUES ($1, $2::int, 'Periode ' || $2::int, 'EVALUATING', 'QUARTERLY', make_date($2::int, 1, 1),
            make_date($2::int, 12, 31), now(), now())
    RETURNING id
), pl AS (
    INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id, status, revision,
                       created_at, updated_at)
    SELECT $1, p.id, e.id, e.unit_id, e.supervisor_id, 'APPROVED', 0, now(), now()
    FROM employees e CROSS JOIN p WHERE e.tenant_id = $1 AND e.id % 10 <> 0
    RETURNING id, employee_id, period_id
)
INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, status, behaviour_ratings,
    result_rating, behaviour_rating, predikat, finalised_at, created_at, updated_at)
SELECT $1, pl.id, pl.period_id, pl.employee_id, 'FINALISED', '{}'::jsonb, 'SESUAI_EKSPEKTASI',
    'SESUAI_EKSPEKTASI',
    (ARRAY['SANGAT_BAIK','BAIK','BAIK','BAIK','BUTUH_PERBAIKAN','KURANG','SANGAT_KURANG'])
        [1 + pl.employee_id % 7],
    now(), now(), now()
FROM pl
"""

OTHER_INPUTS = (
    """INSERT INTO tpp_rule_sets (tenant_id, effective_month, weight_performance,
        weight_discipline, pct_sangat_baik, pct_baik, pct_butuh_perbaikan, pct_kurang,
        pct_sangat_kurang, pct_belum_dinilai, absent_day, tl1, tl2, tl3, tl4, psw1, psw2,
        psw3, psw4, cuti_tahunan, cuti_besar, cuti_sakit, cuti_melahirkan,
        cuti_alasan_penting, cuti_bersama, cuti_cltn)
       VALUES ($1, make_date($2::int, 1, 1), 60, 40, 100, 100, 75, 50, 25, 0, 2.5, 0.5, 1, 1.25,
        1.5, 0.5, 1, 1.25, 1.5, 0, 1, 0.5, 0, 1.5, 0, 5)""",
    """INSERT INTO tpp_base_amounts (tenant_id, employee_id, amount)
       SELECT $1, id, 2000000 + (id % 61) * 100003 FROM employees WHERE tenant_id = $1
       AND $2::int > 0""",
    """INSERT INTO tpp_attendance (tenant_id, month, employee_id, absent_days, tl1, tl2, tl3,
        tl4, psw1, psw2, psw3, psw4, cuti_tahunan, cuti_besar, cuti_sakit, cuti_melahirkan,
        cuti_alasan_penting, cuti_bersama, cuti_cltn)
       SELECT $1, make_date($2::int, 3, 1), id, id % 3, id % 5, id % 2, 0, id % 4 / 3, id % 3, 0,
        id % 7 / 6, 0, id % 4, id % 11 / 10 * 3, id % 5 / 4 * 2, id % 13 / 12 * 20, id % 3 / 2,
        1, id % 17 / 16 * 4 FROM employees WHERE tenant_id = $1""",
    """INSERT INTO rewards_sanctions (tenant_id, employee_id, consequence, type, reason,
        decided_on, decided_by, amount, created_at)
       SELECT $1, id, CASE WHEN id % 2 = 0 THEN 'REWARD' ELSE 'SANCTION' END,
        CASE WHEN id % 2 = 0 THEN 'INSENTIF_KINERJA' ELSE 'PENGURANGAN_TPP' END, 'bench',
        make_date($2::int, 3, 15), 0, 50000 + id % 1000 * 100, now()
       FROM employees WHERE tenant_id = $1 ORDER BY id LIMIT 1000""",
    "INSERT INTO tpp_months (tenant_id, month) VALUES ($1, make_date($2::int, 3, 1))",
)

# The floor: the same computation written by hand as one statement after the delete.
FLOOR = """
INSERT INTO tpp_lines (tenant_id, month, employee_id, revision, kind, rule_set_id, base,
    predikat, performance_pct, performance_full, performance_part, discipline_full,
    absent_days, absent_deduction, late_deduction, early_deduction, leave_deduction,
    cuti_tahunan_deduction, cuti_besar_deduction, cuti_sakit_deduction,
    cuti_melahirkan_deduction, cuti_alasan_penting_deduction, cuti_bersama_deduction,
    cuti_cltn_deduction, deduction_pct, discipline_part, incentive, reduction, total)
SELECT $1, $2, b.employee_id, 0, 'COMPUTED', r.id, b.amount, coalesce(ev.predikat, 'BELUM_DINILAI'),
    v.pct, round(b.amount * r.weight_performance / 100), v.perf,
    round(b.amount * r.weight_discipline / 100), coalesce(a.absent_days, 0),
    round(b.amount * r.weight_discipline / 100 * v.absent / 100),
    round(b.amount * r.weight_discipline / 100 * v.late / 100),
    round(b.amount * r.weight_discipline / 100 * v.early / 100),
    round(b.amount * r.weight_discipline / 100 * v.leave / 100),
    round(b.amount * r.weight_discipline / 100 * v.l1 / 100),
    round(b.amount * r.weight_discipline / 100 * v.l2 / 100),
    round(b.amount * r.weight_discipline / 100 * v.l3 / 100),
    round(b.amount * r.weight_discipline / 100 * v.l4 / 100),
    round(b.amount * r.weight_discipline / 100 * v.l5 / 100),
    round(b.amount * r.weight_discipline / 100 * v.l6 / 100),
    round(b.amount * r.weight_discipline / 100 * v.l7 / 100),
    v.ded, v.disc, coalesce(s.inc, 0), coalesce(s.red, 0),
    greatest(0, v.perf + v.disc + coalesce(s.inc, 0) - coalesce(s.red, 0))
FROM tpp_base_amounts b
JOIN employees e ON e.tenant_id = $1 AND e.id = b.employee_id AND e.is_active
JOIN LATERAL (SELECT * FROM tpp_rule_sets WHERE tenant_id = $1 AND effective_month <= $2
              ORDER BY effective_month DESC LIMIT 1) r ON true
LEFT JOIN tpp_attendance a ON a.tenant_id = $1 AND a.month = $2 AND a.employee_id = b.employee_id
LEFT JOIN (SELECT DISTINCT ON (x.employee_id) x.employee_id, x.predikat FROM evaluations x
           JOIN periods p ON p.tenant_id = $1 AND p.id = x.period_id
           WHERE x.tenant_id = $1 AND x.status = 'FINALISED' AND x.predikat IS NOT NULL
             AND $2 BETWEEN date_trunc('month', p.starts_on) AND p.ends_on
           ORDER BY x.employee_id, x.finalised_at DESC, x.id DESC) ev
  ON ev.employee_id = b.employee_id
LEFT JOIN (SELECT employee_id, sum(amount) FILTER (WHERE type = 'INSENTIF_KINERJA') AS inc,
                  sum(amount) FILTER (WHERE type = 'PENGURANGAN_TPP') AS red
           FROM rewards_sanctions WHERE tenant_id = $1 AND amount IS NOT NULL
             AND decided_on >= $2 AND decided_on < $2 + interval '1 month'
           GROUP BY employee_id) s ON s.employee_id = b.employee_id
CROSS JOIN LATERAL (
    SELECT c.pct, c.absent, c.late, c.early, c.leave, c.l1, c.l2, c.l3, c.l4, c.l5, c.l6, c.l7,
           least(100, c.absent + c.late + c.early + c.leave) AS ded,
           round(b.amount * r.weight_performance / 100 * c.pct / 100)::bigint AS perf,
           round(b.amount * r.weight_discipline / 100
                 * (100 - least(100, c.absent + c.late + c.early + c.leave)) / 100)::bigint AS disc
    FROM (SELECT CASE coalesce(ev.predikat, '') WHEN 'SANGAT_BAIK' THEN r.pct_sangat_baik
                   WHEN 'BAIK' THEN r.pct_baik WHEN 'BUTUH_PERBAIKAN' THEN r.pct_butuh_perbaikan
                   WHEN 'KURANG' THEN r.pct_kurang WHEN 'SANGAT_KURANG' THEN r.pct_sangat_kurang
                   ELSE r.pct_belum_dinilai END AS pct,
                 coalesce(a.absent_days, 0) * r.absent_day AS absent,
                 coalesce(a.tl1 * r.tl1 + a.tl2 * r.tl2 + a.tl3 * r.tl3 + a.tl4 * r.tl4, 0) AS late,
                 coalesce(a.psw1 * r.psw1 + a.psw2 * r.psw2 + a.psw3 * r.psw3 + a.psw4 * r.psw4, 0)
                     AS early,
                 l.l1, l.l2, l.l3, l.l4, l.l5, l.l6, l.l7,
                 l.l1 + l.l2 + l.l3 + l.l4 + l.l5 + l.l6 + l.l7 AS leave
          FROM (SELECT coalesce(a.cuti_tahunan, 0) * r.cuti_tahunan AS l1,
                       coalesce(a.cuti_besar, 0) * r.cuti_besar AS l2,
                       coalesce(a.cuti_sakit, 0) * r.cuti_sakit AS l3,
                       coalesce(a.cuti_melahirkan, 0) * r.cuti_melahirkan AS l4,
                       coalesce(a.cuti_alasan_penting, 0) * r.cuti_alasan_penting AS l5,
                       coalesce(a.cuti_bersama, 0) * r.cuti_bersama AS l6,
                       coalesce(a.cuti_cltn, 0) * r.cuti_cltn AS l7) l) c
) v
WHERE b.tenant_id = $1
"""

CHECKSUM = """SELECT count(*) AS n, sum(total) AS total, sum(performance_part) AS perf,
    sum(discipline_part) AS disc, sum(absent_deduction + late_deduction + early_deduction) AS ded,
    sum(leave_deduction) AS leave, sum(cuti_sakit_deduction) AS sakit,
    sum(cuti_cltn_deduction) AS cltn
    FROM tpp_lines WHERE tenant_id = $1 AND month = $2"""


async def platform_run(tenant_id: int) -> float:
    from kinerja_saas.tpp import service
    from tenants.context import tenant_transaction

    t = time.perf_counter()
    async with tenant_transaction(tenant_id):
        await service.compute_month(month=MONTH)
    return time.perf_counter() - t


async def floor_run(conn: asyncpg.Connection, tenant_id: int) -> float:
    t = time.perf_counter()
    async with conn.transaction():
        await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
        await conn.execute(
            "DELETE FROM tpp_lines WHERE tenant_id = $1 AND month = $2", tenant_id, MONTH
        )
        await conn.execute(FLOOR, tenant_id, MONTH)
    return time.perf_counter() - t


async def checksum(conn: asyncpg.Connection, tenant_id: int) -> dict:
    async with conn.transaction():
        await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
        row = await conn.fetchrow(CHECKSUM, tenant_id, MONTH)
    return {k: int(v or 0) for k, v in row.items()}


async def main(args: argparse.Namespace) -> int:
    server_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    owner_url, settings = await fresh_database(server_url, BENCH_DB, redis_url)
    t = time.perf_counter()
    [tenant_id] = await generate(owner_url, regions=1, employees_per_region=args.employees)
    owner = await asyncpg.connect(owner_url)
    try:
        async with owner.transaction():
            await owner.execute(INPUTS, tenant_id, MONTH.year)
            for statement in OTHER_INPUTS:
                await owner.execute(statement, tenant_id, MONTH.year)
        await owner.execute(
            "ANALYZE employees, evaluations, periods, rewards_sanctions, tpp_base_amounts,"
            " tpp_attendance, tpp_rule_sets, tpp_lines"
        )
    finally:
        await owner.close()
    generated = time.perf_counter() - t

    await init_app_db(settings)
    conn = await asyncpg.connect(**app_connection_params(settings))
    try:
        await platform_run(tenant_id)  # warm-up, and the rows to compare
        platform_sum = await checksum(conn, tenant_id)
        await floor_run(conn, tenant_id)
        floor_sum = await checksum(conn, tenant_id)
        if platform_sum != floor_sum or platform_sum["n"] != args.employees:
            print(f"MISMATCH platform {platform_sum} floor {floor_sum}")
            return 1
        platform_times, floor_times = [], []
        for _ in range(args.rounds):
            platform_times.append(await platform_run(tenant_id))
            floor_times.append(await floor_run(conn, tenant_id))
    finally:
        await conn.close()
        await close_db()
    p, f = statistics.median(platform_times), statistics.median(floor_times)
    result = {
        "employees": args.employees,
        "rounds": args.rounds,
        "generate_seconds": round(generated, 2),
        "checksum": platform_sum,
        "platform_seconds": [round(x, 4) for x in platform_times],
        "floor_seconds": [round(x, 4) for x in floor_times],
        "platform_median": round(p, 4),
        "floor_median": round(f, 4),
        "ratio": round(p / f, 3),
        "load_average": os.getloadavg(),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "tpp.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(
        f"TPP of one region-month, {args.employees:,} employees (rows equal: {platform_sum})\n"
        f"  platform compute_month  median {p * 1000:8.1f} ms  ({args.rounds} rounds)\n"
        f"  hand-written SQL floor  median {f * 1000:8.1f} ms\n"
        f"  ratio platform / floor  {p / f:.2f}x  (target within 2x)\n"
        f"  load average {os.getloadavg()[0]:.1f}"
    )
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
