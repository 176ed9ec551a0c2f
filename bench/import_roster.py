"""Benchmark: importing one large region's roster from CSV (`kinerja tenant import`), against
the same-work floor (bench/import_floor.py: COPY into a temporary table and one INSERT … SELECT
per target table, as the app role) and the floor of a bare COPY into a plain table.

    .venv/bin/python -m bench.import_roster [--employees 20000 --units 200 --timeout 80]
    .venv/bin/python -m bench.import_roster --no-cli --rounds 3   # the same-work ratios only

Steps: (re)create the database `kinerja_bench_import` on the server of DATABASE_URL, migrate
it, generate a realistic roster CSV (`;`, UTF-8 with BOM) of one kabupaten into a temp file,
onboard one region with `kinerja tenant create`, then THE MEASURED RUN: `kinerja tenant import
<slug> <file>` as a child process (wall time, and its own peak RSS from `os.wait4`; its
statements sampled from pg_stat_activity on the side), a check of every row with the owner
connection, a re-import of the same file (everything unchanged), the COPY floor, and
`--rounds` of the import in-process alternating with the same-work floor in fresh regions
(the rows of both checked identical). Prints a
table and writes bench/results/import_roster.json. See bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench.common import (
    DEFAULT_DATABASE_URL,
    REPO_ROOT,
    RESULTS_DIR,
    child_env,
    fresh_database,
    kinerja_executable,
)
from bench.import_floor import run_floor, same_rows
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.database import parse_pg_url
from kinerja_saas.org import rules
from kinerja_saas.org.importing import COLUMNS

BENCH_DB = "kinerja_bench_import"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"  # as bench.employees_list; the import uses no Redis
RESULTS_FILE = RESULTS_DIR / "import_roster.json"
CHILD_LOG = RESULTS_DIR / "import_roster.log"

SLUG = "kab-bench-impor"
REGION_NAME = "Kabupaten Bench Impor"
ADMIN_EMAIL = "admin.bkpsdm@kab-bench-impor.go.id"
MAIL_DOMAIN = "kab-bench-impor.go.id"

# Targets from the issue.
TARGET_RATIO = 10.0  # whole import within 10× the COPY floor
TARGET_RSS_MIB = 300.0  # peak RSS of the import process
# Seconds per import run before it is killed: two runs stay within the ~3 minute budget, and
# a run this slow is a FAIL of the 10× target by two orders of magnitude anyway.
TIMEOUT_DEFAULT = 80.0

# The import's own columns (the header is the same names, NIP first as regions write it).
CSV_HEADER = ("NIP", *COLUMNS[1:])

# The floor: the same columns as text, no RLS, one index like the import's (nip).
FLOOR_COLUMNS = COLUMNS
FLOOR_TABLE_SQL = (
    "CREATE {unlogged} TABLE {name} ("
    + ", ".join(f"{c} text" for c in FLOOR_COLUMNS)
    + "); CREATE INDEX ON {name} (nip)"
)


# --- the roster --------------------------------------------------------------------------

# A kabupaten's perangkat daerah (OPD): (name, kind). Kecamatan are added after them.
TOP_UNITS = (
    ("Sekretariat Daerah", "setda"),
    ("Dinas Kesehatan", "dinkes"),
    ("Dinas Pendidikan dan Kebudayaan", "disdik"),
    ("Sekretariat DPRD", "sekretariat"),
    ("Inspektorat Daerah", "inspektorat"),
    ("Badan Perencanaan Pembangunan Daerah", "badan"),
    ("Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "badan"),
    ("Badan Pengelolaan Keuangan dan Aset Daerah", "badan"),
    ("Dinas Pekerjaan Umum dan Penataan Ruang", "dinas"),
    ("Dinas Sosial", "dinas"),
    ("Dinas Kependudukan dan Pencatatan Sipil", "dinas"),
    ("Dinas Pertanian dan Ketahanan Pangan", "dinas"),
    ("Dinas Perhubungan", "dinas"),
    ("Dinas Lingkungan Hidup", "dinas"),
    ("Dinas Komunikasi dan Informatika", "dinas"),
    ("Badan Pendapatan Daerah", "badan"),
    ("Satuan Polisi Pamong Praja", "dinas"),
    ("Badan Penanggulangan Bencana Daerah", "badan"),
    ("Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "dinas"),
    ("Dinas Perumahan dan Kawasan Permukiman", "dinas"),
    ("Dinas Koperasi, Usaha Kecil dan Menengah", "dinas"),
    ("Badan Kesatuan Bangsa dan Politik", "badan"),
)
TOP_OPD_SHARE = 0.68  # of the depth-1 units; the rest are kecamatan

PLACE_HEADS = (
    "Suka", "Mekar", "Karang", "Sumber", "Tanjung", "Cipta", "Batu", "Pasir", "Sido",
    "Gunung", "Kali", "Muara", "Tegal", "Bumi", "Sri", "Wono",
)  # fmt: skip
PLACE_TAILS = (
    "jaya", "maju", "sari", "mulya", "rejo", "asri", "harjo", "makmur", "wangi", "agung",
    "indah", "baru",
)  # fmt: skip

SETDA_PARTS = (
    "Bagian Tata Pemerintahan", "Bagian Hukum", "Bagian Organisasi", "Bagian Umum",
    "Bagian Perekonomian", "Bagian Kesejahteraan Rakyat", "Bagian Pengadaan Barang dan Jasa",
    "Bagian Protokol dan Komunikasi Pimpinan", "Bagian Administrasi Pembangunan",
)  # fmt: skip
DINKES_PARTS = (
    "Sekretariat", "Bidang Kesehatan Masyarakat", "Bidang Pencegahan dan Pengendalian Penyakit",
    "Bidang Pelayanan dan Sumber Daya Kesehatan", "UPT Instalasi Farmasi",
    "UPT Laboratorium Kesehatan Daerah",
)  # fmt: skip
DISDIK_PARTS = (
    "Sekretariat", "Bidang Pembinaan Sekolah Dasar", "Bidang Pembinaan Sekolah Menengah Pertama",
    "Bidang PAUD dan Pendidikan Nonformal", "Bidang Kebudayaan",
    "Bidang Guru dan Tenaga Kependidikan",
)  # fmt: skip
KECAMATAN_PARTS = (
    "Sekretariat Kecamatan", "Seksi Pemerintahan", "Seksi Ketenteraman dan Ketertiban Umum",
    "Seksi Pemberdayaan Masyarakat",
)  # fmt: skip
INSPEKTORAT_PARTS = (
    "Sekretariat", "Inspektur Pembantu Wilayah I", "Inspektur Pembantu Wilayah II",
    "Inspektur Pembantu Wilayah III", "Inspektur Pembantu Wilayah IV",
)  # fmt: skip
GENERIC_PARTS = (
    "Sekretariat", "Bidang Perencanaan dan Pengembangan", "Bidang Pelayanan",
    "Bidang Pembinaan dan Pengawasan", "Bidang Data dan Informasi", "Bidang Pengendalian",
    "Bidang Sarana dan Prasarana",
)  # fmt: skip
SUB_TOPICS = (
    "Perencanaan", "Evaluasi dan Pelaporan", "Umum dan Kepegawaian", "Keuangan",
    "Pembinaan", "Pengawasan", "Pelayanan", "Data dan Informasi", "Kerja Sama", "Program",
)  # fmt: skip

MALE_NAMES = (
    "Agus", "Ahmad", "Andi", "Arif", "Bambang", "Budi", "Dedi", "Eko", "Fajar", "Hadi",
    "Hendra", "Joko", "Made", "Rahmat", "Rudi", "Slamet", "Teguh", "Wahyu", "Wayan", "Yusuf",
    "Zainal", "Rizki", "Dimas", "Bayu", "Imam", "Heru", "Sutrisno", "Iwan", "Asep", "Ketut",
)  # fmt: skip
FEMALE_NAMES = (
    "Ani", "Ayu", "Dewi", "Dian", "Endang", "Fitri", "Indah", "Kartika", "Lestari", "Nur",
    "Putri", "Ratna", "Rina", "Sari", "Siti", "Sri", "Yanti", "Maya", "Wulan", "Nurul",
    "Retno", "Rahmawati", "Ika", "Novi", "Tuti", "Eka", "Nining", "Desi", "Lina", "Ratih",
)  # fmt: skip
FAMILY_NAMES = (
    "Hidayat", "Kurniawan", "Lubis", "Nasution", "Pratama", "Purnomo", "Rahayu", "Santoso",
    "Saputra", "Setiawan", "Simanjuntak", "Siregar", "Sitompul", "Sulistyo", "Susanto",
    "Syahputra", "Utomo", "Wibowo", "Wijaya", "Gunawan", "Harahap", "Hutapea", "Iskandar",
    "Kusuma", "Manurung", "Mulyadi", "Nugroho", "Panjaitan", "Permana", "Ramadhan", "Salim",
    "Sembiring", "Siahaan", "Sinaga", "Tanjung", "Wulandari", "Yulianto", "Handayani",
    "Suryani", "Hasibuan",
)  # fmt: skip
DEGREES = ("S.E.", "S.Sos", "S.H.", "S.T.", "S.Kom", "S.Pd", "S.IP", "S.AP", "M.Si", "M.M.")

FUNGSIONAL = {
    "puskesmas": (
        "Dokter Ahli Pertama", "Perawat Terampil", "Perawat Ahli Pertama", "Bidan Terampil",
        "Bidan Ahli Pertama", "Apoteker Ahli Pertama", "Sanitarian Terampil",
        "Nutrisionis Terampil", "Pranata Laboratorium Kesehatan Terampil",
    ),
    "sekolah": ("Guru Ahli Pertama", "Guru Ahli Muda", "Guru Ahli Madya", "Pustakawan Terampil"),
    "other": (
        "Analis Kebijakan Ahli Pertama", "Analis Kebijakan Ahli Muda",
        "Pranata Komputer Ahli Pertama", "Perencana Ahli Muda", "Auditor Ahli Pertama",
        "Arsiparis Terampil", "Analis Sumber Daya Manusia Aparatur Ahli Pertama",
        "Pranata Hubungan Masyarakat Ahli Muda", "Penyuluh Pertanian Ahli Pertama",
    ),
}  # fmt: skip
PELAKSANA = (
    "Pengadministrasi Umum", "Pengelola Data", "Pengelola Keuangan", "Bendahara",
    "Pengadministrasi Kepegawaian", "Pengemudi", "Petugas Keamanan",
    "Pengelola Barang Milik Daerah", "Operator Layanan Operasional", "Pengelola Layanan Kepegawaian",
)  # fmt: skip
GOLONGAN_PELAKSANA = ("I/a", "I/b", "I/c", "I/d", "II/a", "II/b", "II/c", "II/d", "III/a", "III/b")
GOLONGAN_FUNGSIONAL = ("III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b", "IV/c")
GOLONGAN_HEAD = {1: ("IV/b", "IV/c", "IV/d", "IV/e"), 2: ("III/d", "IV/a", "IV/b"), 3: ("III/b", "III/c", "III/d")}  # fmt: skip


@dataclass
class UnitSpec:
    name: str
    path: str  # the CSV's unit column, e.g. "Dinas Kesehatan/Puskesmas Sukajaya"
    depth: int  # 1 = top
    kind: str  # what the generator uses for names and staffing
    parent: int | None  # index into the list of units
    head_nip: str = ""
    children: list[int] = field(default_factory=list)


@dataclass
class Roster:
    units: list[UnitSpec]
    rows: list[tuple[str, ...]]  # CSV_HEADER order

    @property
    def with_email(self) -> int:
        return sum(1 for r in self.rows if r[7])


def _places(rng: random.Random) -> list[str]:
    places = [h + t for h in PLACE_HEADS for t in PLACE_TAILS]
    rng.shuffle(places)
    return places


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _roman(n: int) -> str:
    out = ""
    for value, digits in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + digits, n - value
    return out


def _child_name(parent: UnitSpec, i: int, places: list[str]) -> tuple[str, str]:
    """The i-th depth-2 unit under `parent`: (name, kind). Unique per parent."""
    fixed = {
        "setda": SETDA_PARTS,
        "dinkes": DINKES_PARTS,
        "disdik": DISDIK_PARTS,
        "kecamatan": KECAMATAN_PARTS,
        "inspektorat": INSPEKTORAT_PARTS,
    }.get(parent.kind, GENERIC_PARTS)
    if i < len(fixed):
        name = fixed[i]
        kind = "upt" if name.startswith("UPT") else "bagian"
        return name, kind
    k = i - len(fixed)
    place = places[k % len(places)] + ("" if k < len(places) else f" {k // len(places) + 1}")
    if parent.kind == "dinkes":
        return f"Puskesmas {place}", "puskesmas"
    if parent.kind == "disdik":
        return f"SMP Negeri {k + 1} {place}", "sekolah"
    if parent.kind == "kecamatan":
        return f"Kelurahan {place}", "kelurahan"
    return f"UPT Wilayah {_roman(k + 1)}", "upt"


def _grandchild_name(parent: UnitSpec, i: int) -> str:
    top_is_badan = parent.path.startswith("Badan")
    if parent.name.startswith(("Bagian", "Sekretariat", "Inspektur")):
        prefix = "Subbagian"
    elif top_is_badan:
        prefix = "Sub Bidang"
    else:
        prefix = "Seksi"
    topic = SUB_TOPICS[i % len(SUB_TOPICS)]
    suffix = "" if i < len(SUB_TOPICS) else f" {_roman(i // len(SUB_TOPICS) + 1)}"
    return f"{prefix} {topic}{suffix}"


def build_units(count: int, rng: random.Random) -> list[UnitSpec]:
    """A tree of `count` units, at most 3 deep: ~1/8 OPD and kecamatan at depth 1, then
    bidang/bagian/UPT/puskesmas/kelurahan/sekolah, then seksi/subbagian."""
    places = _places(rng)
    top = count if count < 3 else max(1, min(count, round(count / 8)))
    rest = count - top
    third = rest * 45 // 100 if rest > 1 else 0
    second = rest - third
    units: list[UnitSpec] = []
    opd = max(1, round(top * TOP_OPD_SHARE)) if top > 1 else 1
    kecamatan_places = iter(places[::-1])
    for i in range(top):
        if i < opd and i < len(TOP_UNITS):
            name, kind = TOP_UNITS[i]
        elif i < opd:
            name, kind = f"Kantor Urusan Daerah {_roman(i + 1)}", "dinas"
        else:
            name, kind = f"Kecamatan {next(kecamatan_places)}", "kecamatan"
        units.append(UnitSpec(name, name, 1, kind, None))
    # Depth 2: more under Dinas Kesehatan (puskesmas), Dinas Pendidikan (sekolah) and Setda.
    weight = {"dinkes": 5.0, "disdik": 3.0, "setda": 2.0, "kecamatan": 1.5}
    per_top = _largest_remainder(second, [weight.get(u.kind, 1.0) for u in units])
    for parent_index, n in enumerate(per_top):
        parent = units[parent_index]
        for i in range(n):
            name, kind = _child_name(parent, i, places)
            parent.children.append(len(units))
            units.append(UnitSpec(name, f"{parent.path}/{name}", 2, kind, parent_index))
    # Depth 3: seksi/subbagian under bidang and bagian (not under puskesmas, sekolah …).
    eligible = [i for i, u in enumerate(units) if u.depth == 2 and u.kind == "bagian"]
    if not eligible:
        eligible = [i for i, u in enumerate(units) if u.depth == 2]
    rng.shuffle(eligible)
    for j in range(third):
        parent_index = eligible[j % len(eligible)]
        parent = units[parent_index]
        name = _grandchild_name(parent, len(parent.children))
        parent.children.append(len(units))
        units.append(UnitSpec(name, f"{parent.path}/{name}", 3, "seksi", parent_index))
    assert len(units) == count, (len(units), count)
    assert len({u.path.lower() for u in units}) == count, "unit paths must be unique"
    return units


def _head_position(unit: UnitSpec) -> str:
    name = unit.name
    if name == "Sekretariat Daerah":
        return "Sekretaris Daerah"
    if name == "Sekretariat DPRD":
        return "Sekretaris DPRD"
    if name == "Inspektorat Daerah":
        return "Inspektur Daerah"
    if name.startswith("Sekretariat"):
        return "Sekretaris" + name[len("Sekretariat") :]
    if name.startswith("Kecamatan "):
        return "Camat " + name[len("Kecamatan ") :]
    if name.startswith("Kelurahan "):
        return "Lurah " + name[len("Kelurahan ") :]
    if name.startswith("Inspektur"):
        return name
    if unit.kind == "sekolah":
        return "Kepala Sekolah " + name
    return "Kepala " + name


class _Nips:
    """Valid, unique NIPs: YYYYMMDD birth, YYYYMM CPNS (18+ years later, not in the
    future), gender digit, 3-digit sequence."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.seen: set[str] = set()

    def new(self, *, born: tuple[int, int], gender: str) -> tuple[str, int]:
        """(nip, CPNS year)."""
        rng = self.rng
        while True:
            year = rng.randint(*born)
            month = rng.randint(1, 12)
            day = rng.randint(1, 28)
            earliest = year * 12 + month + rules.MIN_CPNS_AGE * 12  # months, 1-based
            latest = min(self.today.year * 12 + self.today.month, earliest + 17 * 12)
            if earliest > latest:
                continue
            cpns = rng.randint(earliest, latest)
            cpns_year, cpns_month = (cpns - 1) // 12, (cpns - 1) % 12 + 1
            nip = (
                f"{year:04d}{month:02d}{day:02d}{cpns_year:04d}{cpns_month:02d}"
                f"{gender}{rng.randint(1, 999):03d}"
            )
            if nip not in self.seen:
                self.seen.add(nip)
                return nip, cpns_year


