"""Importing the roster from CSV: all or nothing, every problem with its line, upserts by
NIP, supervisors, logins, permissions, isolation, and the job in a real arq worker."""

import io
import json

import pytest

from kinerja_saas.audit.models import AuditEntry
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.database_client import count_statements
from kinerja_saas.org import importing
from kinerja_saas.org.models import Employee, ImportJob, Unit
from kinerja_saas.outbox.models import OutboxEvent
from tenants.context import tenant_transaction
from tenants.models import RegionStatus
from tests.conftest import update_region
from tests.factories import make_nip

HEADER = "NIP,nama,jabatan,jenis_jabatan,golongan,unit,nip_atasan,email,telepon"
UPLOAD = """mutation($file: Upload!, $dry: Boolean!, $missing: Boolean!) {
  importEmployees(file: $file, dryRun: $dry, deactivateMissing: $missing) {
    job { id status totalRows } errors { field code message } } }"""
JOB = """query($id: ID!) { importJob(id: $id) { status phase totalRows rowsDone errorCount dryRun
  summary { rows created updated unchanged existing supervisorsSet deactivated unitsCreated accountsCreated }
  problems(first: 100) { edges { node { line field code message } } } } }"""


def csv_bytes(*lines: str, header: str = HEADER, delimiter: str = ",", bom: bool = False) -> bytes:
    text = "\n".join([header, *lines]).replace(",", delimiter) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


async def upload(api, region, content: bytes, *, role=Role.REGION_ADMIN, dry=False, missing=False):
    operations = {"query": UPLOAD, "variables": {"file": None, "dry": dry, "missing": missing}}
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("pegawai.csv", content, "text/csv")},
        headers={"authorization": f"Bearer {region.token(role, api.settings)}"},
    )
    return response.json()


async def import_and_run(api, region, content: bytes, **kwargs) -> dict:
    body = await upload(api, region, content, **kwargs)
    payload = body["data"]["importEmployees"]
    assert payload["errors"] == [], payload["errors"]
    job_id = int(payload["job"]["id"])
    await importing.run_import(
        tenant_id=region.id, job_id=job_id, actor=region.actor(Role.REGION_ADMIN)
    )
    res = await api.as_role(region, Role.REGION_ADMIN, JOB, {"id": str(job_id)})
    return res.data["importJob"]


def problems(job: dict) -> set[tuple]:
    return {
        (p["node"]["line"], p["node"]["field"], p["node"]["code"]) for p in job["problems"]["edges"]
    }


async def employees(region) -> dict[str, Employee]:
    async with tenant_transaction(region.id):
        return {e.nip: e for e in await Employee.filter(tenant_id=region.id)}


def row(
    nip, name, unit, atasan="", email="", jabatan="Analis", jenis="PELAKSANA", gol="III/a", phone=""
) -> str:
    return ",".join([nip, name, jabatan, jenis, gol, unit, atasan, email, phone])


async def test_import_creates_units_employees_supervisors_and_logins(api, region_a):
    kadis, kabid, staf1, staf2 = make_nip(), make_nip(), make_nip(), make_nip()
    existing_head = region_a.employees["head"].nip
    content = csv_bytes(
        row(
            kadis,
            "Kepala Dinas Baru",
            "Dinas Baru",
            atasan=existing_head,
            jenis="STRUKTURAL",
            gol="IV/b",
            email="kadis@baru.go.id",
        ),
        row(kabid, "Kepala Bidang", "Dinas Baru / Bidang  Data", atasan=kadis, jenis="struktural"),
        row(
            staf1,
            "Staf Satu",
            "dinas baru/bidang data",
            atasan=kabid,
            email="staf1@baru.go.id",
            gol="iii/b",
            phone="0812-1111-2222",
        ),
        row(staf2, "Staf Dua", "Dinas Uji/Bidang A", atasan=kabid),
        delimiter=";",
        bom=True,
    )
    job = await import_and_run(api, region_a, content)
    assert (job["status"], job["phase"], job["rowsDone"], job["errorCount"]) == (
        "SUCCEEDED",
        "done",
        4,
        0,
    )
    assert job["summary"] == {
        "rows": 4,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "existing": 0,
        "supervisorsSet": 4,
        "deactivated": 0,
        "unitsCreated": 2,
        "accountsCreated": 2,
    }
    people = await employees(region_a)
    assert people[kadis].supervisor_id == region_a.employees["head"].id
    assert people[kabid].supervisor_id == people[kadis].id
    assert people[staf1].supervisor_id == people[staf2].supervisor_id == people[kabid].id
    assert (people[staf1].golongan, people[staf1].phone, people[kabid].position_type) == (
        "III/b",
        "0812-1111-2222",
        "STRUKTURAL",
    )
    async with tenant_transaction(region_a.id):
        bidang = await Unit.get(id=people[staf1].unit_id)
        dinas = await Unit.get(id=bidang.parent_id)
        assert (dinas.name, dinas.kind, bidang.name, bidang.kind) == (
            "Dinas Baru",
            "DINAS",
            "Bidang Data",
            "BIDANG",
        )
        assert bidang.path == f"/{dinas.id}/{bidang.id}/" and bidang.depth == 1
        assert people[staf2].unit_id == region_a.units["a"].id  # matched the existing unit
        accounts = {
            a.email: a
            for a in await UserAccount.filter(
                tenant_id=region_a.id, email__in=["kadis@baru.go.id", "staf1@baru.go.id"]
            )
        }
        audit = await AuditEntry.filter(
            tenant_id=region_a.id, action="employee.import_create"
        ).count()
    assert set(accounts["kadis@baru.go.id"].roles) == {"EMPLOYEE", "SUPERVISOR"}
    assert accounts["staf1@baru.go.id"].roles == ["EMPLOYEE"]
    assert accounts["staf1@baru.go.id"].password_hash is None  # until activated
    assert audit == 4
    # The admin sees the result through the API with the chain intact.
    res = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        f'{{ employees(first: 5, filter: {{search: "{staf1}"}}) {{ edges {{ node {{'
        " supervisor { nip supervisor { nip } } unit { name parent { name } } } } } }",
    )
    node = res.data["employees"]["edges"][0]["node"]
    assert node["supervisor"] == {"nip": kabid, "supervisor": {"nip": kadis}}
    assert node["unit"] == {"name": "Bidang Data", "parent": {"name": "Dinas Baru"}}


