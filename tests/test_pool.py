"""The worker pool's sweep (server/pool.py): which idle workers have died, told from their processes and pipes."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import pytest

from server import pool


class _Idle:
    """An idle worker as the pool sees it: a process (here one that sleeps) and its end of a pipe."""

    def __init__(self, context: Any) -> None:
        self.conn, self.child = context.Pipe()
        self.process = context.Process(target=time.sleep, args=(30,), daemon=True)
        self.process.start()


def test_one_poll_tells_the_dead_idle_workers_as_a_look_at_each_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 102: the sweep looked at each idle worker apart (two of multiprocessing's waits each, 4 times a second
    beside the live bars); one poll of them all must find the same dead ones: a process that ended, a pipe that reads
    as ready (a dead worker's EOF), and none of the living."""
    context = multiprocessing.get_context("fork")
    workers = [_Idle(context) for _ in range(4)]
    try:
        workers[1].process.kill()
        workers[1].process.join()
        workers[2].child.send("unasked")
        expected = [pool._dead(worker) for worker in workers]
        looked: list[Any] = []
        monkeypatch.setattr(pool, "_dead", lambda worker: looked.append(worker))
        found = pool._dead_ones(workers)
        assert [worker in found for worker in workers] == expected == [False, True, True, False]
        assert not looked  # one poll, no look at each
        workers[0].conn.close()  # a pipe closed: each looked at alone, as before
        monkeypatch.undo()
        assert [worker in pool._dead_ones(workers) for worker in workers] == [True, True, True, False]
    finally:
        for worker in workers:
            worker.process.kill()
            worker.process.join()
