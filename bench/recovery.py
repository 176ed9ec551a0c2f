"""Recovery bench (`make bench-recovery`): faults against real `kinerja` processes on a
private PostgreSQL cluster and private Redis servers (tests/faults/servers.py), with the
production defaults for leases (30 s, renewed every 10 s) and outage backoff (capped at
15 s). For each fault it counts, once everything is back and drained:

- writes acknowledged and present (units created by a loop of clients; every 200 answer
  without errors must have its row);
- notifications per recipient of each acknowledged announcement (exactly one in-app) and
  e-mails per recipient (at most one: the .eml files the dev mail transport writes);
- outbox events not done;
- the time from the servers' return (or the kill) to the last delivery.

    .venv/bin/python -m bench.recovery                  # every scenario, ~20 minutes
    .venv/bin/python -m bench.recovery --quick          # outages of 10 s, to check it works
    .venv/bin/python -m bench.recovery --only pg-100s   # one scenario

Results: bench/results/recovery.json and a Markdown table on the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import asyncpg
import httpx

from bench.common import (
    RESULTS_DIR,
    ApiServer,
    KinerjaProcess,
    child_env,
    dev_settings,
    kinerja_executable,
    load_average,
    run_until_terminated,
)
from kinerja_saas.auth.roles import Role
from tests.faults.conftest import REGION, Cluster
from tests.faults.servers import PrivatePostgres, PrivateRedis

RESULTS_FILE = RESULTS_DIR / "recovery.json"
DATABASE = "kinerja_recovery"
EXTRA_RECIPIENTS = 200  # logins added to the demo region, so a fan-out has 200+ recipients
CREATE_UNIT = """mutation($input: CreateUnitInput!) {
  createUnit(input: $input) { unit { code } errors { code } } }"""
SEND = """mutation($input: AnnouncementInput!) {
  sendAnnouncement(input: $input) { queued errors { code } } }"""
# The load's clients must not be throttled by the region's plan.
PLAN_LIMITS = json.dumps(
    {p: {"region_requests_per_minute": 10**6, "user_requests_per_minute": 10**6}
     for p in ("SMALL", "STANDARD", "LARGE")}
)  # fmt: skip
_seq = itertools.count(1)


@dataclass
class Outcome:
    scenario: str
    fault: str
    writes_acknowledged: int = 0
    writes_present: int = 0
    announcements: int = 0
    recipients: int = 0
    notifications_lost: int = 0
    notifications_doubled: int = 0
    emails_sent: int = 0
    emails_doubled: int = 0
    events_not_done: int = 0
    seconds_to_last_delivery: float | None = None
    seconds_to_drain: float | None = None
    refused_during_fault: int = 0
    notes: list[str] = field(default_factory=list)


class Bench:
    def __init__(self, cluster: Cluster, workdir: Path) -> None:
        self.cluster = cluster
        self.workdir = workdir
        self.redis: PrivateRedis | None = None
        self.processes: list[KinerjaProcess] = []
        self.mailbox_root = workdir / "data"

    # --- processes ---------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            "KINERJA_OUTBOX_POLL_SECONDS": "0.2",
            "KINERJA_DATA_DIR": str(self.mailbox_root),
            "KINERJA_PLAN_LIMITS": PLAN_LIMITS,
            "KINERJA_WORKER_SHUTDOWN_GRACE_SECONDS": "10",
        }

    async def api(self) -> ApiServer:
        assert self.redis is not None
        server = ApiServer(
            self.cluster.owner_url, self.redis.url, self.workdir / f"api{next(_seq)}.log"
        )
        server.env_overrides.update(self.env())
        self.processes.append(server)
        await server.start()
        return server

    async def worker(self, **env: str) -> KinerjaProcess:
        assert self.redis is not None
        worker = KinerjaProcess(
            ["worker"],
            owner_url=self.cluster.owner_url,
            redis_url=self.redis.url,
            log_path=self.workdir / f"worker{next(_seq)}.log",
            env={**self.env(), **env},
            stop_timeout=40.0,
        )
        self.processes.append(worker)
        await worker.start()
        await wait_for(lambda: _log_has(worker, "Starting worker"), 30, "a worker starts")
        return worker

    async def stop_all(self) -> None:
        for process in reversed(self.processes):
            await process.stop()
        self.processes.clear()
        # Nothing of this scenario may spill into the next one's counts.
        with contextlib.suppress(Exception):
            conn = await self.cluster.connect()
            try:
                await conn.execute(
                    "UPDATE notification_deliveries SET status = 'FAILED'"
                    " WHERE status IN ('PENDING', 'SENDING')"
                )
                await conn.execute(
                    "UPDATE outbox_events SET relayed_at = coalesce(relayed_at, now()),"
                    " done_at = coalesce(done_at, now())"
                )
            finally:
                await conn.close()
        if self.redis is not None:
            self.redis.close()
            self.redis = None

    def fresh_redis(self) -> None:
        self.redis = PrivateRedis()
        self.redis.start()

    # --- counting ------------------------------------------------------------------------

    async def event_ids(self, titles: list[str]) -> list[int]:
        conn = await self.cluster.connect()
        try:
            rows = await conn.fetch(
                "SELECT id FROM outbox_events WHERE payload->>'judul' = ANY($1::text[])", titles
            )
        finally:
            await conn.close()
        return [r["id"] for r in rows]

    async def recipients(self) -> int:
        return await self.cluster.fetchval(
            "SELECT count(*) FROM user_accounts u JOIN tenants t ON t.id = u.tenant_id"
            " WHERE t.slug = $1 AND u.is_active",
            REGION,
        )

    async def delivered(self, event_ids: list[int], expected: int) -> bool:
        n = await self.cluster.fetchval(
            "SELECT count(DISTINCT (event_id, user_id)) FROM notifications"
            " WHERE event_id = ANY($1::bigint[])",
            event_ids,
        )
        not_done = await self.cluster.fetchval(
            "SELECT count(*) FROM outbox_events WHERE id = ANY($1::bigint[]) AND done_at IS NULL",
            event_ids,
        )
        return n == expected * len(event_ids) and not_done == 0

    def mail_counts(self, titles: set[str]) -> Counter:
        """(subject, recipient) → how many .eml files: the e-mails that went out."""
        counts: Counter = Counter()
        folder = self.mailbox_root / "mailbox"
        if not folder.exists():
            return counts
        for path in folder.rglob("*.eml"):
            message = email.message_from_bytes(path.read_bytes())
            subject = str(message.get("Subject", ""))
            if any(t in subject for t in titles):
                counts[(subject, str(message.get("To", "")))] += 1
        return counts

    async def count(
        self, outcome: Outcome, *, acked_units: list[str], titles: list[str], since: float
    ) -> Outcome:
        outcome.writes_acknowledged = len(acked_units)
        outcome.writes_present = await self.cluster.fetchval(
            "SELECT count(*) FROM org_units WHERE code = ANY($1::text[])", acked_units
        )
        events = await self.event_ids(titles)
        expected = await self.recipients()
        outcome.announcements, outcome.recipients = len(events), expected
        conn = await self.cluster.connect()
        try:
            row = await conn.fetchrow(
                "SELECT count(*) AS n, count(DISTINCT (event_id, user_id)) AS distinct_n,"
                " extract(epoch FROM max(created_at))::float8 AS last"
                " FROM notifications WHERE event_id = ANY($1::bigint[])",
                events,
            )
            outcome.events_not_done = await conn.fetchval(
                "SELECT count(*) FROM outbox_events WHERE done_at IS NULL"
            )
        finally:
            await conn.close()
        outcome.notifications_lost = expected * len(events) - row["distinct_n"]
        outcome.notifications_doubled = row["n"] - row["distinct_n"]
        if row["last"] is not None:
            outcome.seconds_to_last_delivery = round(max(0.0, row["last"] - since), 1)
        mails = self.mail_counts(set(titles))
        outcome.emails_sent = sum(mails.values())
        outcome.emails_doubled = sum(n - 1 for n in mails.values() if n > 1)
        return outcome


# --- load ------------------------------------------------------------------------------------


class Load:
    """Clients creating units (and every 100th request an announcement to the region's 200+
    logins, 50 of them by e-mail too) until stopped."""

    def __init__(self, base_urls: list[str], token: str, prefix: str, clients: int = 4) -> None:
        self.base_urls, self.token, self.prefix, self.clients = base_urls, token, prefix, clients
        self.acked_units: list[str] = []
        self.acked_titles: list[str] = []
        self.refused = 0
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._client(n)) for n in range(self.clients)]

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks)

    async def _client(self, n: int) -> None:
        headers = {"authorization": f"Bearer {self.token}"}
        i = 0
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            while not self.stop.is_set():
                i += 1
                base = self.base_urls[-1]  # the newest API (a SIGTERM scenario adds one)
                try:
                    if i % 100 == 0:
                        title = f"{self.prefix} pengumuman {n}-{i}"
                        body = await self._post(
                            http, base, SEND, {"input": {"title": title, "body": "Uji pemulihan."}}
                        )
                        if body and body["data"]["sendAnnouncement"]["queued"]:
                            self.acked_titles.append(title)
                        else:
                            self.refused += 1
                    else:
                        code = f"{self.prefix}-{n}-{i}"
                        variables = {
                            "input": {"name": f"Unit {code}", "code": code, "kind": "BIDANG"}
                        }
                        body = await self._post(http, base, CREATE_UNIT, variables)
                        if body and body["data"]["createUnit"]["unit"]:
                            self.acked_units.append(code)
                        else:
                            self.refused += 1
                except (httpx.TransportError, KeyError, TypeError, ValueError):
                    self.refused += 1
                    await asyncio.sleep(0.2)
                await asyncio.sleep(0.05)

    @staticmethod
    async def _post(http: httpx.AsyncClient, base: str, query: str, variables: dict) -> dict | None:
        response = await http.post(f"{base}/graphql", json={"query": query, "variables": variables})
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            return None
        return body


# --- scenarios -------------------------------------------------------------------------------


async def wait_for(check, seconds: float, what: str) -> float:
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            raise TimeoutError(f"not within {seconds:.0f} s: {what}")
        await asyncio.sleep(0.2)


async def _log_has(process: KinerjaProcess, text: str) -> bool:
    return text in process.log_tail(2000)


async def _waiting_on(cluster: Cluster, table: str) -> int:
    return await cluster.fetchval(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " WHERE c.relname = $1 AND NOT l.granted",
        table,
    )


async def _drain(bench: Bench, titles: list[str], since_wall: float, limit: float) -> float | None:
    """Seconds from `since_wall` until every acknowledged announcement is delivered, no
    event is left not done and no e-mail waits (None: not within `limit`)."""
    events = await bench.event_ids(titles)
    expected = await bench.recipients()

    async def drained() -> bool:
        not_done = await bench.cluster.fetchval(
            "SELECT count(*) FROM outbox_events WHERE done_at IS NULL"
        )
        mails = await bench.cluster.fetchval(
            "SELECT count(*) FROM notification_deliveries WHERE channel = 'EMAIL'"
            " AND status IN ('PENDING', 'SENDING') AND event_id = ANY($1::bigint[])",
            events,
        )
        return (
            not_done == 0 and mails == 0 and (not events or await bench.delivered(events, expected))
        )

    try:
        await wait_for(drained, limit, "drained")
    except TimeoutError:
        return None
    return round(time.time() - since_wall, 1)


async def outage(bench: Bench, name: str, *, what: str, seconds: float) -> Outcome:
    """Load through an outage of PostgreSQL (`what` = pg) or Redis (redis)."""
    bench.fresh_redis()
    api = await bench.api()
    await bench.worker()
    token = await bench.cluster.token(Role.REGION_ADMIN)
    load = Load([api.base_url], token, f"{name}-{next(_seq)}")
    load.start()
    await asyncio.sleep(10)
    lock = None
    if what == "pg":
        # Fan-outs in flight when it stops: those of the last seconds are held mid-way.
        lock = await bench.cluster.connect()
        await lock.execute("BEGIN; LOCK TABLE notifications IN SHARE MODE")
        await asyncio.sleep(3)
    refused_before = load.refused
    if what == "pg":
        await asyncio.to_thread(bench.cluster.server.stop, "fast")
        with contextlib.suppress(Exception):
            await lock.close()
    else:
        assert bench.redis is not None
        bench.redis.stop()  # kill -9; no persistence: it comes back empty
    await asyncio.sleep(seconds)
    if what == "pg":
        await asyncio.to_thread(bench.cluster.server.start)
    else:
        assert bench.redis is not None
        bench.redis.start()
    back = time.time()
    refused = load.refused - refused_before
    before_return = list(load.acked_titles)  # acknowledged before and during the outage
    await asyncio.sleep(10)
    await load.finish()
    outcome = Outcome(
        name, f"{'PostgreSQL' if what == 'pg' else 'Redis'} down {seconds:.0f} s under load"
    )
    outcome.refused_during_fault = refused
    outcome.seconds_to_drain = await _drain(bench, load.acked_titles, back, 180)
    # The last delivery of what was acknowledged before the return (the load goes on).
    await bench.count(outcome, acked_units=load.acked_units, titles=before_return, since=back)
    late = Outcome(name, "")
    await bench.count(late, acked_units=[], titles=load.acked_titles, since=back)
    outcome.notes.append(
        f"{len(before_return)} announcements acknowledged before the return, "
        f"{late.announcements} in all: lost {late.notifications_lost}, doubled "
        f"{late.notifications_doubled}, e-mails {late.emails_sent} (doubled {late.emails_doubled})"
    )
    await bench.stop_all()
    return outcome


async def pg_during_fan_outs(bench: Bench, seconds: float) -> Outcome:
    """The issue's case: three announcements' fan-outs in flight when PostgreSQL stops."""
    bench.fresh_redis()
    api = await bench.api()
    await bench.worker()
    token = await bench.cluster.token(Role.REGION_ADMIN)
    titles = [f"PG {seconds:.0f} s fan-out {next(_seq)}-{i}" for i in range(3)]
    lock = await bench.cluster.connect()
    await lock.execute("BEGIN; LOCK TABLE notifications IN SHARE MODE")
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=30) as http:
        for title in titles:
            body = await Load._post(
                http, api.base_url, SEND, {"input": {"title": title, "body": "x"}}
            )
            assert body and body["data"]["sendAnnouncement"]["queued"], body
    await wait_for(
        lambda: _at_least(_waiting_on(bench.cluster, "notifications"), 3), 60, "fan-outs run"
    )
    await asyncio.to_thread(bench.cluster.server.stop, "fast")
    with contextlib.suppress(Exception):
        await lock.close()
    await asyncio.sleep(seconds)
    await asyncio.to_thread(bench.cluster.server.start)
    back = time.time()
    outcome = Outcome(
        f"pg-{seconds:.0f}s-fanout", f"PostgreSQL down {seconds:.0f} s during 3 fan-outs"
    )
    outcome.seconds_to_drain = await _drain(bench, titles, back, 180)
    await bench.count(outcome, acked_units=[], titles=titles, since=back)
    await bench.stop_all()
    return outcome


async def _at_least(value, n: int) -> bool:
    return await value >= n


async def kill_mid_job(bench: Bench, kind: str) -> Outcome:
    """kill -9 of the worker running a job held mid-way by a table lock; a second, idle
    worker is alive. Measured from the kill to the job's completion."""
    from tests.faults import test_recovery_faults as faults

    table, start = faults.KINDS[kind]
    bench.fresh_redis()
    api = await bench.api()
    token = await bench.cluster.token(Role.REGION_ADMIN)
    first = await bench.worker()
    client = faults_client(api.base_url, token)
    titles: list[str] = []
    lock = faults.Lock(bench.cluster, table)
    await lock.__aenter__()
    try:
        _, done = await start(bench.cluster, client, next(_seq) + 100)
        await wait_for(lambda: _waiting_on(bench.cluster, table), 60, f"the {kind} waits")
        await bench.worker()
        first.proc.kill()
        killed = time.time()
        await first.proc.wait()
    finally:
        await lock.release()
    outcome = Outcome(f"kill-{kind.replace(' ', '-')}", f"kill -9 of a worker mid {kind}")
    await wait_for(done, 120, f"the {kind} completes")
    took = round(time.time() - killed, 1)
    if kind == "fan-out":
        titles = await _titles_like(bench, "Kill fan-out")
    outcome.seconds_to_drain = await _drain(bench, titles, killed, 120)
    outcome.notes.append(f"the job completed {took} s after the kill (lease 30 s)")
    await bench.count(outcome, acked_units=[], titles=titles, since=killed)
    if outcome.seconds_to_last_delivery is None:
        outcome.seconds_to_last_delivery = took
    await client.aclose()
    await bench.stop_all()
    return outcome


