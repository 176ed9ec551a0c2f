"""Recovery: an outbox event is done when its jobs have succeeded, not when it was relayed;
jobs that fail for a reason of their own are parked as dead for an operator.

- `outbox_events.done_jobs`: the jobs of the event (workers/outbox.py `jobs_for`) that
  succeeded; `done_at` is set when they all have. A relayed event that is not done and
  whose job Redis no longer knows is enqueued again by the outbox sweep. Events relayed
  before this migration are taken as done (their jobs ran under the old rules).
- `parked_jobs`: a job that failed `KINERJA_JOB_MAX_FAILURES` times for a reason of its own
  (not an outage), with its arguments and last error, until `kinerja jobs retry`.
- `job_health()`: the counts of dead jobs and of relayed events not done, across regions,
  for `/metrics` and `kinerja doctor` (granted to the app and relay roles, like
  `outbox_backlog()`).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

CREATE = """
ALTER TABLE outbox_events
    ADD COLUMN done_at timestamptz,
    ADD COLUMN done_jobs text[] NOT NULL DEFAULT '{}';
UPDATE outbox_events SET done_at = relayed_at WHERE relayed_at IS NOT NULL;
-- Few rows at any time: what the sweep and job_health() read.
CREATE INDEX outbox_events_not_done ON outbox_events (tenant_id, id) WHERE done_at IS NULL;

CREATE TABLE parked_jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    job_id text NOT NULL,
    function text NOT NULL,
    kwargs jsonb NOT NULL,
    event_id bigint,
    status text NOT NULL DEFAULT 'DEAD' CHECK (status IN ('DEAD', 'RETRIED')),
    error text NOT NULL,
    failures integer NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    retried_at timestamptz,
    retries integer NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, job_id)
);
CREATE INDEX parked_jobs_dead ON parked_jobs (tenant_id, parked_at) WHERE status = 'DEAD';
COMMENT ON TABLE parked_jobs IS
    'Jobs that failed for a reason of their own, parked until an operator retries them';

CREATE FUNCTION job_health()
RETURNS TABLE (dead_jobs bigint, events_not_done bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT (SELECT count(*) FROM parked_jobs WHERE status = 'DEAD'),
           (SELECT count(*) FROM outbox_events WHERE done_at IS NULL AND relayed_at IS NOT NULL)
$$;
REVOKE ALL ON FUNCTION job_health() FROM PUBLIC;
"""

REVERSE = """
DROP FUNCTION job_health();
DROP TABLE parked_jobs;
DROP INDEX outbox_events_not_done;
ALTER TABLE outbox_events DROP COLUMN done_jobs, DROP COLUMN done_at;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0025_token_revocations")]

    operations = [
        ops.RunSQL(CREATE, reverse_sql=REVERSE),
        ops.RunSQL(enable_rls("parked_jobs"), reverse_sql=disable_rls("parked_jobs")),
    ]
