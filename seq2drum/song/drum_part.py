"""A drum part in the one shape the decision speaks, and every converter between a drum part's shapes, in pairs.

`DrumPart` is the decided shape: per bar from the song's first drummed bar, on each bar's own steps (n, S, 9), the
hits, velocities, timing offsets and articulations (midi.drums `Articulation`: the hi-hat foot, the cross-stick).
groove.policy's `Take` is one; a live bar is one of a bar. It becomes the song's step grid (`DrumGrid`: the
humanizer, swing and scoring read it) and MIDI notes (N, 4: start tick, end tick, GM pitch of the class or its
articulation, velocity) only through the pairs here, each the other's inverse (tests/test_drum_part.py):

    per_bar(values, bars, width)           <->  bars_to_steps(per_bar, grid, first_bar)   any per-step array
    grid_to_part(drums, grid, first_bar)   <->  part_to_grid(part, grid, first_bar)       DrumGrid and DrumPart
    drums_to_grid(notes, grid)             <->  grid_to_drums(drums, grid)                notes and DrumGrid

`hits_to_drums` is `grid_to_drums` of a few hits without a grid around them (a live bar); `pattern_steps` lays a
pattern out on a bar longer than it (9/4 in 16ths).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seq2drum.midi.drums import (ARTICULATED_PITCH, NUM_DRUM_CLASSES, PITCH_TO_ARTICULATION, PITCH_TO_CLASS,
                                 midi_velocity)
from seq2drum.midi.io import PITCH, START, VELOCITY
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid

@dataclass
class DrumPart:
    """A drum part per bar: row r is the song's bar `first_bar + r` (the first bar a converter is given), on its own
    steps from 0, S wide (a bar's steps past its length stay empty)."""

    hits: np.ndarray  # (n, S, 9) bool
    velocity: np.ndarray  # (n, S, 9) uint8, 0 where no hit
    offset: np.ndarray  # (n, S, 9) float32, in steps; 0 where no hit
    # (n, S, 9) uint8 midi.drums `Articulation` (0: the class's own pitch), read only where a hit is; None: all plain
    articulation: np.ndarray = field(default=None, kw_only=True)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.articulation is None:
            self.articulation = np.zeros(self.hits.shape, dtype=np.uint8)

    @classmethod
    def empty(cls, n_bars: int, width: int) -> DrumPart:
        shape = (n_bars, width, NUM_DRUM_CLASSES)
        return cls(np.zeros(shape, dtype=bool), np.zeros(shape, dtype=np.uint8), np.zeros(shape, dtype=np.float32))

    @property
    def n_bars(self) -> int:
        return len(self.hits)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.n_bars} bars, {int(self.hits.sum())} hits)"


def part_to_grid(part: DrumPart, grid: Grid, first_bar: int) -> DrumGrid:
    """The part on the song's step grid (`bars_to_steps` of each array), its row 0 at bar `first_bar`."""
    return DrumGrid(bars_to_steps(part.hits, grid, first_bar), bars_to_steps(part.velocity, grid, first_bar),
                    bars_to_steps(part.offset, grid, first_bar),
                    articulation=bars_to_steps(part.articulation, grid, first_bar))


def grid_to_part(drums: DrumGrid, grid: Grid, first_bar: int, width: int) -> DrumPart:
    """The drums of the song's step grid per bar from `first_bar` (`per_bar` of each array), `width` steps a bar."""
    bars = grid.bars[first_bar:]
    return DrumPart(per_bar(drums.hits, bars, width), per_bar(drums.velocity, bars, width),
                    per_bar(drums.offset, bars, width), articulation=per_bar(drums.articulation, bars, width))


