"""What the bar decoder hears of the drums: for each bar, the drums of the last bar before it whose drums are known.

A decoder that hears its own drums reads, beside each bar's encoder state, one row per bar: the hits of the last
known bar before it (flattened over its steps and the 9 classes), whether there is one, and how many bars back it
lies. Known bars are the real drums in training (all of them, the first two drummed bars only as a user primes, or
none), the user's drums (`--keep-drums`, a `--groove` clip heard as the bar before the song) and, in a second pass,
the drums generation chose. One function builds the rows for training and generation, so both read the same thing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seq2drum.midi.drums import NUM_DRUM_CLASSES

FAR = 16  # bars: a known bar further back is heard as this far


def heard_width(max_bar_steps: int) -> int:
    """The width of one heard row: the steps x classes of a bar, the known flag, the distance."""
    return max_bar_steps * NUM_DRUM_CLASSES + 2


def heard_drums(hits: np.ndarray, known: np.ndarray, before: np.ndarray | None = None) -> np.ndarray:
    """hits (N, S, 9) of each bar (read only where `known`), known (N,) bool, before (S, 9) a bar heard as coming
    just before the first (a groove clip) -> (N, S * 9 + 2) float32: row n holds the last known bar m < n."""
    n_bars, width, classes = hits.shape
    index = np.arange(n_bars)
    last = np.maximum.accumulate(np.where(known, index, -1 if before is not None else -2))
    source = np.concatenate([[-1 if before is not None else -2], last[:-1]]) if n_bars else last  # strictly before
    rows = np.zeros((n_bars, width * classes + 2), dtype=np.float32)
    found = source >= -1
    if before is not None:
        rows[source == -1, : width * classes] = np.asarray(before, dtype=np.float32).reshape(-1)[: width * classes]
    inside = source >= 0
    rows[inside, : width * classes] = hits[source[inside]].reshape(-1, width * classes)
    rows[found, -2] = 1.0
    rows[found, -1] = np.minimum(index[found] - source[found], FAR) / FAR
    return rows


def heard_before(before: np.ndarray | None, width: int) -> np.ndarray:
    """(width * 9 + 2,) float32: `heard_drums` of one bar of unknown drums, the row a live bar hears: `before`
    (S, 9) as the bar just before it, or nothing (zeros). Built directly, a tenth of the general function's calls."""
    row = np.zeros(width * NUM_DRUM_CLASSES + 2, dtype=np.float32)
    if before is not None:
        row[: width * NUM_DRUM_CLASSES] = np.asarray(before, dtype=np.float32).reshape(-1)[: width * NUM_DRUM_CLASSES]
        row[-2] = 1.0
        row[-1] = 1 / FAR  # one bar back
    return row


def heard_for(n_bars: int, width: int, given: Any = None, chosen: np.ndarray | None = None) -> np.ndarray | None:
    """What a song's bars hear in generation: the user's drums where `given` (a `GivenDrums`: `hits` (N, S, 9),
    `covered` (N,), `groove` (k, S, 9) or None, heard as the bar before the song) covers bars, and the drums a pass
    `chosen` (N, S, 9) everywhere else when there are some. None: nothing to hear."""
    hits = np.zeros((n_bars, width, NUM_DRUM_CLASSES), dtype=bool)
    known = np.zeros(n_bars, dtype=bool)
    if chosen is not None:
        hits[:] = chosen[:, :width]
        known[:] = True
    before = None
    if given is not None:
        covered = np.asarray(given.covered, dtype=bool)
        hits[covered] = np.asarray(given.hits, dtype=bool)[covered][:, :width]
        known |= covered
        groove = getattr(given, "groove", None)
        before = None if groove is None or not len(groove) else np.asarray(groove[0], dtype=bool)[:width]
    if not known.any() and before is None:
        return None
    return heard_drums(hits, known, before)
