"""Swing: decided from the song (whether and how much the drums swing, read off the parts they listen to, unless
`--swing` says), and played (`swing`: the decided drums' off-beat eighths moved to that share of the beat, after the
humanizer, offline and live alike).

The reading is the one ../shared/scoring measures a drummer's swing with, put to the parts' onsets: over quarter-note
beats of x/4 bars holding exactly one onset off the beat, at 0.375-0.875 of the beat, its mean place (none under
MIN_SWING_BEATS such beats; a strum, onsets closer than STRUM_QUARTERS, is one onset). The song swings when that
reading is SWUNG_MIN_SWING or more and SWUNG_MIN_SHARE of the beats read place their note off the straight 16ths.
Each part is read on its own and the beats pooled: the guitar's parts first; where the guitar reads straight, the
bass's parts, then every part. Compound meters are left straight. The studies behind each choice:
docs/experiments/2026-11-25-decision-module-studies.md and 2026-11-24-swing-from-the-song.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from seq2drum import arrays
from seq2drum.midi.drums import TIMEKEEPERS
from seq2drum.midi.io import START
from seq2drum.options import MAX_SWING
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid, is_compound

STRAIGHT_MAX_SWING = 0.55  # a song's swing at or below this is straight (../shared/scoring's lines, also the
SWUNG_MIN_SWING = 0.58  # evaluation's); at or above this, swung: the drums swing at the listened parts' reading
MIN_SWING_BEATS = 8
SWUNG_PLACES = (0.55, 0.72)  # an off-beat note here is off the straight grid: swung (a triplet 0.67 +- a push)
SWUNG_RIDE_RATIO = 0.2  # a song that swings by its own reading rides where the ride is heard at this share of the hat
SWUNG_MIN_SHARE = 0.3  # of the beats read; fitted on the shipped model's training songs
STRUM_QUARTERS = 1 / 16  # onsets this close are one strum (a 64th): a swung 16th is three times as far away
OFF_BEAT_MARGIN = 0.1  # an onset within this of the beat plays on it (pushed or laid back), not off it
SWING_WINDOW = (0.375, 0.875)  # where the one off-beat note of a beat says straight (0.5) or swung (0.67, 0.75)


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
    return grouped_swung_positions(time_q, np.zeros(np.shape(time_q), dtype=np.int64))[0]


def grouped_swung_positions(time_q: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`swung_positions` of many pieces at once (a song's phrases: each onset's piece in `groups`, >= 0), and the
    piece of each place, pieces in order and each piece's places as `swung_positions` of its onsets alone gives
    them (in their beats' order)."""
    time_q = np.asarray(time_q, dtype=np.float64)
    beat, position = np.floor(time_q).astype(np.int64), time_q % 1.0
    off = (position >= OFF_BEAT_MARGIN) & (position <= 1 - OFF_BEAT_MARGIN)
    key = (np.asarray(groups, dtype=np.int64)[off] << 40) + beat[off]  # a piece's beats within 2**40 of each other
    _, first, count = np.unique(key, return_index=True, return_counts=True)
    positions, pieces = position[off][first], np.asarray(groups, dtype=np.int64)[off][first]
    keep = (count == 1) & (positions >= SWING_WINDOW[0]) & (positions <= SWING_WINDOW[1])
    return positions[keep], pieces[keep]


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
    return _reading(*beats_read(notes_per_part, grid), len(notes_per_part))


def _reading(positions: np.ndarray, part: np.ndarray, n_parts: int) -> SwingReading:
    """`read_swing`'s reading of the beats `beats_read` read (`positions` of parts `part` among `n_parts`)."""
    per_part = np.bincount(part, minlength=n_parts)
    # a part with fewer beats to read than a song needs (a few notes, a fill) says nothing of the song's swing
    positions = positions[(per_part >= MIN_SWING_BEATS)[part]]
    if len(positions) < MIN_SWING_BEATS:
        return SwingReading(None, int(per_part.max(initial=0)))
    off_grid = (positions >= SWUNG_PLACES[0]) & (positions <= SWUNG_PLACES[1])
    return SwingReading(float(positions.mean()), len(positions), float(off_grid.mean()))


