"""TPP deductions per leave type (issue 20): the civil-service leave types of PP 11/2017
(art. 310) each get a rate in the rule set, a day count in the month's attendance and a
deduction in the computed line.

The old single leave (`leave_day` rate, `leave_days` count) becomes `cuti_tahunan`: the old
attendance import read its one `cuti` column as annual leave, so a stored version and a
stored month keep their meaning, and a closed month computed again gives no spurious
correction (its lines' leave deduction was all annual leave). The other types read as 0
in versions stored before (what a region that never set them meant: no deduction).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

OTHER_TYPES = (
    "cuti_besar",
    "cuti_sakit",
    "cuti_melahirkan",
    "cuti_alasan_penting",
    "cuti_bersama",
    "cuti_cltn",
)
ALL_TYPES = ("cuti_tahunan", *OTHER_TYPES)

FORWARD = (
    "ALTER TABLE tpp_rule_sets RENAME COLUMN leave_day TO cuti_tahunan;\n"
    + "".join(
        f"ALTER TABLE tpp_rule_sets ADD COLUMN {t} numeric(5, 2) NOT NULL DEFAULT 0"
        f" CHECK ({t} BETWEEN 0 AND 100);\n"
        for t in OTHER_TYPES
    )
    + "ALTER TABLE tpp_attendance RENAME COLUMN leave_days TO cuti_tahunan;\n"
    + "".join(
        f"ALTER TABLE tpp_attendance ADD COLUMN {t} smallint NOT NULL DEFAULT 0"
        f" CHECK ({t} BETWEEN 0 AND 31);\n"
        for t in OTHER_TYPES
    )
    + "".join(
        f"ALTER TABLE tpp_lines ADD COLUMN {t}_deduction bigint NOT NULL DEFAULT 0;\n"
        for t in ALL_TYPES
    )
    + "UPDATE tpp_lines SET cuti_tahunan_deduction = leave_deduction;\n"
)

REVERSE = (
    "".join(f"ALTER TABLE tpp_lines DROP COLUMN {t}_deduction;\n" for t in ALL_TYPES)
    + "".join(f"ALTER TABLE tpp_attendance DROP COLUMN {t};\n" for t in OTHER_TYPES)
    + "ALTER TABLE tpp_attendance RENAME COLUMN cuti_tahunan TO leave_days;\n"
    + "".join(f"ALTER TABLE tpp_rule_sets DROP COLUMN {t};\n" for t in OTHER_TYPES)
    + "ALTER TABLE tpp_rule_sets RENAME COLUMN cuti_tahunan TO leave_day;\n"
)


class Migration(migrations.Migration):
    dependencies = [("models", "0034_plan_progress")]

    operations = [ops.RunSQL(FORWARD, reverse_sql=REVERSE)]
