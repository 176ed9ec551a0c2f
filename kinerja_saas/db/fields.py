"""Enum columns read leniently: a stored value that is not a member of its enum (a row
written around the application, a member since removed) reads as None with one WARNING line
per column and value per process, instead of failing every read of the region's rows.

Only for descriptive columns whose readers treat None as "unknown" (a unit's kind, an
employee's position type); a state machine's status must stay strict."""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

from tortoise.fields.data import CharEnumFieldInstance

from kinerja_saas.logs import get_logger

E = TypeVar("E", bound=Enum)

log = get_logger("kinerja.data")

# (column, value) already announced by this process.
_announced: set[tuple[str, str]] = set()


def known_choice(enum_type: type[E], value: Any, *, column: str) -> E | None:
    """`enum_type(value)`, or None (announced once) when the stored value is not a member."""
    if value is None:
        return None
    try:
        return enum_type(value)
    except ValueError:
        key = (column, str(value))
        if key not in _announced:
            _announced.add(key)
            log.warning(
                "stored value is not a known choice; read as null",
                column=column,
                value=str(value)[:64],
                choices=[str(m.value) for m in enum_type],
            )
        return None


class LenientCharEnumFieldInstance(CharEnumFieldInstance):
    def to_python_value(self, value: str | None) -> Enum | None:
        if value is None or isinstance(value, self.enum_type):
            return value
        column = f"{self.model._meta.db_table}.{self.source_field or self.model_field_name}"
        return known_choice(self.enum_type, value, column=column)


def LenientCharEnumField(enum_type: type[E], max_length: int = 0, **kwargs: Any) -> Any:
    """Tortoise's CharEnumField, but an unknown stored value reads as None (see above).
    Writes are as strict as ever."""
    return LenientCharEnumFieldInstance(enum_type, max_length=max_length, **kwargs)
