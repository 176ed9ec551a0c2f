"""The declared type of an outbox topic: its name, its payload type and what it means.

Each domain declares its topics in `kinerja_saas/<domain>/events.py`, one `Topic` constant
per topic, with a TypedDict for its payload; `kinerja_saas.outbox.catalogue` collects them
and `workers.routing` says what consumes each. A Topic is a `str` (its name), so it can be
compared with, stored and looked up like the topic column of `outbox_events`; only
`outbox.service.emit` insists on a declared Topic rather than any string.

This module imports nothing of the project: every domain's events module can import it.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints

P = TypeVar("P")


class Topic(str, Generic[P]):
    """An outbox topic, e.g. `Topic("performance.plan_submitted", PlanEvent, "…")`."""

    payload: type[P]
    doc: str

    def __new__(cls, name: str, payload: type[P], doc: str) -> Topic[P]:
        if not name or not all(c.isalnum() or c in "._-" for c in name) or "." not in name:
            raise ValueError(f"not a topic name: {name!r} (domain.what_happened)")
        topic = super().__new__(cls, name)
        topic.payload = payload
        topic.doc = " ".join(doc.split())
        return topic

    @property
    def name(self) -> str:
        return str.__str__(self)

    @property
    def domain(self) -> str:
        return self.name.split(".", 1)[0]

    def __repr__(self) -> str:
        return f"Topic({self.name!r})"

    def __reduce__(self):  # pickled (e.g. in a job's arguments) as the plain name
        return (str, (self.name,))


def sql_literal(topic: Topic[Any]) -> str:
    """The topic as a SQL string literal, for set-based statements that write events
    (`outbox.service.insert_events_sql`). Topic names are checked when declared, so they
    need no escaping."""
    if not isinstance(topic, Topic):
        raise TypeError(f"not a declared topic: {topic!r}")
    return f"'{topic.name}'"


def payload_fields(topic: Topic[Any]) -> dict[str, Any]:
    """Field name → declared type of the topic's payload (a TypedDict or a dataclass)."""
    return get_type_hints(topic.payload)


def required_fields(topic: Topic[Any]) -> frozenset[str]:
    return _required(topic.payload)


def payload_problems(topic: Topic[Any], payload: dict[str, Any]) -> list[str]:
    """What is wrong with `payload` (as stored: JSON values) for `topic`'s declared type:
    missing or unknown keys, and values of the wrong JSON type (nested TypedDicts too).
    Empty when it matches."""
    return _problems(topic.payload, payload)


def _required(payload_type: type) -> frozenset[str]:
    return frozenset(getattr(payload_type, "__required_keys__", get_type_hints(payload_type)))


def _problems(payload_type: type, payload: dict[str, Any]) -> list[str]:
    fields = get_type_hints(payload_type)
    problems = [f"missing {key!r}" for key in sorted(_required(payload_type) - payload.keys())]
    problems += [f"undeclared {key!r}" for key in sorted(payload.keys() - fields.keys())]
    for key, value in payload.items():
        if key in fields and not _json_matches(value, fields[key]):
            problems.append(f"{key!r} = {value!r} is not {_type_name(fields[key])}")
    return problems


def _json_matches(value: Any, declared: Any) -> bool:
    if declared is Any:
        return True
    origin = get_origin(declared)
    if origin in (Union, types.UnionType):
        return any(_json_matches(value, arg) for arg in get_args(declared))
    if origin is typing.Literal:
        return value in get_args(declared)
    if declared is type(None):
        return value is None
    if declared is bool:
        return isinstance(value, bool)
    if declared is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if declared is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if declared is str:
        return isinstance(value, str)
    if origin is list or declared is list:
        args = get_args(declared)
        return isinstance(value, list) and (
            not args or all(_json_matches(item, args[0]) for item in value)
        )
    if origin is dict or declared is dict:
        return isinstance(value, dict)
    if isinstance(declared, type) and hasattr(declared, "__required_keys__"):  # a TypedDict
        return isinstance(value, dict) and not _problems(declared, value)
    return True  # a type this check does not know: not judged


def _type_name(declared: Any) -> str:
    return getattr(declared, "__name__", None) or str(declared).replace("typing.", "")


__all__ = ["Topic", "payload_fields", "payload_problems", "required_fields", "sql_literal"]
