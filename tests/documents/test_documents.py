"""Documents through GraphQL and the worker's run: the SKP, the evaluation and the
predikat recap read back from the PDF (pdftotext) value by value; a unit's ZIP with its
progress and a pinned statement count; the public verification page (current version,
changed content, tampered code, another region's header); signed download links (forged,
expired, another region's); who may ask for what, across roles and regions."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import zipfile
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements
from kinerja_saas.documents import rules, service
from kinerja_saas.documents.generator import Person, RecapDocument
from kinerja_saas.documents.render import render
from kinerja_saas.documents.storage import SignedFile, sign_file, storage_for
from kinerja_saas.org.models import Employee
from kinerja_saas.org.rules import pangkat_golongan
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.performance import evaluations
from kinerja_saas.performance.models import Checkpoint, Evaluation, Plan
from kinerja_saas.performance.rules import Rating
from tenants.context import tenant_transaction
from tests.factories import all_values, approved_plan, full_cycle, person

REQUEST = """mutation($kind: DocumentKind!, $id: ID!, $unitId: ID) {
  requestDocument(kind: $kind, id: $id, unitId: $unitId) {
    job { id status total done } errors { field code message } } }"""
REQUEST_UNIT = """mutation($kind: DocumentKind!, $unitId: ID!, $periodId: ID!) {
  requestUnitDocuments(kind: $kind, unitId: $unitId, periodId: $periodId) {
    job { id status total done } errors { field code message } } }"""
JOB = """query($id: ID!) { documentJob(id: $id) { id kind scope status total done progress
  filename sizeBytes error downloadUrl documents { kind code verificationPath contentHash
  fileSha256 } } }"""


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in content-stream order, whitespace collapsed (a table cell's
    wrapped lines stay together)."""
    out = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(out.split())


async def ask(api, region, role, query, variables) -> dict[str, Any]:
    result = await api.as_role(region, role, query, variables)
    return result.data


async def run(settings, region, job_id: int) -> dict[str, Any] | None:
    return await service.run_job(
        tenant_id=region.id,
        job_id=job_id,
        storage=storage_for(settings),
        public_url="https://kinerja.example.id",
    )


async def fetch(api, region, role, job_id) -> tuple[dict[str, Any], bytes]:
    job = (await ask(api, region, role, JOB, {"id": job_id}))["documentJob"]
    assert job["status"] == "SUCCEEDED", job
    url = job["downloadUrl"]
    response = await api.client.get(url)
    assert response.status_code == 200, response.text
    return job, response.content


async def requested(api, region, role, kind, subject, **extra) -> int:
    data = await ask(api, region, role, REQUEST, {"kind": kind, "id": str(subject), **extra})
    payload = data["requestDocument"]
    assert payload["errors"] == [], payload
    assert payload["job"]["status"] == "QUEUED" and payload["job"]["total"] == 1
    return int(payload["job"]["id"])


def in_region(region, at):
    """The day `at` falls on in the region's time zone (what a signature is dated)."""
    return at.astimezone(ZoneInfo(region.tenant.timezone.value)).date()


def person_values(emp) -> list[str]:
    return [emp.name, emp.nip, pangkat_golongan(emp.golongan) or "-", emp.position]


# --- the SKP --------------------------------------------------------------------------------


