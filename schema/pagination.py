"""Relay-style keyset pagination: cursors carry the sort key and id of the last row, so a
page costs the same at row 100,000 as at row 1 and inserts never shift a page."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import orjson
import strawberry

from kinerja_saas.errors import ValidationFailed
from schema.error_codes import ApiError

DEFAULT_PAGE_SIZE = 20


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def page_info(edges: list, *, has_next: bool, after: str | None) -> PageInfo:
    """PageInfo of a forward page: `edges` have a `cursor`."""
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


def encode_cursor(value: Any, row_id: int, order: str = "") -> str:
    """`order` names the sort the cursor belongs to; another sort refuses it."""
    if isinstance(value, datetime):
        value = {"ts": value.isoformat()}
    return base64.urlsafe_b64encode(orjson.dumps([value, row_id, order])).decode()


def decode_cursor(
    cursor: str, order: str = "", value_type: type | tuple[type, ...] | None = None
) -> tuple[Any, int]:
    """The (sort value, id) of a cursor of `order`; `value_type`: what the sort value must
    be (a forged cursor holding a number where the column is text is the client's error,
    not a failed statement). A NUL in a text value is refused here, before any SQL, for the
    ordinary and the compiled path alike (their roots decode cursors with this function)."""
    try:
        value, row_id, cursor_order = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["ts"])
        if type(row_id) is not int:  # as encoded: never a string ("١٢" would pass int())
            raise ValueError("not an integer id")
        if not 0 <= row_id < 2**63 or not isinstance(value, str | int | float | datetime | None):
            raise ValueError("out of range")
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold a NUL
            raise ValueError("a NUL in the value")
    except Exception as exc:  # any malformed cursor is the client's input error
        raise ValidationFailed.one("after", ApiError.INVALID_CURSOR) from exc
    if cursor_order != order or (value_type is not None and not isinstance(value, value_type)):
        raise ValidationFailed.one("after", ApiError.INVALID_CURSOR)
    return value, row_id


def page_size(first: int | None, maximum: int) -> int:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0 or size > maximum:
        raise ValidationFailed.one("first", ApiError.PAGE_SIZE, max=maximum)
    return size
