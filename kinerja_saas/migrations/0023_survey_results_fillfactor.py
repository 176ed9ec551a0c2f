"""Room on each page for the new versions of rows updated in place, so the updates are HOT
(no index entries, the old version pruned on the page) instead of moving rows to new pages.

survey_results: an aggregation run upserts the result rows of the slices it touches, and the
full recompute every row of a campaign (about 135) in one statement; no indexed column
changes. Each row's new version needs space on its own page while the old one is still
there, so half the page is kept free. Measured on a copy of the table (20 campaigns × 135
rows, each campaign rewritten once per run, four runs): fillfactor 100 made 7–25 % of the
updates HOT, the table growing every run (152 → 343 pages); 70: 47 % in the first run, 99 %
by the fourth (172 → 212 pages); 50: all of them from the first run (159 pages throughout).

survey_pending_services: each submission appends its response id to its service's row
until the campaign's run deletes it: 92 % of those updates were HOT at 100, all at 70.

Existing pages are not rewritten: the setting applies to pages filled from now on.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0022_survey_pending_services")]

    operations = [
        ops.RunSQL(
            "ALTER TABLE survey_results SET (fillfactor = 50);"
            " ALTER TABLE survey_pending_services SET (fillfactor = 70);",
            reverse_sql="ALTER TABLE survey_results RESET (fillfactor);"
            " ALTER TABLE survey_pending_services RESET (fillfactor);",
        ),
    ]
