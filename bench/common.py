"""What the benchmarks share: a fresh, migrated benchmark database, and `kinerja` commands
(`serve`, `worker`, the CLI) run as child processes with a controlled environment.

    owner_url, settings = await fresh_database(server_url, "kinerja_bench", redis_url)
    server = ApiServer(owner_url, redis_url, RESULTS_DIR / "x.server.log")
    try:
        await server.start()  # returns once GET /healthz answers 200
        ...
    finally:
        await server.stop()  # SIGTERM, then SIGKILL after a grace period
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx

from kinerja_saas.database import (
    APP_SERVER_SETTINGS,
    app_connection_params,
    build_pg_url,
    parse_pg_url,
)
from kinerja_saas.settings import Settings

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "bench" / "results"

# Environment variables of the settings that must not leak from this shell into a child.
_SETTINGS_ENV_DROP = ("DATABASE_URL", "APP_DATABASE_URL", "REDIS_URL")


# --- the database ------------------------------------------------------------------------


async def recreate_database(server_url: str, name: str) -> str:
    """Drops (WITH FORCE) and creates the database `name` on the server of `server_url`;
    returns its owner URL (`server_url` with the database name replaced)."""
    params = parse_pg_url(server_url)
    conn = await asyncpg.connect(**{**params, "database": "postgres"})
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return build_pg_url({**params, "database": name})


def dev_settings(owner_url: str, redis_url: str) -> Settings:
    """Dev settings with explicit values: nothing of this shell's KINERJA_* settings leaks
    into the bench (the app role and JWT secret are the dev ones derived from them)."""
    return Settings(
        env="dev",
        database_url=owner_url,
        redis_url=redis_url,
        app_database_url=None,
        jwt_secret=None,
        app_db_password=None,
    )


async def fresh_database(server_url: str, name: str, redis_url: str) -> tuple[str, Settings]:
    """Recreates the database `name` on the server of `server_url` and migrates it
    (`kinerja_saas.migrate.migrate`, dev settings); returns its owner URL and the settings."""
    owner_url = await recreate_database(server_url, name)
    settings = dev_settings(owner_url, redis_url)
    from kinerja_saas.migrate import migrate

    await migrate(settings)
    return owner_url, settings


async def app_connection(settings: Settings) -> asyncpg.Connection:
    """A connection as the app role with the app's session settings (RLS applies): what a
    floor measures against."""
    return await asyncpg.connect(
        **app_connection_params(settings), server_settings=dict(APP_SERVER_SETTINGS)
    )


async def region_admin(conn: asyncpg.Connection, tenant_id: int) -> asyncpg.Record:
    """The region's first REGION_ADMIN login (id, email, employee_id), as generated."""
    return await conn.fetchrow(
        "SELECT id, email, employee_id FROM user_accounts WHERE tenant_id = $1"
        " AND 'REGION_ADMIN' = ANY(roles) ORDER BY id LIMIT 1",
        tenant_id,
    )


def access_token(
    settings: Settings,
    *,
    tenant_id: int,
    account_id: int,
    email: str,
    employee_id: int | None,
    roles: Sequence[str] = ("REGION_ADMIN", "EMPLOYEE"),
    ttl: int = 3600,
) -> str:
    """An access token for a generated login, signed with the run's secret (the bench logs
    in without passwords: generated logins have none)."""
    from kinerja_saas.auth.actor import Actor
    from kinerja_saas.auth.roles import Role
    from kinerja_saas.auth.tokens import issue_pair

    actor = Actor(
        user_id=account_id,
        tenant_id=tenant_id,
        roles=frozenset(Role(r) for r in roles),
        email=email,
        employee_id=employee_id,
    )
    return issue_pair(
        actor, token_version=1, secret=settings.jwt_secret or "", access_ttl=ttl, refresh_ttl=ttl
    ).access_token


async def empty_redis(redis_url: str) -> None:
    """Empties the benchmark's Redis database (its own db number: queued jobs and counters
    of an earlier run must not leak into this one)."""
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))]


