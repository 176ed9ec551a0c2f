"""Use cases of the documents: asking for a document or a unit's documents (a job for a
worker), the job's status and its short-lived download link, the worker's run, and the
public verification of a printed code. Knows nothing of GraphQL, the queue or HTTP.

Who may ask for what: the employee their own SKP and evaluations; the evaluator (pejabat
penilai) and the evaluator's supervisor (atasan pejabat penilai, who signs too) those of
the plans they sign; the region admin all, and alone a unit's documents and the predikat
recap. Anything else is answered as not found: a document request tells nobody whether
another person's plan exists.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kinerja_saas.audit.service import record
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.documents import events, generator, queries
from kinerja_saas.documents.errors import DocumentError, not_admin, not_found
from kinerja_saas.documents.queries import DocumentInsert, JobRow
from kinerja_saas.documents.render import render
from kinerja_saas.documents.rules import (
    DocumentKind,
    JobScope,
    JobStatus,
    code_text,
    content_hash,
    date_text,
    file_name,
    new_code,
    normalise_code,
    verification_url,
)
from kinerja_saas.documents.storage import DocumentStorage, object_key
from kinerja_saas.errors import ValidationFailed
from kinerja_saas.outbox.service import emit
from tenants.context import current_tenant_id, tenant_transaction

BATCH = 50  # documents gathered per transaction, rendered outside it, recorded per step
PDF = "application/pdf"
ZIP = "application/zip"

Progress = Callable[[int, int], None]


def _is_admin(actor: Actor) -> bool:
    return actor.has(Role.REGION_ADMIN)


def _may_see(actor: Actor, parties: dict[str, Any]) -> bool:
    if _is_admin(actor):
        return True
    me = actor.employee_id
    return me is not None and me in (
        parties["employee_id"],
        parties["evaluator_id"],
        parties["evaluator_supervisor_id"],
    )


# --- requests -----------------------------------------------------------------------------


async def request_document(
    *, actor: Actor, kind: DocumentKind, subject_id: int, unit_id: int | None = None
) -> JobRow:
    """One document as a job: the SKP of plan `subject_id`, the evaluation `subject_id`
    (finalised), or the predikat recap of period `subject_id` (optionally of `unit_id`'s
    subtree; region admin)."""
    tenant_id = current_tenant_id()
    period_id: int | None = None
    if kind is DocumentKind.SKP:
        parties = await queries.plan_parties(tenant_id, subject_id)
        if parties is None or not _may_see(actor, parties):
            raise not_found("SKP", "id")
        period_id = parties["period_id"]
    elif kind is DocumentKind.EVALUATION:
        parties = await queries.evaluation_parties(tenant_id, subject_id)
        if parties is None or not _may_see(actor, parties):
            raise not_found("Evaluasi", "id")
        if parties["status"] != "FINALISED":
            raise ValidationFailed.one("id", DocumentError.NOT_FINALISED)
        period_id = parties["period_id"]
    else:
        if not _is_admin(actor):
            raise not_admin("mencetak rekapitulasi predikat")
        if await queries.period_row(tenant_id, subject_id) is None:
            raise not_found("Periode", "id")
        if unit_id is not None and await queries.unit_row(tenant_id, unit_id) is None:
            raise not_found("Unit", "unitId")
        period_id = subject_id
    return await _queue(
        actor, kind=kind, scope=JobScope.ONE, subject_id=subject_id, period_id=period_id,
        unit_id=unit_id if kind is DocumentKind.PREDIKAT_RECAP else None, total=1,
    )  # fmt: skip


async def request_unit_documents(
    *, actor: Actor, kind: DocumentKind, unit_id: int, period_id: int
) -> JobRow:
    """Every SKP (or finalised annual evaluation) of a unit and its sub-units in one ZIP."""
    if not _is_admin(actor):
        raise not_admin("mencetak dokumen satu unit")
    tenant_id = current_tenant_id()
    if kind is DocumentKind.PREDIKAT_RECAP:
        raise ValidationFailed.one("kind", DocumentError.WRONG_KIND)
    if await queries.unit_row(tenant_id, unit_id) is None:
        raise not_found("Unit", "unitId")
    if await queries.period_row(tenant_id, period_id) is None:
        raise not_found("Periode", "periodId")
    ids = await _unit_subjects(tenant_id, kind, period_id, unit_id)
    if not ids:
        what = "SKP" if kind is DocumentKind.SKP else "evaluasi tahunan yang sudah final"
        raise ValidationFailed.one("unitId", DocumentError.NOTHING_TO_RENDER, what=what)
    return await _queue(
        actor, kind=kind, scope=JobScope.UNIT, subject_id=None, period_id=period_id,
        unit_id=unit_id, total=len(ids),
    )  # fmt: skip


async def _unit_subjects(tenant_id: int, kind: str, period_id: int, unit_id: int) -> list[int]:
    if kind == DocumentKind.SKP:
        return await queries.unit_plan_ids(tenant_id, period_id, unit_id)
    return await queries.unit_evaluation_ids(tenant_id, period_id, unit_id)


async def _queue(
    actor: Actor,
    *,
    kind: DocumentKind,
    scope: JobScope,
    subject_id: int | None,
    period_id: int | None,
    unit_id: int | None,
    total: int,
) -> JobRow:
    tenant_id = current_tenant_id()
    row = await queries.create_job(
        tenant_id,
        kind=kind.value,
        scope=scope.value,
        subject_id=subject_id,
        period_id=period_id,
        unit_id=unit_id,
        requested_by=actor.user_id or None,
        requester_employee_id=actor.employee_id,
        total=total,
    )
    await emit(events.DOCUMENTS_REQUESTED, {"job_id": row["id"]})
    await record(
        actor=actor,
        action="documents.request",
        entity="document_job",
        entity_id=row["id"],
        after={
            "kind": kind.value,
            "scope": scope.value,
            "subject_id": subject_id,
            "period_id": period_id,
            "unit_id": unit_id,
        },
    )
    return row


# --- the job and its documents --------------------------------------------------------------


async def job_for(*, actor: Actor, job_id: int) -> JobRow | None:
    """The job, for the one who asked for it and the region admin (None for anyone else)."""
    row = await queries.job(current_tenant_id(), job_id)
    if row is None:
        return None
    if _is_admin(actor) or (actor.user_id and row["requested_by"] == actor.user_id):
        return row
    return None


async def job_documents(job: JobRow, limit: int = 100) -> list[queries.DocumentRow]:
    return await queries.job_documents(current_tenant_id(), job["id"], limit)


async def download_link(job: JobRow, *, storage: DocumentStorage, base_url: str) -> str | None:
    """A short-lived link to the job's file (None until it succeeded)."""
    if job["status"] != JobStatus.SUCCEEDED or job["storage_key"] is None:
        return None
    return await storage.link(
        job["storage_key"],
        filename=job["filename"] or "dokumen",
        content_type=job["content_type"] or PDF,
        base_url=base_url,
    )


