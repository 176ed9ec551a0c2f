"""Benchmark: all documents of one region rendered and stored (issue 20) — documents per
second and the worker's peak RSS, against a floor doing the same work without layout.

    .venv/bin/python -m bench.documents [--employees 5000 --sample 400]

Steps: (re)create the database `kinerja_bench_documents`, migrate it, generate one region
(bench/generate.py) with a year of the cycle (bench/generate_cycle.py: an approved SKP per
employee, finalised annual evaluations for about half) and the region's BerAKHLAK values.
Then, in this process (the worker's code path, `documents.service.run_job`: gather a batch
in one transaction, render each PDF with ReportLab in a thread, record the codes and
hashes, store the ZIP in the folder storage):

- platform: unit jobs (SKP, then EVALUATION) over the region's top units in order until
  `--sample` documents are rendered, and the predikat recap of the whole region;
- floor: the same documents' content gathered with the same queries, each drawn as plain
  text lines on a ReportLab canvas (no tables, no layout, no QR code), zipped and stored
  the same way: what rendering costs without the annex's layout.

Prints documents per second of each, the ratio, the peak RSS of this process (ru_maxrss,
which includes the generator's and the interpreter's) and the time the whole region's
documents (every SKP, every finalised annual evaluation, the recap) would take at the
measured rate, on this machine with the load it had; writes bench/results/documents.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import resource
import tempfile
import time
import zipfile
from pathlib import Path

import asyncpg
import orjson
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from bench.common import DEFAULT_DATABASE_URL, RESULTS_DIR, fresh_database
from bench.generate import generate
from bench.generate_cycle import generate_cycle
from kinerja_saas.database import close_db, init_app_db
from kinerja_saas.db import db
from kinerja_saas.documents import queries, rules, service
from kinerja_saas.documents.generator import Content
from kinerja_saas.documents.storage import FolderStorage
from kinerja_saas.regions.onboarding import seed_reference_data
from tenants.context import tenant_transaction

BENCH_DB = "kinerja_bench_documents"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _lines(value: object, prefix: str = "") -> list[str]:
    """Every text of a content object, one per line (what the floor draws)."""
    if isinstance(value, str):
        return [prefix + value]
    if isinstance(value, tuple | list):
        return [line for v in value for line in _lines(v, prefix)]
    if hasattr(value, "__dataclass_fields__"):
        return [
            line
            for name in value.__dataclass_fields__
            for line in _lines(getattr(value, name), prefix)
        ]
    return [prefix + str(value)] if value is not None else []


def floor_pdf(content: Content, code: str) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    y = 800
    for line in [*_lines(content), f"Kode verifikasi: {rules.code_text(code)}"]:
        canvas.drawString(40, y, line[:120])
        y -= 12
        if y < 40:
            canvas.showPage()
            y = 800
    canvas.save()
    return out.getvalue()


async def top_units(tenant_id: int) -> list[int]:
    async with tenant_transaction(tenant_id):
        rows = await db().execute_query_dict(
            "SELECT id FROM org_units WHERE tenant_id = $1 AND parent_id IS NULL ORDER BY id",
            [tenant_id],
        )
    return [r["id"] for r in rows]


async def platform(tenant_id: int, admin_user: int, storage: FolderStorage, sample: int,
                   kinds: list[str]) -> tuple[int, float, list[tuple[str, int]]]:  # fmt: skip
    """Unit jobs over the top units until `sample` documents; (documents, seconds, jobs)."""
    done, jobs = 0, []
    units = await top_units(tenant_id)
    started = time.perf_counter()
    for kind in kinds:
        for unit in units:
            if done >= sample:
                break
            async with tenant_transaction(tenant_id):
                period = await db().execute_query_dict(
                    "SELECT id FROM periods WHERE tenant_id = $1", [tenant_id]
                )
                ids = await service._unit_subjects(tenant_id, kind, period[0]["id"], unit)
                if not ids:
                    continue
                job = await queries.create_job(
                    tenant_id, kind=kind, scope="UNIT", subject_id=None,
                    period_id=period[0]["id"], unit_id=unit, requested_by=admin_user,
                    requester_employee_id=None, total=len(ids),
                )  # fmt: skip
            finished = await service.run_job(
                tenant_id=tenant_id, job_id=job["id"], storage=storage,
                public_url="https://kinerja.example.id",
            )  # fmt: skip
            assert finished is not None and finished["status"] == "SUCCEEDED", finished
            done += finished["done"]
            jobs.append((kind, finished["done"]))
    return done, time.perf_counter() - started, jobs


async def floor(tenant_id: int, jobs: list[tuple[str, int]], storage: FolderStorage) -> float:
    """The same subjects (the documents the platform recorded), gathered with the same
    queries, drawn as plain text, zipped and stored."""
    started = time.perf_counter()
    async with tenant_transaction(tenant_id):
        rows = await db().execute_query_dict(
            "SELECT d.job_id, d.subject_id, j.kind, j.unit_id, j.period_id, j.created_at,"
            " j.requester_employee_id FROM documents d JOIN document_jobs j"
            " ON j.tenant_id = d.tenant_id AND j.id = d.job_id"
            " WHERE d.tenant_id = $1 AND j.scope = 'UNIT' ORDER BY d.id",
            [tenant_id],
        )
    by_job: dict[int, list[dict]] = {}
    for r in rows:
        by_job.setdefault(r["job_id"], []).append(r)
    for job_id, docs in by_job.items():
        job = {**docs[0], "id": job_id, "scope": "UNIT"}
        ids = [d["subject_id"] for d in docs]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            for start in range(0, len(ids), service.BATCH):
                async with tenant_transaction(tenant_id):
                    contents = await service._contents(
                        tenant_id, job, ids[start : start + service.BATCH]
                    )  # type: ignore[arg-type]
                for subject, content, _, _ in contents:
                    code = rules.new_code()
                    pdf = await asyncio.to_thread(floor_pdf, content, code)
                    hashlib.sha256(pdf).hexdigest()
                    rules.content_hash(content)
                    zipped.writestr(f"{subject}.pdf", pdf)
        await storage.put(f"t{tenant_id}/j{job_id}/FLOOR-{job_id}.zip", archive.getvalue(),
                          content_type="application/zip", filename="floor.zip")  # fmt: skip
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> int:
    server_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    owner_url, settings = await fresh_database(server_url, BENCH_DB, redis_url)
    t = time.perf_counter()
    [tenant_id] = await generate(owner_url, regions=1, employees_per_region=args.employees)
    year = time.gmtime().tm_year
    await generate_cycle(owner_url, [tenant_id], year=year)
    generated = time.perf_counter() - t
    await init_app_db(settings)
    owner = await asyncpg.connect(owner_url)  # a superuser: sees the region's rows
    try:
        counts = await owner.fetchrow(
            "SELECT (SELECT count(*) FROM plans WHERE tenant_id = $1) AS plans,"
            " (SELECT count(*) FROM evaluations WHERE tenant_id = $1 AND checkpoint_id IS NULL"
            "  AND status = 'FINALISED') AS evaluations,"
            " (SELECT min(id) FROM user_accounts WHERE tenant_id = $1) AS admin",
            tenant_id,
        )
    finally:
        await owner.close()
    async with tenant_transaction(tenant_id):
        await seed_reference_data(tenant_id)  # the 7 BerAKHLAK values print in every SKP
    region_documents = counts["plans"] + counts["evaluations"] + 1
    with tempfile.TemporaryDirectory() as folder:
        storage = FolderStorage(Path(folder), secret="bench", link_seconds=300)
        rss_before = peak_rss_mb()
        cpu = time.process_time()
        n, seconds, jobs = await platform(
            tenant_id, counts["admin"], storage, args.sample, ["SKP", "EVALUATION"]
        )
        cpu = time.process_time() - cpu  # this process only (the database's is not in it)
        # The recap of the whole region, one document.
        async with tenant_transaction(tenant_id):
            period = await db().execute_query_dict(
                "SELECT id FROM periods WHERE tenant_id = $1", [tenant_id]
            )
            recap_job = await queries.create_job(
                tenant_id, kind="PREDIKAT_RECAP", scope="ONE", subject_id=period[0]["id"],
                period_id=period[0]["id"], unit_id=None, requested_by=counts["admin"],
                requester_employee_id=None, total=1,
            )  # fmt: skip
        r = time.perf_counter()
        await service.run_job(tenant_id=tenant_id, job_id=recap_job["id"], storage=storage,
                              public_url="https://kinerja.example.id")  # fmt: skip
        recap_seconds = time.perf_counter() - r
        floor_cpu = time.process_time()
        floor_seconds = await floor(tenant_id, jobs, storage)
        floor_cpu = time.process_time() - floor_cpu
        stored = folder_size(Path(folder))
    await close_db()
    rate, floor_rate = n / seconds, n / floor_seconds
    result = {
        "employees": args.employees,
        "region_documents": region_documents,
        "plans": counts["plans"],
        "finalised_annual_evaluations": counts["evaluations"],
        "rendered": n,
        "jobs": jobs,
        "generate_seconds": round(generated, 1),
        "platform_seconds": round(seconds, 2),
        "platform_documents_per_second": round(rate, 2),
        "floor_seconds": round(floor_seconds, 2),
        "floor_documents_per_second": round(floor_rate, 2),
        "ratio_platform_to_floor_time": round(seconds / floor_seconds, 2),
        "platform_cpu_ms_per_document": round(cpu / n * 1000, 1),
        "floor_cpu_ms_per_document": round(floor_cpu / n * 1000, 1),
        "whole_region_cpu_minutes": round(region_documents * cpu / n / 60, 1),
        "recap_seconds": round(recap_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_before_rendering_mb": round(rss_before, 1),
        "stored_bytes": stored,
        "whole_region_minutes_at_this_rate": round(region_documents / rate / 60, 1),
        "load_average": os.getloadavg(),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "documents.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(
        f"Documents of one region of {args.employees:,} employees: {region_documents:,} in all"
        f" ({counts['plans']:,} SKP, {counts['evaluations']:,} annual evaluations, 1 recap)\n"
        f"  rendered {n:,} ({', '.join(f'{k} {c}' for k, c in jobs)}) in {seconds:.1f} s:"
        f" {rate:.1f} documents/s\n"
        f"  floor (same gathering, plain text on a canvas): {floor_rate:.1f} documents/s;"
        f" platform takes {seconds / floor_seconds:.2f}x the floor's time\n"
        f"  CPU of this process per document: platform {cpu / n * 1000:.1f} ms,"
        f" floor {floor_cpu / n * 1000:.1f} ms (load-independent; the database's CPU is apart)\n"
        f"  the whole region's documents: {region_documents * cpu / n / 60:.1f} CPU minutes\n"
        f"  recap of the whole region: {recap_seconds:.2f} s\n"
        f"  peak RSS {peak_rss_mb():.0f} MB (before rendering {rss_before:.0f} MB)\n"
        f"  the whole region at this rate: {region_documents / rate / 60:.1f} min on one worker"
        f"\n  load average {os.getloadavg()[0]:.1f} (median of nothing: one pass)"
    )
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=400)
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
