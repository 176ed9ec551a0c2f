"""The README's quick tour per role is meant to be pasted into GraphiQL: every document in it
must stay valid against the schema (tests/test_journey.py runs the same steps)."""

import re
from pathlib import Path

from graphql import build_schema, parse, validate

ROOT = Path(__file__).resolve().parent.parent


def tour_documents() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[
        readme.index("## Quick tour per role") : readme.index("## Onboarding a region")
    ]
    documents = []
    for block in re.findall(r"```graphql\n(.*?)```", section, re.S):
        # One operation per line start: `mutation …` or an anonymous query `{ … }`.
        documents += re.split(r"\n(?=mutation |\{ )", block.strip())
    documents += [
        " ".join(q.split()) for q in re.findall(r"`(\{ surveyResults.*?\})`", section, re.S)
    ]
    documents += re.findall(r"`(subscription \{.*?\})`", section, re.S)
    return documents


def test_every_query_of_the_readme_tour_is_valid_against_the_schema():
    schema = build_schema((ROOT / "schema" / "schema.graphql").read_text())
    documents = tour_documents()
    operations = " ".join(documents)
    for name in (
        "onboardRegion",
        "activateAccount",
        "importJob",
        "setTrainingOfficer",
        "openPeriod",
        "savePlan",
        "approvePlan",
        "finaliseEvaluation",
        "completeTraining",
        "jpLedger",
        "submitSurveyResponse",
        "surveyResults",
        "notificationReceived",
        "requestDocument",
        "requestUnitDocuments",
        "documentJob",
    ):
        assert name in operations, name
    problems = {d[:60]: [e.message for e in validate(schema, parse(d))] for d in documents}
    assert {d: p for d, p in problems.items() if p} == {}
