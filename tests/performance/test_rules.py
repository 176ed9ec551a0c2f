"""Every cell of the predikat matrix, achievement in both directions with the cap, and the
thresholds at their boundaries."""

from decimal import Decimal as D
from itertools import combinations_with_replacement

import pytest

from kinerja_saas.indonesian import number
from kinerja_saas.performance.rules import (
    DISTRIBUTION_PATTERN,
    Direction,
    DistributionProblem,
    OrganisationRating,
    Predikat,
    Rating,
    Weighted,
    achievement,
    behaviour_rating,
    distribution_problems,
    is_low_performer,
    plan_achievement,
    predikat,
    proposed_result_rating,
)
from kinerja_saas.regions.settings import PerformanceSettings

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


PERF = PerformanceSettings()  # the defaults
ABOVE, EXPECTED = D(str(PERF.result_threshold_above)), D(str(PERF.result_threshold_expected))


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
    low = PERF.low_performer_predikat
    floor = D(str(PERF.low_indicator_floor))
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


# --- Behaviour rating (perilaku kerja) from the 7 BerAKHLAK values ---------------------------

SCORE = {A: 3, S: 2, B: 1}


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([A] * 4 + [S] * 3, A),  # mean 18/7 ≈ 2.57 ≥ 2.5
        ([A] * 3 + [S] * 4, S),  # mean 17/7 ≈ 2.43
        ([B] * 4 + [S] * 3, B),  # mean 10/7 ≈ 1.43 < 1.5
        ([B] * 3 + [S] * 4, S),  # mean 11/7 ≈ 1.57
        ([A] * 7, A),
        ([S] * 7, S),
        ([B] * 7, B),
        ([A] * 6 + [B], A),  # mean 19/7 ≈ 2.71
        ([A] * 5 + [B] * 2, S),  # mean 17/7 ≈ 2.43
        ([A] * 5 + [S, B], A),  # mean 18/7
        ([A] * 2 + [B] * 5, S),  # mean 11/7 ≈ 1.57
        ([A] + [B] * 6, B),  # mean 9/7 ≈ 1.29
        ([A, S, B, A, S, B, S], S),  # mean 2
        ([A, A, A, S, S, S, B], S),  # mean 16/7 ≈ 2.29
        ([S, S, B, B, B, B, B], B),  # mean 9/7
        ([S] * 6 + [B], S),  # mean 13/7 ≈ 1.86
        ([A, S], A),  # exactly 2.5 with an even count
        ([S, B], S),  # exactly 1.5
        ([A, B], S),  # exactly 2
        ([B], B),
    ],
)
def test_behaviour_rating_table(ratings, expected):
    assert behaviour_rating(ratings) == expected
    assert behaviour_rating(iter(ratings)) == expected  # any iterable, read once


def test_behaviour_rating_of_every_multiset_of_seven_values():
    combos = list(combinations_with_replacement(list(Rating), 7))
    assert len(combos) == 36
    seen = set()
    for combo in combos:
        total, n = sum(SCORE[r] for r in combo), len(combo)
        # Integer form of the rule: mean ≥ 5/2 → above, mean < 3/2 → below.
        if 2 * total >= 5 * n:
            expected = A
        elif 2 * total < 3 * n:
            expected = B
        else:
            expected = S
        assert behaviour_rating(combo) == expected, combo
        seen.add(expected)
    assert seen == set(Rating)


def test_behaviour_rating_needs_a_rating():
    with pytest.raises(ValueError):
        behaviour_rating([])


# --- Distribution pattern (kurva distribusi) of predikat per organisation rating -------------

SB, BK = Predikat.SANGAT_BAIK, Predikat.BAIK
BP, K, SK = Predikat.BUTUH_PERBAIKAN, Predikat.KURANG, Predikat.SANGAT_KURANG
Org = OrganisationRating


def test_the_pattern_covers_every_organisation_rating():
    assert set(DISTRIBUTION_PATTERN) == set(OrganisationRating)


@pytest.mark.parametrize(
    ("rating", "counts"),
    [
        (Org.ISTIMEWA, {SB: 6, BK: 3, BP: 1}),
        (Org.ISTIMEWA, {SB: 7, BK: 3}),  # exactly 70 %
        (Org.ISTIMEWA, {SB: 70, BK: 10, BP: 10, K: 5, SK: 5}),
        (Org.ISTIMEWA, {SB: 4, BK: 4, BP: 2}),  # a tie for the largest is still "most"
        (Org.BAIK, {SB: 2, BK: 6, BP: 1, K: 1}),
        (Org.BAIK, {BK: 7, K: 3}),  # exactly 70 %, KURANG alone is enough
        (Org.BAIK, {BK: 7, BP: 3}),  # BUTUH_PERBAIKAN alone is enough
        (Org.BAIK, {SB: 3, BK: 3, BP: 1, SK: 3}),  # ties for the largest
        (Org.BUTUH_PERBAIKAN, {BP: 6, BK: 3, SB: 1}),  # exactly 60 % and 10 %
        (Org.BUTUH_PERBAIKAN, {BP: 10}),
        (Org.KURANG, {K: 6, BP: 1, SB: 1, BK: 2}),  # exactly 60 %, 10 %, 10 %
        (Org.KURANG, {K: 9, BP: 1}),
        (Org.SANGAT_KURANG, {SK: 6, K: 1, BK: 3}),  # exactly 60 % and 10 %
        (Org.SANGAT_KURANG, {SK: 60, K: 5, BP: 5, BK: 30}),  # 10 % together
        (Org.SANGAT_KURANG, {SK: 9, BP: 1}),
    ],
)
def test_a_compliant_distribution_has_no_problems(rating, counts):
    assert distribution_problems(counts, rating) == []


