"""Outbox topics of the documents domain (payload types and what each means)."""

from __future__ import annotations

from typing import TypedDict

from kinerja_saas.outbox.topics import Topic


class DocumentsRequested(TypedDict):
    job_id: int


DOCUMENTS_REQUESTED = Topic(
    "documents.requested",
    DocumentsRequested,
    """`requestDocument` or `requestUnitDocuments` queued a document job: a worker renders
    the PDF (or a unit's PDFs into one ZIP), stores it and records each document's
    verification code and content hash, with its progress on the job.""",
)

TOPICS = (DOCUMENTS_REQUESTED,)
