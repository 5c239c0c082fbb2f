"""Swing decided from the song: whether and how much the drums swing, read off the parts they listen to, unless
`--swing` says.

The reading is the one ../shared/scoring measures a drummer's swing with, put to the parts' onsets: over quarter-note
beats of x/4 bars holding exactly one onset off the beat, at 0.375-0.875 of the beat, its mean place (none under
MIN_SWING_BEATS such beats; a strum, onsets closer than STRUM_QUARTERS, is one onset). The song swings when that
reading is SWUNG_MIN_SWING or more and SWUNG_MIN_SHARE of the beats read place their note off the straight 16ths.
Each part is read on its own and the beats pooled: the guitar's parts first; where the guitar reads straight, the
bass's parts, then every part. Compound meters are left straight. The studies behind each choice:
docs/experiments/2026-11-25-decision-module-studies.md and 2026-11-24-swing-from-the-song.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT, RIDE
from seq2drum.midi.io import START
from seq2drum.options import MAX_SWING
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, DrumGrid, Grid, is_compound

STRAIGHT_MAX_SWING = 0.55  # a song's swing at or below this is straight (../shared/scoring's lines, also the
SWUNG_MIN_SWING = 0.58  # evaluation's); at or above this, swung: the drums swing at the listened parts' reading
MIN_SWING_BEATS = 8
SWUNG_PLACES = (0.55, 0.72)  # an off-beat note here is off the straight grid: swung (a triplet 0.67 +- a push)
SWUNG_MIN_SHARE = 0.3  # of the beats read; fitted on the shipped model's training songs
STRUM_QUARTERS = 1 / 16  # onsets this close are one strum (a 64th): a swung 16th is three times as far away
OFF_BEAT_MARGIN = 0.1  # an onset within this of the beat plays on it (pushed or laid back), not off it
SWING_WINDOW = (0.375, 0.875)  # where the one off-beat note of a beat says straight (0.5) or swung (0.67, 0.75)
TIMEKEEPERS = (CLOSED_HAT, OPEN_HAT, RIDE)  # the drums a drummer's swing is read on


@dataclass(frozen=True)
class SwingReading:
    """What the listened parts say: their swing (None under MIN_SWING_BEATS beats to read) and the beats read."""

    swing: float | None
    n_beats: int
    swung_share: float = 0.0  # of the beats read, those whose note sits in SWUNG_PLACES

    @property
    def swung(self) -> bool:
        return self.swing is not None and self.swing >= SWUNG_MIN_SWING and self.swung_share >= SWUNG_MIN_SHARE


def swung_positions(time_q: np.ndarray) -> np.ndarray:
    """The place in its beat of each beat's one off-beat onset (see the module docstring), from onset times in
    quarter notes: the measure ../shared/scoring applies to a drummer's hats and ride, shared by the evaluation."""
    time_q = np.asarray(time_q, dtype=np.float64)
    beat, position = np.floor(time_q).astype(np.int64), time_q % 1.0
    off = (position >= OFF_BEAT_MARGIN) & (position <= 1 - OFF_BEAT_MARGIN)
    _, first, count = np.unique(beat[off], return_index=True, return_counts=True)
    positions = position[off][first]
    return positions[(count == 1) & (positions >= SWING_WINDOW[0]) & (positions <= SWING_WINDOW[1])]



def song_swing(drums: DrumGrid, grid: Grid, span: tuple[int, int]) -> float | None:
    """A drum part's swing over steps [start, end), as ../shared/scoring measures a drummer's: `swung_positions` of
    its TIMEKEEPERS' hits in x/4 bars, their mean; None under MIN_SWING_BEATS eligible beats. The feel's fit and the
    evaluation's feel figures both read it."""
    start, end = span
    q = grid.steps_per_quarter
    step, column = np.nonzero(drums.hits[start:end, list(TIMEKEEPERS)])
    step = step + start
    quarter_bars = np.repeat(grid.bars[:, BAR_DENOMINATOR] == 4, grid.bars[:, BAR_STEPS])
    keep = quarter_bars[np.minimum(step, grid.n_steps - 1)]
    time_q = ((step + drums.offset[step, np.asarray(TIMEKEEPERS)[column]]) / q)[keep]
    chosen = swung_positions(time_q)
    return float(chosen.mean()) if len(chosen) >= MIN_SWING_BEATS else None