async def test_skp_pdf_carries_every_value(api, settings, region_a):
    cycle = await full_cycle(region_a)
    job_id = await requested(api, region_a, Role.EMPLOYEE, "SKP", cycle.plan_id)
    async with tenant_transaction(region_a.id):
        events = await OutboxEvent.filter(tenant_id=region_a.id, topic="documents.requested")
        plan = await Plan.get(tenant_id=region_a.id, id=cycle.plan_id)
        from kinerja_saas.performance.plans import plan_content

        content = (await plan_content([plan.id]))[plan.id]
    assert [e.payload for e in events] == [{"job_id": job_id}]
    await run(settings, region_a, job_id)
    job, pdf = await fetch(api, region_a, Role.EMPLOYEE, job_id)
    assert pdf.startswith(b"%PDF")
    assert (job["done"], job["total"], job["progress"]) == (1, 1, 1.0)
    assert job["filename"] == f"SKP-{region_a.period.year}-{region_a.employees['staff1'].nip}.pdf"
    text = pdf_text(pdf)
    assert "SASARAN KINERJA PEGAWAI" in text
    assert f"Pemerintah {region_a.tenant.name}" in text
    period = region_a.period
    assert f"Periode Penilaian: {rules.period_range(period.starts_on, period.ends_on)}" in text
    assert "Status: Disetujui" in text
    for key in ("staff1", "chief", "head"):  # pegawai, pejabat penilai, atasan
        for value in person_values(region_a.employees[key]):
            assert value in text, (key, value)
        assert f"NIP. {region_a.employees[key].nip}" in text  # its signature block
    assert "Pegawai yang Dinilai" in text and "Pejabat Penilai Kinerja" in text
    assert "Atasan Pejabat Penilai Kinerja" in text
    assert (
        f"{region_a.tenant.name}, {rules.date_text(in_region(region_a, plan.approved_at))}" in text
    )
    for c in content:
        assert c["result"].text in text
        for ind in c["indicators"]:
            assert ind.text in text
            assert f"{rules.number(ind.target)} {ind.unit_label}" in text
            assert rules.ASPECT_LABELS[ind.aspect.value] in text
    for name in ("Berorientasi Pelayanan", "Akuntabel", "Kompeten", "Harmonis", "Loyal",
                 "Adaptif", "Kolaboratif"):  # fmt: skip
        assert name in text
    doc = job["documents"][0]
    assert f"Kode verifikasi: {doc['code']}" in text
    code = doc["code"].replace("-", "")
    assert f"https://kinerja.example.id/v/{code}" in text
    assert doc["verificationPath"] == f"/v/{code}"


# --- the evaluation -------------------------------------------------------------------------


async def test_evaluation_pdf_carries_results_ratings_and_predikat(api, settings, region_a):
    cycle = await full_cycle(region_a)
    job_id = await requested(api, region_a, Role.SUPERVISOR, "EVALUATION", cycle.evaluation_id)
    await run(settings, region_a, job_id)
    _job, pdf = await fetch(api, region_a, Role.SUPERVISOR, job_id)
    text = pdf_text(pdf)
    async with tenant_transaction(region_a.id):
        ev = await Evaluation.get(tenant_id=region_a.id, id=cycle.evaluation_id)
        from kinerja_saas.performance.plans import plan_content

        content = (await plan_content([ev.plan_id]))[ev.plan_id]
    assert "DOKUMEN EVALUASI KINERJA PEGAWAI" in text
    assert "Periode Evaluasi: Tahunan — Status: Final" in text
    assert "CAPAIAN KINERJA ORGANISASI Baik" in text  # the unit rating full_cycle set
    for c in content:
        for ind in c["indicators"]:
            kept = ev.evidence[str(ind.id)]
            realised = (  # a rejected realisation counts as none
                "-"
                if kept["value"] is None
                else f"{rules.number(Decimal(kept['value']))} {ind.unit_label}"
            )
            assert f"{ind.text} {rules.number(ind.target)} {ind.unit_label} {realised}" in text
            assert rules.percent(kept["achievement"]) in text
    assert f"RATING HASIL KERJA {rules.RATING_LABELS[ev.result_rating]}" in text
    assert f"RATING PERILAKU KERJA {rules.RATING_LABELS[ev.behaviour_rating]}" in text
    assert f"PREDIKAT KINERJA PEGAWAI {rules.PREDIKAT_LABELS[ev.predikat]}" in text
    for code, rated in ev.behaviour_ratings.items():
        assert rules.RATING_LABELS[rated["rating"]] in text, code
    assert ev.feedback and ev.feedback in text
    for key in ("staff1", "chief", "head"):
        for value in person_values(region_a.employees[key]):
            assert value in text, (key, value)
    assert (
        f"{region_a.tenant.name}, {rules.date_text(in_region(region_a, ev.finalised_at))}" in text
    )


