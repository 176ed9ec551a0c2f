"""Benchmark: how soon a connected subscriber sees a new notification.

A generated region whose S employees (default 200) each have a login, all subscribed to
`notificationReceived` over WebSocket (graphql-transport-ws) on a real `kinerja serve`, with a
real `kinerja worker` running. Each round commits one announcement to the whole region in the
outbox and times, per subscriber, the commit → the notification arriving on its socket: the
relay's wake-up, the fan-out job, the chunk's commit and Redis publish, the API process's hub,
the subscriber's own load of the row, and the WebSocket frame. Reported: p50, p95, p99 and max
over every (round, subscriber), and whether every subscriber got every notification once.

    .venv/bin/python -m bench.notifications_live            # or: make bench-live
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson
import websockets

from bench.common import (
    DEFAULT_DATABASE_URL,
    RESULTS_DIR,
    ApiServer,
    WorkerProcess,
    app_connection,
    empty_redis,
    fresh_database,
    percentile,
)
from bench.generate import generate
from bench.notifications_fanout import INSERT_LOGINS
from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.tokens import issue_pair
from kinerja_saas.notifications.events import ANNOUNCEMENT
from kinerja_saas.outbox.service import insert_events_sql
from kinerja_saas.settings import Settings

BENCH_DB = "kinerja_bench_live"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
RESULTS_FILE = RESULTS_DIR / "notifications_live.json"
SERVER_LOG = RESULTS_DIR / "notifications_live.server.log"
WORKER_LOG = RESULTS_DIR / "notifications_live.worker.log"
SUBSCRIPTION = "subscription { notificationReceived { id kind title } }"
EMIT_SQL = insert_events_sql(ANNOUNCEMENT, payload_sql="$1::jsonb", returning="id")


@dataclass
class Arrivals:
    """Counts a round's arrivals; `done` is set once every subscriber has it."""

    expected: int
    counts: dict[str, int] = field(default_factory=dict)
    done: dict[str, asyncio.Event] = field(default_factory=dict)

    def event(self, title: str) -> asyncio.Event:
        return self.done.setdefault(title, asyncio.Event())

    def arrived(self, title: str) -> None:
        self.counts[title] = self.counts.get(title, 0) + 1
        if self.counts[title] >= self.expected:
            self.event(title).set()


@dataclass
class Subscriber:
    user_id: int
    socket: Any
    received: dict[str, float] = field(default_factory=dict)  # title → monotonic time


def token(settings: Settings, tenant_id: int, row: asyncpg.Record) -> str:
    actor = Actor(
        user_id=row["id"],
        tenant_id=tenant_id,
        roles=frozenset(Role(r) for r in row["roles"]),
        email=row["email"],
        employee_id=row["employee_id"],
    )
    pair = issue_pair(
        actor, token_version=1, secret=settings.jwt_secret or "", access_ttl=3600, refresh_ttl=60
    )
    return pair.access_token


async def subscribe(url: str, access_token: str, user_id: int) -> Subscriber:
    socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    await socket.send(
        orjson.dumps(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {access_token}"}}
        ).decode()
    )
    ack = orjson.loads(await socket.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"user {user_id}: connection refused: {ack}")
    await socket.send(
        orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}).decode()
    )
    return Subscriber(user_id, socket)


async def listen(sub: Subscriber, arrivals: Arrivals) -> None:
    async for raw in sub.socket:
        message = orjson.loads(raw)
        if message.get("type") == "next":
            title = message["payload"]["data"]["notificationReceived"]["title"]
            if title not in sub.received:
                sub.received[title] = time.monotonic()
                arrivals.arrived(title)
        elif message.get("type") in ("error", "complete"):
            raise RuntimeError(f"user {sub.user_id}: {message}")