@dataclass(frozen=True)
class Rendered:
    subject_id: int
    filename: str
    pdf: bytes
    row: DocumentInsert


async def _contents(
    tenant_id: int, job: JobRow, ids: Sequence[int]
) -> list[tuple[int, generator.Content, int | None, int | None]]:
    """(subject id, content, unit id, employee id) per subject, in a fixed number of
    statements for any number of ids (3 for SKP, 4 for evaluations, 5 for a recap)."""
    kind = job["kind"]
    if kind == DocumentKind.PREDIKAT_RECAP:
        period = await queries.period_row(tenant_id, ids[0])
        if period is None:
            return []
        unit = await queries.unit_row(tenant_id, job["unit_id"]) if job["unit_id"] else None
        scope = unit["name"] if unit else "Seluruh perangkat daerah"
        recap = await queries.predikat_recap(tenant_id, ids[0], job["unit_id"])
        signer = await queries.signer(tenant_id, job["requester_employee_id"])
        day = await queries.day_in_region(tenant_id, job["created_at"])
        recap_doc = generator.recap_document(period, scope, recap, signer, day)
        return [(ids[0], recap_doc, job["unit_id"], None)]
    values = await queries.behaviour_values(tenant_id)
    if kind == DocumentKind.SKP:
        headers = await queries.plan_headers(tenant_id, ids)
        plan_ids = [h["id"] for h in headers]
        evaluations: dict[int, dict[str, Any]] = {}
    else:
        found = await queries.evaluation_headers(tenant_id, ids)
        evaluations = {e["plan_id"]: e for e in found}
        headers = await queries.plan_headers(tenant_id, list(evaluations))
        plan_ids = list(evaluations)
    items: dict[int, list[dict[str, Any]]] = {pid: [] for pid in plan_ids}
    for row in await queries.plan_items(tenant_id, plan_ids):
        items[row["plan_id"]].append(row)
    out: list[tuple[int, generator.Content, int | None, int | None]] = []
    for h in headers:
        ev = evaluations.get(h["id"])
        content: generator.Content
        if ev is None:
            content = generator.plan_document(h, items[h["id"]], values)
            subject = h["id"]
        else:
            content = generator.evaluation_document(ev, h, items[h["id"]], values)
            subject = ev["id"]
        out.append((subject, content, h["unit_id"], h["employee_id"]))
    return out