async def test_draft_evaluation_is_refused(api, region_a):
    cycle = await full_cycle(region_a)
    async with tenant_transaction(region_a.id):
        await Evaluation.filter(tenant_id=region_a.id, id=cycle.evaluation_id).update(
            status="DRAFT"
        )
    data = await ask(
        api,
        region_a,
        Role.SUPERVISOR,
        REQUEST,
        {"kind": "EVALUATION", "id": str(cycle.evaluation_id)},
    )
    [error] = data["requestDocument"]["errors"]
    assert (error["field"], error["code"]) == ("id", "NOT_FINALISED")
    assert "belum final" in error["message"]
    assert data["requestDocument"]["job"] is None


# --- the recap and a unit's ZIP -------------------------------------------------------------


async def test_predikat_recap_per_unit(api, settings, region_a):
    await approved_plan(region_a, "staff2")  # a plan with no evaluation: not rated
    cycle = await full_cycle(region_a)
    job_id = await requested(api, region_a, Role.REGION_ADMIN, "PREDIKAT_RECAP", region_a.period.id)
    await run(settings, region_a, job_id)
    _job, pdf = await fetch(api, region_a, Role.REGION_ADMIN, job_id)
    async with tenant_transaction(region_a.id):
        ev = await Evaluation.get(tenant_id=region_a.id, id=cycle.evaluation_id)
    counts = ["0"] * 6
    counts[rules.PREDIKAT_ORDER.index(ev.predikat)] = "1"
    counts[5] = "1"  # staff2
    text = pdf_text(pdf)
    assert "REKAPITULASI PREDIKAT KINERJA PEGAWAI" in text
    assert "Seluruh perangkat daerah" in text
    assert f"Bidang A {' '.join(counts)} 2" in text
    assert "Bidang B 0 0 0 0 0 0 0" in text and "Dinas Uji 0 0 0 0 0 0 0" in text
    assert f"JUMLAH {' '.join(counts)} 2" in text
    admin = region_a.employees["head"]
    assert admin.name in text and f"NIP. {admin.nip}" in text


async def test_unit_zip_with_progress_and_fixed_statements(api, settings, region_a):
    await approved_plan(region_a, "staff2")
    await approved_plan(region_a, "other", evaluator="head")  # Bidang B, under the Dinas
    await full_cycle(region_a)
    variables = {
        "kind": "SKP",
        "unitId": str(region_a.units["a"].id),
        "periodId": str(region_a.period.id),
    }
    data = await ask(api, region_a, Role.REGION_ADMIN, REQUEST_UNIT, variables)
    job_id = int(data["requestUnitDocuments"]["job"]["id"])
    assert data["requestUnitDocuments"]["job"]["total"] == 2
    seen: list[tuple[int, int]] = []
    with count_statements() as two:
        await service.run_job(
            tenant_id=region_a.id, job_id=job_id, storage=storage_for(settings),
            public_url="https://kinerja.example.id", progress=lambda d, t: seen.append((d, t)),
        )  # fmt: skip
    assert seen == [(2, 2)]
    job, body = await fetch(api, region_a, Role.REGION_ADMIN, job_id)
    assert job["scope"] == "UNIT" and job["filename"].endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(body)) as zipped:
        names = sorted(zipped.namelist())
        year = region_a.period.year
        assert names == sorted(
            f"SKP-{year}-{region_a.employees[k].nip}.pdf" for k in ("staff1", "staff2")
        )
        for name in names:
            assert name.split("-")[-1].removesuffix(".pdf") in pdf_text(zipped.read(name))
    assert len(job["documents"]) == 2
    # The Dinas's subtree has a third plan: the same statements (set-based, not per plan).
    data = await ask(
        api,
        region_a,
        Role.REGION_ADMIN,
        REQUEST_UNIT,
        {**variables, "unitId": str(region_a.units["dinas"].id)},
    )
    job_id = int(data["requestUnitDocuments"]["job"]["id"])
    with count_statements() as three:
        await run(settings, region_a, job_id)
    assert data["requestUnitDocuments"]["job"]["total"] == 3
    assert three.count == two.count


