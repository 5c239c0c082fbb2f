"""Scores of a drum part against the real drummer's: hits on the grid, and groove descriptors per bar.

Pure numpy, no torch, no MIDI. Everything works on a `DrumGrid` and the song's `Grid`, over a *span* of steps
[start_step, end_step) made of whole bars (the evaluation scores the song's span, from the guitar's first bar to its
last).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seq2drum.midi.drums import (CRASH, DRUM_CLASSES, HIGH_TOM, KICK, LOW_TOM, MID_TOM, SNARE,
                                  TIMEKEEPERS)
from seq2drum.groove import STRUCTURE_COLUMNS, is_fill_bar
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid, is_compound

Span = tuple[int, int]  # [start_step, end_step)

_MERGED_GROUPS = ((KICK,), (SNARE,), TIMEKEEPERS, (LOW_TOM,), (MID_TOM,), (HIGH_TOM,), (CRASH,))


def merge_timekeeping(hits: np.ndarray) -> np.ndarray:
    """(n_steps, 9) -> (n_steps, 7): closed hat, open hat and ride folded into one timekeeping class."""
    return np.stack([hits[:, list(group)].any(axis=1) for group in _MERGED_GROUPS], axis=1)


# A view is a way of looking at the hits before matching: its class names and the function that maps (n, 9) hits.
VIEWS: dict[str, tuple[tuple[str, ...], Callable[[np.ndarray], np.ndarray]]] = {
    "all": (DRUM_CLASSES, lambda hits: hits),
    "kick_snare": (("kick", "snare"), lambda hits: hits[:, [KICK, SNARE]]),
    "merged_hats": (("kick", "snare", "timekeeping", "low_tom", "mid_tom", "high_tom", "crash"), merge_timekeeping),
}


# ---------------------------------------------------------------------------------------------- grid hits


@dataclass
class HitCounts:
    """Matched hits (true positives), predicted hits and real hits, per class; they add up over songs."""

    matched: np.ndarray  # (C,) int64
    predicted: np.ndarray  # (C,) int64
    real: np.ndarray  # (C,) int64

    def __add__(self, other: HitCounts) -> HitCounts:
        return HitCounts(self.matched + other.matched, self.predicted + other.predicted, self.real + other.real)

    @classmethod
    def zeros(cls, n_classes: int) -> HitCounts:
        return cls(*(np.zeros(n_classes, dtype=np.int64) for _ in range(3)))

    def per_class(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Precision, recall, F1 per class (NaN where undefined: no predicted, no real, or neither)."""
        return prf(self.matched, self.predicted, self.real)

    def micro(self) -> tuple[float, float, float]:
        """Precision, recall, F1 over all cells of all classes."""
        precision, recall, f1 = prf(self.matched.sum(), self.predicted.sum(), self.real.sum())
        return float(precision), float(recall), float(f1)


