"""Ratings as PermenPANRB 6/2022 states them (issue #18): the behaviour rating the platform
proposes from the BerAKHLAK values is kept beside the one the evaluator chose against it,
with the reason, as the result rating already was."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0027_tpp")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Evaluation",
            name="proposed_behaviour_rating",
            field=fields.CharField(max_length=24, null=True),
        ),
        ops.AddField(
            model_name="Evaluation",
            name="chosen_behaviour_rating",
            field=fields.CharField(max_length=24, null=True),
        ),
        ops.AddField(
            model_name="Evaluation",
            name="behaviour_override_reason",
            field=fields.TextField(null=True),
        ),
    ]
