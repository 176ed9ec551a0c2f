"""Periodic targets (issue #18): an indicator may carry a target per checkpoint of its
period, CUMULATIVE (reached so far, realisations as of the checkpoint) or PER_PERIOD (each
period's own amount, realisations of that period alone). The two SQL functions are the one
place the achievement SQL takes an indicator's target at a checkpoint and its value for the
year from (performance/queries.py; rules.indicator_target and rules.year_value are the same
rules in Python, a test holds them equal)."""

from tortoise import fields, migrations
from tortoise.contrib.postgres.fields import ArrayField
from tortoise.migrations import operations as ops

CONSTRAINTS = """
ALTER TABLE indicators ADD CONSTRAINT indicators_checkpoint_targets CHECK (
    (target_kind IS NULL AND checkpoint_targets IS NULL)
    OR (target_kind IN ('CUMULATIVE', 'PER_PERIOD') AND cardinality(checkpoint_targets) > 0
        AND 0 < ALL (checkpoint_targets)));

-- The target an indicator is measured against: at checkpoint `number` its own target when
-- it has periodic targets, else (and for the year, number NULL) the annual target.
CREATE FUNCTION kinerja_indicator_target(target numeric, checkpoint_targets numeric[],
    number integer)
RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN number IS NULL THEN target
        ELSE coalesce(checkpoint_targets[number], target) END
$$;

-- An indicator's value for the year (or to date): the sum of its periods' realisations when
-- its targets are PER_PERIOD, else its latest realisation (realisations as of a checkpoint).
CREATE FUNCTION kinerja_year_value(target_kind text, latest numeric, total numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN target_kind = 'PER_PERIOD' THEN total ELSE latest END
$$;
"""

REVERSE = """
DROP FUNCTION kinerja_year_value(text, numeric, numeric);
DROP FUNCTION kinerja_indicator_target(numeric, numeric[], integer);
ALTER TABLE indicators DROP CONSTRAINT indicators_checkpoint_targets;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0030_documents")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Indicator",
            name="target_kind",
            field=fields.CharField(max_length=16, null=True),
        ),
        ops.AddField(
            model_name="Indicator",
            name="checkpoint_targets",
            field=ArrayField(element_type="numeric(16,4)", null=True),
        ),
        ops.RunSQL(CONSTRAINTS, reverse_sql=REVERSE),
    ]
