"""Row-level security on the performance cycle's tables, their same-tenant keys and checks,
and the achievement rule in SQL (kept equal to rules.achievement by a test) so that
dashboards aggregate in the database."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TABLES = (
    "plans",
    "plan_results",
    "indicators",
    "plan_revisions",
    "realisations",
    "evaluations",
    "appeals",
    "unit_ratings",
    "dialog_notes",
    "rewards_sanctions",
)


def _fk(table: str, name: str, columns: str, target: str, action: str = "") -> str:
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_{name}_fk FOREIGN KEY (tenant_id, {columns})"
        f" REFERENCES {target} (tenant_id, id){action};"
    )


CONSTRAINTS = "\n".join(
    [
        "ALTER TABLE checkpoints ADD CONSTRAINT checkpoints_tenant_id_id_key UNIQUE (tenant_id, id);",
        *(
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_fk FOREIGN KEY (tenant_id)"
            f" REFERENCES tenants (id);\n"
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_id_id_key UNIQUE (tenant_id, id);"
            for t in TABLES
        ),
        _fk("plans", "period", "period_id", "periods"),
        _fk("plans", "employee", "employee_id", "employees"),
        _fk("plans", "unit", "unit_id", "org_units"),
        _fk("plans", "evaluator", "evaluator_id", "employees"),
        _fk("plans", "evaluator_supervisor", "evaluator_supervisor_id", "employees"),
        _fk("plan_results", "plan", "plan_id", "plans", " ON DELETE CASCADE"),
        _fk(
            "plan_results",
            "supports",
            "supports_result_id",
            "plan_results",
            " ON DELETE SET NULL (supports_result_id)",
        ),
        _fk("indicators", "plan", "plan_id", "plans", " ON DELETE CASCADE"),
        _fk("indicators", "result", "result_id", "plan_results", " ON DELETE CASCADE"),
        _fk("plan_revisions", "plan", "plan_id", "plans", " ON DELETE CASCADE"),
        _fk("realisations", "plan", "plan_id", "plans"),
        # No cascade: an indicator with realisations cannot be deleted, even by mistake.
        _fk("realisations", "indicator", "indicator_id", "indicators"),
        _fk("realisations", "checkpoint", "checkpoint_id", "checkpoints"),
        _fk("evaluations", "plan", "plan_id", "plans"),
        _fk("evaluations", "period", "period_id", "periods"),
        _fk("evaluations", "employee", "employee_id", "employees"),
        _fk("evaluations", "checkpoint", "checkpoint_id", "checkpoints"),
        _fk("appeals", "evaluation", "evaluation_id", "evaluations"),
        _fk("appeals", "reviewer", "reviewer_id", "employees"),
        _fk("unit_ratings", "unit", "unit_id", "org_units"),
        _fk("unit_ratings", "period", "period_id", "periods"),
        _fk("dialog_notes", "plan", "plan_id", "plans", " ON DELETE CASCADE"),
        _fk("dialog_notes", "indicator", "indicator_id", "indicators", " ON DELETE CASCADE"),
        _fk("dialog_notes", "reply_to", "reply_to_id", "dialog_notes", " ON DELETE CASCADE"),
        _fk("dialog_notes", "author", "author_employee_id", "employees"),
        _fk("rewards_sanctions", "employee", "employee_id", "employees"),
        _fk("rewards_sanctions", "evaluation", "evaluation_id", "evaluations"),
        """
ALTER TABLE indicators ADD CONSTRAINT indicators_values CHECK (target > 0 AND weight > 0
    AND weight <= 100 AND direction IN ('HIGHER_IS_BETTER', 'LOWER_IS_BETTER'));
ALTER TABLE realisations ADD CONSTRAINT realisations_value CHECK (value >= 0);
-- One evaluation per plan and checkpoint, and one for the year (checkpoint_id null).
CREATE UNIQUE INDEX evaluations_plan_checkpoint_key
    ON evaluations (tenant_id, plan_id, COALESCE(checkpoint_id, 0));
CREATE INDEX realisations_checkpoint_idx ON realisations (tenant_id, checkpoint_id);

CREATE FUNCTION kinerja_achievement(target numeric, value numeric, direction text, cap numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT round(LEAST(cap, CASE
        WHEN direction = 'HIGHER_IS_BETTER' THEN value / target * 100
        WHEN value = 0 THEN cap
        ELSE target / value * 100 END), 2)
$$;
""",
    ]
)

REVERSE = "\n".join(
    [
        "DROP FUNCTION kinerja_achievement(numeric, numeric, text, numeric);",
        "DROP INDEX realisations_checkpoint_idx;",
        "DROP INDEX evaluations_plan_checkpoint_key;",
        "ALTER TABLE realisations DROP CONSTRAINT realisations_value;",
        "ALTER TABLE indicators DROP CONSTRAINT indicators_values;",
        # Dropping the tables' own keys drops the foreign keys that use them.
        *(f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_id_id_key CASCADE;" for t in TABLES),
        *(f"ALTER TABLE {t} DROP CONSTRAINT {t}_tenant_fk;" for t in TABLES),
        "ALTER TABLE checkpoints DROP CONSTRAINT checkpoints_tenant_id_id_key CASCADE;",
    ]
)


class Migration(migrations.Migration):
    dependencies = [("models", "0010_plans_evaluations")]

    operations = [
        ops.RunSQL(CONSTRAINTS, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
    ]