# --- the public verification page -----------------------------------------------------------


async def test_verification_page_current_changed_tampered_and_other_region(
    api, settings, region_a, region_b
):
    cycle = await full_cycle(region_a)
    job_id = await requested(api, region_a, Role.SUPERVISOR, "EVALUATION", cycle.evaluation_id)
    await run(settings, region_a, job_id)
    job, pdf = await fetch(api, region_a, Role.SUPERVISOR, job_id)
    doc = job["documents"][0]
    page = await api.client.get(doc["verificationPath"])
    assert page.status_code == 200
    html = page.text
    staff = region_a.employees["staff1"]
    async with tenant_transaction(region_a.id):
        ev = await Evaluation.get(tenant_id=region_a.id, id=cycle.evaluation_id)
    for value in (staff.name, staff.nip, rules.PREDIKAT_LABELS[ev.predikat], doc["code"],
                  "versi terkini", "Dokumen Evaluasi Kinerja Pegawai", doc["fileSha256"]):  # fmt: skip
        assert value in html, value
    assert "BUKAN versi terkini" not in html
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == doc["fileSha256"]
    # No personal data beyond name, NIP and predikat: no feedback, no plan content.
    assert ev.feedback not in html and "Jumlah izin diterbitkan" not in html
    assert page.headers["cache-control"] == "no-store"
    # The code as printed (with dashes, lower case) finds the same page.
    assert (await api.client.get(f"/v/{doc['code'].lower()}")).status_code == 200
    # The content changes (the employee's name): the document is no longer current.
    async with tenant_transaction(region_a.id):
        await Employee.filter(tenant_id=region_a.id, id=staff.id).update(
            name=staff.name + " Berubah"
        )
    html = (await api.client.get(doc["verificationPath"])).text
    assert "BUKAN versi terkini" in html
    # A tampered code is unknown.
    code = doc["code"].replace("-", "")
    other = code[:-1] + ("0" if code[-1] != "0" else "1")
    tampered = await api.client.get(f"/v/{other}")
    assert tampered.status_code == 404 and staff.nip not in tampered.text
    assert (await api.client.get("/v/%3Cscript%3E")).status_code == 404
    # Asked as region B's frontend, region A's code is unknown.
    foreign = await api.client.get(f"/v/{code}", headers={"x-region": region_b.tenant.slug})
    assert foreign.status_code == 404 and staff.nip not in foreign.text
    own = await api.client.get(f"/v/{code}", headers={"x-region": region_a.tenant.slug})
    assert own.status_code == 200


# --- signed links ---------------------------------------------------------------------------


async def test_signed_links_forged_expired_and_other_region(api, settings, region_a, region_b):
    cycle = await full_cycle(region_a)
    job_id = await requested(api, region_a, Role.EMPLOYEE, "SKP", cycle.plan_id)
    await run(settings, region_a, job_id)
    job, _ = await fetch(api, region_a, Role.EMPLOYEE, job_id)
    url: str = job["downloadUrl"]
    token = url.rsplit("/", 1)[1]
    body, mac = token.split(".")
    forged = f"{body}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}"
    assert (await api.client.get(f"/documents/file/{forged}")).status_code == 403
    # Another key under a signature made for this one.
    key = f"t{region_b.id}/j{job_id}/{job['filename']}"
    other = sign_file("not-the-secret" * 3, SignedFile(key, "x.pdf", "application/pdf", 2**40))
    assert (await api.client.get(f"/documents/file/{other}")).status_code == 403
    expired = sign_file(
        settings.jwt_secret,
        SignedFile(f"t{region_a.id}/j{job_id}/{job['filename']}", "x.pdf", "application/pdf",
                   int(time.time()) - 1),
    )  # fmt: skip
    response = await api.client.get(f"/documents/file/{expired}")
    assert response.status_code == 410 and "kedaluwarsa" in response.text
    foreign = await api.client.get(url, headers={"x-region": region_b.tenant.slug})
    assert foreign.status_code == 403
    assert (await api.client.get(url)).status_code == 200


