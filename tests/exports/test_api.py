"""National exports through GraphQL: the region admin asks for a file, the worker's job
builds it (one statement for the region's rows), status and progress show, the content is
read back and checked value by value; permissions, bad input and other regions."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements
from kinerja_saas.exports.events import EXPORT_REQUESTED
from kinerja_saas.exports.rules import COLUMNS, ExportKind
from kinerja_saas.outbox.models import OutboxEvent
from tenants.context import tenant_transaction
from tests.training.helpers import build_catalogue, finalised_reports
from workers import routing
from workers.exports import build_national_export

assert routing.ROUTES  # the routing table a job's end is checked against

YEAR = date.today().year
REQUEST = """mutation($kind: NationalExportKind!, $year: Int!, $n: Int,
  $format: NationalExportFormat! = CSV) {
  requestNationalExport(kind: $kind, year: $year, checkpointNumber: $n, format: $format) {
  export { id status progress } errors { field code message } } }"""
GET = """query($id: ID!) { nationalExport(id: $id) { id kind year checkpointNumber format status
  progress rowCount fileName error content } }"""
LIST = "{ nationalExports { id status } }"


async def request(api, region, kind, role=Role.REGION_ADMIN, **variables):
    res = await api.as_role(region, role, REQUEST, {"kind": kind, "year": YEAR, **variables})
    return res


async def run_job(region, export_id: str) -> dict:
    """What the worker runs for the export's outbox event."""
    async with tenant_transaction(region.id):
        events = await OutboxEvent.filter(topic=EXPORT_REQUESTED.name).order_by("-id")
    (event,) = [e for e in events if str(e.payload["export_id"]) == export_id]
    return await build_national_export(
        {}, region.id, event_id=event.id, topic=event.topic, payload=event.payload
    )


async def fetched(api, region, export_id: str) -> dict:
    res = await api.as_role(region, Role.REGION_ADMIN, GET, {"id": export_id})
    return res.data["nationalExport"]


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


async def test_annual_predikat_per_nip_in_the_siasn_layout(api, region_a, owner_conn):
    reports = await finalised_reports(region_a, count=3, predikat="BAIK")
    res = await request(api, region_a, "PREDIKAT_TAHUNAN")
    queued = res.data["requestNationalExport"]["export"]
    assert (queued["status"], queued["progress"]) == ("QUEUED", 0)
    assert (await fetched(api, region_a, queued["id"]))["content"] is None
    assert (await run_job(region_a, queued["id"]))["rows"] == 3
    done = await fetched(api, region_a, queued["id"])
    assert (done["status"], done["progress"], done["rowCount"]) == ("DONE", 100, 3)
    assert done["fileName"] == f"{region_a.tenant.slug}-predikat-tahunan-{YEAR}.csv"
    header = done["content"].split("\r\n")[0]
    assert header == ";".join(f'"{c}"' for c in COLUMNS[ExportKind.PREDIKAT_TAHUNAN])
    rows = csv_rows(done["content"])
    nips = {
        r["nip"]
        for r in await owner_conn.fetch(
            "SELECT nip FROM employees WHERE id = ANY($1::bigint[])",
            [r["employee_id"] for r in reports],
        )
    }
    assert {r["nipBaru"] for r in rows} == nips
    chief = region_a.employees["chief"]
    for row in rows:
        assert (row["tahun"], row["hasilKinerja"], row["perilakuKerja"]) == (
            str(YEAR),
            "SESUAI_EKSPEKTASI",
            "SESUAI_EKSPEKTASI",
        )
        assert (row["kuadranKinerja"], row["unorNama"]) == ("BAIK", "Bidang A")
        assert (row["penilaiNipNrp"], row["penilaiNama"], row["penilaiGolongan"]) == (
            chief.nip,
            chief.name,
            "III/a",
        )
        assert (row["penilaiUnorNama"], row["statusPenilai"]) == ("Bidang A", "ASN")
    # A spreadsheet keeps an 18-digit NIP as text only when it is quoted.
    assert f'"{sorted(nips)[0]}"' in done["content"]


async def test_periodic_predikat_and_json(api, region_a, owner_conn):
    reports = await finalised_reports(region_a, count=2, predikat="SANGAT_BAIK")
    checkpoint = await owner_conn.fetchrow(
        "SELECT id, label, starts_on, ends_on FROM checkpoints WHERE tenant_id = $1"
        " AND period_id = $2 AND number = 1",
        region_a.id,
        region_a.period.id,
    )
    await owner_conn.execute(
        "UPDATE evaluations SET checkpoint_id = $2, predikat = 'BUTUH_PERBAIKAN'"
        " WHERE tenant_id = $1 AND id = $3",
        region_a.id,
        checkpoint["id"],
        reports[0]["id"],
    )
    res = await request(api, region_a, "PREDIKAT_PERIODIK", n=1, format="JSON")
    export_id = res.data["requestNationalExport"]["export"]["id"]
    await run_job(region_a, export_id)
    done = await fetched(api, region_a, export_id)
    assert (done["kind"], done["checkpointNumber"], done["format"]) == (
        "PREDIKAT_PERIODIK",
        1,
        "JSON",
    )
    assert done["fileName"].endswith(f"-predikat-periodik-{YEAR}-p1.json")
    body = json.loads(done["content"])
    assert body["kolom"] == list(COLUMNS[ExportKind.PREDIKAT_PERIODIK])
    (row,) = body["data"]  # only the one evaluated at checkpoint 1
    starts, ends = checkpoint["starts_on"], checkpoint["ends_on"]
    assert (row["kuadranKinerja"], row["periode"]) == ("BUTUH_PERBAIKAN", checkpoint["label"])
    assert (row["bulanMulaiPenilaian"], row["tahunMulaiPenilaian"]) == (starts.month, starts.year)
    assert (row["bulanSelesaiPenilaian"], row["tahunSelesaiPenilaian"]) == (ends.month, ends.year)
    # The annual export leaves the periodic evaluation out.
    annual = await request(api, region_a, "PREDIKAT_TAHUNAN")
    annual_id = annual.data["requestNationalExport"]["export"]["id"]
    assert (await run_job(region_a, annual_id))["rows"] == 1