def prf(matched: np.ndarray, predicted: np.ndarray, real: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision = matched / predicted, recall = matched / real, F1 = 2 matched / (predicted + real); NaN on 0 / 0.

    F1 written this way equals the harmonic mean where both are defined, and is 0 when one side is empty.
    """
    matched, predicted, real = (np.asarray(x, dtype=np.float64) for x in (matched, predicted, real))
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, matched / predicted, np.nan)
        recall = np.where(real > 0, matched / real, np.nan)
        f1 = np.where(predicted + real > 0, 2 * matched / (predicted + real), np.nan)
    return precision, recall, f1


def match_hits(predicted: np.ndarray, real: np.ndarray, tolerance_steps: int = 0) -> HitCounts:
    """Count hits of `predicted` (n, C) bool matched one-to-one to hits of the same class in `real` (n, C) bool.

    With `tolerance_steps` = 0 a match is the same (step, class) cell. With k > 0 a hit matches a hit of its class
    within +-k steps, each hit used at most once; the two-pointer sweep over sorted steps finds a maximum matching,
    because every hit's window of partners is an interval and the intervals keep their order.
    """
    predicted, real = np.asarray(predicted, dtype=bool), np.asarray(real, dtype=bool)
    if predicted.shape != real.shape:
        raise ValueError(f"predicted {predicted.shape} and real {real.shape} hits must cover the same steps")
    n_classes = predicted.shape[1]
    counts = HitCounts(
        np.zeros(n_classes, dtype=np.int64), predicted.sum(axis=0).astype(np.int64), real.sum(axis=0).astype(np.int64)
    )
    if tolerance_steps <= 0:
        counts.matched[:] = (predicted & real).sum(axis=0)
        return counts
    for drum_class in range(n_classes):
        mine, theirs = np.flatnonzero(predicted[:, drum_class]), np.flatnonzero(real[:, drum_class])
        i = j = matched = 0
        while i < len(mine) and j < len(theirs):
            if abs(int(mine[i]) - int(theirs[j])) <= tolerance_steps:
                matched += 1
                i += 1
                j += 1
            elif mine[i] < theirs[j]:
                i += 1
            else:
                j += 1
        counts.matched[drum_class] = matched
    return counts


# ---------------------------------------------------------------------------------------------- bars


def bars_in_span(grid: Grid, span: Span) -> np.ndarray:
    """(n, 2) start_step and n_steps of the bars that start inside the span."""
    start = grid.bars[:, BAR_START]
    inside = (start >= span[0]) & (start < span[1])
    return grid.bars[inside][:, [BAR_START, BAR_STEPS]]


def bar_keys(hits: np.ndarray, grid: Grid, span: Span) -> list[tuple[int, bytes] | None]:
    """One hashable key per bar in the span: (bar length in steps, packed 9-class hit pattern); None when empty."""
    keys: list[tuple[int, bytes] | None] = []
    for start, n_steps in bars_in_span(grid, span).tolist():
        pattern = hits[start : start + n_steps]
        keys.append((n_steps, np.packbits(pattern).tobytes()) if pattern.any() else None)
    return keys


def novelty(hits: np.ndarray, grid: Grid, span: Span, training_bars: set[tuple[int, bytes]]) -> tuple[int, int]:
    """(copied, counted): of the non-empty bars in the span, how many equal some training bar of the same length
    exactly (all 9 classes, every step). Empty bars are left out of both numbers: a rest is not a copy."""
    keys = [key for key in bar_keys(hits, grid, span) if key is not None]
    return sum(key in training_bars for key in keys), len(keys)


# ---------------------------------------------------------------------------------------------- descriptors


def onset_density(hits: np.ndarray, grid: Grid, span: Span) -> np.ndarray:
    """(n_bars,) drum onsets per bar: the number of (step, class) cells hit in the bar."""
    return np.array([hits[s : s + n].sum() for s, n in bars_in_span(grid, span).tolist()], dtype=np.float64)


def syncopation(hits: np.ndarray, grid: Grid, span: Span) -> np.ndarray:
    """(n_bars,) Longuet-Higgins & Lee syncopation per bar, summed over the 9 classes.

    Metrical weight w(step) = -Grid.metrical_level (0 downbeat, -1 beat, -2 beat half, -3 finer). For each class
    separately: an onset at step s, off the downbeat, whose next stronger position t (the first step after s with a
    higher weight, possibly the next bar's downbeat) holds no onset of that class, with no onset of that class in
    between either (the note is held over t), is a syncopation of strength w(t) - w(s). Each bar sums the strengths
    of the onsets it holds. Onsets whose t lies past the span are not counted (nothing is known after it).
    """
    level = grid.metrical_level()
    n_steps = grid.n_steps
    next_stronger = np.full(n_steps, -1, dtype=np.int64)
    for this_level in (1, 2, 3):
        at_level = np.flatnonzero(level == this_level)
        stronger = np.flatnonzero(level < this_level)
        index = np.searchsorted(stronger, at_level, side="right")
        found = index < len(stronger)
        next_stronger[at_level[found]] = stronger[index[found]]
    steps = np.arange(span[0], span[1])
    target = next_stronger[steps]
    valid = (target >= 0) & (target < span[1])
    strength = np.where(valid, level[steps] - level[np.where(valid, target, 0)], 0)
    onsets = np.cumsum(hits[: span[1]], axis=0)  # (T, 9) onsets up to and including each step
    safe_target = np.where(valid, target, steps)
    held = (onsets[safe_target] - onsets[steps]) == 0  # (S, 9) no onset of the class in (s, t]
    per_step = ((hits[steps] & held & valid[:, None]).sum(axis=1) * strength).astype(np.float64)
    return np.array([per_step[s - span[0] : s - span[0] + n].sum() for s, n in bars_in_span(grid, span).tolist()])


def swing(drums: DrumGrid, grid: Grid, span: Span) -> np.ndarray:
    """(n_bars,) swing ratio per bar, NaN for a bar without an eligible beat.

    Hats and ride together (the timekeeping hand). A beat is eligible when it is a simple beat (not a dotted one of
    6/8, 9/8, 12/8) holding exactly one off-beat timekeeping hit whose position inside the beat, (step in beat +
    microtiming offset) / beat length, lies in [3/8, 7/8): an eighth off-beat, straight or swung; beats with 16th
    subdivisions are left out. The bar's value is the mean position: straight eighths give 0.5, triplet swing 0.67,
    dotted-eighth swing 0.75.
    """
    timekeeping = drums.hits[:, list(TIMEKEEPERS)]
    played = timekeeping.any(axis=1)
    offset_sum = np.where(timekeeping, drums.offset[:, list(TIMEKEEPERS)], 0.0).sum(axis=1)
    offset = offset_sum / np.maximum(timekeeping.sum(axis=1), 1)  # (n_steps,) mean offset of the hits at a step
    beat = grid.beat_steps()
    numerator = np.repeat(grid.bars[:, BAR_NUMERATOR], grid.bars[:, BAR_STEPS])
    denominator = np.repeat(grid.bars[:, BAR_DENOMINATOR], grid.bars[:, BAR_STEPS])
    compound = is_compound(numerator, denominator)
    values = []
    for start, n_steps in bars_in_span(grid, span).tolist():
        positions = []
        for beat_start in range(start, start + n_steps, int(beat[start])):
            length = int(beat[beat_start])
            steps = np.arange(beat_start + 1, min(beat_start + length, start + n_steps))
            off_beat = steps[played[steps]]
            if compound[beat_start] or length < 2 or len(off_beat) != 1:
                continue
            position = (off_beat[0] - beat_start + offset[off_beat[0]]) / length
            if 3 / 8 <= position < 7 / 8:
                positions.append(position)
        values.append(float(np.mean(positions)) if positions else np.nan)
    return np.array(values, dtype=np.float64)


def swung_note_position(drums: DrumGrid, grid: Grid, bar_steps: int | None = None, skip_fills: bool = False) -> float:
    """The mean place in its beat (step in beat + offset, over the beat's length) of the hat and ride hits between
    0.45 and 0.95 of the beat: where the swung eighths land, whichever 16th the groove wrote them on (what
    --swing is measured by). Only bars of `bar_steps` steps when given, without fill bars with `skip_fills`; NaN when
    no hit qualifies."""
    bar = grid.bar_of_step()[: drums.n_steps]
    keep = np.ones(len(bar), dtype=bool)
    if bar_steps is not None:
        keep &= grid.bars[bar, BAR_STEPS] == bar_steps
    if skip_fills:
        fill = np.array([is_fill_bar(drums.hits[start : start + n], n, int(grid.beat_steps()[start]))
                         for start, n in grid.bars[:, [BAR_START, BAR_STEPS]].tolist()], dtype=bool)
        keep &= ~fill[bar]
    hits = drums.hits[: len(bar), list(TIMEKEEPERS)] & keep[:, None]
    step, column = np.nonzero(hits)
    beat = grid.beat_steps()[step]
    place = (grid.step_in_bar()[step] % beat + drums.offset[step, np.array(TIMEKEEPERS)[column]]) / beat
    swung = place[(place >= 0.45) & (place <= 0.95)]
    return float(swung.mean()) if len(swung) else float("nan")


def velocity_spread(drums: DrumGrid, grid: Grid, span: Span) -> np.ndarray:
    """(n_bars,) standard deviation of the velocities of the bar's hits (all classes); NaN under two hits."""
    values = []
    for start, n_steps in bars_in_span(grid, span).tolist():
        velocity = drums.velocity[start : start + n_steps][drums.hits[start : start + n_steps]].astype(np.float64)
        values.append(float(velocity.std()) if len(velocity) >= 2 else np.nan)
    return np.array(values, dtype=np.float64)


def groove_consistency(hits: np.ndarray, grid: Grid, span: Span) -> np.ndarray:
    """(n_bars - 1,) similarity of each bar's 9-class hit pattern to the next bar's, when both have the same length.

    Similarity = 1 - Hamming distance / number of cells hit in either bar (the Jaccard index of the two patterns;
    normalizing by the union rather than by all cells keeps mostly-empty grids from all scoring near 1). NaN when
    the lengths differ or both bars are empty.
    """
    bars = bars_in_span(grid, span).tolist()
    values = []
    for (start, n_steps), (next_start, next_n_steps) in zip(bars, bars[1:]):
        if n_steps != next_n_steps:
            values.append(np.nan)
            continue
        this, following = hits[start : start + n_steps], hits[next_start : next_start + n_steps]
        union = int((this | following).sum())
        values.append(1.0 - int((this ^ following).sum()) / union if union else np.nan)
    return np.array(values, dtype=np.float64)


DESCRIPTORS = ("density", "syncopation", "swing", "velocity_spread", "groove_consistency")


def describe(drums: DrumGrid, grid: Grid, span: Span) -> dict[str, np.ndarray]:
    """Every descriptor of one drum part, per bar of the span (NaN where a bar has no value)."""
    return {
        "density": onset_density(drums.hits, grid, span),
        "syncopation": syncopation(drums.hits, grid, span),
        "swing": swing(drums, grid, span),
        "velocity_spread": velocity_spread(drums, grid, span),
        "groove_consistency": groove_consistency(drums.hits, grid, span),
    }


def overlap_area(first: np.ndarray, second: np.ndarray, bins: int = 20) -> float:
    """Histogram intersection of two samples over one shared binning of their joint range, in [0, 1].

    Each histogram is normalized to sum 1; the overlap is the sum of the bin-wise minimum: 1 for identical
    distributions, 0 for disjoint ones. NaN values are dropped; NaN when either sample is then empty.
    """
    first, second = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    first, second = first[~np.isnan(first)], second[~np.isnan(second)]
    if not len(first) or not len(second):
        return float("nan")
    low, high = min(first.min(), second.min()), max(first.max(), second.max())
    if high == low:
        return 1.0
    first_hist, _ = np.histogram(first, bins=bins, range=(low, high))
    second_hist, _ = np.histogram(second, bins=bins, range=(low, high))
    return float(np.minimum(first_hist / first_hist.sum(), second_hist / second_hist.sum()).sum())


# ---------------------------------------------------------------------------------------------- song structure

STRUCTURES = STRUCTURE_COLUMNS  # the (rest, crash, fill) columns of structure_flags
STRUCTURE_TOLERANCE_BARS = {"rest": 0, "crash": 0, "fill": 1}


def structure_flags(hits: np.ndarray, grid: Grid, span: Span) -> np.ndarray:
    """(n_bars, 3) bool per bar of the span: the drums rest (no hit), crash on the downbeat, play a fill (any tom,
    or three or more snare hits in the bar's last beat)."""
    bars = bars_in_span(grid, span)
    beat = grid.beat_steps()
    flags = np.zeros((len(bars), 3), dtype=bool)
    for row, (start, n_steps) in enumerate(bars.tolist()):
        bar = hits[start : start + n_steps]
        flags[row] = (not bar.any(), bool(bar[0, CRASH]), is_fill_bar(bar, n_steps, int(beat[start])))
    return flags


def structure_counts(predicted: np.ndarray, real: np.ndarray) -> dict[str, HitCounts]:
    """Per structure, bars matched one to one (fills within +-1 bar), predicted and real; they add up over songs."""
    return {name: match_hits(predicted[:, [column]], real[:, [column]], STRUCTURE_TOLERANCE_BARS[name])
            for column, name in enumerate(STRUCTURES)}
