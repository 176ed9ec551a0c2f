"""Read models of the performance cycle (issue 19): the dashboards and team views read them
instead of computing from every realisation on each request.

- `plan_progress`: per plan one row for the year (checkpoint_id NULL: achievement to date,
  pending verifications, the year's evaluation, the latest predikat) and one per checkpoint
  of its period (achievement there, realisations counted and missing, the evaluation there).
- `plan_progress_counts`: the same rows counted per period × checkpoint (NULL: the year) ×
  plan's unit × plan status × predikat × result rating × behaviour rating, with the number
  of plans with an achievement and its sum: the region's statistics read a few hundred rows
  instead of 60,000.

Kept current in the writing transaction by statement-level triggers (one refresh per
statement whatever the number of rows it wrote, from its transition tables) on realisations,
indicators, plans, evaluations and checkpoints, and on the region's achievement cap. Why
triggers rather than calls from the services: every write path keeps them current — the
services, the survey fill (one INSERT … ON CONFLICT for a campaign), cascading, imports,
seeds and the benches' generators — and a forgotten call site cannot leave them stale; the
cost is set-based (one refresh of the touched plans per statement, a few ms for a plan).

All of the arithmetic is in `kinerja_progress_refresh` (one SQL place: a per-checkpoint
target would change it there); `kinerja_progress_rebuild` recomputes a region from nothing
with the same function (`kinerja rebuild-read-models`, performance/service.py).

Concurrency: a refresh locks the to-date rows of its plans (in plan order) before it reads,
then computes in a new statement, whose snapshot (READ COMMITTED) sees what an earlier
refresh of the same plan committed; the counts change by deltas (plans + 1 − 1), which
commute. A rebuild holds the region's advisory lock exclusively, refreshes share it.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

TABLES = ("plan_progress", "plan_progress_counts")

# Whenever `regions/defaults.py` changes the default cap this must too (a test holds them).
DEFAULT_CAP = "120"

# The refresh's one statement: the read models of the plans $2 of region $1 recomputed with
# the achievement cap $3 from the plans, indicators, realisations, checkpoints and
# evaluations (all of the arithmetic is here), and the counts changed by the difference.
APPLY = """
    WITH pl AS (
        SELECT p.id, p.period_id, p.employee_id, p.unit_id, p.status
        FROM plans p WHERE p.tenant_id = $1 AND p.id = ANY($2)
    ), ind AS (  -- what counts: an approved plan's indicators
        SELECT i.id, i.plan_id, i.target, i.direction, i.weight, i.target_kind,
            i.checkpoint_targets
        FROM indicators i JOIN pl ON pl.id = i.plan_id AND pl.status = 'APPROVED'
        WHERE i.tenant_id = $1
    ), w AS (
        SELECT plan_id, sum(weight) AS total, count(*)::int AS n FROM ind GROUP BY plan_id
    ), rv AS (  -- counted realisations (not rejected), at the checkpoint's own target
        SELECT ind.plan_id, r.indicator_id, r.checkpoint_id, c.number, r.value,
            kinerja_achievement(kinerja_indicator_target(ind.target, ind.checkpoint_targets,
                c.number::int), r.value, ind.direction, $3) * ind.weight AS score
        FROM realisations r JOIN ind ON ind.id = r.indicator_id
        JOIN checkpoints c ON c.tenant_id = $1 AND c.id = r.checkpoint_id
        WHERE r.tenant_id = $1 AND r.status <> 'REJECTED'
    ), latest AS (  -- to date: each indicator's value for the year (latest, or the sum
        -- for PER_PERIOD targets) against the annual target
        SELECT rv.plan_id, kinerja_achievement(ind.target, kinerja_year_value(ind.target_kind,
                (array_agg(rv.value ORDER BY rv.number DESC))[1], sum(rv.value)),
                ind.direction, $3) * ind.weight AS score
        FROM rv JOIN ind ON ind.id = rv.indicator_id
        GROUP BY rv.plan_id, ind.id, ind.target, ind.target_kind, ind.direction, ind.weight
    ), to_date AS (
        SELECT plan_id, sum(score) AS score FROM latest GROUP BY plan_id
    ), at_checkpoint AS (
        SELECT plan_id, checkpoint_id, sum(score) AS score, count(*)::int AS n
        FROM rv GROUP BY plan_id, checkpoint_id
    ), pending AS (
        SELECT r.plan_id, count(*)::int AS n FROM realisations r
        WHERE r.tenant_id = $1 AND r.plan_id = ANY($2) AND r.status = 'SUBMITTED'
        GROUP BY r.plan_id
    ), ev AS (  -- a draft's ratings are no result yet
        SELECT e.plan_id, e.checkpoint_id, e.status, e.predikat, e.result_rating,
            e.behaviour_rating, c.number
        FROM evaluations e LEFT JOIN checkpoints c
            ON c.tenant_id = $1 AND c.id = e.checkpoint_id
        WHERE e.tenant_id = $1 AND e.plan_id = ANY($2) AND e.status <> 'DRAFT'
    ), latest_ev AS (  -- the year's predikat, else the latest checkpoint's
        SELECT DISTINCT ON (plan_id) plan_id, predikat, status FROM ev
        WHERE predikat IS NOT NULL
        ORDER BY plan_id, (checkpoint_id IS NULL) DESC, number DESC
    ), missing AS (
        SELECT pl.id AS plan_id, array_agg(c.ends_on ORDER BY c.number) AS ends,
            array_agg(coalesce(w.n, 0) - coalesce(ac.n, 0) ORDER BY c.number) AS counts
        FROM pl
        JOIN checkpoints c ON c.tenant_id = $1 AND c.period_id = pl.period_id
        LEFT JOIN w ON w.plan_id = pl.id
        LEFT JOIN at_checkpoint ac ON ac.plan_id = pl.id AND ac.checkpoint_id = c.id
        GROUP BY pl.id
    ), fresh AS (
        SELECT pl.id AS plan_id, NULL::bigint AS checkpoint_id, pl.period_id, pl.employee_id,
            pl.unit_id, pl.status::varchar(16) AS plan_status,
            round(td.score / w.total, 2) AS achievement,  -- no entry: "no data", null
            coalesce(w.n, 0) AS indicators, 0 AS counted, 0 AS missing,
            coalesce(pe.n, 0) AS pending, ye.predikat, ye.result_rating, ye.behaviour_rating,
            le.predikat AS latest_predikat, le.status::varchar(16) AS latest_evaluation_status,
            mi.ends AS missing_ends, mi.counts AS missing_counts,
            w.total IS NOT NULL AND td.score IS NULL AS no_data
        FROM pl
        LEFT JOIN w ON w.plan_id = pl.id
        LEFT JOIN to_date td ON td.plan_id = pl.id
        LEFT JOIN pending pe ON pe.plan_id = pl.id
        LEFT JOIN ev ye ON ye.plan_id = pl.id AND ye.checkpoint_id IS NULL
        LEFT JOIN latest_ev le ON le.plan_id = pl.id
        LEFT JOIN missing mi ON mi.plan_id = pl.id
        UNION ALL
        SELECT pl.id, c.id, pl.period_id, pl.employee_id, pl.unit_id, pl.status,
            round(ac.score / w.total, 2),
            coalesce(w.n, 0), coalesce(ac.n, 0), coalesce(w.n, 0) - coalesce(ac.n, 0), 0,
            ce.predikat, ce.result_rating, ce.behaviour_rating, NULL, NULL, NULL, NULL,
            w.total IS NOT NULL AND ac.score IS NULL
        FROM pl
        JOIN checkpoints c ON c.tenant_id = $1 AND c.period_id = pl.period_id
        LEFT JOIN w ON w.plan_id = pl.id
        LEFT JOIN at_checkpoint ac ON ac.plan_id = pl.id AND ac.checkpoint_id = c.id
        LEFT JOIN ev ce ON ce.plan_id = pl.id AND ce.checkpoint_id = c.id
    ), stale AS (
        SELECT * FROM plan_progress WHERE tenant_id = $1 AND plan_id = ANY($2)
    ), gone AS (
        DELETE FROM plan_progress x WHERE x.tenant_id = $1 AND x.id IN (
            -- (coalesce, not IS NOT DISTINCT FROM: an equality joins by hash)
            SELECT s.id FROM stale s WHERE NOT EXISTS (SELECT 1 FROM fresh f
                WHERE f.plan_id = s.plan_id
                    AND coalesce(f.checkpoint_id, 0) = coalesce(s.checkpoint_id, 0)))
    ), put AS (
        INSERT INTO plan_progress AS x (tenant_id, plan_id, checkpoint_id, period_id,
            employee_id, unit_id, plan_status, achievement, indicators, counted, missing,
            pending, predikat, result_rating, behaviour_rating, latest_predikat,
            latest_evaluation_status, missing_ends, missing_counts, no_data)
        SELECT $1, f.* FROM fresh f
        ON CONFLICT (tenant_id, plan_id, checkpoint_id) DO UPDATE SET
            period_id = EXCLUDED.period_id, employee_id = EXCLUDED.employee_id,
            unit_id = EXCLUDED.unit_id, plan_status = EXCLUDED.plan_status,
            achievement = EXCLUDED.achievement, indicators = EXCLUDED.indicators,
            counted = EXCLUDED.counted, missing = EXCLUDED.missing,
            pending = EXCLUDED.pending, predikat = EXCLUDED.predikat,
            result_rating = EXCLUDED.result_rating, behaviour_rating = EXCLUDED.behaviour_rating,
            latest_predikat = EXCLUDED.latest_predikat,
            latest_evaluation_status = EXCLUDED.latest_evaluation_status,
            missing_ends = EXCLUDED.missing_ends, missing_counts = EXCLUDED.missing_counts,
            no_data = EXCLUDED.no_data
        WHERE (x.period_id, x.employee_id, x.unit_id, x.plan_status, x.achievement,
                x.indicators, x.counted, x.missing, x.pending, x.predikat, x.result_rating,
                x.behaviour_rating, x.latest_predikat, x.latest_evaluation_status,
                x.missing_ends, x.missing_counts, x.no_data)
            IS DISTINCT FROM (EXCLUDED.period_id, EXCLUDED.employee_id, EXCLUDED.unit_id,
                EXCLUDED.plan_status, EXCLUDED.achievement, EXCLUDED.indicators,
                EXCLUDED.counted, EXCLUDED.missing, EXCLUDED.pending, EXCLUDED.predikat,
                EXCLUDED.result_rating, EXCLUDED.behaviour_rating, EXCLUDED.latest_predikat,
                EXCLUDED.latest_evaluation_status, EXCLUDED.missing_ends,
                EXCLUDED.missing_counts, EXCLUDED.no_data)
    ), delta AS (
        SELECT period_id, checkpoint_id, unit_id, plan_status, predikat, result_rating,
            behaviour_rating, 1 AS plans, (achievement IS NOT NULL)::int AS with_achievement,
            coalesce(achievement, 0) AS achievement_sum, no_data::int AS no_data
        FROM fresh
        UNION ALL
        SELECT period_id, checkpoint_id, unit_id, plan_status, predikat, result_rating,
            behaviour_rating, -1, -(achievement IS NOT NULL)::int, -coalesce(achievement, 0),
            -no_data::int
        FROM stale
    )
    INSERT INTO plan_progress_counts AS k (tenant_id, period_id, checkpoint_id, unit_id,
        plan_status, predikat, result_rating, behaviour_rating, plans, with_achievement,
        achievement_sum, no_data)
    SELECT $1, period_id, checkpoint_id, unit_id, plan_status, predikat, result_rating,
        behaviour_rating, sum(plans), sum(with_achievement), sum(achievement_sum), sum(no_data)
    FROM delta
    GROUP BY period_id, checkpoint_id, unit_id, plan_status, predikat, result_rating,
        behaviour_rating
    HAVING sum(plans) <> 0 OR sum(with_achievement) <> 0 OR sum(achievement_sum) <> 0
        OR sum(no_data) <> 0
    -- one order for every writer: two refreshes wait for each other, never in a circle
    ORDER BY period_id, checkpoint_id, unit_id, plan_status, predikat, result_rating,
        behaviour_rating
    ON CONFLICT (tenant_id, period_id, checkpoint_id, unit_id, plan_status, predikat,
        result_rating, behaviour_rating) DO UPDATE SET
        plans = k.plans + EXCLUDED.plans,
        with_achievement = k.with_achievement + EXCLUDED.with_achievement,
        achievement_sum = k.achievement_sum + EXCLUDED.achievement_sum,
        no_data = k.no_data + EXCLUDED.no_data