async def test_every_problem_is_reported_with_its_line_and_nothing_is_written(
    api, region_a, region_b, owner_conn
):
    ok, dup = make_nip(), make_nip()
    b_only = region_b.employees["head"].nip  # exists, but in another region
    content = csv_bytes(
        row(ok, "Benar", "Dinas Uji"),  # line 2
        row("12345", "Pendek", "Dinas Uji"),  # 3
        row("198502302010011002", "Tanggal", "Dinas Uji"),  # 4
        row("198503152010013002", "Kelamin", "Dinas Uji"),  # 5
        row(make_nip(), "Golongan", "Dinas Uji", gol="V/z"),  # 6
        row(make_nip(), "", "Dinas Uji"),  # 7
        row(dup, "Kembar 1", "Dinas Uji"),  # 8
        row(dup, "Kembar 2", "Dinas Uji"),  # 9
        row(make_nip(), "Atasan Asing", "Dinas Uji", atasan=b_only),  # 10
        row(make_nip(), "Jenis", "Dinas Uji", jenis="HONORER"),  # 11
        row(make_nip(), "Surel", "Dinas Uji", email="bukan-surel"),  # 12
        row(make_nip(), "Surel 1", "Dinas Uji", email="sama@x.go.id"),  # 13
        row(make_nip(), "Surel 2", "Dinas Uji", email="sama@x.go.id"),  # 14
        row(make_nip(), "Unit", "Dinas Uji//Bidang"),  # 15
        row(make_nip(), "Telepon", "Dinas Uji", phone="nomor"),  # 16
    )
    before = await owner_conn.fetchval(
        "SELECT count(*) FROM employees WHERE tenant_id = $1", region_a.id
    )
    units_before = await owner_conn.fetchval(
        "SELECT count(*) FROM org_units WHERE tenant_id = $1", region_a.id
    )
    job = await import_and_run(api, region_a, content)
    assert job["status"] == "FAILED"
    assert problems(job) == {
        (3, "nip", "NIP_FORMAT"),
        (4, "nip", "NIP_BIRTH_DATE"),
        (5, "nip", "NIP_GENDER"),
        (6, "golongan", "INVALID"),
        (7, "nama", "REQUIRED"),
        (9, "nip", "DUPLICATE_IN_FILE"),
        (10, "nip_atasan", "UNKNOWN_SUPERVISOR"),
        (11, "jenis_jabatan", "INVALID"),
        (12, "email", "INVALID"),
        (14, "email", "DUPLICATE_IN_FILE"),
        (15, "unit", "INVALID"),
        (16, "telepon", "INVALID"),
    }
    assert job["errorCount"] == 12
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM employees WHERE tenant_id = $1", region_a.id
        )
        == before
    )
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM org_units WHERE tenant_id = $1", region_a.id
        )
        == units_before
    )
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM import_files WHERE tenant_id = $1", region_a.id
        )
        == 0
    )  # staging cleared


async def test_supervision_cycles_are_found_across_file_and_region(api, region_a):
    a, b = make_nip(), make_nip()
    head = region_a.employees["head"].nip
    # a → b → a inside the file; head (in the region) → a closes another loop through the file.
    content = csv_bytes(
        row(a, "A", "Dinas Uji", atasan=b),
        row(b, "B", "Dinas Uji", atasan=a),
        row(head, "Head", "Dinas Uji", atasan=a),
    )
    job = await import_and_run(api, region_a, content)
    assert job["status"] == "FAILED"
    assert {(line, code) for line, _, code in problems(job)} == {(2, "CYCLE"), (3, "CYCLE")}
    messages = [p["node"]["message"] for p in job["problems"]["edges"]]
    assert any(f"{a} → {b} → {a}" in m for m in messages)
    content = csv_bytes(row(make_nip(), "Self", "Dinas Uji", atasan="x" * 18))
    assert problems(await import_and_run(api, region_a, content)) == {
        (2, "nip_atasan", "NIP_FORMAT")
    }


