"""Running one cell of the authorisation matrix and reading its outcome."""

from __future__ import annotations

from typing import Any

from schema.errors import UNEXPECTED_MESSAGE

# Refusals for who is asking (or for an object they may not see), as opposed to
# problems with the input.
DENIALS = (
    "UNAUTHENTICATED",
    "NO_REGION",
    "FORBIDDEN",
    "REGION_MISMATCH",
    "NOT_FOUND",
    "ALREADY_AUTHENTICATED",  # login, refreshToken, activateAccount: never with a token
)
OK = "OK"  # past authorisation (the minimal input may still be refused as invalid)
NULL = "NULL"  # allowed, and the object is not there for this caller


def codes(body: dict[str, Any], field: str) -> list[str]:
    """Codes of the top-level errors, then of the payload's typed errors."""
    found = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    payload = (body.get("data") or {}).get(field)
    if isinstance(payload, dict):
        found += [e["code"] for e in payload.get("errors") or []]
    return [c for c in found if c]


def outcome(body: dict[str, Any], field: str) -> str:
    for code in codes(body, field):
        if code in DENIALS:
            return code
    data = body.get("data")
    if isinstance(data, dict) and field in data and data[field] is None and not body.get("errors"):
        return NULL
    return OK


def unexpected(body: dict[str, Any]) -> list[str]:
    """Messages of masked (unexpected) errors: a 500 in GraphQL clothing."""
    return [
        e["message"] for e in body.get("errors") or [] if e.get("message") == UNEXPECTED_MESSAGE
    ]
