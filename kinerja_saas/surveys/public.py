"""The public side: a code to its form, and an anonymous response.

A code is resolved before any tenant is known, through the definer function
`survey_code_lookup` (migration 0016), which returns only (tenant, campaign, service) for the
exact code of an active region. The caller then works in that region's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from tortoise import connections

from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.outbox import service as outbox
from kinerja_saas.regions.region_settings import with_defaults
from kinerja_saas.surveys.errors import SurveyError
from kinerja_saas.surveys.events import RESPONSE_SUBMITTED
from kinerja_saas.surveys.rules import ELEMENT_COUNT, PROFILE_FIELDS, valid_answer
from tenants.context import current_tenant_id
from tenants.models import Tenant

CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")
CLIENT_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,64}")
EXTRA_ANSWER_MAX = 1000
SUBMITTED_TOPIC = RESPONSE_SUBMITTED


@dataclass(frozen=True)
class CodeTarget:
    tenant_id: int
    campaign_id: int
    service_id: int


async def resolve_code(code: str) -> CodeTarget | None:
    """Any region's code, without a tenant; None for an unknown code (or suspended region)."""
    if not CODE_SHAPE.fullmatch(code or ""):
        return None
    rows = await connections.get("default").execute_query_dict(
        "SELECT tenant_id, campaign_id, service_id FROM survey_code_lookup($1)", [code]
    )
    return CodeTarget(**rows[0]) if rows else None


def region_today(tenant: Tenant) -> date:
    return _today(str(tenant.timezone.value))


@dataclass(frozen=True)
class Rules:
    """What a submission is checked against: the campaign's questions and the region's
    limits at this moment."""

    is_open: bool
    element_codes: tuple[str, ...]
    profile_fields: tuple[str, ...]
    extra_questions: tuple[dict, ...]
    suggestion_max_length: int
    per_ip_per_hour: int


@dataclass(frozen=True)
class FormElement:
    code: str
    name: str
    answer_labels: tuple[str, ...]  # the region's labels of answers 1–4


@dataclass(frozen=True)
class Form:
    """What the survey page and `surveyForm` show, and nothing else of the region."""

    region_name: str
    timezone: str
    campaign_name: str
    period_label: str
    opens_on: date
    closes_on: date
    service_name: str
    unit_name: str
    elements: tuple[FormElement, ...]
    extra_questions: tuple[dict, ...]  # {"code", "text", "required"}
    profile_fields: tuple[str, ...]
    suggestion_max_length: int
    is_open: bool

    def today(self) -> date:
        return _today(self.timezone)


# Under RLS in the code's region (its tenant_id filters too): the region, campaign, service
# and unit names, the campaign's questions and the elements with the region's labels.
_FORM = """
SELECT t.name AS region_name, t.timezone::text AS timezone,
    t.settings -> 'surveys' AS survey_settings,
    c.name AS campaign_name, c.period_label, c.opens_on, c.closes_on, c.extra_questions,
    c.profile_fields, s.name AS service_name, u.name AS unit_name,
    (SELECT jsonb_agg(jsonb_build_array(e.code, e.name, e.answer_labels) ORDER BY e.position)
     FROM survey_elements e WHERE e.tenant_id = t.id) AS elements
FROM tenants t
JOIN survey_campaigns c ON c.tenant_id = t.id AND c.id = $2
JOIN survey_services s ON s.tenant_id = t.id AND s.id = $3
-- Still in the campaign: a service taken out of it since the code was looked up has no form.
JOIN survey_campaign_services cs ON cs.tenant_id = t.id AND cs.campaign_id = c.id
    AND cs.service_id = s.id
JOIN org_units u ON u.tenant_id = t.id AND u.id = s.unit_id
WHERE t.id = $1
"""


