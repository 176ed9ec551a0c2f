"""Uploaded files (multipart requests, importEmployees and importTppAttendance)."""

from __future__ import annotations

from typing import cast

from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload


def uploaded(file: Upload) -> UploadFile:
    """Strawberry declares `Upload` as a scalar with no Python shape of its own; over
    Starlette the argument is the request's `UploadFile` (its `.file` is the spooled body)."""
    return cast(UploadFile, file)
