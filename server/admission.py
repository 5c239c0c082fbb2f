"""Who gets the next free worker: a short first-come, first-served line in front of the worker pool.

Without it every request that found all workers busy was refused (UNAVAILABLE) and its client came back after a
randomised backoff of a quarter second or more; on 2 cores with 8 clients the workers sat idle in those gaps, so
throughput fell as clients were added (10.8 songs/s with 1 client, 5.3 with 8) and the unlucky songs waited several
backoffs (p99 3.0 s against a p50 of 0.2 s). Now up to `max_waiting` requests wait in order for a worker; a request
past that is still refused at once (the server stays bounded: a waiting request holds its upload, no worker), and
one whose deadline passes or whose client leaves while waiting drops out of the line.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Protocol

from .workers import Worker

POLL_S = 0.05  # the head of the line also looks every so often: replacement workers join the pool from a thread


class Pool(Protocol):
    def acquire(self) -> Worker | None: ...


class LineFullError(Exception):
    """Every worker is busy and `max_waiting` requests are waiting already."""


class LineDeadlineError(Exception):
    """The request's deadline passed while it waited for a worker."""


class WorkerLine:
    """`await take(remaining_s)` gives a worker, in arrival order; `freed()` after a worker goes back wakes the
    request at the head of the line. Used from the server's event loop only."""

    def __init__(self, pool: Pool, max_waiting: int) -> None:
        self.pool = pool
        self.max_waiting = max_waiting
        self._line: collections.deque[asyncio.Event] = collections.deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    async def take(self, remaining_s: float | None) -> Worker:
        """A worker for this request: at once when one is idle and nobody waits, else after those ahead of it.
        Raises `LineFullError` when the line is full, `LineDeadlineError` when `remaining_s` runs out first."""
        if not self._line:
            worker = self.pool.acquire()
            if worker is not None:
                return worker
        if len(self._line) >= self.max_waiting:
            raise LineFullError()
        loop = asyncio.get_running_loop()
        give_up_at = None if remaining_s is None else loop.time() + remaining_s
        turn = asyncio.Event()
        self._line.append(turn)
        try:
            while True:
                if self._line[0] is turn:
                    worker = self.pool.acquire()
                    if worker is not None:
                        return worker
                wait_s = POLL_S if give_up_at is None else min(POLL_S, give_up_at - loop.time())
                if wait_s <= 0:
                    raise LineDeadlineError()
                turn.clear()
                try:
                    await asyncio.wait_for(turn.wait(), timeout=wait_s)
                except asyncio.TimeoutError:
                    pass
        finally:
            self._line.remove(turn)
            self.freed()  # the next in line looks (a worker may be idle that this request did not take)

    def freed(self) -> None:
        """A worker went back to the pool (or a request left the line): the head of the line looks."""
        if self._line:
            self._line[0].set()