def _person(rng: random.Random, gender: str, *, titled: bool, doctor: bool) -> tuple[str, str, str]:
    """(display name, first, family)."""
    first = rng.choice(MALE_NAMES if gender == "1" else FEMALE_NAMES)
    family = rng.choice(FAMILY_NAMES)
    name = f"{first} {family}"
    if doctor:
        name = f"dr. {name}"
    elif titled:
        if rng.random() < 0.15:
            name = f"Drs. {name}" if gender == "1" else f"Dra. {name}"
        else:
            name = f"{name}, {rng.choice(DEGREES)}"
            if rng.random() < 0.3:
                name += ", M.Si"
    return name, first, family


def _mail_domain(top: UnitSpec) -> str:
    initials = "".join(w[0] for w in top.name.replace(",", "").split() if w[0].isupper())
    return f"{initials.lower()}.{MAIL_DOMAIN}"


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(("0811", "0812", "0813", "0821", "0822", "0852", "0853", "0857", "0877"))
    number = f"{prefix}{rng.randint(0, 10**8 - 1):08d}"
    if rng.random() < 0.1:
        return f"+62 {number[1:4]}-{number[4:8]}-{number[8:]}"
    return number


def build_roster(employees: int, units: int, *, seed: int, today: date) -> Roster:
    if employees < units:
        raise ValueError("--employees must be at least --units (every unit has a head)")
    rng = random.Random(seed)
    tree = build_units(units, rng)
    nips = _Nips(rng, today)
    emails: dict[str, int] = {}
    rows: list[tuple[str, ...]] = []

    def top_of(unit: UnitSpec) -> UnitSpec:
        while unit.parent is not None:
            unit = tree[unit.parent]
        return unit

    def email(first: str, family: str, unit: UnitSpec) -> str:
        if rng.random() >= 0.7:
            return ""
        local = f"{first}.{family}".lower()
        n = emails.get(local, 0) + 1
        emails[local] = n
        return f"{local}{'' if n == 1 else n}@{_mail_domain(top_of(unit))}"

    # Heads first (parents before children), so a head's supervisor NIP is known.
    for unit in tree:
        gender = "1" if rng.random() < 0.65 else "2"
        nip, _ = nips.new(born=(1965, 1985), gender=gender)
        unit.head_nip = nip
        name, first, family = _person(rng, gender, titled=True, doctor=unit.kind == "puskesmas")
        rows.append(
            (
                nip,
                name,
                _head_position(unit),
                "STRUKTURAL",
                rng.choice(GOLONGAN_HEAD[min(unit.depth, 3)]),
                unit.path,
                tree[unit.parent].head_nip if unit.parent is not None else "",
                email(first, family, unit),
                _phone(rng) if rng.random() < 0.95 else "",
            )
        )
    # Staff: puskesmas and schools are big, top units have their own staff too.
    size = {"puskesmas": 3.0, "sekolah": 3.0, "kelurahan": 0.8, "seksi": 0.8, "upt": 1.5}
    weights = [size.get(u.kind, 1.2 if u.depth == 1 else 1.0) * rng.uniform(0.6, 1.4) for u in tree]
    today_year = today.year
    for unit, staff in zip(tree, _largest_remainder(employees - units, weights), strict=True):
        functional_share = 0.8 if unit.kind in ("puskesmas", "sekolah") else 0.4
        positions = FUNGSIONAL.get(unit.kind, FUNGSIONAL["other"])
        for _ in range(staff):
            gender = "1" if rng.random() < 0.5 else "2"
            nip, cpns_year = nips.new(born=(1965, 1999), gender=gender)
            service = max(0, today_year - cpns_year)
            if rng.random() < functional_share:
                kind, position, grades = "FUNGSIONAL", rng.choice(positions), GOLONGAN_FUNGSIONAL
                step = service // 5
            else:
                kind, position, grades = "PELAKSANA", rng.choice(PELAKSANA), GOLONGAN_PELAKSANA
                step = service // 3
            grade = grades[max(0, min(len(grades) - 1, step + rng.randint(-1, 1)))]
            name, first, family = _person(
                rng, gender, titled=kind == "FUNGSIONAL" and rng.random() < 0.6, doctor=False
            )
            rows.append(
                (
                    nip,
                    name,
                    position,
                    kind,
                    grade,
                    unit.path,
                    unit.head_nip,
                    email(first, family, unit),
                    _phone(rng) if rng.random() < 0.85 else "",
                )
            )
    rng.shuffle(rows)  # an export is not sorted by supervision
    return Roster(tree, rows)


