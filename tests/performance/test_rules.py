"""Every cell of the predikat matrix, achievement in both directions with the cap, and the
thresholds at their boundaries."""

from decimal import Decimal as D

import pytest

from kinerja_saas.performance.rules import (
    Direction,
    Predikat,
    Rating,
    Weighted,
    achievement,
    is_low_performer,
    plan_achievement,
    predikat,
    proposed_result_rating,
)
from tenants.defaults import DEFAULT_SETTINGS

HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
CAP = D(120)


@pytest.mark.parametrize(
    ("target", "realisation", "direction", "expected"),
    [
        (D(100), D(80), HIGHER, D("80.00")),
        (D(100), D(100), HIGHER, D("100.00")),
        (D(100), D(115), HIGHER, D("115.00")),
        (D(100), D(150), HIGHER, D("120.00")),  # capped
        (D(3), D(2), HIGHER, D("66.67")),  # rounded half up
        (D(30), D(30), LOWER, D("100.00")),  # 30 minutes waiting, target 30
        (D(30), D(40), LOWER, D("75.00")),  # slower than target
        (D(30), D(20), LOWER, D("120.00")),  # faster: 150 %, capped
        (D(30), D(27), LOWER, D("111.11")),
        (D(30), D(0), LOWER, D("120.00")),  # no waiting at all
        (D(100), D(0), HIGHER, D("0.00")),
    ],
)
def test_achievement_in_both_directions_with_the_cap(target, realisation, direction, expected):
    assert (
        achievement(target=target, realisation=realisation, direction=direction, cap=CAP)
        == expected
    )


def test_the_cap_is_the_regions():
    assert achievement(target=D(10), realisation=D(20), direction=HIGHER, cap=D(150)) == D("150.00")
    assert achievement(target=D(10), realisation=D(20), direction=HIGHER, cap=D(100)) == D("100.00")


@pytest.mark.parametrize(("target", "realisation"), [(D(0), D(5)), (D(-1), D(5)), (D(5), D(-1))])
def test_impossible_inputs_are_refused(target, realisation):
    with pytest.raises(ValueError):
        achievement(target=target, realisation=realisation, direction=HIGHER, cap=CAP)


def test_plan_achievement_is_the_weighted_mean():
    items = [Weighted(D("120.00"), D(50)), Weighted(D("80.00"), D(30)), Weighted(D("50.00"), D(20))]
    assert plan_achievement(items) == D("94.00")  # (6000 + 2400 + 1000) / 100
    assert plan_achievement([Weighted(D("66.67"), D(1)), Weighted(D("66.66"), D(2))]) == D("66.66")
    with pytest.raises(ValueError):
        plan_achievement([])
    with pytest.raises(ValueError):
        plan_achievement([Weighted(D(100), D(0))])


PERF = DEFAULT_SETTINGS["performance"]
ABOVE, EXPECTED = D(str(PERF["result_threshold_above"])), D(str(PERF["result_threshold_expected"]))


@pytest.mark.parametrize(
    ("value", "rating"),
    [
        (D("120.00"), Rating.DI_ATAS_EKSPEKTASI),
        (D("110.00"), Rating.DI_ATAS_EKSPEKTASI),  # ≥ 110 %
        (D("109.99"), Rating.SESUAI_EKSPEKTASI),
        (D("80.00"), Rating.SESUAI_EKSPEKTASI),  # ≥ 80 %
        (D("79.99"), Rating.DI_BAWAH_EKSPEKTASI),
        (D("0.00"), Rating.DI_BAWAH_EKSPEKTASI),
    ],
)
def test_proposed_result_rating_at_the_default_boundaries(value, rating):
    assert proposed_result_rating(value, above=ABOVE, expected=EXPECTED) == rating


B, S, A = Rating.DI_BAWAH_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI, Rating.DI_ATAS_EKSPEKTASI


@pytest.mark.parametrize(
    ("behaviour", "result", "expected"),
    [
        (A, B, Predikat.BUTUH_PERBAIKAN),
        (A, S, Predikat.BAIK),
        (A, A, Predikat.SANGAT_BAIK),
        (S, B, Predikat.BUTUH_PERBAIKAN),
        (S, S, Predikat.BAIK),
        (S, A, Predikat.BAIK),
        (B, B, Predikat.SANGAT_KURANG),
        (B, S, Predikat.KURANG),
        (B, A, Predikat.KURANG),
    ],
)
def test_every_cell_of_the_predikat_matrix(behaviour, result, expected):
    assert predikat(behaviour=behaviour, result=result) == expected


def test_low_performer_by_predikat_or_by_a_weak_indicator():
    low = PERF["low_performer_predikat"]
    floor = D(str(PERF["low_indicator_floor"]))
    for p in Predikat:
        expected = p in (Predikat.BUTUH_PERBAIKAN, Predikat.KURANG, Predikat.SANGAT_KURANG)
        assert (
            is_low_performer(
                predikat_=p,
                indicator_achievements=[D(100)],
                low_predikat=low,
                indicator_floor=floor,
            )
            is expected
        )
    assert is_low_performer(
        predikat_=Predikat.BAIK,
        indicator_achievements=[D(100), D("59.99")],
        low_predikat=low,
        indicator_floor=floor,
    )
    assert not is_low_performer(
        predikat_=Predikat.BAIK,
        indicator_achievements=[D("60.00")],
        low_predikat=low,
        indicator_floor=floor,
    )
    # A region that counts only KURANG and SANGAT_KURANG as low.
    assert not is_low_performer(
        predikat_=Predikat.BUTUH_PERBAIKAN,
        indicator_achievements=[],
        low_predikat=["KURANG", "SANGAT_KURANG"],
        indicator_floor=floor,
    )