class HoldingSmtp:
    """An SMTP sink (aiosmtpd, in a thread) that counts what it accepted per (subject,
    recipient) and, when `hold_at` is set, stores that message and then holds its reply:
    the sending worker is killed while the server has the message but before it said 250,
    the case where a resend would double it."""

    def __init__(self, hold_at: int | None = None) -> None:
        from aiosmtpd.controller import Controller

        from bench.common import free_port

        self.counts: Counter = Counter()
        self.accepted = 0
        self.hold_at = hold_at
        self.holding = False
        self.released = False
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.port = self.controller.port

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        for rcpt in envelope.rcpt_tos:
            self.counts[(str(message.get("Subject", "")), rcpt)] += 1
        self.accepted += 1
        if self.accepted == self.hold_at:
            self.holding = True
            # Released from the bench's own loop in another thread: a flag, not an Event.
            while not self.released:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        return "250 OK"

    def close(self) -> None:
        self.released = True
        self.controller.stop()


async def kill_mid_email(bench: Bench) -> Outcome:
    """kill -9 of the worker sending an announcement's 200 e-mails, right after the mail
    server took the 20th message (before answering it); a second worker is alive."""
    sink = HoldingSmtp(hold_at=20)
    smtp = {
        "KINERJA_SMTP_HOST": "127.0.0.1",
        "KINERJA_SMTP_PORT": str(sink.port),
        "KINERJA_SMTP_SECURITY": "none",
        "KINERJA_SMTP_FROM": "Kinerja <no-reply@kinerja.example.id>",
    }
    try:
        bench.fresh_redis()
        api = await bench.api()
        first = await bench.worker(**smtp)
        token = await bench.cluster.token(Role.REGION_ADMIN)
        title = f"Kill e-mail {next(_seq)}"
        async with httpx.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http:
            body = await Load._post(
                http, api.base_url, SEND, {"input": {"title": title, "body": "Uji surel."}}
            )
            assert body and body["data"]["sendAnnouncement"]["queued"], body
        await wait_for(lambda: _true(sink.holding), 60, "the 20th e-mail is at the server")
        await bench.worker(**smtp)
        first.proc.kill()
        killed = time.time()
        await first.proc.wait()
        sink.released = True
        expected_mails = await bench.cluster.fetchval(
            "SELECT count(*) FROM notification_deliveries d JOIN outbox_events e"
            " ON e.id = d.event_id WHERE d.channel = 'EMAIL' AND e.payload->>'judul' = $1",
            title,
        )
        outcome = Outcome("kill-email", "kill -9 of a worker mid e-mail send")
        outcome.seconds_to_drain = await _drain(bench, [title], killed, 180)
        await bench.count(outcome, acked_units=[], titles=[title], since=killed)
        mails = Counter({k: n for k, n in sink.counts.items() if title in k[0]})
        outcome.emails_sent = sum(mails.values())
        outcome.emails_doubled = sum(n - 1 for n in mails.values() if n > 1)
        dead = await bench.cluster.fetchval(
            "SELECT count(*) FROM notification_deliveries WHERE status = 'DEAD'"
            " AND channel = 'EMAIL' AND last_error LIKE 'not resent%'"
        )
        outcome.notes.append(
            f"{expected_mails} e-mails due; {len(mails)} recipients got one; {dead} marked"
            " uncertain (taken by the server as the worker died, not resent)"
        )
        await bench.stop_all()
        return outcome
    finally:
        sink.close()


