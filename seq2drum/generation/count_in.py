"""Count-in: bars of sticks (GM 37, side stick) on the beats of the empty bars before the guitar enters, in the
song's own meter and tempo, as a drummer counts a band in. When the guitar enters too early to leave room, the song
is moved later by whole bars first (song.move).
"""

from __future__ import annotations

import numpy as np

from seq2drum.midi.kit import GM_SIDE_STICK
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid
from seq2drum.song.move import partial_bar

DOWNBEAT_VELOCITY, BEAT_VELOCITY = 100, 80
CLICK_STEPS = 0.5  # note length, in grid steps


def count_in_bars_before(grid: Grid, first_bar: int, count_in_bars: int) -> list[int]:
    """The bars the count-in plays: back from `first_bar`, `count_in_bars` whole bars and any partial bar between."""
    chosen: list[int] = []
    whole, bar = 0, first_bar - 1
    while bar >= 0 and whole < count_in_bars:
        chosen.append(bar)
        whole += not partial_bar(grid, bar)
        bar -= 1
    return chosen[::-1]


def clicks(grid: Grid, first_bar: int, count_in_bars: int) -> np.ndarray:
    """(N, 4) notes [start_tick, end_tick, pitch, velocity]: a side stick on every felt beat of the
    `count_in_bars` whole bars before `first_bar` and any pickup among them (a dotted quarter in 6/8, an eighth in
    7/8), louder on each downbeat."""
    if count_in_bars <= 0:
        return np.zeros((0, 4), dtype=np.int64)
    beat_of_step = grid.beat_steps()
    rows = []
    for bar in count_in_bars_before(grid, first_bar, count_in_bars):
        start, n_steps = int(grid.bars[bar, BAR_START]), int(grid.bars[bar, BAR_STEPS])
        beat = int(beat_of_step[start])
        for step in range(start, start + n_steps, beat):
            rows.append((step, DOWNBEAT_VELOCITY if step == start else BEAT_VELOCITY))
    if not rows:
        return np.zeros((0, 4), dtype=np.int64)
    steps = np.array([step for step, _ in rows])
    begin = grid.step_to_tick(steps)
    end = np.maximum(begin + 1, grid.step_to_tick(steps, CLICK_STEPS))
    return np.stack([begin, end, np.full(len(rows), GM_SIDE_STICK), [v for _, v in rows]], axis=1).astype(np.int64)


def moved_notice(moved_bars: int, count_in_bars: int) -> str:
    """What to tell the user when the song was moved to make room for the count-in ("" when it was not)."""
    if not moved_bars:
        return ""
    return (f"to make room for the {count_in_bars}-bar count-in, guitar and drums start {moved_bars} "
            f"bar{'s' if moved_bars != 1 else ''} later in this file than in your song, with the tempo and meter "
            "maps; use the guitar from this file, or move yours as far")