async def form(target: CodeTarget) -> Form:
    """In the code's region transaction: everything the survey page and `surveyForm` show,
    in one statement."""
    rows = await connections.get("default").execute_query_dict(
        _FORM, [current_tenant_id(), target.campaign_id, target.service_id]
    )
    if not rows:  # the campaign or service was deleted since the code was resolved
        raise NotFound(SurveyError.UNKNOWN_CODE, field="code")
    row = rows[0]
    limits = _survey_limits(row["survey_settings"])
    today = _today(row["timezone"])
    return Form(
        region_name=row["region_name"],
        timezone=row["timezone"],
        campaign_name=row["campaign_name"],
        period_label=row["period_label"],
        opens_on=row["opens_on"],
        closes_on=row["closes_on"],
        service_name=row["service_name"],
        unit_name=row["unit_name"],
        elements=tuple(
            FormElement(code, name, tuple(labels))
            for code, name, labels in _json(row["elements"]) or ()
        ),
        extra_questions=tuple(_json(row["extra_questions"]) or ()),
        profile_fields=tuple(_json(row["profile_fields"]) or ()),
        suggestion_max_length=limits["suggestion_max_length"],
        is_open=row["opens_on"] <= today <= row["closes_on"],
    )


def _today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def _survey_limits(stored: object) -> dict:
    """The region's survey settings (`settings -> 'surveys'`) over the defaults."""
    return with_defaults({"surveys": _json(stored) or {}})["surveys"]


def _rules(row: dict) -> Rules:
    today = _today(row["timezone"])
    limits = _survey_limits(row["survey_settings"])
    return Rules(
        is_open=row["opens_on"] <= today <= row["closes_on"],
        element_codes=tuple(row["element_codes"]),
        profile_fields=tuple(_json(row["profile_fields"]) or ()),
        extra_questions=tuple(_json(row["extra_questions"]) or ()),
        suggestion_max_length=limits["suggestion_max_length"],
        per_ip_per_hour=limits["rate_limit_per_ip_per_hour"],
    )


def _json(value: object) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def resolve_code_with_rules(code: str) -> tuple[CodeTarget, Rules] | None:
    """Like `resolve_code`, with the rules a submission is checked against, in the same
    statement (the definer function `survey_code_rules`: only what the public form shows).
    The submission's hot path: one round trip before it enters the region."""
    if not CODE_SHAPE.fullmatch(code or ""):
        return None
    rows = await connections.get("default").execute_query_dict(
        "SELECT * FROM survey_code_rules($1)", [code]
    )
    if not rows:
        return None
    row = rows[0]
    target = CodeTarget(row["tenant_id"], row["campaign_id"], row["service_id"])
    return target, _rules(row)


@dataclass(frozen=True)
class Submission:
    answers: dict[str, object]  # element code (U1..U9) -> 1..4
    client_token: str
    profile: dict[str, str | None] = field(default_factory=dict)  # age_band, gender, …
    suggestion: str | None = None
    extra_answers: dict[str, str] = field(default_factory=dict)


def _validate(rules: Rules, sub: Submission, errors: ErrorCollector) -> list[int]:
    if not rules.is_open:
        errors.add("code", SurveyError.CAMPAIGN_CLOSED)
    if not CLIENT_TOKEN_SHAPE.fullmatch(sub.client_token or ""):
        errors.add("clientToken", CommonError.INVALID, example="a1b2-c3d4_e5f6")
    codes = rules.element_codes
    values: list[int] = []
    for code in codes:
        value = sub.answers.get(code)
        if value is None:
            errors.add(f"answers.{code}", CommonError.REQUIRED)
        elif not valid_answer(value):
            errors.add(f"answers.{code}", CommonError.OUT_OF_RANGE, min=1, max=4)
        else:
            values.append(value)
    for code in sub.answers:
        if code not in codes:
            errors.add(f"answers.{code}", SurveyError.UNKNOWN)
    asked = set(rules.profile_fields)
    for name, value in sub.profile.items():
        if value is None:
            continue
        field_name = f"profile.{name}"
        if name not in PROFILE_FIELDS or name not in asked:
            errors.add(field_name, SurveyError.NOT_ASKED)
        elif value not in PROFILE_FIELDS[name]:
            errors.add(field_name, CommonError.INVALID, values=PROFILE_FIELDS[name])
    if sub.suggestion is not None and len(sub.suggestion) > rules.suggestion_max_length:
        errors.add("suggestion", CommonError.TOO_LONG, max=rules.suggestion_max_length)
    questions = {q["code"]: q for q in rules.extra_questions}
    for code, text in sub.extra_answers.items():
        if code not in questions:
            errors.add(f"extraAnswers.{code}", SurveyError.UNKNOWN)
        elif len(text) > EXTRA_ANSWER_MAX:
            errors.add(f"extraAnswers.{code}", CommonError.TOO_LONG, max=EXTRA_ANSWER_MAX)
    for code, question in questions.items():
        if question.get("required") and not (sub.extra_answers.get(code) or "").strip():
            errors.add(f"extraAnswers.{code}", CommonError.REQUIRED)
    if len(values) != ELEMENT_COUNT:
        errors.add("answers", SurveyError.INCOMPLETE, count=ELEMENT_COUNT)
    return values


