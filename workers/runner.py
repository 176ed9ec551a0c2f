"""The arq worker that `kinerja worker` runs: arq's, with leases, and made to outlive a
Redis outage.

**Leases.** arq marks a started job with an in-progress key; while it exists no other
worker starts the job, and arq's default lifetime for it is the longest job timeout + 10 s
(an hour here), which is how long a killed worker's job used to wait. Here the key lives
`KINERJA_WORKER_LEASE_SECONDS` (30) and a heartbeat of the live worker renews it every
`KINERJA_WORKER_LEASE_RENEW_SECONDS` (10), together with the region slots its jobs hold
(workers/fair_queue.py). So:
- a killed worker's jobs run again at most one lease after it died, and its region slots
  are handed to the region's waiting jobs within a second of lapsing;
- a job that is alive is never started twice, however long it runs: its lease is renewed
  twice before it could lapse. (Only a worker whose event loop is blocked for a whole
  lease, or cut off from Redis that long while Redis keeps its data, loses its leases;
  jobs are idempotent for that case.)

**SIGTERM.** The worker stops taking jobs, lets running ones finish for
`KINERJA_WORKER_SHUTDOWN_GRACE_SECONDS`, then cancels the rest: each is rolled back and
handed back to the queue at once (its in-progress key deleted, its region slot released
to the next waiting job), where another worker starts it.

**Redis outage.** arq's poll loop has no error handling: one failed Redis call ends the
process, and with it the outbox relay it hosts. Here a Redis error in a poll is logged
once, the worker waits and polls again; jobs it was running go on (their PostgreSQL work
does not need Redis), and a job whose result could not be recorded runs again once its
lease lapses (jobs are idempotent). Nothing is lost meanwhile: background work waits in
the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import Any, cast

from arq.worker import Worker
from redis.exceptions import RedisError

from kinerja_saas.metrics import LEASE_RENEWALS_FAILED
from kinerja_saas.settings import Settings
from workers import fair_queue
from workers.queue import renew_in_progress

log = logging.getLogger("kinerja.worker")

REDIS_RETRY_SECONDS = 1.0
# How often a worker hands lapsed region slots to waiting jobs (a slot of a dead worker).
WAKE_EVERY_SECONDS = 1.0


class KinerjaWorker(Worker):
    """arq's Worker with `settings` (leases, fair queue). Without settings it behaves as
    arq's, for tests that build one from `worker_options` alone."""

    _redis_down = False

    def __init__(self, *args: Any, settings: Settings | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        # job id → region: the slots this worker's running jobs hold (tenant_job keeps it).
        self.leases: dict[str, int] = {}
        self.ctx["leases"] = self.leases
        if settings is not None:
            self.in_progress_timeout_s = settings.worker_lease_seconds
        self._lease_task: asyncio.Task | None = None

    async def main(self) -> None:
        if self.settings is not None and self._lease_task is None:
            self._lease_task = asyncio.create_task(self._lease_heartbeat())
        await super().main()

    def running_job_ids(self) -> list[str]:
        return [job_id for job_id, task in self.tasks.items() if not task.done()]

    async def renew_leases(self) -> None:
        """One renewal of every lease this worker holds (the heartbeat calls it)."""
        assert self.settings is not None
        await renew_in_progress(
            self.pool, self.running_job_ids(), self.settings.worker_lease_seconds
        )
        await fair_queue.renew_slots(self.pool, self.settings, dict(self.leases))

    async def _lease_heartbeat(self) -> None:
        assert self.settings is not None
        renew_every = self.settings.worker_lease_renew_seconds
        tick = min(renew_every, WAKE_EVERY_SECONDS)
        last_renewal = 0.0
        failing = False
        while True:
            await asyncio.sleep(tick)
            if self._pool is None:
                continue
            try:
                if time.monotonic() - last_renewal >= renew_every - tick / 2:
                    await self.renew_leases()
                    last_renewal = time.monotonic()
                await fair_queue.wake_lapsed(self.pool, self.settings)
            except (RedisError, OSError) as exc:
                LEASE_RENEWALS_FAILED.inc()
                if not failing:
                    log.warning("lease heartbeat cannot reach Redis (%s); retrying", exc)
                failing = True
                continue
            except Exception:  # never let the heartbeat die: live jobs would lose leases
                log.exception("lease heartbeat failed; retrying")
                continue
            if failing:
                log.info("lease heartbeat reached Redis again")
                failing = False

    async def close(self) -> None:
        # Leases live until the jobs they cover have ended (or were handed back).
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        with contextlib.suppress(Exception):
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        if self._lease_task is not None:
            self._lease_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lease_task
            self._lease_task = None
        await super().close()

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except (RedisError, OSError) as exc:
            if not self._redis_down:
                log.warning(
                    "worker lost Redis (%s: %s); polling again every %.0f s",
                    type(exc).__name__,
                    exc,
                    REDIS_RETRY_SECONDS,
                )
            self._redis_down = True
            self._recount_running_jobs()
            await asyncio.sleep(REDIS_RETRY_SECONDS)
            return
        if self._redis_down:
            self._redis_down = False
            log.info("worker reconnected to Redis")

    def _recount_running_jobs(self) -> None:
        """arq counts a job as started before its Redis calls that claim it; when one of
        those fails the slot is never given back, and after `max_jobs` such failures the
        worker would never start a job again. Recount from the tasks really running."""
        running = sum(not task.done() for task in self.tasks.values())
        self.job_counter = running
        # Unbounded on purpose (a bounded one would refuse the releases of the jobs running
        # now); arq declares a BoundedSemaphore but only acquires and releases it.
        self.sem = cast(
            asyncio.BoundedSemaphore, asyncio.Semaphore(max(self.max_jobs - running, 0))
        )


def make_worker(settings: Settings, options: dict[str, Any], **kwargs: Any) -> KinerjaWorker:
    return KinerjaWorker(settings=settings, **options, **kwargs)