MAX, MIN = "MAX_SHARE_EXCEEDED", "MIN_SHARE_MISSED"
REQUIRED, NOT_LARGEST, NOT_ALLOWED = "REQUIRED_MISSING", "NOT_LARGEST", "NOT_ALLOWED"

# (rating, counts, code, predikat, limit_pct, actual_pct): each breaks exactly one rule.
SINGLE_VIOLATIONS = [
    (Org.ISTIMEWA, {SB: 8, BK: 2}, MAX, (SB,), D(70), D("80.00")),
    (Org.ISTIMEWA, {SB: 71, BK: 29}, MAX, (SB,), D(70), D("71.00")),  # one over 70 %
    (
        Org.ISTIMEWA,
        {SB: 7001, BK: 3000},
        MAX,
        (SB,),
        D(70),
        D("70.00"),
    ),  # 70.003 %: exact, not rounded
    (Org.ISTIMEWA, {SB: 1}, MAX, (SB,), D(70), D("100.00")),
    (Org.ISTIMEWA, {SB: 3, BK: 4, BP: 3}, NOT_LARGEST, (SB,), None, D("30.00")),
    (Org.ISTIMEWA, {SB: 3, SK: 4, K: 3}, NOT_LARGEST, (SB,), None, D("30.00")),
    (Org.ISTIMEWA, {BK: 10}, NOT_LARGEST, (SB,), None, D("0.00")),
    (Org.BAIK, {BK: 8, BP: 2}, MAX, (BK,), D(70), D("80.00")),
    (Org.BAIK, {BK: 71, K: 29}, MAX, (BK,), D(70), D("71.00")),
    (Org.BAIK, {SB: 4, BK: 3, BP: 3}, NOT_LARGEST, (BK,), None, D("30.00")),
    (Org.BAIK, {SK: 4, BK: 3, K: 3}, NOT_LARGEST, (BK,), None, D("30.00")),
    (Org.BAIK, {SB: 2, BK: 6, SK: 2}, REQUIRED, (BP, K), None, D("0.00")),
    (Org.BUTUH_PERBAIKAN, {BP: 5, BK: 5}, MIN, (BP,), D(60), D("50.00")),
    (Org.BUTUH_PERBAIKAN, {BP: 59, BK: 41}, MIN, (BP,), D(60), D("59.00")),  # one under 60 %
    (Org.BUTUH_PERBAIKAN, {BP: 5999, BK: 4000}, MIN, (BP,), D(60), D("60.00")),  # 59.996 %
    (Org.BUTUH_PERBAIKAN, {BP: 6, SB: 2, BK: 2}, MAX, (SB,), D(10), D("20.00")),
    (Org.BUTUH_PERBAIKAN, {BP: 60, SB: 11, BK: 29}, MAX, (SB,), D(10), D("11.00")),  # one over
    (Org.BUTUH_PERBAIKAN, {BP: 2, SB: 1}, MAX, (SB,), D(10), D("33.33")),
    (Org.KURANG, {K: 5, BP: 2, BK: 3}, MIN, (K,), D(60), D("50.00")),
    (Org.KURANG, {K: 59, BP: 10, BK: 31}, MIN, (K,), D(60), D("59.00")),  # one under 60 %
    (Org.KURANG, {K: 7, BK: 3}, MIN, (BP,), D(10), D("0.00")),
    (Org.KURANG, {K: 60, BP: 9, BK: 31}, MIN, (BP,), D(10), D("9.00")),  # one under 10 %
    (Org.KURANG, {K: 28, BP: 1, BK: 3}, MIN, (BP,), D(10), D("3.13")),  # 3.125 rounds half up
    (Org.KURANG, {K: 6, BP: 1, SB: 2, BK: 1}, MAX, (SB,), D(10), D("20.00")),
    (Org.KURANG, {K: 60, BP: 10, SB: 11, BK: 19}, MAX, (SB,), D(10), D("11.00")),  # one over
    (Org.SANGAT_KURANG, {SK: 5, K: 1, BK: 4}, MIN, (SK,), D(60), D("50.00")),
    (Org.SANGAT_KURANG, {SK: 59, K: 10, BK: 31}, MIN, (SK,), D(60), D("59.00")),  # one under
    (Org.SANGAT_KURANG, {SK: 6, BK: 4}, MIN, (K, BP), D(10), D("0.00")),
    (Org.SANGAT_KURANG, {SK: 60, K: 5, BP: 4, BK: 31}, MIN, (K, BP), D(10), D("9.00")),
    (Org.SANGAT_KURANG, {SK: 6, K: 1, BK: 2, SB: 1}, NOT_ALLOWED, (SB,), D(0), D("10.00")),
    (Org.SANGAT_KURANG, {SK: 89, BP: 10, SB: 1}, NOT_ALLOWED, (SB,), D(0), D("1.00")),
]


