"""The same-work floor of the roster import (issue 19), and the check that it and the import
wrote the same rows.

The floor is the least a hand-written load of the same file into the same tables can do:
in ONE transaction as the app role (RLS applies, FORCE'd on every table), after
`set_config('app.tenant_id', …)`:

1. `COPY` of the file into a temporary table (COPY is refused on RLS tables, not on a
   temporary one);
2. one `INSERT … SELECT` into `org_units` (the missing units of the paths, ids from the
   sequence so that parent, path and `IMP-<id>` code are computed in the same statement);
3. one `INSERT … SELECT … ON CONFLICT (tenant_id, nip) DO UPDATE … WHERE IS DISTINCT FROM`
   into `employees` (same 7 indexes, 3 foreign keys, checks and RLS as the import writes),
   supervisors resolved by NIP in the same statement (ids of new rows from the sequence),
   with the audit entries (`employee.import_create` / `employee.import_update`, only the
   fields that changed) written by the same statement from its `RETURNING`;
4. one `INSERT … SELECT` into `user_accounts` (a login for each employee of the file with
   an e-mail and none yet; `SUPERVISOR` already in the roles of those who supervise), with
   the `account.role_granted` audit entries of those from its `RETURNING`.

It validates nothing (the import checks every row and the rules between rows first) and
keeps no job bookkeeping (`import_jobs`, `import_files`, `import_problems`, outbox events):
that is what the import may spend its 2× on. Written for both measured cases: a first
import (everything new) and a re-import of the same file (nothing to write).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg

from kinerja_saas.org import rules
from kinerja_saas.org.importing import COLUMNS

FILE_TABLE = (
    "CREATE TEMP TABLE floor_file (line_no serial, "
    + ", ".join(f"{c} text" for c in COLUMNS)
    + ") ON COMMIT DROP"
)


def _kind_sql(name: str, depth: str) -> str:
    """rules.guess_unit_kind written as a CASE (same prefixes, same order)."""
    whens = " ".join(
        f"WHEN lower({name}) || ' ' LIKE '{prefix}%' THEN '{kind}'"
        for prefix, kind in rules._KIND_BY_PREFIX
    )
    return f"CASE {whens} WHEN {depth} = 1 THEN 'DINAS' ELSE 'BIDANG' END"


# The region's units by their lower-cased name path.
_NAMED = """named(id, key) AS (
    SELECT id, lower(name)::text FROM org_units WHERE tenant_id = $1 AND parent_id IS NULL
    UNION ALL
    SELECT u.id, n.key || '/' || lower(u.name) FROM org_units u JOIN named n ON u.parent_id = n.id
    WHERE u.tenant_id = $1)"""

UNITS = f"""
WITH RECURSIVE {_NAMED},
known AS (SELECT key, min(id) AS id FROM named GROUP BY key),
parts AS (SELECT line_no, string_to_array(unit, '/') AS a FROM floor_file),
prefixes AS (
    SELECT DISTINCT ON (lower(array_to_string(a[1:d], '/')))
           lower(array_to_string(a[1:d], '/')) AS key, a[1:d] AS a, d AS depth, a[d] AS name
    FROM parts, generate_series(1, cardinality(a)) d
    ORDER BY lower(array_to_string(a[1:d], '/')), line_no),
new AS MATERIALIZED (
    SELECT p.*, nextval(pg_get_serial_sequence('org_units', 'id')) AS id
    FROM (SELECT * FROM prefixes p WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.key = p.key)
          ORDER BY depth, key) p),
ids AS (SELECT key, id FROM known UNION ALL SELECT key, id FROM new)
INSERT INTO org_units (id, tenant_id, parent_id, code, name, kind, path, depth, is_active,
                       created_at, updated_at)
SELECT n.id, $1,
       (SELECT i.id FROM ids i WHERE i.key = lower(array_to_string(n.a[1:n.depth - 1], '/'))),
       'IMP-' || n.id, n.name, {_kind_sql("n.name", "n.depth")},
       (SELECT '/' || string_agg(i.id::text, '/' ORDER BY k) || '/'
        FROM generate_series(1, n.depth) k
        JOIN ids i ON i.key = lower(array_to_string(n.a[1:k], '/'))),
       n.depth - 1, true, now(), now()
FROM new n
"""

_SNAPSHOT = (
    "jsonb_build_object('nip', {t}.nip, 'name', {t}.name, 'position', {t}.position,"
    " 'position_type', {t}.position_type, 'golongan', {t}.golongan, 'unit_id', {t}.unit_id,"
    " 'supervisor_id', {t}.supervisor_id, 'email', {t}.email, 'phone', {t}.phone,"
    " 'is_active', {t}.is_active)"
)
_SET = ("name", "position", "position_type", "golongan", "unit_id", "supervisor_id", "email",
        "phone")  # fmt: skip

# $1 tenant, $2 actor user id, $3 actor label, $4 request id.
EMPLOYEES = f"""
WITH RECURSIVE {_NAMED},
known AS (SELECT key, min(id) AS id FROM named GROUP BY key),
src AS MATERIALIZED (
    SELECT f.*, e.id AS old_id, {_SNAPSHOT.format(t="e")} AS before,
           COALESCE(e.id, nextval(pg_get_serial_sequence('employees', 'id'))) AS id
    FROM floor_file f LEFT JOIN employees e ON e.tenant_id = $1 AND e.nip = f.nip),
