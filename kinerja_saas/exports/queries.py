"""All SQL of the exports domain. Every statement names the tenant ($1) as well as relying
on row-level security."""

from __future__ import annotations

from typing import Any

from kinerja_saas.db import Row, db
from tenants.context import current_tenant_id

_JOB = """SELECT x.id, x.kind, x.year, x.checkpoint_number, x.format, x.status, x.progress,
    x.row_count, x.file_name, x.error, x.requested_by, x.requested_at, x.finished_at
FROM national_exports x WHERE x.tenant_id = $1"""


async def insert_export(
    *, kind: str, year: int, checkpoint_number: int | None, fmt: str, requested_by: int | None
) -> Row:
    rows = await db().execute_query_dict(
        "INSERT INTO national_exports (tenant_id, kind, year, checkpoint_number, format,"
        " requested_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        [current_tenant_id(), kind, year, checkpoint_number, fmt, requested_by],
    )
    return (await exports_by_ids([rows[0]["id"]]))[0]


async def exports_by_ids(ids: list[int]) -> list[Row]:
    return await db().execute_query_dict(
        _JOB + " AND x.id = ANY($2::bigint[]) ORDER BY x.id", [current_tenant_id(), ids]
    )


async def recent_exports(limit: int) -> list[Row]:
    return await db().execute_query_dict(
        _JOB + " ORDER BY x.requested_at DESC, x.id DESC LIMIT $2", [current_tenant_id(), limit]
    )


async def content(export_id: int) -> str | None:
    rows = await db().execute_query_dict(
        "SELECT content FROM national_exports WHERE tenant_id = $1 AND id = $2",
        [current_tenant_id(), export_id],
    )
    return rows[0]["content"] if rows else None


async def start(export_id: int) -> Row | None:
    """QUEUED (or a RUNNING one whose worker stopped) to RUNNING at 10 %; None when the
    export is gone or already finished (a repeated job does nothing)."""
    rows = await db().execute_query_dict(
        "UPDATE national_exports SET status = 'RUNNING', progress = 10"
        " WHERE tenant_id = $1 AND id = $2 AND status IN ('QUEUED', 'RUNNING')"
        " RETURNING id, kind, year, checkpoint_number, format,"
        " (SELECT slug FROM tenants WHERE id = $1) AS slug",
        [current_tenant_id(), export_id],
    )
    return rows[0] if rows else None


async def finish(export_id: int, *, row_count: int, file_name: str, text: str) -> None:
    await db().execute_query(
        "UPDATE national_exports SET status = 'DONE', progress = 100, row_count = $3,"
        " file_name = $4, content = $5, finished_at = now(), error = NULL"
        " WHERE tenant_id = $1 AND id = $2",
        [current_tenant_id(), export_id, row_count, file_name, text],
    )


async def fail(export_id: int, error: str) -> None:
    await db().execute_query(
        "UPDATE national_exports SET status = 'FAILED', error = $3, finished_at = now()"
        " WHERE tenant_id = $1 AND id = $2 AND status <> 'DONE'",
        [current_tenant_id(), export_id, error],
    )


async def checkpoint_exists(year: int, number: int) -> bool:
    rows = await db().execute_query_dict(
        "SELECT 1 FROM checkpoints c JOIN periods p ON p.tenant_id = c.tenant_id"
        " AND p.id = c.period_id WHERE c.tenant_id = $1 AND p.year = $2 AND c.number = $3",
        [current_tenant_id(), year, number],
    )
    return bool(rows)


# The finalised evaluations of a year (checkpoint_id null) or of one checkpoint, per NIP,
# with the evaluator fixed on the plan: one statement for the region.
_PREDIKAT = """
SELECT e.nip AS "nipBaru", e.name AS nama, u.name AS "unorNama", p.year AS tahun,
    c.label AS periode,
    extract(month FROM c.starts_on)::int AS "bulanMulaiPenilaian",
    extract(year FROM c.starts_on)::int AS "tahunMulaiPenilaian",
    extract(month FROM c.ends_on)::int AS "bulanSelesaiPenilaian",
    extract(year FROM c.ends_on)::int AS "tahunSelesaiPenilaian",
    ev.result_rating AS "hasilKinerja", ev.behaviour_rating AS "perilakuKerja",
    ev.predikat AS "kuadranKinerja",
    a.nip AS "penilaiNipNrp", a.name AS "penilaiNama", a.position AS "penilaiJabatanNama",
    au.name AS "penilaiUnorNama", a.golongan AS "penilaiGolongan",
    CASE WHEN a.id IS NOT NULL THEN 'ASN' END AS "statusPenilai"
FROM evaluations ev
JOIN periods p ON p.tenant_id = ev.tenant_id AND p.id = ev.period_id
JOIN plans pl ON pl.tenant_id = ev.tenant_id AND pl.id = ev.plan_id
JOIN employees e ON e.tenant_id = ev.tenant_id AND e.id = ev.employee_id
JOIN org_units u ON u.tenant_id = ev.tenant_id AND u.id = pl.unit_id
LEFT JOIN checkpoints c ON c.tenant_id = ev.tenant_id AND c.id = ev.checkpoint_id
LEFT JOIN employees a ON a.tenant_id = ev.tenant_id AND a.id = pl.evaluator_id
LEFT JOIN org_units au ON au.tenant_id = ev.tenant_id AND au.id = a.unit_id
WHERE ev.tenant_id = $1 AND p.year = $2 AND ev.status = 'FINALISED'
    AND CASE WHEN $3::int IS NULL THEN ev.checkpoint_id IS NULL ELSE c.number = $3::int END
ORDER BY e.nip, ev.id
"""


async def predikat_rows(year: int, checkpoint_number: int | None) -> list[dict[str, Any]]:
    return await db().execute_query_dict(_PREDIKAT, [current_tenant_id(), year, checkpoint_number])


# JP completed per active employee in the year (in the region's time zone), as the
# training JP ledger counts them: the read model `training_jp` (migration 0036, kept by
# kinerja_training_refresh), for every employee.
_JP = """
SELECT e.nip AS "nipBaru", e.name AS nama, u.name AS "unorNama", $2::int AS "tahunKursus",
    coalesce(j.jp, 0)::int AS "jumlahJam", $3::int AS "targetJam",
    greatest($3::int - coalesce(j.jp, 0), 0)::int AS "kekuranganJam"
FROM employees e
JOIN org_units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id
LEFT JOIN training_jp j ON j.tenant_id = $1 AND j.employee_id = e.id AND j.year = $2
WHERE e.tenant_id = $1 AND e.is_active
ORDER BY e.nip
"""


async def jp_rows(year: int, entitlement: int) -> list[dict[str, Any]]:
    return await db().execute_query_dict(_JP, [current_tenant_id(), year, entitlement])