@dataclass
class DrumGrid:
    """Drum hits on the grid: which classes hit at each step, how loud, and how far off the step."""

    hits: np.ndarray  # (n_steps, 9) bool
    velocity: np.ndarray  # (n_steps, 9) uint8, 0 where no hit
    offset: np.ndarray  # (n_steps, 9) float32, in steps, [-0.5, 0.5); 0 where no hit
    # (n_steps, 9) uint8 midi.drums `Articulation`, as DrumPart's; None: all plain
    articulation: np.ndarray = field(default=None, kw_only=True)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.articulation is None:
            self.articulation = np.zeros(self.hits.shape, dtype=np.uint8)

    @classmethod
    def empty(cls, n_steps: int) -> DrumGrid:
        return cls(
            np.zeros((n_steps, NUM_DRUM_CLASSES), dtype=bool),
            np.zeros((n_steps, NUM_DRUM_CLASSES), dtype=np.uint8),
            np.zeros((n_steps, NUM_DRUM_CLASSES), dtype=np.float32),
        )

    @property
    def n_steps(self) -> int:
        return len(self.hits)

    def slice(self, start_step: int, end_step: int) -> DrumGrid:
        part = slice(start_step, end_step)
        return DrumGrid(self.hits[part], self.velocity[part], self.offset[part], articulation=self.articulation[part])

    def __repr__(self) -> str:
        return f"DrumGrid({self.n_steps} steps, {int(self.hits.sum())} hits)"


def drums_to_grid(notes: np.ndarray, grid: Grid) -> DrumGrid:
    """Fold GM drum notes into the 9-class grid, each hit's articulation read off its pitch (44: the pedal hat, 37:
    the cross-stick); where two hits of a class share a step, the louder one stays."""
    drum_grid = DrumGrid.empty(grid.n_steps)
    if not len(notes):
        return drum_grid
    pitch = np.clip(notes[:, PITCH], 0, 127)
    drum_class = PITCH_TO_CLASS[pitch]
    step, offset = grid.quantize(notes[:, START])
    keep = (drum_class >= 0) & (step >= 0) & (step < grid.n_steps)
    step, offset, drum_class, pitch = step[keep], offset[keep], drum_class[keep], pitch[keep]
    velocity = notes[keep, VELOCITY]
    order = np.argsort(velocity, kind="stable")  # louder hits written last win
    step, offset, drum_class, velocity = step[order], offset[order], drum_class[order], velocity[order]
    drum_grid.hits[step, drum_class] = True
    drum_grid.velocity[step, drum_class] = velocity
    drum_grid.offset[step, drum_class] = offset
    drum_grid.articulation[step, drum_class] = PITCH_TO_ARTICULATION[pitch[order]]
    return drum_grid


def grid_to_drums(drum_grid: DrumGrid, grid: Grid, duration_steps: float = 0.5) -> np.ndarray:
    """Drum notes (N, 4) [start_tick, end_tick, pitch, velocity] in GM pitches (each hit's class's, or its
    articulation's), one per hit, sorted by time. A note ends by the next onset of its pitch: humanized timing can
    bring two 16ths of one drum within `duration_steps`, and overlapping notes of one pitch read back as one."""
    step, drum_class = np.nonzero(drum_grid.hits)
    return hits_to_drums(step, drum_class, drum_grid.velocity[step, drum_class], drum_grid.offset[step, drum_class],
                         grid, duration_steps, drum_grid.articulation[step, drum_class])


