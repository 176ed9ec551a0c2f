"""The catalogue of outbox topics: every domain's declared topics (`<domain>/events.py`),
in one place. What consumes each topic is the routing table, `workers.routing`;
`kinerja events` prints both (docs/events.md is its output)."""

from __future__ import annotations

from typing import Any

from kinerja_saas.auth import events as auth
from kinerja_saas.complaints import events as complaints
from kinerja_saas.documents import events as documents
from kinerja_saas.exports import events as exports
from kinerja_saas.notifications import events as notifications
from kinerja_saas.org import events as org
from kinerja_saas.outbox.topics import Topic
from kinerja_saas.performance import events as performance
from kinerja_saas.surveys import events as surveys
from kinerja_saas.tpp import events as tpp
from kinerja_saas.training import events as training

DOMAINS = (
    auth,
    org,
    performance,
    surveys,
    training,
    tpp,
    documents,
    complaints,
    exports,
    notifications,
)

TOPICS: dict[str, Topic[Any]] = {t.name: t for d in DOMAINS for t in d.TOPICS}


def declared(name: str) -> Topic[Any] | None:
    return TOPICS.get(name)


__all__ = ["DOMAINS", "TOPICS", "declared"]