"""
SMALL_BATCH = 20

REFRESH_FUNCTION = """-- Small batches (a user's write: a few plans) run the statement with a plan cached per
-- connection: planning it took 5-25 ms, ten times running it for one plan. Larger ones
-- (a survey fill, a bulk update) plan it with the batch's values: a generic plan, made
-- for an unknown number of plans, nested its loops over 300 plans for minutes.
CREATE FUNCTION kinerja_progress_refresh(p_tenant bigint, p_plans bigint[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_cap numeric;
    v_nestloop text;
BEGIN
    IF p_plans IS NULL OR cardinality(p_plans) = 0 THEN
        RETURN;
    END IF;
    v_cap := kinerja_region_cap(p_tenant);
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('kinerja:plan-progress', p_tenant));
    -- Another transaction refreshing one of these plans goes first; the statement after
    -- this one sees what it committed.
    PERFORM 1 FROM plan_progress
        WHERE tenant_id = p_tenant AND plan_id = ANY(p_plans) AND checkpoint_id IS NULL
        ORDER BY plan_id FOR UPDATE;
    IF cardinality(p_plans) <= %(small)s THEN
%(static)s;
    ELSE
        -- A large batch joins whole sets: hash joins. PostgreSQL 16 (the embedded server)
        -- chose nested loops over the CTEs here and spent minutes on 300 plans, where 15
        -- took a moment; the setting is put back at once (and by the transaction's end).
        v_nestloop := current_setting('enable_nestloop');
        PERFORM set_config('enable_nestloop', 'off', true);
        EXECUTE $apply$%(dynamic)s$apply$ USING p_tenant, p_plans, v_cap;
        PERFORM set_config('enable_nestloop', v_nestloop, true);
    END IF;
END
$$;
""" % {
    "small": SMALL_BATCH,
    "static": APPLY.replace("$1", "p_tenant")
    .replace("$2", "p_plans")
    .replace("$3", "v_cap")
    .rstrip(),
    "dynamic": APPLY,
}

CREATE = f"""
CREATE TABLE plan_progress (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    plan_id bigint NOT NULL,
    checkpoint_id bigint,               -- NULL: the year (to date)
    period_id bigint NOT NULL,
    employee_id bigint NOT NULL,
    unit_id bigint NOT NULL,
    plan_status varchar(16) NOT NULL,
    achievement numeric,                -- approved plans with indicators only
    indicators integer NOT NULL,        -- an approved plan's indicators, else 0
    counted integer NOT NULL,           -- checkpoint rows: counted realisations there
    missing integer NOT NULL,           -- checkpoint rows: indicators without one
    pending integer NOT NULL,           -- the year's row: realisations awaiting verification
    predikat varchar(24),               -- the evaluation there (never a draft)
    result_rating varchar(24),
    behaviour_rating varchar(24),
    latest_predikat varchar(24),        -- the year's row: the year's, else the latest checkpoint's
    latest_evaluation_status varchar(16),
    -- the year's row: each checkpoint's end and missing realisations (the team view sums
    -- those ended before today without reading the checkpoint rows)
    missing_ends date[],
    missing_counts integer[],
    -- approved with indicators but no counted realisation (there): "no data", not 0 %
    no_data boolean NOT NULL
);
CREATE UNIQUE INDEX plan_progress_key ON plan_progress (tenant_id, plan_id, checkpoint_id)
    NULLS NOT DISTINCT;
CREATE INDEX plan_progress_period_employee ON plan_progress (tenant_id, period_id, employee_id);

CREATE TABLE plan_progress_counts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    period_id bigint NOT NULL,
    checkpoint_id bigint,
    unit_id bigint NOT NULL,
    plan_status varchar(16) NOT NULL,
    predikat varchar(24),
    result_rating varchar(24),
    behaviour_rating varchar(24),
    plans integer NOT NULL,             -- 0 rows may stay behind; readers skip them
    with_achievement integer NOT NULL,
    achievement_sum numeric NOT NULL,
    no_data integer NOT NULL
);
CREATE UNIQUE INDEX plan_progress_counts_key ON plan_progress_counts (tenant_id, period_id,
    checkpoint_id, unit_id, plan_status, predikat, result_rating, behaviour_rating)
    NULLS NOT DISTINCT;

-- The region's achievement cap, as performance.achievement.achievement_cap reads it.
CREATE FUNCTION kinerja_region_cap(p_tenant bigint) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT (t.settings #>> '{{performance,achievement_cap}}')::numeric
                     FROM tenants t WHERE t.id = p_tenant), {DEFAULT_CAP})
$$;

-- The read models of these plans, recomputed from the plans, indicators, realisations,
-- checkpoints and evaluations; the counts change by the difference.
{REFRESH_FUNCTION}

-- The region's read models from nothing, with the same function.
CREATE FUNCTION kinerja_progress_rebuild(p_tenant bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('kinerja:plan-progress', p_tenant));
    DELETE FROM plan_progress WHERE tenant_id = p_tenant;
    DELETE FROM plan_progress_counts WHERE tenant_id = p_tenant;
    PERFORM kinerja_progress_refresh(p_tenant,
        ARRAY(SELECT id FROM plans WHERE tenant_id = p_tenant ORDER BY id));
END
$$;

-- Statement-level: the plans the statement's rows belong to (TG_ARGV[0]: the column holding
-- the plan id, or 'period_id' for checkpoints: every plan of the period), refreshed once.
CREATE FUNCTION kinerja_progress_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_column text := TG_ARGV[0];
    v_rows text;
    v_batch record;
