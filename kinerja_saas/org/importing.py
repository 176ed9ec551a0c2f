"""Importing a region's civil-service roster from CSV, all or nothing.

1. `stage_import` (in the request) streams the file into `import_rows` in batches and
   queues the job. File-level problems (not UTF-8, not CSV, a missing column, too large)
   are refused there and nothing is written.
2. `run_import` (in the worker) validates every row — per-row rules in Python, in batches,
   and the rules between rows in SQL — and records every problem with its line number.
   Any problem: nothing of the roster is written. Otherwise one transaction merges the file
   set-based: units from the paths, an upsert of employees by NIP, supervisors after all
   rows are in, audit entries, logins. COPY is refused on tables with RLS, so staging uses
   batched executemany and the merge `INSERT … SELECT … ON CONFLICT`.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import IO, Any

from tortoise import connections

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.events import ACTIVATION_REQUESTED
from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.revocation import revoke_logins
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.service import user_actor
from kinerja_saas.errors import CommonError, ErrorCode, FieldError, ValidationFailed
from kinerja_saas.org import events, rules
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
VALIDATE_BATCH = 2000

Progress = Callable[[str, int, int], None]


def _db():
    return connections.get("default")


class ImportRefused(ValidationFailed):
    """The file as a whole cannot be imported (line 0)."""


# --- reading the file -----------------------------------------------------------------


@dataclass(frozen=True)
class ParsedRow:
    line_no: int
    values: tuple[str, ...]  # in COLUMNS order, normalised where unambiguous


def _refuse(error: ErrorCode, **params: Any) -> ImportRefused:
    return ImportRefused([FieldError.of("file", error, **params)])


def _normalise(raw: dict[str, str]) -> tuple[str, ...]:
    golongan = raw["golongan"].strip()
    jenis = raw["jenis_jabatan"].strip().upper() or "PELAKSANA"
    return (
        raw["nip"].strip(),
        " ".join(raw["nama"].split()),
        " ".join(raw["jabatan"].split()),
        jenis,
        rules.normalise_golongan(golongan) or golongan if golongan else "",
        rules.normalise_unit_path(raw["unit"]).strip("/"),
        raw["nip_atasan"].strip(),
        raw["email"].strip().lower(),
        raw["telepon"].strip(),
    )


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
        reader = csv.reader(text, delimiter=delimiter)
        batch: list[ParsedRow] = []
        while True:
            line_no = reader.line_num + 2  # where the record starts (the header is line 1)
            fields = next(reader, None)
            if fields is None:
                break
            if not any(f.strip() for f in fields):
                continue
            raw = {c: (fields[i] if i < len(fields) else "") for c, i in index.items()}
            for column in COLUMNS:
                raw.setdefault(column, "")
            batch.append(ParsedRow(line_no, _normalise(raw)))
            if len(batch) >= STAGE_BATCH:
                yield batch
                batch = []
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
) -> ImportJob:
    """Stores the rows in the caller's transaction and, with `enqueue`, queues the job for a
    worker. The CLI runs the job itself and must not also queue it."""
    require_import_rights(actor)
    tenant_id = current_tenant_id()
    job = await ImportJob.create(
        tenant_id=tenant_id,
        created_by=actor.user_id or None,
        filename=filename[:255],
        dry_run=dry_run,
        deactivate_missing=deactivate_missing,
    )
    total, columns = 0, set[str]()
    for batch in read_roster(binary, max_bytes=max_bytes, columns_seen=columns):
        await _db().execute_many(
            "INSERT INTO import_rows (tenant_id, job_id, line_no, nip, nama, jabatan,"
            " jenis_jabatan, golongan, unit_path, nip_atasan, email, telepon)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            [(tenant_id, job.id, r.line_no, *r.values) for r in batch],
        )
        total += len(batch)
        if progress:
            progress("staging", total, 0)
    if total == 0:
        raise _refuse(ImportError_.NO_ROWS)
    job.total_rows, job.columns = total, sorted(columns & set(OPTIONAL_COLUMNS))
    await ImportJob.filter(tenant_id=tenant_id, id=job.id).update(
        total_rows=total, columns=job.columns
    )
    if enqueue:
        await emit(events.IMPORT_REQUESTED, {"job_id": job.id})
    return job


# --- validation (in the worker) --------------------------------------------------------


def row_problems(line_no: int, row: dict[str, Any], *, today: date) -> list[tuple]:
    """The rules of one row: (line, field, code, message) for each problem."""
    out: list[tuple] = []

    def bad(field: str, error: ErrorCode, **params: Any) -> None:
        out.append((line_no, field, error.value, error.render(field, **params)))

    for column in REQUIRED_COLUMNS:
        key = "unit_path" if column == "unit" else column
        if not row[key]:
            bad(column, CommonError.REQUIRED)
    for key, limit in MAX_LENGTH.items():
        if len(row[key]) > limit:
            bad(key, CommonError.TOO_LONG, max=limit)
    if row["nip"]:
        parsed = rules.parse_nip(row["nip"], today=today)
        if isinstance(parsed, FieldError):
            out.append((line_no, "nip", parsed.code, parsed.message))
    if row["jenis_jabatan"] not in rules.POSITION_TYPES:
        bad("jenis_jabatan", CommonError.INVALID, values=list(rules.POSITION_TYPES))
    if row["golongan"] and rules.normalise_golongan(row["golongan"]) is None:
        bad("golongan", CommonError.INVALID, example="III/a")
    if row["email"] and not rules.valid_email(row["email"]):
        bad("email", CommonError.INVALID, example="nama@bkpsdm.go.id")
    if row["telepon"] and not rules.valid_phone(row["telepon"]):
        bad("telepon", CommonError.INVALID, example="0812 3456 7890")
    atasan = row["nip_atasan"]
    if atasan:
        if not rules.NIP_DIGITS.fullmatch(atasan):
            bad("nip_atasan", OrgError.NIP_FORMAT)
        elif atasan == row["nip"]:
            bad("nip_atasan", OrgError.CYCLE)
    if row["unit_path"]:
        parts = row["unit_path"].split("/")
        if any(not p for p in parts):
            bad("unit", CommonError.INVALID, example="Dinas Kesehatan/Bidang P2P")
        elif len(parts) > rules.MAX_UNIT_DEPTH:
            bad("unit", ImportError_.TOO_DEEP, max=rules.MAX_UNIT_DEPTH)
        elif any(len(p) > 200 for p in parts):
            bad("unit", CommonError.TOO_LONG, max=200)
    return out


# Rules between rows, each one statement over `staged` (see _stage_for_sql); parameters
# $1 tenant, $2 job.
CROSS_ROW_CHECKS = (
    # A NIP twice in the file.
    """SELECT r.line_no, 'nip', 'DUPLICATE_IN_FILE',
              'NIP ' || r.nip || ' juga ada di baris ' || f.first_line || '.'
       FROM staged r JOIN (
           SELECT nip, min(line_no) AS first_line FROM staged
           WHERE tenant_id = $1 AND job_id = $2 GROUP BY nip HAVING count(*) > 1) f
         ON f.nip = r.nip AND r.line_no > f.first_line
       WHERE r.tenant_id = $1 AND r.job_id = $2""",
    # A supervisor who is neither in the file nor an (active) employee of the region.
    """SELECT r.line_no, 'nip_atasan',
              CASE WHEN e.id IS NULL THEN 'UNKNOWN_SUPERVISOR' ELSE 'INACTIVE_SUPERVISOR' END,
              CASE WHEN e.id IS NULL
                   THEN 'Tidak ada pegawai dengan NIP ' || r.nip_atasan
                        || ' di berkas ini maupun di wilayah ini.'
                   ELSE 'Atasan ' || r.nip_atasan || ' sudah dinonaktifkan; cantumkan di berkas'
                        || ' untuk mengaktifkannya kembali, atau tunjuk atasan lain.' END
       FROM staged r
       LEFT JOIN employees e ON e.tenant_id = $1 AND e.nip = r.nip_atasan
       WHERE r.tenant_id = $1 AND r.job_id = $2 AND r.nip_atasan ~ '^[0-9]{18}$'
         AND r.nip_atasan <> r.nip
         AND NOT EXISTS (SELECT 1 FROM staged o
                         WHERE o.tenant_id = $1 AND o.job_id = $2 AND o.nip = r.nip_atasan)
         AND (e.id IS NULL OR NOT e.is_active)""",
    # An e-mail given to two people in the file.
    """SELECT r.line_no, 'email', 'DUPLICATE_IN_FILE',
              'E-mail ' || r.email || ' juga dipakai di baris ' || f.first_line || '.'
       FROM staged r JOIN (
           SELECT email, min(line_no) AS first_line FROM staged
           WHERE tenant_id = $1 AND job_id = $2 AND email <> ''
           GROUP BY email HAVING count(DISTINCT nip) > 1) f
         ON f.email = r.email AND r.line_no > f.first_line
       WHERE r.tenant_id = $1 AND r.job_id = $2""",
    # An e-mail whose login belongs to somebody else.
    """SELECT r.line_no, 'email', 'EMAIL_TAKEN',
              'E-mail ' || r.email || ' sudah menjadi akun pegawai lain di wilayah ini.'
       FROM staged r
       JOIN user_accounts a ON a.tenant_id = $1 AND a.email = r.email
       JOIN employees e ON e.tenant_id = $1 AND e.id = a.employee_id
       WHERE r.tenant_id = $1 AND r.job_id = $2 AND r.email <> '' AND e.nip <> r.nip""",
    # A path that names a deactivated unit.
    """WITH RECURSIVE named(id, name_path, is_active) AS (
           SELECT id, lower(name)::text, is_active FROM org_units
           WHERE tenant_id = $1 AND parent_id IS NULL
           UNION ALL
           SELECT u.id, n.name_path || '/' || lower(u.name), u.is_active
           FROM org_units u JOIN named n ON u.parent_id = n.id WHERE u.tenant_id = $1)
       SELECT DISTINCT ON (r.line_no) r.line_no, 'unit', 'INACTIVE_UNIT',
              'Unit ' || r.unit_path || ' adalah, atau berada di bawah, unit yang dinonaktifkan.'
       FROM staged r JOIN named n ON NOT n.is_active
         AND (lower(r.unit_path) = n.name_path OR lower(r.unit_path) LIKE n.name_path || '/%')
       WHERE r.tenant_id = $1 AND r.job_id = $2""",
)

# With deactivateMissing: a supervisor outside the file would be deactivated by this import.
SUPERVISOR_LEAVING = """
SELECT r.line_no, 'nip_atasan', 'SUPERVISOR_NOT_IN_FILE',
       'Atasan ' || r.nip_atasan || ' tidak ada di berkas, sehingga impor ini akan'
       || ' menonaktifkannya.'