def write_csv(roster: Roster, path: Path) -> int:
    """`;`-separated, UTF-8 with BOM, CRLF: what a spreadsheet saves as 'CSV UTF-8'."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(roster.rows)
    return path.stat().st_size


def validate_sample(roster: Roster, today: date, sample: int, rng: random.Random) -> int:
    """Checks a sample of rows with the app's own NIP rule, and the file's invariants."""
    nips = [r[0] for r in roster.rows]
    if len(set(nips)) != len(nips):
        raise AssertionError("duplicate NIPs in the generated roster")
    emails = [r[7] for r in roster.rows if r[7]]
    if len(set(emails)) != len(emails):
        raise AssertionError("duplicate e-mails in the generated roster")
    known = set(nips)
    chosen = rng.sample(roster.rows, min(sample, len(roster.rows)))
    for row in chosen:
        parsed = rules.parse_nip(row[0], today=today)
        if not isinstance(parsed, rules.NipInfo):
            raise AssertionError(f"generated an invalid NIP {row[0]}: {parsed.message}")
        if row[6] and row[6] not in known:
            raise AssertionError(f"supervisor {row[6]} of {row[0]} is not in the file")
        if row[4] and rules.normalise_golongan(row[4]) != row[4]:
            raise AssertionError(f"golongan {row[4]!r} is not one of I/a … IV/e")
        if row[7] and not rules.valid_email(row[7]):
            raise AssertionError(f"invalid e-mail {row[7]!r}")
        if row[8] and not rules.valid_phone(row[8]):
            raise AssertionError(f"invalid phone {row[8]!r}")
        if row[3] not in rules.POSITION_TYPES:
            raise AssertionError(f"invalid jenis_jabatan {row[3]!r}")
    return len(chosen)


# --- child processes ---------------------------------------------------------------------


@dataclass
class Child:
    """One finished child process, measured by `os.wait4` on its own pid (see LAUNCHER)."""

    label: str
    args: list[str]
    returncode: int
    timed_out: bool
    seconds: float
    max_rss_kib: int
    user_cpu: float
    system_cpu: float
    started_wall: float  # time.time() at spawn, to line up with the job's timestamps
    ended_wall: float
    output: str

    @property
    def rss_mib(self) -> float:
        return self.max_rss_kib / 1024

    @property
    def cpu(self) -> float:
        return self.user_cpu + self.system_cpu

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "timed_out": self.timed_out,
            "cpu_seconds": round(self.cpu, 3),
            "user_cpu_seconds": round(self.user_cpu, 3),
            "system_cpu_seconds": round(self.system_cpu, 3),
            "peak_rss_mib": round(self.rss_mib, 1),
            "returncode": self.returncode,
            "last_line": _last_line(self.output),
        }


# Spawns the measured command and reports that process's own rusage. A process's ru_maxrss
# includes the RSS of the process image it was forked from (Linux keeps the pre-exec
# high-water mark), so spawning straight from this ~80 MB bench process would put a floor of
# ~80 MB under every figure. This launcher is a bare interpreter (-I -S, ~10 MB): the same
# method as `/usr/bin/time -v`, without depending on it being installed. After `timeout`
# seconds (0: none) it kills the child (SIGKILL; PostgreSQL rolls its transaction back).
LAUNCHER = """
import json, os, signal, sys, time
report, timeout, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
wall, started = time.time(), time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ)
timed_out = False
def on_alarm(*_):
    global timed_out
    timed_out = True
    os.kill(pid, signal.SIGKILL)