async def test_dry_run_validates_and_writes_nothing(api, region_a, owner_conn):
    new = make_nip()
    content = csv_bytes(
        row(new, "Baru", "Dinas Lain"), row(region_a.employees["staff1"].nip, "Lama", "Dinas Uji")
    )
    job = await import_and_run(api, region_a, content, dry=True)
    assert (job["status"], job["dryRun"]) == ("SUCCEEDED", True)
    assert (job["summary"]["created"], job["summary"]["existing"]) == (1, 1)
    assert new not in await employees(region_a)
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM org_units WHERE tenant_id = $1 AND name = 'Dinas Lain'",
            region_a.id,
        )
        == 0
    )


async def test_reimport_upserts_by_nip_and_can_deactivate_the_missing(api, region_a):
    staff1, staff2 = region_a.employees["staff1"], region_a.employees["staff2"]
    chief, head = region_a.employees["chief"], region_a.employees["head"]
    lines = [
        # moved to Bidang B, promoted, now reporting to the head
        row(
            staff1.nip,
            staff1.name,
            "Dinas Uji/Bidang B",
            atasan=head.nip,
            jabatan="Pranata Komputer",
        ),
        # exactly as it is
        row(
            staff2.nip,
            staff2.name,
            "Dinas Uji/Bidang A",
            atasan=chief.nip,
            jabatan="staff2",
            email=staff2.email,
        ),
        row(
            chief.nip,
            chief.name,
            "Dinas Uji/Bidang A",
            atasan=head.nip,
            jabatan="chief",
            jenis="STRUKTURAL",
            email=chief.email,
        ),
        row(head.nip, head.name, "Dinas Uji", jabatan="head", jenis="STRUKTURAL", email=head.email),
    ]  # "other" is not in the file
    job = await import_and_run(api, region_a, csv_bytes(*lines), missing=True)
    assert job["status"] == "SUCCEEDED", job["problems"]
    summary = job["summary"]
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 1, 3)
    assert (summary["deactivated"], summary["unitsCreated"], summary["supervisorsSet"]) == (1, 0, 1)
    people = await employees(region_a)
    moved = people[staff1.nip]
    assert (moved.position, moved.unit_id, moved.supervisor_id) == (
        "Pranata Komputer",
        region_a.units["b"].id,
        head.id,
    )
    assert people[region_a.employees["other"].nip].is_active is False  # not in the file
    async with tenant_transaction(region_a.id):
        change = await AuditEntry.get(entity_id=staff1.id, action="employee.import_update")
        gone = await AuditEntry.get(
            entity_id=region_a.employees["other"].id, action="employee.import_deactivate"
        )
        training_login = await UserAccount.get(id=region_a.accounts[Role.TRAINING_OFFICER].id)
    assert change.before == {
        "position": "staff1",
        "unit_id": region_a.units["a"].id,
        "supervisor_id": chief.id,
        "email": staff1.email,
    }
    assert change.after == {
        "position": "Pranata Komputer",
        "unit_id": region_a.units["b"].id,
        "supervisor_id": head.id,
        "email": None,
    }
    assert gone.after == {"is_active": False}
    assert training_login.is_active is False  # the deactivated employee's login ends too
    # The same file again changes nothing.
    again = await import_and_run(api, region_a, csv_bytes(*lines))
    assert (
        again["summary"]["created"],
        again["summary"]["updated"],
        again["summary"]["unchanged"],
    ) == (0, 0, 4)
    assert again["summary"]["supervisorsSet"] == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "EMPTY"),
        ("NIP;nama;jabatan;unit\n1;Ani;Staf;Dinas\n".encode("utf-16"), "NOT_CSV"),
        ("NIP,nama,jabatan,unit\n1,Zoë,Staf,Dinas\n".encode("latin-1"), "NOT_UTF8"),
        (b"NIP,nama,unit\n1,Ani,Dinas\n", "MISSING_COLUMNS"),
        (HEADER.encode() + b"\n", "NO_ROWS"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "NOT_CSV"),
    ],
)
async def test_files_that_cannot_be_imported_are_refused_whole(
    api, region_a, content, code, owner_conn
):
    jobs_before = await owner_conn.fetchval(
        "SELECT count(*) FROM import_jobs WHERE tenant_id = $1", region_a.id
    )
    body = await upload(api, region_a, content)
    payload = body["data"]["importEmployees"]
    assert payload["job"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("file", code)]
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM import_jobs WHERE tenant_id = $1", region_a.id
        )
        == jobs_before
    )