BEGIN
    v_rows := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT tenant_id, %I AS key FROM new_rows', v_column)
        WHEN 'DELETE' THEN format('SELECT tenant_id, %I AS key FROM old_rows', v_column)
        ELSE format('SELECT tenant_id, %1$I AS key FROM new_rows'
                    ' UNION SELECT tenant_id, %1$I FROM old_rows', v_column)
    END;
    IF v_column = 'period_id' THEN
        v_rows := 'SELECT p.tenant_id, p.id AS key FROM plans p WHERE (p.tenant_id, p.period_id)'
            ' IN (' || v_rows || ')';
    END IF;
    FOR v_batch IN EXECUTE 'SELECT tenant_id, array_agg(DISTINCT key ORDER BY key) AS plans'
        ' FROM (' || v_rows || ') c WHERE key IS NOT NULL GROUP BY tenant_id'
    LOOP
        PERFORM kinerja_progress_refresh(v_batch.tenant_id, v_batch.plans);
    END LOOP;
    RETURN NULL;
END
$$;

-- A changed achievement cap changes every achievement of the region.
CREATE FUNCTION kinerja_progress_cap_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kinerja_progress_refresh(NEW.id,
        ARRAY(SELECT id FROM plans WHERE tenant_id = NEW.id ORDER BY id));
    RETURN NULL;
