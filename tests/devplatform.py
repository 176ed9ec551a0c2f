"""`kinerja dev` (what `make run` runs: migrations, the demo seed, the API and a worker) as a
child process, on a fresh database of its own on the test run's PostgreSQL server and a Redis
database number of its own on its Redis server, listening on 127.0.0.1.

The port is KINERJA_TEST_DEV_PORT when set (a machine that hands out port ranges), else a
free one. The child's environment holds nothing of this shell's KINERJA_* settings, as a
person's fresh `make run` would not."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.common import child_env, free_port, kinerja_executable
from kinerja_saas.database import build_pg_url, parse_pg_url
from kinerja_saas.settings import Settings

READY = "Kinerja is ready"


def redis_url_with_db(redis_url: str, db: int) -> str:
    """The same Redis server, another database number (the test run's URL names its db in
    the query, `?db=N`, which wins over a path)."""
    base = re.sub(r"([?&])db=\d+&?", r"\1", redis_url).rstrip("?&")
    return f"{base}{'&' if '?' in base else '?'}db={db}"


async def fresh_database(settings: Settings, name: str) -> str:
    """Drops and creates `name` on the test run's server; returns its owner URL."""
    params = parse_pg_url(settings.database_url or "")
    conn = await asyncpg.connect(**{**params, "database": "postgres"})
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return build_pg_url({**params, "database": name})


async def drop_database(owner_url: str) -> None:
    params = parse_pg_url(owner_url)
    conn = await asyncpg.connect(**{**params, "database": "postgres"})
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{params["database"]}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class DevPlatform:
    owner_url: str
    redis_url: str
    data_dir: Path
    port: int = field(default_factory=lambda: int(os.environ.get("KINERJA_TEST_DEV_PORT") or 0))
    proc: asyncio.subprocess.Process | None = None
    log_path: Path | None = None
    ready_seconds: float = 0.0  # from the start of `kinerja dev` to the printed tour
    log_at_ready: str = ""  # the log one second after the tour was printed

    def __post_init__(self) -> None:
        self.port = self.port or free_port()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def mailbox(self) -> Path:
        return self.data_dir / "mailbox"

    def env(self) -> dict[str, str]:
        return child_env(self.owner_url, self.redis_url, KINERJA_DATA_DIR=str(self.data_dir))

    def log(self) -> str:
        assert self.log_path is not None
        return self.log_path.read_text(errors="replace")

    async def start(self, log_path: Path, *, wait_seconds: float = 240.0) -> None:
        """Starts `kinerja dev` and returns once it printed its tour (the last thing it
        prints once the server answers and the start-up jobs are done)."""
        self.log_path = log_path
        started = time.monotonic()
        with log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                kinerja_executable(),
                "dev",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                env={**self.env(), "COLUMNS": "200"},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # our Ctrl-C is ours; we stop it in order
            )
        deadline = started + wait_seconds
        while READY not in self.log():
            if self.proc.returncode is not None:
                raise AssertionError(f"kinerja dev exited early:\n{self.log()[-5000:]}")
            if time.monotonic() > deadline:
                await self.stop()
                raise AssertionError(f"kinerja dev not ready in time:\n{self.log()[-5000:]}")
            await asyncio.sleep(0.2)
        self.ready_seconds = time.monotonic() - started
        await asyncio.sleep(1.0)
        self.log_at_ready = self.log()

    async def cli(self, *args: str) -> tuple[int, str]:
        """Another `kinerja` command against the same servers, as the printed export line
        lets a person run one in a second terminal."""
        proc = await asyncio.create_subprocess_exec(
            kinerja_executable(),
            *args,
            env={**self.env(), "COLUMNS": "200"},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode(errors="replace")

    async def stop(self) -> None:
        """What Ctrl-C does; killed if it has not stopped within 30 s."""
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise AssertionError("kinerja dev did not stop on Ctrl-C") from None