up AS (
    INSERT INTO employees (id, tenant_id, nip, name, position, position_type, golongan,
                           unit_id, supervisor_id, email, phone, is_active, created_at, updated_at)
    SELECT s.id, $1, s.nip, s.nama, s.jabatan, COALESCE(upper(s.jenis_jabatan), 'PELAKSANA'),
           s.golongan, k.id, COALESCE(sf.id, sr.id), lower(s.email), s.telepon, true, now(), now()
    FROM src s
    JOIN known k ON k.key = lower(s.unit)
    LEFT JOIN src sf ON sf.nip = s.nip_atasan
    LEFT JOIN employees sr ON sf.nip IS NULL AND sr.tenant_id = $1 AND sr.nip = s.nip_atasan
    ON CONFLICT (tenant_id, nip) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _SET)}, is_active = true, updated_at = now()
    WHERE ({", ".join(f"employees.{c}" for c in _SET)}, employees.is_active)
          IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _SET)}, true)
    RETURNING employees.id, {_SNAPSHOT.format(t="employees")} AS after)
INSERT INTO audit_log (tenant_id, actor_user_id, actor, action, entity, entity_id, before,
                       after, request_id, created_at)
SELECT $1, $2, $3,
       CASE WHEN s.old_id IS NULL THEN 'employee.import_create' ELSE 'employee.import_update' END,
       'employee', up.id,
       CASE WHEN s.old_id IS NOT NULL THEN (SELECT jsonb_object_agg(k, s.before -> k)
            FROM jsonb_object_keys(up.after) k WHERE up.after -> k IS DISTINCT FROM s.before -> k) END,
       CASE WHEN s.old_id IS NULL THEN up.after ELSE (SELECT jsonb_object_agg(k, up.after -> k)
            FROM jsonb_object_keys(up.after) k WHERE up.after -> k IS DISTINCT FROM s.before -> k) END,
       $4, now()
FROM up JOIN src s ON s.id = up.id
"""

LOGINS = """
WITH ins AS (
    INSERT INTO user_accounts (tenant_id, email, name, password_hash, roles, employee_id,
                               is_active, token_version, created_at)
    SELECT $1, e.email, e.name, NULL,
           CASE WHEN EXISTS (SELECT 1 FROM employees r WHERE r.tenant_id = $1 AND r.is_active
                             AND r.supervisor_id = e.id)
                THEN ARRAY['EMPLOYEE', 'SUPERVISOR'] ELSE ARRAY['EMPLOYEE'] END,
           e.id, true, 1, now()
    FROM floor_file f JOIN employees e ON e.tenant_id = $1 AND e.nip = f.nip
    WHERE e.email IS NOT NULL AND e.is_active
      AND NOT EXISTS (SELECT 1 FROM user_accounts a WHERE a.tenant_id = $1 AND a.employee_id = e.id)
    ON CONFLICT (tenant_id, email) DO NOTHING
    RETURNING id, roles)
INSERT INTO audit_log (tenant_id, actor_user_id, actor, action, entity, entity_id, before,
                       after, request_id, created_at)
SELECT $1, $2, $3, 'account.role_granted', 'user_account', id, NULL,
       jsonb_build_object('roles', roles), $4, now()
FROM ins WHERE 'SUPERVISOR' = ANY(roles)
"""


async def run_floor(
    conn: asyncpg.Connection,
    *,
    tenant_id: int,
    csv_path: Path,
    actor_user_id: int | None,
    actor_label: str,
    request_id: str,
) -> dict[str, str]:
    """The floor, one transaction on `conn` (the app role); returns each statement's status."""
    status: dict[str, str] = {}
    async with conn.transaction():
        await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
        # As the import: hash joins, whatever the estimates of freshly loaded rows say.
        # As the import runs: the app's connections have JIT off (kinerja_saas/database.py),
        # and its merge transaction hash-joins with 64 MB of work_mem (org/queries.py).
        await conn.execute("SET LOCAL jit = off")
        await conn.execute("SET LOCAL enable_nestloop = off")
        await conn.execute("SET LOCAL work_mem = '64MB'")
        await conn.execute(FILE_TABLE)
        status["copy"] = await conn.copy_to_table(
            "floor_file", source=csv_path, columns=list(COLUMNS), format="csv", delimiter=";",
            header=True,
        )  # fmt: skip
        await conn.execute("ANALYZE floor_file")  # as the import analyses its copy
        status["org_units"] = await conn.execute(UNITS, tenant_id)
        audit = (actor_user_id, actor_label, request_id)
        status["employees+audit"] = await conn.execute(EMPLOYEES, tenant_id, *audit)
        status["user_accounts+audit"] = await conn.execute(LOGINS, tenant_id, *audit)
    return status