signal.signal(signal.SIGALRM, on_alarm)
if timeout > 0:
    signal.setitimer(signal.ITIMER_REAL, timeout)
_, status, ru = os.wait4(pid, 0)
signal.setitimer(signal.ITIMER_REAL, 0)
seconds = time.perf_counter() - started
with open(report, "w") as f:
    json.dump({"status": status, "timed_out": timed_out, "seconds": seconds,
               "started_wall": wall, "ended_wall": time.time(), "maxrss_kib": ru.ru_maxrss,
               "utime": ru.ru_utime, "stime": ru.ru_stime}, f)
"""


def run_child(args: list[str], env: dict[str, str], label: str, timeout: float = 0) -> Child:
    """Runs `args` under LAUNCHER, which waits for it with os.wait4(pid): the rusage is that
    child's own (ru_maxrss = its peak RSS in KiB, as `/usr/bin/time -v` reports it), not
    the cumulative RUSAGE_CHILDREN maximum over every child this process has waited for."""
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "rusage.json"
        out_path = Path(tmp) / "output"
        with out_path.open("wb") as out:
            launcher = subprocess.run(
                [sys.executable, "-I", "-S", "-c", LAUNCHER, str(report_path), str(timeout), *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        output = out_path.read_bytes().decode(errors="replace")
        if launcher.returncode != 0 or not report_path.exists():
            raise RuntimeError(f"the launcher of {label} failed:\n{output[-3000:]}")
        usage = orjson.loads(report_path.read_bytes())
    returncode = os.waitstatus_to_exitcode(usage["status"])
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with CHILD_LOG.open("a") as log:
        state = "killed after the timeout" if usage["timed_out"] else f"exit {returncode}"
        log.write(f"\n=== {label}: {' '.join(args)} ({state}) ===\n{output}")
    return Child(
        label,
        args,
        returncode,
        usage["timed_out"],
        usage["seconds"],
        usage["maxrss_kib"],
        usage["utime"],
        usage["stime"],
        usage["started_wall"],
        usage["ended_wall"],
        output,
    )


def remove_file(path: Path) -> None:
    """Removes the generated CSV and its temp directory."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def _last_line(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def code_under_test() -> dict[str, Any]:
    """The commit, and which files of the app differ from it (others edit concurrently)."""

    def git(*argv: str) -> str:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            return subprocess.run(
                ["git", *argv], cwd=REPO_ROOT, capture_output=True, text=True, check=True
            ).stdout.rstrip("\n")
        return ""

    dirty = git("status", "--porcelain", "--", "kinerja_saas", "tenants", "workers", "schema")
    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "uncommitted": [line[3:] for line in dirty.splitlines()],
    }


# --- the database side -------------------------------------------------------------------


async def load_expected(conn: asyncpg.Connection, roster: Roster) -> None:
    """The roster as the checks expect it (not timed): table `roster_expected`."""
    await conn.execute(FLOOR_TABLE_SQL.format(unlogged="", name="roster_expected"))
    await conn.copy_records_to_table(
        "roster_expected",
        records=[tuple(v or None for v in r) for r in roster.rows],
        columns=FLOOR_COLUMNS,
    )
    await conn.execute("ANALYZE roster_expected")


VERIFY_SQL = """
WITH RECURSIVE named(id, path) AS (
    SELECT id, lower(name)::text FROM org_units WHERE tenant_id = $1 AND parent_id IS NULL
    UNION ALL
    SELECT u.id, n.path || '/' || lower(u.name) FROM org_units u JOIN named n ON u.parent_id = n.id
    WHERE u.tenant_id = $1
), got AS (
    SELECT r.*, e.id AS employee_id, e.is_active, s.nip AS supervisor_nip, n.path AS unit_path,
           e.email AS employee_email, e.name AS employee_name
    FROM roster_expected r
    LEFT JOIN employees e ON e.tenant_id = $1 AND e.nip = r.nip
    LEFT JOIN employees s ON s.tenant_id = $1 AND s.id = e.supervisor_id
    LEFT JOIN named n ON n.id = e.unit_id
)
SELECT
    (SELECT count(*) FROM roster_expected) AS rows_in_file,
    (SELECT count(*) FROM employees WHERE tenant_id = $1) AS employees,
    (SELECT count(*) FROM employees WHERE tenant_id = $1 AND is_active) AS active,
    (SELECT count(*) FROM got WHERE employee_id IS NULL) AS missing,
    (SELECT count(*) FROM got WHERE employee_id IS NOT NULL
       AND supervisor_nip IS DISTINCT FROM nip_atasan) AS wrong_supervisor,
    (SELECT count(*) FROM got WHERE nip_atasan IS NOT NULL) AS supervised_in_file,
    (SELECT count(*) FROM got WHERE employee_id IS NOT NULL
       AND unit_path IS DISTINCT FROM lower(unit)) AS wrong_unit,
    (SELECT count(*) FROM got WHERE employee_id IS NOT NULL
       AND (employee_email IS DISTINCT FROM email OR employee_name IS DISTINCT FROM nama))
       AS wrong_fields,
    (SELECT count(*) FROM org_units WHERE tenant_id = $1) AS units,
    (SELECT count(*) FROM got WHERE email IS NOT NULL) AS rows_with_email,
    (SELECT count(*) FROM got g JOIN user_accounts a
       ON a.tenant_id = $1 AND a.employee_id = g.employee_id AND a.email = g.email
       AND a.is_active AND 'EMPLOYEE' = ANY(a.roles)) AS employee_accounts,
    (SELECT count(*) FROM user_accounts WHERE tenant_id = $1) AS accounts,
    (SELECT count(*) FROM (SELECT DISTINCT nip_atasan FROM roster_expected) s
       JOIN roster_expected h ON h.nip = s.nip_atasan AND h.email IS NOT NULL) AS supervisor_logins,
    (SELECT count(*) FROM user_accounts WHERE tenant_id = $1 AND 'SUPERVISOR' = ANY(roles))
       AS supervisor_roles,
    (SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action LIKE 'employee.import%')
       AS audit_entries,
    (SELECT count(*) FROM import_files WHERE tenant_id = $1) AS staged_rows_left
"""