def beats_read(notes_per_part: Sequence[np.ndarray], grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Each part's read beats: the place in its beat of each x/4 beat's one off-beat onset, its strums merged, and
    the part (an index into `notes_per_part`) of each, part by part in time order. All parts in one pass over their
    notes (once per part cost numpy's overhead per part: 15 of 24 s of a song of 40,000 one-note tracks, issue 69)."""
    sizes = [len(notes) for notes in notes_per_part]
    if not sum(sizes) or not grid.n_bars:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    start = np.concatenate([np.asarray(notes)[:, START] for notes in notes_per_part])
    part = np.repeat(np.arange(len(notes_per_part)), sizes)
    order = np.lexsort((start, part))
    start, part = start[order], part[order]
    distinct = _run_starts(start, part)
    start, part = start[distinct], part[distinct]
    onset_q = start / grid.ticks_per_quarter
    strum_start = _run_starts(np.cumsum(np.r_[False, np.diff(onset_q) >= STRUM_QUARTERS]), part)
    strum = np.cumsum(strum_start) - 1  # (n,) onsets chained closer, within a part
    onset_q, part = np.bincount(strum, onset_q) / np.bincount(strum), part[strum_start]  # each strum at its middle
    bar_start_q = grid.bars[:, BAR_START] / grid.steps_per_quarter
    bar = np.clip(np.searchsorted(bar_start_q, onset_q + 1e-9, side="right") - 1, 0, grid.n_bars - 1)
    numerator, denominator = grid.bars[bar, BAR_NUMERATOR], grid.bars[bar, BAR_DENOMINATOR]
    simple_quarters = (denominator == 4) & ~is_compound(numerator, denominator)
    time_q, part = onset_q[simple_quarters], part[simple_quarters]
    # swung_positions, part by part: the beats with exactly one off-beat onset, placed in the window
    beat, position = np.floor(time_q).astype(np.int64), time_q % 1.0
    off = (position >= OFF_BEAT_MARGIN) & (position <= 1 - OFF_BEAT_MARGIN)
    beat, position, part = beat[off], position[off], part[off]
    first = np.flatnonzero(_run_starts(beat, part))  # sorted by part, then time
    count = np.diff(np.r_[first, len(beat)])
    position, part = position[first], part[first]
    keep = (count == 1) & (position >= SWING_WINDOW[0]) & (position <= SWING_WINDOW[1])
    return position[keep], part[keep]


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """(n,) bool: where a run of equal keys starts, in arrays sorted by them."""
    starts = np.zeros(len(keys[0]), dtype=bool)
    starts[:1] = True
    for key in keys:
        starts[1:] |= key[1:] != key[:-1]
    return starts


def bar_places(onsets: Sequence[float]) -> list[float]:
    """One bar's read beats from its onsets in quarter notes, as `beats_read` reads a part (unique onsets, strums
    merged at their middle, `swung_positions`), in plain Python: a live bar holds a few dozen notes, where numpy's
    calls cost several times the arithmetic (a live bar's hot path: 0.27 -> 0.07 ms a bar)."""
    times = sorted(set(onsets))
    merged: list[float] = []
    chain: list[float] = []
    for time in times:
        if chain and time - chain[-1] >= STRUM_QUARTERS:
            merged.append(sum(chain, 0.0) / len(chain))
            chain = []
        chain.append(time)
    if chain:
        merged.append(sum(chain, 0.0) / len(chain))
    first: dict[int, float] = {}
    count: dict[int, int] = {}
    for time in merged:
        position = time % 1.0
        if OFF_BEAT_MARGIN <= position <= 1 - OFF_BEAT_MARGIN:
            beat = math.floor(time)
            first.setdefault(beat, position)
            count[beat] = count.get(beat, 0) + 1
    return [first[beat] for beat in sorted(first)
            if count[beat] == 1 and SWING_WINDOW[0] <= first[beat] <= SWING_WINDOW[1]]


class HeardSwing(NamedTuple):
    """Live, the listened parts' swing from the notes heard so far, read as `read_swing` reads a song with each role
    standing for a part (a live note carries its role, not its part): per role, its read beats' places summed, how
    many, and how many sit in SWUNG_PLACES."""

    roles: tuple[tuple[str, float, int, int], ...] = ()  # (role, sum of places, beats read, beats swung)

    def after(self, onsets_by_role: dict[str, list[float]], numerator: int, denominator: int) -> HeardSwing:
        """The reading with one more bar's onsets (quarter notes from its start, per role) counted: bars of simple
        x/4 meters only (a quarter-note beat is never compound), as `beats_read`."""
        if denominator != 4 or not onsets_by_role:
            return self
        counted = {role: (total, n, swung) for role, total, n, swung in self.roles}
        for role, onsets in onsets_by_role.items():
            places = bar_places(onsets)
            total, n, swung = counted.get(role, (0.0, 0, 0))
            in_places = sum(SWUNG_PLACES[0] <= place <= SWUNG_PLACES[1] for place in places)
            # summed as numpy sums them (one by one under 8 values), so the reading is `beats_read`'s to the bit
            added = sum(places, 0.0) if len(places) < 8 else float(np.sum(places))
            counted[role] = (total + added, n + len(places), swung + in_places)
        return HeardSwing(tuple((role, *counted[role]) for role in sorted(counted)))

    def reading(self, roles: Sequence[str]) -> SwingReading:
        """`read_swing` over these roles: those with MIN_SWING_BEATS beats read or more, pooled."""
        kept = [(total, n, swung) for role, total, n, swung in self.roles if role in roles and n >= MIN_SWING_BEATS]
        n = sum(read[1] for read in kept)
        if n < MIN_SWING_BEATS:
            return SwingReading(None, n)
        return SwingReading(sum(read[0] for read in kept) / n, n, sum(read[2] for read in kept) / n)

    def ratio(self, option: float | None) -> float | None:
        """The swing the drums play, as `decide_swing` decides it: `option`, else the guitar's reading (every role's
        where the guitar has none), else the bass's or every role's where they swing; None: straight."""
        return option if option is not None else _heard_ratio(self)


@lru_cache(maxsize=64)
def _heard_ratio(heard: HeardSwing) -> float | None:
    """`HeardSwing.ratio` without --swing, kept by the reading (a tuple of numbers): a live bar asks twice, for its
    request (whether the song swings) and its render (the swing played)."""
    every = [role for role, *_ in heard.roles]
    band = [role for role in every if role != "guitar"]
    reading = heard.reading(["guitar"])
    if reading.swing is None and band:
        reading = heard.reading(every)
    if not reading.swung and band:
        reading = next((later for later in (heard.reading(["bass"]), heard.reading(every)) if later.swung), reading)
    return float(np.clip(reading.swing, SWUNG_MIN_SWING, MAX_SWING)) if reading.swung else None


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
    positions, part = beats_read(every, grid)  # each part read once: a reading of some parts is theirs alone

    def read(indices: list[int]) -> SwingReading:
        kept = np.isin(part, indices)
        renumbered = np.searchsorted(np.asarray(indices), part[kept])  # as `read_swing` of those parts numbers them
        return _reading(positions[kept], renumbered, len(indices))

    every_index = list(range(len(every)))
    reading = read(every_index[: len(guitar_parts)])
    if reading.swing is None and len(band):  # a guitar with no beat to read (held chords, no guitar part)
        reading = read(every_index)
    if not reading.swung and len(band):  # a straight-reading guitar over a swinging bass (a walking, a shuffle)
        bass_index = [len(guitar_parts) + j for j, notes in enumerate(band) if any(notes is b for b in bass)]
        bass_reading = read(bass_index) if len(bass_index) == len(bass) else read_swing(list(bass), grid)
        reading = next((later for later in (bass_reading, read(every_index)) if later.swung), reading)
    if not reading.swung:
        return None, ""
    assert reading.swing is not None
    ratio = float(np.clip(reading.swing, SWUNG_MIN_SWING, MAX_SWING))
    return ratio, (f"swinging at {ratio:.2f} of the beat, as the song does ({reading.n_beats} beats read); "
                   "--swing 0.5 keeps the drums straight")


def swing(drums: DrumGrid, grid: Grid, ratio: float | None) -> tuple[DrumGrid, str]:
    """The drums with their swung eighth at `ratio` of the beat (0.5 straight, 0.67 triplet, 0.75 dotted), and a
    notice when compound bars are left straight; unchanged for None. The swung eighth is the off-beat eighth, or in a
    beat whose time-keeping plays one late off-beat note and nothing else between beats (a shuffle's or a jazz ride's
    skip note, written on the last 16th), that note: it lands at `ratio` wherever the groove put it. Offsets may then
    pass half a step: they are the output's timing, written as is by `grid_to_drums`."""
    if ratio is None or not drums.hits.any():
        return drums, ""
    n_steps = min(grid.n_steps, drums.n_steps)
    unit, position, knot = swing_units(drums, grid, n_steps)
    x = position / np.maximum(unit, 1)
    # a piecewise linear warp of each unit: the knot (the swung note's place) goes to `ratio`, the rest in proportion
    warped = np.where(x <= knot, x * ratio / knot, ratio + (x - knot) * (1 - ratio) / (1 - knot))
    shift = (warped - x) * unit  # (n_steps,) steps each position moves
    moves = (unit > 0) & (position > 0)
    step, drum_class = np.nonzero(drums.hits[:n_steps] & moves[:, None])
    offset = drums.offset.astype(np.float64).copy()
    if len(step):
        # the model's own mean timing at each (class, place in the span) gives way to the swing; its spread stays
        keys = drum_class * 1000 + np.round(x[step] * 100).astype(np.int64)
        _, group = np.unique(keys, return_inverse=True)
        means = np.bincount(group, offset[step, drum_class]) / np.bincount(group)
        offset[step, drum_class] = offset[step, drum_class] - means[group] + shift[step]
    swung = replace(drums, offset=offset.astype(np.float32))  # only the timing moves: each hit keeps its cell
    return swung, compound_notice(drums, grid, n_steps, ratio)


def swing_units(drums: DrumGrid, grid: Grid, n_steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n_steps,) each step's swing unit in steps (0: left alone), its place in the unit, and the unit's knot (the
    share of the unit where the swung note is written): a quarter note with its knot at the half where the beat is a
    quarter or longer, an eighth where it is one; a quarter whose time-keeping plays 16ths swings each eighth instead;
    a quarter whose only off-beat time-keeping is one late note (a shuffle's last 16th) has its knot there, as has one
    whose time-keeping plays nothing off the beat and whose other drums play off it at one late place alone."""
    q = grid.steps_per_quarter
    beat = grid.beat_steps()[:n_steps]
    in_beat = grid.step_in_bar()[:n_steps] % beat
    per_bar = grid.bars
    compound = np.repeat(is_compound(per_bar[:, BAR_NUMERATOR], per_bar[:, BAR_DENOMINATOR]),
                         per_bar[:, BAR_STEPS])[:n_steps]
    span = np.where((q % 2 == 0) & (beat % q == 0), q, np.where((q % 4 == 0) & (2 * beat == q), q // 2, 0))
    span = np.where(compound, 0, span)
    in_span = np.where(span > 0, in_beat % np.maximum(span, 1), 0)
    timekeeping = drums.hits[:n_steps][:, list(TIMEKEEPERS)].any(axis=1)
    span_start = np.arange(n_steps) - in_span
    off_beat = timekeeping & (span == q) & (in_span > 0)
    late = off_beat & (2 * in_span > q)
    # per span start: any off-beat time-keeping up to the half, and the late places it plays (one expected)
    early = np.zeros(n_steps + 1, dtype=bool)
    early[span_start[off_beat & ~late]] = True
    late_first = np.full(n_steps + 1, q, dtype=np.int64)
    late_last = np.zeros(n_steps + 1, dtype=np.int64)
    np.minimum.at(late_first, span_start[late], in_span[late])
    np.maximum.at(late_last, span_start[late], in_span[late])
    shuffle = (span == q) & ~early[span_start] & (late_first[span_start] == late_last[span_start])
    # a beat whose time-keeping plays nothing off the beat: its other drums' one late place is the swung eighth (a
    # comp on the last 16th is the triplet's last note, as a jazz drummer's is written: moved to 0.83 of the beat it
    # sounded as the next beat's backbeat, Basie's All of Me)
    others = drums.hits[:n_steps].any(axis=1) & (span == q) & (in_span > 0)
    kept = early | (late_last > 0)  # per span start: the time-keeping plays off the beat
    early_other = np.zeros(n_steps + 1, dtype=bool)
    early_other[span_start[others & (2 * in_span <= q)]] = True
    late_other = others & (2 * in_span > q)
    other_first = np.full(n_steps + 1, q, dtype=np.int64)
    other_last = np.zeros(n_steps + 1, dtype=np.int64)
    np.minimum.at(other_first, span_start[late_other], in_span[late_other])
    np.maximum.at(other_last, span_start[late_other], in_span[late_other])
    lone = (span == q) & ~kept[span_start] & ~early_other[span_start] \
        & (other_first[span_start] == other_last[span_start])
    late_first = np.where(lone, other_first[span_start], late_first[span_start])
    shuffle |= lone
    sixteenths = np.zeros(n_steps + 1, dtype=bool)
    sixteenths[span_start[off_beat & (in_span % max(1, q // 2) != 0)]] = True
    halves = (span == q) & sixteenths[span_start] & ~shuffle
    unit = np.where(halves, q // 2, span)
    position = np.where(unit > 0, in_span % np.maximum(unit, 1), 0)
    knot = np.where(shuffle, late_first / max(q, 1), 0.5)
    return unit, position, knot


def compound_notice(drums: DrumGrid, grid: Grid, n_steps: int, ratio: float) -> str:
    """The notice for compound bars with hits, which swing leaves as played ("" when there are none)."""
    per_bar = grid.bars
    bars_with_hits = arrays.distinct(grid.bar_of_step()[:n_steps][drums.hits[:n_steps].any(axis=1)])
    played_bars = per_bar[bars_with_hits]
    compound_bars = int(is_compound(played_bars[:, BAR_NUMERATOR], played_bars[:, BAR_DENOMINATOR]).sum())
    if not compound_bars:
        return ""
    where = "this song's" if compound_bars == len(bars_with_hits) else f"{compound_bars} of the song's"
    return (f"--swing {ratio:g} leaves {where} compound-meter bars (6/8, 9/8, 12/8) as played: their beats are "
            "already in threes")
