"""Importing a region's civil-service roster from CSV, all or nothing.

1. `stage_import` (in the request) streams the file, checks each row's own rules in Python
   as it is parsed (recording every problem with its line number), stores the rows in one
   `import_files` row of the job and queues it. File-level problems (not UTF-8, not CSV, a
   missing column, too large) are refused there and nothing is written.
2. `run_import` (in the worker) checks the rules between rows and against the region in SQL,
   in the transaction that would merge. Any problem (per-row or between rows): nothing of
   the roster is written. Otherwise that transaction merges the file set-based: units from
   the paths, one upsert of employees by NIP with their supervisors (rows equal to the
   stored employee skipped), audit entries, logins. COPY is refused on tables with RLS, so
   staging COPYs into a temporary table and aggregates it with one `INSERT … SELECT`; the
   merge is `INSERT … SELECT … ON CONFLICT`.
"""

from __future__ import annotations

import csv
import functools
import io
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import IO, Any

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.events import ACTIVATION_REQUESTED
from kinerja_saas.auth.grants import sync_supervisor_roles
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.revocation import revoke_logins
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.service import user_actor
from kinerja_saas.errors import CommonError, ErrorCode, FieldError, ValidationFailed
from kinerja_saas.org import events, queries, rules
from kinerja_saas.org.errors import ImportError_, OrgError
from kinerja_saas.org.models import ImportJob, ImportStatus
from kinerja_saas.org.service import lock_org_structure
from kinerja_saas.outbox.service import emit, emit_many
from tenants.context import current_tenant_id, tenant_transaction

COLUMNS = (
    "nip",
    "nama",
    "jabatan",
    "jenis_jabatan",
    "golongan",
    "unit",
    "nip_atasan",
    "email",
    "telepon",
)
REQUIRED_COLUMNS = ("nip", "nama", "jabatan", "unit")
OPTIONAL_COLUMNS = ("jenis_jabatan", "golongan", "nip_atasan", "email", "telepon")
# Header names spreadsheets commonly use for the same columns.
HEADER_ALIASES = {
    "nama_lengkap": "nama",
    "nama_pegawai": "nama",
    "unit_kerja": "unit",
    "nip_atasan_langsung": "nip_atasan",
    "e_mail": "email",
    "surel": "email",
    "telp": "telepon",
    "telpon": "telepon",
    "no_telp": "telepon",
    "no_telepon": "telepon",
    "hp": "telepon",
    "no_hp": "telepon",
    "nomor_hp": "telepon",
}
# Longest value each column may hold where it lands (employees, user_accounts).
MAX_LENGTH = {"nama": 200, "jabatan": 200, "email": 254, "telepon": 32}
STAGE_BATCH = 1000
MAX_LINES_NAMED = 20  # lines named in a file-level refusal; the rest are counted

Progress = Callable[[str, int, int], None]


class ImportRefused(ValidationFailed):
    """The file as a whole cannot be imported (line 0)."""


# --- reading the file -----------------------------------------------------------------


@dataclass(frozen=True)
class ParsedRow:
    line_no: int
    values: tuple[str, ...]  # in COLUMNS order, normalised where unambiguous


def _refuse(error: ErrorCode, **params: Any) -> ImportRefused:
    return ImportRefused([FieldError.of("file", error, **params)])


CACHE_LIMIT = 4096  # distinct values remembered per column and file


