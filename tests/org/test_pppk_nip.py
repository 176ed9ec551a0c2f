"""PPPK and NIP hygiene through the API (issue #18): the roster import and createEmployee
accept a PPPK number (NI PPPK: 21…29 where a PNS NIP has its CPNS month) with a PPPK grade
(I … XVII), accept a NIP as printed on an SK (spaces, a 'NIP.' label) and store it
normalised, refuse sequence 000 and grades of the other scale with typed errors naming the
field and the line; every employee's kind (PNS / PPPK) is read from the number."""

from __future__ import annotations

import itertools

from kinerja_saas.auth.roles import Role
from kinerja_saas.org.models import Employee
from tenants.context import tenant_transaction
from tests.factories import make_nip
from tests.org.test_import import csv_bytes, import_and_run, problems, row

ADMIN = Role.REGION_ADMIN
_seq = itertools.count(1)
CREATE = """mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) {
  employee { nip kind golongan } errors { field code message } } }"""
BY_NIP = """query($s: String!) { employees(first: 5, filter: {search: $s}) {
  edges { node { nip name kind golongan pangkat supervisor { nip } } } } }"""


def pppk(contract: int = 1, *, gender: str = "2") -> str:
    """An NI PPPK: born 1990-05-17, appointed 2022, contract `contract`."""
    return f"199005172022 2{contract}{gender}{next(_seq):03d}".replace(" ", "")


def printed(nip: str) -> str:
    """As printed on an SK: '19650812 199003 1 008'."""
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


async def _stored(region) -> dict[str, Employee]:
    async with tenant_transaction(region.id):
        return {e.nip: e for e in await Employee.filter(tenant_id=region.id)}


async def test_import_accepts_pppk_numbers_grades_and_nips_as_printed(api, region_a):
    boss, first_contract, second_contract = make_nip(), pppk(1), pppk(2, gender="1")
    job = await import_and_run(
        api,
        region_a,
        csv_bytes(
            row(f"NIP. {printed(boss)}", "Kepala PNS", "Dinas Uji", gol="IV/a"),
            row(first_contract, "Perawat PPPK", "Dinas Uji", atasan=printed(boss), gol="ix"),
            row(
                printed(second_contract),
                "Guru PPPK",
                "Dinas Uji",
                atasan=f"NIP.{boss}",
                gol="Gol. XVII",
            ),
        ),
    )
    assert job["status"] == "SUCCEEDED", job["problems"]
    stored = await _stored(region_a)
    assert {boss, first_contract, second_contract} <= set(stored)
    assert stored[first_contract].golongan == "IX"
    assert stored[second_contract].golongan == "XVII"
    assert stored[second_contract].supervisor_id == stored[boss].id
    # the kind, read from the number; a search with the printed NIP finds the person
    r = await api.as_role(region_a, ADMIN, BY_NIP, {"s": printed(second_contract)})
    assert [e["node"] for e in r.data["employees"]["edges"]] == [
        {
            "nip": second_contract,
            "name": "Guru PPPK",
            "kind": "PPPK",
            "golongan": "XVII",
            "pangkat": "Golongan XVII",
            "supervisor": {"nip": boss},
        }
    ]
    r = await api.as_role(region_a, ADMIN, BY_NIP, {"s": boss})
    node = r.data["employees"]["edges"][0]["node"]
    assert (node["kind"], node["pangkat"]) == ("PNS", "Pembina (IV/a)")


async def test_import_refuses_sequence_000_and_grades_of_the_other_scale(api, region_a):
    zero = make_nip()[:15] + "000"
    before = await _stored(region_a)
    job = await import_and_run(
        api,
        region_a,
        csv_bytes(
            row(make_nip(), "Benar", "Dinas Uji"),  # line 2
            row(zero, "Urut Nol", "Dinas Uji"),  # line 3
            row(pppk(), "PPPK Golongan PNS", "Dinas Uji", gol="III/a"),  # line 4
            row(make_nip(), "PNS Golongan PPPK", "Dinas Uji", gol="XI"),  # line 5
            row(pppk()[:12] + "20" + pppk()[14:], "Kontrak Nol", "Dinas Uji"),  # line 6
            row(make_nip(), "Golongan Asing", "Dinas Uji", gol="XVIII"),  # line 7
        ),
    )
    assert job["status"] == "FAILED"
    assert problems(job) == {
        (3, "nip", "NIP_SEQUENCE"),
        (4, "golongan", "GOLONGAN_KIND"),
        (5, "golongan", "GOLONGAN_KIND"),
        (6, "nip", "NIP_CPNS_DATE"),
        (7, "golongan", "INVALID"),
    }
    messages = {p["node"]["code"]: p["node"]["message"] for p in job["problems"]["edges"]}
    assert messages["NIP_SEQUENCE"] == "Nomor urut pada NIP (3 angka terakhir) tidak boleh 000."
    assert messages["GOLONGAN_KIND"] in {
        "Golongan III/a tidak berlaku untuk PPPK; golongan PPPK: I sampai XVII.",
        "Golongan XI tidak berlaku untuk PNS; golongan PNS: I/a sampai IV/e.",
    }
    assert await _stored(region_a) == before  # all or nothing


async def test_create_employee_normalises_the_nip_and_refuses_sequence_000(api, region_a):
    nip = make_nip()
    base = {"name": "Ani", "position": "Analis", "unitId": str(region_a.units["a"].id)}
    r = await api.as_role(
        region_a, ADMIN, CREATE, {"input": {**base, "nip": f"NIP. {printed(nip)}"}}
    )
    assert r.data["createEmployee"] == {
        "employee": {"nip": nip, "kind": "PNS", "golongan": None},
        "errors": [],
    }
    # the same person again, written differently, is the same NIP
    r = await api.as_role(region_a, ADMIN, CREATE, {"input": {**base, "nip": printed(nip)}})
    assert [(e["field"], e["code"]) for e in r.data["createEmployee"]["errors"]] == [
        ("nip", "DUPLICATE")
    ]
    number = pppk(3)
    r = await api.as_role(
        region_a, ADMIN, CREATE, {"input": {**base, "nip": number, "golongan": "vii"}}
    )
    assert r.data["createEmployee"]["employee"] == {
        "nip": number,
        "kind": "PPPK",
        "golongan": "VII",
    }
    for bad, field, code in (
        (make_nip()[:15] + "000", "nip", "NIP_SEQUENCE"),
        (pppk(), "golongan", "GOLONGAN_KIND"),
    ):
        r = await api.as_role(
            region_a, ADMIN, CREATE, {"input": {**base, "nip": bad, "golongan": "II/c"}}
        )
        assert r.data["createEmployee"]["employee"] is None
        assert [(e["field"], e["code"]) for e in r.data["createEmployee"]["errors"]] == [
            (field, code)
        ]
