"""Set-based data generator for benchmarks: regions, unit trees, employees, one admin login each.

Every table is filled with `INSERT … SELECT … FROM generate_series(…)`: a few statements per
region whatever the number of rows. It connects as the owner (a superuser, which bypasses the
FORCE ROW LEVEL SECURITY of the tenant tables), so it must never be pointed at the app role.

Shape of one region (deterministic, so runs are comparable):

* units: `units_per_region` rows in three levels. The first fifth are roots (DINAS/BADAN,
  depth 0), half of the rest are BIDANG under the roots (depth 1), the others SUBBIDANG under
  the BIDANG (depth 2). `path` is the materialised chain of ids, e.g. `/12/19/40/`.
* employees: `employees_per_region` rows, employee n (1-based) works in unit 1 + (n-1) mod U.
  The supervision tree is an 8-ary heap: the supervisor of employee n > 1 is employee
  (n-2) div 8 + 1, always an earlier (lower id) employee of the same region, so there is one
  supervisor per 8 staff. Supervisors are STRUKTURAL, the others FUNGSIONAL or PELAKSANA.
* NIP: YYYYMMDD birth (1965-1992) + YYYYMM CPNS appointment (19-28 years after birth) +
  gender digit (1/2) + 3-digit sequence (001-999). Birth day = n·7919 mod 10007 days after
  1965-01-01 and sequence = n mod 999 + 1, so by the Chinese remainder theorem every NIP of a
  region is unique for up to 10007·999 employees.
* user_accounts: one REGION_ADMIN (+ EMPLOYEE) login per region, tied to employee 1, with the
  e-mail `admin@<slug>.go.id`.
"""

from __future__ import annotations

import asyncpg

MAX_EMPLOYEES_PER_REGION = 10007 * 999

INSERT_TENANTS = """
INSERT INTO tenants (id, slug, name, kind, province, timezone, status, settings, created_at)
SELECT id,
       'bench-' || id,
       CASE WHEN id % 2 = 0 THEN 'Kota Bench ' ELSE 'Kabupaten Bench ' END || id,
       CASE WHEN id % 2 = 0 THEN 'KOTA' ELSE 'KABUPATEN' END,
       (ARRAY['Sumatera Selatan', 'Jambi', 'Jawa Timur', 'Kepulauan Bangka Belitung',
              'Sulawesi Selatan'])[1 + id % 5],
       'Asia/Jakarta', 'ACTIVE', '{}'::jsonb, now()
FROM (SELECT nextval('tenants_id_seq') AS id FROM generate_series(1, $1::int)) AS s
RETURNING id
"""

# $1 tenant, $2 units, $3 roots, $4 bidang (the rest are subbidang).
INSERT_UNITS = """
WITH plan AS (
    SELECT k,
           CASE WHEN k <= $3 THEN 0 WHEN k <= $3 + $4 THEN 1 ELSE 2 END AS depth,
           CASE WHEN k <= $3 THEN NULL
                WHEN k <= $3 + $4 THEN (k - $3 - 1) % $3 + 1
                ELSE $3 + (k - $3 - $4 - 1) % $4 + 1 END AS parent_k
    FROM generate_series(1, $2::int) AS k
    ORDER BY k
), ids AS MATERIALIZED (
    SELECT plan.*, nextval('org_units_id_seq') AS id FROM plan
), tree AS (
    SELECT c.*, p.id AS parent_id, g.id AS grandparent_id
    FROM ids c
    LEFT JOIN ids p ON p.k = c.parent_k
    LEFT JOIN ids g ON g.k = p.parent_k
)
INSERT INTO org_units (id, tenant_id, parent_id, code, name, kind, path, depth, is_active,
                       created_at, updated_at)
SELECT id, $1::bigint, parent_id,
       'U' || lpad(k::text, 5, '0'),
       CASE depth WHEN 0 THEN CASE WHEN k % 2 = 1 THEN 'Dinas ' ELSE 'Badan ' END
                  WHEN 1 THEN 'Bidang ' ELSE 'Sub Bidang ' END
       || (ARRAY['Pendidikan', 'Kesehatan', 'Perhubungan', 'Sosial', 'Pekerjaan Umum',
                 'Lingkungan Hidup', 'Pertanian', 'Perdagangan', 'Pariwisata',
                 'Kependudukan'])[1 + k % 10]
       || ' ' || k,
       CASE depth WHEN 0 THEN CASE WHEN k % 2 = 1 THEN 'DINAS' ELSE 'BADAN' END
                  WHEN 1 THEN 'BIDANG' ELSE 'SUBBIDANG' END,
       concat('/', grandparent_id || '/', parent_id || '/', id, '/'),
       depth, true, now(), now()
FROM tree
"""

