"""The catalogue of events and jobs holds: every topic written anywhere is declared
(`<domain>/events.py`), every declared topic is written somewhere and has a route, every
routed or enqueued job is registered with the worker, outbox rows are written only through
`kinerja_saas.outbox.service`, and what the services write matches the declared payloads."""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from kinerja_saas.auth.roles import Role
from kinerja_saas.notifications.kinds import KINDS
from kinerja_saas.outbox import catalogue
from kinerja_saas.outbox.topics import Topic, payload_fields, payload_problems
from workers import jobs, routing
from workers.settings import FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kinerja_saas", "tenants", "workers", "schema")
WRITERS = {"emit", "emit_many", "insert_events_sql", "sql_literal"}  # take a Topic first
ENQUEUERS = {"enqueue": 1, "requeue": 1, "enqueue_for_active_regions": 1, "enqueue_job": 0}
OUTBOX_SERVICE = "kinerja_saas/outbox/service.py"
# The outbox writers: the service and its SQL (the data-access convention, tests/test_data_access.py)
OUTBOX_WRITERS = (OUTBOX_SERVICE, "kinerja_saas/outbox/queries.py")


@dataclass
class Source:
    path: str  # relative to the project root
    module: str
    tree: ast.Module


def _sources(packages: tuple[str, ...] = PACKAGES) -> list[Source]:
    found = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel:
                continue
            module = rel.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
            found.append(Source(rel, module, ast.parse(path.read_text(), rel)))
    return found