class _Normaliser:
    """A row's values in COLUMNS order, normalised where unambiguous: NIPs without label or
    separators, blanks collapsed, jenis jabatan upper-case (PELAKSANA when empty), a known
    golongan in its usual spelling, the unit path without blanks around its parts, the
    e-mail lower-case. The columns of few distinct values (unit path, supervisor, golongan,
    jenis jabatan) are normalised once per value: a 20,000-row file names ~200 units and
    ~200 supervisors."""

    def __init__(self) -> None:
        self.units: dict[str, str] = {}
        self.atasan: dict[str, str] = {}
        self.golongan: dict[str, str] = {}
        self.jenis: dict[str, str] = {}

    def __call__(self, values: list[str]) -> tuple[str, ...]:
        nip, nama, jabatan, jenis, golongan, unit, atasan, email, telepon = values
        if (jenis_n := self.jenis.get(jenis)) is None:
            jenis_n = self._remember(self.jenis, jenis, _jenis(jenis))
        if (golongan_n := self.golongan.get(golongan)) is None:
            golongan_n = self._remember(self.golongan, golongan, _golongan(golongan))
        if (unit_n := self.units.get(unit)) is None:
            unit_n = self._remember(self.units, unit, _unit(unit))
        if (atasan_n := self.atasan.get(atasan)) is None:
            atasan_n = self._remember(self.atasan, atasan, _nip(atasan))
        return (
            _nip(nip),
            " ".join(nama.split()),
            " ".join(jabatan.split()),
            jenis_n,
            golongan_n,
            unit_n,
            atasan_n,
            email.strip().lower(),
            telepon.strip(),
        )

    @staticmethod
    def _remember(cache: dict[str, str], raw: str, value: str) -> str:
        if len(cache) < CACHE_LIMIT:
            cache[raw] = value
        return value


def _nip(raw: str) -> str:
    bare = raw.strip()  # most NIPs are written bare: nothing for normalise_nip to drop
    return bare if rules.NIP_DIGITS.fullmatch(bare) else rules.normalise_nip(raw)


def _jenis(raw: str) -> str:
    return raw.strip().upper() or "PELAKSANA"


def _golongan(raw: str) -> str:
    golongan = raw.strip()
    return rules.normalise_golongan(golongan) or golongan if golongan else ""


def _unit(raw: str) -> str:
    return rules.normalise_unit_path(raw).strip("/")


def _column_name(header: str) -> str:
    name = "_".join(header.strip().lower().replace("-", " ").replace(".", " ").split())
    return HEADER_ALIASES.get(name, name)


