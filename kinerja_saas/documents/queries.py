"""All SQL of the documents domain. Every statement names the tenant ($1) as well as
relying on row-level security. The gathering reads take lists of ids: a unit's documents
are gathered a batch at a time in a fixed number of statements, never one per document."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypedDict

from kinerja_saas.db import db
from kinerja_saas.db.fragments import path_within, unit_subtree

# An official's columns, for the employee (e), the evaluator (v) and the evaluator's
# supervisor (s). HOOK (acting officials): when employees or plans carry the capacity an
# official acts in (Plt./Plh.), select it here as `<x>_capacity`; the renderer prints it.
_PERSON = (
    "{a}.name AS {p}_name, {a}.nip AS {p}_nip, {a}.golongan AS {p}_golongan,"
    " {a}.position AS {p}_position, {a}u.name AS {p}_unit, NULL::text AS {p}_capacity"
)
_PERSON_JOIN = (
    " LEFT JOIN employees {a} ON {a}.tenant_id = $1 AND {a}.id = {col}"
    " LEFT JOIN org_units {a}u ON {a}u.tenant_id = $1 AND {a}u.id = {a}.unit_id"
)


def _people() -> tuple[str, str]:
    cols = ", ".join(
        _PERSON.format(a=a, p=p)
        for a, p in (("e", "employee"), ("v", "evaluator"), ("s", "atasan"))
    )
    joins = "".join(
        _PERSON_JOIN.format(a=a, col=col)
        for a, col in (
            ("e", "p.employee_id"),
            ("v", "p.evaluator_id"),
            ("s", "p.evaluator_supervisor_id"),
        )
    )
    return cols, joins


_PEOPLE_COLUMNS, _PEOPLE_JOINS = _people()


async def plan_headers(tenant_id: int, plan_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Per plan: its status and dates, the period, the region, and the three officials."""
    if not plan_ids:
        return []
    return await db().execute_query_dict(
        # Dates as the region's calendar has them (a signature after 17:00 UTC in Jakarta
        # is dated the next day).
        "SELECT p.id, p.status, (p.approved_at AT TIME ZONE t.timezone)::date AS approved_on,"
        " (p.submitted_at AT TIME ZONE t.timezone)::date AS submitted_on,"
        " p.employee_id, p.unit_id,"
        " p.evaluator_id, p.evaluator_supervisor_id, p.period_id,"
        " pe.year, pe.name AS period_name, pe.starts_on, pe.ends_on, t.name AS region, "
        + _PEOPLE_COLUMNS
        + " FROM plans p JOIN periods pe ON pe.tenant_id = $1 AND pe.id = p.period_id"
        " JOIN tenants t ON t.id = p.tenant_id"
        + _PEOPLE_JOINS
        + " WHERE p.tenant_id = $1 AND p.id = ANY($2::bigint[]) ORDER BY p.id",
        [tenant_id, list(plan_ids)],
    )


async def plan_items(tenant_id: int, plan_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Each plan's work results with their indicators, in order (a result without an
    indicator comes once with NULL indicator columns); the leader's result it supports."""
    if not plan_ids:
        return []
    return await db().execute_query_dict(
        "SELECT r.plan_id, r.id AS result_id, r.kind, r.text AS result_text, r.position,"
        " sr.text AS supports_text, i.id AS indicator_id, i.text AS indicator_text, i.aspect,"
        " i.target, i.unit_label, i.position AS indicator_position"
        " FROM plan_results r"
        " LEFT JOIN plan_results sr ON sr.tenant_id = $1 AND sr.id = r.supports_result_id"
        " LEFT JOIN indicators i ON i.tenant_id = $1 AND i.result_id = r.id"
        " WHERE r.tenant_id = $1 AND r.plan_id = ANY($2::bigint[])"
        " ORDER BY r.plan_id, (r.kind <> 'UTAMA'), r.position, i.position",
        [tenant_id, list(plan_ids)],
    )


