"""The result rating as PermenPANRB 6/2022 states it (DESIGN §2), one table row per wording
of the rule, and the result of one work result judged through its indicators. Pure rules."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kinerja_saas.performance.rules import (
    Rating,
    ResultKind,
    ResultLevel,
    Weighted,
    result_level,
    result_rating_by_regulation,
)

ATAS, SESUAI, BAWAH = (
    Rating.DI_ATAS_EKSPEKTASI,
    Rating.SESUAI_EKSPEKTASI,
    Rating.DI_BAWAH_EKSPEKTASI,
)
U, T = ResultKind.UTAMA, ResultKind.TAMBAHAN


def plan(utama: str, tambahan: str = "") -> list[ResultLevel]:
    """'AAS' -> three UTAMA results: above, above, meets (A above, S meets, B below)."""
    level = {"A": ATAS, "S": SESUAI, "B": BAWAH}
    return [ResultLevel(U, level[c]) for c in utama] + [ResultLevel(T, level[c]) for c in tambahan]


RULES = [
    # --- "Di Atas Ekspektasi: sebagian besar atau seluruh hasil kerja di atas ekspektasi
    #      dan tidak ada hasil kerja utama di bawah ekspektasi"
    ("seluruh hasil kerja di atas ekspektasi", "AAA", "", ATAS),
    ("sebagian besar hasil kerja utama di atas ekspektasi, sisanya sesuai", "AAS", "", ATAS),
    ("satu hasil kerja utama di atas ekspektasi", "A", "", ATAS),
    ("separuh di atas bukan sebagian besar", "AS", "", SESUAI),
    ("sebagian besar di atas tetapi ada hasil kerja utama di bawah ekspektasi", "AAAB", "", SESUAI),
    ("hasil kerja tambahan menaikkan: sebagian besar seluruh hasil di atas", "AS", "A", ATAS),
    ("hasil kerja tambahan menaikkan dari sesuai ke di atas", "SS", "AAA", ATAS),
    (
        "hasil kerja tambahan tidak menutup hasil kerja utama di bawah ekspektasi",
        "B",
        "AAAA",
        BAWAH,
    ),
    ("tambahan di atas tidak menutup satu utama di bawah untuk di atas", "AAB", "AAAA", SESUAI),
    # --- "Sesuai Ekspektasi: sebagian besar atau seluruh hasil kerja sesuai ekspektasi,
    #      hanya sebagian kecil hasil kerja utama di bawah ekspektasi"
    ("seluruh hasil kerja sesuai ekspektasi", "SSS", "", SESUAI),
    ("sebagian kecil hasil kerja utama di bawah ekspektasi", "SSB", "", SESUAI),
    ("sebagian kecil: dua dari lima hasil kerja utama di bawah", "SSSBB", "", SESUAI),
    ("hasil kerja tambahan di bawah ekspektasi tidak menurunkan", "SS", "BBBBB", SESUAI),
    ("hasil kerja tambahan di bawah tidak menurunkan di atas", "AA", "BBB", ATAS),
    # --- "Di Bawah Ekspektasi: selain itu" (sebagian besar hasil kerja utama di bawah)
    ("seluruh hasil kerja utama di bawah ekspektasi", "BBB", "", BAWAH),
    ("sebagian besar hasil kerja utama di bawah ekspektasi", "SBB", "", BAWAH),
    ("separuh hasil kerja utama di bawah bukan sebagian kecil", "SB", "", BAWAH),
    ("hasil kerja utama 70 persen di samping tambahan 120 persen", "B", "A", BAWAH),
    # --- a plan with only TAMBAHAN results is judged on them as if they were UTAMA
    ("tanpa hasil kerja utama: seluruh tambahan di atas", "", "AA", ATAS),
    ("tanpa hasil kerja utama: tambahan di bawah", "", "BS", BAWAH),
]


@pytest.mark.parametrize(
    ("wording", "utama", "tambahan", "expected"), RULES, ids=[r[0] for r in RULES]
)
def test_result_rating_by_permenpanrb_6_2022(wording, utama, tambahan, expected):
    assert result_rating_by_regulation(plan(utama, tambahan)) is expected


def test_the_order_of_the_results_does_not_matter():
    levels = plan("ASB", "AB")
    assert result_rating_by_regulation(levels) is result_rating_by_regulation(levels[::-1])


def test_no_judged_result_is_refused():
    with pytest.raises(ValueError):
        result_rating_by_regulation([])


THRESHOLDS = {"above": D(110), "expected": D(80)}


@pytest.mark.parametrize(
    ("indicators", "expected"),
    [
        ([(D(110), D(1))], ATAS),  # ">= 110 % di atas ekspektasi"
        ([(D("109.99"), D(1))], SESUAI),
        ([(D(80), D(1))], SESUAI),  # ">= 80 % sesuai ekspektasi"
        ([(D("79.99"), D(1))], BAWAH),
        # several indicators of one result: their mean by their weights ...
        ([(D(120), D(30)), (D(70), D(10))], SESUAI),  # 107.5
        ([(D(120), D(10)), (D(70), D(30))], SESUAI),  # 82.5
        ([(D(120), D(3)), (D(100), D(1))], ATAS),  # 115
        ([(D(90), D(1)), (D(60), D(3))], BAWAH),  # 67.5
        # ... and equal weights when they are all zero
        ([(D(120), D(0)), (D(40), D(0))], SESUAI),  # 80
    ],
)
def test_a_work_result_is_judged_through_its_indicators(indicators, expected):
    items = [Weighted(achievement=a, weight=w) for a, w in indicators]
    assert result_level(items, **THRESHOLDS) is expected


def test_a_result_without_indicators_is_not_judged():
    assert result_level([], **THRESHOLDS) is None