SOURCES = _sources()


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _resolve(source: Source, node: ast.expr) -> Any:
    """The value of a module-level name or attribute chain (`events.PLAN_SUBMITTED`)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        names = vars(importlib.import_module(source.module))
        if node.id in names:
            return names[node.id]
        for imp in ast.walk(source.tree):  # a function-local import
            if isinstance(imp, ast.ImportFrom) and imp.module:
                for alias in imp.names:
                    if (alias.asname or alias.name) == node.id:
                        return getattr(importlib.import_module(imp.module), alias.name)
        raise LookupError(f"{source.path}: {node.id}")
    if isinstance(node, ast.Attribute):
        return getattr(_resolve(source, node.value), node.attr)
    raise LookupError(ast.unparse(node))


def _parents(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def _enclosing_function(node: ast.AST, parents: dict) -> ast.FunctionDef | None:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    return None


def _topic_values(source: Source, node: ast.expr, parents: dict, depth: int = 0) -> list[Any]:
    """What a topic argument can be: its value, or for a parameter of the enclosing function
    (e.g. plans._transition) the values every call of that function in the module passes."""
    function = _enclosing_function(node, parents)
    params = [a.arg for a in function.args.args + function.args.kwonlyargs] if function else []
    if isinstance(node, ast.Name) and node.id in params and depth < 3:
        assert function is not None
        index = [a.arg for a in function.args.args].index(node.id)
        values = []
        for call in ast.walk(source.tree):
            if isinstance(call, ast.Call) and _called_name(call) == function.name:
                passed = _arg(call, index, node.id)
                assert passed is not None, f"{source.path}: {ast.unparse(call)}"
                values += _topic_values(source, passed, parents, depth + 1)
        return values
    return [_resolve(source, node)]


def _written_topics() -> tuple[set[str], list[str]]:
    """The topics every call of the outbox writers names, and what is wrong with them."""
    written: set[str] = set()
    wrong: list[str] = []
    for source in SOURCES:
        parents = _parents(source.tree)
        for call in ast.walk(source.tree):
            if not isinstance(call, ast.Call) or _called_name(call) not in WRITERS:
                continue
            if source.path in (*OUTBOX_WRITERS, "kinerja_saas/outbox/topics.py"):
                continue  # the writers themselves, passing their argument on
            node = _arg(call, 0, "topic")
            where = f"{source.path}:{call.lineno}"
            if node is None:
                wrong.append(f"{where}: no topic")
                continue
            for value in _topic_values(source, node, parents):
                if value is None and _called_name(call) == "insert_events_sql":
                    continue  # rows of several topics: each named with sql_literal
                if value is None:
                    continue  # a caller that writes no event (plans.revise_plan)
                if not isinstance(value, Topic):
                    wrong.append(f"{where}: {value!r} is not a declared Topic")
                elif catalogue.TOPICS.get(value.name) is not value:
                    wrong.append(f"{where}: {value.name} is not in the catalogue")
                else:
                    written.add(value.name)
    return written, wrong


def test_every_topic_written_anywhere_is_declared_and_every_declared_one_is_written():
    written, wrong = _written_topics()
    assert wrong == []
    assert written == set(catalogue.TOPICS), (
        f"declared, never written: {sorted(set(catalogue.TOPICS) - written)}"
    )


def test_outbox_rows_are_written_only_by_the_outbox_service():
    insert = re.compile(r"INSERT\s+INTO\s+outbox_events", re.IGNORECASE)
    offenders = []
    for source in [*SOURCES, *_sources(("bench",))]:
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if insert.search(node.value) and source.path not in OUTBOX_WRITERS:
                    offenders.append(f"{source.path}:{node.lineno}: INSERT INTO outbox_events")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "OutboxEvent"
                and node.func.attr in ("create", "bulk_create", "get_or_create")
                and source.path not in OUTBOX_WRITERS
            ):
                offenders.append(f"{source.path}:{node.lineno}: OutboxEvent.{node.func.attr}")
    assert offenders == []


def test_topics_are_declared_only_in_the_domains_events_modules():
    declared_in = {
        source.path
        for source in SOURCES
        for node in ast.walk(source.tree)
        if isinstance(node, ast.Call) and _called_name(node) == "Topic"
    }
    assert all(re.fullmatch(r"kinerja_saas/\w+/events\.py", p) for p in declared_in), declared_in
    events_modules = {
        s.module for s in SOURCES if re.fullmatch(r"kinerja_saas/\w+/events\.py", s.path)
    }
    assert {d.__name__ for d in catalogue.DOMAINS} == events_modules
    for domain in catalogue.DOMAINS:
        module_topics = [v for v in vars(domain).values() if isinstance(v, Topic)]
        assert set(module_topics) == set(domain.TOPICS), domain.__name__
        assert all(t.domain == domain.__name__.split(".")[1] for t in domain.TOPICS)
        assert all(t.doc and payload_fields(t) for t in domain.TOPICS)


def test_every_declared_topic_has_a_route_and_every_route_a_declared_topic():
    assert set(routing.ROUTES) == set(catalogue.TOPICS)
    for name, route in routing.ROUTES.items():
        assert route.topic is catalogue.TOPICS[name]
    handler_names = [n for r in routing.ROUTES.values() for n in r.handlers]
    assert len(handler_names) == len(set(handler_names))  # idempotency keys are per handler


def test_every_routed_and_enqueued_job_is_registered_with_the_worker():
    registered = [f.name for f in FUNCTIONS]
    assert sorted(registered) == sorted(jobs.ALL)
    assert len(set(registered)) == len(registered)
    routed = {jobs.DISPATCH_EVENT, jobs.FAN_OUT_NOTIFICATIONS}
    for route in routing.ROUTES.values():
        routed |= {route.job, route.debounce.job if route.debounce else None} - {None}
    assert routed <= set(registered)
    # Every enqueue names its job with a constant of workers.jobs, never a string.
    wrong = []
    for source in SOURCES:
        if not source.path.startswith("workers/") or source.path == "workers/queue.py":
            continue
        for call in ast.walk(source.tree):
            name = _called_name(call) if isinstance(call, ast.Call) else None
            if name not in ENQUEUERS:
                continue
            node = _arg(call, ENQUEUERS[name], "function")
            where = f"{source.path}:{call.lineno}"
            if isinstance(node, ast.Constant):
                wrong.append(f"{where}: the job name {node.value!r} is a string")
            elif node is not None and not (
                isinstance(node, ast.Attribute) and ast.unparse(node.value) == "jobs"
            ):
                # a variable: e.g. the routing table's job or a loop over constants
                continue
            elif node is not None and _resolve(source, node) not in jobs.ALL:
                wrong.append(f"{where}: {ast.unparse(node)} is not a job")
    assert wrong == []


def test_each_notification_kind_comes_from_one_topic_and_reads_only_its_payload():
    """A kind's texts and recipient query read the payload of the topic that causes it."""
    notifying = [r for r in routing.ROUTES.values() if r.notify is not None]
    assert sorted(r.notify.name for r in notifying) == sorted(k.name for k in KINDS)
    for route in notifying:
        kind = route.notify
        fields = set(payload_fields(route.topic))
        read = set(re.findall(r"\$2::jsonb\s*->>?\s*'(\w+)'", kind.recipients))
        assert read <= fields, (kind.name, read - fields)
        assert set(kind.event_vars) - {"region"} <= fields, (kind.name, kind.event_vars)
    # the debounced job reads its scope from the payload
    for route in routing.ROUTES.values():
        if route.debounce:
            assert set(route.debounce.scope) <= set(payload_fields(route.topic))


