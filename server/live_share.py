"""How play-along streams share the event loop their bars are decided on (issue 98 Q5).

A player sends a bar as it is played: about one every two seconds. A stream may send them as fast as answers come
(84 bars a second, each two seconds of music): three such streams raised another player's p50/p95 from 10/28 to
31/87 ms, since every bar waited behind theirs. So each stream's bars are held to its music's clock (`StreamClock`):
a stream more than REAL_TIME_SLACK times ahead of real time (the helper's `--simulate --speed 2-64`, or a flood) has its
bars decided through one shared turn (`AheadTurns`), one bar at a time, first come first served, and the turn keeps the
loop for them at most AHEAD_SHARE of the time; a stream at real time never waits for a turn. Nothing is refused: a
simulation at 64x plays on, at the pace its share allows when others flood.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable

REAL_TIME_SLACK = 8.0  # a player's stream: at most this many times its music's time (--simulate up to 8x, a burst)
BURST_BARS = 4  # bars a stream may send at once, past its music's time, before it counts as ahead
MIN_BAR_S = 0.5  # a bar counts as at least this long (a 2/4 bar at 240 BPM): a flood of 1/32 bars at 400 BPM is ahead
AHEAD_SHARE = 0.25  # of the event loop's time, the most that all streams ahead of real time take together
AHEAD_BURST_S = 0.1  # what the loop may owe the others before an ahead bar waits: a few bars of --simulate run unheld


def bar_seconds(numerator: int, denominator: int, tempo_bpm: float) -> float:
    """A bar's length in seconds as its stream declares it (at least MIN_BAR_S; a bar its session refuses counts so)."""
    if numerator <= 0 or denominator <= 0 or not math.isfinite(tempo_bpm) or tempo_bpm <= 0:
        return MIN_BAR_S
    return max(MIN_BAR_S, numerator * 4 / denominator * 60 / tempo_bpm)


class StreamClock:
    """One stream's music time against the wall's, from its first bar: whether a bar arrives ahead of real time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._first_at: float | None = None
        self._music_s = 0.0  # of the bars before this one
        self.ahead_bars = 0  # bars that came ahead of real time, for the call's log line and the tests

    def ahead(self, bar_s: float) -> bool:
        """Record a bar of `bar_s` seconds: True when the stream's bars run more than REAL_TIME_SLACK times ahead
        of the time since its first bar, BURST_BARS bars allowed."""
        now = self._clock()
        if self._first_at is None:
            self._first_at = now
        due_s = (self._music_s - BURST_BARS * bar_s) / REAL_TIME_SLACK
        self._music_s += bar_s
        ahead = now - self._first_at < due_s
        self.ahead_bars += ahead
        return ahead


class AheadTurns:
    """The one turn that streams ahead of real time take to decide a bar: one bar at a time, in the order they ask
    (asyncio's lock is first come first served), and after a bar that held the loop `used` seconds, the next waits
    until the loop has had `used * (1 / share - 1)` for everything else, less AHEAD_BURST_S it may owe: four players
    at --speed 4 (issue 102's bench: 4% of the loop) never wait, a flood is held to its share."""

    def __init__(self, share: float = AHEAD_SHARE, clock: Callable[[], float] = time.perf_counter,
                 sleep: Callable[[float], object] = asyncio.sleep) -> None:
        self._share, self._clock, self._sleep = share, clock, sleep
        self._lock = asyncio.Lock()
        self._free_at = 0.0
        self.bars = 0  # bars decided in a turn

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._lock:
            wait_s = self._free_at - self._clock() - AHEAD_BURST_S
            if wait_s > 0:
                await self._sleep(wait_s)  # type: ignore[misc]
            started = self._clock()
            try:
                yield
            finally:
                used = self._clock() - started
                self._free_at = max(self._free_at, started) + used / self._share
                self.bars += 1
