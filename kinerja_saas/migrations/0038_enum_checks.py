"""Every enum-valued text column of a model gets a CHECK listing its allowed values, so that
a value written around the application (psql, a bad migration, an import bug) is refused by
PostgreSQL instead of failing later reads (the ORM and the compiled path raise on an unknown
stored value of a strict enum column).

The values are the Python enums' members when this migration was written, spelled out here:
a migration never changes when the code does. A member added to an enum later needs a new
migration that drops and re-adds its column's constraint (tests/test_enum_checks.py fails
until it does). Columns that already had one are left as they are: tenants.plan (0021),
training_programmes.mode and training_assignments.status (0020), acting_appointments.kind
(0033).

Each is added validated (a plain ADD CONSTRAINT, which checks every existing row): a row
already holding an unknown value fails this migration loudly, naming the constraint. Such a
row already fails every read of its region's rows (these columns are strict enums), so it
must be repaired by hand, not hidden behind NOT VALID. (NOT VALID followed by VALIDATE in
the same transaction would check the same rows under the same ACCESS EXCLUSIVE lock held to
commit: no gain here.)

Left out on purpose: the two lenient descriptive columns, org_units.kind and
employees.position_type (kinerja_saas/db/fields.py reads an unknown stored value as null).
A CHECK is evaluated on every UPDATE of a row, even NOT VALID: a unit still holding an
unknown kind could then not even be renamed (a check_violation, an unexpected error), which
is what the lenient read exists to avoid. Live data may hold such values; refusing new ones
without touching old rows would need a trigger on changes of the column, not a CHECK.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# (table, column, allowed values)
COLUMNS = (
    ("tenants", "kind", ("KABUPATEN", "KOTA", "PROVINSI")),
    ("tenants", "timezone", ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")),
    ("tenants", "status", ("ACTIVE", "SUSPENDED")),
    ("import_jobs", "status", ("QUEUED", "RUNNING", "SUCCEEDED", "FAILED")),
    ("periods", "status", ("PLANNING", "ACTIVE", "EVALUATING", "CLOSED")),
    ("periods", "checkpoint_kind", ("MONTHLY", "QUARTERLY", "SEMESTER")),
    ("plans", "status", ("DRAFT", "SUBMITTED", "APPROVED", "RETURNED")),
    ("plan_results", "kind", ("UTAMA", "TAMBAHAN")),
    ("indicators", "aspect", ("KUANTITAS", "KUALITAS", "WAKTU", "BIAYA")),
    ("indicators", "source", ("MANUAL", "SKM_IKM")),
    ("realisations", "status", ("SUBMITTED", "VERIFIED", "REJECTED")),
    ("realisations", "source", ("MANUAL", "SKM_IKM")),
    ("evaluations", "status", ("DRAFT", "FINALISED", "APPEALED")),
    ("appeals", "status", ("OPEN", "DECIDED")),
    ("rewards_sanctions", "consequence", ("REWARD", "SANCTION")),
    ("notification_deliveries", "channel", ("IN_APP", "EMAIL", "WEBHOOK")),
    (
        "notification_deliveries",
        "status",
        ("PENDING", "DIGEST", "SENDING", "SENT", "FAILED", "DEAD"),
    ),
    ("notification_preferences", "channel", ("IN_APP", "EMAIL", "WEBHOOK")),
    ("survey_results", "scope", ("SERVICE", "UNIT", "REGION")),
    ("competencies", "kind", ("TECHNICAL", "MANAGERIAL", "SOCIO_CULTURAL")),
    ("training_rules", "trigger", ("PREDIKAT", "WEAK_BEHAVIOUR", "WEAK_RESULT")),
    (
        "training_assignments",
        "reason",
        ("PREDIKAT", "WEAK_RESULT", "WEAK_BEHAVIOUR", "MANUAL", "SELF_ENROLMENT"),
    ),
)


def _add(table: str, column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_known"
        f" CHECK ({column} IN ({listed}));\n"
    )


FORWARD = "".join(_add(t, c, v) for t, c, v in COLUMNS)
REVERSE = "".join(f"ALTER TABLE {t} DROP CONSTRAINT {t}_{c}_known;\n" for t, c, _ in COLUMNS)


class Migration(migrations.Migration):
    dependencies = [("models", "0037_import_files")]

    initial = False

    operations = [ops.RunSQL(FORWARD, reverse_sql=REVERSE)]
