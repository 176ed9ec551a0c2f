"""The IKM formula, bands and Krejcie-Morgan sample sizes (pure rules, no database)."""

from decimal import Decimal
from fractions import Fraction

import pytest

from kinerja_saas.surveys import rules

# A worked example in the layout of the regulation's tabulation sheet (lampiran
# PermenPANRB 14/2017): one row per respondent, one column per element U1..U9.
WORKSHEET = [
    (4, 3, 3, 4, 3, 3, 4, 3, 3),
    (3, 3, 2, 4, 3, 3, 3, 2, 3),
    (4, 4, 3, 4, 4, 4, 4, 3, 4),
    (3, 2, 2, 4, 3, 3, 3, 2, 3),
    (3, 3, 3, 4, 3, 4, 4, 3, 3),
]


def test_worked_example_computed_by_hand():
    # By hand: Σ per element 17 15 13 20 16 17 18 13 16 (total 145 = 30+26+34+25+30);
    # NRR = Σ/5: 3.4 3.0 2.6 4.0 3.2 3.4 3.6 2.6 3.2; Σ NRR = 29.0;
    # IKM = 29.0/9 = 3.2222…; × 25 = 80.5555… → 80.56, band B (Baik).
    sums = [sum(col) for col in zip(*WORKSHEET, strict=True)]
    assert sums == [17, 15, 13, 20, 16, 17, 18, 13, 16]
    values = rules.nrrs(sums, len(WORKSHEET))
    assert [float(v) for v in values] == [3.4, 3.0, 2.6, 4.0, 3.2, 3.4, 3.6, 2.6, 3.2]
    assert rules.weighted_nrr(values[0]) == Fraction(34, 90)
    ikm = rules.ikm(values)
    assert ikm == Fraction(29, 9)
    assert rules.converted(ikm) == Decimal("80.56")
    band = rules.band(rules.converted(ikm))
    assert (band.grade, band.label) == ("B", "Baik")


def test_regulation_style_weighting_by_0_111_is_only_an_approximation():
    """The regulation's sheet multiplies each NRR by 0.111 (≈ 1/9); we keep 1/9 exactly,
    which is within the rounding of the sheet."""
    values = rules.nrrs([17, 15, 13, 20, 16, 17, 18, 13, 16], 5)
    sheet = sum(Decimal(str(float(v))) * Decimal("0.111") for v in values) * 25
    assert sheet == Decimal("80.475")
    assert abs(rules.converted(rules.ikm(values)) - sheet) < Decimal("0.1")


@pytest.mark.parametrize(
    ("value", "grade", "label"),
    [
        ("100.00", "A", "Sangat Baik"),
        ("88.31", "A", "Sangat Baik"),
        ("88.30", "B", "Baik"),
        ("76.61", "B", "Baik"),
        ("76.60", "C", "Kurang Baik"),
        ("65.00", "C", "Kurang Baik"),
        ("64.99", "D", "Tidak Baik"),
        ("25.00", "D", "Tidak Baik"),
    ],
)
def test_band_boundaries(value, grade, label):
    band = rules.band(Decimal(value))
    assert (band.grade, band.label) == (grade, label)


def test_extremes_and_rounding_half_up():
    assert rules.converted(rules.ikm(rules.nrrs([4] * 9, 1))) == Decimal("100.00")
    assert rules.converted(rules.ikm(rules.nrrs([1] * 9, 1))) == Decimal("25.00")
    # An IKM of 3.0642 converts to exactly 76.605: half up gives 76.61, band B.
    assert rules.converted(Fraction(30642, 10000)) == Decimal("76.61")  # half up, band B
    assert rules.band(rules.converted(Fraction(30642, 10000))).grade == "B"
    assert rules.converted(Fraction(30638, 10000)) == Decimal("76.60")  # 76.595 → 76.60, C


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        rules.nrrs([1] * 8, 1)
    with pytest.raises(ValueError):
        rules.nrr(3, 0)
    with pytest.raises(ValueError):
        rules.ikm([Fraction(1)] * 10)


def test_valid_answer():
    assert all(rules.valid_answer(v) for v in (1, 2, 3, 4))
    assert not any(rules.valid_answer(v) for v in (0, 5, -1, 2.5, "3", None, True))


@pytest.mark.parametrize(
    ("population", "sample"),
    # The published Krejcie-Morgan table.
    [
        (0, 0),
        (1, 1),
        (10, 10),
        (50, 44),
        (100, 80),
        (200, 132),
        (500, 217),
        (1000, 278),
        (5000, 357),
        (10000, 370),
        (100000, 383),
        (1000000, 384),
    ],
)
def test_krejcie_morgan_matches_the_published_table(population, sample):
    assert rules.krejcie_morgan(population) == sample


def test_band_sql_mirrors_the_bands():
    sql = rules.band_sql("x")
    assert sql == (
        "CASE WHEN x >= 88.31 THEN 'A' WHEN x >= 76.61 THEN 'B' WHEN x >= 65.00 THEN 'C' ELSE 'D' END"
    )


def test_band_dropped():
    assert rules.band_dropped("B", "C")
    assert rules.band_dropped("A", "D")
    assert not rules.band_dropped("C", "B")
    assert not rules.band_dropped("B", "B")
    assert not rules.band_dropped(None, "D")