async def fair_queue_backlog(bench: Bench) -> Outcome:
    """One region's backlog behind a cap of 1: 30 announcements at once (their dispatch,
    fan-out and e-mail jobs). Put-backs per job from the worker's own metrics."""
    from bench.common import free_port

    bench.fresh_redis()
    api = await bench.api()
    port = free_port()
    worker = await bench.worker(
        KINERJA_WORKER_REGION_MAX_JOBS="1", KINERJA_WORKER_METRICS_PORT=str(port)
    )
    token = await bench.cluster.token(Role.REGION_ADMIN)
    titles = [f"Antrean {next(_seq)}-{i}" for i in range(30)]
    started = time.time()
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http:
        for title in titles:
            body = await Load._post(
                http, api.base_url, SEND, {"input": {"title": title, "body": "Antrean."}}
            )
            assert body and body["data"]["sendAnnouncement"]["queued"], body
    outcome = Outcome("fair-queue", "30 announcements of one region, cap 1 (no fault)")
    outcome.seconds_to_drain = await _drain(bench, titles, started, 300)
    await bench.count(outcome, acked_units=[], titles=titles, since=started)
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    put_back = ran = 0.0
    for line in text.splitlines():
        if line.startswith("kinerja_jobs_deferred_total{"):
            put_back += float(line.rsplit(" ", 1)[1])
        if line.startswith("kinerja_jobs_total{") and 'outcome="ok"' in line:
            ran += float(line.rsplit(" ", 1)[1])
    copies = worker.log_tail(100_000).count("~fair")
    outcome.notes.append(
        f"{ran:.0f} jobs ran, put back {put_back:.0f} times in all"
        f" ({put_back / max(ran, 1):.2f} per job), {copies} copies"
    )
    await bench.stop_all()
    return outcome


