"""The pool of worker processes (server.workers): who is idle, who is busy, and replacing the ones that are lost.

A worker is lost when its job was abandoned (killed on purpose), when it grew past `recycle_mib`, or when it died
on its own, busy or idle (killed from outside, out of memory). A dead idle worker is noticed before it is handed
out (`acquire`) and by `sweep`, which the server runs a few times a second, so no request is sent to a dead
process. A replacement that cannot start (the checkpoint was deleted, the disk is full) is tried again with a
growing pause, for as long as the server runs; while no worker is alive and the last start failed, `serving` is
False: health says NOT_SERVING and requests get UNAVAILABLE at once instead of waiting for their deadline.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from concurrent import futures
from typing import Any

from .memory import MiB, rss_bytes
from .workers import (JobResult, ModelSource, Worker, WorkerStartError, one_blas_pool_per_worker,
                      start_method_context)

log = logging.getLogger("seq2drum.server")

RETRY_FIRST_S = 0.5  # the pause after a replacement failed to start; doubled after every failure ...
RETRY_MAX_S = 30.0  # ... up to this
# How often the watchdog reads the resident size of each worker busy with a song: a worker filling memory as fast as
# it can (about 2 GiB/s) passes its limit by at most a few hundred MiB before it is stopped. While none is (idle, or
# deciding play-along bars only: workers.watched_job), the watchdog sleeps.
MEMORY_WATCH_S = 0.05


def _dead(worker: Worker) -> bool:
    """An idle worker that has died: its process ended, or its pipe reads as ready (an idle worker never writes,
    so a ready pipe is the EOF a dead process leaves)."""
    try:
        return not worker.process.is_alive() or worker.conn.poll()
    except (OSError, ValueError):  # the pipe is closed or broken
        return True


def _dead_ones(workers: list[Worker]) -> list[Worker]:
    """The idle workers that have died (as `_dead` tells: the process sentinel or the pipe shows an event), all looked
    at in one poll(2): a `_dead` each (multiprocessing's wait, twice a worker) cost the loop 16 us hot and 0.15 ms
    beside the live drummer's cold caches, 4 sweeps a second (issue 102)."""
    poller = select.poll()
    try:
        for worker in workers:
            poller.register(worker.process.sentinel, select.POLLIN)
            poller.register(worker.conn.fileno(), select.POLLIN)
    except (OSError, ValueError):  # a pipe closed, a process closed: each looked at alone
        return [worker for worker in workers if _dead(worker)]
    ready = {fd for fd, _events in poller.poll(0)}
    return [worker for worker in workers if worker.process.sentinel in ready or worker.conn.fileno() in ready]


class WorkerPool:
    """`size` workers, taken without waiting: `acquire` gives an idle worker or None (the server is busy)."""

    def __init__(self, source: ModelSource, size: int, recycle_mib: float = 32.0,
                 start_timeout_s: float = 120.0, max_worker_mib: float = 1024.0) -> None:
        self.source = source
        self.size = size
        self.recycle_bytes = int(recycle_mib * MiB)
        self.max_worker_mib = max_worker_mib
        self.stopped_for_memory = 0  # workers the watchdog stopped
        self.start_timeout_s = start_timeout_s
        self.model_info: dict[str, Any] = {}
        self.replacements = 0
        self.start_problem = ""  # why the last replacement could not start ("" once one did)
        one_blas_pool_per_worker(source.torch_threads)
        self._context = start_method_context()
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._starting = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()  # also what a replacement's pause between attempts waits on
        self._watching = threading.Event()  # set while a worker may run a watched job (a song): the watchdog reads
        self._starter = futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix="seq2drum-worker-start")
        self._watchdog = threading.Thread(target=self._watch_memory, name="seq2drum-worker-memory", daemon=True)

    def start(self) -> dict[str, Any]:
        """Start every worker and wait until each has loaded the model. Returns the model's info.

        Raises `WorkerStartError` (a `CheckpointError`) with the workers' own message when the model cannot load.
        """
        workers = [Worker(self._context, self.source, self._watching) for _ in range(self.size)]
        try:
            infos = [worker.wait_ready(self.start_timeout_s) for worker in workers]
        except BaseException:
            for worker in workers:
                worker.kill()
                worker.close()
            raise
        self.model_info = infos[0]
        largest = max(worker.idle_rss for worker in workers)
        if largest > self.max_worker_mib * MiB / 2:  # no room left for a song: every job would be stopped
            for worker in workers:
                worker.retire()
            raise WorkerStartError(f"a worker holds {largest / MiB:.0f} MiB with the model loaded; a limit of "
                                   f"{self.max_worker_mib:g} MiB per worker leaves too little for songs: give at "
                                   f"least {2 * largest / MiB:.0f} (--max-worker-mib)")
        with self._lock:
            self._idle.extend(workers)
        self._watchdog.start()
        return self.model_info

    def _watch_memory(self) -> None:
        """Stop a busy worker whose resident memory passed `max_worker_mib` (its job's caller gets
        `WorkerMemoryError`, and the worker is replaced as any abandoned one): no song, however it was made to cost
        memory, takes more of the machine than workers x max_worker_mib."""
        limit = int(self.max_worker_mib * MiB)
        while self._watching.wait() and not self._closed.wait(MEMORY_WATCH_S):
            with self._lock:
                busy = [worker for worker in self._busy if worker.watched]
            if not busy:  # sleep until a song starts (one that started since the look above sets it again)
                self._watching.clear()
                with self._lock:
                    if any(worker.watched for worker in self._busy):
                        self._watching.set()
            for worker in busy:
                rss = rss_bytes(worker.process.pid) if worker.process.pid else 0
                if rss > limit and not worker.stopped_for_memory:
                    worker.stopped_for_memory = (
                        f"the song needed more than {self.max_worker_mib:g} MiB of memory, this server's limit per "
                        "song; the work was stopped: send a shorter song or fewer parts")
                    self.stopped_for_memory += 1
                    log.warning("worker %d passed %.0f MiB (limit %g MiB): stopped and replaced", worker.process.pid,
                                rss / MiB, self.max_worker_mib)
                    worker.kill()

    @property
    def serving(self) -> bool:
        """False while no worker is alive and the last attempt to start one failed."""
        with self._lock:
            return bool(self._idle or self._busy) or not self.start_problem

    def acquire(self) -> Worker | None:
        """An idle, living worker (dead ones met on the way are replaced), or None."""
        dead: list[Worker] = []
        try:
            with self._lock:
                while not self._closed.is_set() and self._idle:
                    worker = self._idle.pop()
                    if _dead(worker):
                        dead.append(worker)
                        continue
                    self._busy.add(worker)
                    return worker
                return None
        finally:
            self._bury(dead)

    def sweep(self) -> bool:
        """Replace idle workers that died; returns `serving`. Cheap (one poll of the idle workers): run it often."""
        with self._lock:
            dead = _dead_ones(self._idle)
            self._idle = [worker for worker in self._idle if worker not in dead]
        self._bury(dead)
        return self.serving

    def _bury(self, dead: list[Worker]) -> None:
        for worker in dead:
            log.warning("worker %s died while idle (exit code %s): replaced", worker.process.pid,
                        worker.process.exitcode)
            worker.kill()
            worker.close()
            self._replace()

    def release(self, worker: Worker, result: JobResult | None = None) -> None:
        """Give a worker back after a job it finished (with its result, or None after a refusal)."""
        grown = bool(worker.idle_rss and worker.last_rss - worker.idle_rss > self.recycle_bytes)
        if worker.jobs == 1 and not grown and worker.last_rss:
            worker.idle_rss = max(worker.idle_rss, worker.last_rss)  # what the first job's warm-up leaves is its size
        with self._lock:
            self._busy.discard(worker)
            keep = not self._closed.is_set() and not grown and worker.process.is_alive()
            if keep:
                self._idle.append(worker)
                return
        if grown:
            log.info("worker %d grew to %.0f MiB (idle %.0f MiB): replaced", worker.process.pid,
                     worker.last_rss / MiB, worker.idle_rss / MiB)
            worker.retire()
        else:
            worker.kill()
            worker.close()
        self._replace()

    def discard(self, worker: Worker) -> None:
        """Kill a worker whose job was abandoned (cancelled, deadline passed, crashed) and start its replacement.
        What waits on its pipe (a thread, or the event loop for a bar) reads EOF and closes it."""
        worker.kill()
        with self._lock:
            self._busy.discard(worker)
        self._replace()

    def _replace(self) -> None:
        with self._lock:
            if self._closed.is_set():
                return
            self._starting += 1
        self.replacements += 1
        self._starter.submit(self._start_one)

    def _start_one(self) -> None:
        """Start a worker, trying again after a growing pause until one starts or the pool closes."""
        pause_s, attempt = RETRY_FIRST_S, 0
        while not self._closed.is_set():
            attempt += 1
            try:
                worker = Worker(self._context, self.source, self._watching)
                worker.wait_ready(self.start_timeout_s)
            except Exception as exc:  # noqa: BLE001  (logged and retried; `serving` says when none can run)
                self.start_problem = str(exc) or type(exc).__name__
                log.error("could not start a replacement worker (attempt %d, next in %.1f s): %s", attempt, pause_s,
                          exc)
                self._closed.wait(pause_s)
                pause_s = min(pause_s * 2, RETRY_MAX_S)
                continue
            with self._lock:
                self._starting -= 1
                self.start_problem = ""
                if not self._closed.is_set():
                    self._idle.append(worker)
                    return
            worker.retire()
            return
        with self._lock:
            self._starting -= 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"idle": len(self._idle), "busy": len(self._busy), "starting": self._starting}

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in [*self._idle, *self._busy] if w.process.pid is not None]

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every worker is idle (replacements included); tests and benchmarks use this."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            counts = self.counts()
            if counts["idle"] == self.size:
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        """Stop every worker (busy ones are killed)."""
        with self._lock:
            self._closed.set()
            self._watching.set()  # the watchdog wakes, and ends
            idle, busy = list(self._idle), list(self._busy)
            self._idle.clear()
        for worker in idle:
            worker.retire()
        for worker in busy:
            worker.kill()  # their threads close the pipes
        self._starter.shutdown(wait=True, cancel_futures=True)
        for worker in idle + busy:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