async def test_file_over_the_size_limit_is_refused(region_a):
    async with tenant_transaction(region_a.id):
        with pytest.raises(importing.ImportRefused) as refused:
            await importing.stage_import(
                actor=region_a.actor(Role.REGION_ADMIN),
                filename="big.csv",
                binary=io.BytesIO(csv_bytes(*[row(make_nip(), "X", "D")] * 50)),
                dry_run=False,
                deactivate_missing=False,
                max_bytes=1000,
            )
    assert refused.value.errors[0].code == "TOO_LARGE"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.EMPLOYEE, Role.TRAINING_OFFICER])
async def test_only_the_region_admin_imports(api, region_a, role):
    body = await upload(api, region_a, csv_bytes(row(make_nip(), "X", "Dinas Uji")), role=role)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    res = await api.as_role(region_a, role, "{ importJobs { id } }")
    assert res.codes == ["FORBIDDEN"]


async def test_import_into_one_region_never_touches_another(api, region_a, region_b):
    b_before = {n: (e.name, e.is_active) for n, e in (await employees(region_b)).items()}
    nip = make_nip()
    job = await import_and_run(
        api, region_a, csv_bytes(row(nip, "Hanya A", "Dinas Uji")), missing=True
    )
    assert job["status"] == "SUCCEEDED"
    assert {n: (e.name, e.is_active) for n, e in (await employees(region_b)).items()} == b_before
    assert nip not in await employees(region_b)
    async with tenant_transaction(region_a.id):
        job_id = (await ImportJob.filter(tenant_id=region_a.id).order_by("-id").first()).id
    res = await api.as_role(region_b, Role.REGION_ADMIN, JOB, {"id": str(job_id)})
    assert res.data["importJob"] is None


async def test_suspended_region_cannot_import(api, region_a):
    await update_region(region_a.id, status=RegionStatus.SUSPENDED)
    body = await upload(api, region_a, csv_bytes(row(make_nip(), "X", "Dinas Uji")))
    assert body["errors"][0]["extensions"]["code"] == "REGION_SUSPENDED"


async def test_the_job_runs_in_a_real_worker_and_reports_progress(api, region_a, settings, redis):
    from arq.connections import create_pool

    from tests.workers.test_jobs import drain, relay_all
    from workers.queue import redis_settings

    nips = [make_nip() for _ in range(2500)]  # more than one validation batch
    content = csv_bytes(
        *[row(n, f"Pegawai {i}", f"Dinas Massal/Bidang {i % 7}") for i, n in enumerate(nips)]
    )
    body = await upload(api, region_a, content)
    job_id = body["data"]["importEmployees"]["job"]["id"]
    queued = (await api.as_role(region_a, Role.REGION_ADMIN, JOB, {"id": job_id})).data["importJob"]
    assert (queued["status"], queued["phase"], queued["totalRows"], queued["rowsDone"]) == (
        "QUEUED",
        "queued",
        2500,
        0,
    )
    pool = await create_pool(redis_settings(settings))
    try:
        await relay_all(pool, settings)
        await drain(settings)
    finally:
        await pool.aclose()
    done = (await api.as_role(region_a, Role.REGION_ADMIN, JOB, {"id": job_id})).data["importJob"]
    assert (
        done["status"],
        done["rowsDone"],
        done["summary"]["created"],
        done["summary"]["unitsCreated"],
    ) == ("SUCCEEDED", 2500, 2500, 8)
    async with tenant_transaction(region_a.id):
        finished = (
            await OutboxEvent.filter(tenant_id=region_a.id, topic="org.import.finished")
            .order_by("-id")
            .first()
        )
    assert finished.payload["job_id"] == int(job_id) and finished.payload["status"] == "SUCCEEDED"
    assert finished.payload["created_by"] == region_a.accounts[Role.REGION_ADMIN].id


async def test_two_runs_of_one_job_merge_once_and_never_empty(api, region_a):
    """The CLI and a worker (or a re-delivered event) running the same job at once: exactly
    one merges; the other must not merge an emptied staging table with deactivateMissing."""
    import asyncio

    nip = make_nip()
    body = await upload(
        api,
        region_a,
        csv_bytes(
            row(nip, "Satu-satunya", "Dinas Uji"),
            *[row(e.nip, e.name, "Dinas Uji") for e in region_a.employees.values()],
        ),
        missing=True,
    )
    job_id = int(body["data"]["importEmployees"]["job"]["id"])
    admin = region_a.actor(Role.REGION_ADMIN)
    first, second = await asyncio.gather(
        importing.run_import(tenant_id=region_a.id, job_id=job_id, actor=admin),
        importing.run_import(tenant_id=region_a.id, job_id=job_id, actor=admin),
    )
    # The run that lost the job returns it as it saw it (RUNNING); one run finished it.
    assert "SUCCEEDED" in {first.status, second.status}
    assert {first.status, second.status} <= {"SUCCEEDED", "RUNNING"}
    done = first if first.status == "SUCCEEDED" else second
    # And once more after it finished (a late re-delivery): nothing happens.
    again = await importing.run_import(tenant_id=region_a.id, job_id=job_id, actor=admin)
    assert (again.status, again.finished_at, again.summary) == (
        "SUCCEEDED",
        done.finished_at,
        done.summary,
    )
    people = await employees(region_a)
    assert all(e.is_active for e in people.values()) and nip in people
    async with tenant_transaction(region_a.id):
        creations = await AuditEntry.filter(
            entity="employee", action="employee.import_create"
        ).count()
    assert creations == 1


