"""The arq worker that `kinerja worker` runs: arq's, made to outlive a Redis outage.

arq's poll loop has no error handling: one failed Redis call ends the process, and with it
the outbox relay it hosts. Here a Redis error in a poll is logged once, the worker waits
and polls again; jobs it was running go on (their PostgreSQL work does not need Redis),
and a job whose result could not be recorded runs again once its in-progress key expires
(jobs are idempotent). Nothing is lost meanwhile: background work waits in the outbox.
"""

from __future__ import annotations

import asyncio
import logging

from arq.worker import Worker
from redis.exceptions import RedisError

log = logging.getLogger("kinerja.worker")

REDIS_RETRY_SECONDS = 1.0


class KinerjaWorker(Worker):
    """`in_progress_seconds`: how long a started job's in-progress key lives, i.e. how soon
    another worker re-runs the job of a worker that was killed. arq's default is the
    longest job timeout + 10 s (an hour here); a shorter value must still exceed the run
    time of every job, or a job still running is started a second time."""

    _redis_down = False

    def __init__(self, *args, in_progress_seconds: float | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if in_progress_seconds is not None:
            self.in_progress_timeout_s = in_progress_seconds

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
        self.sem = asyncio.Semaphore(max(self.max_jobs - running, 0))
