"""The authorisation matrix: every root Query, Mutation and Subscription field × every
role, and region A's admin aimed at region B's objects, against the real app over ASGI
with real tokens. MATRIX below is the one place where who may do what is written down;
a new root field without a row fails test_every_root_field_has_a_row.

Each cell sends the field with minimal valid arguments (tests/security/operations.py)
and compares the outcome with MATRIX: OK (past authorisation; the minimal input may still
be refused as invalid), NULL (allowed, nothing there for this caller), or the code of
the refusal. A refused cell must also have written nothing, and no cell may answer with
an unexpected error or anything of region B."""

from __future__ import annotations

import json
import os

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.settings import Settings
from schema.schema import build_schema
from tests.security.conftest import COLUMNS, EMPLOYEE
from tests.security.matrix_runner import DENIALS, NULL, OK, codes, outcome, unexpected
from tests.security.operations import root_fields

UNAUTH, NO_REGION, FORBIDDEN, NOT_FOUND = "UNAUTHENTICATED", "NO_REGION", "FORBIDDEN", "NOT_FOUND"
MISMATCH = "REGION_MISMATCH"
TOKEN = "ALREADY_AUTHENTICATED"  # sent with a token: a request's region is its token's

# field: (anonymous, PLATFORM_OPERATOR, REGION_ADMIN, SUPERVISOR, EMPLOYEE, TRAINING_OFFICER,
#         region A's admin on region B's objects)
MATRIX: dict[str, tuple[str, str, str, str, str, str, str]] = {
    # --- queries ---
    "me": (UNAUTH, OK, OK, OK, OK, OK, OK),
    "region": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "regions": (UNAUTH, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "units": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "unit": (UNAUTH, NO_REGION, OK, OK, OK, OK, NULL),
    "employees": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "employee": (UNAUTH, NO_REGION, OK, OK, OK, NOT_FOUND, NOT_FOUND),
    "importJob": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NULL),
    "importJobs": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "behaviourValues": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "surveyElements": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "competencies": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "trainingRules": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "periods": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "myPlan": (UNAUTH, NO_REGION, NULL, NULL, OK, NULL, NULL),
    "plan": (UNAUTH, NO_REGION, OK, OK, OK, NOT_FOUND, NOT_FOUND),
    "plans": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "myEvaluations": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "myTeam": (UNAUTH, NO_REGION, OK, OK, OK, OK, NOT_FOUND),
    "performanceStats": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "distributionCheck": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "rewardsAndSanctions": (UNAUTH, NO_REGION, OK, OK, OK, NOT_FOUND, NOT_FOUND),
    "actingAppointments": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "positionHistory": (UNAUTH, NO_REGION, OK, OK, OK, NOT_FOUND, NOT_FOUND),
    "appraisalTeam": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "myNotifications": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "unreadNotificationCount": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "notificationPreferences": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "notificationTexts": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "webhookEndpoints": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "webhookDeliveries": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "surveyForm": (OK, MISMATCH, OK, OK, OK, OK, MISMATCH),
    "publishedSurveyResults": (OK, NOT_FOUND, OK, OK, OK, OK, NOT_FOUND),
    "surveyServices": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "surveyCampaigns": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, OK),
    "surveyTrends": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "surveyResults": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "surveySuggestions": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "trainingUnits": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "trainingProgrammes": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "trainingBatches": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "trainingAssignments": (UNAUTH, NO_REGION, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN),
    "myTrainings": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "teamTrainings": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, OK),
    "jpLedger": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "trainingEffectiveness": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "tppRuleSets": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "tppMonth": (UNAUTH, NO_REGION, NULL, FORBIDDEN, FORBIDDEN, FORBIDDEN, NULL),
    "tppLines": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "tppExportCsv": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "myTpp": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    # public by a service's survey code or a tracking code: their region, no other
    "complaintForm": (OK, MISMATCH, OK, OK, OK, OK, MISMATCH),
    "complaintStatus": (OK, MISMATCH, OK, OK, OK, OK, MISMATCH),
    # unit heads (chief heads BIDANG-A) and the region admin
    "complaints": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, OK),
    "complaintStatistics": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, OK),
    "nationalExport": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NULL),
    "nationalExports": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    # the job of staff1's SKP, asked for by staff1 (EMPLOYEE): theirs and the admin's
    "documentJob": (UNAUTH, NO_REGION, OK, NULL, OK, NULL, NULL),
    # --- mutations ---
    "login": (OK, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN),
    "refreshToken": (OK, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN),
    "logout": (OK, OK, OK, OK, OK, OK, OK),
    "activateAccount": (OK, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN),
    "issueActivation": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "changePassword": (UNAUTH, OK, OK, OK, OK, OK, OK),
    "logoutEverywhere": (UNAUTH, OK, OK, OK, OK, OK, OK),
    "grantRole": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "appointActing": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "transferEmployee": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "endActingAppointment": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "appointAppraisalTeamMember": (
        UNAUTH,
        NO_REGION,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        NOT_FOUND,
    ),
    "removeAppraisalTeamMember": (
        UNAUTH,
        NO_REGION,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        NOT_FOUND,
    ),
    "revokeRole": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "onboardRegion": (UNAUTH, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "suspendRegion": (UNAUTH, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "reactivateRegion": (UNAUTH, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "setRegionPlan": (UNAUTH, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "updateRegionSettings": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "createUnit": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "updateUnit": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "deactivateUnit": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "createEmployee": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "updateEmployee": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "deactivateEmployee": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "importEmployees": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "openPeriod": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "advancePeriod": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "setCheckpointDeadline": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "savePlan": (UNAUTH, NO_REGION, OK, OK, OK, OK, NOT_FOUND),
    "submitPlan": (UNAUTH, NO_REGION, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND),
    "approvePlan": (UNAUTH, NO_REGION, FORBIDDEN, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
    "returnPlan": (UNAUTH, NO_REGION, FORBIDDEN, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
    "revisePlan": (UNAUTH, NO_REGION, FORBIDDEN, OK, OK, NOT_FOUND, NOT_FOUND),
    "copyResultsDown": (UNAUTH, NO_REGION, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND),
    "recordRealisation": (UNAUTH, NO_REGION, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND),
    "verifyRealisation": (UNAUTH, NO_REGION, FORBIDDEN, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
    "rejectRealisation": (UNAUTH, NO_REGION, FORBIDDEN, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
    "addDialogNote": (UNAUTH, NO_REGION, OK, OK, OK, NOT_FOUND, NOT_FOUND),
    "saveEvaluation": (UNAUTH, NO_REGION, FORBIDDEN, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
    "saveSelfEvaluation": (UNAUTH, NO_REGION, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND),
    "finaliseEvaluation": (UNAUTH, NO_REGION, FORBIDDEN, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
    "appealEvaluation": (UNAUTH, NO_REGION, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND),
    "setUnitRating": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "recordRewardOrSanction": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "markNotificationsRead": (UNAUTH, NO_REGION, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND),
    "markAllNotificationsRead": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "setNotificationPreferences": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
    "setNotificationText": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "sendAnnouncement": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "resetNotificationText": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "createWebhookEndpoint": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "updateWebhookEndpoint": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "rotateWebhookSecret": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "deleteWebhookEndpoint": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "redeliverWebhook": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "submitSurveyResponse": (OK, MISMATCH, OK, OK, OK, OK, MISMATCH),
    "saveSurveyService": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "createSurveyCampaign": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "setSurveyCampaignDates": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "publishSurveyResults": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "recomputeSurveyResults": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "saveCompetency": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "saveTrainingUnit": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "setTrainingOfficer": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "setWebhookEndpointTrainingUnit": (
        UNAUTH,
        NO_REGION,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        NOT_FOUND,
    ),
    "saveTrainingProgramme": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "createTrainingBatch": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "saveTrainingRule": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "assignTraining": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "enrolInTraining": (UNAUTH, NO_REGION, OK, OK, OK, OK, NOT_FOUND),
    "assignTrainingForPeriod": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "confirmTrainingBatch": (UNAUTH, NO_REGION, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND),
    "recordTrainingAttendance": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND),
    "completeTraining": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND),
    "markTrainingNoShow": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND),
    "cancelTrainingAssignment": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND),
    "saveTppRuleSet": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "setTppBaseAmounts": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "importTppAttendance": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "computeTpp": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "closeTppMonth": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "submitComplaint": (OK, MISMATCH, OK, OK, OK, OK, MISMATCH),
    "answerComplaint": (UNAUTH, NO_REGION, OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    "requestNationalExport": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    # staff1's SKP: staff1, the evaluator (chief) and the admin; nobody else knows it exists
    "requestDocument": (UNAUTH, NO_REGION, OK, OK, OK, NOT_FOUND, NOT_FOUND),
    "requestUnitDocuments": (UNAUTH, NO_REGION, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND),
    # --- subscriptions (test_subscription_refusals) ---
    "notificationReceived": (UNAUTH, NO_REGION, OK, OK, OK, OK, OK),
}

RECORD = os.environ.get("KINERJA_MATRIX_RECORD")  # a path: write what is observed there
_observed: dict[str, dict[str, str]] = {}

ALL_FIELDS = root_fields(build_schema(Settings(env="dev"))._schema)
CELLS = [
    (name, column)
    for name, root in ALL_FIELDS.items()
    if root != "subscription"
    for column in COLUMNS
]


def test_every_root_field_has_a_row():
    assert sorted(set(ALL_FIELDS) - set(MATRIX)) == [], "add the new fields to MATRIX"
    assert sorted(set(MATRIX) - set(ALL_FIELDS)) == [], "fields gone from the schema"
    for name, row in MATRIX.items():
        assert len(row) == len(COLUMNS), name
        assert all(cell in (OK, NULL, *DENIALS) for cell in row), name


@pytest.mark.parametrize(("field", "column"), CELLS, ids=[f"{f}-{c}" for f, c in CELLS])
async def test_cell(security, field, column):
    operation = security.builder.operation(ALL_FIELDS[field], field, security.target(column))
    before = await security.fingerprint()
    response = await security.post(operation, column)
    assert response.status_code == 200, response.text
    body = response.json()
    assert unexpected(body) == [], (operation.document, operation.variables)
    observed = outcome(body, field)
    # Nothing of region B reaches a caller of region A (or no region).
    assert security.world.b.marker not in response.text
    if RECORD:
        _observed.setdefault(field, {})[column] = f"{observed} {codes(body, field)}"
        _dump()
        return
    expected = MATRIX[field][COLUMNS.index(column)]
    assert observed == expected, (observed, body, operation.document, operation.variables)
    if expected != OK and await security.fingerprint() != before:
        # On a loaded machine an earlier test's background work (the outbox relay, a job)
        # can land during this request: once the database is quiet, the same request again
        # must write nothing (a refused request that writes, writes again).
        before = await security.settled_fingerprint()
        await security.post(operation, column)
        assert await security.fingerprint() == before, "a refused request wrote something"


def _dump():
    with open(RECORD, "w") as out:
        json.dump(_observed, out, indent=1)


async def test_subscription_refusals(security, settings):
    """notificationReceived: the matrix's row over a real socket. Anonymous and operator
    sockets close with 4403 (the close frame carries no code, so MATRIX's code is what
    the server refused with: see test_live); every region role is acknowledged; a message
    naming region B's notification for a region A subscriber delivers nothing."""
    import orjson
    from redis.asyncio import Redis

    from kinerja_saas.notifications.live import live_channel
    from tests.notifications.test_live import (
        SUBSCRIPTION,
        api_server,
        assert_quiet,
        closed_with,
        open_socket,
        wait_until,
    )

    expected = dict(zip(COLUMNS, MATRIX["notificationReceived"], strict=True))
    a, b = security.world.a, security.world.b
    async with api_server(settings) as server:
        for column in COLUMNS[:-1]:
            token = security.tokens[column]
            ws = await open_socket(server, {"authorization": f"Bearer {token}"} if token else {})
            if expected[column] != OK:
                assert await closed_with(ws) == 4403, column
                continue
            ack = json.loads(await ws.recv())
            assert ack["type"] == "connection_ack", column
            await ws.close()
        employee = a.region.accounts[Role.EMPLOYEE].id
        ws = await open_socket(server, {"authorization": f"Bearer {security.tokens[EMPLOYEE]}"})
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
        await wait_until(
            lambda: (
                server.hub.subscriber_count(a.region.id, employee) > 0
                and server.hub.is_listening(a.region.id)
            ),
            "the subscription",
        )
        redis = Redis.from_url(settings.redis_url)
        try:
            forged = {"event_id": 1, "notifications": [[b.ids["notification"], employee]]}
            await redis.publish(live_channel(a.region.id, settings.redis_url), orjson.dumps(forged))
        finally:
            await redis.aclose()
        await assert_quiet(ws)
        await ws.close()
