"""Many reports with approved plans at once, in a few set-based statements as the app role
(for statement-count tests: 5 rows or 300 must cost the same queries)."""

from __future__ import annotations

from typing import Any

from tortoise import connections

from tenants.context import tenant_transaction

REPORTS = """
WITH new AS (
    INSERT INTO employees (tenant_id, nip, name, position, position_type, golongan, unit_id,
        supervisor_id, is_active, created_at, updated_at)
    SELECT $1, '3' || lpad(($4 * 100000 + n)::text, 17, '0'), 'Report ' || n, 'Staf',
        'PELAKSANA', 'II/a', $2, $3, true, now(), now()
    FROM generate_series(1, $5::int) AS n
    RETURNING id
), plans_new AS (
    INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id, status,
        revision, created_at, updated_at)
    SELECT $1, $6, id, $2, $3, 'APPROVED', 0, now(), now() FROM new
    RETURNING id, employee_id
), results_new AS (
    INSERT INTO plan_results (tenant_id, plan_id, kind, text, position)
    SELECT $1, id, 'UTAMA', 'Hasil kerja', 0 FROM plans_new
    RETURNING id, plan_id
), evaluations_new AS (
    INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, status,
        behaviour_ratings, result_rating, behaviour_rating, predikat, created_at, updated_at)
    SELECT $1, p.id, $6, p.employee_id, 'DRAFT', '{}', 'SESUAI_EKSPEKTASI',
        'SESUAI_EKSPEKTASI', 'BAIK', now(), now()
    FROM plans_new p  -- rows inserted by this statement are not visible in `plans`
)
INSERT INTO indicators (tenant_id, plan_id, result_id, text, aspect, target, unit_label,
    direction, weight, position)
SELECT $1, r.plan_id, r.id, 'Indikator ' || k, 'KUANTITAS', 10, 'dokumen',
    CASE WHEN k = 1 THEN 'HIGHER_IS_BETTER' ELSE 'LOWER_IS_BETTER' END, 50, k
FROM results_new r CROSS JOIN generate_series(1, 2) AS k
"""
REALISATIONS = """
INSERT INTO realisations (tenant_id, plan_id, indicator_id, checkpoint_id, value, evidence,
    status, is_late, entered_at)
SELECT $1, i.plan_id, i.id, c.id, 8, '[]', 'VERIFIED', false, now()
FROM indicators i JOIN plans p ON p.tenant_id = i.tenant_id AND p.id = i.plan_id
JOIN checkpoints c ON c.tenant_id = i.tenant_id AND c.period_id = p.period_id
WHERE i.tenant_id = $1 AND p.evaluator_id = $2
"""


async def add_reports_with_plans(region: Any, *, count: int) -> None:
    """`count` more direct reports of chief, each with an approved plan of two indicators,
    a realisation per checkpoint and a draft annual evaluation (predikat BAIK)."""
    chief = region.employees["chief"]
    async with tenant_transaction(region.id):
        db = connections.get("default")
        await db.execute_query(
            REPORTS,
            [region.id, region.units["a"].id, chief.id, region.id % 1000, count, region.period.id],
        )
        await db.execute_query(REALISATIONS, [region.id, chief.id])
