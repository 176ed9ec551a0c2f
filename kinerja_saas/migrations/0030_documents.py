"""Signed performance documents (issue 20): the SKP, the checkpoint and annual evaluation,
a region's predikat recap.

- `document_jobs`: a request to render one document or a unit's documents as a ZIP, run by
  a worker (outbox topic documents.requested), with its progress and the stored file.
- `documents`: every rendered document: its public verification code (unique across
  regions, unguessable), the hash of the content it was rendered from (the verification
  page compares it with the content now) and of the file, and the key facts the public
  page shows.
- `document_code_lookup(code)`: a code to its region and document before a tenant is
  known (active regions only), as `survey_code_lookup` does for survey codes.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TABLES = ("document_jobs", "documents")

CREATE = """
CREATE TABLE document_jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    kind text NOT NULL CHECK (kind IN ('SKP', 'EVALUATION', 'PREDIKAT_RECAP')),
    scope text NOT NULL CHECK (scope IN ('ONE', 'UNIT')),
    subject_id bigint,
    period_id bigint,
    unit_id bigint,
    requested_by bigint,
    requester_employee_id bigint,
    status text NOT NULL DEFAULT 'QUEUED'
        CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
    total integer NOT NULL DEFAULT 0,
    done integer NOT NULL DEFAULT 0,
    storage_key text,
    filename text,
    content_type text,
    size_bytes bigint,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    UNIQUE (tenant_id, id),
    CHECK (scope = 'UNIT' OR subject_id IS NOT NULL),
    CHECK ((status = 'SUCCEEDED') = (storage_key IS NOT NULL))
);
CREATE INDEX document_jobs_requester ON document_jobs (tenant_id, requested_by, id DESC);

CREATE TABLE documents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    job_id bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('SKP', 'EVALUATION', 'PREDIKAT_RECAP')),
    subject_id bigint NOT NULL,
    unit_id bigint,
    employee_id bigint,
    code text NOT NULL CHECK (length(code) = 12),
    content_hash text NOT NULL CHECK (length(content_hash) = 64),
    file_sha256 text NOT NULL CHECK (length(file_sha256) = 64),
    facts jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES document_jobs (tenant_id, id) ON DELETE CASCADE
);
-- Codes are unguessable and unique across regions: the public lookup is by code alone.
CREATE UNIQUE INDEX documents_code ON documents (code);
CREATE INDEX documents_subject ON documents (tenant_id, kind, subject_id, id DESC);
CREATE INDEX documents_job ON documents (tenant_id, job_id);

CREATE FUNCTION document_code_lookup(p_code text)
RETURNS TABLE (tenant_id bigint, document_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT d.tenant_id, d.id
    FROM documents d JOIN tenants t ON t.id = d.tenant_id
    WHERE d.code = p_code AND t.status = 'ACTIVE'
$$;
REVOKE ALL ON FUNCTION document_code_lookup(text) FROM PUBLIC;
"""

REVERSE = """
DROP FUNCTION document_code_lookup(text);
DROP TABLE documents;
DROP TABLE document_jobs;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0029_evaluation_evidence")]

    operations = [
        ops.RunSQL(CREATE, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
    ]