async def _true(value: bool) -> bool:
    return value


async def _titles_like(bench: Bench, prefix: str) -> list[str]:
    conn = await bench.cluster.connect()
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT payload->>'judul' AS t FROM outbox_events WHERE payload->>'judul' LIKE $1",
            prefix + "%",
        )
    finally:
        await conn.close()
    return [r["t"] for r in rows]


def faults_client(base_url: str, token: str):
    from tests.faults.conftest import Client

    return Client(base_url, token)


async def sigterm_under_load(bench: Bench) -> Outcome:
    """SIGTERM of the API (a second one takes the load) and of a worker (a second one
    is running) while clients write."""
    bench.fresh_redis()
    api = await bench.api()
    first_worker = await bench.worker()
    await bench.worker()
    token = await bench.cluster.token(Role.REGION_ADMIN)
    urls = [api.base_url]
    load = Load(urls, token, f"term-{next(_seq)}")
    load.start()
    await asyncio.sleep(8)
    second_api = await bench.api()
    urls.append(second_api.base_url)  # new requests go to the second API …
    api.proc.send_signal(signal.SIGTERM)  # … while the first drains its in-flight ones
    first_worker.proc.send_signal(signal.SIGTERM)
    stopped = time.time()
    await asyncio.sleep(10)
    await load.finish()
    outcome = Outcome("sigterm", "SIGTERM of the API and a worker under load")
    outcome.notes.append(
        f"API exit {await api.proc.wait()}, worker exit {await first_worker.proc.wait()}"
    )
    outcome.seconds_to_drain = await _drain(bench, load.acked_titles, stopped, 120)
    await bench.count(
        outcome, acked_units=load.acked_units, titles=load.acked_titles, since=stopped
    )
    await bench.stop_all()
    return outcome