FROM staged r
WHERE r.tenant_id = $1 AND r.job_id = $2 AND r.nip_atasan <> ''
  AND NOT EXISTS (SELECT 1 FROM staged o WHERE o.nip = r.nip_atasan)
  AND EXISTS (SELECT 1 FROM employees e WHERE e.tenant_id = $1 AND e.nip = r.nip_atasan)
"""

# The roster as it will be: the file's supervision links over the region's.
_GRAPH = """
    SELECT nip, NULLIF(nip_atasan, '') FROM staged WHERE tenant_id = $1 AND job_id = $2
    UNION ALL
    SELECT e.nip, s.nip FROM employees e
    LEFT JOIN employees s ON s.tenant_id = e.tenant_id AND s.id = e.supervisor_id
    WHERE e.tenant_id = $1 AND NOT EXISTS (
        SELECT 1 FROM staged r WHERE r.tenant_id = $1 AND r.job_id = $2 AND r.nip = e.nip)
"""

# Everyone some chain from the top reaches. Linear (UNION deduplicates), unlike the walk
# below; whoever it does not reach sits in or under a cycle.
_REACHED = f"""
WITH RECURSIVE graph(nip, sup) AS ({_GRAPH}),
down(nip) AS (
    SELECT g.nip FROM graph g
    WHERE g.sup IS NULL OR NOT EXISTS (SELECT 1 FROM graph p WHERE p.nip = g.sup)
    UNION
    SELECT g.nip FROM graph g JOIN down d ON g.sup = d.nip
)"""
CYCLE_PRESENT = (
    _REACHED
    + " SELECT count(*) AS n FROM graph g WHERE NOT EXISTS (SELECT 1 FROM down d WHERE d.nip = g.nip)"
)
# When the walk below gives up (a cycle longer than it follows): every unreached line.
CYCLE_UNREACHED = (
    _REACHED
    + """ SELECT r.line_no, 'nip_atasan', 'CYCLE',
       'Rantai atasan membentuk lingkaran: NIP ' || r.nip
       || ' tidak pernah sampai ke pimpinan tertinggi.'
    FROM staged r WHERE r.tenant_id = $1 AND r.job_id = $2
      AND NOT EXISTS (SELECT 1 FROM down d WHERE d.nip = r.nip)"""
)

# Supervision cycles, each with its path for the message.
CYCLE_CHECK = f"""
WITH RECURSIVE graph(nip, sup) AS ({_GRAPH}), walk(start, cur, path) AS (
    SELECT g.nip, g.sup, ARRAY[g.nip] FROM graph g
    WHERE g.sup IS NOT NULL AND g.sup <> g.nip
      AND EXISTS (SELECT 1 FROM staged r WHERE r.tenant_id = $1 AND r.job_id = $2
                  AND r.nip = g.nip)
    UNION ALL
    SELECT w.start, g.sup, w.path || w.cur FROM walk w JOIN graph g ON g.nip = w.cur
    WHERE w.cur <> w.start AND NOT (w.cur = ANY(w.path[2:])) AND g.sup IS NOT NULL
      AND cardinality(w.path) < 64
)
SELECT r.line_no, 'nip_atasan', 'CYCLE',
       'Rantai atasan membentuk lingkaran: ' || array_to_string(w.path || w.start, ' → ') || '.'
