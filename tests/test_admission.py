"""The line in front of the workers: first come first served, bounded, and left by those whose deadline passes."""

from __future__ import annotations

import asyncio

import pytest

from server.admission import LineDeadlineError, LineFullError, WorkerLine


class Pool:
    """A pool of named workers: `acquire` takes one if any is idle."""

    def __init__(self, idle: int) -> None:
        self.idle = [f"w{index}" for index in range(idle)]

    def acquire(self) -> str | None:
        return self.idle.pop() if self.idle else None


def test_waiting_songs_get_workers_in_arrival_order_and_a_full_line_refuses() -> None:
    async def scenario() -> tuple[list[int], bool]:
        pool = Pool(idle=1)
        line = WorkerLine(pool, max_waiting=3)
        first = await line.take(None)  # idle worker, empty line: at once
        order: list[int] = []

        async def song(index: int) -> None:
            await line.take(10.0)
            order.append(index)

        waiting = []
        for index in range(3):
            waiting.append(asyncio.create_task(song(index)))
            await asyncio.sleep(0.01)
        assert line.waiting == 3
        try:
            await line.take(10.0)
            refused = False
        except LineFullError:
            refused = True
        for _ in range(3):  # a worker comes back three times, one song takes it each time
            pool.idle.append(first)
            line.freed()
            await asyncio.sleep(0.02)
        await asyncio.gather(*waiting)
        return order, refused

    order, refused = asyncio.run(scenario())
    assert order == [0, 1, 2] and refused


def test_a_song_whose_deadline_passes_in_line_leaves_it() -> None:
    async def scenario() -> int:
        line = WorkerLine(Pool(idle=0), max_waiting=2)
        with pytest.raises(LineDeadlineError):
            await line.take(0.1)
        return line.waiting

    assert asyncio.run(scenario()) == 0


def test_a_worker_that_joins_from_another_thread_is_found_without_a_wake_up() -> None:
    """Replacement workers join the pool from a starter thread, which never calls `freed`: the head of the line
    looks on its own every POLL_S."""
    async def scenario() -> str:
        pool = Pool(idle=0)
        line = WorkerLine(pool, max_waiting=1)
        asyncio.get_running_loop().call_later(0.1, pool.idle.append, "replacement")
        return await line.take(5.0)

    assert asyncio.run(scenario()) == "replacement"