async def test_a_file_without_optional_columns_keeps_what_is_stored(api, region_a):
    staff = region_a.employees["staff1"]
    content = csv_bytes(
        f"{staff.nip},Nama Baru,Jabatan Baru,Dinas Uji/Bidang A",
        header="NIP,Nama Lengkap,jabatan,Unit Kerja",
    )  # aliases, no optional columns
    job = await import_and_run(api, region_a, content)
    assert job["status"] == "SUCCEEDED", job["problems"]
    people = await employees(region_a)
    kept = people[staff.nip]
    assert (kept.name, kept.position) == ("Nama Baru", "Jabatan Baru")
    assert (kept.email, kept.golongan, kept.supervisor_id) == (
        staff.email,
        staff.golongan,
        region_a.employees["chief"].id,
    )  # untouched


async def test_values_too_long_for_their_column_are_reported_on_their_line(api, region_a):
    content = csv_bytes(
        row(make_nip(), "N" * 201, "Dinas Uji"),
        row(make_nip(), "Ok", "Dinas Uji", phone="0" * 40),
        row(make_nip(), "Ok", "Dinas Uji", gol="Penata Muda Tk.I (III/b)"),
        row(make_nip(), "Ok", "Dinas Uji/" + "/".join(f"L{i}" for i in range(9))),
    )
    job = await import_and_run(api, region_a, content)
    assert problems(job) == {
        (2, "nama", "TOO_LONG"),
        (3, "telepon", "TOO_LONG"),
        (3, "telepon", "INVALID"),
        (4, "golongan", "INVALID"),
        (5, "unit", "TOO_DEEP"),
    }


async def test_a_cycle_longer_than_the_walk_and_cycles_beside_other_problems(api, region_a):
    nips = [make_nip() for _ in range(70)]
    ring = [row(n, f"R{i}", "Dinas Uji", atasan=nips[(i + 1) % 70]) for i, n in enumerate(nips)]
    job = await import_and_run(api, region_a, csv_bytes(*ring))
    assert job["status"] == "FAILED"
    assert {code for _, _, code in problems(job)} == {"CYCLE"} and job["errorCount"] == 70
    a, b = make_nip(), make_nip()
    mixed = csv_bytes(
        row(a, "A", "Dinas Uji", atasan=b),
        row(b, "B", "Dinas Uji", atasan=a),
        row(make_nip(), "C", "Dinas Uji", email="bukan"),
    )
    assert {
        (line, code) for line, _, code in problems(await import_and_run(api, region_a, mixed))
    } == {(2, "CYCLE"), (3, "CYCLE"), (4, "INVALID")}


async def test_the_audit_names_the_admin_who_uploaded_even_from_a_worker(api, region_a):
    from kinerja_saas.auth.actor import SYSTEM_ACTOR

    nip = make_nip()
    body = await upload(api, region_a, csv_bytes(row(nip, "Diaudit", "Dinas Uji")))
    job_id = int(body["data"]["importEmployees"]["job"]["id"])
    await importing.run_import(tenant_id=region_a.id, job_id=job_id, actor=SYSTEM_ACTOR)
    people = await employees(region_a)
    async with tenant_transaction(region_a.id):
        entry = await AuditEntry.get(entity_id=people[nip].id, action="employee.import_create")
    admin = region_a.accounts[Role.REGION_ADMIN]
    assert (entry.actor_user_id, entry.actor, entry.request_id) == (
        admin.id,
        f"user:{admin.email}",
        f"import:{job_id}",
    )


async def test_a_job_of_a_region_suspended_meanwhile_fails_instead_of_hanging(
    api, region_a, settings
):
    from workers.org import import_employees

    body = await upload(api, region_a, csv_bytes(row(make_nip(), "X", "Dinas Uji")))
    job_id = int(body["data"]["importEmployees"]["job"]["id"])
    await update_region(region_a.id, status=RegionStatus.SUSPENDED)
    result = await import_employees(
        {"job_try": 1},
        region_a.id,
        event_id=0,
        topic="org.import.requested",
        payload={"job_id": job_id},
    )
    assert result == {"skipped": "REGION_SUSPENDED"}
    await update_region(region_a.id, status=RegionStatus.ACTIVE)
    async with tenant_transaction(region_a.id):
        job = await ImportJob.get(id=job_id)
    assert job.status == "FAILED"


