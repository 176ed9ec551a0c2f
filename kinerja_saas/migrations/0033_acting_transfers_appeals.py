"""Acting officials, transfers and appeals to the right person (issue #18).

- `acting_appointments`: an acting head (Plt./Plh., SE Kepala BKN 1/SE/I/2021) of a unit for a
  date range; no two of one unit overlap (checked under the unit's lock, org/acting.py).
- `position_history`: an employee's unit, supervisor and jabatan from/to dates (mutasi).
- `appraisal_team_members`: the region's Tim Penilai Kinerja, who decide appeals where the
  evaluator has no supervisor (PermenPANRB 6/2022).
- Who signed, and in what capacity: plans (approval), realisations (review), evaluations
  (finalisation, plus the evaluator pinned for a checkpoint that ended before a transfer);
  appeals record who decides them.
"""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from kinerja_saas.org.models import ActingKind
from tenants.rls import disable_rls, enable_rls

TABLES = ("acting_appointments", "position_history", "appraisal_team_members")


def _fk(table: str, name: str, columns: str, target: str) -> str:
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_{name}_fk FOREIGN KEY (tenant_id, {columns})"
        f" REFERENCES {target} (tenant_id, id);"
    )


CONSTRAINTS = "\n".join(
    [
        *(
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_tenant_fk FOREIGN KEY (tenant_id)"
            f" REFERENCES tenants (id);"
            for t in TABLES
        ),
        _fk("acting_appointments", "unit", "unit_id", "org_units"),
        _fk("acting_appointments", "employee", "employee_id", "employees"),
        _fk("position_history", "employee", "employee_id", "employees"),
        _fk("position_history", "unit", "unit_id", "org_units"),
        _fk("position_history", "supervisor", "supervisor_id", "employees"),
        _fk("appraisal_team_members", "employee", "employee_id", "employees"),
        _fk("plans", "approved_by", "approved_by", "employees"),
        _fk("evaluations", "evaluator", "evaluator_id", "employees"),
        _fk("evaluations", "signed_by", "signed_by", "employees"),
        "ALTER TABLE acting_appointments ADD CONSTRAINT acting_appointments_range"
        " CHECK (starts_on <= ends_on AND kind IN ('PLT', 'PLH'));",
        "ALTER TABLE position_history ADD CONSTRAINT position_history_range"
        " CHECK (starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on);",
        "ALTER TABLE appeals ADD CONSTRAINT appeals_decider"
        " CHECK (decider IN ('SUPERVISOR', 'TIM_PENILAI', 'REGION_ADMIN'));",
        *(
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_{c}_known CHECK ({c} IN ('PLT', 'PLH'));"
            for t, c in (
                ("plans", "approved_capacity"),
                ("realisations", "reviewed_capacity"),
                ("evaluations", "signed_capacity"),
            )
        ),
    ]
)

REVERSE = "\n".join(
    [
        "ALTER TABLE appeals DROP CONSTRAINT appeals_decider;",
        "ALTER TABLE plans DROP CONSTRAINT plans_approved_capacity_known;",
        "ALTER TABLE realisations DROP CONSTRAINT realisations_reviewed_capacity_known;",
        "ALTER TABLE evaluations DROP CONSTRAINT evaluations_signed_capacity_known;",
        "ALTER TABLE plans DROP CONSTRAINT plans_approved_by_fk;",
        "ALTER TABLE evaluations DROP CONSTRAINT evaluations_evaluator_fk;",
        "ALTER TABLE evaluations DROP CONSTRAINT evaluations_signed_by_fk;",
    ]
)

_ID = ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True))


class Migration(migrations.Migration):
    dependencies = [("models", "0032_complaints")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ActingAppointment",
            fields=[
                _ID,
                ("tenant_id", fields.BigIntField()),
                ("unit_id", fields.BigIntField()),
                ("employee_id", fields.BigIntField()),
                (
                    "kind",
                    fields.CharEnumField(
                        description="PLT: PLT\nPLH: PLH", enum_type=ActingKind, max_length=8
                    ),
                ),
                ("sk_number", fields.CharField(null=True, max_length=100)),
                ("starts_on", fields.DateField()),
                ("ends_on", fields.DateField()),
                ("created_by", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "acting_appointments",
                "app": "models",
                "indexes": [
                    Index(fields=["tenant_id", "unit_id", "starts_on"]),
                    Index(fields=["tenant_id", "employee_id", "ends_on"]),
                ],
                "pk_attr": "id",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="PositionRecord",
            fields=[
                _ID,
                ("tenant_id", fields.BigIntField()),
                ("employee_id", fields.BigIntField()),
                ("unit_id", fields.BigIntField()),
                ("supervisor_id", fields.BigIntField(null=True)),
                ("position", fields.CharField(max_length=200)),
                ("starts_on", fields.DateField(null=True)),
                ("ends_on", fields.DateField(null=True)),
                ("created_by", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "position_history",
                "app": "models",
                "indexes": [Index(fields=["tenant_id", "employee_id", "starts_on"])],
                "pk_attr": "id",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="AppraisalTeamMember",
            fields=[
                _ID,
                ("tenant_id", fields.BigIntField()),
                ("employee_id", fields.BigIntField()),
                ("appointed_by", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "appraisal_team_members",
                "app": "models",
                "unique_together": (("tenant_id", "employee_id"),),
                "pk_attr": "id",
            },
            bases=["TenantModel"],
        ),
        ops.AddField(
            model_name="Plan", name="approved_by", field=fields.BigIntField(null=True)
        ),
        ops.AddField(
            model_name="Plan",
            name="approved_capacity",
            field=fields.CharField(max_length=8, null=True),
        ),
        ops.AddField(
            model_name="Plan", name="approved_acting_unit_id", field=fields.BigIntField(null=True)
        ),
        ops.AddField(
            model_name="Realisation",
            name="reviewed_capacity",
            field=fields.CharField(max_length=8, null=True),
        ),
        ops.AddField(
            model_name="Realisation",
            name="reviewed_acting_unit_id",
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name="Evaluation", name="evaluator_id", field=fields.BigIntField(null=True)
        ),
        ops.AddField(
            model_name="Evaluation", name="signed_by", field=fields.BigIntField(null=True)
        ),
        ops.AddField(
            model_name="Evaluation",
            name="signed_capacity",
            field=fields.CharField(max_length=8, null=True),
        ),
        ops.AddField(
            model_name="Evaluation",
            name="signed_acting_unit_id",
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name="Appeal",
            name="decider",
            field=fields.CharField(max_length=16, default="SUPERVISOR", db_default="SUPERVISOR"),
        ),
        ops.AddField(model_name="Appeal", name="decided_by", field=fields.BigIntField(null=True)),
        ops.RunSQL(CONSTRAINTS, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
    ]