# --- set-up and report -----------------------------------------------------------------------


async def prepare(workdir: Path) -> tuple[PrivatePostgres, Cluster]:
    server = PrivatePostgres()
    server.init()
    server.start()
    owner_url = server.url(DATABASE)
    from kinerja_saas.migrate import migrate

    await migrate(dev_settings(owner_url, "redis://127.0.0.1:1/0"))
    seeded = await asyncio.create_subprocess_exec(
        kinerja_executable(), "seed-demo",
        env=child_env(owner_url, "redis://127.0.0.1:1/0"),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await seeded.communicate()
    if seeded.returncode != 0:
        raise RuntimeError(err.decode())
    conn = await asyncpg.connect(owner_url)
    try:
        # Recipients with e-mail, and the demo events relayed and done (a fresh worker
        # would otherwise start with the seed's backlog).
        await conn.execute(
            "INSERT INTO user_accounts (tenant_id, email, name, roles, is_active, token_version,"
            " created_at) SELECT t.id, 'penerima' || g || '@contoh.go.id', 'Penerima ' || g,"
            " ARRAY['EMPLOYEE']::text[], true, 1, now() FROM tenants t, generate_series(1, $2) g"
            " WHERE t.slug = $1",
            REGION,
            EXTRA_RECIPIENTS,
        )
        # They take announcements by e-mail too (announcements are in-app only by default).
        await conn.execute(
            "INSERT INTO notification_preferences (tenant_id, user_id, kind, channel, enabled)"
            " SELECT u.tenant_id, u.id, 'ANNOUNCEMENT', 'EMAIL', true FROM user_accounts u"
            " WHERE u.email LIKE 'penerima%@contoh.go.id' AND u.id % 4 = 0"
        )
        await conn.execute(
            "UPDATE outbox_events SET relayed_at = coalesce(relayed_at, now()),"
            " done_at = coalesce(done_at, now())"
        )
    finally:
        await conn.close()
    return server, Cluster(server, owner_url)


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| fault | writes acked / present | announcements × recipients | in-app lost / doubled"
        " | e-mails sent / doubled | events not done | last delivery after return (s) | drained after (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.fault} | {o.writes_acknowledged} / {o.writes_present}"
            f" | {o.announcements} × {o.recipients} | {o.notifications_lost} / {o.notifications_doubled}"
            f" | {o.emails_sent} / {o.emails_doubled} | {o.events_not_done}"
            f" | {o.seconds_to_last_delivery if o.seconds_to_last_delivery is not None else '–'}"
            f" | {o.seconds_to_drain if o.seconds_to_drain is not None else 'NOT DRAINED'} |"
        )
    return "\n".join(lines)


