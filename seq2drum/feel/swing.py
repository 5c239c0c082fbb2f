"""Swing decided from the song: whether and how much the drums swing, read off the parts they listen to (the guitar
first; with a band model, every listened part when the guitar gives nothing to read), unless `--swing` says.

The reading is the one ../shared/scoring measures a drummer's swing with (its README, drum_eval.py's `swing`), put
to the parts' onsets: over quarter-note beats of x/4 bars holding exactly one onset off the beat (not within 0.1 of
it) and that onset at 0.375-0.875 of the beat, its mean place; none under MIN_SWING_BEATS such beats. A strummed
chord or a doubled note is one onset (onsets of a part chained closer than STRUM_QUARTERS are merged first), so a
swung strum counts as the one off-beat note it is, at its middle. The song swings when that reading is
SWUNG_MIN_SWING or more (the scoring's own line for a swung song) and at least SWUNG_MIN_SHARE of the beats read
place their note off the straight 16ths (SWUNG_PLACES, between the eighth at 0.5 and the last 16th at 0.75): a
straight riff mixing eighths and syncopated 16ths averages past 0.58 too, with every note on the grid. A straight
reading, too few beats, or compound meters (already in threes) leave the drums straight.

Which parts, measured on the band model's split (songs whose drummer's swing ../shared/scoring measures: 409
training songs, 321 straight and 80 swung; 37 validation songs, 22 and 14):
- each part is read on its own and the beats of the parts pooled. Read merged, parts playing different notes off the
  same beat (a flute's late note over a swung strum) leave no beat with one off-beat note: two swinging validation
  songs read 2 and 4 beats merged, 815 and 532 part by part. Only parts with MIN_SWING_BEATS beats or more are
  pooled: a part with a few notes says little (moonchld, a straight drummer, read 0.59 with two keyboard parts of 6
  and 2 beats, 0.57 without).
- the guitar's parts are read first, as the drums' lead in a guitar accompaniment; every listened part only when
  the guitar gives no beats to read (no guitar part, a guitar in held chords). Training: 317 of 321 straight songs
  read straight, 52 of 80 swung songs read swung within 0.04 of their drummer, as with every part read (the guitar
  alone 51, merged as before 320 and 47). Validation: 22 of 22, and 10 of 14 (every part 9: mmxmamt's guitar reads
  0.585 with 31% of its beats off the grid, its band 0.583 and 27%; merged 6). The tie on training was broken on
  those validation figures.
- a guitar that reads straight (or not swung enough) over a swinging band: the bass's parts are read next, alone,
  then every part. A walking or shuffling bass under straight strums or held chords is the band's swing
  (the_bard_of_armagh: guitar 0.52, bass 0.67, its drummer 0.67). On the 437 songs of ../shared whose drummer is
  measured swung (94) or straight (343), a decision within 0.04 of the drummer (swung) or none (straight): the
  guitar first as before 62 and 339; then the bass 67 and 336; then the bass and every part 68 and 336; then every
  part without the bass 65 and 337. Chosen on four folds and scored on the fifth (tools.crossval's folds): 67 of 94
  and 336 of 343 (bass then every part on 4 folds, bass on 1). With the guitar alone nothing else is read.
- the reading is played as read: a mapping toward the 0.667 most swung training drummers play (0.33 x + 0.45,
  fitted) puts 56 of the 80 within in-sample but takes 2 of the validation songs out.
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