async def test_deactivate_missing_keeps_admin_logins_and_refuses_leaving_supervisors(api, region_a):
    head, chief, staff1 = (region_a.employees[k] for k in ("head", "chief", "staff1"))
    # staff1 reports to chief, who is not in the file: the import would orphan staff1.
    orphaning = csv_bytes(row(staff1.nip, staff1.name, "Dinas Uji/Bidang A", atasan=chief.nip))
    job = await import_and_run(api, region_a, orphaning, missing=True)
    assert problems(job) == {(2, "nip_atasan", "SUPERVISOR_NOT_IN_FILE")}
    # A preview tells how many would go.
    keep_one = csv_bytes(row(staff1.nip, staff1.name, "Dinas Uji/Bidang A"))
    preview = await import_and_run(api, region_a, keep_one, missing=True, dry=True)
    assert preview["summary"]["deactivated"] == 4
    # For real: everyone else goes, but the region admin's login stays usable.
    done = await import_and_run(api, region_a, keep_one, missing=True)
    assert done["summary"]["deactivated"] == 4
    async with tenant_transaction(region_a.id):
        admin = await UserAccount.get(id=region_a.accounts[Role.REGION_ADMIN].id)
        supervisor_login = await UserAccount.get(id=region_a.accounts[Role.SUPERVISOR].id)
        assert not (await Employee.get(id=head.id)).is_active
    assert admin.is_active and not supervisor_login.is_active


async def test_an_employee_brought_back_by_the_file_gets_their_login_back(api, region_a):
    staff1 = region_a.employees["staff1"]  # the EMPLOYEE login's person
    everyone_else = [
        row(e.nip, e.name, "Dinas Uji") for k, e in region_a.employees.items() if k != "staff1"
    ]
    await import_and_run(api, region_a, csv_bytes(*everyone_else), missing=True)
    async with tenant_transaction(region_a.id):
        assert not (await UserAccount.get(id=region_a.accounts[Role.EMPLOYEE].id)).is_active
    back = await import_and_run(api, region_a, csv_bytes(row(staff1.nip, staff1.name, "Dinas Uji")))
    assert back["status"] == "SUCCEEDED"
    async with tenant_transaction(region_a.id):
        assert (await UserAccount.get(id=region_a.accounts[Role.EMPLOYEE].id)).is_active
        assert (await Employee.get(id=staff1.id)).is_active


async def test_paths_under_a_deactivated_unit_are_refused(api, region_a):
    res = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        """mutation { createUnit(input: {name: "Lama",
        code: "LAMA", kind: DINAS}) { unit { id } } }""",
    )
    unit_id = res.data["createUnit"]["unit"]["id"]
    await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        f'mutation {{ deactivateUnit(id: "{unit_id}") {{ errors {{ code }} }} }}',
    )
    job = await import_and_run(api, region_a, csv_bytes(row(make_nip(), "X", "lama/Bidang Baru")))
    assert problems(job) == {(2, "unit", "INACTIVE_UNIT")}


async def test_quoted_fields_crlf_and_a_multi_line_record_keep_their_lines(api, region_a):
    good = make_nip()
    text = (
        f'{HEADER}\r\n{good},"Budi, S.Kom",Analis,PELAKSANA,III/a,Dinas Uji,,,\r\n'
        '12345,"Alamat\r\npanjang",Analis,PELAKSANA,III/a,Dinas Uji,,,\r\n'
        f"{make_nip()},Ok,Analis,PELAKSANA,V/a,Dinas Uji,,,\r\n"
    )
    job = await import_and_run(api, region_a, text.encode())
    assert problems(job) == {(3, "nip", "NIP_FORMAT"), (5, "golongan", "INVALID")}


async def test_a_deactivated_supervisor_is_named_as_such(api, region_a):
    other = region_a.employees["other"]
    await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        f'mutation {{ deactivateEmployee(id: "{other.id}") {{ errors {{ code }} }} }}',
    )
    job = await import_and_run(
        api, region_a, csv_bytes(row(make_nip(), "X", "Dinas Uji", atasan=other.nip))
    )
    assert problems(job) == {(2, "nip_atasan", "INACTIVE_SUPERVISOR")}


async def test_a_changed_email_follows_to_the_login(api, region_a):
    staff1 = region_a.employees["staff1"]
    job = await import_and_run(
        api,
        region_a,
        csv_bytes(
            row(
                staff1.nip,
                staff1.name,
                "Dinas Uji/Bidang A",
                atasan=region_a.employees["chief"].nip,
                jabatan="staff1",
                email="baru.staff1@dinas.go.id",
            )
        ),
    )
    assert job["status"] == "SUCCEEDED"
    async with tenant_transaction(region_a.id):
        login = await UserAccount.get(id=region_a.accounts[Role.EMPLOYEE].id)
    assert login.email == "baru.staff1@dinas.go.id"


# --- issue 19: fields beyond the header; IMP-<id> codes; statements do not grow with rows ----


