"""The locust side of bench/load.py (run by it as a second process, never on its own).

Each simulated person belongs to one region and does what ASN and their supervisors do in a
busy week: reads notifications and the dashboards, enters realisations, edits next year's
plan draft, writes a dialog note, logs in now and then; the public submits SKM surveys.
Every response is checked (HTTP 200, no GraphQL errors, an empty `errors` payload) and its
latency recorded with the region's group (`small` or `big`), so bench/load.py computes
exact percentiles per operation and per group, and counts the accepted writes against the
rows stored.

Input: the JSON file named by KINERJA_LOAD_PLAN (bench/load.py writes it). Output: the raw
samples, to the file named by KINERJA_LOAD_OUT when locust quits.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid

import gevent
from locust import FastHttpUser, between, events, task

PLAN = json.loads(open(os.environ["KINERJA_LOAD_PLAN"]).read())
SAMPLES: list[tuple[str, str, str, float, str]] = []  # (group, region, op, ms, outcome)

MY_NOTIFICATIONS = (
    "query MyNotifications { myNotifications(first: 20) { edges { node { id kind title"
    " isRead createdAt } } pageInfo { hasNextPage endCursor } } }"
)
UNREAD = "query Unread { unreadNotificationCount }"
MY_TEAM = (
    "query MyTeam($p: ID!) { myTeam(periodId: $p) { employee { id name } planId planStatus"
    " achievementToDate missingRealisations pendingVerifications latestPredikat } }"
)
STATS = (
    "query PerformanceStats($p: ID!) { performanceStats(periodId: $p, groupBy: [UNIT, PREDIKAT])"
    " { unitId predikat plans withAchievement averageAchievement } }"
)
RECORD = (
    "mutation RecordRealisation($i: RecordRealisationInput!) { recordRealisation(input: $i)"
    " { realisation { id status } errors { field code message } } }"
)
SAVE_PLAN = (
    "mutation SavePlan($i: SavePlanInput!) { savePlan(input: $i)"
    " { plan { id status } errors { field code message } } }"
)
NOTE = (
    "mutation AddDialogNote($i: DialogNoteInput!) { addDialogNote(input: $i)"
    " { note { id } errors { field code message } } }"
)
LOGIN = (
    "mutation Login($e: String!, $p: String!) { login(email: $e, password: $p)"
    " { accessToken errors { field code message } } }"
)
SUBMIT = (
    "mutation SubmitSurvey($code: String!, $answers: [SurveyAnswerInput!]!, $token: String!) {"
    " submitSurveyResponse(code: $code, answers: $answers, clientToken: $token)"
    " { accepted replayed errors { field code message } } }"
)


def _regions(group: str) -> list[dict]:
    return [r for r in PLAN["regions"] if r["group"] == group]


class RegionUser(FastHttpUser):
    abstract = True
    group = ""
    _counters: dict[str, itertools.count] = {}

    def on_start(self) -> None:
        regions = _regions(self.group)
        # One count per group: with one shared count, users spawned alternately by group
        # would all land in the same one of two big regions.
        n = next(self._counters.setdefault(self.group, itertools.count()))
        self.region = regions[n % len(regions)]
        people = self.region["employees"]
        self.person = people[(n // len(regions)) % len(people)]
        self.rng = random.Random(n)

    def _call(self, op: str, query: str, variables: dict, token: str | None, payload: str | None):
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        with self.client.post(
            "/graphql",
            data=json.dumps({"query": query, "variables": variables}),
            headers=headers,
            name=f"{self.group}:{op}",
            catch_response=True,
        ) as response:
            ms = (time.perf_counter() - started) * 1000
            outcome = _outcome(response, payload)
            SAMPLES.append((self.group, self.region["label"], op, ms, outcome))
            if outcome == "ok":
                response.success()
            else:
                response.failure(outcome)
        if outcome in ("RATE_LIMITED", "BUSY"):
            gevent.sleep(1.0)  # as a client honouring retryAfter would, a little sooner

    # --- reads ------------------------------------------------------------------------
    @task(3)
    def my_notifications(self) -> None:
        self._call("myNotifications", MY_NOTIFICATIONS, {}, self.person["token"], None)

    @task(3)
    def unread_count(self) -> None:
        self._call("unreadNotificationCount", UNREAD, {}, self.person["token"], None)

    @task(2)
    def my_team(self) -> None:
        self._call(
            "myTeam", MY_TEAM, {"p": self.region["period"]}, self.region["supervisor_token"], None
        )

    @task(1)
    def performance_stats(self) -> None:
        self._call(
            "performanceStats",
            STATS,
            {"p": self.region["period"]},
            self.region["admin_token"],
            None,
        )

    # --- writes -----------------------------------------------------------------------
    @task(3)
    def record_realisation(self) -> None:
        variables = {
            "i": {
                "indicatorId": self.rng.choice(self.person["indicators"]),
                "checkpointId": self.rng.choice(self.region["checkpoints"]),
                "value": str(self.rng.randint(10, 120)),
                "note": "Realisasi minggu ini",
            }
        }
        self._call(
            "recordRealisation", RECORD, variables, self.person["token"], "recordRealisation"
        )

    @task(1)
    def save_plan(self) -> None:
        target = self.rng.randint(5, 50)
        variables = {
            "i": {
                "periodId": self.region["next_period"],
                "results": [
                    {
                        "kind": "UTAMA",
                        "text": f"Pelayanan administrasi tepat waktu ({target})",
                        "indicators": [
                            {
                                "text": "Dokumen selesai",
                                "aspect": "KUANTITAS",
                                "target": str(target),
                                "unit": "dokumen",
                                "weight": "60",
                            },
                            {
                                "text": "Ketepatan waktu",
                                "aspect": "WAKTU",
                                "target": "3",
                                "unit": "hari",
                                "weight": "40",
                                "direction": "LOWER_IS_BETTER",
                            },
                        ],
                    }
                ],
            }
        }
        self._call("savePlan", SAVE_PLAN, variables, self.person["token"], "savePlan")

    @task(1)
    def add_dialog_note(self) -> None:
        variables = {"i": {"planId": self.person["plan_id"], "body": "Mohon arahan, Pak."}}
        self._call("addDialogNote", NOTE, variables, self.person["token"], "addDialogNote")

    @task(2)
    def submit_survey(self) -> None:
        q = self.rng.choice([2, 3, 3, 4])
        variables = {
            "code": self.rng.choice(self.region["codes"]),
            "answers": [{"element": f"U{i}", "value": q} for i in range(1, 10)],
            "token": f"load-{uuid.uuid4().hex}",
        }
        self._call("submitSurveyResponse", SUBMIT, variables, None, "submitSurveyResponse")

    @task(1)
    def login(self) -> None:
        variables = {"e": self.person["email"], "p": PLAN["password"]}
        self._call("login", LOGIN, variables, None, "login")


def _outcome(response, payload: str | None) -> str:
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    try:
        body = json.loads(response.content)
    except (TypeError, ValueError):
        return "not JSON"
    if body.get("errors"):
        codes = sorted({(e.get("extensions") or {}).get("code", "?") for e in body["errors"]})
        return "/".join(codes)
    if payload is not None:
        result = (body.get("data") or {}).get(payload) or {}
        if result.get("errors"):
            return "payload " + "/".join(sorted({e["code"] for e in result["errors"]}))
        if payload == "submitSurveyResponse" and (
            result.get("replayed") or not result.get("accepted")
        ):
            return "survey not accepted"
        if payload == "login" and not result.get("accessToken"):
            return "no token"
    return "ok"


def _wait(group: str):
    low, high = PLAN["wait"][group]
    return between(low, high)


class SmallRegionUser(RegionUser):
    group = "small"
    fixed_count = PLAN["users"]["small"]
    wait_time = _wait("small")


class BigRegionUser(RegionUser):
    group = "big"
    fixed_count = PLAN["users"]["big"]
    wait_time = _wait("big")


@events.quitting.add_listener
def _write_samples(environment, **_kwargs) -> None:
    with open(os.environ["KINERJA_LOAD_OUT"], "w") as out:
        json.dump(SAMPLES, out)
