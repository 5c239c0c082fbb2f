"""How play-along streams share the event loop (server/live_share.py, issue 98 Q5): a stream at real time never
waits for a turn, one far ahead of it (a flood, or the helper's --simulate --speed) is decided in turns, one bar at a
time, first come first served, within its share of the loop. Counted in bars and in a clock the test moves: never in
seconds of this machine."""

from __future__ import annotations

import asyncio

import pytest

from server.live_share import AHEAD_SHARE, BURST_BARS, REAL_TIME_SLACK, AheadTurns, StreamClock, bar_seconds
from server.testing import ServerThread
from tests.test_live_stream import RIFF, _link, loop_server  # noqa: F401  (the fixture)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def test_a_player_at_real_time_is_never_ahead_and_a_flood_is_after_its_burst() -> None:
    clock = FakeClock()
    player, flood, sped_up = StreamClock(clock), StreamClock(clock), StreamClock(clock)
    for bar in range(200):  # 2-s bars: the player sends each as it is due, the flood all at once, a simulation at 64x
        clock.now = 2.0 * bar
        assert not player.ahead(2.0)
    clock.now = 0.0
    flooded = [flood.ahead(2.0) for _ in range(200)]
    assert flooded.count(False) <= BURST_BARS + 1 and all(flooded[BURST_BARS + 1:])
    for bar in range(200):
        clock.now = 2.0 * bar / 64
        sped_up.ahead(2.0)
    assert player.ahead_bars == 0 and flood.ahead_bars >= 195 and sped_up.ahead_bars >= 190
    assert REAL_TIME_SLACK < 64


def test_a_bar_declared_tiny_counts_as_a_short_real_bar() -> None:
    """Bars of 1/32 at 400 BPM (19 ms of music) sent 84 a second would be 'real time' by their own clock."""
    assert bar_seconds(1, 32, 400.0) == bar_seconds(0, 4, float("nan")) == 0.5
    assert bar_seconds(4, 4, 120.0) == 2.0


def test_streams_ahead_take_one_turn_at_a_time_in_order_within_their_share() -> None:
    """Three flooding streams of 30 bars each, every bar holding the loop 1 (clock) second: never two at once, their
    bars interleaved (no stream more than one bar ahead of another), and the loop's clock runs at least 1 / share
    of what they held."""
    clock = FakeClock()
    turns = AheadTurns(clock=clock, sleep=clock.sleep)
    running, most, done = [0], [0], {name: 0 for name in "abc"}
    spread: list[int] = []

    async def stream(name: str) -> None:
        for _ in range(30):
            async with turns.turn():
                running[0] += 1
                most[0] = max(most[0], running[0])
                clock.now += 1.0  # the bar's decision
                await asyncio.sleep(0)
                running[0] -= 1
                done[name] += 1
                spread.append(max(done.values()) - min(done.values()))

    async def main() -> None:
        await asyncio.gather(*(stream(name) for name in "abc"))

    asyncio.run(main())
    assert turns.bars == 90 and most[0] == 1 and max(spread) <= 1
    assert clock.now >= 89 / AHEAD_SHARE


def test_a_flooding_stream_is_decided_in_turns_and_plays_to_its_end(loop_server: ServerThread,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the server: a stream that sends its 2-s bars as fast as answers come (issue 98 Q5: 84 a second) has
    all but its first few decided in turns, and plays to its end, every bar answered (nothing refused: the helper's
    --simulate --speed 64 is such a stream)."""
    turns: list[int] = []
    original = AheadTurns.turn
    monkeypatch.setattr(AheadTurns, "turn", lambda self: turns.append(1) or original(self))
    channel, link = _link(loop_server)
    with channel, link:
        link.open()
        for index in range(40):
            link.send(index, (4, 4), 120.0, RIFF if index else [])
            assert link.wait(index, 10.0) is not None
    assert len(turns) >= 40 - BURST_BARS - 1
