from datetime import date

import pytest

from kinerja_saas.errors import FieldError
from kinerja_saas.org.rules import NipInfo, normalise_golongan, parse_nip, valid_email, valid_phone

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
        ("III", None),
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
