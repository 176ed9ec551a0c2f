"""Public complaints (pengaduan) per survey service, and the national exports (issue 20).

- `complaints`: a citizen's complaint about a service, sent on the service's survey code
  (or through `submitComplaint`): category, text, an optional contact, the tracking code
  the citizen keeps, the unit head's answer, the answer's due day and the day the region
  admin is told (both in the region's working days, fixed when the complaint is received)
  and when the overdue reminders went to the unit head and then the region admin.
  The contact is personal data: only the region's own logins that may answer read it.
- `complaint_tracking_lookup(code)`: a tracking code to (region, complaint) before a tenant
  is known, for active regions only (like `survey_code_lookup`); nothing else is readable
  through it.
- `national_exports`: an export job for BKN e-Kinerja / SIASN (predikat per NIP) or the
  competency records (JP per employee): status, progress, and the file's content when done.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TABLES = ("complaints", "national_exports")

CREATE = """
CREATE TABLE complaints (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    service_id bigint NOT NULL,
    campaign_id bigint,
    category text NOT NULL CHECK (category IN ('PROSEDUR', 'WAKTU', 'BIAYA', 'PETUGAS',
        'SARANA', 'LAINNYA')),
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    contact text CHECK (contact IS NULL OR length(contact) BETWEEN 1 AND 200),
    tracking_code text NOT NULL CHECK (tracking_code ~ '^[A-HJ-NP-Z2-9]{12}$'),
    client_token text NOT NULL CHECK (length(client_token) BETWEEN 8 AND 64),
    status text NOT NULL DEFAULT 'BARU' CHECK (status IN ('BARU', 'DIJAWAB')),
    answer text CHECK (answer IS NULL OR length(answer) BETWEEN 1 AND 5000),
    answered_at timestamptz,
    answered_by bigint,
    received_on date NOT NULL,
    due_on date NOT NULL CHECK (due_on >= received_on),
    escalate_on date NOT NULL CHECK (escalate_on > due_on),
    head_reminded_at timestamptz,
    admin_reminded_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, client_token),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES survey_services (tenant_id, id),
    CHECK ((status = 'DIJAWAB') = (answered_at IS NOT NULL)),
    CHECK ((answer IS NULL) = (answered_at IS NULL)),
    CHECK (admin_reminded_at IS NULL OR head_reminded_at IS NOT NULL)
);
-- Across regions: the public lookup by tracking code runs before a tenant is known.
CREATE UNIQUE INDEX complaints_tracking_code ON complaints (tracking_code);
CREATE INDEX complaints_open ON complaints (tenant_id, due_on) WHERE status = 'BARU';
CREATE INDEX complaints_service ON complaints (tenant_id, service_id, created_at);

CREATE FUNCTION complaint_tracking_lookup(p_code text)
RETURNS TABLE (tenant_id bigint, complaint_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT c.tenant_id, c.id
    FROM complaints c JOIN tenants t ON t.id = c.tenant_id
    WHERE c.tracking_code = p_code AND t.status = 'ACTIVE'
$$;
REVOKE ALL ON FUNCTION complaint_tracking_lookup(text) FROM PUBLIC;

CREATE TABLE national_exports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    kind text NOT NULL CHECK (kind IN ('PREDIKAT_TAHUNAN', 'PREDIKAT_PERIODIK',
        'JP_KOMPETENSI')),
    year smallint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    checkpoint_number smallint CHECK (checkpoint_number IS NULL OR checkpoint_number >= 1),
    format text NOT NULL CHECK (format IN ('CSV', 'JSON')),
    status text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'DONE',
        'FAILED')),
    progress smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    row_count integer,
    file_name text,
    content text,
    error text,
    requested_by bigint,
    requested_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    UNIQUE (tenant_id, id),
    CHECK ((kind = 'PREDIKAT_PERIODIK') = (checkpoint_number IS NOT NULL)),
    CHECK ((status = 'DONE') = (content IS NOT NULL))
);
CREATE INDEX national_exports_recent ON national_exports (tenant_id, requested_at DESC);
"""

REVERSE = """
DROP TABLE national_exports;
DROP FUNCTION complaint_tracking_lookup(text);
DROP TABLE complaints;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0031_periodic_targets")]

    operations = [
        ops.RunSQL(CREATE, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
    ]