# --- who may ask for what -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kind", "expected"),
    [
        (Role.TRAINING_OFFICER, "SKP", "NOT_FOUND"),  # not a party to staff1's plan
        (Role.TRAINING_OFFICER, "EVALUATION", "NOT_FOUND"),
        (Role.EMPLOYEE, "PREDIKAT_RECAP", "FORBIDDEN"),
        (Role.SUPERVISOR, "PREDIKAT_RECAP", "FORBIDDEN"),
    ],
)
async def test_roles_refused(api, region_a, role, kind, expected):
    cycle = await full_cycle(region_a)
    subject = {"SKP": cycle.plan_id, "EVALUATION": cycle.evaluation_id}.get(
        kind, region_a.period.id
    )
    result = await api.as_role(region_a, role, REQUEST, {"kind": kind, "id": str(subject)})
    payload = result.body["data"]["requestDocument"] if result.body.get("data") else None
    codes = result.codes + [e["code"] for e in (payload or {}).get("errors", [])]
    assert expected in codes
    async with tenant_transaction(region_a.id):
        assert (
            await OutboxEvent.filter(tenant_id=region_a.id, topic="documents.requested").count()
            == 0
        )


async def test_another_regions_ids_and_jobs(api, settings, region_a, region_b):
    cycle = await full_cycle(region_a)
    # Region B's admin names region A's plan, evaluation, unit and period.
    for kind, subject in (("SKP", cycle.plan_id), ("EVALUATION", cycle.evaluation_id)):
        result = await api.as_role(
            region_b, Role.REGION_ADMIN, REQUEST, {"kind": kind, "id": str(subject)}
        )
        assert "NOT_FOUND" in result.codes + [
            e["code"] for e in (result.body["data"]["requestDocument"] or {}).get("errors", [])
        ]
    result = await api.as_role(
        region_b, Role.REGION_ADMIN, REQUEST_UNIT,
        {"kind": "SKP", "unitId": str(region_a.units["a"].id), "periodId": str(region_b.period.id)},
    )  # fmt: skip
    assert "NOT_FOUND" in result.codes + [
        e["code"] for e in (result.body["data"]["requestUnitDocuments"] or {}).get("errors", [])
    ]
    # Region A's job is nobody's business in region B, nor of another role in region A.
    job_id = await requested(api, region_a, Role.EMPLOYEE, "SKP", cycle.plan_id)
    await run(settings, region_a, job_id)
    for region, role in ((region_b, Role.REGION_ADMIN), (region_a, Role.TRAINING_OFFICER),
                         (region_a, Role.SUPERVISOR)):  # fmt: skip
        data = await ask(api, region, role, JOB, {"id": job_id})
        assert data["documentJob"] is None
    assert (await ask(api, region_a, Role.REGION_ADMIN, JOB, {"id": job_id}))["documentJob"]
    async with tenant_transaction(region_b.id):
        assert (
            await OutboxEvent.filter(tenant_id=region_b.id, topic="documents.requested").count()
            == 0
        )


# --- acting officials -----------------------------------------------------------------------


def test_acting_capacity_is_printed_before_the_position():
    head = Person("Budi", "198001012005011001", "Pembina (IV/a)", "Kepala Dinas", "Dinas", "PLT")
    doc = RecapDocument(
        region="Kota Uji", period="Tahun 2026", period_range="1 Januari 2026 s.d. 31 Desember 2026",
        scope="Dinas", lines=(), totals=(0,) * 6, total=0, signer=head, signed_on="7 Desember 2026",
    )  # fmt: skip
    text = pdf_text(
        render(rules.DocumentKind.PREDIKAT_RECAP, doc, code="ABCD1234EFGH",
               verify_url="https://x.id/v/ABCD1234EFGH", printed_on="7 Desember 2026")
    )  # fmt: skip
    assert "Plt. Kepala Dinas" in text and "Kota Uji, 7 Desember 2026" in text
    assert rules.capacity_prefix("PLH") == "Plh. " and rules.capacity_prefix(None) == ""