async def test_values_beyond_the_header_are_refused_with_their_lines(api, region_a, owner_conn):
    """An unquoted comma in a name ("Budi, S.E.") would shift every later column: the
    file is refused naming the line, and nothing is written."""
    jobs_before = await owner_conn.fetchval(
        "SELECT count(*) FROM import_jobs WHERE tenant_id = $1", region_a.id
    )
    shifted = make_nip()
    content = csv_bytes(
        row(make_nip(), "Ani", "Dinas Uji"),
        row(make_nip(), '"Budi, S.Kom"', "Dinas Uji"),  # quoted: one value
        row(shifted, "Citra, S.E.", "Dinas Uji"),  # line 4: one value too many
        row(make_nip(), "Dodi", "Dinas Uji"),
        row(make_nip(), "Eka, M.Si", "Dinas Uji"),  # line 6 (the empty phone pushed out)
    )
    body = await upload(api, region_a, content)
    payload = body["data"]["importEmployees"]
    assert payload["job"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("file", "EXTRA_FIELDS")]
    assert payload["errors"][0]["message"].startswith(
        "Baris 4 dan 6 memuat lebih banyak kolom daripada baris judul (9 kolom)"
    )
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM import_jobs WHERE tenant_id = $1", region_a.id
        )
        == jobs_before
    )
    assert shifted not in await employees(region_a)


async def test_many_overlong_lines_are_named_up_to_a_limit_and_counted(api, region_a):
    lines = [row(make_nip(), f"Nama, Gelar {i}", "Dinas Uji") for i in range(25)]
    body = await upload(api, region_a, csv_bytes(*lines))
    (error,) = body["data"]["importEmployees"]["errors"]
    assert error["code"] == "EXTRA_FIELDS"
    named = ", ".join(str(n) for n in range(2, 21)) + " dan 21"
    assert error["message"].startswith(f"Baris {named} serta 5 baris lainnya memuat")


async def test_imp_codes_are_reserved_for_units_the_import_creates(api, region_a):
    from tests.org.test_units import CREATE, UPDATE

    for code in ("IMP-900001", "imp-7", " IMP-12-a"):
        res = await api.as_role(
            region_a, Role.REGION_ADMIN, CREATE,
            {"input": {"name": "Unit Tangan", "code": code, "kind": "BIDANG"}},
        )  # fmt: skip
        assert [(e["field"], e["code"]) for e in res.data["createUnit"]["errors"]] == [
            ("code", "CODE_RESERVED")
        ], code
    unit = region_a.units["a"]
    res = await api.as_role(
        region_a, Role.REGION_ADMIN, UPDATE, {"id": str(unit.id), "input": {"code": "IMP-5"}}
    )
    assert [(e["field"], e["code"]) for e in res.data["updateUnit"]["errors"]] == [
        ("code", "CODE_RESERVED")
    ]
    ok = await api.as_role(
        region_a, Role.REGION_ADMIN, CREATE,
        {"input": {"name": "Impor Data", "code": "IMPOR-1", "kind": "BIDANG"}},
    )  # fmt: skip
    assert ok.data["createUnit"]["errors"] == []


async def test_a_unit_holding_the_next_imp_code_does_not_break_the_import(
    api, region_a, owner_conn
):
    """A code recoded by hand before the reservation (written here as the owner) equal to
    the IMP-<id> the import would give its next units: the import still succeeds, its units
    get codes of their own, and the hand-made unit keeps its code."""
    next_id = await owner_conn.fetchval(
        "SELECT last_value + 1 FROM org_units_id_seq"
    )  # ids are taken in order; other tests may take some meanwhile, so cover a range
    taken = [f"IMP-{next_id + i}" for i in range(50)]
    for i, code in enumerate(taken):
        await owner_conn.execute(
            "INSERT INTO org_units (tenant_id, code, name, kind, path, depth, is_active,"
            " created_at, updated_at) VALUES ($1, $2, $3, 'BIDANG', '/', 0, true, now(), now())",
            region_a.id, code, f"Lama {i}",
        )  # fmt: skip
    job = await import_and_run(
        api, region_a,
        csv_bytes(row(make_nip(), "Ani", "Dinas Baru Sekali/Bidang Baru"),
                  row(make_nip(), "Budi", "Dinas Baru Sekali/Bidang Lain")),
    )  # fmt: skip
    assert (job["status"], job["summary"]["unitsCreated"]) == ("SUCCEEDED", 3)
    codes = await owner_conn.fetch(
        "SELECT code FROM org_units WHERE tenant_id = $1 AND code LIKE 'IMP-%'", region_a.id
    )
    all_codes = [r["code"] for r in codes]
    assert len(all_codes) == len(set(all_codes)) == len(taken) + 3
    assert set(taken) <= set(all_codes)


