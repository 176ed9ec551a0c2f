"""Errors services raise. The API turns them into typed errors (field, code, message).

Every error a person reads is declared: each domain has an `errors.py` with an `ErrorCode` enum
whose members are the codes clients see (unchanged strings such as "NOT_FOUND") and whose
one template per code is the message in Bahasa Indonesia. A service raises with the member and
its parameters; the text comes from the catalogue:

    errors.add("title", NotificationError.TOO_LONG, max=MAX_TITLE)
    raise NotFound(OrgError.NOT_FOUND, field="unitId")

Templates take named parameters (a part in [brackets] shows only when its parameters are given): `{field}` is the Indonesian label of the field the error names
(see `FIELD_LABELS`), numbers come out with a decimal comma, lists as "a, b atau c"
(`{values}`, or `{values:dan}` for "a, b dan c"), `{x:%}` a percentage. Codes shared by every
domain (REQUIRED, TOO_LONG, NOT_FOUND, FORBIDDEN, …) live in `CommonError` below.
tests/test_error_catalogue.py renders every code and checks every raise site uses the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from string import Formatter
from typing import Any

from kinerja_saas.indonesian import listing, long_date, number, percent


def api_field(name: str) -> str:
    """A column or argument name as the API spells fields: unit_id -> unitId."""
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


# --- field labels ------------------------------------------------------------------------------
# The Indonesian name of each input field as a person reads it in a message. Domains add their
# own with `field_labels(...)` in their errors.py.

FIELD_LABELS: dict[str, str] = {
    "id": "Data",
    "ids": "Daftar id",
    "name": "Nama",
    "code": "Kode",
    "title": "Judul",
    "body": "Isi",
    "text": "Teks",
    "reason": "Alasan",
    "note": "Catatan",
    "email": "Alamat e-mail",
    "phone": "Nomor telepon",
    "slug": "Slug wilayah",
    "year": "Tahun",
    "unitId": "Unit",
    "periodId": "Periode",
    "employeeId": "Pegawai",
    "userId": "Akun",
    "after": "Kursor",
    "first": "Jumlah per halaman",
    "file": "Berkas",
    "filter": "Filter",
}
_GENERIC_LABEL = "Isian"


def field_labels(labels: Mapping[str, str]) -> None:
    """Adds a domain's field labels (a label already declared must not change)."""
    for key, label in labels.items():
        if FIELD_LABELS.get(key, label) != label:
            raise ValueError(f"field {key!r} already labelled {FIELD_LABELS[key]!r}, not {label!r}")
        FIELD_LABELS[key] = label


_INDEX = re.compile(r"\[\d+\]")


def field_label(field: str | None) -> str:
    """'answers.U3' -> 'Jawaban U3'; 'evidence[0].url' -> 'Tautan bukti'; unknown -> 'Isian'."""
    if not field:
        return _GENERIC_LABEL
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    parts = [p for p in _INDEX.sub("", field).split(".") if p and not p.isdigit()]
    for at in range(len(parts)):  # the longest known suffix: evidence.url before url
        if (dotted := ".".join(parts[at:])) in FIELD_LABELS:
            return FIELD_LABELS[dotted]
    for at in range(len(parts) - 1, -1, -1):
        if (label := FIELD_LABELS.get(parts[at])) is None:
            continue
        rest = parts[at + 1 :]
        return f"{label} {rest[0]}" if len(rest) == 1 else label  # answers.U3: its code
    return _GENERIC_LABEL


# --- the catalogue ---------------------------------------------------------------------------


class _Text(Formatter):
    """str.format for messages: Indonesian numbers and lists; a missing parameter shows as
    '…' rather than turning a typed error into a crash (the catalogue test checks them)."""

    def get_value(self, key, args, kwargs):
        return (
            kwargs.get(key, "…") if isinstance(key, str) else super().get_value(key, args, kwargs)
        )

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:
            return "–"
        if format_spec == "%":
            return percent(value)
        if isinstance(value, bool):
            return "ya" if value else "tidak"
        if isinstance(value, date):
            return long_date(value)
        if isinstance(value, int | float | Decimal):
            return number(value)
        if isinstance(value, list | tuple | set | frozenset):
            items = sorted(value) if isinstance(value, set | frozenset) else value
            return listing(items, last=format_spec or "atau")
        return super().format_field(value, "" if format_spec in ("dan", "atau") else format_spec)


_TEXT = _Text()


_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")  # "[; contoh: {example}]": only with its parameters