SCENARIOS = (
    "fair-queue", "kill-import", "kill-fan-out", "kill-email", "kill-survey-aggregation",
    "pg-100s", "pg-30s", "pg-5min", "redis-5min", "sigterm",
)  # fmt: skip


async def main(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="kinerja-bench-recovery-"))
    long = 10.0 if args.quick else 300.0
    server, cluster = await prepare(workdir)
    bench = Bench(cluster, workdir)
    outcomes: list[Outcome] = []
    chosen = args.only or list(SCENARIOS)
    print(f"load average at start: {load_average()}", file=sys.stderr)
    try:
        for name in chosen:
            print(f"-- {name}", file=sys.stderr)
            if name == "fair-queue":
                outcome = await fair_queue_backlog(bench)
            elif name == "kill-email":
                outcome = await kill_mid_email(bench)
            elif name.startswith("kill-"):
                kind = {"kill-import": "import", "kill-fan-out": "fan-out",
                        "kill-survey-aggregation": "survey aggregation"}[name]  # fmt: skip
                outcome = await kill_mid_job(bench, kind)
            elif name == "pg-100s":
                outcome = await pg_during_fan_outs(bench, 10.0 if args.quick else 100.0)
            elif name == "pg-30s":
                outcome = await outage(bench, name, what="pg", seconds=10.0 if args.quick else 30.0)
            elif name == "pg-5min":
                outcome = await outage(bench, name, what="pg", seconds=long)
            elif name == "redis-5min":
                outcome = await outage(bench, name, what="redis", seconds=long)
            else:
                outcome = await sigterm_under_load(bench)
            outcomes.append(outcome)
            print(json.dumps(asdict(outcome)), file=sys.stderr)
    finally:
        await bench.stop_all()
        server.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs kept in {workdir}", file=sys.stderr)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    print(table(outcomes))
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s outages")
    parser.add_argument("--only", action="append", choices=SCENARIOS)
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs")
    return parser.parse_args(argv)


if __name__ == "__main__":
    os.environ.setdefault("KINERJA_ENV", "dev")
    sys.exit(run_until_terminated(main, parse()))
