from datetime import date

import pytest

from kinerja_saas.errors import FieldError
from kinerja_saas.org.rules import (
    EmployeeKind,
    NipInfo,
    golongan_mismatch,
    normalise_golongan,
    normalise_nip,
    pangkat_golongan,
    parse_nip,
    valid_email,
    valid_phone,
)

TODAY = date(2026, 11, 23)


def test_valid_nip_is_parsed():
    info = parse_nip("198503152010011002", today=TODAY)
    assert info == NipInfo(date(1985, 3, 15), 2010, 1, "L", 2)
    assert parse_nip("199001012015022001", today=TODAY).gender == "P"


@pytest.mark.parametrize(
    ("nip", "code"),
    [
        ("19850315201001100", "NIP_FORMAT"),  # 17 digits
        ("1985031520100110021", "NIP_FORMAT"),  # 19 digits
        ("19850315201001100A", "NIP_FORMAT"),
        ("198502302010011002", "NIP_BIRTH_DATE"),  # 30 February
        ("198513152010011002", "NIP_BIRTH_DATE"),  # month 13
        ("193001012010011002", "NIP_BIRTH_DATE"),  # before 1940
        ("203001012050011002", "NIP_BIRTH_DATE"),  # born in the future
        ("198503152010131002", "NIP_CPNS_DATE"),  # CPNS month 13
        ("198503152010001002", "NIP_CPNS_DATE"),  # CPNS month 00
        ("198503152000011002", "NIP_CPNS_DATE"),  # appointed at 14
        ("198503152030011002", "NIP_CPNS_DATE"),  # appointed in the future
        ("198503152010013002", "NIP_GENDER"),
        ("198503152010010002", "NIP_GENDER"),
        ("198503152010011000", "NIP_SEQUENCE"),  # sequence 000
        ("199005172022211000", "NIP_SEQUENCE"),  # also for PPPK
        ("199005172022201001", "NIP_CPNS_DATE"),  # '20': neither a month nor a contract
        ("199005172018211001", "NIP_PPPK_DATE"),  # PPPK before 2019
        ("200505172022211001", "NIP_PPPK_DATE"),  # PPPK appointed at 17
        ("199005172027211001", "NIP_PPPK_DATE"),  # appointed next year
    ],
)
def test_invalid_nip_names_the_problem(nip, code):
    result = parse_nip(nip, today=TODAY)
    assert isinstance(result, FieldError)
    assert (result.field, result.code) == ("nip", code)


def test_cpns_at_exactly_eighteen_is_allowed():
    assert isinstance(parse_nip("200005012018051001", today=TODAY), NipInfo)
    assert isinstance(parse_nip("200005012018041001", today=TODAY), FieldError)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("III/a", "III/a"),
        ("iii/A", "III/a"),
        (" IV/e ", "IV/e"),
        ("I/d", "I/d"),
        ("IV/f", None),
        ("V/a", None),
        ("III", "III"),  # a PPPK grade (Perpres 98/2020: I … XVII)
        ("xvii", "XVII"),
        ("Gol. ix", "IX"),
        ("XVIII", None),
        ("IIII", None),
        ("", None),
    ],
)
def test_golongan(raw, expected):
    assert normalise_golongan(raw) == expected


def test_contact_checks():
    assert valid_email("a.b@dinas.go.id") and not valid_email("a@b") and not valid_email("a b@c.id")
    assert valid_phone("081234567890") and valid_phone("+62 812-3456-7890")
    assert not valid_phone("12") and not valid_phone("0812abc")


@pytest.mark.parametrize("nip", ["19850315201001100²", "١٩٨٥٠٣١٥٢٠١٠٠١١٠٠٢"])
def test_only_ascii_digits_make_a_nip(nip):
    result = parse_nip(nip, today=TODAY)
    assert isinstance(result, FieldError) and result.code == "NIP_FORMAT"


def test_a_pppk_number_has_21_to_29_where_a_pns_nip_has_its_cpns_month():
    info = parse_nip("199005172022232004", today=TODAY)
    assert info == NipInfo(
        date(1990, 5, 17), 2022, None, "P", 4, kind=EmployeeKind.PPPK, contract=3
    )
    assert parse_nip("198503152010011002", today=TODAY).kind is EmployeeKind.PNS
    for contract in range(1, 10):
        assert parse_nip(f"1990051720222{contract}1001", today=TODAY).contract == contract


@pytest.mark.parametrize(
    "raw",
    [
        "19650812 199003 1 008",  # as printed on an SK
        "NIP. 19650812 199003 1 008",
        "NIP 19650812 199003 1 008",
        "nip:196508121990031008",
        "NIP.196508121990031008",
        "1965.0812.199003.1.008",
        " 19650812-199003-1-008 ",
        "19650812\u00a0199003\u00a01\u00a0008",  # non-breaking spaces from a word processor
    ],
)
def test_a_nip_as_printed_is_normalised(raw):
    assert normalise_nip(raw) == "196508121990031008"


def test_normalising_keeps_what_is_not_a_separator_for_parse_nip_to_refuse():
    assert normalise_nip("NIPX 1965") == "NIPX1965"
    assert normalise_nip("19650812/199003") == "19650812/199003"


def test_grades_of_the_other_scale_are_named():
    assert golongan_mismatch("III/a", EmployeeKind.PNS) is None
    assert golongan_mismatch("IX", EmployeeKind.PPPK) is None
    assert golongan_mismatch("III/a", EmployeeKind.PPPK).code == "GOLONGAN_KIND"
    assert golongan_mismatch("IX", EmployeeKind.PNS).field == "golongan"


def test_pangkat_is_shown_with_the_golongan():
    assert pangkat_golongan("III/a") == "Penata Muda (III/a)"
    assert pangkat_golongan("IV/e") == "Pembina Utama (IV/e)"
    assert pangkat_golongan("I/a") == "Juru Muda (I/a)"
    assert pangkat_golongan("IX") == "Golongan IX"  # PPPK: no pangkat
    assert pangkat_golongan(None) is None