FROM walk w JOIN staged r ON r.tenant_id = $1 AND r.job_id = $2 AND r.nip = w.start
WHERE w.cur = w.start
"""


async def _stage_for_sql(tenant_id: int, job_id: int) -> None:
    """Copies the job's rows into a temporary table of this transaction, indexed and
    analysed. The app role cannot ANALYZE import_rows (it is not its owner), and without
    statistics on freshly staged rows the planner picks nested loops over 20,000 × 20,000
    rows. For the same reason (the region's tables may have grown since their last
    analysis) bulk statements here run with nested loops off: hash joins, linear."""
    db = _db()
    await db.execute_query("SET LOCAL enable_nestloop = off")
    await db.execute_query(
        "CREATE TEMP TABLE staged ON COMMIT DROP AS"
        " SELECT * FROM import_rows WHERE tenant_id = $1 AND job_id = $2",
        [tenant_id, job_id],
    )
    for columns in ("nip", "nip_atasan", "email", "line_no"):
        await db.execute_query(f"CREATE INDEX ON staged ({columns})")
    await db.execute_query("ANALYZE staged")


async def _record_problems(tenant_id: int, job_id: int, problems: list[tuple]) -> None:
    if problems:
        await _db().execute_many(
            "INSERT INTO import_problems (tenant_id, job_id, line_no, field, code, message)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(tenant_id, job_id, *p) for p in problems],
        )


async def _validate(job: ImportJob, progress: Progress | None, today: date) -> None:
    """Records every per-row problem. Each batch commits on its own, so the
    progress (rows_done) is visible while it runs."""
    tenant_id = job.tenant_id
    last_line, done = 0, 0
    async with tenant_transaction(tenant_id):
        await _db().execute_query(
            "DELETE FROM import_problems WHERE tenant_id = $1 AND job_id = $2", [tenant_id, job.id]
        )
    while True:
        async with tenant_transaction(tenant_id):
            rows = await _db().execute_query_dict(
                "SELECT line_no, nip, nama, jabatan, jenis_jabatan, golongan, unit_path,"
                " nip_atasan, email, telepon FROM import_rows"
                " WHERE tenant_id = $1 AND job_id = $2 AND line_no > $3"
                " ORDER BY line_no LIMIT $4",
                [tenant_id, job.id, last_line, VALIDATE_BATCH],
            )
            if not rows:
                break
            problems = [p for r in rows for p in row_problems(r["line_no"], r, today=today)]
            await _record_problems(tenant_id, job.id, problems)
            done += len(rows)
            last_line = rows[-1]["line_no"]
            await ImportJob.filter(tenant_id=tenant_id, id=job.id).update(rows_done=done)
        if progress:
            progress("validating", done, job.total_rows)


async def _cross_row_problems(job: ImportJob) -> int:
    """The rules between rows and against the region, in the transaction that would merge
    (after `_stage_for_sql` and the lock), so nothing can change between check and write."""
    total = 0
    duplicate_nips = 0
    checks = [*CROSS_ROW_CHECKS, SUPERVISOR_LEAVING] if job.deactivate_missing else CROSS_ROW_CHECKS
    for check in checks:
        _, found = await _db().execute_query(check, [job.tenant_id, job.id])
        problems = [tuple(r.values()) for r in found]
        await _record_problems(job.tenant_id, job.id, problems)
        total += len(problems)
        duplicate_nips += sum(1 for p in problems if p[1] == "nip")
    # With every NIP once in the file the graph is sound, so cycles are looked for whatever
    # else is wrong; a cheap reachability count says whether the walk is needed at all.
    if duplicate_nips == 0:
        _, unreached = await _db().execute_query(CYCLE_PRESENT, [job.tenant_id, job.id])
        if unreached[0]["n"]:
            _, found = await _db().execute_query(CYCLE_CHECK, [job.tenant_id, job.id])
            if not found:
                _, found = await _db().execute_query(CYCLE_UNREACHED, [job.tenant_id, job.id])
            await _record_problems(job.tenant_id, job.id, [tuple(r.values()) for r in found])
            total += len(found)
    return total


# --- merging (one transaction) ---------------------------------------------------------

EMPLOYEE_SNAPSHOT = (
    "jsonb_build_object('nip', {t}.nip, 'name', {t}.name, 'position', {t}.position,"
    " 'position_type', {t}.position_type, 'golongan', {t}.golongan, 'unit_id', {t}.unit_id,"
    " 'supervisor_id', {t}.supervisor_id, 'email', {t}.email, 'phone', {t}.phone,"
    " 'is_active', {t}.is_active)"
)


async def _resolve_units(tenant_id: int, job_id: int) -> int:
    """Maps every path of the file to a unit, creating the missing ones level by level.
    Returns how many units were created."""
    db = _db()
    _, paths = await db.execute_query(  # the spelling of the first line naming a path wins
        "SELECT unit_path FROM staged WHERE tenant_id = $1 AND job_id = $2"
        " GROUP BY unit_path ORDER BY min(line_no)",
        [tenant_id, job_id],
    )
    # (path, parent path, depth, name, kind); keys are lower()ed by PostgreSQL alone, so the
    # file's rows and the region's units compare under one collation.
    prefixes: dict[str, tuple[str, str | None, int, str, str]] = {}
    for row in paths:
        parts = row["unit_path"].split("/")
        for depth in range(1, len(parts) + 1):
            display = "/".join(parts[:depth])
            parent = "/".join(parts[: depth - 1]) if depth > 1 else None
            name = parts[depth - 1]
            prefixes.setdefault(
                display, (display, parent, depth, name, rules.guess_unit_kind(name, depth))
            )
    await db.execute_query(
        "CREATE TEMP TABLE import_units (key text PRIMARY KEY, parent_key text, depth int,"
        " name text, kind text, unit_id bigint, created boolean DEFAULT false) ON COMMIT DROP"
    )
    await db.execute_many(
        "INSERT INTO import_units (key, parent_key, depth, name, kind)"
        " VALUES (lower($1), lower($2), $3, $4, $5) ON CONFLICT (key) DO NOTHING",
        list(prefixes.values()),
    )
    await db.execute_query(
        "WITH RECURSIVE named(id, key) AS ("
        "  SELECT id, lower(name)::text FROM org_units WHERE tenant_id = $1 AND parent_id IS NULL"
        "  UNION ALL SELECT u.id, n.key || '/' || lower(u.name) FROM org_units u"
        "  JOIN named n ON u.parent_id = n.id WHERE u.tenant_id = $1)"
        " UPDATE import_units iu SET unit_id = m.id"
        " FROM (SELECT key, min(id) AS id FROM named GROUP BY key) m WHERE m.key = iu.key",
        [tenant_id],
    )
    created = 0
    max_depth = max((p[2] for p in prefixes.values()), default=0)
    for depth in range(1, max_depth + 1):
        _, rows = await db.execute_query(
            "WITH todo AS ("
            "  SELECT iu.key, iu.name, iu.kind, p.unit_id AS parent_id, p_unit.path AS parent_path,"
            "    nextval(pg_get_serial_sequence('org_units', 'id')) AS id"
            "  FROM import_units iu"
            "  LEFT JOIN import_units p ON p.key = iu.parent_key"
            "  LEFT JOIN org_units p_unit ON p_unit.tenant_id = $1 AND p_unit.id = p.unit_id"
            "  WHERE iu.depth = $2 AND iu.unit_id IS NULL),"
            " ins AS ("
            "  INSERT INTO org_units (id, tenant_id, parent_id, code, name, kind, path, depth,"
            "    is_active, created_at, updated_at)"
            "  SELECT id, $1, parent_id, 'IMP-' || id, name, kind,"
            "    COALESCE(parent_path, '/') || id || '/', $2 - 1, true, now(), now() FROM todo"
            "  RETURNING id)"
            " UPDATE import_units iu SET unit_id = todo.id, created = true FROM todo"
            " WHERE iu.key = todo.key RETURNING iu.key",
            [tenant_id, depth],
        )
        created += len(rows)
    return created


async def _merge(job: ImportJob, actor: Actor) -> dict[str, int]:
    tenant_id, job_id, db = job.tenant_id, job.id, _db()
    params = [tenant_id, job_id]
    in_file = "SELECT nip FROM staged WHERE tenant_id = $1 AND job_id = $2"
    units_created = await _resolve_units(tenant_id, job_id)
    await db.execute_query(
        "CREATE TEMP TABLE import_before ON COMMIT DROP AS SELECT e.id, "
        + EMPLOYEE_SNAPSHOT.format(t="e")
        + " AS snapshot FROM employees e WHERE e.tenant_id = $1"
        + f" AND (e.nip IN ({in_file}) OR ($3 AND e.is_active))",  # $3: who may be deactivated
        [*params, job.deactivate_missing],
    )
    unmatched = await db.execute_query_dict(
        "SELECT count(*) AS n FROM staged r LEFT JOIN import_units iu ON iu.key = lower(r.unit_path)"
        " WHERE iu.unit_id IS NULL"
    )
    if unmatched[0]["n"]:  # never silently drop a row
        raise RuntimeError(f"{unmatched[0]['n']} staged rows have no unit")
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
    upserted = await db.execute_query_dict(
        "INSERT INTO employees (tenant_id, nip, name, position, position_type, golongan, unit_id,"
        " email, phone, is_active, created_at, updated_at)"
        " SELECT $1, r.nip, r.nama, r.jabatan, r.jenis_jabatan, NULLIF(r.golongan, ''),"
        " iu.unit_id, NULLIF(r.email, ''), NULLIF(r.telepon, ''), true, now(), now()"
        " FROM staged r JOIN import_units iu ON iu.key = lower(r.unit_path)"
        " WHERE r.tenant_id = $1 AND r.job_id = $2"
        " ON CONFLICT (tenant_id, nip) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in updated_columns)
        + ", is_active = true, updated_at = now() WHERE ("
        + ", ".join(f"employees.{c}" for c in updated_columns)
        + ", employees.is_active) IS DISTINCT FROM ("
        + ", ".join(f"EXCLUDED.{c}" for c in updated_columns)
        + ", true) RETURNING (xmax = 0) AS inserted",
        params,
    )
    supervised: list = []
    if "nip_atasan" in present:
        supervised = await db.execute_query_dict(
            "UPDATE employees e SET supervisor_id = s.id, updated_at = now()"
            " FROM staged r LEFT JOIN employees s ON s.tenant_id = $1 AND s.nip = r.nip_atasan"
            " WHERE r.tenant_id = $1 AND r.job_id = $2 AND e.tenant_id = $1 AND e.nip = r.nip"
            " AND e.supervisor_id IS DISTINCT FROM s.id RETURNING e.id",
            params,
        )
    deactivated: list = []
    if job.deactivate_missing:
        deactivated = await db.execute_query_dict(
            "UPDATE employees SET is_active = false, updated_at = now()"
            f" WHERE tenant_id = $1 AND is_active AND nip NOT IN ({in_file}) RETURNING id",
            params,
        )
        # Their logins end too, except region admins': a roster must never lock the region
        # out of its own platform (their employee records are deactivated all the same).
        ended = await db.execute_query_dict(
            "UPDATE user_accounts SET is_active = false, token_version = token_version + 1"
            " WHERE tenant_id = $1 AND employee_id = ANY($2::bigint[])"
            " AND NOT ('REGION_ADMIN' = ANY(roles)) RETURNING id, token_version",
            [tenant_id, [r["id"] for r in deactivated]],
        )
        await revoke_logins(
            tenant_id=tenant_id, versions={r["id"]: r["token_version"] for r in ended}
        )
    # One audit entry per employee that changed, with only the fields that changed.
    await db.execute_query(
        "INSERT INTO audit_log (tenant_id, actor_user_id, actor, action, entity, entity_id,"
        " before, after, request_id, created_at)"
        " SELECT $1, $3, $4, CASE WHEN b.id IS NULL THEN 'employee.import_create'"
        "   WHEN NOT (d.after ->> 'is_active')::boolean THEN 'employee.import_deactivate'"
        "   ELSE 'employee.import_update' END, 'employee', d.id,"
        "   CASE WHEN b.id IS NULL THEN NULL ELSE (SELECT jsonb_object_agg(k, b.snapshot -> k)"
        "     FROM jsonb_object_keys(d.after) k WHERE d.after -> k IS DISTINCT FROM b.snapshot -> k) END,"
        "   CASE WHEN b.id IS NULL THEN d.after ELSE (SELECT jsonb_object_agg(k, d.after -> k)"
        "     FROM jsonb_object_keys(d.after) k WHERE d.after -> k IS DISTINCT FROM b.snapshot -> k) END,"
        "   $5, now()"
        " FROM (SELECT e.id, " + EMPLOYEE_SNAPSHOT.format(t="e") + " AS after FROM employees e"
        f"   WHERE e.tenant_id = $1 AND (e.nip IN ({in_file}) OR e.id = ANY($6::bigint[]))) d"
        " LEFT JOIN import_before b ON b.id = d.id"
        " WHERE b.id IS NULL OR b.snapshot IS DISTINCT FROM d.after",
        [
            tenant_id,
            job_id,
            actor.user_id or None,
            actor.label,
            f"import:{job_id}",
            [r["id"] for r in deactivated],
        ],
    )
    # A changed e-mail follows to the employee's login (validation refused e-mails of
    # other people's logins; one still free is taken).
    if "email" in present:
        await db.execute_query(
            "UPDATE user_accounts a SET email = e.email FROM employees e"
            " WHERE a.tenant_id = $1 AND e.tenant_id = $1 AND a.employee_id = e.id"
            f" AND e.nip IN ({in_file}) AND e.email IS NOT NULL AND a.email <> e.email"
            " AND NOT EXISTS (SELECT 1 FROM user_accounts o WHERE o.tenant_id = $1"
            "   AND o.email = e.email)",
            params,
        )
    # Employees the file brings back get their login back.
    await db.execute_query(
        "UPDATE user_accounts a SET is_active = true FROM import_before b"
        " WHERE a.tenant_id = $1 AND a.employee_id = b.id AND NOT a.is_active"
        " AND NOT (b.snapshot ->> 'is_active')::boolean"
        f" AND (b.snapshot ->> 'nip') IN ({in_file})",
        params,
    )
    # Logins: link an existing unlinked login with the same e-mail, create the others.
    await db.execute_query(
        "UPDATE user_accounts a SET employee_id = e.id FROM employees e"
        f" WHERE a.tenant_id = $1 AND a.employee_id IS NULL AND e.tenant_id = $1"
        f" AND e.email = a.email AND e.nip IN ({in_file})",
        params,
    )
    accounts = await db.execute_query_dict(
        "INSERT INTO user_accounts (tenant_id, email, name, password_hash, roles, employee_id,"
        " is_active, token_version, created_at)"
        " SELECT $1, e.email, e.name, NULL, ARRAY['EMPLOYEE'], e.id, true, 1, now()"
        " FROM employees e"
        f" WHERE e.tenant_id = $1 AND e.nip IN ({in_file}) AND e.email IS NOT NULL AND e.is_active"
        " AND NOT EXISTS (SELECT 1 FROM user_accounts a WHERE a.tenant_id = $1"
        "   AND a.employee_id = e.id)"
        " ON CONFLICT (tenant_id, email) DO NOTHING RETURNING id",
        params,
    )
    # A role added (a new supervisor) ends no token: the old tokens only lack it, and the
    # next refresh carries it. Taking a role away must end them (revocation.revoke_logins),
    # as deactivation does; no path takes one away yet.
    await db.execute_query(
        "UPDATE user_accounts a SET roles = array_append(a.roles, 'SUPERVISOR')"
        " WHERE a.tenant_id = $1 AND NOT ('SUPERVISOR' = ANY(a.roles)) AND a.is_active"
        " AND EXISTS (SELECT 1 FROM employees r WHERE r.tenant_id = $1 AND r.is_active"
        "   AND r.supervisor_id = a.employee_id)",
        [tenant_id],
    )
    account_ids = [r["id"] for r in accounts]
    await emit_many(
        ACTIVATION_REQUESTED,
        [{"user_ids": account_ids[i : i + 1000]} for i in range(0, len(account_ids), 1000)],
    )
    created = sum(1 for r in upserted if r["inserted"])
    return {
        "rows": job.total_rows,
        "created": created,
        "updated": len(upserted) - created,
        "unchanged": job.total_rows - len(upserted),
        "supervisors_set": len(supervised),
        "deactivated": len(deactivated),
        "units_created": units_created,
        "accounts_created": len(account_ids),
    }


async def _dry_run_summary(job: ImportJob) -> dict[str, int]:
    _, rows = await _db().execute_query(
        "SELECT count(*) FILTER (WHERE e.id IS NULL) AS created,"
        " count(e.id) AS existing,"
        " (SELECT count(*) FROM employees m WHERE $3 AND m.tenant_id = $1 AND m.is_active"
        "  AND NOT EXISTS (SELECT 1 FROM staged s WHERE s.nip = m.nip)) AS deactivated"
        " FROM staged r LEFT JOIN employees e ON e.tenant_id = $1 AND e.nip = r.nip"
        " WHERE r.tenant_id = $1 AND r.job_id = $2",
        [job.tenant_id, job.id, job.deactivate_missing],
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
    await _db().execute_query(
        "DELETE FROM import_rows WHERE tenant_id = $1 AND job_id = $2", [job.tenant_id, job.id]
    )
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
    today: date | None = None,
) -> ImportJob | None:
    """Runs a staged import to its end. Safe to run again and twice at once: each run claims
    the job with a run id, and only the run that still owns it may merge."""
    run_id = uuid.uuid4().hex
    async with tenant_transaction(tenant_id):
        claimed = await _db().execute_query_dict(
            "UPDATE import_jobs SET status = 'RUNNING', phase = 'validating', run_id = $3,"
            " started_at = now() WHERE tenant_id = $1 AND id = $2"
            " AND status IN ('QUEUED', 'RUNNING') RETURNING id",
            [tenant_id, job_id, run_id],
        )
        job = await ImportJob.get_or_none(tenant_id=tenant_id, id=job_id)
        if not claimed or job is None:
            return job  # finished already (a re-delivered event)
        actor = await _acting_for(job, actor)
    await _validate(job, progress, today or date.today())
    async with tenant_transaction(tenant_id):  # visible while the last step runs
        await ImportJob.filter(tenant_id=tenant_id, id=job_id, run_id=run_id).update(
            phase="merging"
        )
    async with tenant_transaction(tenant_id):
        await lock_org_structure()  # nobody moves units or supervisors until we are done
        owner = await _db().execute_query_dict(
            "SELECT status, run_id FROM import_jobs WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
            [tenant_id, job_id],
        )
        if owner[0]["run_id"] != run_id or owner[0]["status"] != "RUNNING":
            return await ImportJob.get(tenant_id=tenant_id, id=job_id)  # another run has it
        await _stage_for_sql(tenant_id, job_id)
        staged = await _db().execute_query_dict("SELECT count(*) AS n FROM staged")
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
    rows = await _db().execute_query_dict(
        "SELECT count(*) AS n FROM import_problems WHERE tenant_id = $1 AND job_id = $2",
        [job.tenant_id, job.id],
    )
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
    rows = await _db().execute_query_dict(
        "SELECT id, run_id FROM import_jobs WHERE tenant_id = $1 AND ("
        " (status = 'QUEUED' AND created_at < now() - make_interval(secs => $2::float8))"
        " OR (status = 'RUNNING' AND started_at < now() - make_interval(secs => $3::float8)))"
        " ORDER BY id LIMIT $4",
        [current_tenant_id(), queued_seconds, running_seconds, limit],
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
        await _record_problems(tenant_id, job_id, [(0, None, error.value, error.render())])
        await _finish(job, ImportStatus.FAILED, problems=1)