END
$$;
CREATE TRIGGER progress_cap AFTER UPDATE OF settings ON tenants FOR EACH ROW
    WHEN (OLD.settings #> '{{performance,achievement_cap}}'
          IS DISTINCT FROM NEW.settings #> '{{performance,achievement_cap}}')
    EXECUTE FUNCTION kinerja_progress_cap_changed();
"""

WATCHED = (
    ("realisations", "plan_id"),
    ("indicators", "plan_id"),
    ("plans", "id"),
    ("evaluations", "plan_id"),
    ("checkpoints", "period_id"),
)


def _triggers(table: str, column: str) -> str:
    return "\n".join(
        f"CREATE TRIGGER progress_{op.lower()} AFTER {op} ON {table}"
        f" REFERENCING {refs} FOR EACH STATEMENT"
        f" EXECUTE FUNCTION kinerja_progress_changed('{column}');"
        for op, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    )


TRIGGERS = "\n".join(_triggers(t, c) for t, c in WATCHED)

# What exists already, counted once (an upgrade of a live database).
BACKFILL = """
SELECT kinerja_progress_rebuild(t.id) FROM tenants t
WHERE EXISTS (SELECT 1 FROM plans p WHERE p.tenant_id = t.id);
"""

DROP_TRIGGERS = "\n".join(
    f"DROP TRIGGER progress_{op} ON {t};"
    for t, _ in WATCHED
    for op in ("insert", "update", "delete")
)

REVERSE = "\n".join(
    [
        "DROP TRIGGER progress_cap ON tenants;",
        "DROP FUNCTION kinerja_progress_cap_changed();",
        "DROP FUNCTION kinerja_progress_changed();",
        "DROP FUNCTION kinerja_progress_rebuild(bigint);",
        "DROP FUNCTION kinerja_progress_refresh(bigint, bigint[]);",
        "DROP FUNCTION kinerja_region_cap(bigint);",
        "DROP TABLE plan_progress_counts;",
        "DROP TABLE plan_progress;",
    ]
)


class Migration(migrations.Migration):
    dependencies = [("models", "0033_acting_transfers_appeals")]

    initial = False

    operations = [
        ops.RunSQL(CREATE, reverse_sql=REVERSE),
        *(ops.RunSQL(enable_rls(t), reverse_sql=disable_rls(t)) for t in TABLES),
        ops.RunSQL(TRIGGERS + BACKFILL, reverse_sql=DROP_TRIGGERS),
    ]