def read_roster(
    binary: IO[bytes], *, max_bytes: int, columns_seen: set[str] | None = None
) -> Iterator[list[ParsedRow]]:
    """Streams batches of rows. UTF-8 with or without BOM; ',' or ';' as delimiter.
    `columns_seen` receives the columns the header names (absent optional columns leave
    existing values alone)."""
    binary.seek(0, io.SEEK_END)
    size = binary.tell()
    binary.seek(0)
    if size == 0:
        raise _refuse(ImportError_.EMPTY)
    if size > max_bytes:
        raise _refuse(ImportError_.TOO_LARGE, size=size, max=max_bytes)
    if b"\x00" in binary.read(4096):
        raise _refuse(ImportError_.NOT_CSV)
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        header_line = text.readline()
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        header = next(csv.reader([header_line], delimiter=delimiter), [])
        names = [_column_name(h) for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing:
            raise _refuse(ImportError_.MISSING_COLUMNS, missing=missing, columns=list(COLUMNS))
        index = {name: names.index(name) for name in COLUMNS if name in names}
        if columns_seen is not None:
            columns_seen.update(index)
        # Each column's field (absent columns read as ""): every record is padded to the
        # header's width, and one more field stands for an absent column.
        width = len(header)
        picks = [index.get(c, width) for c in COLUMNS]
        padding = [""] * (width + 1)
        normalise = _Normaliser()
        reader = csv.reader(text, delimiter=delimiter)
        batch: list[ParsedRow] = []
        overlong: list[int] = []  # lines with values beyond the header's columns
        while True:
            line_no = reader.line_num + 2  # where the record starts (the header is line 1)
            fields = next(reader, None)
            if fields is None:
                break
            if not "".join(fields).strip():  # no field holds anything but blanks
                continue
            if len(fields) > width:
                # An unquoted delimiter in a value ("Budi, S.E." in a comma file) shifts
                # every later column (the one pushed out is often an empty last one):
                # refused with its line, never read silently.
                overlong.append(line_no)
                fields = fields[:width]
            padded = fields + padding[len(fields) :]
            batch.append(ParsedRow(line_no, normalise([padded[i] for i in picks])))
            if len(batch) >= STAGE_BATCH:
                yield batch
                batch = []
        if overlong:
            more = {"more": len(overlong) - MAX_LINES_NAMED} if overlong[MAX_LINES_NAMED:] else {}
            raise _refuse(
                ImportError_.EXTRA_FIELDS,
                lines=[str(n) for n in overlong[:MAX_LINES_NAMED]],
                count=len(header),
                delimiter=delimiter,
                **more,
            )
        if batch:
            yield batch
    except UnicodeDecodeError as exc:
        raise _refuse(ImportError_.NOT_UTF8) from exc
    except csv.Error as exc:
        raise _refuse(ImportError_.NOT_CSV) from exc
    finally:
        text.detach()


# --- staging (in the request) ----------------------------------------------------------


def require_import_rights(actor: Actor) -> None:
    actor.require(Role.REGION_ADMIN)


async def stage_import(
    *,
    actor: Actor,
    filename: str,
    binary: IO[bytes],
    dry_run: bool,
    deactivate_missing: bool,
    max_bytes: int,
    progress: Progress | None = None,
    enqueue: bool = True,
    today: date | None = None,
) -> ImportJob:
    """Stores the rows in the caller's transaction, with the problems of each row on its own
    (`row_problems`, checked while the file streams by: the rows are parsed here anyway), and
    with `enqueue` queues the job for a worker. The CLI runs the job itself and must not also
    queue it."""
    require_import_rights(actor)
    tenant_id = current_tenant_id()
    day = today or date.today()
    job = await ImportJob.create(
        tenant_id=tenant_id,
        created_by=actor.user_id or None,
        filename=filename[:255],
        dry_run=dry_run,
        deactivate_missing=deactivate_missing,
    )
    columns = set[str]()
    read = 0
    problems: list[tuple] = []

    async def rows() -> AsyncIterator[tuple]:  # streamed into one COPY, batch by batch
        nonlocal read
        for batch in read_roster(binary, max_bytes=max_bytes, columns_seen=columns):
            for r in batch:
                problems.extend(row_problems(r.line_no, r.values, today=day))
                yield (r.line_no, *r.values)
            read += len(batch)
            if progress:
                progress("staging", read, 0)

    total = await queries.stage_rows(tenant_id=tenant_id, job_id=job.id, rows=rows())
    if total == 0:
        raise _refuse(ImportError_.NO_ROWS)
    await queries.record_problems(tenant_id, job.id, problems)
    job.total_rows, job.columns = total, sorted(columns & set(OPTIONAL_COLUMNS))
    await ImportJob.filter(tenant_id=tenant_id, id=job.id).update(
        total_rows=total, columns=job.columns
    )
    if enqueue:
        await emit(events.IMPORT_REQUESTED, {"job_id": job.id})
    return job


# --- validation: each row's rules (in the request), the rules between rows (in the worker)


def row_problems(line_no: int, values: tuple[str, ...], *, today: date) -> list[tuple]:
    """The rules of one row (its values in COLUMNS order, as `read_roster` normalised them):
    (line, field, code, message) for each problem, in the order the rules are listed."""
    nip, nama, jabatan, jenis, golongan, unit_path, atasan, email, telepon = values
    out: list[tuple] = []

    def bad(field: str, error: ErrorCode, **params: Any) -> None:
        out.append((line_no, field, error.value, error.render(field, **params)))

    if not (nip and nama and jabatan and unit_path):
        for column, value in zip(REQUIRED_COLUMNS, (nip, nama, jabatan, unit_path), strict=True):
            if not value:
                bad(column, CommonError.REQUIRED)
    if (
        len(nama) > MAX_LENGTH["nama"]
        or len(jabatan) > MAX_LENGTH["jabatan"]
        or len(email) > MAX_LENGTH["email"]
        or len(telepon) > MAX_LENGTH["telepon"]
    ):
        for key, value in (("nama", nama), ("jabatan", jabatan), ("email", email),
                           ("telepon", telepon)):  # fmt: skip
            if len(value) > MAX_LENGTH[key]:
                bad(key, CommonError.TOO_LONG, max=MAX_LENGTH[key])
    parsed = rules.parse_nip(nip, today=today) if nip else None
    if isinstance(parsed, FieldError):
        out.append((line_no, "nip", parsed.code, parsed.message))
    if jenis not in rules.POSITION_TYPES:
        bad("jenis_jabatan", CommonError.INVALID, values=list(rules.POSITION_TYPES))
    if golongan:
        normalised = _known_golongan(golongan)
        if normalised is None:
            bad("golongan", OrgError.GOLONGAN_UNKNOWN, value=golongan)
        elif isinstance(parsed, rules.NipInfo) and (
            mismatch := rules.golongan_mismatch(normalised, parsed.kind)
        ):
            out.append((line_no, "golongan", mismatch.code, mismatch.message))
    if email and not rules.valid_email(email):
        bad("email", CommonError.INVALID, example="nama@bkpsdm.go.id")
    if telepon and not rules.valid_phone(telepon):
        bad("telepon", CommonError.INVALID, example="0812 3456 7890")
    if atasan:
        if not rules.NIP_DIGITS.fullmatch(atasan):
            bad("nip_atasan", OrgError.NIP_FORMAT)
        elif atasan == nip:
            bad("nip_atasan", OrgError.CYCLE)
    if unit_path and (problem := _unit_path_problem(unit_path)):
        bad("unit", problem[0], **dict(problem[1]))
    return out


@functools.lru_cache(maxsize=1024)
def _known_golongan(value: str) -> str | None:
    return rules.normalise_golongan(value)


@functools.lru_cache(maxsize=4096)
def _unit_path_problem(path: str) -> tuple[ErrorCode, tuple[tuple[str, Any], ...]] | None:
    """What is wrong with a unit path (error, its parameters), if anything."""
    parts = path.split("/")
    if any(not p for p in parts):
        return CommonError.INVALID, (("example", "Dinas Kesehatan/Bidang P2P"),)
    if len(parts) > rules.MAX_UNIT_DEPTH:
        return ImportError_.TOO_DEEP, (("max", rules.MAX_UNIT_DEPTH),)
    if any(len(p) > 200 for p in parts):
        return CommonError.TOO_LONG, (("max", 200),)
    return None


async def _cross_row_problems(job: ImportJob) -> int:
    """The rules between rows and against the region, in the transaction that would merge
    (after `_stage_for_sql` and the lock), so nothing can change between check and write."""
    total = 0
    duplicate_nips = 0
    for check in queries.cross_row_checks(deactivate_missing=job.deactivate_missing):
        found = await queries.problems_found(check, job.tenant_id, job.id)
        problems = [tuple(r.values()) for r in found]
        await queries.record_problems(job.tenant_id, job.id, problems)
        total += len(problems)
        duplicate_nips += sum(1 for p in problems if p[1] == "nip")
    # With every NIP once in the file the graph is sound, so cycles are looked for whatever
    # else is wrong; a cheap reachability count says whether the walk is needed at all, and
    # a file that changes no chain (a re-import) needs neither.
    if (
        duplicate_nips == 0
        and await queries.supervision_may_change(job.tenant_id, job.id)
        and await queries.unreached_count(job.tenant_id, job.id)
    ):
        found = await queries.supervision_cycles(job.tenant_id, job.id)
        if not found:
            found = await queries.unreached_lines(job.tenant_id, job.id)
        await queries.record_problems(job.tenant_id, job.id, [tuple(r.values()) for r in found])
        total += len(found)
    return total


# --- merging (one transaction) ---------------------------------------------------------


async def _merge(job: ImportJob, actor: Actor) -> dict[str, int]:
    tenant_id, job_id = job.tenant_id, job.id
    units_created = await queries.resolve_units(tenant_id, job_id)
    await queries.create_import_before()  # filled by the upsert and the deactivation
    present = set(job.columns)
    updated_columns = ["name", "position", "unit_id"] + [
        column
        for given, column in (
            ("jenis_jabatan", "position_type"),
            ("golongan", "golongan"),
            ("email", "email"),
            ("telepon", "phone"),
        )
        if given in present
    ]  # a column the file does not have leaves the stored value alone
    # Supervisors in the same statement (a file without nip_atasan leaves them alone).
    upserted = await queries.upsert_employees_from_file(
        tenant_id=tenant_id,
        job_id=job_id,
        updated_columns=updated_columns,
        with_supervisors="nip_atasan" in present,
    )
    deactivated: list = []
    if job.deactivate_missing:
        deactivated = await queries.deactivate_employees_not_in_file(
            tenant_id=tenant_id, job_id=job_id
        )
        # Their logins end too, except region admins': a roster must never lock the region
        # out of its own platform (their employee records are deactivated all the same).
        ended = await queries.end_logins_of_deactivated(
            tenant_id=tenant_id, employee_ids=[r["id"] for r in deactivated]
        )
        await revoke_logins(
            tenant_id=tenant_id, versions={r["id"]: r["token_version"] for r in ended}
        )
    # One audit entry per employee that changed, with only the fields that changed.
    await queries.audit_import(
        tenant_id=tenant_id,
        actor_user_id=actor.user_id or None,
        actor_label=actor.label,
        request_id=f"import:{job_id}",
        written_ids=[r["id"] for r in upserted] + [r["id"] for r in deactivated],
    )
    # Position history: one statement for everyone whose unit, supervisor or jabatan the
    # file changed, and a first stretch for everyone it added.
    await queries.record_import_positions(
        tenant_id=tenant_id,
        written_ids=[r["id"] for r in upserted],
        created_by=actor.user_id or None,
    )
    # A changed e-mail follows to the employee's login (validation refused e-mails of
    # other people's logins; one still free is taken).
    if "email" in present:
        await queries.follow_changed_emails(tenant_id=tenant_id, job_id=job_id)
    # Employees the file brings back get their login back.
    await queries.reactivate_logins_of_returning(tenant_id=tenant_id, job_id=job_id)
    # Logins: link an existing unlinked login with the same e-mail, create the others.
    await queries.link_unlinked_logins(tenant_id=tenant_id, job_id=job_id)
    accounts = await queries.create_logins_from_file(tenant_id=tenant_id, job_id=job_id)
    # SUPERVISOR follows the chain, region-wide (auth.grants): a role added ends no token
    # (the next refresh carries it); a role taken away ends the login's tokens.
    await sync_supervisor_roles(actor=actor, employee_ids=None)
    account_ids = [r["id"] for r in accounts]
    await emit_many(
        ACTIVATION_REQUESTED,
        [{"user_ids": account_ids[i : i + 1000]} for i in range(0, len(account_ids), 1000)],
    )
    created = sum(1 for r in upserted if r["inserted"])
    changed = sum(1 for r in upserted if r["changed"])
    return {
        "rows": job.total_rows,
        "created": created,
        "updated": changed - created,
        "unchanged": job.total_rows - changed,
        "supervisors_set": sum(1 for r in upserted if r["supervisor_changed"]),
        "deactivated": len(deactivated),
        "units_created": units_created,
        "accounts_created": len(account_ids),
    }


async def _dry_run_summary(job: ImportJob) -> dict[str, int]:
    _, rows = await queries.dry_run_counts(
        tenant_id=job.tenant_id, job_id=job.id, deactivate_missing=job.deactivate_missing
    )
    return {
        "rows": job.total_rows,
        "created": rows[0]["created"],
        "existing": rows[0]["existing"],
        "deactivated": rows[0]["deactivated"],
    }


async def _finish(
    job: ImportJob, status: ImportStatus, *, problems: int = 0, summary: dict | None = None
) -> None:
    """Final state, the staged rows dropped, and the admin told (outbox)."""
    await ImportJob.filter(tenant_id=job.tenant_id, id=job.id).update(
        status=status,
        phase="done",
        error_count=problems,
        summary=summary or {},
        finished_at=datetime.now(UTC),
        rows_done=job.total_rows,
    )
    await queries.delete_import_rows(tenant_id=job.tenant_id, job_id=job.id)
    await emit(
        events.IMPORT_FINISHED,
        {
            "job_id": job.id,
            "status": status.value,
            "created_by": job.created_by,
            "problems": problems,
        },
    )


async def run_import(
    *,
    tenant_id: int,
    job_id: int,
    actor: Actor,
    progress: Progress | None = None,
) -> ImportJob | None:
    """Runs a staged import to its end. Safe to run again and twice at once: each run claims
    the job with a run id, and only the run that still owns it may merge."""
    run_id = uuid.uuid4().hex
    async with tenant_transaction(tenant_id):
        claimed = await queries.claim_import(tenant_id=tenant_id, job_id=job_id, run_id=run_id)
        job = await ImportJob.get_or_none(tenant_id=tenant_id, id=job_id)
        if not claimed or job is None:
            return job  # finished already (a re-delivered event)
        actor = await _acting_for(job, actor)
    async with tenant_transaction(tenant_id):  # visible while the last step runs
        await ImportJob.filter(tenant_id=tenant_id, id=job_id, run_id=run_id).update(
            phase="merging"
        )
    async with tenant_transaction(tenant_id):
        await lock_org_structure()  # nobody moves units or supervisors until we are done
        owner = await queries.lock_import_job(tenant_id=tenant_id, job_id=job_id)
        if owner[0]["run_id"] != run_id or owner[0]["status"] != "RUNNING":
            return await ImportJob.get(tenant_id=tenant_id, id=job_id)  # another run has it
        await queries.stage_for_sql(tenant_id, job_id)
        staged = await queries.count_staged()
        if staged[0]["n"] != job.total_rows:
            raise RuntimeError(f"import {job_id}: {staged[0]['n']} of {job.total_rows} rows staged")
        problems = await _count_problems(job)
        if problems:
            await _finish(job, ImportStatus.FAILED, problems=problems)
        elif job.dry_run:
            await _finish(job, ImportStatus.SUCCEEDED, summary=await _dry_run_summary(job))
        else:
            if progress:
                progress("merging", job.total_rows, job.total_rows)
            await _finish(job, ImportStatus.SUCCEEDED, summary=await _merge(job, actor))
    async with tenant_transaction(tenant_id):
        return await ImportJob.get(tenant_id=tenant_id, id=job_id)


async def _count_problems(job: ImportJob) -> int:
    """Cross-row problems recorded now, plus the per-row ones recorded by this run."""
    await _cross_row_problems(job)
    rows = await queries.count_import_problems(tenant_id=job.tenant_id, job_id=job.id)
    return rows[0]["n"]


async def _acting_for(job: ImportJob, actor: Actor) -> Actor:
    """In a worker the job acts for the admin who uploaded the file (for the audit log)."""
    if actor.user_id or not job.created_by:
        return actor
    account = await UserAccount.get_or_none(tenant_id=job.tenant_id, id=job.created_by)
    if account is None:
        return actor
    return replace(user_actor(account), request_id=f"import:{job.id}")


@dataclass(frozen=True)
class StrandedImport:
    job_id: int
    run_id: str | None  # the run that stopped (None: never started)


async def stranded_imports(
    *, queued_seconds: float, running_seconds: float, limit: int = 100
) -> list[StrandedImport]:
    """The current region's imports no run is working on: QUEUED for longer than a queued
    job waits, or RUNNING for longer than a run may last (its worker died, or Redis lost
    the job). One statement; `run_import` may be started again for each."""
    rows = await queries.stranded_import_rows(
        queued_seconds=queued_seconds, running_seconds=running_seconds, limit=limit
    )
    return [StrandedImport(r["id"], r["run_id"]) for r in rows]


async def fail_import(
    *, tenant_id: int, job_id: int, error: ErrorCode = ImportError_.JOB_FAILED
) -> None:
    """Marks a job that could not run to its end (after the last retry, or its region was
    suspended meanwhile): never left RUNNING or QUEUED for ever."""
    async with tenant_transaction(tenant_id, require_active=False):
        job = await ImportJob.get_or_none(tenant_id=tenant_id, id=job_id)
        if job is None or job.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            return
        await queries.record_problems(tenant_id, job_id, [(0, None, error.value, error.render())])
        await _finish(job, ImportStatus.FAILED, problems=1)
