"""The pure matching rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kinerja_saas.regions.defaults import BERAKHLAK, PREDIKAT, TRAINING_RULES
from kinerja_saas.training import rules
from kinerja_saas.training.rules import Outcome, Programme, Rule

FLOOR = Decimal(60)
# The starter rules, with competencies numbered by code.
CODES = sorted({code for _, _, code, _ in TRAINING_RULES})
STARTER = [
    Rule(i, trigger, value, CODES.index(code), priority)
    for i, (trigger, value, code, priority) in enumerate(TRAINING_RULES, 1)
]
# One programme per competency, id = 100 + competency.
PROGRAMMES = [Programme(100 + c, frozenset({c})) for c in range(len(CODES))]


def outcome(predikat=None, weak=(), indicators=()) -> Outcome:
    return Outcome(
        predikat=predikat,
        behaviour_ratings={
            code: "DI_BAWAH_EKSPEKTASI" if code in weak else "SESUAI_EKSPEKTASI"
            for code, _, _ in BERAKHLAK
        },
        indicators=[(a, Decimal(v)) for a, v in indicators],
    )


@pytest.mark.parametrize("predikat", PREDIKAT)
def test_each_predikat(predikat):
    hits = rules.matching_rules(outcome(predikat), STARTER, indicator_floor=FLOOR)
    expected = [r for r in STARTER if r.trigger == "PREDIKAT" and r.trigger_value == predikat]
    assert hits == expected
    assert bool(hits) == (predikat in ("BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"))


@pytest.mark.parametrize("code", [c for c, _, _ in BERAKHLAK])
def test_each_weak_behaviour_value(code):
    hits = rules.matching_rules(outcome("BAIK", weak=(code,)), STARTER, indicator_floor=FLOOR)
    assert [(r.trigger, r.trigger_value) for r in hits] == [("WEAK_BEHAVIOUR", code)]


@pytest.mark.parametrize("aspect", ["KUANTITAS", "KUALITAS", "WAKTU"])
def test_weak_result_by_aspect_under_the_floor_only(aspect):
    under = outcome("BAIK", indicators=[(aspect, "59.99"), ("BIAYA", "10")])
    hits = rules.matching_rules(under, STARTER, indicator_floor=FLOOR)
    assert [(r.trigger, r.trigger_value) for r in hits] == [("WEAK_RESULT", aspect)]
    at_floor = outcome("BAIK", indicators=[(aspect, "60")])
    assert rules.matching_rules(at_floor, STARTER, indicator_floor=FLOOR) == []


def test_inactive_rules_never_match_and_priority_orders():
    rs = [
        Rule(1, "PREDIKAT", "KURANG", 1, 50),
        Rule(2, "WEAK_BEHAVIOUR", "LOYAL", 2, 10),
        Rule(3, "PREDIKAT", "KURANG", 3, 5, is_active=False),
        Rule(4, "PREDIKAT", "KURANG", 4, 50),
    ]
    hits = rules.matching_rules(outcome("KURANG", weak=("LOYAL",)), rs, indicator_floor=FLOOR)
    assert [r.id for r in hits] == [2, 1, 4]


def test_best_programme_pinned_then_most_focused():
    rule = Rule(1, "PREDIKAT", "KURANG", 7, 10)
    broad = Programme(1, frozenset({7, 8, 9}))
    focused = Programme(2, frozenset({7}))
    other = Programme(3, frozenset({8}))
    assert rules.best_programme(rule, [broad, focused, other]) == 2
    pinned = Rule(1, "PREDIKAT", "KURANG", 7, 10, programme_id=3)
    assert rules.best_programme(pinned, [broad, focused, other]) == 3
    # an inactive pinned programme falls back to the competency's
    assert rules.best_programme(pinned, [broad, focused, Programme(3, frozenset(), False)]) == 2
    assert rules.best_programme(rule, [other]) is None
    tie = [Programme(9, frozenset({7})), Programme(4, frozenset({7}))]
    assert rules.best_programme(rule, tie) == 4


def test_choose_distinct_programmes_up_to_the_limit():
    o = outcome("KURANG", weak=("ADAPTIF", "BERORIENTASI_PELAYANAN", "KOMPETEN"))
    chosen = rules.choose(o, STARTER, PROGRAMMES, indicator_floor=FLOOR)
    # SK-PELAYANAN (10), then KURANG/MJ-MASALAH and KOMPETEN/TK-TIK (20, by rule id)
    assert [c.rule.trigger_value for c in chosen] == ["BERORIENTASI_PELAYANAN", "KURANG"]
    assert len({c.programme_id for c in chosen}) == 2
    # the same programme twice counts once: ADAPTIF also points at MJ-MASALAH
    one = rules.choose(
        outcome("KURANG", weak=("ADAPTIF",)), STARTER, PROGRAMMES, indicator_floor=FLOOR, limit=5
    )
    assert [c.rule.trigger_value for c in one] == ["KURANG"]
    assert rules.choose(outcome("BAIK"), STARTER, PROGRAMMES, indicator_floor=FLOOR) == []


def test_rules_without_a_programme_are_skipped():
    o = outcome("SANGAT_KURANG", weak=("KOLABORATIF",))
    only_comm = [p for p in PROGRAMMES if CODES[p.id - 100] == "SK-KOMUNIKASI"]
    chosen = rules.choose(o, STARTER, only_comm, indicator_floor=FLOOR)
    assert [c.rule.trigger_value for c in chosen] == ["KOLABORATIF"]


@pytest.mark.parametrize(
    ("rank", "expected"),
    [(1, (10, None)), (2, (10, None)), (3, (11, None)), (4, (None, 4)), (6, (None, 6))],
)
def test_place_fills_batches_then_the_waiting_list(rank, expected):
    seat = rules.place(rank, [(10, 2), (12, 0), (11, 1)], waiting_before=3)
    assert (seat.batch_id, seat.waiting_position) == expected


def test_place_with_no_batch_and_bad_rank():
    assert rules.place(1, [], waiting_before=0) == rules.Seat(None, 1)
    assert rules.place(1, [(1, -3)], waiting_before=0) == rules.Seat(None, 1)
    with pytest.raises(ValueError):
        rules.place(0, [], waiting_before=0)


def test_batch_problems_and_jp_shortfall():
    d = date(2026, 5, 1)
    assert rules.batch_problems(starts_on=d, ends_on=d, capacity=1) == []
    codes = [
        p.code for p in rules.batch_problems(starts_on=d, ends_on=date(2026, 4, 30), capacity=0)
    ]
    assert codes == ["DATES_REVERSED", "OUT_OF_RANGE"]
    assert rules.jp_shortfall(12, 20) == 8
    assert rules.jp_shortfall(24, 20) == 0


def test_predikat_change_and_effect():
    assert rules.predikat_change("KURANG", "BAIK") == 2
    assert rules.predikat_change("BAIK", "BAIK") == 0
    assert rules.predikat_change("SANGAT_BAIK", "KURANG") == -3
    assert rules.predikat_change(None, "BAIK") is None
    e = rules.effect(
        [
            ("KURANG", "BAIK", Decimal("55"), Decimal("85")),
            ("BUTUH_PERBAIKAN", "BUTUH_PERBAIKAN", Decimal("70"), Decimal("75")),
            ("SANGAT_KURANG", "KURANG", None, Decimal("60")),
            ("BAIK", "KURANG", Decimal("90"), Decimal("50")),
        ],
        completed=6,
    )
    assert (e.completed, e.followed_up, e.improved, e.unchanged, e.worsened) == (6, 4, 2, 1, 1)
    assert e.improvement_rate == Decimal("50.00")
    assert e.achievement_delta == Decimal("-1.67")  # (30 + 5 - 40) / 3
    empty = rules.effect([], completed=2)
    assert empty.improvement_rate is None and empty.achievement_delta is None