def template_parameters(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


class ErrorCode(StrEnum):
    """Base of each domain's declared codes: `MEMBER = "CODE", "Indonesian template."`."""

    def __new__(cls, code: str, template: str) -> ErrorCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.__dict__["_template"] = template
        return member

    @property
    def template(self) -> str:
        """The message in Bahasa Indonesia, with its {parameters}."""
        return str(self.__dict__["_template"])

    @property
    def parameters(self) -> set[str]:
        """The template's parameters besides `field`."""
        return template_parameters(self.template.replace("[", "").replace("]", "")) - {"field"}

    @property
    def required_parameters(self) -> set[str]:
        """The parameters outside the template's optional [sections]."""
        return template_parameters(_OPTIONAL.sub("", self.template)) - {"field"}

    def render(self, field: str | None = None, **params: Any) -> str:
        def optional(part: re.Match) -> str:
            given = template_parameters(part[1]) - {"field"} <= params.keys()
            return part[1] if given else ""

        template = _OPTIONAL.sub(optional, self.template)
        text = _TEXT.vformat(template, (), {**params, "field": field_label(field)})
        if template.startswith("{") and not template.startswith("{field}"):
            return text  # it starts with a name as the client spelt it ("id: …")
        return text[:1].upper() + text[1:]


def declared_codes() -> list[type[ErrorCode]]:
    """Every catalogue imported so far (the test imports them all first)."""
    found: list[type[ErrorCode]] = []
    pending = list(ErrorCode.__subclasses__())
    while pending:
        enum = pending.pop()
        found.append(enum)
        pending.extend(enum.__subclasses__())
    return found


class CommonError(ErrorCode):
    """Codes every domain uses with the same meaning."""

    REQUIRED = "REQUIRED", "{field} wajib diisi[, {min} sampai {max} karakter]."
    TOO_LONG = "TOO_LONG", "{field} terlalu panjang[: paling banyak {max} karakter]."
    TOO_MANY = "TOO_MANY", "{field} paling banyak {max}[ {unit}]."
    TOO_PRECISE = "TOO_PRECISE", "{field} paling banyak {places} angka di belakang koma."
    OUT_OF_RANGE = "OUT_OF_RANGE", "{field} harus di antara {min} dan {max}[ {unit}]."
    INVALID = (
        "INVALID",
        "{field} tidak valid[; pilih salah satu dari {values}][; contoh: {example}].",
    )
    DUPLICATE = "DUPLICATE", "{field} tersebut sudah ada."
    NOT_FOUND = "NOT_FOUND", "{field} tidak ditemukan."
    INACTIVE = "INACTIVE", "{field} sudah dinonaktifkan."
    FORBIDDEN = (
        "FORBIDDEN",
        "Anda tidak berwenang melakukan tindakan ini[; hanya {allowed} yang dapat melakukannya].",
    )
    UNAUTHENTICATED = "UNAUTHENTICATED", "Silakan masuk terlebih dahulu."
    RATE_LIMITED = (
        "RATE_LIMITED",
        "Terlalu banyak permintaan[ dari {source}]; coba lagi dalam {wait} detik.",
    )
    ERROR = "ERROR", "Permintaan tidak dapat diproses."


# --- what services raise -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None
    code: str
    message: str

    @classmethod
    def of(cls, field: str | None, error: ErrorCode, **params: Any) -> FieldError:
        """The declared error `error` on `field`, its message rendered from the catalogue."""
        return cls(field, error.value, error.render(field, **params))


class DomainError(Exception):
    code = "ERROR"

    def __init__(
        self,
        error: ErrorCode | str,
        *,
        code: str | None = None,
        field: str | None = None,
        **params: Any,
    ):
        if isinstance(error, ErrorCode):
            message = error.render(field, **params)
            code = code or error.value
        else:  # an already rendered text (e.g. a row problem of an import)
            message = error
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

    def __init__(self, errors: Iterable[FieldError]):
        errors = list(errors)
        super().__init__(" ".join(e.message for e in errors))
        self._errors = errors

    @classmethod
    def one(cls, field: str | None, error: ErrorCode, **params: Any) -> ValidationFailed:
        return cls([FieldError.of(field, error, **params)])

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

    def add(
        self, field: str | None, error: ErrorCode | str, message: str | None = None, **params: Any
    ) -> None:
        if isinstance(error, ErrorCode):
            self.errors.append(FieldError.of(field, error, **params))
        else:  # a code with its rendered text (the catalogue test allows no literal here)
            self.errors.append(FieldError(field, error, message or ""))

    def extend(self, problems: Iterable[FieldError]) -> None:
        self.errors.extend(problems)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
