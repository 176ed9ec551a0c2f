"""Errors services raise. The API turns them into typed errors (field, code, message)."""

from __future__ import annotations

from dataclasses import dataclass


def api_field(name: str) -> str:
    """A column or argument name as the API spells fields: unit_id -> unitId."""
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None
    code: str
    message: str


class DomainError(Exception):
    code = "ERROR"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    @property
    def errors(self) -> list[FieldError]:
        return [FieldError(self.field, self.code, self.message)]

    @property
    def extensions(self) -> dict[str, str]:
        """Machine-readable details that APIs pass on to clients."""
        details = {"code": self.code}
        if self.field:
            details["field"] = self.field
        return details


class ValidationFailed(DomainError):
    """One or more inputs are invalid; nothing was written."""

    code = "INVALID"

    def __init__(self, errors: list[FieldError]):
        super().__init__(" ".join(e.message for e in errors))
        self._errors = errors

    @property
    def errors(self) -> list[FieldError]:
        return list(self._errors)

    @property
    def extensions(self) -> dict:
        first = self._errors[0]
        return {
            "code": first.code,
            "field": first.field,
            "errors": [
                {"field": e.field, "code": e.code, "message": e.message} for e in self._errors
            ],
        }


class NotFound(DomainError):
    code = "NOT_FOUND"


class PermissionDenied(DomainError):
    code = "FORBIDDEN"


class AuthenticationFailed(DomainError):
    code = "UNAUTHENTICATED"


class ErrorCollector:
    """Gathers every problem of an input before failing, so a form can show them all."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str | None, code: str, message: str) -> None:
        self.errors.append(FieldError(field, code, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
