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

from kinerja_saas.errors import CommonError, ErrorCollector, NotFound
from kinerja_saas.regions.settings import SurveySettings
from kinerja_saas.regions.settings import load as load_settings
from kinerja_saas.surveys import queries
from kinerja_saas.surveys.errors import SurveyError
from kinerja_saas.surveys.events import RESPONSE_SUBMITTED
from kinerja_saas.surveys.rules import ELEMENT_COUNT, PROFILE_FIELDS, valid_answer
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
    row = await queries.code_target(code)
    return CodeTarget(**row) if row else None


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


async def form(target: CodeTarget) -> Form:
    """In the code's region transaction: everything the survey page and `surveyForm` show,
    in one statement."""
    row = await queries.form_row(campaign_id=target.campaign_id, service_id=target.service_id)
    if row is None:  # the campaign or service was deleted since the code was resolved
        raise NotFound(SurveyError.UNKNOWN_CODE, field="code")
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
        suggestion_max_length=limits.suggestion_max_length,
        is_open=row["opens_on"] <= today <= row["closes_on"],
    )


def _today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def _survey_limits(stored: object, region: int | None = None) -> SurveySettings:
    """The region's survey settings (`settings -> 'surveys'`) over the defaults."""
    return load_settings({"surveys": _json(stored) or {}}, region=region).surveys


def _rules(row: dict) -> Rules:
    today = _today(row["timezone"])
    limits = _survey_limits(row["survey_settings"], row.get("tenant_id"))
    return Rules(
        is_open=row["opens_on"] <= today <= row["closes_on"],
        element_codes=tuple(row["element_codes"]),
        profile_fields=tuple(_json(row["profile_fields"]) or ()),
        extra_questions=tuple(_json(row["extra_questions"]) or ()),
        suggestion_max_length=limits.suggestion_max_length,
        per_ip_per_hour=limits.rate_limit_per_ip_per_hour,
    )


def _json(value: object) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def resolve_code_with_rules(code: str) -> tuple[CodeTarget, Rules] | None:
    """Like `resolve_code`, with the rules a submission is checked against, in the same
    statement (the definer function `survey_code_rules`: only what the public form shows).
    The submission's hot path: one round trip before it enters the region."""
    if not CODE_SHAPE.fullmatch(code or ""):
        return None
    row = await queries.code_rules(code)
    if row is None:
        return None
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
    suggestion = (sub.suggestion or "").strip() or None
    extra = {k: v.strip() for k, v in sub.extra_answers.items() if v.strip()}
    response_id = await queries.insert_response(
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
    if response_id is None:
        existing = await queries.response_of_client_token(
            tenant_id=target.tenant_id,
            campaign_id=target.campaign_id,
            client_token=sub.client_token,
        )
        if existing is None:  # cannot happen: the conflict was on this key
            raise NotFound(CommonError.NOT_FOUND, field="clientToken")
        return Submitted(existing, replayed=True)
    return Submitted(response_id, replayed=False)