def test_rules_numbers_codes_and_hash():
    assert rules.number(Decimal("1234.50")) == "1.234,5"
    assert rules.number(Decimal("90")) == "90"
    assert rules.percent("87.25") == "87,25 %"
    code = rules.new_code()
    assert rules.normalise_code(rules.code_text(code).lower()) == code
    assert rules.normalise_code("ABCD-1234-EFGU") is None  # U is not in the alphabet
    assert rules.content_hash({"a": 1, "b": [1, 2]}) == rules.content_hash({"b": [1, 2], "a": 1})
    assert rules.content_hash({"a": 1}) != rules.content_hash({"a": 2})


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools is not installed")
def test_the_printed_qr_code_scans_to_the_verification_page(tmp_path):
    """The QR code as printed (the PDF rasterised at 300 dpi) decodes to the page's URL."""
    doc = RecapDocument(
        region="Kota Uji", period="Tahun 2026", period_range="1 Januari 2026 s.d. 31 Desember 2026",
        scope="Dinas", lines=(), totals=(0,) * 6, total=0, signer=None, signed_on="7 Desember 2026",
    )  # fmt: skip
    url = "https://kinerja.example.id/v/ABCD1234EFGH"
    pdf = render(rules.DocumentKind.PREDIKAT_RECAP, doc, code="ABCD1234EFGH", verify_url=url,
                 printed_on="7 Desember 2026")  # fmt: skip
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True)  # fmt: skip
    [page] = sorted(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, check=True)
    assert found.stdout.decode().strip() == url


async def test_checkpoint_evaluation_document(api, settings, region_a):
    """A checkpoint's evaluation: its label as the period assessed, that checkpoint's
    realisations as frozen at finalisation, its ratings and predikat."""
    cycle = await full_cycle(region_a)
    chief = person(region_a, "chief", Role.SUPERVISOR)
    async with tenant_transaction(region_a.id):
        saved = await evaluations.save_evaluation(
            actor=chief,
            plan_id=cycle.plan_id,
            checkpoint_id=cycle.checkpoint_id,
            result_rating=Rating.DI_ATAS_EKSPEKTASI,
            result_override_reason="Melampaui target triwulan",
            behaviour=all_values(Rating.DI_ATAS_EKSPEKTASI),
            feedback="Triwulan yang sangat baik.",
        )
        await evaluations.finalise_evaluation(
            actor=chief, evaluation_id=saved.id, acknowledge_distribution=True
        )
        ev = await Evaluation.get(tenant_id=region_a.id, id=saved.id)
        checkpoint = await Checkpoint.get(tenant_id=region_a.id, id=cycle.checkpoint_id)
    job_id = await requested(api, region_a, Role.EMPLOYEE, "EVALUATION", ev.id)
    await run(settings, region_a, job_id)
    job, pdf = await fetch(api, region_a, Role.EMPLOYEE, job_id)
    text = pdf_text(pdf)
    assert f"Periode Evaluasi: {checkpoint.label} — Status: Final" in text
    assert job["filename"] == rules.file_name(
        rules.DocumentKind.EVALUATION, region_a.period.year, checkpoint.label,
        region_a.employees["staff1"].nip,
    )  # fmt: skip
    for kept in ev.evidence.values():
        if kept["value"] is not None:
            assert rules.number(Decimal(kept["value"])) in text
        assert rules.percent(kept["achievement"]) in text
    assert f"RATING HASIL KERJA {rules.RATING_LABELS[ev.result_rating]}" in text
    assert f"PREDIKAT KINERJA PEGAWAI {rules.PREDIKAT_LABELS[ev.predikat]}" in text
    assert "Triwulan yang sangat baik." in text