async def verify(conn: asyncpg.Connection, tenant_id: int, roster: Roster) -> dict[str, Any]:
    row = dict(await conn.fetchrow(VERIFY_SQL, tenant_id))
    n, u = len(roster.rows), len(roster.units)
    checks = {
        f"{n} employees in the region, all active": row["employees"] == n == row["active"],
        "every row of the file is an employee": row["missing"] == 0,
        f"every supervisor as in the file ({row['supervised_in_file']} links)": row[
            "wrong_supervisor"
        ]
        == 0,
        "every employee in the unit of its path": row["wrong_unit"] == 0,
        "names and e-mails as in the file": row["wrong_fields"] == 0,
        f"units = the tree's {u}": row["units"] == u,
        f"a login for each of the {row['rows_with_email']} rows with an e-mail": (
            row["employee_accounts"] == row["rows_with_email"]
            and row["accounts"] == row["rows_with_email"] + 1  # + the onboarded admin
        ),
        "SUPERVISOR role on supervisors' logins": row["supervisor_roles"]
        == row["supervisor_logins"],
        "staging rows cleaned up": row["staged_rows_left"] == 0,
    }
    return {"figures": row, "checks": checks}


async def last_job(conn: asyncpg.Connection, tenant_id: int) -> dict[str, Any]:
    job = await conn.fetchrow(
        "SELECT id, status, total_rows, error_count, summary, created_at, started_at,"
        " finished_at FROM import_jobs WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1",
        tenant_id,
    )
    out = dict(job)
    out["summary"] = orjson.loads(out["summary"]) if isinstance(out["summary"], str) else {}
    # The merge transaction's start: the audit entries it wrote carry now() of it.
    out["merge_started_at"] = await conn.fetchval(
        "SELECT min(created_at) FROM audit_log WHERE tenant_id = $1 AND request_id = $2",
        tenant_id,
        f"import:{job['id']}",
    )
    return out


def phases(child: Child, job: dict[str, Any]) -> dict[str, float | None]:
    """Where the wall time went, from the job's timestamps (same clock as time.time())."""

    def ts(value: datetime | None) -> float | None:
        return value.replace(tzinfo=value.tzinfo or UTC).timestamp() if value else None

    created, started, finished = (
        ts(job["created_at"]),
        ts(job["started_at"]),
        ts(job["finished_at"]),
    )
    merge = ts(job.get("merge_started_at"))
    out: dict[str, float | None] = {
        "startup": created - child.started_wall if created else None,
        "staging": started - created if created and started else None,
        "validate": merge - started if merge and started else None,
        "merge": finished - merge if merge and finished else None,
        "validate_and_merge": finished - started if finished and started else None,
        "commit_and_exit": child.ended_wall - finished if finished else None,
    }
    return {k: (round(v, 3) if v is not None else None) for k, v in out.items()}


async def checkpoint(conn: asyncpg.Connection) -> None:
    """Every measured phase starts with no dirty buffers of the previous one to write."""
    with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
        await conn.execute("CHECKPOINT")


async def copy_floor(conn: asyncpg.Connection, csv_path: Path, *, unlogged: bool, rounds: int):
    """COPY of the file into a plain text table with an index on nip, `rounds` times (the
    table truncated in between); returns the seconds of each COPY."""
    name = "floor_unlogged" if unlogged else "floor_logged"
    await conn.execute(FLOOR_TABLE_SQL.format(unlogged="UNLOGGED" if unlogged else "", name=name))
    times = []
    for _ in range(rounds):
        await conn.execute(f"TRUNCATE {name}")
        await checkpoint(conn)
        started = time.perf_counter()
        status = await conn.copy_to_table(
            name,
            source=csv_path,
            columns=list(FLOOR_COLUMNS),
            format="csv",
            delimiter=";",
            header=True,
            encoding="UTF8",
        )
        times.append(time.perf_counter() - started)
    return times, status


# --- report ------------------------------------------------------------------------------


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _fmt(v: float | None, digits: int = 2) -> str:
    return f"{v:.{digits}f}" if v is not None else "?"


def _run_row(label: str, n: int, run: dict[str, Any] | None) -> str:
    if run is None:
        return f"{label:<44}{'skipped (the import did not finish)':>30}"
    wall = f"{'>' if run['timed_out'] else ''}{run['seconds']:.2f}"
    rate = f"{'<' if run['timed_out'] else ''}{n / run['seconds']:.0f}" if n else ""
    return (
        f"{label:<44}{n:>7}{wall:>9}{rate:>10}{run['cpu_seconds']:>8.2f}"
        f"{run['peak_rss_mib']:>14.1f}" + ("  KILLED at the timeout" if run["timed_out"] else "")
    )


def _phases_text(ph: dict[str, float | None] | None) -> str:
    if not ph:
        return "?"
    if ph["validate"] is not None:
        middle = f"validation {_fmt(ph['validate'])}, merge transaction {_fmt(ph['merge'])}"
    else:  # no audit entries (nothing changed) to date the merge transaction's start
        middle = f"validation + merge transaction {_fmt(ph['validate_and_merge'])}"
    return (
        f"startup+connect {_fmt(ph['startup'])}, staging {_fmt(ph['staging'])}, {middle},"
        f" commit+exit {_fmt(ph['commit_and_exit'])}"
    )


def report(result: dict[str, Any]) -> str:
    cfg, imp, again = result["config"], result["import"], result["reimport"]
    base, floor, targets, ratios = (
        result["cli_baseline"],
        result["floor"],
        result["targets"],
        result["ratios"],
    )
    n = cfg["employees"]
    lower = "≥ " if imp["timed_out"] else ""
    code = cfg["code_under_test"]
    lines = [
        "Kinerja bench: roster import (`kinerja tenant import`) vs COPY of the same file",
        "=" * 100,
        f"file       {n} employees, {cfg['units']} units (depth ≤ 3), {cfg['rows_with_email']}"
        f" with e-mail, {cfg['file_bytes'] / 1e6:.2f} MB ';'-CSV UTF-8 with BOM (seed {cfg['seed']})",
        f"code       {code['commit']}"
        + (f" + uncommitted {', '.join(code['uncommitted'])}" if code["uncommitted"] else ""),
        f"machine    {cfg['cpu_cores']} CPU cores shared by the import process and PostgreSQL"
        f" {cfg['postgres']}; Python {cfg['python']}",
        "peak RSS   each child's own ru_maxrss from os.wait4(pid) in a bare launcher"
        " process (the method of `/usr/bin/time -v`)",
        "",
        f"{'':<44}{'rows':>7}{'wall s':>9}{'rows/s':>10}{'CPU s':>8}{'peak RSS MiB':>14}",
        "-" * 100,
        _run_row("import   kinerja tenant import (child)", n, imp),
        _run_row("re-import  same file, all unchanged", n, again),
        _run_row("CLI baseline  start, connect, no region", 0, base),
        f"{'floor  COPY into UNLOGGED table + (nip)':<44}{n:>7}{floor['unlogged_seconds']:>9.3f}"
        f"{n / floor['unlogged_seconds']:>10.0f}",
        f"{'       COPY into logged table + (nip)':<44}{n:>7}{floor['logged_seconds']:>9.3f}"
        f"{n / floor['logged_seconds']:>10.0f}",
        "-" * 100,
        f"import phases (s)     {_phases_text(imp.get('phases'))}",
        f"re-import phases (s)  {_phases_text(again.get('phases') if again else None)}",
        f"import summary        {imp.get('summary') or '?'}",
        f"re-import summary     {again.get('summary') if again else '?'}",
        f"import : COPY floor   {lower}{ratios['import_per_floor']:.1f}× (unlogged floor),"
        f" {lower}{ratios['import_per_logged_floor']:.1f}× (logged floor); without the CLI's"
        f" fixed start-up {lower}{ratios['import_less_baseline_per_floor']:.1f}×",
        f"re-import : import    {_fmt(ratios['reimport_per_import'])}",
        "",
        f"target  import within {TARGET_RATIO:.0f}× the COPY floor   {lower}{imp['seconds']:.2f} s"
        f" vs {TARGET_RATIO:.0f} × {floor['unlogged_seconds']:.3f} s ="
        f" {TARGET_RATIO * floor['unlogged_seconds']:.2f} s   {_pf(targets['within_10x_floor'])}",
        f"target  peak RSS under {TARGET_RSS_MIB:.0f} MB                 {imp['peak_rss_mib']:.1f}"
        f" MiB"
        + (f" (re-import {again['peak_rss_mib']:.1f} MiB)" if again else "")
        + f"   {_pf(targets['rss_under_300mb'])}",
    ]
    for title, run in (("import", imp), ("re-import", again)):
        if run and run.get("statement_seconds"):
            lines += [
                "",
                f"{title}: time by statement (pg_stat_activity sampled every"
                f" {SAMPLE_SECONDS} s; top 8 of {len(run['statement_seconds'])})",
            ]
            total = sum(run["statement_seconds"].values()) or 1.0
            for name, secs in list(run["statement_seconds"].items())[:8]:
                lines.append(f"  {secs:>8.1f} s {secs / total * 100:>5.1f}%  {name}")
    lines += [
        "",
        "checks (owner connection, no RLS):",
    ]
    for stage, checks in result["checks"].items():
        for name, ok in checks.items():
            lines.append(f"  [{'ok' if ok else 'FAILED'}] {stage.replace('_', ' ')}: {name}")
    lines += [
        f"total      {result['total_seconds']:.1f} s; figures in"
        f" {RESULTS_FILE.relative_to(REPO_ROOT)}, child output in"
        f" {CHILD_LOG.relative_to(REPO_ROOT)}",
    ]
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------

