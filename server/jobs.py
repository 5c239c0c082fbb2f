"""Running one song on the worker pool under the server's limits: `SongRunner.run` takes a worker in the bounded
line (server.admission), hands it the job, and kills and replaces the worker when the song runs past `max_job_s` or
the caller's deadline, or when the caller goes away. No grpc here: the gRPC servicer and the studio
(seq2drum/studio) run songs through the same runner, so both keep the same limits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent import futures
from typing import TYPE_CHECKING, Any

from seq2drum.errors import Seq2DrumError
from seq2drum.options import GenerationOptions

from .admission import LineDeadlineError, LineFullError, WorkerLine
from .pool import WorkerPool
from .status import DeadlinePassedError, JobTooLongError, ServerBusyError
from .workers import Job, Worker, WorkerCrashedError, WorkerLostError

if TYPE_CHECKING:
    from .config import ServerConfig

log = logging.getLogger("seq2drum.server")

LOST_WORKER_RETRIES = 3  # workers found dead before they took a song, tried past before giving up
TimeRemaining = Callable[[], "float | None"]  # seconds left before the caller's deadline, None without one


def _consume(future: asyncio.Future[Any]) -> None:
    """An abandoned job's future ends with the worker's EOF; read it so asyncio does not log it as unhandled."""
    if not future.cancelled():
        future.exception()


def _no_deadline() -> None:
    return None


class SongRunner:
    """Songs on a started `WorkerPool`, at most `config.workers` at once and `config.max_waiting` in line; used from
    one event loop. `line` and `waiters` are shared with other kinds of jobs (the PlayAlong bars)."""

    def __init__(self, pool: WorkerPool, config: ServerConfig) -> None:
        self.pool = pool
        self.config = config
        self.limits = config.limits
        self.line = WorkerLine(pool, config.max_waiting)
        # one thread per job in flight, blocked on its worker's pipe
        self.waiters = futures.ThreadPoolExecutor(max_workers=config.workers + 2, thread_name_prefix="seq2drum-job")

    async def run(self, midi: bytes, options: GenerationOptions, time_remaining: TimeRemaining = _no_deadline,
                  what: str = "song", make: Callable[..., Any] = Job) -> tuple[Any, float]:
        """The worker's result for the song (b"" for drums from nothing) and the milliseconds it took from here.
        Raises the song's domain error, `ServerBusyError` when the line is full or no worker can run,
        `DeadlinePassedError`, `JobTooLongError` past `max_job_s`, `WorkerCrashedError`. `what` names the caller in
        the log; `make(midi, options, limits)` the job (a `Job`, a JobResult back; the Arrange call's `ArrangeJob`)."""
        started = time.perf_counter()
        remaining_s = time_remaining()
        if remaining_s is not None and remaining_s <= 0:
            raise DeadlinePassedError("the deadline passed before the song was read")
        if not self.pool.serving:
            raise ServerBusyError(f"this server has no worker that can run right now ({self.pool.start_problem}); "
                                  "it keeps trying: try again later")
        for attempt in range(LOST_WORKER_RETRIES + 1):
            try:
                worker = await self.line.take(time_remaining())
            except LineFullError:
                workers = self.config.workers
                raise ServerBusyError(f"the server is busy with {workers} song{'s' if workers != 1 else ''} and "
                                      f"{self.line.waiting} more waiting; try again in a few seconds") from None
            except LineDeadlineError:
                raise DeadlinePassedError("the deadline passed while the song waited for a worker") from None
            try:
                result = await self._run_on(worker, make(midi, options, self.limits), time_remaining)
                return result, (time.perf_counter() - started) * 1000
            except WorkerLostError:  # killed while idle, before it read the song: another worker takes it
                if attempt == LOST_WORKER_RETRIES:
                    raise
                log.warning("%s: worker %s was gone before it took the song; trying another", what,
                            worker.process.pid)
            finally:
                self.line.freed()  # the worker went back (or was replaced): the next song in line looks
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _run_on(self, worker: Worker, job: Any, time_remaining: TimeRemaining) -> Any:
        future = asyncio.get_running_loop().run_in_executor(self.waiters, worker.run, job)
        remaining_s = time_remaining()
        limit_s = self.config.max_job_s
        try:
            timeout_s = limit_s if remaining_s is None else min(remaining_s, limit_s)
            result = await asyncio.wait_for(asyncio.shield(future), timeout=timeout_s)
        except asyncio.TimeoutError:
            future.add_done_callback(_consume)
            self.pool.discard(worker)
            if remaining_s is None or limit_s < remaining_s:
                raise JobTooLongError(f"the song took longer than this server's limit of {limit_s:g} s per song; "
                                      "the work was stopped: send a shorter song or fewer parts") from None
            raise DeadlinePassedError("the deadline passed while the song was being read or generated; "
                                      "the work was stopped") from None
        except asyncio.CancelledError:
            future.add_done_callback(_consume)
            self.pool.discard(worker)
            raise
        except WorkerCrashedError:
            self.pool.discard(worker)
            raise
        except Seq2DrumError:
            self.pool.release(worker)
            raise
        self.pool.release(worker, result)
        return result

    def close(self) -> None:
        """Stop the waiter threads (the pool is its owner's to close)."""
        self.waiters.shutdown(wait=False, cancel_futures=True)