async def test_statements_of_an_import_do_not_grow_with_its_rows(api, region_a):
    """Staging, validation and the merge are set-based: 10 and 1,000 rows (new units,
    supervisors, logins) run the same number of statements."""
    counts = []
    for size in (10, 1000):
        head = make_nip()
        lines = [row(head, "Kepala", f"Dinas {size}", jenis="STRUKTURAL", gol="IV/a",
                     email=f"kepala{size}@dinas.go.id")]  # fmt: skip
        lines += [
            row(make_nip(), f"Staf {i}", f"Dinas {size}/Bidang {i % 3}", atasan=head,
                email=f"staf{i}.{size}@dinas.go.id" if i % 2 else "")
            for i in range(size - 1)
        ]  # fmt: skip
        with count_statements() as counter:
            job = await import_and_run(api, region_a, csv_bytes(*lines))
        assert (job["status"], job["summary"]["created"]) == ("SUCCEEDED", size)
        counts.append(counter.count)
    assert counts[0] == counts[1]


async def test_an_unchanged_reimport_writes_and_locks_no_employee(api, region_a, owner_conn):
    """Rows equal to what is stored never reach the upsert's INSERT: no employee is written
    or even locked (a conflicting INSERT … ON CONFLICT DO UPDATE locks the row whatever its
    WHERE says), no audit entry, no position history."""
    head = make_nip()
    lines = [row(head, "Kepala", "Dinas Tetap", jenis="STRUKTURAL", gol="IV/a",
                 email="kepala@tetap.go.id")]  # fmt: skip
    lines += [
        row(make_nip(), f"Staf {i}", f"Dinas Tetap/Bidang {i % 2}", atasan=head,
            email=f"staf{i}@tetap.go.id" if i % 2 else "", phone="0812 3456 7890")
        for i in range(6)
    ]  # fmt: skip
    first = await import_and_run(api, region_a, csv_bytes(*lines))
    assert (first["status"], first["summary"]["created"]) == ("SUCCEEDED", 7)
    counts = (
        "SELECT (SELECT count(*) FROM audit_log WHERE tenant_id = $1),"
        " (SELECT count(*) FROM position_history WHERE tenant_id = $1)"
    )
    before = await owner_conn.fetchrow(counts, region_a.id)
    # xmax: the last transaction that wrote or locked the row version
    versions = (
        "SELECT nip, xmin::text, xmax::text FROM employees WHERE tenant_id = $1"
        " AND nip = ANY($2::text[]) ORDER BY nip"
    )
    nips = [line.split(",")[0] for line in lines]
    stored = await owner_conn.fetch(versions, region_a.id, nips)
    again = await import_and_run(api, region_a, csv_bytes(*lines))
    assert again["status"] == "SUCCEEDED"
    assert (again["summary"]["updated"], again["summary"]["unchanged"]) == (0, 7)
    assert again["summary"]["supervisorsSet"] == 0
    assert len(stored) == 7
    assert await owner_conn.fetch(versions, region_a.id, nips) == stored
    assert await owner_conn.fetchrow(counts, region_a.id) == before


async def test_a_changed_row_is_checked_against_the_unchanged_rows_of_the_file(api, region_a):
    """The rules between rows hold for the whole file whatever is unchanged in it: a changed
    row taking an unchanged row's e-mail or NIP, or closing a supervision cycle through
    unchanged rows, is refused and nothing is written."""
    a, b, c = make_nip(), make_nip(), make_nip()

    def roster(b_atasan=a, b_email="b@siklus.go.id", c_nip=c) -> bytes:
        return csv_bytes(
            row(a, "A", "Dinas Siklus", jenis="STRUKTURAL", gol="IV/a", email="a@siklus.go.id"),
            row(b, "B", "Dinas Siklus", atasan=b_atasan, email=b_email),
            row(c_nip, "C", "Dinas Siklus", atasan=b, email="c@siklus.go.id"),
        )

    assert (await import_and_run(api, region_a, roster()))["status"] == "SUCCEEDED"
    stored = await employees(region_a)
    # B changes its e-mail to A's (A unchanged): line 3 names line 2.
    job = await import_and_run(api, region_a, roster(b_email="a@siklus.go.id"))
    assert job["status"] == "FAILED"
    assert (3, "email", "DUPLICATE_IN_FILE") in problems(job)
    # C's line now carries A's NIP (A unchanged).
    job = await import_and_run(api, region_a, roster(c_nip=a))
    assert (3, "nip", "DUPLICATE_IN_FILE") not in problems(job)
    assert (4, "nip", "DUPLICATE_IN_FILE") in problems(job)
    # A is unchanged (no supervisor), B changes to report to C, who reports to B (unchanged).
    job = await import_and_run(api, region_a, roster(b_atasan=c))
    assert job["status"] == "FAILED"
    assert {(line, code) for line, _, code in problems(job)} == {(3, "CYCLE"), (4, "CYCLE")}
    after = await employees(region_a)
    assert [(e.email, e.supervisor_id) for e in after.values() if e.nip in (a, b, c)] == [
        (e.email, e.supervisor_id) for e in stored.values() if e.nip in (a, b, c)
    ]
