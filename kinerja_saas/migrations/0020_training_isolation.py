"""Row-level security on the training tables, their same-tenant keys, the CHECKs, and the
partial unique key that makes one live assignment per employee, programme and period — so
concurrent or repeated assignment jobs cannot double-assign."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TABLES = (
    "training_units",
    "training_officers",
    "training_programmes",
    "training_programme_competencies",
    "training_batches",
    "training_assignments",
)


def _fk(table: str, name: str, columns: str, target: str, action: str = "") -> str:
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_{name}_fk FOREIGN KEY (tenant_id, {columns})"
        f" REFERENCES {target} (tenant_id, id){action};"
    )


FOREIGN_KEYS = (
    ("training_officers", "unit", "training_unit_id", "training_units", " ON DELETE CASCADE"),
    ("training_officers", "user", "user_id", "user_accounts", " ON DELETE CASCADE"),
    ("training_programmes", "unit", "training_unit_id", "training_units", ""),
    (
        "training_programme_competencies",
        "programme",
        "programme_id",
        "training_programmes",
        " ON DELETE CASCADE",
    ),
    ("training_programme_competencies", "competency", "competency_id", "competencies", ""),
    ("training_batches", "programme", "programme_id", "training_programmes", ""),
    ("training_assignments", "employee", "employee_id", "employees", ""),
    ("training_assignments", "programme", "programme_id", "training_programmes", ""),
    ("training_assignments", "period", "period_id", "periods", ""),
    ("training_assignments", "batch", "batch_id", "training_batches", ""),
    ("training_assignments", "evaluation", "evaluation_id", "evaluations", ""),
    ("training_assignments", "competency", "competency_id", "competencies", ""),
    ("training_assignments", "rule", "rule_id", "training_rules", ""),
    ("training_rules", "programme", "programme_id", "training_programmes", ""),
    ("webhook_endpoints", "training_unit", "training_unit_id", "training_units", ""),
)

CONSTRAINTS = "\n".join(
    [
        *(
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_fk FOREIGN KEY (tenant_id)"
            f" REFERENCES tenants (id);\n"
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_id_id_key UNIQUE (tenant_id, id);"
            for t in TABLES
        ),
        "ALTER TABLE training_rules ADD CONSTRAINT training_rules_tenant_id_id_key"
        " UNIQUE (tenant_id, id);",
        *(_fk(*fk) for fk in FOREIGN_KEYS),
        """
-- One live assignment per employee, programme and period: the key every assigning path
-- inserts against with ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX training_assignments_live_key
    ON training_assignments (tenant_id, employee_id, programme_id, period_id)
    WHERE status IN ('WAITING', 'ASSIGNED', 'CONFIRMED', 'ATTENDED', 'COMPLETED');
CREATE INDEX training_assignments_waiting
    ON training_assignments (tenant_id, programme_id, waiting_position) WHERE status = 'WAITING';
CREATE INDEX training_assignments_completed
    ON training_assignments (tenant_id, completed_at) WHERE status = 'COMPLETED';
ALTER TABLE training_units ADD CONSTRAINT training_units_email
    CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$');
ALTER TABLE training_programmes ADD CONSTRAINT training_programmes_numbers
    CHECK (capacity > 0 AND jp_hours > 0);
ALTER TABLE training_programmes ADD CONSTRAINT training_programmes_mode
    CHECK (mode IN ('KLASIKAL', 'DARING', 'BLENDED'));
ALTER TABLE training_batches ADD CONSTRAINT training_batches_dates
    CHECK (ends_on >= starts_on AND capacity > 0);
ALTER TABLE training_assignments ADD CONSTRAINT training_assignments_status CHECK (
    status IN ('WAITING', 'ASSIGNED', 'CONFIRMED', 'ATTENDED', 'COMPLETED', 'NO_SHOW',
        'CANCELLED'));
ALTER TABLE training_assignments ADD CONSTRAINT training_assignments_place CHECK (
    (status <> 'WAITING' OR (batch_id IS NULL AND waiting_position > 0))
    AND (status NOT IN ('ASSIGNED', 'CONFIRMED', 'ATTENDED', 'COMPLETED')
        OR batch_id IS NOT NULL));
ALTER TABLE training_assignments ADD CONSTRAINT training_assignments_score
    CHECK (score IS NULL OR score BETWEEN 0 AND 100);
""",
    ]
)

REVERSE = "\n".join(
    [
        "ALTER TABLE training_assignments DROP CONSTRAINT training_assignments_score;",
        "ALTER TABLE training_assignments DROP CONSTRAINT training_assignments_place;",
        "ALTER TABLE training_assignments DROP CONSTRAINT training_assignments_status;",
        "ALTER TABLE training_batches DROP CONSTRAINT training_batches_dates;",
        "ALTER TABLE training_programmes DROP CONSTRAINT training_programmes_mode;",
        "ALTER TABLE training_programmes DROP CONSTRAINT training_programmes_numbers;",
        "ALTER TABLE training_units DROP CONSTRAINT training_units_email;",
        "DROP INDEX training_assignments_completed;",
        "DROP INDEX training_assignments_waiting;",
        "DROP INDEX training_assignments_live_key;",
        *(f"ALTER TABLE {t} DROP CONSTRAINT {t}_{n}_fk;" for t, n, *_ in FOREIGN_KEYS[::-1]),
        "ALTER TABLE training_rules DROP CONSTRAINT training_rules_tenant_id_id_key;",
        *(f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_id_id_key CASCADE;" for t in TABLES),
        *(f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_fk;" for t in TABLES),
    ]
)


class Migration(migrations.Migration):
    dependencies = [("models", "0019_training")]

    operations = [
        ops.RunSQL(CONSTRAINTS, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
    ]
