"""Sections of a song from its guitar part: where the guitar changes, where a part starts again, and which parts
repeat each other (an A-B-A form), plus the file's own marker events (a DAW's "Verse", "Chorus").

Pure numpy. Each bar gets a vector of what the guitar plays in it (sounding pitch classes and where in the bar it
strikes); bars are compared by cosine similarity, and a boundary is placed where the bars before a point are alike,
the bars after it are alike, and the two groups differ (Foote's checkerboard novelty on the self-similarity matrix).
Where the guitar falls silent or comes back, and where the file has a marker, is a boundary too. A section shorter
than MIN_GUITAR_SECTION_BARS is merged into the neighbour it resembles most, unless a marker starts it. Sections whose
bars resemble each other get the same label, so a chorus that comes back is recognised as the same part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seq2drum.song.columns import GUITAR
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid

_RHYTHM_BINS = 16  # onset positions are folded onto 16 slots of the bar, whatever its length
NOVELTY_HALF_WIDTH = 4  # bars on each side of a candidate boundary
NOVELTY_THRESHOLD = 0.12  # within-group minus across-group similarity that makes a boundary
SAME_LABEL_SIMILARITY = 0.8  # block similarity, relative to the blocks' own, above which two sections share a label
MIN_GUITAR_SECTION_BARS = 2
# and at least this many quarter notes: 2 bars of 4/16 or 3/16 are a beat or two, and with a crash on every
# section's first bar and a fill on its last, a 4/16 song crashed and filled every few beats (bars of 2 quarters or
# more are unchanged by this)
MIN_SECTION_QUARTERS = 4.0


@dataclass(frozen=True)
class Section:
    """Bars [start_bar, end_bar) of the song (indices into the song's bars), and its label (0 = A, 1 = B ...)."""

    start_bar: int
    end_bar: int
    label: int

    @property
    def n_bars(self) -> int:
        return self.end_bar - self.start_bar

    @property
    def letter(self) -> str:
        return chr(ord("A") + self.label % 26) + ("" if self.label < 26 else str(self.label // 26))

    def __repr__(self) -> str:
        return f"Section({self.letter}: bars {self.start_bar}-{self.end_bar - 1})"


def bar_vectors(guitar: np.ndarray, grid: Grid, first_bar: int, end_bar: int) -> np.ndarray:
    """(n_bars, 12 + 16) float32: each bar's sounding pitch classes and its onset rhythm, each part unit length."""
    n = end_bar - first_bar
    vectors = np.zeros((n, 12 + _RHYTHM_BINS), dtype=np.float32)
    bars = grid.bars[first_bar:end_bar]
    lengths = bars[:, BAR_STEPS]
    rows = np.repeat(np.arange(n), lengths)  # (steps,) the bar of each step, bars being contiguous
    in_bar = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    steps = guitar[int(bars[0, BAR_START]) :][: len(rows)] if n else guitar[:0]
    rows, in_bar = rows[: len(steps)], in_bar[: len(steps)]  # the grid may end inside the last bar
    # sums of 0/1 values, exact in float32 in any order
    np.add.at(vectors[:, :12], rows, steps[:, GUITAR.sounding_chroma])
    slots = (in_bar * _RHYTHM_BINS) // np.maximum(1, lengths[rows])
    np.add.at(vectors, (rows, 12 + slots), steps[:, GUITAR.has_onset])
    for part in (slice(0, 12), slice(12, None)):
        norms = np.linalg.norm(vectors[:, part], axis=1, keepdims=True)
        vectors[:, part] /= np.maximum(norms, 1e-6)
    return vectors / np.sqrt(2.0)


def self_similarity(vectors: np.ndarray) -> np.ndarray:
    """(n, n) cosine similarity of bar vectors; a silent bar is like another silent bar and unlike any other."""
    norms = np.linalg.norm(vectors, axis=1)
    silent = norms < 1e-6
    unit = vectors / np.maximum(norms, 1e-6)[:, None]
    similarity = unit @ unit.T
    similarity[np.ix_(silent, silent)] = 1.0
    return similarity


def harmony_similarity(guitar: np.ndarray, grid: Grid, first_bar: int, end_bar: int) -> np.ndarray:
    """(n, n) the bars' likeness in the pitch classes the guitar sounds alone, its rhythm left out: a blues's
    choruses repeat in their changes, however the guitar comps or solos over them (song.phrases reads it)."""
    if end_bar <= first_bar:
        return np.zeros((0, 0), dtype=np.float32)
    return self_similarity(bar_vectors(guitar, grid, first_bar, end_bar)[:, :12])


def novelty(similarity: np.ndarray, half_width: int = NOVELTY_HALF_WIDTH) -> np.ndarray:
    """(n,) how much bar b starts something new: mean similarity inside the groups of bars before and after b
    minus the mean similarity across them (0 at the first bar, and where either side has under 2 bars)."""
    n = len(similarity)
    values = np.zeros(n, dtype=np.float32)
    bars = np.arange(2, max(2, n - 1))
    before_bars = np.minimum(bars, half_width)
    after_bars = np.minimum(n - bars, half_width)
    scored = after_bars >= 2
    # the bars whose groups have the same sizes (all but a few near the ends) are scored at once
    for sizes in sorted(set(zip(before_bars[scored].tolist(), after_bars[scored].tolist()))):
        rows = bars[scored & (before_bars == sizes[0]) & (after_bars == sizes[1])]
        before = rows[:, None] - sizes[0] + np.arange(sizes[0])  # (m, sizes[0]) the bars of each group before
        after = rows[:, None] + np.arange(sizes[1])  # (m, sizes[1])
        inside = (_block_means(similarity, before, before) + _block_means(similarity, after, after)) / 2
        values[rows] = inside - _block_means(similarity, before, after)
    return values


def _block_means(similarity: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """(m,) the mean of each block similarity[rows[i]][:, columns[i]]: the same float32 values as each block's own
    `.mean()` (checked against a loop of those on 8,000 random matrices and every song of ../shared/data/midi)."""
    return similarity[rows[:, :, None], columns[:, None, :]].mean(axis=(1, 2))


def song_structure(
    guitar: np.ndarray,
    grid: Grid,
    first_bar: int,
    end_bar: int,
    marker_steps: Sequence[int] = (),
    threshold: float = NOVELTY_THRESHOLD,
) -> tuple[list[Section], np.ndarray]:
    """The sections of bars [first_bar, end_bar), covering them without gaps, labelled by repetition, and the novelty
    of every bar (n_bars,) that the boundaries were picked from."""
    sections, scores, _ = guitar_structure(guitar, grid, first_bar, end_bar, marker_steps, threshold)
    return sections, scores


def guitar_structure(
    guitar: np.ndarray,
    grid: Grid,
    first_bar: int,
    end_bar: int,
    marker_steps: Sequence[int] = (),
    threshold: float = NOVELTY_THRESHOLD,
) -> tuple[list[Section], np.ndarray, np.ndarray]:
    """`song_structure`'s sections and novelty, and the bars' similarity (n_bars, n_bars) they come from (the
    drummer's sections, `song.phrases`, read it too)."""
    n = end_bar - first_bar
    if n <= 0:
        return [], np.zeros(0, dtype=np.float32), np.zeros((0, 0), dtype=np.float32)
    vectors = bar_vectors(guitar, grid, first_bar, end_bar)
    similarity = self_similarity(vectors)
    scores = novelty(similarity)
    boundaries = {0}
    # novelty peaks: a local maximum over +-1 bar, above the threshold
    for b in range(1, n):
        left = scores[b - 1]
        right = scores[b + 1] if b + 1 < n else -np.inf
        if scores[b] >= threshold and scores[b] >= left and scores[b] > right:
            boundaries.add(b)
    silent = np.linalg.norm(vectors, axis=1) < 1e-6
    boundaries.update(int(b) for b in np.flatnonzero(silent[1:] != silent[:-1]) + 1)
    bar_starts = grid.bars[first_bar:end_bar, BAR_START]
    marker_bars = {int(np.searchsorted(bar_starts, step, side="right") - 1) for step in marker_steps}
    marker_bars = {bar for bar in marker_bars if 0 < bar < n}
    quarters = grid.bars[first_bar:end_bar, BAR_STEPS] / grid.steps_per_quarter
    starts = _merge_short(sorted(boundaries | marker_bars), n, similarity, marker_bars, quarters)
    ends = starts[1:] + [n]
    labels = section_labels(similarity, list(zip(starts, ends)))
    sections = [Section(first_bar + s, first_bar + e, label) for (s, e), label in zip(zip(starts, ends), labels)]
    return sections, scores, similarity


def _merge_short(starts: list[int], n: int, similarity: np.ndarray, marker_bars: set[int],
                 quarters: np.ndarray | None = None) -> list[int]:
    """Merge each section under MIN_GUITAR_SECTION_BARS (or under MIN_SECTION_QUARTERS of the bars' `quarters`, (n,))
    that no marker starts into the neighbour whose bars it resembles
    most (mean similarity; the one before on a tie), first to last, until none is left: a 4/16 song had 90 sections
    and lists like `A@58 A@60` from one-bar sections where the guitar paused."""
    starts = list(starts)
    while True:
        ends = starts[1:] + [n]
        merge = None  # the boundary to drop
        for index, (start, end) in enumerate(zip(starts, ends)):
            long_enough = quarters is None or float(quarters[start:end].sum()) >= MIN_SECTION_QUARTERS
            if (end - start >= MIN_GUITAR_SECTION_BARS and long_enough) or start in marker_bars:
                continue
            options = []
            if index > 0:  # into the section before: this one's start goes
                options.append((float(similarity[start:end, starts[index - 1] : start].mean()), start))
            if index + 1 < len(starts) and end not in marker_bars:  # into the one after: its start goes
                options.append((float(similarity[start:end, end : ends[index + 1]].mean()), end))
            if options:
                merge = max(options, key=lambda option: option[0])[1]
                break
        if merge is None:
            return starts
        starts.remove(merge)


def section_labels(similarity: np.ndarray, spans: list[tuple[int, int]], weights: Sequence[float] | None = None,
                   weight_tolerance: float = 0.0) -> list[int]:
    """A section takes the label of the first earlier section it resembles as much as each resembles itself (and,
    with `weights`, one number a section, whose weight differs from its own by less than `weight_tolerance`)."""
    labels: list[int] = []
    own = [similarity[s:e, s:e].mean() for s, e in spans]
    for index, (start, end) in enumerate(spans):
        label = None
        for earlier in range(index):
            if weights is not None and abs(weights[index] - weights[earlier]) >= weight_tolerance:
                continue
            s, e = spans[earlier]
            across = similarity[start:end, s:e].mean()
            if across >= SAME_LABEL_SIMILARITY * np.sqrt(max(own[index], 1e-6) * max(own[earlier], 1e-6)):
                label = labels[earlier]
                break
        labels.append(max(labels, default=-1) + 1 if label is None else label)
    return labels


def section_bar_features(sections: Sequence[Section], first_bar: int, end_bar: int) -> np.ndarray:
    """(n_bars, 6) float32 per bar of [first_bar, end_bar): starts a section, ends one, position inside it (0-1),
    its length (in 16 bars), its label was heard before (a part coming back), it is the song's first section."""
    n = end_bar - first_bar
    features = np.zeros((n, 6), dtype=np.float32)
    seen: set[int] = set()
    for index, section in enumerate(sections):
        rows = np.arange(section.start_bar, section.end_bar) - first_bar
        features[rows[0], 0] = 1.0
        features[rows[-1], 1] = 1.0
        features[rows, 2] = np.arange(len(rows)) / max(1, len(rows) - 1)
        features[rows, 3] = min(len(rows), 64) / 16.0
        features[rows, 4] = section.label in seen
        features[rows, 5] = index == 0
        seen.add(section.label)
    return features