def test_the_payload_check_finds_missing_undeclared_and_mistyped_keys():
    from kinerja_saas.performance.events import PLAN_RETURNED

    good = {
        "plan_id": 1,
        "period_id": 2,
        "employee_id": 3,
        "evaluator_id": None,
        "status": "RETURNED",
        "reason": "x",
    }
    assert payload_problems(PLAN_RETURNED, good) == []
    bad = {**good, "plan_id": "1", "extra": 1}
    del bad["reason"]
    assert payload_problems(PLAN_RETURNED, bad) == [
        "missing 'reason'",
        "undeclared 'extra'",
        "'plan_id' = '1' is not int",
    ]


# --- what the services write --------------------------------------------------------------


async def _flows(api, region) -> None:
    """A few flows of every domain, through their services."""
    from kinerja_saas.notifications.announcements import send_announcement
    from kinerja_saas.notifications.reminders import remind_overdue_approvals
    from kinerja_saas.performance import plans
    from kinerja_saas.performance.deadlines import announce_near_deadlines
    from kinerja_saas.performance.models import Checkpoint, Plan
    from kinerja_saas.surveys import aggregation
    from kinerja_saas.training.admin import request_assignment
    from tenants.context import tenant_transaction
    from tests.factories import full_cycle, make_nip, person, plan_results
    from tests.org.test_import import csv_bytes, import_and_run, row
    from tests.surveys.helpers import open_campaign, recompute, respond
    from tests.training.helpers import admin_actor, fill_training_tables

    admin = region.actor(Role.REGION_ADMIN)
    # A plan waiting for approval for days (a reminder), then returned.
    staff = person(region, "staff2")
    async with tenant_transaction(region.id):
        plan = await plans.save_plan(
            actor=staff, period_id=region.period.id, results=plan_results()
        )
        await plans.submit_plan(actor=staff, plan_id=plan.id)
        await Plan.filter(tenant_id=region.id, id=plan.id).update(
            submitted_at=datetime.now(UTC) - timedelta(days=30)
        )
        assert await remind_overdue_approvals() is True
        evaluator = next(k for k, e in region.employees.items() if e.id == plan.evaluator_id)
        await plans.return_plan(
            actor=person(region, evaluator, Role.SUPERVISOR), plan_id=plan.id, reason="Rinci lagi"
        )
    await full_cycle(region)
    async with tenant_transaction(region.id):
        await send_announcement(actor=admin, title="Apel pagi", body="Pukul 07.30.", unit_id=None)
        await request_assignment(
            actor=admin_actor(region), period_id=region.period.id, unit_id=None
        )
        await Checkpoint.filter(tenant_id=region.id, period_id=region.period.id).update(
            deadline=date.today() + timedelta(days=1)
        )
        assert await announce_near_deadlines() > 0
    # A survey service whose band drops.
    campaign = await open_campaign(region)
    for _ in range(3):
        await respond(region, campaign.codes["ktp"], [4] * 9)
    await recompute(region, campaign.id)
    for _ in range(6):
        await respond(region, campaign.codes["ktp"], [2] * 9)
    async with tenant_transaction(region.id):
        assert (await aggregation.aggregate_pending(campaign_id=campaign.id)).band_drops
    # A complaint on the service's code, unanswered: its head is reminded, then the admins.
    from kinerja_saas.complaints import public as complaints_public
    from kinerja_saas.complaints import service as complaints

    target = await complaints_public.resolve_code(campaign.codes["ktp"])
    assert target is not None
    async with tenant_transaction(region.id):
        await complaints_public.submit(
            target,
            complaints_public.Submission(category="WAKTU", text="Lama", client_token="katalog-1"),
            await complaints_public.context(target),
        )
        later = datetime.now(UTC) + timedelta(days=30)
        assert (await complaints.remind_overdue(now=later)).heads == 1
        assert (await complaints.remind_overdue(now=later + timedelta(days=30))).admins == 1
    await fill_training_tables(region)
    # A roster import with a new login.
    nip = make_nip()
    job = await import_and_run(
        api, region, csv_bytes(row(nip, "Pegawai Baru", "Dinas Baru", email="baru@x.go.id"))
    )
    assert job["status"] == "SUCCEEDED"
    # A role granted and revoked.
    from kinerja_saas.auth.grants import grant_role, revoke_role

    async with tenant_transaction(region.id):
        user_id = region.accounts[Role.EMPLOYEE].id
        await grant_role(actor=admin, user_id=user_id, role=Role.TRAINING_OFFICER)
        await revoke_role(actor=admin, user_id=user_id, role=Role.TRAINING_OFFICER)
    # A month's TPP asked for.
    from kinerja_saas.tpp import service as tpp
    from kinerja_saas.tpp.rules import DEFAULTS

    month = date.today().strftime("%Y-%m")
    async with tenant_transaction(region.id):
        await tpp.save_rule_set(actor=admin, effective_month=month, rules=DEFAULTS)
        await tpp.request_computation(actor=admin, month=month)
    # A national export asked for.
    from kinerja_saas.exports import service as exports
    from kinerja_saas.exports.rules import ExportFormat, ExportKind

    async with tenant_transaction(region.id):
        await exports.request_export(
            actor=admin,
            kind=ExportKind.PREDIKAT_TAHUNAN,
            year=date.today().year,
            checkpoint_number=None,
            fmt=ExportFormat.CSV,
        )
    # A document asked for (the region's predikat recap).
    from kinerja_saas.documents import service as documents
    from kinerja_saas.documents.rules import DocumentKind

    async with tenant_transaction(region.id):
        await documents.request_document(
            actor=admin, kind=DocumentKind.PREDIKAT_RECAP, subject_id=region.period.id
        )


async def test_what_the_services_write_matches_the_declared_payloads(api, region_a, owner_conn):
    await _flows(api, region_a)
    rows = await owner_conn.fetch(
        "SELECT id, topic, payload::text AS payload FROM outbox_events WHERE tenant_id = $1"
        " ORDER BY id",
        region_a.id,
    )
    problems = {}
    for r in rows:
        topic = catalogue.TOPICS.get(r["topic"])
        found = (
            ["undeclared topic"]
            if topic is None
            else payload_problems(topic, orjson.loads(r["payload"]))
        )
        if found:
            problems[f"{r['id']} {r['topic']}"] = found
    assert problems == {}
    seen = {r["topic"] for r in rows}
    # Every topic but the webhook redelivery (its flow needs an HTTP endpoint), checked here.
    missing = set(catalogue.TOPICS) - seen
    assert missing == {"notifications.webhook_redelivery"}, missing


def test_docs_events_md_is_the_catalogues_output():
    from workers.events_doc import render

    committed = (ROOT / "docs" / "events.md").read_text()
    assert committed == render(), "run: python -m workers.events_doc > docs/events.md"
