"""Pure rules of the organisation domain: NIP, golongan, contact details. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kinerja_saas.errors import FieldError
from kinerja_saas.org.errors import OrgError

NIP_LENGTH = 18
MIN_CPNS_AGE = 18

PNS_GOLONGAN = tuple(
    f"{grade}/{rank}"
    for grade, ranks in (("I", "abcd"), ("II", "abcd"), ("III", "abcd"), ("IV", "abcde"))
    for rank in ranks
)
_GOLONGAN_BY_KEY = {g.upper(): g for g in PNS_GOLONGAN}

NIP_DIGITS = re.compile(r"[0-9]{18}")  # ASCII only: str.isdigit() also takes '²' and '٣'
DIGITS = re.compile(r"[0-9]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")


@dataclass(frozen=True)
class NipInfo:
    birth_date: date
    cpns_year: int
    cpns_month: int
    gender: str  # "L" (laki-laki) or "P" (perempuan)
    sequence: int


def parse_nip(nip: str, *, today: date) -> NipInfo | FieldError:
    """NIP = YYYYMMDD (birth) + YYYYMM (CPNS appointment) + G (1 male, 2 female) + NNN."""
    if not NIP_DIGITS.fullmatch(nip):
        return FieldError.of("nip", OrgError.NIP_FORMAT)
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return FieldError.of("nip", OrgError.NIP_BIRTH_DATE, value=nip[0:8])
    if birth.year < 1940 or birth > today:
        return FieldError.of("nip", OrgError.NIP_BIRTH_DATE, value=birth)
    cpns_year, cpns_month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= cpns_month <= 12:
        return FieldError.of("nip", OrgError.NIP_CPNS_DATE)
    months_at_appointment = (cpns_year * 12 + cpns_month) - (birth.year * 12 + birth.month)
    if months_at_appointment < MIN_CPNS_AGE * 12 or (cpns_year, cpns_month) > (
        today.year,
        today.month,
    ):
        return FieldError.of("nip", OrgError.NIP_CPNS_DATE)
    if nip[14] not in "12":
        return FieldError.of("nip", OrgError.NIP_GENDER)
    return NipInfo(birth, cpns_year, cpns_month, "L" if nip[14] == "1" else "P", int(nip[15:]))


def normalise_golongan(value: str) -> str | None:
    """'iii/A' -> 'III/a'; None when it is not a PNS golongan (I/a … IV/e)."""
    return _GOLONGAN_BY_KEY.get(value.strip().upper().replace(" ", ""))


def valid_email(value: str) -> bool:
    return len(value) <= 254 and bool(_EMAIL.match(value))


def valid_phone(value: str) -> bool:
    return bool(_PHONE.match(value))


def subtree_path(parent_path: str | None, unit_id: int) -> str:
    return f"{parent_path or '/'}{unit_id}/"


POSITION_TYPES = ("STRUKTURAL", "FUNGSIONAL", "PELAKSANA")
MAX_UNIT_DEPTH = 8

_KIND_BY_PREFIX = (
    ("sekretariat", "SEKRETARIAT"),
    ("inspektorat", "INSPEKTORAT"),
    ("kecamatan", "KECAMATAN"),
    ("kelurahan", "KELURAHAN"),
    ("puskesmas", "PUSKESMAS"),
    ("subbidang", "SUBBIDANG"),
    ("sub bidang", "SUBBIDANG"),
    ("bidang", "BIDANG"),
    ("bagian", "BAGIAN"),
    ("dinas", "DINAS"),
    ("badan", "BADAN"),
    ("kantor", "KANTOR"),
    ("upt", "UPT"),
    ("sd ", "SEKOLAH"),
    ("smp ", "SEKOLAH"),
    ("sekolah", "SEKOLAH"),
)


def normalise_unit_path(raw: str) -> str:
    """'Dinas Kesehatan /  Bidang  Pelayanan' -> 'Dinas Kesehatan/Bidang Pelayanan'."""
    return "/".join(" ".join(part.split()) for part in raw.split("/"))


def guess_unit_kind(name: str, depth: int) -> str:
    """The kind of a unit created from an import path, from its name."""
    lowered = name.lower() + " "
    for prefix, kind in _KIND_BY_PREFIX:
        if lowered.startswith(prefix):
            return kind
    return "DINAS" if depth == 1 else "BIDANG"
