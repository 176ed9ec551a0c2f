"""TPP (tambahan penghasilan pegawai) from performance and discipline (issue 20).

- `tpp_rule_sets`: a region's rules, one version per effective month (weights, a
  percentage per predikat, discipline deductions per day absent, per TL/PSW band and per
  leave day). The version in force for a month is the latest effective on or before it.
- `tpp_base_amounts`: the base TPP (whole rupiah) per employee.
- `tpp_attendance`: a month's discipline figures per employee, from the attendance import.
- `tpp_months`: a region's month: computed when, closed when and by whom.
- `tpp_lines`: the computation per employee and month. Revision 0 is rewritten while the
  month is open; after it is closed a change is a new CORRECTION row (revision n + 1) with
  its difference, never a rewrite.
- `rewards_sanctions.amount`: the rupiah of an INSENTIF_KINERJA / PENGURANGAN_TPP.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TABLES = ("tpp_rule_sets", "tpp_base_amounts", "tpp_attendance", "tpp_months", "tpp_lines")

CREATE = """
CREATE TABLE tpp_rule_sets (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    effective_month date NOT NULL CHECK (extract(day FROM effective_month) = 1),
    weight_performance numeric(5, 2) NOT NULL,
    weight_discipline numeric(5, 2) NOT NULL,
    pct_sangat_baik numeric(5, 2) NOT NULL,
    pct_baik numeric(5, 2) NOT NULL,
    pct_butuh_perbaikan numeric(5, 2) NOT NULL,
    pct_kurang numeric(5, 2) NOT NULL,
    pct_sangat_kurang numeric(5, 2) NOT NULL,
    pct_belum_dinilai numeric(5, 2) NOT NULL,
    absent_day numeric(5, 2) NOT NULL,
    tl1 numeric(5, 2) NOT NULL, tl2 numeric(5, 2) NOT NULL,
    tl3 numeric(5, 2) NOT NULL, tl4 numeric(5, 2) NOT NULL,
    psw1 numeric(5, 2) NOT NULL, psw2 numeric(5, 2) NOT NULL,
    psw3 numeric(5, 2) NOT NULL, psw4 numeric(5, 2) NOT NULL,
    leave_day numeric(5, 2) NOT NULL,
    created_by bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, effective_month),
    UNIQUE (tenant_id, id),
    CHECK (weight_performance + weight_discipline = 100),
    CHECK (weight_performance BETWEEN 0 AND 100 AND weight_discipline BETWEEN 0 AND 100),
    CHECK (LEAST(pct_sangat_baik, pct_baik, pct_butuh_perbaikan, pct_kurang, pct_sangat_kurang,
        pct_belum_dinilai, absent_day, tl1, tl2, tl3, tl4, psw1, psw2, psw3, psw4, leave_day) >= 0),
    CHECK (GREATEST(pct_sangat_baik, pct_baik, pct_butuh_perbaikan, pct_kurang, pct_sangat_kurang,
        pct_belum_dinilai, absent_day, tl1, tl2, tl3, tl4, psw1, psw2, psw3, psw4, leave_day) <= 100)
);

CREATE TABLE tpp_base_amounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    employee_id bigint NOT NULL,
    amount bigint NOT NULL CHECK (amount >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, employee_id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id)
);

CREATE TABLE tpp_attendance (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    employee_id bigint NOT NULL,
    absent_days smallint NOT NULL CHECK (absent_days BETWEEN 0 AND 31),
    tl1 smallint NOT NULL, tl2 smallint NOT NULL, tl3 smallint NOT NULL, tl4 smallint NOT NULL,
    psw1 smallint NOT NULL, psw2 smallint NOT NULL, psw3 smallint NOT NULL,
    psw4 smallint NOT NULL,
    leave_days smallint NOT NULL CHECK (leave_days BETWEEN 0 AND 31),
    imported_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, month, employee_id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id),
    CHECK (LEAST(tl1, tl2, tl3, tl4, psw1, psw2, psw3, psw4) >= 0
        AND GREATEST(tl1, tl2, tl3, tl4, psw1, psw2, psw3, psw4) <= 31)
);

CREATE TABLE tpp_months (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
    requested_at timestamptz,
    computed_at timestamptz,
    closed_at timestamptz,
    closed_by bigint,
    UNIQUE (tenant_id, month),
    CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL))
);

CREATE TABLE tpp_lines (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    month date NOT NULL,
    employee_id bigint NOT NULL,
    revision integer NOT NULL DEFAULT 0 CHECK (revision >= 0),
    kind text NOT NULL CHECK (kind IN ('COMPUTED', 'CORRECTION')),
    rule_set_id bigint NOT NULL,
    base bigint NOT NULL,
    predikat text NOT NULL,
    performance_pct numeric(5, 2) NOT NULL,
    performance_full bigint NOT NULL,
    performance_part bigint NOT NULL,
    discipline_full bigint NOT NULL,
    absent_days smallint NOT NULL,
    absent_deduction bigint NOT NULL,
    late_deduction bigint NOT NULL,
    early_deduction bigint NOT NULL,
    leave_deduction bigint NOT NULL,
    deduction_pct numeric(6, 2) NOT NULL,
    discipline_part bigint NOT NULL,
    incentive bigint NOT NULL,
    reduction bigint NOT NULL,
    total bigint NOT NULL CHECK (total >= 0),
    difference bigint NOT NULL DEFAULT 0,
    computed_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, month, employee_id, revision),
    CHECK (kind = 'CORRECTION' OR revision = 0),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id),
    FOREIGN KEY (tenant_id, month) REFERENCES tpp_months (tenant_id, month),
    FOREIGN KEY (tenant_id, rule_set_id) REFERENCES tpp_rule_sets (tenant_id, id)
);
CREATE INDEX tpp_lines_employee ON tpp_lines (tenant_id, employee_id, month);

ALTER TABLE rewards_sanctions ADD COLUMN amount bigint CHECK (amount IS NULL OR amount > 0);
CREATE INDEX rewards_sanctions_amounts ON rewards_sanctions (tenant_id, decided_on)
    WHERE amount IS NOT NULL;
"""

REVERSE = """
DROP INDEX rewards_sanctions_amounts;
ALTER TABLE rewards_sanctions DROP COLUMN amount;
DROP TABLE tpp_lines;
DROP TABLE tpp_months;
DROP TABLE tpp_attendance;
DROP TABLE tpp_base_amounts;
DROP TABLE tpp_rule_sets;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0026_job_recovery")]

    operations = [
        ops.RunSQL(CREATE, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
    ]
