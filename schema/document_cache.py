"""Parsed and validated documents, kept by their text.

Parsing and validating a document cost more CPU than most operations themselves (about
40% of a public survey submission), and clients send the same few documents again and
again. A document enters the cache only after it passed every guard and validation rule,
so a cached text skips parsing and validation and nothing else. A document that fails is
never kept, so each attempt of a hostile one (a fragment bomb) still meets the guards.

Strawberry's ParserCache and ValidationCache do not fit: ValidationCache keys on the rule
classes, which QueryDepthLimiter makes afresh per request (so it never hits), and placed
before our guards they validated a fragment bomb before DocumentShape could refuse it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

MAX_DOCUMENT_LENGTH = 20_000  # longer texts are not kept: a cache of a few large documents


class DocumentStore:
    """A bounded LRU of query text → the document that passed; one per schema."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()

    def get(self, query: str) -> DocumentNode | None:
        document = self._documents.get(query)
        if document is not None:
            self._documents.move_to_end(query)
        return document

    def keep(self, query: str, document: DocumentNode) -> None:
        if len(query) > MAX_DOCUMENT_LENGTH or self.max_entries <= 0:
            return
        self._documents[query] = document
        self._documents.move_to_end(query)
        while len(self._documents) > self.max_entries:
            self._documents.popitem(last=False)

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