async def test_training_jp_per_employee_for_the_competency_records(api, region_a, owner_conn):
    catalogue = await build_catalogue(region_a)
    staff1 = region_a.employees["staff1"]
    # staff1 completed two 12-JP programmes this year (24 JP), one last year (not counted).
    for key, completed in (
        ("waktu", "now()"),
        ("masalah", "now()"),
        ("pelayanan", "now() - interval '400 days'"),
    ):
        await owner_conn.execute(
            "INSERT INTO training_assignments (tenant_id, employee_id, programme_id, period_id,"
            " batch_id, status, reason, completed_at, created_at, updated_at) VALUES ($1, $2,"
            f" $3, $4, $5, 'COMPLETED', 'MANUAL', {completed}, now(), now())",
            region_a.id,
            staff1.id,
            getattr(catalogue, key),
            region_a.period.id,
            catalogue.batch_ids[key][0],
        )
    res = await request(api, region_a, "JP_KOMPETENSI")
    export_id = res.data["requestNationalExport"]["export"]["id"]
    await run_job(region_a, export_id)
    rows = {r["nipBaru"]: r for r in csv_rows((await fetched(api, region_a, export_id))["content"])}
    assert len(rows) == len(region_a.employees)  # every active employee, with or without JP
    row = rows[staff1.nip]
    assert (row["tahunKursus"], row["jumlahJam"], row["targetJam"], row["kekuranganJam"]) == (
        str(YEAR),
        "24",
        "20",
        "0",
    )
    other = rows[region_a.employees["staff2"].nip]
    assert (other["jumlahJam"], other["kekuranganJam"]) == ("0", "20")


async def test_the_job_is_one_read_however_many_employees(api, region_a):
    await finalised_reports(region_a, count=3)
    small = (await request(api, region_a, "PREDIKAT_TAHUNAN")).data["requestNationalExport"]
    with count_statements() as few:
        await run_job(region_a, small["export"]["id"])
    await finalised_reports(region_a, count=60)
    big = (await request(api, region_a, "PREDIKAT_TAHUNAN")).data["requestNationalExport"]
    with count_statements() as many:
        assert (await run_job(region_a, big["export"]["id"]))["rows"] == 63
    assert few.count == many.count


async def test_a_repeated_job_does_nothing_twice(api, region_a):
    await finalised_reports(region_a, count=1)
    export_id = (await request(api, region_a, "PREDIKAT_TAHUNAN")).data["requestNationalExport"][
        "export"
    ]["id"]
    assert (await run_job(region_a, export_id))["rows"] == 1
    assert (await run_job(region_a, export_id))["rows"] is None


async def test_bad_requests_are_typed_and_write_nothing(api, region_a, owner_conn):
    cases = [
        ({"kind": "PREDIKAT_PERIODIK"}, ("checkpointNumber", "CHECKPOINT_REQUIRED")),
        ({"kind": "PREDIKAT_TAHUNAN", "n": 1}, ("checkpointNumber", "CHECKPOINT_NOT_ALLOWED")),
        ({"kind": "PREDIKAT_PERIODIK", "n": 9}, ("checkpointNumber", "UNKNOWN_CHECKPOINT")),
        ({"kind": "JP_KOMPETENSI", "year": 1900}, ("year", "OUT_OF_RANGE")),
    ]
    for variables, expected in cases:
        res = await api.as_role(region_a, Role.REGION_ADMIN, REQUEST, {"year": YEAR, **variables})
        errors = res.data["requestNationalExport"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [expected]
    msg = errors[0]["message"]
    assert msg == "Tahun harus antara 2000 dan 2100."
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM national_exports WHERE tenant_id = $1", region_a.id
        )
        == 0
    )


async def test_only_the_region_admin_and_only_their_region(api, region_a, region_b):
    export_id = (await request(api, region_a, "PREDIKAT_TAHUNAN")).data["requestNationalExport"][
        "export"
    ]["id"]
    for role in (Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER):
        assert (await request(api, region_a, "PREDIKAT_TAHUNAN", role=role)).codes == ["FORBIDDEN"]
        assert (await api.as_role(region_a, role, GET, {"id": export_id})).codes == ["FORBIDDEN"]
        assert (await api.as_role(region_a, role, LIST)).codes == ["FORBIDDEN"]
    # B's admin: A's export does not exist.
    other = await api.as_role(region_b, Role.REGION_ADMIN, GET, {"id": export_id})
    assert other.data["nationalExport"] is None
    assert (await api.as_role(region_b, Role.REGION_ADMIN, LIST)).data["nationalExports"] == []
    assert [
        x["id"]
        for x in (await api.as_role(region_a, Role.REGION_ADMIN, LIST)).data["nationalExports"]
    ] == [export_id]
