"""Pure rules of the organisation domain: NIP, golongan, contact details. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import FieldError
from kinerja_saas.indonesian import MONTHS
from kinerja_saas.org.errors import NipMonthError, OrgError

if TYPE_CHECKING:
    from kinerja_saas.auth.actor import Actor

NIP_LENGTH = 18
MIN_CPNS_AGE = 18
MIN_PPPK_AGE = 20  # PP 49/2018 Pasal 16: a PPPK applicant is at least 20 years old
FIRST_PPPK_YEAR = 2019  # PP 49/2018 (December 2018): the first PPPK were appointed in 2019


class EmployeeKind(StrEnum):
    """The kind of ASN, read from the number: PNS (NIP) or PPPK (NI PPPK)."""

    PNS = "PNS"
    PPPK = "PPPK"


PNS_GOLONGAN = tuple(
    f"{grade}/{rank}"
    for grade, ranks in (("I", "abcd"), ("II", "abcd"), ("III", "abcd"), ("IV", "abcde"))
    for rank in ranks
)
# Perpres 98/2020 (gaji dan tunjangan PPPK): golongan I … XVII, roman numerals, no rank.
PPPK_GOLONGAN = "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII".split()
_GOLONGAN_BY_KEY = {g.upper(): g for g in PNS_GOLONGAN} | {g: g for g in PPPK_GOLONGAN}
_GOLONGAN_KIND = {g: EmployeeKind.PNS for g in PNS_GOLONGAN} | {
    g: EmployeeKind.PPPK for g in PPPK_GOLONGAN
}

NIP_DIGITS = re.compile(r"[0-9]{18}")  # ASCII only: str.isdigit() also takes '²' and '٣'
DIGITS = re.compile(r"[0-9]+")
_NIP_LABEL = re.compile(r"^(?:NIP|NI\s*PPPK)(?![A-Z])\s*[.:]?\s*", re.IGNORECASE)
_NIP_SEPARATORS = re.compile(r"[\s.\-]+")
_GOLONGAN_LABEL = re.compile(r"^GOL(?:ONGAN)?(?![A-Z])\s*[.:]?\s*", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")


@dataclass(frozen=True)
class NipInfo:
    birth_date: date
    cpns_year: int  # PPPK: the year of appointment
    cpns_month: int | None  # PPPK: None (the number has no month)
    gender: str  # "L" (laki-laki) or "P" (perempuan)
    sequence: int
    kind: EmployeeKind = EmployeeKind.PNS
    contract: int | None = None  # PPPK: which contract (1-9)


def normalise_nip(raw: str) -> str:
    """A NIP as printed on an SK or a card -> its 18 digits: 'NIP. 19650812 199003 1 008'
    -> '196508121990031008'. Drops a leading 'NIP' / 'NIP.' / 'NIP:' / 'NI PPPK' label and
    the spaces, dots and hyphens between the groups; anything else stays, for parse_nip to
    refuse."""
    return _NIP_SEPARATORS.sub("", _NIP_LABEL.sub("", raw.strip()))


def parse_nip(nip: str, *, today: date) -> NipInfo | FieldError:
    """The 18-digit number of an ASN, already normalised (normalise_nip).

    PNS (NIP, PP 11/2017 and Peraturan BKN on the NIP): YYYYMMDD birth + YYYYMM CPNS
    appointment + G (1 male, 2 female) + NNN sequence (001-999).
    PPPK (NI PPPK, BKN): YYYYMMDD birth + YYYY appointment + '2' + the contract count (1-9)
    + G + NNN; digits 13-14 are 21…29 where a PNS number has its CPNS month."""
    if not NIP_DIGITS.fullmatch(nip):
        return FieldError.of("nip", OrgError.NIP_FORMAT)
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return FieldError.of("nip", OrgError.NIP_BIRTH_DATE, value=nip[0:8])
    if birth.year < 1940 or birth > today:
        return FieldError.of("nip", OrgError.NIP_BIRTH_DATE, value=birth)
    year, middle = int(nip[8:12]), nip[12:14]
    if middle[0] == "2" and middle[1] != "0":
        kind, month, contract = EmployeeKind.PPPK, None, int(middle[1])
        if year < FIRST_PPPK_YEAR or year > today.year or year - birth.year < MIN_PPPK_AGE:
            return FieldError.of("nip", OrgError.NIP_PPPK_DATE, year=str(year), birth=birth)
    else:
        kind, month, contract = EmployeeKind.PNS, int(middle), None
        if not 1 <= month <= 12:
            return FieldError.of("nip", NipMonthError.NIP_CPNS_MONTH, value=middle)
        months_at_appointment = (year * 12 + month) - (birth.year * 12 + birth.month)
        if months_at_appointment < MIN_CPNS_AGE * 12 or (year, month) > (today.year, today.month):
            return FieldError.of(
                "nip", OrgError.NIP_CPNS_DATE, value=f"{MONTHS[month - 1]} {year}", birth=birth
            )
    if nip[14] not in "12":
        return FieldError.of("nip", OrgError.NIP_GENDER)
    if nip[15:] == "000":
        return FieldError.of("nip", OrgError.NIP_SEQUENCE)
    return NipInfo(
        birth,
        year,
        month,
        "L" if nip[14] == "1" else "P",
        int(nip[15:]),
        kind=kind,
        contract=contract,
    )


def nip_kind(nip: str) -> EmployeeKind | None:
    """PNS or PPPK, read from a stored (valid) number; None when it is not one."""
    info = parse_nip(nip, today=date.max)
    return None if isinstance(info, FieldError) else info.kind


def normalise_golongan(value: str) -> str | None:
    """'iii/A' -> 'III/a', 'Gol. ix' -> 'IX'; None when it is neither a PNS golongan
    (I/a … IV/e) nor a PPPK one (I … XVII)."""
    key = _GOLONGAN_LABEL.sub("", value.strip()).upper().replace(" ", "")
    return _GOLONGAN_BY_KEY.get(key)


# Pangkat of the PNS golongan (PP 99/2000 as amended by PP 12/2002); PPPK have no pangkat.
PANGKAT = dict(
    zip(
        PNS_GOLONGAN,
        (
            "Juru Muda",
            "Juru Muda Tingkat I",
            "Juru",
            "Juru Tingkat I",
            "Pengatur Muda",
            "Pengatur Muda Tingkat I",
            "Pengatur",
            "Pengatur Tingkat I",
            "Penata Muda",
            "Penata Muda Tingkat I",
            "Penata",
            "Penata Tingkat I",
            "Pembina",
            "Pembina Tingkat I",
            "Pembina Utama Muda",
            "Pembina Utama Madya",
            "Pembina Utama",
        ),
        strict=True,
    )
)


def pangkat_golongan(golongan: str | None) -> str | None:
    """'III/a' -> 'Penata Muda (III/a)'; a PPPK grade -> 'Golongan IX'; None without one."""
    if not golongan:
        return None
    if golongan in PANGKAT:
        return f"{PANGKAT[golongan]} ({golongan})"
    return f"Golongan {golongan}"


def golongan_kind(golongan: str) -> EmployeeKind | None:
    """Whose scale a normalised golongan is on; 'I' … 'IV' alone are PPPK grades."""
    return _GOLONGAN_KIND.get(golongan)


def golongan_mismatch(golongan: str, kind: EmployeeKind) -> FieldError | None:
    """A PPPK grade on a PNS number or the other way round."""
    if golongan_kind(golongan) in (None, kind):
        return None
    scale = "I/a sampai IV/e" if kind is EmployeeKind.PNS else "I sampai XVII"
    return FieldError.of(
        "golongan", OrgError.GOLONGAN_KIND, value=golongan, kind=kind.value, scale=scale
    )


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


# Codes of the units an import creates: IMP-<the unit's id> (org/queries.py resolve_units).
# Reserved, so that a code chosen by hand never takes the one the import will give.
IMPORT_UNIT_CODE = re.compile(r"IMP-[0-9]", re.IGNORECASE)


def is_import_unit_code(code: str) -> bool:
    return IMPORT_UNIT_CODE.match(code.strip()) is not None


def guess_unit_kind(name: str, depth: int) -> str:
    """The kind of a unit created from an import path, from its name."""
    lowered = name.lower() + " "
    for prefix, kind in _KIND_BY_PREFIX:
        if lowered.startswith(prefix):
            return kind
    return "DINAS" if depth == 1 else "BIDANG"


# --- contact details (e-mail, phone) of a person reached through a relation ---------------


@dataclass(frozen=True)
class ContactScope:
    """Whose contacts a viewer sees on a person reached through a relation (someone's
    supervisor), rather than through the viewer's own scope: the region admin everyone's,
    anyone else only their own. Said once; `allows` applies it in Python, and
    `org.queries.contact_condition` in SQL (the compiled read path)."""

    everyone: bool
    only: int | None  # the viewer's own employee id, or None

    def allows(self, employee_id: int) -> bool:
        return self.everyone or (self.only is not None and self.only == employee_id)


def contact_scope(viewer: Actor | None) -> ContactScope:
    if viewer is None:
        return ContactScope(everyone=False, only=None)
    return ContactScope(everyone=viewer.has(Role.REGION_ADMIN), only=viewer.employee_id)