def read_swing(parts: np.ndarray | Sequence[np.ndarray], grid: Grid) -> SwingReading:
    """The swing of the parts the drums listen to (each (n, 4) start/end/pitch/velocity ticks; one array is one
    part) on `grid`'s meters: each part read on its own (see the module docstring), the beats of all pooled; only
    onsets in simple x/4 bars are read."""
    notes_per_part = [parts] if isinstance(parts, np.ndarray) else list(parts)
    per_part = [part_positions(notes, grid) for notes in notes_per_part]
    # a part with fewer beats to read than a song needs (a few notes, a fill) says nothing of the song's swing
    positions = np.concatenate([np.zeros(0), *(read for read in per_part if len(read) >= MIN_SWING_BEATS)])
    if len(positions) < MIN_SWING_BEATS:
        return SwingReading(None, max([len(read) for read in per_part], default=0))
    off_grid = (positions >= SWUNG_PLACES[0]) & (positions <= SWUNG_PLACES[1])
    return SwingReading(float(positions.mean()), len(positions), float(off_grid.mean()))


def part_positions(notes: np.ndarray, grid: Grid) -> np.ndarray:
    """One part's read beats: the place in its beat of each x/4 beat's one off-beat onset, its strums merged."""
    if not len(notes) or not grid.n_bars:
        return np.zeros(0)
    onset_q = np.unique(notes[:, START]) / grid.ticks_per_quarter
    strum = np.concatenate([[0], np.cumsum(np.diff(onset_q) >= STRUM_QUARTERS)])  # (n,) onsets chained closer
    onset_q = np.bincount(strum, onset_q) / np.bincount(strum)  # each strum sounds at its middle
    bar_start_q = grid.bars[:, BAR_START] / grid.steps_per_quarter
    bar = np.clip(np.searchsorted(bar_start_q, onset_q + 1e-9, side="right") - 1, 0, grid.n_bars - 1)
    numerator, denominator = grid.bars[bar, BAR_NUMERATOR], grid.bars[bar, BAR_DENOMINATOR]
    simple_quarters = (denominator == 4) & ~is_compound(numerator, denominator)
    return swung_positions(onset_q[simple_quarters])


def decide_swing(option: float | None, guitar: np.ndarray | Sequence[np.ndarray], grid: Grid,
                 band: Sequence[np.ndarray] = (), bass: Sequence[np.ndarray] = ()) -> tuple[float | None, str]:
    """The swing the drums play: `option` (--swing) when given; else the first of the song's readings that swings,
    with a notice saying so and how to keep the drums straight; else None (straight, as the humanizer plays). The
    readings, in order (see the module docstring): its guitar's (`guitar`: the notes of each guitar part; with no
    guitar beats to read, every part listened to: `band`, the other parts' notes, one array per part); its bass's
    alone (`bass`: the bass parts among `band`); every part listened to."""
    if option is not None:
        return option, ""
    guitar_parts = [guitar] if isinstance(guitar, np.ndarray) else list(guitar)
    every = [*guitar_parts, *band]
    reading = read_swing(guitar_parts, grid)
    if reading.swing is None and len(band):  # a guitar with no beat to read (held chords, no guitar part)
        reading = read_swing(every, grid)
    if not reading.swung and len(band):  # a straight-reading guitar over a swinging bass (a walking, a shuffle)
        reading = next((later for later in (read_swing(list(bass), grid), read_swing(every, grid)) if later.swung),
                       reading)
    if not reading.swung:
        return None, ""
    assert reading.swing is not None
    ratio = float(np.clip(reading.swing, SWUNG_MIN_SWING, MAX_SWING))
    return ratio, (f"swinging at {ratio:.2f} of the beat, as the song does ({reading.n_beats} beats read); "
                   "--swing 0.5 keeps the drums straight")
