"""Texts of a notification: the kind's template (or the region's override) compiled into a
SQL expression, so each recipient's text is built by the statement that stores it.

Event values (from the payload) become parameters; recipient values (the recipient query's
columns) become column references; values filled at send time stay as `{placeholders}`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from string import Formatter
from typing import Any

from kinerja_saas.errors import CommonError, FieldError
from kinerja_saas.indonesian import long_date, number
from kinerja_saas.notifications.errors import NotificationError
from kinerja_saas.notifications.kinds import Kind

MAX_TITLE = 300
MAX_BODY = 5000
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")  # a Decimal the payload carries as text: "66.67"
_CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{4,}$")  # SANGAT_BAIK, SUCCEEDED
_LABELS = {
    "SUCCEEDED": "berhasil",
    "FAILED": "gagal",
    "TPP": "TPP",
}


def format_value(value: Any) -> str:
    """A payload value as an ASN reads it: dates in Indonesian, codes as words."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, float | Decimal):
        return number(value, places=2).rstrip("0").rstrip(",")
    text = str(value)
    if _DECIMAL.match(text):
        return format_value(Decimal(text))
    if m := _ISO_DATE.match(text):
        return long_date(date(int(m[1]), int(m[2]), int(m[3])))
    if _CODE.match(text):
        if text in _LABELS:
            return _LABELS[text]
        words = [_LABELS.get(w, w.capitalize()) for w in text.split("_")]
        return " ".join(words)
    return text


def event_values(kind: Kind, payload: dict[str, Any], region_name: str) -> dict[str, str]:
    values = {key: format_value(payload.get(key)) for key in kind.event_vars}
    values["region"] = region_name
    return values


def compile_text(
    template: str, *, kind: Kind, values: dict[str, str], param: Callable[[str], str]
) -> str:
    """A SQL text expression for `template`; `param(value)` binds a value and returns its
    placeholder. Recipient columns are read from the alias `r`."""
    parts: list[str] = []
    for literal, field, _spec, _conversion in Formatter().parse(template):
        if literal:
            parts.append(f"{param(literal)}::text")
        if field is None:
            continue
        if field in values:
            parts.append(f"{param(values[field])}::text")
        elif field == "nama" or field in kind.recipient_vars:
            parts.append(f"coalesce(r.{field}::text, '')")
        else:  # filled at send time
            parts.append(f"{param('{' + field + '}')}::text")
    return "(" + " || ".join(parts) + ")" if parts else "''::text"


def template_problems(kind: Kind, *, title: str, body: str) -> list[FieldError]:
    """A region's override: not empty, within limits, only the kind's placeholders."""
    problems: list[FieldError] = []
    for field, text, limit in (("title", title, MAX_TITLE), ("body", body, MAX_BODY)):
        if not text.strip():
            problems.append(FieldError.of(field, CommonError.REQUIRED))
            continue
        if len(text) > limit:
            problems.append(FieldError.of(field, CommonError.TOO_LONG, max=limit))
        try:
            fields = [(f, s, c) for _, f, s, c in Formatter().parse(text) if f is not None]
        except ValueError:
            problems.append(FieldError.of(field, NotificationError.INVALID_TEMPLATE))
            continue
        unknown = sorted({f for f, _, _ in fields if f not in kind.variables})
        if unknown:
            problems.append(
                FieldError.of(
                    field,
                    NotificationError.UNKNOWN_PLACEHOLDER,
                    unknown=["{" + u + "}" for u in unknown],
                    known=["{" + v + "}" for v in kind.variables],
                )
            )
        elif any(s or c for _, s, c in fields):
            problems.append(FieldError.of(field, NotificationError.INVALID_TEMPLATE))
    return problems