def hits_to_drums(step: np.ndarray, drum_class: np.ndarray, velocity: np.ndarray, offset: np.ndarray, grid: Grid,
                  duration_steps: float = 0.5, articulation: np.ndarray | None = None) -> np.ndarray:
    """`grid_to_drums` of the hits (n,) at `step` of `drum_class` (in `np.nonzero` order), their velocities
    (integers), offsets (float32 steps, as a DrumGrid holds them) and articulations (None: all plain), without a grid
    around them."""
    if not len(step):
        return np.zeros((0, 4), dtype=np.int64)
    # start and end ticks in one pass: step_to_tick of (2, n) positions, the end's offset added in float32 as before
    start, end = grid.step_to_tick(step, np.array([offset, offset + duration_steps]))
    notes = np.empty((len(step), 4), dtype=np.int64)
    notes[:, 0], notes[:, 1] = start, np.maximum(start + 1, end)
    notes[:, 2] = ARTICULATED_PITCH[0 if articulation is None else articulation, drum_class]
    notes[:, 3] = midi_velocity(velocity.astype(np.int64))
    notes = notes[np.lexsort((notes[:, 0], notes[:, 2]))]  # by pitch, then time
    followed = notes[1:, 2] == notes[:-1, 2]
    notes[:-1, 1] = np.where(followed, np.maximum(notes[:-1, 0] + 1, np.minimum(notes[:-1, 1], notes[1:, 0])),
                             notes[:-1, 1])
    return notes[np.lexsort((notes[:, 2], notes[:, 0]))]


def per_bar(values: np.ndarray, bars: np.ndarray, width: int) -> np.ndarray:
    """(n_steps, ...) per-step values -> (n_bars, width, ...), each bar from its first step, zero-padded, cut at
    width."""
    out = np.zeros((len(bars), width, *values.shape[1:]), dtype=values.dtype)
    for row, (start, n_steps) in enumerate(bars[:, [BAR_START, BAR_STEPS]].tolist()):
        length = min(n_steps, width)
        out[row, :length] = values[start : start + length]
    return out


def bars_to_steps(per_bar: np.ndarray, grid: Grid, first_bar: int, n_steps_out: int | None = None) -> np.ndarray:
    """Inverse of the per-bar layout: (n_bars, S, ...) -> (grid.n_steps, ...), bars before `first_bar` empty;
    a bar longer than S plays its pattern as `pattern_steps` lays it out (its last beat at the bar's end)."""
    out = np.zeros((n_steps_out or grid.n_steps, *per_bar.shape[2:]), dtype=per_bar.dtype)
    bars = grid.bars[first_bar : first_bar + len(per_bar)]
    if not len(bars):
        return out
    lengths = bars[:, BAR_STEPS]
    rows = np.repeat(np.arange(len(bars)), lengths)  # (steps,) the bar of each step, bars being contiguous
    in_bar = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    start = int(bars[0, BAR_START])
    beats = grid.beat_steps()[bars[:, BAR_START]]
    steps = pattern_steps(in_bar, np.repeat(lengths, lengths), per_bar.shape[1], np.repeat(beats, lengths))
    out[start : start + len(rows)] = per_bar[rows, steps]
    return out


def pattern_steps(in_bar: np.ndarray, bar_steps: np.ndarray | int, width: int,
                  beat_steps: np.ndarray | int) -> np.ndarray:
    """The step of a bar's pattern (of `width` steps) that each step `in_bar` of a bar of `bar_steps` plays. A bar
    no longer than the pattern plays it as it is; a longer one (9/4 in 16ths is 36 steps of 32) plays the pattern up
    to its last beat, repeats the whole beats just before that to fill the bar, and ends on the pattern's last beat,
    so a fill written there closes the bar (repeating the pattern from its start put the fill inside the bar and
    the downbeat's crash at its end)."""
    in_bar, bar_steps = np.asarray(in_bar), np.asarray(bar_steps)
    beat = np.clip(np.asarray(beat_steps), 1, width // 2)
    head = width - beat  # the pattern's steps before its last beat
    over = bar_steps - width
    # the whole beats repeated, never the first (its downbeat may hold the bar's crash)
    chunk = np.maximum(beat, np.minimum(np.maximum(over, 1), head - beat) // beat * beat)
    repeated = head - chunk + (in_bar - head) % chunk
    long_bar = np.where(in_bar < head, in_bar, np.where(in_bar >= bar_steps - beat, in_bar - over, repeated))
    return np.where(bar_steps <= width, in_bar, long_bar).astype(np.int64)
