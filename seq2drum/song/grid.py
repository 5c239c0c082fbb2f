"""The time grid: bars and beats from the meter map, and quantization with microtiming (the drums on it:
song.drum_part).

Pure Python/numpy (no torch, no MIDI bytes). A *step* is 1/steps_per_quarter of a quarter note; step s starts at
tick s * ticks_per_quarter / steps_per_quarter. Bars follow the file's time-signature map (3/4, 6/8, 7/8, pickup
bars written as a short first meter), never an assumed 4/4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seq2drum.song.barlines import bar_spans

# Bars array columns.
BAR_START, BAR_STEPS, BAR_NUMERATOR, BAR_DENOMINATOR = range(4)


def is_compound(numerator: Any, denominator: Any) -> Any:
    """Meters whose felt beat is a dotted note (6/8, 9/8, 12/8, not 3/8): the one rule the grid's beats, the bar
    columns, swing, the baselines, the metrics and drums from nothing follow. Works on ints and on numpy arrays."""
    return (denominator >= 8) & (numerator % 3 == 0) & (numerator > 3)


def max_bar_steps(steps_per_quarter: int) -> int:
    """The longest bar the groove model reads and writes whole: two whole notes (32 sixteenths)."""
    return 8 * steps_per_quarter


@dataclass
class Grid:
    """Steps and bars of one song, from its clock and its time-signature map."""

    ticks_per_quarter: int
    steps_per_quarter: int
    bars: np.ndarray  # (n_bars, 4) int64: start_step, n_steps, numerator, denominator
    tempos: list[tuple[int, int]]  # (tick, microseconds_per_quarter), as in the MIDI file

    @classmethod
    def build(
        cls,
        ticks_per_quarter: int,
        time_signatures: Sequence[tuple[int, int, int]],
        tempos: Sequence[tuple[int, int]],
        end_tick: int,
        steps_per_quarter: int = 4,
    ) -> Grid:
        """Bars covering ticks [0, end_tick]; the last bar is completed past end_tick (song.barlines, the one rule
        the DAW helper's --simulate follows too). `SongTooLongError` past `MAX_SONG_BARS` bars."""
        bars = bar_spans(ticks_per_quarter, time_signatures, end_tick, steps_per_quarter)
        array = np.array(bars, dtype=np.int64).reshape(-1, 4)
        return cls(ticks_per_quarter, steps_per_quarter, array, list(tempos))

    @property
    def n_steps(self) -> int:
        return int(self.bars[-1, BAR_START] + self.bars[-1, BAR_STEPS]) if len(self.bars) else 0

    @property
    def n_bars(self) -> int:
        return len(self.bars)

    @property
    def ticks_per_step(self) -> float:
        return self.ticks_per_quarter / self.steps_per_quarter

    def quantize(self, ticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest step of each tick, and the offset from it in steps, in [-0.5, 0.5)."""
        position = np.asarray(ticks, dtype=np.float64) / self.ticks_per_step
        step = np.floor(position + 0.5).astype(np.int64)
        return step, position - step

    def nearest_step(self, ticks: np.ndarray) -> np.ndarray:
        """`quantize`'s steps alone, in the same arithmetic (the feature code reads no offsets)."""
        return np.floor(np.asarray(ticks, dtype=np.float64) / self.ticks_per_step + 0.5).astype(np.int64)

    def step_to_tick(self, step: np.ndarray, offset: np.ndarray | float = 0.0) -> np.ndarray:
        position = np.asarray(step, dtype=np.float64) + offset
        # np.rint: np.round's value at 0 decimals (it calls rint), without its Python wrapper
        return np.maximum(0, np.rint(position * self.ticks_per_step)).astype(np.int64)

    def bar_of_step(self) -> np.ndarray:
        """(n_steps,) bar index of every step."""
        return np.repeat(np.arange(self.n_bars), self.bars[:, BAR_STEPS])

    def step_in_bar(self) -> np.ndarray:
        """(n_steps,) position of every step inside its bar, from 0."""
        return np.arange(self.n_steps) - np.repeat(self.bars[:, BAR_START], self.bars[:, BAR_STEPS])

    def beat_steps(self) -> np.ndarray:
        """(n_steps,) length of the felt beat in steps: a dotted quarter in 6/8, 9/8, 12/8; else 1/denominator."""
        numerator = self.bars[:, BAR_NUMERATOR]
        denominator = self.bars[:, BAR_DENOMINATOR]
        unit = np.maximum(1, np.round(4 * self.steps_per_quarter / denominator)).astype(np.int64)
        compound = is_compound(numerator, denominator)
        beat = np.where(compound, unit * 3, unit)
        return np.repeat(beat, self.bars[:, BAR_STEPS])

    def metrical_level(self) -> np.ndarray:
        """(n_steps,) 0 on the downbeat, 1 on other beats, 2 on beat halves, 3 elsewhere (for swing and syncopation)."""
        in_bar = self.step_in_bar()
        beat = self.beat_steps()
        in_beat = in_bar % beat
        level = np.full(self.n_steps, 3, dtype=np.int64)
        half = np.where(beat % 3 == 0, beat // 3, beat // 2)  # compound beats split in three
        level[(half > 0) & (in_beat % np.maximum(half, 1) == 0)] = 2
        level[in_beat == 0] = 1
        level[in_bar == 0] = 0
        return level

    def tempo_bpm(self) -> np.ndarray:
        """(n_steps,) tempo in quarter notes per minute at every step."""
        change_steps = np.array([tick / self.ticks_per_step for tick, _ in self.tempos])
        values = np.array([60_000_000 / us for _, us in self.tempos])
        index = np.searchsorted(change_steps, np.arange(self.n_steps), side="right") - 1
        return values[np.clip(index, 0, None)]

    def seconds_at_tick(self, tick: int) -> float:
        """Wall-clock time of a tick through the tempo map."""
        seconds, last_tick, us_per_quarter = 0.0, 0, 500_000
        for change_tick, change_us in self.tempos:
            if change_tick >= tick:
                break
            seconds += (change_tick - last_tick) * us_per_quarter / 1e6 / self.ticks_per_quarter
            last_tick, us_per_quarter = change_tick, change_us
        return seconds + (tick - last_tick) * us_per_quarter / 1e6 / self.ticks_per_quarter