def proc_status_mib(pid: int, key: str) -> float | None:
    """A memory line of a process's /proc status in MiB: VmHWM (peak resident set size),
    VmRSS (now); None where unavailable."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return None


def proc_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (Linux /proc), or None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def own_cpu_seconds() -> float:
    """CPU seconds (user + system) of this process: the load generator's share."""
    t = os.times()
    return t.user + t.system


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- child processes ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kinerja_executable() -> str:
    beside = Path(sys.executable).parent / "kinerja"
    if beside.exists():
        return str(beside)
    found = shutil.which("kinerja")
    if found is None:
        raise RuntimeError("the `kinerja` command is not installed (pip install -e .)")
    return found


def child_env(owner_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """This shell's environment without its KINERJA_* and database/Redis settings, plus
    DATABASE_URL (the owner URL; the app connects as the app role derived from it),
    REDIS_URL, KINERJA_ENV=dev and `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KINERJA_") and k not in _SETTINGS_ENV_DROP
    }
    env.update(DATABASE_URL=owner_url, REDIS_URL=redis_url, KINERJA_ENV="dev", **extra)
    return env


class KinerjaProcess:
    """`kinerja <args>` in a process of its own (own session, so Ctrl-C reaches only us and we
    stop it in order), output to `log_path`, stopped by `stop()` whatever happened."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        owner_url: str,
        redis_url: str,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        stop_timeout: float = 10.0,
    ) -> None:
        self.args = list(args)
        self.owner_url = owner_url
        self.redis_url = redis_url
        self.log_path = log_path
        self.env_overrides = dict(env or {})
        self.stop_timeout = stop_timeout
        self.proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self) -> None:
        env = child_env(self.owner_url, self.redis_url, **self.env_overrides)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            kinerja_executable(),
            *self.args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
        )

    async def wait_until_healthy(self, base_url: str, wait_seconds: float, what: str) -> None:
        """Polls `GET /healthz` until it answers 200; raises (with the log's tail) when the
        process exits first or `wait_seconds` pass."""
        assert self.proc is not None
        deadline = time.monotonic() + wait_seconds
        async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as client:
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"{what} exited early:\n{self.log_tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not answer /healthz:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    def log_tail(self, lines: int = 30) -> str:
        if self._log is not None:
            self._log.flush()
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited after `stop_timeout` seconds."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), self.stop_timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class ApiServer(KinerjaProcess):
    """`kinerja serve` on a free port of 127.0.0.1 with KINERJA_DEBUG_HEADERS=true (the
    `x-sql-statements` header); `start()` returns once it answers /healthz."""

    def __init__(self, owner_url: str, redis_url: str, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port)],
            owner_url=owner_url,
            redis_url=redis_url,
            log_path=log_path,
            env={"KINERJA_DEBUG_HEADERS": "true"},
            stop_timeout=10.0,
        )

    async def start(self, wait_seconds: float = 30.0) -> None:
        await super().start()
        await self.wait_until_healthy(self.base_url, wait_seconds, "the API server")


class WorkerProcess(KinerjaProcess):
    """`kinerja worker` (jobs and the outbox relay)."""

    def __init__(self, owner_url: str, redis_url: str, log_path: Path) -> None:
        super().__init__(
            ["worker"],
            owner_url=owner_url,
            redis_url=redis_url,
            log_path=log_path,
            stop_timeout=20.0,
        )


# --- running a benchmark -----------------------------------------------------------------


async def _until_terminated(main: Callable[[Any], Awaitable[int]], args: Any) -> int:
    """SIGTERM cancels the run like Ctrl-C does, so its child servers are stopped either way."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await main(args)
    except asyncio.CancelledError:
        print("\ninterrupted: the API server was stopped", file=sys.stderr)
        return 130
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGTERM)


def run_until_terminated(main: Callable[[Any], Awaitable[int]], args: Any) -> int:
    """Runs `main(args)` on uvloop when installed; SIGTERM and Ctrl-C end it with 130."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_until_terminated(main, args))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_until_terminated(main, args))