def _file_name(kind: DocumentKind, content: generator.Content) -> str:
    year = content.period.removeprefix("Tahun ")
    if isinstance(content, generator.PlanDocument):
        return file_name(kind, year, content.employee.nip)
    if isinstance(content, generator.EvaluationDocument):
        return file_name(kind, year, content.assessed, content.employee.nip)
    return file_name(kind, year, content.scope)


def _render_one(
    kind: DocumentKind, subject: int, content: generator.Content, unit_id: int | None,
    employee_id: int | None, *, public_url: str, printed_on: str,
) -> Rendered:  # fmt: skip
    code = new_code()
    pdf = render(
        kind, content, code=code, verify_url=verification_url(public_url, code),
        printed_on=printed_on,
    )  # fmt: skip
    facts = generator.public_facts(kind, content)
    return Rendered(
        subject_id=subject,
        filename=_file_name(kind, content),
        pdf=pdf,
        row=DocumentInsert(
            kind=kind.value,
            subject_id=subject,
            unit_id=unit_id,
            employee_id=employee_id,
            code=code,
            content_hash=content_hash(content),
            file_sha256=hashlib.sha256(pdf).hexdigest(),
            facts=facts,
        ),
    )


async def run_job(
    *,
    tenant_id: int,
    job_id: int,
    storage: DocumentStorage,
    public_url: str,
    progress: Progress | None = None,
) -> JobRow | None:
    """The worker's run: gathers a batch in one short transaction, renders it outside any
    transaction (in a thread: the worker's loop keeps its heartbeats), records the batch's
    documents and the progress, then stores the PDF or the ZIP and marks the job done.
    Safe to run again: a re-run starts over (an unfinished run's documents are dropped)."""
    async with tenant_transaction(tenant_id):
        job = await queries.claim_job(tenant_id, job_id)
        if job is None:
            return await queries.job(tenant_id, job_id)  # finished already
        await queries.delete_job_documents(tenant_id, job_id)
        kind = DocumentKind(job["kind"])
        if job["scope"] == JobScope.UNIT:
            assert job["period_id"] is not None and job["unit_id"] is not None
            ids = await _unit_subjects(tenant_id, kind, job["period_id"], job["unit_id"])
        else:
            assert job["subject_id"] is not None
            ids = [job["subject_id"]]
        printed_on = date_text(await queries.day_in_region(tenant_id, datetime.now(UTC)))
    archive = io.BytesIO()
    single: Rendered | None = None
    done = 0
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for start in range(0, len(ids), BATCH):
            async with tenant_transaction(tenant_id):
                contents = await _contents(tenant_id, job, ids[start : start + BATCH])
            batch = [
                await asyncio.to_thread(
                    _render_one, kind, *c, public_url=public_url, printed_on=printed_on
                )
                for c in contents
            ]
            for r in batch:
                if job["scope"] == JobScope.UNIT:
                    zipped.writestr(r.filename, r.pdf)
                else:
                    single = r
            done += len(batch)
            async with tenant_transaction(tenant_id):
                await queries.insert_documents(tenant_id, job_id, [r.row for r in batch])
                await queries.job_progress(tenant_id, job_id, done=done, total=len(ids))
            if progress:
                progress(done, len(ids))
    if job["scope"] == JobScope.UNIT:
        data, content_type = archive.getvalue(), ZIP
        name = file_name(kind, "unit", job["unit_id"]).removesuffix(".pdf") + ".zip"
    elif single is not None:
        data, content_type, name = single.pdf, PDF, single.filename
    else:  # the subject went between the request and the run
        async with tenant_transaction(tenant_id):
            await queries.fail_job(tenant_id, job_id, DocumentError.SUBJECT_GONE.render())
            return await queries.job(tenant_id, job_id)
    key = object_key(tenant_id, job_id, name)
    await storage.put(key, data, content_type=content_type, filename=name)
    async with tenant_transaction(tenant_id):
        await queries.finish_job(
            tenant_id, job_id, storage_key=key, filename=name, content_type=content_type,
            size_bytes=len(data), done=done,
        )  # fmt: skip
        return await queries.job(tenant_id, job_id)