def _summary(problems: list[DistributionProblem]):
    return [(p.code, p.predikat, p.limit_pct, p.actual_pct) for p in problems]


@pytest.mark.parametrize(
    ("rating", "counts", "code", "group", "limit", "actual"), SINGLE_VIOLATIONS
)
def test_each_rule_broken_alone_gives_exactly_its_problem(
    rating, counts, code, group, limit, actual
):
    assert _summary(distribution_problems(counts, rating)) == [(code, group, limit, actual)]


@pytest.mark.parametrize(
    ("rating", "counts", "code", "group", "limit", "actual"), SINGLE_VIOLATIONS
)
def test_every_message_gives_the_rule_and_the_share(rating, counts, code, group, limit, actual):
    [problem] = distribution_problems(counts, rating)
    assert f"saat ini {str(actual).replace('.', ',')}% (" in problem.message
    assert f"dari {number(sum(counts.values()))})." in problem.message
    if limit is not None:
        assert f"{limit}%" in problem.message
    assert all(p.value in problem.message for p in group)


@pytest.mark.parametrize(
    ("rating", "counts", "message"),
    [
        (
            Org.BAIK,
            {BK: 8, BP: 2},
            "Paling banyak 70% boleh berpredikat BAIK; saat ini 80,00% (8 dari 10).",
        ),
        (
            Org.BUTUH_PERBAIKAN,
            {BP: 5, BK: 5},
            "Paling sedikit 60% harus berpredikat BUTUH_PERBAIKAN; saat ini 50,00% (5 dari 10).",
        ),
        (
            Org.SANGAT_KURANG,
            {SK: 60, K: 5, BP: 4, BK: 31},
            "Paling sedikit 10% harus berpredikat KURANG dan BUTUH_PERBAIKAN bersama-sama;"
            " saat ini 9,00% (9 dari 100).",
        ),
        (
            Org.BAIK,
            {SB: 2, BK: 6, SK: 2},
            "Paling sedikit satu pegawai harus berpredikat BUTUH_PERBAIKAN atau KURANG;"
            " saat ini 0,00% (0 dari 10).",
        ),
        (
            Org.ISTIMEWA,
            {SB: 3, BK: 4, BP: 3},
            "Sebagian besar pegawai harus berpredikat SANGAT_BAIK, tetapi BAIK lebih banyak;"
            " saat ini 30,00% (3 dari 10).",
        ),
        (
            Org.SANGAT_KURANG,
            {SK: 6, K: 1, BK: 2, SB: 1},
            "Tidak boleh ada pegawai berpredikat SANGAT_BAIK; saat ini 10,00% (1 dari 10).",
        ),
    ],
)
def test_the_message_of_each_kind_of_problem(rating, counts, message):
    [problem] = distribution_problems(counts, rating)
    assert problem.message == message


@pytest.mark.parametrize(
    ("rating", "counts", "expected"),
    [
        (
            Org.SANGAT_KURANG,
            {SB: 10},
            [
                (MIN, (SK,), D(60), D("0.00")),
                (MIN, (K, BP), D(10), D("0.00")),
                (NOT_ALLOWED, (SB,), D(0), D("100.00")),
            ],
        ),
        (
            Org.KURANG,
            {SB: 10},
            [
                (MIN, (K,), D(60), D("0.00")),
                (MIN, (BP,), D(10), D("0.00")),
                (MAX, (SB,), D(10), D("100.00")),
            ],
        ),
        (
            Org.BUTUH_PERBAIKAN,
            {SB: 10},
            [(MIN, (BP,), D(60), D("0.00")), (MAX, (SB,), D(10), D("100.00"))],
        ),
        (
            Org.BAIK,
            {SB: 10},
            [(NOT_LARGEST, (BK,), None, D("0.00")), (REQUIRED, (BP, K), None, D("0.00"))],
        ),
        (
            Org.BAIK,
            {BK: 10},
            [(MAX, (BK,), D(70), D("100.00")), (REQUIRED, (BP, K), None, D("0.00"))],
        ),
        (
            Org.ISTIMEWA,
            {SB: 4, BK: 5, K: 1},
            [(NOT_LARGEST, (SB,), None, D("40.00"))],
        ),
    ],
)
def test_several_problems_come_in_the_order_of_the_pattern(rating, counts, expected):
    assert _summary(distribution_problems(counts, rating)) == expected


@pytest.mark.parametrize("rating", list(OrganisationRating))
def test_nobody_rated_means_no_problems(rating):
    assert distribution_problems({}, rating) == []
    assert distribution_problems(dict.fromkeys(Predikat, 0), rating) == []


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        distribution_problems({BK: 5, BP: -1}, Org.BAIK)