UNCHANGED = ("created", "updated", "supervisors_set", "units_created", "accounts_created")


# Where the import's time goes, seen from PostgreSQL: pg_stat_activity of the app role in the
# bench database, sampled while the child runs. Statements are recognised by their text.
SAMPLE_SECONDS = 0.1
SAMPLE_SQL = """
SELECT state, wait_event_type, query FROM pg_stat_activity
WHERE datname = $1 AND usename = $2 AND backend_type = 'client backend'
  AND pid <> pg_backend_pid() AND state <> 'idle'
"""
IDLE_LABEL = "(no statement running: the app process is busy, or starting/exiting)"
# (fragment of the statement's text, label), first match wins; the error codes name the
# checks of kinerja_saas/org/importing.py.
FRAGMENT_LABELS = (
    ("'nip', 'DUPLICATE_IN_FILE'", "validation: NIP twice in the file"),
    ("'UNKNOWN_SUPERVISOR'", "validation: supervisor unknown"),
    ("'email', 'DUPLICATE_IN_FILE'", "validation: e-mail twice in the file"),
    ("'EMAIL_TAKEN'", "validation: e-mail taken by a login"),
    ("'INACTIVE_UNIT'", "validation: deactivated unit"),
    ("WITH RECURSIVE graph(nip, sup)", "supervision cycle check (validation; again in the merge)"),
    ("INSERT INTO import_files", "staging: INSERT INTO import_files … SELECT array_agg"),
    ('COPY "import_stage"', "staging: COPY into a temporary table"),
    ("CREATE TEMP TABLE staged", "copy of the job's rows: CREATE TEMP TABLE staged"),
    ("CREATE INDEX ON staged", "copy of the job's rows: CREATE INDEX"),
    ("ANALYZE staged", "copy of the job's rows: ANALYZE"),
    ("SELECT DISTINCT unit_path", "merge: resolve and create units"),
    ("INSERT INTO import_problems", "validation: record problems"),
    ("CREATE TEMP TABLE import_units", "merge: resolve and create units"),
    ("INSERT INTO import_units", "merge: resolve and create units"),
    ("UPDATE import_units", "merge: resolve and create units"),
    ("INSERT INTO org_units", "merge: resolve and create units"),
    ("INSERT INTO employees", "merge: upsert employees (with their supervisors)"),
    ("INSERT INTO audit_log", "merge: audit entries"),
    ("UPDATE user_accounts a SET employee_id", "merge: link logins"),
    ("INSERT INTO user_accounts", "merge: create logins"),
    ("'SUPERVISOR'", "merge: SUPERVISOR roles"),
    ("pg_advisory_xact_lock", "merge: org-structure lock"),
    ("DELETE FROM import_files", "finish: delete staged rows"),
    ("outbox", "outbox events"),
    ("import_jobs", "job row reads/updates"),
)


def _norm(sql: str) -> str:
    return " ".join(sql.split())


def statement_label(query: str, state: str, wait: str | None) -> str:
    """pg_stat_activity shows the first 1024 bytes (track_activity_query_size): enough."""
    if state.startswith("idle in transaction"):
        return "(app process working inside an open transaction)"
    text = _norm(query)
    label = next((name for fragment, name in FRAGMENT_LABELS if fragment in text), text[:70])
    return f"{label} [waiting: {wait}]" if wait in ("Lock", "LWLock", "IO") else label


async def sample_statements(
    conn: asyncpg.Connection, role: str, done: asyncio.Event
) -> dict[str, float]:
    """Seconds per statement label, each sample weighted by the time since the previous."""
    seconds: dict[str, float] = {}
    last = time.perf_counter()
    while not done.is_set():
        rows = await conn.fetch(SAMPLE_SQL, BENCH_DB, role)
        now = time.perf_counter()
        labels = [
            statement_label(r["query"] or "", r["state"] or "", r["wait_event_type"]) for r in rows
        ] or [IDLE_LABEL]
        for label in labels:
            seconds[label] = seconds.get(label, 0.0) + (now - last) / len(labels)
        last = now
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), SAMPLE_SECONDS)
    return seconds


async def measured_import(
    conn: asyncpg.Connection,
    label: str,
    argv: list[str],
    env: dict[str, str],
    tenant_id: int,
    kill_after: float,
    app_role: str,
) -> tuple[Child, dict[str, Any]]:
    """One import as a child process from a clean checkpoint, its statements sampled on the
    side; the child and its job row (with `statement_seconds`)."""
    await checkpoint(conn)
    done = asyncio.Event()
    sampler = asyncio.create_task(sample_statements(conn, app_role, done))
    try:
        child = await asyncio.to_thread(run_child, argv, env, label, kill_after)
    finally:
        done.set()
        statement_seconds = await sampler
    state = f"KILLED after {child.seconds:.0f} s" if child.timed_out else f"{child.seconds:.2f} s"
    print(f"  {state}, peak RSS {child.rss_mib:.1f} MiB", flush=True)
    if not child.timed_out and child.returncode != 0:
        raise SystemExit(f"{label} failed (exit {child.returncode}):\n{child.output[-3000:]}")
    job = await last_job(conn, tenant_id)
    job["statement_seconds"] = dict(
        sorted(((k, round(v, 2)) for k, v in statement_seconds.items()), key=lambda kv: -kv[1])
    )
    return child, job


# --- the same-work floor, alternating with the import in one run (issue 19) ----------------

CLI_ACTOR_EMAIL = "cli:bench"


async def _onboard(settings: Any, slug: str) -> int:
    """A fresh region, onboarded in this process as `kinerja tenant create` does."""
    from kinerja_saas.regions.onboarding import RegionInput, onboard_region
    from tenants.context import tenant_transaction
    from tenants.models import RegionKind, RegionTimezone

    operator = Actor(
        user_id=0, tenant_id=None, roles=frozenset({Role.PLATFORM_OPERATOR}),
        email=CLI_ACTOR_EMAIL, is_operator=True,
    )  # fmt: skip
    data = RegionInput(
        slug=slug, name=f"Kabupaten {slug}", kind=RegionKind.KABUPATEN, province="Jawa Tengah",
        timezone=RegionTimezone("Asia/Jakarta"), admin_name="Admin BKPSDM",
        admin_email=f"admin.bkpsdm@{slug}.go.id",
    )  # fmt: skip
    async with tenant_transaction(None):
        done = await onboard_region(actor=operator, data=data, secret=settings.jwt_secret or "")
    return done.tenant.id