# $1 tenant, $2 employees, $3 units of the tenant.
INSERT_EMPLOYEES = """
WITH plan AS (
    SELECT n FROM generate_series(1, $2::int) AS n ORDER BY n
), ids AS MATERIALIZED (
    SELECT n, nextval('employees_id_seq') AS id FROM plan
), units AS (
    SELECT id, row_number() OVER (ORDER BY code) AS k
    FROM org_units WHERE tenant_id = $1::bigint
), people AS (
    SELECT e.n, e.id, s.id AS supervisor_id, u.id AS unit_id,
           (e.n - 1) * 8 + 2 <= $2 AS supervises,
           DATE '1965-01-01' + ((e.n::bigint * 7919) % 10007)::int AS birth
    FROM ids e
    LEFT JOIN ids s ON e.n > 1 AND s.n = (e.n - 2) / 8 + 1
    JOIN units u ON u.k = 1 + (e.n - 1) % $3::int
)
INSERT INTO employees (id, tenant_id, nip, name, position, position_type, golongan, unit_id,
                       supervisor_id, email, phone, is_active, created_at, updated_at)
SELECT p.id, $1::bigint,
       to_char(p.birth, 'YYYYMMDD')
       || (extract(year FROM p.birth)::int + 19 + p.n % 10)::text
       || lpad((1 + (p.n * 5) % 12)::text, 2, '0')
       || (1 + p.n % 2)::text
       || lpad((p.n % 999 + 1)::text, 3, '0'),
       (ARRAY['Adi', 'Agus', 'Ahmad', 'Andi', 'Ani', 'Arif', 'Ayu', 'Bambang', 'Budi',
              'Dedi', 'Dewi', 'Dian', 'Eko', 'Endang', 'Fajar', 'Fitri', 'Hadi', 'Hendra',
              'Indah', 'Joko', 'Kartika', 'Lestari', 'Made', 'Nur', 'Putri', 'Rahmat',
              'Ratna', 'Rina', 'Rudi', 'Sari', 'Siti', 'Slamet', 'Sri', 'Teguh', 'Tri',
              'Wahyu', 'Wayan', 'Yanti', 'Yusuf', 'Zainal'])[1 + p.n % 40]
       || ' '
       || (ARRAY['Hidayat', 'Kurniawan', 'Lubis', 'Nasution', 'Pratama', 'Purnomo',
                 'Rahayu', 'Santoso', 'Saputra', 'Setiawan', 'Simanjuntak', 'Siregar',
                 'Sitompul', 'Suharto', 'Sulistyo', 'Susanto', 'Syahputra', 'Utomo',
                 'Wibowo', 'Wijaya', 'Gunawan', 'Harahap', 'Hutapea', 'Iskandar',
                 'Kusuma', 'Manurung', 'Mulyadi', 'Nugroho', 'Panjaitan', 'Permana',
                 'Putra', 'Ramadhan', 'Salim', 'Sembiring', 'Siahaan', 'Sinaga',
                 'Tanjung', 'Wulandari', 'Yulianto', 'Zulkarnain'])[1 + (p.n / 40) % 40],
       CASE WHEN p.n = 1 THEN 'Kepala Badan'
            WHEN p.supervises THEN 'Kepala Seksi'
            WHEN p.n % 3 = 0 THEN 'Analis Kebijakan Ahli Pertama'
            ELSE 'Pengadministrasi Umum' END,
       CASE WHEN p.supervises THEN 'STRUKTURAL'
            WHEN p.n % 3 = 0 THEN 'FUNGSIONAL'
            ELSE 'PELAKSANA' END,
       CASE WHEN p.supervises THEN (ARRAY['III/c', 'III/d', 'IV/a', 'IV/b'])[1 + p.n % 4]
            ELSE (ARRAY['II/a', 'II/b', 'II/c', 'II/d', 'III/a', 'III/b', 'III/c',
                        'III/d'])[1 + p.n % 8] END,
       p.unit_id, p.supervisor_id,
       'pegawai' || p.n || '@' || t.slug || '.go.id',
       '0812' || lpad((p.n % 100000000)::text, 8, '0'),
       true, now(), now()
FROM people p
JOIN tenants t ON t.id = $1::bigint
"""

# $1 tenant: the region admin login, tied to the region's first employee.
INSERT_ADMIN = """
INSERT INTO user_accounts (tenant_id, email, name, password_hash, roles, employee_id,
                           is_active, token_version, created_at)
SELECT e.tenant_id, 'admin@' || t.slug || '.go.id', e.name, 'x',
       ARRAY['REGION_ADMIN', 'EMPLOYEE']::text[], e.id, true, 1, now()
FROM employees e JOIN tenants t ON t.id = e.tenant_id
WHERE e.tenant_id = $1::bigint
ORDER BY e.id
LIMIT 1
"""


def unit_levels(units: int) -> tuple[int, int]:
    """(roots, bidang) of a tree of `units` units; the rest are subbidang."""
    roots = max(1, units // 5)
    bidang = (units - roots) // 2
    if bidang == 0:  # too few units for three levels: everything below the roots is bidang
        bidang = units - roots
    return roots, bidang


async def generate(
    owner_dsn: str, *, regions: int, employees_per_region: int, units_per_region: int = 40
) -> list[int]:
    """Inserts `regions` new regions with their data in one transaction; returns their ids."""
    if regions < 1 or employees_per_region < 1 or units_per_region < 1:
        raise ValueError("regions, employees_per_region and units_per_region must be >= 1")
    if employees_per_region > MAX_EMPLOYEES_PER_REGION:
        raise ValueError(f"at most {MAX_EMPLOYEES_PER_REGION} employees per region")
    roots, bidang = unit_levels(units_per_region)
    conn = await asyncpg.connect(owner_dsn)
    try:
        async with conn.transaction():
            tenant_ids = [r["id"] for r in await conn.fetch(INSERT_TENANTS, regions)]
            for tenant_id in tenant_ids:
                await conn.execute(INSERT_UNITS, tenant_id, units_per_region, roots, bidang)
                await conn.execute(
                    INSERT_EMPLOYEES, tenant_id, employees_per_region, units_per_region
                )
                await conn.execute(INSERT_ADMIN, tenant_id)
        # Fresh statistics, so the planner sees the real table sizes right away.
        await conn.execute("ANALYZE tenants, org_units, employees, user_accounts")
    finally:
        await conn.close()
    return tenant_ids
