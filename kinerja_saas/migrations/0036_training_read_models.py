"""Read models of training (issue 19): the region admin's overviews read them instead of
aggregating every completed assignment (and looking up evaluations around it) on each read.

- `training_jp`: JP completed per employee and calendar year (the year of `completed_at`
  in the region's time zone): `jpLedger` and the SIASN JP export read one row per employee
  instead of summing their assignments.
- `training_effect_pairs`: per completed assignment, the evaluation before the training
  (the one that triggered it, or for a manual one the employee's evaluation of that period)
  and the first evaluation finalised after its completion: `trainingEffectiveness` reads a
  period's pairs instead of two lateral look-ups into the evaluations per assignment.

Both depend only on COMPLETED assignments (and, for the pairs, FINALISED evaluations), so the
statement-level triggers pick from their transition tables just the employees such a row
belongs to: assigning, enrolling, promoting from the waiting list, confirming, cancelling
or a draft evaluation refresh nothing; a completion or a finalisation refreshes that one
employee; a change of a programme's JP its completers; a region's new time zone the region.

All of the arithmetic is in `kinerja_training_refresh(tenant, employees)` (delete the
employees' rows, insert them computed afresh); `kinerja_training_rebuild(tenant)` recomputes a
region from nothing with it (`kinerja tenant rebuild-read-models`).

Concurrency: a refresh takes transaction-level advisory locks on its employees' buckets
(employee id mod 64, in order: never in a circle) before its first read; its statements
then see what an earlier refresh of the same employee committed (READ COMMITTED, a new
snapshot per statement). A rebuild holds the region's lock exclusively, refreshes share it.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TABLES = ("training_jp", "training_effect_pairs")

CREATE = """
CREATE TABLE training_jp (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    employee_id bigint NOT NULL,
    year integer NOT NULL,              -- of completed_at in the region's time zone
    jp integer NOT NULL                 -- the completed programmes' JP summed
);
CREATE UNIQUE INDEX training_jp_key ON training_jp (tenant_id, employee_id, year);

CREATE TABLE training_effect_pairs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    assignment_id bigint NOT NULL,      -- a COMPLETED assignment
    period_id bigint NOT NULL,
    employee_id bigint NOT NULL,
    programme_id bigint NOT NULL,
    before_predikat varchar(24),
    before_achievement numeric(7, 2),
    after_predikat varchar(24),         -- null: no evaluation finalised after completion yet
    after_achievement numeric(7, 2)
);
CREATE UNIQUE INDEX training_effect_pairs_key ON training_effect_pairs (tenant_id, assignment_id);
CREATE INDEX training_effect_pairs_period ON training_effect_pairs (tenant_id, period_id);
CREATE INDEX training_effect_pairs_employee ON training_effect_pairs (tenant_id, employee_id);

-- The read models of these employees recomputed from their completed assignments, the
-- programmes' JP and the finalised evaluations.
CREATE FUNCTION kinerja_training_refresh(p_tenant bigint, p_employees bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_bucket bigint;
    v_zone text;
BEGIN
    IF p_employees IS NULL OR cardinality(p_employees) = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('kinerja:training-rm', p_tenant));
    FOR v_bucket IN SELECT DISTINCT e % 64 FROM unnest(p_employees) e ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(
            hashtextextended('kinerja:training-rm:' || p_tenant || ':' || v_bucket, 0));
    END LOOP;
    SELECT t.timezone INTO v_zone FROM tenants t WHERE t.id = p_tenant;
    DELETE FROM training_jp WHERE tenant_id = p_tenant AND employee_id = ANY(p_employees);
    INSERT INTO training_jp (tenant_id, employee_id, year, jp)
    SELECT p_tenant, a.employee_id,
        extract(year FROM a.completed_at AT TIME ZONE v_zone)::int, sum(p.jp_hours)::int
    FROM training_assignments a
    JOIN training_programmes p ON p.tenant_id = p_tenant AND p.id = a.programme_id
    WHERE a.tenant_id = p_tenant AND a.employee_id = ANY(p_employees)
        AND a.status = 'COMPLETED' AND a.completed_at IS NOT NULL
    GROUP BY 2, 3;
    DELETE FROM training_effect_pairs
    WHERE tenant_id = p_tenant AND employee_id = ANY(p_employees);
    INSERT INTO training_effect_pairs (tenant_id, assignment_id, period_id, employee_id,
        programme_id, before_predikat, before_achievement, after_predikat, after_achievement)
    SELECT p_tenant, a.id, a.period_id, a.employee_id, a.programme_id,
        b.predikat, b.achievement, n.predikat, n.achievement
    FROM training_assignments a
    LEFT JOIN LATERAL (  -- the triggering evaluation, else the period's (annual first)
        SELECT e.id, e.predikat, e.achievement FROM evaluations e
        WHERE e.tenant_id = p_tenant AND e.employee_id = a.employee_id
            AND e.status = 'FINALISED'
            AND (e.id = a.evaluation_id
                 OR (a.evaluation_id IS NULL AND e.period_id = a.period_id))
        ORDER BY (e.id = a.evaluation_id) IS TRUE DESC, (e.checkpoint_id IS NULL) DESC,
            e.finalised_at DESC LIMIT 1) b ON true
    LEFT JOIN LATERAL (  -- the first finalised after the completion
        SELECT e.predikat, e.achievement FROM evaluations e
        WHERE e.tenant_id = p_tenant AND e.employee_id = a.employee_id
            AND e.status = 'FINALISED' AND e.finalised_at > a.completed_at
            AND e.id IS DISTINCT FROM b.id
        ORDER BY e.finalised_at, e.id LIMIT 1) n ON true
    WHERE a.tenant_id = p_tenant AND a.employee_id = ANY(p_employees)
        AND a.status = 'COMPLETED';