def _import_actor(tenant_id: int) -> Actor:
    """The actor `kinerja tenant import` runs with."""
    return Actor(
        user_id=0, tenant_id=tenant_id, roles=frozenset({Role.REGION_ADMIN}),
        email=CLI_ACTOR_EMAIL,
    )  # fmt: skip


async def import_in_process(tenant_id: int, csv_path: Path, max_bytes: int) -> tuple[float, Any]:
    """The import exactly as `kinerja tenant import` runs it (stage in one transaction, then
    run_import), in this process: no interpreter start, the app role's pool already open."""
    from kinerja_saas.org import importing
    from tenants.context import tenant_transaction

    actor = _import_actor(tenant_id)
    started = time.perf_counter()
    async with tenant_transaction(tenant_id):
        with csv_path.open("rb") as binary:
            job = await importing.stage_import(
                actor=actor, filename=csv_path.name, binary=binary, dry_run=False,
                deactivate_missing=False, max_bytes=max_bytes, enqueue=False,
            )  # fmt: skip
    ran = await importing.run_import(tenant_id=tenant_id, job_id=job.id, actor=actor)
    seconds = time.perf_counter() - started
    if ran is None or ran.status.value != "SUCCEEDED":
        raise SystemExit(f"in-process import failed: {ran and ran.status} {ran and ran.summary}")
    return seconds, ran.summary


async def floor_timed(app: asyncpg.Connection, tenant_id: int, csv_path: Path) -> float:
    started = time.perf_counter()
    await run_floor(
        app, tenant_id=tenant_id, csv_path=csv_path, actor_user_id=None,
        actor_label=_import_actor(tenant_id).label, request_id="floor",
    )  # fmt: skip
    return time.perf_counter() - started


async def same_work_rounds(
    owner: asyncpg.Connection, settings: Any, csv_path: Path, rounds: int
) -> dict[str, Any]:
    """`rounds` × (import into a fresh region, floor into another), the order alternating
    every round, then the re-import of each round's region and the floor run again on its
    region. After each pair: the two regions must hold the same rows."""
    from kinerja_saas.database import app_connection_params, close_db, init_app_db

    await init_app_db(settings)
    app = await asyncpg.connect(**app_connection_params(settings))
    out: dict[str, Any] = {"import": [], "floor": [], "reimport": [], "refloor": [], "same": []}
    try:
        pairs = []
        for r in range(rounds):
            pairs.append((await _onboard(settings, f"kab-impor-{r}"),
                          await _onboard(settings, f"kab-floor-{r}")))  # fmt: skip
        for phase, (imp, flo) in (
            ("first", ("import", "floor")),
            ("again", ("reimport", "refloor")),
        ):
            for r, (region_i, region_f) in enumerate(pairs):
                steps = [
                    (
                        imp,
                        lambda t=region_i: import_in_process(
                            t, csv_path, settings.import_max_bytes
                        ),
                    ),
                    (flo, lambda t=region_f: floor_timed(app, t, csv_path)),
                ]
                for label, step in steps if r % 2 == 0 else reversed(steps):
                    await checkpoint(owner)
                    got = await step()
                    seconds = got[0] if isinstance(got, tuple) else got
                    out[label].append(round(seconds, 3))
                    print(f"  round {r + 1} {label:9s} {seconds:6.2f} s", flush=True)
                same = await same_rows(owner, region_i, region_f)
                same["round"], same["after"] = r + 1, phase
                out["same"].append(same)
    finally:
        await app.close()
        await close_db()
    return out


TARGET_IMPORT_PER_FLOOR = 2.0  # issue 19: the import within 2× its same-work floor
TARGET_REIMPORT_PER_FLOOR = 1.5  # and the re-import of an unchanged file within 1.5×


