"""A finalised evaluation is frozen with the evidence it was based on (issue #18): per
indicator the realisation, its source and the achievement at the first finalisation. Later
realisations (a late survey response moving a unit's IKM) never alter the evaluation; an
appeal is decided on the same evidence."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0028_rating_rules")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Evaluation",
            name="evidence",
            field=fields.JSONField(null=True),
        ),
    ]