END
$$;

-- The region's read models from nothing, with the same function.
CREATE FUNCTION kinerja_training_rebuild(p_tenant bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('kinerja:training-rm', p_tenant));
    DELETE FROM training_jp WHERE tenant_id = p_tenant;
    DELETE FROM training_effect_pairs WHERE tenant_id = p_tenant;
    PERFORM kinerja_training_refresh(p_tenant, ARRAY(
        SELECT DISTINCT employee_id FROM training_assignments
        WHERE tenant_id = p_tenant AND status = 'COMPLETED' ORDER BY 1));
END
$$;

-- Statement-level: the employees whose completed assignments the statement may have
-- changed (TG_ARGV[0]: 'assignments', 'evaluations' or 'programmes'), refreshed once.
CREATE FUNCTION kinerja_training_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_kind text := TG_ARGV[0];
    v_rows text;
    v_batch record;
BEGIN
    IF v_kind = 'programmes' THEN
        -- a programme's JP changed: its completers
        v_rows := 'SELECT a.tenant_id, a.employee_id AS key FROM training_assignments a'
            ' WHERE a.status = ''COMPLETED'' AND (a.tenant_id, a.programme_id) IN ('
            ' SELECT n.tenant_id, n.id FROM new_rows n JOIN old_rows o ON o.id = n.id'
            ' WHERE n.jp_hours IS DISTINCT FROM o.jp_hours)';
    ELSE
        v_rows := CASE TG_OP
            WHEN 'INSERT' THEN 'SELECT tenant_id, employee_id AS key, status FROM new_rows'
            WHEN 'DELETE' THEN 'SELECT tenant_id, employee_id AS key, status FROM old_rows'
            ELSE 'SELECT tenant_id, employee_id AS key, status FROM new_rows'
                ' UNION ALL SELECT tenant_id, employee_id, status FROM old_rows'
        END;
        IF v_kind = 'assignments' THEN
            v_rows := 'SELECT tenant_id, key FROM (' || v_rows || ') r'
                ' WHERE r.status = ''COMPLETED''';
        ELSE  -- evaluations: a finalised one (before or after), of someone who completed one
            v_rows := 'SELECT r.tenant_id, r.key FROM (' || v_rows || ') r'
                ' WHERE r.status = ''FINALISED'' AND EXISTS (SELECT 1'
                ' FROM training_assignments a WHERE a.tenant_id = r.tenant_id'
                ' AND a.employee_id = r.key AND a.status = ''COMPLETED'')';
        END IF;
    END IF;
    FOR v_batch IN EXECUTE 'SELECT tenant_id, array_agg(DISTINCT key ORDER BY key) AS keys'
        ' FROM (' || v_rows || ') c WHERE key IS NOT NULL GROUP BY tenant_id'
    LOOP
        PERFORM kinerja_training_refresh(v_batch.tenant_id, v_batch.keys);
    END LOOP;
    RETURN NULL;
END
$$;

-- A region's new time zone moves completions across the new year.
CREATE FUNCTION kinerja_training_zone_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kinerja_training_refresh(NEW.id, ARRAY(
        SELECT DISTINCT employee_id FROM training_assignments
        WHERE tenant_id = NEW.id AND status = 'COMPLETED' ORDER BY 1));
    RETURN NULL;
END
$$;
CREATE TRIGGER training_rm_zone AFTER UPDATE OF timezone ON tenants FOR EACH ROW
    WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone)
    EXECUTE FUNCTION kinerja_training_zone_changed();

CREATE TRIGGER training_rm_update AFTER UPDATE ON training_programmes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION kinerja_training_changed('programmes');
"""

WATCHED = (("training_assignments", "assignments"), ("evaluations", "evaluations"))


def _triggers(table: str, kind: str) -> str:
    return "\n".join(
        f"CREATE TRIGGER training_rm_{op.lower()} AFTER {op} ON {table}"
        f" REFERENCING {refs} FOR EACH STATEMENT"
        f" EXECUTE FUNCTION kinerja_training_changed('{kind}');"
        for op, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    )


TRIGGERS = "\n".join(_triggers(t, k) for t, k in WATCHED)

# What exists already, counted once (an upgrade of a live database).
BACKFILL = """
SELECT kinerja_training_rebuild(t.id) FROM tenants t
WHERE EXISTS (SELECT 1 FROM training_assignments a WHERE a.tenant_id = t.id);
"""

DROP_TRIGGERS = "\n".join(
    f"DROP TRIGGER training_rm_{op} ON {t};"
    for t, _ in WATCHED
    for op in ("insert", "update", "delete")
)

REVERSE = "\n".join(
    [
        "DROP TRIGGER training_rm_update ON training_programmes;",
        "DROP TRIGGER training_rm_zone ON tenants;",
        "DROP FUNCTION kinerja_training_zone_changed();",
        "DROP FUNCTION kinerja_training_changed();",
        "DROP FUNCTION kinerja_training_rebuild(bigint);",
        "DROP FUNCTION kinerja_training_refresh(bigint, bigint[]);",
        "DROP TABLE training_effect_pairs;",
        "DROP TABLE training_jp;",
    ]
)


class Migration(migrations.Migration):
    dependencies = [("models", "0035_tpp_leave_types")]

    initial = False

    operations = [
        ops.RunSQL(CREATE, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
        ops.RunSQL(TRIGGERS + BACKFILL, reverse_sql=DROP_TRIGGERS),
    ]