async def fail_job(*, tenant_id: int, job_id: int, reason: str) -> None:
    """A job that could not run to its end is marked FAILED, never left RUNNING."""
    async with tenant_transaction(tenant_id, require_active=False):
        await queries.fail_job(tenant_id, job_id, DocumentError.JOB_FAILED.render(reason=reason))


# --- public verification --------------------------------------------------------------------


@dataclass(frozen=True)
class CodeTarget:
    tenant_id: int
    document_id: int


async def resolve_code(raw: str) -> CodeTarget | None:
    """Any region's code, without a tenant; None for an impossible or unknown code."""
    code = normalise_code(raw)
    if code is None:
        return None
    row = await queries.code_lookup(code)
    return CodeTarget(row["tenant_id"], row["document_id"]) if row else None


@dataclass(frozen=True)
class Verification:
    code: str  # as printed: XXXX-XXXX-XXXX
    facts: dict[str, Any]
    issued_on: str
    is_current: bool  # the content now hashes as it did when the document was made
    content_hash: str
    file_sha256: str


async def verify(target: CodeTarget) -> Verification | None:
    """In the document's region: its public facts and whether its content is still what
    it was rendered from (gathered again now and hashed the same way)."""
    tenant_id = target.tenant_id
    doc = await queries.document(tenant_id, target.document_id)
    if doc is None:
        return None
    job = await queries.job(tenant_id, doc["job_id"])
    assert job is not None  # documents go with their job
    single = {**job, "kind": doc["kind"]}
    now = await _contents(tenant_id, single, [doc["subject_id"]])  # type: ignore[arg-type]
    current = next((content_hash(c) for s, c, _, _ in now if s == doc["subject_id"]), None)
    issued = await queries.day_in_region(tenant_id, doc["created_at"])
    return Verification(
        code=code_text(doc["code"]),
        facts=doc["facts"],
        issued_on=date_text(issued),
        is_current=current == doc["content_hash"],
        content_hash=doc["content_hash"],
        file_sha256=doc["file_sha256"],
    )