# --- the same rows? ------------------------------------------------------------------------

# Each region's rows with ids replaced by what they stand for (unit name paths, NIPs,
# e-mails), so that two regions loaded from one file compare row by row ($1 the region).
_REGION_ROWS = """
WITH RECURSIVE named(id, key) AS (
    SELECT id, lower(name)::text FROM org_units WHERE tenant_id = $1 AND parent_id IS NULL
    UNION ALL
    SELECT u.id, n.key || '/' || lower(u.name) FROM org_units u JOIN named n ON u.parent_id = n.id
    WHERE u.tenant_id = $1)
SELECT 'unit' AS kind, jsonb_build_object('key', n.key, 'name', u.name, 'kind', u.kind,
       'depth', u.depth, 'active', u.is_active, 'code_is_imp_id', u.code = 'IMP-' || u.id,
       'path_ok', u.path = COALESCE(p.path, '/') || u.id || '/') AS r
FROM org_units u JOIN named n ON n.id = u.id LEFT JOIN org_units p ON p.id = u.parent_id
WHERE u.tenant_id = $1
UNION ALL
SELECT 'employee', jsonb_build_object('nip', e.nip, 'name', e.name, 'position', e.position,
       'type', e.position_type, 'golongan', e.golongan, 'unit', n.key, 'supervisor', s.nip,
       'email', e.email, 'phone', e.phone, 'active', e.is_active)
FROM employees e JOIN named n ON n.id = e.unit_id
LEFT JOIN employees s ON s.id = e.supervisor_id WHERE e.tenant_id = $1
UNION ALL
SELECT 'login', jsonb_build_object('email', a.email, 'name', a.name,
       'roles', (SELECT jsonb_agg(x ORDER BY x) FROM unnest(a.roles) x),
       'employee', e.nip, 'active', a.is_active, 'password', a.password_hash IS NOT NULL,
       'token_version', a.token_version)
FROM user_accounts a JOIN employees e ON e.id = a.employee_id WHERE a.tenant_id = $1
UNION ALL
SELECT 'audit', jsonb_build_object('action', l.action, 'entity', l.entity,
       'of', COALESCE(e.nip, a.email), 'actor', l.actor,
       'before', l.before - 'unit_id' - 'supervisor_id',
       'after', l.after - 'unit_id' - 'supervisor_id',
       'unit', un.key, 'supervisor', s.nip,
       'ids_as_stored', (l.after ? 'unit_id') IS NOT TRUE
           OR ((l.after ->> 'unit_id')::bigint = e.unit_id
               AND (l.after ->> 'supervisor_id')::bigint IS NOT DISTINCT FROM e.supervisor_id))
FROM audit_log l
LEFT JOIN employees e ON l.entity = 'employee' AND e.id = l.entity_id
LEFT JOIN user_accounts a ON l.entity = 'user_account' AND a.id = l.entity_id
LEFT JOIN named un ON un.id = (l.after ->> 'unit_id')::bigint
LEFT JOIN employees s ON s.id = (l.after ->> 'supervisor_id')::bigint
WHERE l.tenant_id = $1 AND l.action IN ('employee.import_create', 'employee.import_update',
                                         'account.role_granted')
"""

SAME_ROWS = f"""
WITH a AS ({_REGION_ROWS.replace("$1", "$1::bigint")}),
     b AS ({_REGION_ROWS.replace("$1", "$2::bigint")}),
     only_a AS (SELECT * FROM a EXCEPT ALL SELECT * FROM b),
     only_b AS (SELECT * FROM b EXCEPT ALL SELECT * FROM a)
SELECT (SELECT count(*) FROM a) AS rows_a, (SELECT count(*) FROM b) AS rows_b,
       (SELECT jsonb_object_agg(kind, n) FROM (SELECT kind, count(*) AS n FROM a GROUP BY kind) k)
           AS kinds_a,
       (SELECT count(*) FROM only_a) AS only_a, (SELECT count(*) FROM only_b) AS only_b,
       (SELECT jsonb_agg(x) FROM (SELECT * FROM only_a LIMIT 3) x) AS sample_a,
       (SELECT jsonb_agg(x) FROM (SELECT * FROM only_b LIMIT 3) x) AS sample_b
"""


async def same_rows(owner: asyncpg.Connection, region_a: int, region_b: int) -> dict[str, Any]:
    """Units, employees, logins and the import's audit entries of two regions, compared as
    multisets (the owner connection: no RLS); `only_a`/`only_b` = 0 when they are the same."""
    row = await owner.fetchrow(SAME_ROWS, region_a, region_b)
    return dict(row)