# The response, its id appended to its service's pending row (surveys.aggregation takes
# them), and an event when the service was not pending yet: the event schedules the
# campaign's debounced aggregation, which takes every pending row up to then. The upsert
# locks the pending row until this transaction ends, so an aggregation taking the row
# waits for this response to commit and then counts it.
_NEWLY_PENDING_EVENT = outbox.insert_events_sql(
    RESPONSE_SUBMITTED,
    payload_sql="jsonb_build_object('campaign_id', campaign_id, 'service_id', service_id)",
    tail_sql="FROM pending WHERE newly_pending",
)
_INSERT = (
    """
WITH response AS (
    INSERT INTO survey_responses (tenant_id, campaign_id, service_id,
        u1, u2, u3, u4, u5, u6, u7, u8, u9,
        age_band, gender, education, occupation, suggestion, extra_answers, client_token,
        submitted_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
        $18::jsonb, $19, now())
    ON CONFLICT (tenant_id, campaign_id, client_token) DO NOTHING
    RETURNING id, campaign_id, service_id
),
pending AS (
    INSERT INTO survey_pending_services AS p (tenant_id, campaign_id, service_id, response_ids)
    SELECT $1, campaign_id, service_id, ARRAY[id] FROM response
    ON CONFLICT (tenant_id, campaign_id, service_id)
        DO UPDATE SET response_ids = p.response_ids || EXCLUDED.response_ids
    RETURNING (xmax = 0) AS newly_pending, campaign_id, service_id
),
event AS ("""
    + _NEWLY_PENDING_EVENT
    + """)
SELECT id FROM response
"""
)


@dataclass(frozen=True)
class Submitted:
    response_id: int
    replayed: bool  # the clientToken was seen before: nothing new was written


async def submit(target: CodeTarget, sub: Submission, rules: Rules) -> Submitted:
    """Validates everything against `rules` (from `resolve_code_with_rules`), then writes
    the response and its outbox event, or nothing. A replayed clientToken (same campaign)
    returns the first response."""
    errors = ErrorCollector()
    values = _validate(rules, sub, errors)
    errors.raise_if_any()
    conn = connections.get("default")
    suggestion = (sub.suggestion or "").strip() or None
    extra = {k: v.strip() for k, v in sub.extra_answers.items() if v.strip()}
    rows = await conn.execute_query_dict(
        _INSERT,
        [
            target.tenant_id,
            target.campaign_id,
            target.service_id,
            *values,
            *(sub.profile.get(name) for name in PROFILE_FIELDS),
            suggestion,
            orjson.dumps(extra).decode(),
            sub.client_token,
        ],
    )
    if not rows:
        existing = await conn.execute_query_dict(
            "SELECT id FROM survey_responses"
            " WHERE tenant_id = $1 AND campaign_id = $2 AND client_token = $3",
            [target.tenant_id, target.campaign_id, sub.client_token],
        )
        if not existing:  # cannot happen: the conflict was on this key
            raise NotFound(CommonError.NOT_FOUND, field="clientToken")
        return Submitted(existing[0]["id"], replayed=True)
    return Submitted(rows[0]["id"], replayed=False)