def report(result: dict[str, Any]) -> str:
    lat = result["latencies_ms"]
    lines = [
        "Kinerja bench: live notifications — commit of an event → the notification on each"
        " subscriber's WebSocket",
        "=" * 96,
        f"data       1 region, {result['subscribers']} logins, all subscribed"
        f" (graphql-transport-ws) to one `kinerja serve`; a `kinerja worker` running",
        f"machine    {os.cpu_count()} CPU cores SHARED by the API, the worker, PostgreSQL and"
        f" this script; {platform.python_implementation()} {platform.python_version()}",
        f"rounds     {result['rounds']} announcements to the whole region,"
        f" {result['pause']:.1f} s apart; {len(lat)} (round, subscriber) samples",
        "",
        f"latency ms p50 {statistics.median(lat):.0f}   p95 {percentile(lat, 95):.0f}"
        f"   p99 {percentile(lat, 99):.0f}   max {max(lat):.0f}   min {min(lat):.0f}",
        f"checks     every subscriber got every notification:"
        f" {'yes' if result['complete'] else 'NO'} ({result['missing']} missing)",
        f"total      {result['total_seconds']:.1f} s; figures also in bench/results/"
        f"{RESULTS_FILE.name}",
    ]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL_BENCH") or DEFAULT_REDIS_URL
    print(f"creating database {BENCH_DB} …", flush=True)
    owner_url, settings = await fresh_database(server_url, BENCH_DB, redis_url)
    (tenant_id,) = await generate(owner_url, regions=1, employees_per_region=args.subscribers)
    owner = await asyncpg.connect(owner_url)
    await owner.execute(INSERT_LOGINS, tenant_id)
    logins = await owner.fetch(
        "SELECT id, email, roles, employee_id FROM user_accounts WHERE tenant_id = $1 ORDER BY id",
        tenant_id,
    )
    app = await app_connection(settings)
    await empty_redis(redis_url)
    server = ApiServer(owner_url, redis_url, SERVER_LOG)
    worker = WorkerProcess(owner_url, redis_url, WORKER_LOG)
    subscribers: list[Subscriber] = []
    listeners: list[asyncio.Task] = []
    latencies: list[float] = []
    missing = 0
    try:
        await server.start()
        await worker.start()
        url = server.base_url.replace("http://", "ws://") + "/graphql"
        print(f"subscribing {len(logins)} logins …", flush=True)
        subscribers = [
            await subscribe(url, token(settings, tenant_id, row), row["id"]) for row in logins
        ]
        arrivals = Arrivals(expected=len(subscribers))
        listeners = [asyncio.create_task(listen(s, arrivals)) for s in subscribers]
        await asyncio.sleep(3)  # the hub's SUBSCRIBE is confirmed, the worker is polling
        for k in range(args.rounds):
            title = f"Pengumuman {k + 1}"
            payload = {
                "judul": title,
                "isi": "Uji kecepatan notifikasi.",
                "unit_id": None,
                "by": None,
            }
            async with app.transaction():
                await app.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
                await app.fetchval(EMIT_SQL, orjson.dumps(payload).decode())
            committed = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrivals.event(title).wait(), args.give_up_after)
            got = [s.received[title] - committed for s in subscribers if title in s.received]
            latencies += [1000 * seconds for seconds in got]
            missing += len(subscribers) - len(got)
            print(
                f"round {k + 1}: {len(got)}/{len(subscribers)} received,"
                f" p50 {1000 * statistics.median(got):.0f} ms"
                if got
                else "none received",
                flush=True,
            )
            await asyncio.sleep(args.pause)
        failed = [t for t in listeners if t.done() and t.exception()]
        if failed:
            raise RuntimeError(f"a subscription failed: {failed[0].exception()}")
    finally:
        for task in listeners:
            task.cancel()
        for s in subscribers:
            await s.socket.close()
        await worker.stop()
        await server.stop()
        await app.close()
        await owner.close()
    result = {
        "subscribers": len(logins),
        "rounds": args.rounds,
        "pause": args.pause,
        "latencies_ms": latencies,
        "missing": missing,
        "complete": missing == 0,
        "total_seconds": time.perf_counter() - started,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print()
    print(report(result) if latencies else "no notification arrived")
    return 0 if result["complete"] else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument("--give-up-after", type=float, default=15.0, help="seconds per round")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
