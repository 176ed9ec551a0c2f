"""Parsed and validated documents, kept by their text.

Parsing and validating a document cost more CPU than most operations themselves (about
40% of a public survey submission), and clients send the same few documents again and
again. A document enters the cache only after it passed every guard and validation rule,
so a cached text skips parsing and validation and nothing else. A document that fails is
never kept, so each attempt of a hostile one (a fragment bomb) still meets the guards.

Each kept document also has a memo (`DocumentStore.memo`): the guards whose verdict
depends only on the text (schema/limits.py: fragment expansion, NUL characters in literals,
the cost per page-size variables) keep it there, so a repeat request does none of their
walks. The memo lives and dies with its document; checks that read the viewer, the region
or the variables' other values are never kept in it.

Strawberry's ParserCache and ValidationCache do not fit: ValidationCache keys on the rule
classes, which QueryDepthLimiter makes afresh per request (so it never hits), and placed
before our guards they validated a fragment bomb before DocumentShape could refuse it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

MAX_DOCUMENT_LENGTH = 20_000  # longer texts are not kept: a cache of a few large documents


class DocumentStore:
    """A bounded LRU of query text → the document that passed; one per schema."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._memos: dict[str, dict[Any, Any]] = {}

    def get(self, query: str) -> DocumentNode | None:
        document = self._documents.get(query)
        if document is not None:
            self._documents.move_to_end(query)
        return document

    def memo(self, query: str | None, document: DocumentNode | None) -> dict[Any, Any] | None:
        """The memo of the guards' verdicts on this kept document, or None when `document`
        is not the very document kept for `query` (a new text, or one parsed afresh)."""
        if query is None or document is None or self._documents.get(query) is not document:
            return None
        return self._memos.setdefault(query, {})

    def keep(self, query: str, document: DocumentNode) -> None:
        if len(query) > MAX_DOCUMENT_LENGTH or self.max_entries <= 0:
            return
        if self._documents.get(query) is not document:
            self._memos.pop(query, None)  # a memo belongs to one document object
        self._documents[query] = document
        self._documents.move_to_end(query)
        while len(self._documents) > self.max_entries:
            evicted, _ = self._documents.popitem(last=False)
            self._memos.pop(evicted, None)

    def __len__(self) -> int:
        return len(self._documents)


class DocumentCache(SchemaExtension):
    """Serves a known text's document before parsing, marks it valid before validation,
    and keeps a new text's document once validation found nothing wrong."""

    def __init__(self, *, store: DocumentStore) -> None:
        self.store = store
        self.cached = False

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query and context.graphql_document is None:
            document = self.store.get(context.query)
            if document is not None:
                context.graphql_document = document  # Strawberry then skips parsing
                self.cached = True
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.cached:
            context.pre_execution_errors = []  # Strawberry then skips validation
        yield
        if (
            not self.cached
            and context.query
            and context.graphql_document is not None
            and context.pre_execution_errors == []
        ):
            self.store.keep(context.query, context.graphql_document)
