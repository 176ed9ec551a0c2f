"""The pure TPP rules: defaults, validation naming fields, months, Indonesian texts, and
the computation with its rounding."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from kinerja_saas.errors import FieldError
from kinerja_saas.tpp import rules
from kinerja_saas.tpp.rules import DEFAULTS, Attendance, compute


def test_defaults_are_valid_and_weights_add_up():
    assert rules.validate_rule_set(DEFAULTS) == []
    assert DEFAULTS.weight_performance + DEFAULTS.weight_discipline == 100


def test_validation_names_each_field():
    bad = replace(DEFAULTS, tl2=Decimal("101"), pct_baik=Decimal("-1"), absent_day=Decimal("1.234"))
    fields = {e.field for e in rules.validate_rule_set(bad)}
    assert fields == {"tl2", "pctBaik", "absentDay"}
    weights = rules.validate_rule_set(replace(DEFAULTS, weight_performance=Decimal("70")))
    assert [(e.field, e.code) for e in weights] == [("weightDiscipline", "WEIGHTS_NOT_100")]
    assert "110 %" in weights[0].message  # decimal comma text, Indonesian


def test_months_and_texts():
    assert rules.parse_month("2026-03") == date(2026, 3, 1)
    for bad in ("2026-13", "2026-3", "03-2026", "", "1999-01"):
        assert isinstance(rules.parse_month(bad), FieldError)
    assert rules.month_label(date(2026, 3, 1)) == "Maret 2026"
    assert rules.rupiah(1234567) == "Rp1.234.567"
    assert rules.decimal_comma(Decimal("2.50")) == "2,5"
    assert rules.parse_decimal("2,5") == Decimal("2.5")
    assert rules.parse_decimal("1,25 %") == Decimal("1.25")
    assert rules.parse_decimal("abc") is None


def test_computation_of_each_part():
    c = compute(
        DEFAULTS,
        base=5_000_000,
        predikat="BUTUH_PERBAIKAN",
        attendance=Attendance(absent_days=2, tl1=3, psw4=1),
        incentive=100_000,
        reduction=50_000,
    )
    assert c.performance_full == 3_000_000
    assert c.performance_part == 2_250_000  # 75 %
    assert c.discipline_full == 2_000_000
    # 2 × 2,5 + 3 × 0,5 + 1 × 1,5 = 8 % of the discipline part
    assert c.deduction_pct == Decimal("8.0")
    assert (c.absent_deduction, c.late_deduction, c.early_deduction) == (100_000, 30_000, 30_000)
    assert c.discipline_part == 1_840_000
    assert c.total == 2_250_000 + 1_840_000 + 100_000 - 50_000


def test_deductions_cap_at_the_discipline_part_and_total_at_zero():
    c = compute(
        DEFAULTS, base=1_000_000, predikat=None, attendance=Attendance(absent_days=30, tl4=20)
    )
    assert c.predikat == "BELUM_DINILAI" and c.performance_part == 0
    assert c.deduction_pct == 100 and c.discipline_part == 0
    assert compute(DEFAULTS, base=100, predikat="BAIK", attendance=Attendance(),
                   reduction=1_000).total == 0  # fmt: skip


def test_rounding_is_half_up_once_per_part():
    # 1.001 × 60 % × 75 % = 450,45 -> 450; 1.001 × 40 % = 400,4; × (100 − 0,5) % = 398,398 -> 398
    c = compute(DEFAULTS, base=1001, predikat="BUTUH_PERBAIKAN", attendance=Attendance(tl1=1))
    assert (c.performance_part, c.discipline_part) == (450, 398)
    # 5 × 60 % × 50 % = 1,5 -> 2 (half up)
    assert (
        compute(DEFAULTS, base=5, predikat="KURANG", attendance=Attendance()).performance_part == 2
    )
    assert c.total == c.performance_part + c.discipline_part


def test_each_leave_type_has_its_rate_and_its_deduction():
    regional = replace(
        DEFAULTS, cuti_sakit=Decimal("0.5"), cuti_alasan_penting=Decimal("1"),
        cuti_cltn=Decimal("5"),
    )  # fmt: skip
    days = Attendance(cuti_tahunan=4, cuti_sakit=3, cuti_alasan_penting=2, cuti_cltn=1)
    c = compute(regional, base=5_000_000, predikat="BAIK", attendance=days)
    per_type = dict(zip(rules.LEAVE_TYPES, c.leave_deductions, strict=True))
    # of the 2.000.000 discipline part: 3 × 0,5 % = 30.000; 2 × 1 % = 40.000; 1 × 5 % = 100.000;
    # annual leave at its default 0 % deducts nothing
    assert per_type == {
        "cuti_tahunan": 0, "cuti_besar": 0, "cuti_sakit": 30_000, "cuti_melahirkan": 0,
        "cuti_alasan_penting": 40_000, "cuti_bersama": 0, "cuti_cltn": 100_000,
    }  # fmt: skip
    assert c.leave_deduction == 170_000 and c.deduction_pct == Decimal("8.5")
    assert c.discipline_part == 2_000_000 - 170_000
    # every leave type defaults to 0 % (regions set their own) and is validated by name
    assert all(getattr(DEFAULTS, t) == 0 for t in rules.LEAVE_TYPES)
    bad = rules.validate_rule_set(replace(DEFAULTS, cuti_besar=Decimal("100.5")))
    assert [(e.field, e.code) for e in bad] == [("cutiBesar", "OUT_OF_RANGE")]
    assert "Potongan per hari cuti besar" in bad[0].message