async def behaviour_values(tenant_id: int) -> list[dict[str, Any]]:
    """The region's 7 BerAKHLAK values with their guide behaviours, in order."""
    rows = await db().execute_query_dict(
        "SELECT code, name, guide_behaviours FROM behaviour_values WHERE tenant_id = $1"
        " ORDER BY position",
        [tenant_id],
    )
    for r in rows:
        if isinstance(r["guide_behaviours"], str):
            r["guide_behaviours"] = json.loads(r["guide_behaviours"])
    return rows


async def evaluation_headers(tenant_id: int, evaluation_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Per evaluation: its ratings, predikat, feedback, frozen evidence, the checkpoint
    (none: the year) and the organisation's rating of the plan's unit."""
    if not evaluation_ids:
        return []
    rows = await db().execute_query_dict(
        "SELECT ev.id, ev.plan_id, ev.status, ev.checkpoint_id, ev.achievement,"
        " ev.result_rating, ev.behaviour_rating, ev.behaviour_ratings, ev.predikat,"
        " ev.feedback, ev.evidence, c.label AS checkpoint_label,"
        " (ev.finalised_at AT TIME ZONE t.timezone)::date AS finalised_on,"
        # The organisation's rating of the plan's unit or, unrated, of its nearest
        # rated ancestor (the perangkat daerah is usually rated, not each bidang).
        " (SELECT ur.rating FROM unit_ratings ur"
        "  JOIN org_units a ON a.tenant_id = $1 AND a.id = ur.unit_id"
        "  WHERE ur.tenant_id = $1 AND ur.period_id = ev.period_id AND "
        + path_within("pu.path", "a.path")
        + "  ORDER BY a.depth DESC LIMIT 1) AS organisation_rating"
        " FROM evaluations ev JOIN plans p ON p.tenant_id = $1 AND p.id = ev.plan_id"
        " JOIN org_units pu ON pu.tenant_id = $1 AND pu.id = p.unit_id"
        " JOIN tenants t ON t.id = ev.tenant_id"
        " LEFT JOIN checkpoints c ON c.tenant_id = $1 AND c.id = ev.checkpoint_id"
        " WHERE ev.tenant_id = $1 AND ev.id = ANY($2::bigint[]) ORDER BY ev.id",
        [tenant_id, list(evaluation_ids)],
    )
    for r in rows:
        for key in ("behaviour_ratings", "evidence"):
            if isinstance(r[key], str):
                r[key] = json.loads(r[key])
    return rows


class RecapRow(TypedDict):
    unit_id: int
    unit_name: str
    path: str
    sangat_baik: int
    baik: int
    butuh_perbaikan: int
    kurang: int
    sangat_kurang: int
    not_rated: int


async def predikat_recap(tenant_id: int, period_id: int, unit_id: int | None) -> list[RecapRow]:
    """Per unit (the region's, or a unit's subtree), the plans of the period by the
    predikat of their finalised annual evaluation, and those without one. One statement."""
    scope = (
        f" AND u.id IN ({unit_subtree('$3')})" if unit_id is not None else " AND $3::bigint IS NULL"
    )
    rows = await db().execute_query_dict(
        "SELECT u.id AS unit_id, u.name AS unit_name, u.path,"
        " count(*) FILTER (WHERE ev.predikat = 'SANGAT_BAIK')::int AS sangat_baik,"
        " count(*) FILTER (WHERE ev.predikat = 'BAIK')::int AS baik,"
        " count(*) FILTER (WHERE ev.predikat = 'BUTUH_PERBAIKAN')::int AS butuh_perbaikan,"
        " count(*) FILTER (WHERE ev.predikat = 'KURANG')::int AS kurang,"
        " count(*) FILTER (WHERE ev.predikat = 'SANGAT_KURANG')::int AS sangat_kurang,"
        " count(*) FILTER (WHERE p.id IS NOT NULL AND ev.predikat IS NULL)::int AS not_rated"
        " FROM org_units u"
        " LEFT JOIN plans p ON p.tenant_id = $1 AND p.unit_id = u.id AND p.period_id = $2"
        " LEFT JOIN evaluations ev ON ev.tenant_id = $1 AND ev.plan_id = p.id"
        "  AND ev.checkpoint_id IS NULL AND ev.status = 'FINALISED'"
        " WHERE u.tenant_id = $1 AND u.is_active" + scope + " GROUP BY u.id ORDER BY u.path",
        [tenant_id, period_id, unit_id],
    )
    return rows  # type: ignore[return-value]


async def period_row(tenant_id: int, period_id: int) -> dict[str, Any] | None:
    rows = await db().execute_query_dict(
        "SELECT pe.id, pe.year, pe.name, pe.starts_on, pe.ends_on, t.name AS region"
        " FROM periods pe JOIN tenants t ON t.id = pe.tenant_id"
        " WHERE pe.tenant_id = $1 AND pe.id = $2",
        [tenant_id, period_id],
    )
    return rows[0] if rows else None


async def unit_row(tenant_id: int, unit_id: int) -> dict[str, Any] | None:
    rows = await db().execute_query_dict(
        "SELECT id, name, path FROM org_units WHERE tenant_id = $1 AND id = $2",
        [tenant_id, unit_id],
    )
    return rows[0] if rows else None


async def signer(tenant_id: int, employee_id: int | None) -> dict[str, Any] | None:
    """The official who signs a recap (the admin who asked, when they are an employee)."""
    if employee_id is None:
        return None
    rows = await db().execute_query_dict(
        "SELECT e.name, e.nip, e.golongan, e.position, u.name AS unit, NULL::text AS capacity"
        " FROM employees e JOIN org_units u ON u.tenant_id = $1 AND u.id = e.unit_id"
        " WHERE e.tenant_id = $1 AND e.id = $2",
        [tenant_id, employee_id],
    )
    return rows[0] if rows else None


# --- who may ask for what -----------------------------------------------------------------


async def plan_parties(tenant_id: int, plan_id: int) -> dict[str, Any] | None:
    rows = await db().execute_query_dict(
        "SELECT id, employee_id, evaluator_id, evaluator_supervisor_id, period_id, unit_id"
        " FROM plans WHERE tenant_id = $1 AND id = $2",
        [tenant_id, plan_id],
    )
    return rows[0] if rows else None


async def evaluation_parties(tenant_id: int, evaluation_id: int) -> dict[str, Any] | None:
    rows = await db().execute_query_dict(
        "SELECT ev.id, ev.status, ev.plan_id, p.employee_id, p.evaluator_id,"
        " p.evaluator_supervisor_id, p.period_id, p.unit_id"
        " FROM evaluations ev JOIN plans p ON p.tenant_id = $1 AND p.id = ev.plan_id"
        " WHERE ev.tenant_id = $1 AND ev.id = $2",
        [tenant_id, evaluation_id],
    )
    return rows[0] if rows else None


async def unit_plan_ids(tenant_id: int, period_id: int, unit_id: int) -> list[int]:
    rows = await db().execute_query_dict(
        "SELECT p.id FROM plans p WHERE p.tenant_id = $1 AND p.period_id = $2"
        f" AND p.unit_id IN ({unit_subtree('$3')}) ORDER BY p.id",
        [tenant_id, period_id, unit_id],
    )
    return [r["id"] for r in rows]


async def unit_evaluation_ids(tenant_id: int, period_id: int, unit_id: int) -> list[int]:
    """The finalised annual evaluations of a unit's plans (and its sub-units')."""
    rows = await db().execute_query_dict(
        "SELECT ev.id FROM evaluations ev JOIN plans p ON p.tenant_id = $1 AND p.id = ev.plan_id"
        " WHERE ev.tenant_id = $1 AND p.period_id = $2 AND ev.checkpoint_id IS NULL"
        f" AND ev.status = 'FINALISED' AND p.unit_id IN ({unit_subtree('$3')}) ORDER BY ev.id",
        [tenant_id, period_id, unit_id],
    )
    return [r["id"] for r in rows]


# --- jobs ---------------------------------------------------------------------------------

_JOB_COLUMNS = (
    "id, kind, scope, subject_id, period_id, unit_id, requested_by, requester_employee_id,"
    " status, total, done, storage_key, filename, content_type, size_bytes, error, created_at,"
    " started_at, finished_at"
)


class JobRow(TypedDict):
    id: int
    kind: str
    scope: str
    subject_id: int | None
    period_id: int | None
    unit_id: int | None
    requested_by: int | None
    requester_employee_id: int | None
    status: str
    total: int
    done: int
    storage_key: str | None
    filename: str | None
    content_type: str | None
    size_bytes: int | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


async def create_job(
    tenant_id: int,
    *,
    kind: str,
    scope: str,
    subject_id: int | None,
    period_id: int | None,
    unit_id: int | None,
    requested_by: int | None,
    requester_employee_id: int | None,
    total: int,
) -> JobRow:
    rows = await db().execute_query_dict(
        "INSERT INTO document_jobs (tenant_id, kind, scope, subject_id, period_id, unit_id,"
        " requested_by, requester_employee_id, total)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {_JOB_COLUMNS}",
        [tenant_id, kind, scope, subject_id, period_id, unit_id, requested_by,
         requester_employee_id, total],
    )  # fmt: skip
    return rows[0]  # type: ignore[return-value]


async def job(tenant_id: int, job_id: int) -> JobRow | None:
    rows = await db().execute_query_dict(
        f"SELECT {_JOB_COLUMNS} FROM document_jobs WHERE tenant_id = $1 AND id = $2",
        [tenant_id, job_id],
    )
    return rows[0] if rows else None  # type: ignore[return-value]


async def claim_job(tenant_id: int, job_id: int) -> JobRow | None:
    """QUEUED (or RUNNING: a re-run after a worker died) -> RUNNING, locked for this run;
    None when it finished already (a re-delivered event)."""
    rows = await db().execute_query_dict(
        "UPDATE document_jobs SET status = 'RUNNING', done = 0,"
        " started_at = coalesce(started_at, now())"
        " WHERE tenant_id = $1 AND id = $2 AND status IN ('QUEUED', 'RUNNING')"
        f" RETURNING {_JOB_COLUMNS}",
        [tenant_id, job_id],
    )
    return rows[0] if rows else None  # type: ignore[return-value]


async def job_progress(tenant_id: int, job_id: int, *, done: int, total: int) -> None:
    await db().execute_query(
        "UPDATE document_jobs SET done = $3, total = $4 WHERE tenant_id = $1 AND id = $2",
        [tenant_id, job_id, done, total],
    )


async def finish_job(
    tenant_id: int, job_id: int, *, storage_key: str, filename: str, content_type: str,
    size_bytes: int, done: int,
) -> None:  # fmt: skip
    await db().execute_query(
        "UPDATE document_jobs SET status = 'SUCCEEDED', storage_key = $3, filename = $4,"
        " content_type = $5, size_bytes = $6, done = $7, total = $7, finished_at = now()"
        " WHERE tenant_id = $1 AND id = $2",
        [tenant_id, job_id, storage_key, filename, content_type, size_bytes, done],
    )


async def fail_job(tenant_id: int, job_id: int, error: str) -> None:
    await db().execute_query(
        "UPDATE document_jobs SET status = 'FAILED', error = $3, finished_at = now()"
        " WHERE tenant_id = $1 AND id = $2 AND status IN ('QUEUED', 'RUNNING')",
        [tenant_id, job_id, error[:500]],
    )


async def delete_job_documents(tenant_id: int, job_id: int) -> None:
    """A re-run starts over: the documents of an unfinished earlier run go (their codes
    were never handed out: the file they were printed in was never stored)."""
    await db().execute_query(
        "DELETE FROM documents WHERE tenant_id = $1 AND job_id = $2", [tenant_id, job_id]
    )


class DocumentInsert(TypedDict):
    kind: str
    subject_id: int
    unit_id: int | None
    employee_id: int | None
    code: str
    content_hash: str
    file_sha256: str
    facts: dict[str, Any]


async def insert_documents(tenant_id: int, job_id: int, docs: Sequence[DocumentInsert]) -> None:
    """One statement for a batch of documents."""
    if not docs:
        return
    await db().execute_query(
        "INSERT INTO documents (tenant_id, job_id, kind, subject_id, unit_id, employee_id, code,"
        " content_hash, file_sha256, facts)"
        " SELECT $1, $2, d.kind, d.subject_id, d.unit_id, d.employee_id, d.code, d.content_hash,"
        " d.file_sha256, d.facts"
        " FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[],"
        " $8::text[], $9::text[], $10::jsonb[])"
        " AS d(kind, subject_id, unit_id, employee_id, code, content_hash, file_sha256, facts)",
        [
            tenant_id,
            job_id,
            [d["kind"] for d in docs],
            [d["subject_id"] for d in docs],
            [d["unit_id"] for d in docs],
            [d["employee_id"] for d in docs],
            [d["code"] for d in docs],
            [d["content_hash"] for d in docs],
            [d["file_sha256"] for d in docs],
            [json.dumps(d["facts"], ensure_ascii=False) for d in docs],
        ],
    )


class DocumentRow(TypedDict):
    id: int
    job_id: int
    kind: str
    subject_id: int
    unit_id: int | None
    employee_id: int | None
    code: str
    content_hash: str
    file_sha256: str
    facts: dict[str, Any]
    created_at: datetime
    region: str


_DOC_COLUMNS = (
    "d.id, d.job_id, d.kind, d.subject_id, d.unit_id, d.employee_id, d.code, d.content_hash,"
    " d.file_sha256, d.facts, d.created_at, t.name AS region"
)


def _doc(row: dict[str, Any]) -> DocumentRow:
    if isinstance(row["facts"], str):
        row["facts"] = json.loads(row["facts"])
    return row  # type: ignore[return-value]


async def document(tenant_id: int, document_id: int) -> DocumentRow | None:
    rows = await db().execute_query_dict(
        f"SELECT {_DOC_COLUMNS} FROM documents d JOIN tenants t ON t.id = d.tenant_id"
        " WHERE d.tenant_id = $1 AND d.id = $2",
        [tenant_id, document_id],
    )
    return _doc(rows[0]) if rows else None


async def job_documents(tenant_id: int, job_id: int, limit: int) -> list[DocumentRow]:
    rows = await db().execute_query_dict(
        f"SELECT {_DOC_COLUMNS} FROM documents d JOIN tenants t ON t.id = d.tenant_id"
        " WHERE d.tenant_id = $1 AND d.job_id = $2 ORDER BY d.id LIMIT $3",
        [tenant_id, job_id, limit],
    )
    return [_doc(r) for r in rows]


async def code_lookup(code: str) -> dict[str, Any] | None:
    """Any region's code, before a tenant is known (definer function, active regions)."""
    rows = await db().execute_query_dict(
        "SELECT tenant_id, document_id FROM document_code_lookup($1)", [code]
    )
    return rows[0] if rows else None


async def day_in_region(tenant_id: int, at: datetime) -> date:
    """The calendar day `at` falls on in the region's time zone."""
    rows = await db().execute_query_dict(
        "SELECT ($2::timestamptz AT TIME ZONE t.timezone)::date AS day FROM tenants t"
        " WHERE t.id = $1",
        [tenant_id, at],
    )
    return rows[0]["day"]
