"""The roster import keeps an uploaded file's rows in ONE row per job (issue 19): `import_files`
holds the file's columns as parallel arrays, written by one `INSERT … SELECT array_agg(…)`
from the request's COPY and unnested by the job into its temporary table. One row instead of
20,000 in `import_rows` (each with two foreign-key checks, three index entries and its RLS
check, then read back, copied and deleted): 0.29 s of a 20,000-row re-import became ~0.06 s.

`import_rows` (and its model) goes.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TEXT_COLUMNS = (
    "nip",
    "nama",
    "jabatan",
    "jenis_jabatan",
    "golongan",
    "unit_path",
    "nip_atasan",
    "email",
    "telepon",
)

CREATE = (
    "CREATE TABLE import_files (\n"
    "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "    tenant_id bigint NOT NULL REFERENCES tenants (id),\n"
    "    job_id bigint NOT NULL,\n"
    "    line_no integer[] NOT NULL,\n"
    + "".join(f"    {c} text[] NOT NULL,\n" for c in TEXT_COLUMNS)
    + "    UNIQUE (tenant_id, job_id),\n"
    "    FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE,\n"
    "    CHECK ("
    + " AND ".join(f"cardinality({c}) = cardinality(line_no)" for c in TEXT_COLUMNS)
    + ")\n"
    ");\n"
    # Kept for minutes, read once: not compressed (pglz cost 2-3x the INSERT for 20,000
    # rows; out-of-line storage stays).
    "ALTER TABLE import_files "
    + ", ".join(f"ALTER {c} SET STORAGE EXTERNAL" for c in ("line_no", *TEXT_COLUMNS))
    + ";\n"
)


# What 0004 added to import_rows, for the way back (DeleteModel's reverse recreates the table).
IMPORT_ROWS_CONSTRAINTS = (
    "ALTER TABLE import_rows ADD CONSTRAINT import_rows_tenant_fk"
    " FOREIGN KEY (tenant_id) REFERENCES tenants (id);\n"
    "ALTER TABLE import_rows ADD CONSTRAINT import_rows_job_fk FOREIGN KEY (tenant_id, job_id)"
    " REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE;\n" + enable_rls("import_rows")
)


class Migration(migrations.Migration):
    dependencies = [("models", "0036_training_read_models")]

    initial = False

    operations = [
        ops.RunSQL(CREATE, reverse_sql="DROP TABLE import_files;"),
        ops.RunSQL(enable_rls("import_files"), reverse_sql=disable_rls("import_files")),
        ops.RunSQL("SELECT 1;", reverse_sql=IMPORT_ROWS_CONSTRAINTS),
        ops.DeleteModel("ImportRow"),
    ]