def summarise_same_work(out: dict[str, Any], n: int) -> dict[str, Any]:
    """Medians, the two ratios against the targets, the same-rows checks, and the text."""
    med = {k: statistics.median(out[k]) for k in ("import", "floor", "reimport", "refloor")}
    ratio = round(med["import"] / med["floor"], 2)
    re_ratio = round(med["reimport"] / med["refloor"], 2)
    checks = {
        f"round {s['round']}, after the {'import' if s['after'] == 'first' else 're-import'}:"
        f" import and floor regions hold the same {s['rows_a']} rows {s['kinds_a']}": (
            s["only_a"] == 0 and s["only_b"] == 0 and s["rows_a"] == s["rows_b"] > n
        )
        for s in out["same"]
    }
    lines = [
        "same-work floor (COPY into a temp table + one INSERT … SELECT per target table, one",
        "transaction as the app role) vs the import in-process, alternating, fresh regions:",
        f"  {'':10s} {'runs (s)':>28s} {'median s':>9s} {'rows/s':>9s}",
    ]
    for k in ("import", "floor", "reimport", "refloor"):
        runs = ", ".join(f"{t:.2f}" for t in out[k])
        lines.append(f"  {k:10s} {runs:>28s} {med[k]:9.3f} {n / med[k]:9,.0f}")
    lines += [
        f"target  import ≤ {TARGET_IMPORT_PER_FLOOR:g}× its floor       {ratio:5.2f}×  "
        + _pf(ratio <= TARGET_IMPORT_PER_FLOOR),
        f"target  re-import ≤ {TARGET_REIMPORT_PER_FLOOR:g}× its floor   {re_ratio:5.2f}×  "
        + _pf(re_ratio <= TARGET_REIMPORT_PER_FLOOR),
    ]
    for s in out["same"]:
        if s["only_a"] or s["only_b"]:
            lines.append(
                f"  DIFFERENT rows (import only / floor only): {s['sample_a']} / {s['sample_b']}"
            )
    lines += [f"  [{'ok' if ok else 'FAIL'}] {name}" for name, ok in checks.items()]
    return {
        "runs": {k: out[k] for k in ("import", "floor", "reimport", "refloor")},
        "median_seconds": {k: round(v, 3) for k, v in med.items()},
        "import_per_floor": ratio,
        "reimport_per_floor": re_ratio,
        "targets": {
            "import_within_2x_floor": ratio <= TARGET_IMPORT_PER_FLOOR,
            "reimport_within_1_5x_floor": re_ratio <= TARGET_REIMPORT_PER_FLOOR,
        },
        "same_rows": [
            {k: (str(v) if k.startswith("sample") else v) for k, v in s.items()}
            for s in out["same"]
        ],
        "checks": checks,
        "text": "\n".join(lines),
    }


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    today = date.today()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    CHILD_LOG.write_text("")
    code = code_under_test()
    global BENCH_DB
    BENCH_DB = args.database  # sample_statements watches this database
    print(f"creating database {BENCH_DB} on {parse_pg_url(server_url)['host']} …", flush=True)
    owner_url, settings = await fresh_database(server_url, BENCH_DB, redis_url)

    print(f"generating a roster of {args.employees} employees in {args.units} units …", flush=True)
    roster = build_roster(args.employees, args.units, seed=args.seed, today=today)
    n = len(roster.rows)
    csv_path = Path(tempfile.mkdtemp(prefix="kinerja-bench-import-")) / "roster.csv"
    file_bytes = write_csv(roster, csv_path)
    checked = validate_sample(roster, today, 2000, random.Random(args.seed + 1))
    print(
        f"  {csv_path} ({file_bytes / 1e6:.2f} MB); {checked} sampled rows pass parse_nip and"
        " the field rules",
        flush=True,
    )

    if not args.cli:
        conn = await asyncpg.connect(**parse_pg_url(owner_url))
        try:
            print(f"same-work comparison, {args.rounds} rounds …", flush=True)
            same = summarise_same_work(
                await same_work_rounds(conn, settings, csv_path, args.rounds), n
            )
        finally:
            await conn.close()
            if not args.keep_csv:
                remove_file(csv_path)
        result = {"benchmark": "import_roster", "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                  "config": {"employees": n, "units": len(roster.units), "rounds": args.rounds,
                             "code_under_test": code, "load_average": os.getloadavg()},
                  "same_work": same}  # fmt: skip
        RESULTS_FILE.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
        print()
        print(same["text"])
        return 0 if all(same["checks"].values()) else 1

    env = child_env(owner_url, redis_url, COLUMNS="160", TERM="dumb")
    kinerja = kinerja_executable()
    import_argv = [kinerja, "tenant", "import", SLUG, str(csv_path)]
    checks: dict[str, dict[str, bool]] = {}
    figures: dict[str, Any] = {}
    second: Child | None = None
    second_job: dict[str, Any] | None = None
    conn = await asyncpg.connect(**parse_pg_url(owner_url))
    try:
        pg_version = await conn.fetchval("SHOW server_version")
        print(f"onboarding region {SLUG} (kinerja tenant create) …", flush=True)
        created = run_child(
            [
                kinerja, "tenant", "create", "--slug", SLUG, "--name", REGION_NAME,
                "--kind", "KABUPATEN", "--province", "Jawa Tengah",
                "--admin-name", "Admin BKPSDM", "--admin-email", ADMIN_EMAIL,
            ],
            env,
            "tenant create",
        )  # fmt: skip
        if created.returncode != 0:
            raise SystemExit(f"kinerja tenant create failed:\n{created.output}")
        tenant_id = await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", SLUG)

        print(f"THE MEASURED RUN: kinerja tenant import {SLUG} {csv_path.name} …", flush=True)
        first, first_job = await measured_import(
            conn, "import", import_argv, env, tenant_id, args.timeout, settings.app_db_user
        )
        await load_expected(conn, roster)
        if first.timed_out:
            checks["import"] = {f"finished within the --timeout of {args.timeout:.0f} s": False}
        else:
            after = await verify(conn, tenant_id, roster)
            checks["after_import"], figures["after_import"] = after["checks"], after["figures"]
            summary = first_job["summary"]
            checks["after_import"][f"summary: {n} created, {len(roster.units)} units"] = (
                summary.get("created") == n and summary.get("units_created") == len(roster.units)
            )
            audit = after["figures"]["audit_entries"]
            checks["after_import"]["one audit entry per employee"] = audit == n

            print("re-import of the same file …", flush=True)
            second, second_job = await measured_import(
                conn, "re-import", import_argv, env, tenant_id, args.timeout, settings.app_db_user
            )
            if second.timed_out:
                checks["reimport"] = {
                    f"finished within the --timeout of {args.timeout:.0f} s": False
                }
            else:
                again = await verify(conn, tenant_id, roster)
                checks["after_reimport"] = again["checks"]
                figures["after_reimport"] = again["figures"]
                summary = second_job["summary"]
                checks["after_reimport"]["summary: everything unchanged"] = summary.get(
                    "unchanged"
                ) == n and all(summary.get(k) == 0 for k in UNCHANGED)
                checks["after_reimport"]["no new audit entries"] = (
                    again["figures"]["audit_entries"] == audit
                )

        print("CLI baseline: start, connect, look the region up (a missing one) …", flush=True)
        baseline = run_child(
            [kinerja, "tenant", "import", "no-such-region", str(csv_path)], env, "baseline"
        )

        print(f"floor: COPY of the same file, {args.floor_rounds} rounds each …", flush=True)
        unlogged_times, status = await copy_floor(
            conn, csv_path, unlogged=True, rounds=args.floor_rounds
        )
        logged_times, _ = await copy_floor(conn, csv_path, unlogged=False, rounds=args.floor_rounds)
        floor_rows = await conn.fetchval("SELECT count(*) FROM floor_logged")

        print(f"same-work comparison, {args.rounds} rounds …", flush=True)
        same = summarise_same_work(await same_work_rounds(conn, settings, csv_path, args.rounds), n)
    finally:
        await conn.close()
        if not args.keep_csv:
            remove_file(csv_path)
    checks.setdefault("floor", {})[f"COPY loaded all {n} rows"] = floor_rows == n
    checks["same_work"] = same["checks"]

    floor_seconds = statistics.median(unlogged_times)
    logged_seconds = statistics.median(logged_times)
    runs = [c for c in (first, second) if c is not None]
    result: dict[str, Any] = {
        "benchmark": "import_roster",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": {
            "employees": n,
            "units": len(roster.units),
            "units_by_depth": {
                str(d): sum(1 for u in roster.units if u.depth == d) for d in (1, 2, 3)
            },
            "rows_with_email": roster.with_email,
            "file_bytes": file_bytes,
            "seed": args.seed,
            "tenant_id": tenant_id,
            "timeout_seconds": args.timeout,
            "code_under_test": code,
            "cpu_cores": os.cpu_count(),
            "postgres": pg_version,
            "python": platform.python_version(),
            "peak_rss_method": "os.wait4(pid) of the child in a bare launcher process:"
            " ru_maxrss in KiB (as /usr/bin/time -v)",
            "floor_rounds": args.floor_rounds,
        },
        "import": {
            **first.as_dict(),
            "summary": first_job["summary"],
            "phases": phases(first, first_job),
            "statement_seconds": first_job["statement_seconds"],
        },
        "reimport": {
            **second.as_dict(),
            "summary": second_job["summary"],
            "phases": phases(second, second_job),
            "statement_seconds": second_job["statement_seconds"],
        }
        if second is not None and second_job is not None
        else None,
        "cli_baseline": baseline.as_dict(),
        "floor": {
            "unlogged_seconds": round(floor_seconds, 4),
            "logged_seconds": round(logged_seconds, 4),
            "unlogged_rounds": [round(t, 4) for t in unlogged_times],
            "logged_rounds": [round(t, 4) for t in logged_times],
            "copy_status": status,
            "rows": floor_rows,
        },
        "ratios": {
            "import_per_floor": round(first.seconds / floor_seconds, 2),
            "import_per_logged_floor": round(first.seconds / logged_seconds, 2),
            "import_less_baseline_per_floor": round(
                (first.seconds - baseline.seconds) / floor_seconds, 2
            ),
            "reimport_per_import": round(second.seconds / first.seconds, 3) if second else None,
        },
        "targets": {
            "within_10x_floor": not first.timed_out
            and first.seconds <= TARGET_RATIO * floor_seconds,
            "rss_under_300mb": max(c.rss_mib for c in runs) < TARGET_RSS_MIB,
        },
        "same_work": {k: v for k, v in same.items() if k != "text"},
        "checks": checks,
        "verify_figures": figures,
        "total_seconds": round(time.perf_counter() - started, 2),
    }
    RESULTS_FILE.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print()
    print(report(result))
    print()
    print(same["text"])
    ok = all(all(c.values()) for c in checks.values())
    if not ok:
        print("\nFAILED checks; see above.")
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.import_roster", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--employees", type=int, default=20000, help="employees in the roster")
    parser.add_argument("--units", type=int, default=200, help="org units in the tree")
    parser.add_argument("--seed", type=int, default=20250, help="random seed of the roster")
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_DEFAULT,
        help="seconds after which an import is killed and reported as FAIL (0: none)",
    )
    parser.add_argument(
        "--floor-rounds", type=int, default=3, help="COPY runs per table (median reported)"
    )
    parser.add_argument(
        "--rounds", type=int, default=2,
        help="same-work rounds: import and floor alternating, each into a fresh region",
    )  # fmt: skip
    parser.add_argument(
        "--no-cli", dest="cli", action="store_false",
        help="only the same-work comparison (no CLI runs, no COPY-only floor)",
    )  # fmt: skip
    parser.add_argument(
        "--keep-csv", action="store_true", help="keep the generated CSV (path is printed)"
    )
    parser.add_argument(
        "--database", default=BENCH_DB,
        help="bench database (dropped and created again); one per session on a shared server",
    )  # fmt: skip
    args = parser.parse_args(argv)
    for name in ("employees", "units", "floor_rounds", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.employees < args.units:
        parser.error("--employees must be at least --units (every unit has a head)")
    if args.timeout < 0:
        parser.error("--timeout must be >= 0")
    return args


def run(argv: list[str] | None = None) -> int:
    return asyncio.run(main(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(run())
