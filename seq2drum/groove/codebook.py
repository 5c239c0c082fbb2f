"""The groove codebook: the bar patterns drummers play, clustered from the training songs' bars (training.codebook
builds it, with the menu later takes choose from).

Drum bars are few and repeat, so a song's drums are mostly a choice among a few hundred bar patterns of each length
in steps (a 4/4 bar is 16 sixteenths, 3/4 and 6/8 are 12, 7/8 is 14), compared by `pattern_f1`: the F1 between two
patterns' (step, drum class) cells, the measure the drums are scored by. Each entry keeps the mean velocity and
microtiming of the bars assigned to it, so a chosen groove comes with its dynamics and feel.

Pure numpy; saved in the checkpoint as plain tensors (`to_state` / `from_state`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from seq2drum import arrays
from seq2drum.midi.drums import NUM_DRUM_CLASSES


def pattern_f1(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cell F1 between patterns a (..., N, D) and b (M, D) flattened to cells: (..., N, M); 1 between two empties."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    matched = a @ b.T
    total = a.sum(axis=-1, keepdims=True) + b.sum(axis=-1)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * matched / np.maximum(total, 1e-9), 1.0)


FIELDS = ("bar_steps", "patterns", "counts", "velocity", "offset", "menu_rank", "designed")  # GrooveCodebook's


@dataclass
class GrooveCodebook:
    """Bar patterns of several lengths; entry k plays `patterns[k, :bar_steps[k]]`."""

    bar_steps: np.ndarray  # (K,) int64 length of each entry in steps
    patterns: np.ndarray  # (K, S, 9) bool, S = the longest bar; False past an entry's length
    counts: np.ndarray  # (K,) int64 training bars assigned to each entry
    velocity: np.ndarray  # (K, S, 9) float32 mean MIDI velocity of the assigned bars' hits (0 where none)
    offset: np.ndarray  # (K, S, 9) float32 mean microtiming offset in steps
    # (K,) int64: the entry's place in the menu later takes choose from (0 first), -1 when it is not on it
    menu_rank: np.ndarray | None = None
    # (K,) bool: entries written by hand (groove.vocabulary), played under a style only; never saved in a checkpoint
    designed: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.menu_rank is None:
            self.menu_rank = np.full(len(self.bar_steps), -1, dtype=np.int64)
        if self.designed is None:
            self.designed = np.zeros(len(self.bar_steps), dtype=bool)

    def __len__(self) -> int:
        return len(self.bar_steps)

    @property
    def max_steps(self) -> int:
        return self.patterns.shape[1]

    def __repr__(self) -> str:
        lengths = Counter(self.bar_steps.tolist())
        return f"GrooveCodebook({len(self)} entries; by bar length in steps: {dict(sorted(lengths.items()))})"


    @classmethod
    def from_entries(cls, entries: list[tuple[int, np.ndarray, int, np.ndarray, np.ndarray]],
                     max_steps: int) -> GrooveCodebook:
        """(n_steps, pattern, count, velocity, offset) per entry, each array (n_steps, 9)."""
        shape = (len(entries), max_steps, NUM_DRUM_CLASSES)
        patterns, velocity, offset = np.zeros(shape, bool), np.zeros(shape, np.float32), np.zeros(shape, np.float32)
        for index, (n_steps, pattern, _, vel, off) in enumerate(entries):
            patterns[index, :n_steps] = pattern
            velocity[index, :n_steps] = vel
            offset[index, :n_steps] = off
        return cls(np.array([e[0] for e in entries], dtype=np.int64), patterns,
                   np.array([e[2] for e in entries], dtype=np.int64), velocity, offset)

    def appended(self, entries: list[tuple[int, np.ndarray, int, np.ndarray, np.ndarray]]) -> GrooveCodebook:
        """A copy with `entries` ((n_steps, pattern, count, velocity, offset), as `from_entries`) added at the end,
        marked `designed`, off the take menu."""
        if not entries:
            return self
        more = replace(GrooveCodebook.from_entries(entries, self.max_steps), designed=np.ones(len(entries), dtype=bool))
        return GrooveCodebook(*(np.concatenate([getattr(self, name), getattr(more, name)]) for name in FIELDS))

    def drummers(self, entry: np.ndarray) -> np.ndarray:
        """(n,) bool which of `entry` (codebook entries, -1 none) are a style's drummers' bars: designed entries
        standing for some of their bars (groove.vocabulary `drummers_grooves`), not written figures."""
        at = np.maximum(entry, 0)
        return (entry >= 0) & self.designed[at] & (self.counts[at] > 0)

    def entries_of_length(self, n_steps: int) -> np.ndarray:
        """Indices of the entries that fit a bar of `n_steps` steps (empty when the codebook has none)."""
        return np.flatnonzero(self.bar_steps == n_steps)

    def assign(self, hits: np.ndarray, bar_steps: np.ndarray) -> np.ndarray:
        """(N,) id of the nearest entry (highest cell F1) of the same length for each bar in hits (N, S, 9);
        -1 for a length the codebook does not have."""
        ids = np.full(len(hits), -1, dtype=np.int64)
        flat_hits = hits.reshape(len(hits), -1)
        flat_patterns = self.patterns.reshape(len(self), -1)
        for n_steps in arrays.distinct(bar_steps):
            rows = np.flatnonzero(bar_steps == n_steps)
            candidates = self.entries_of_length(int(n_steps))
            candidates = candidates[~self.designed[candidates]]  # the user's bars are matched to drummers' bars only
            if len(candidates) == 0:
                continue
            f1 = pattern_f1(flat_hits[rows], flat_patterns[candidates])
            # ties (often an empty bar against several) go to the most played entry
            ids[rows] = candidates[np.argmax(f1 + 1e-6 * np.log1p(self.counts[candidates])[None, :], axis=1)]
        return ids

    def to_state(self) -> dict[str, Any]:
        import torch

        learned = ~self.designed  # the designed entries are appended at load, never saved
        halved = ("velocity", "offset")  # stored as float16
        return {name: torch.from_numpy(getattr(self, name)[learned].astype(np.float16) if name in halved
                                       else getattr(self, name)[learned]) for name in FIELDS[:-1]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> GrooveCodebook:
        menu_rank = state["menu_rank"].numpy().astype(np.int64) if "menu_rank" in state else None
        return cls(state["bar_steps"].numpy().astype(np.int64), state["patterns"].numpy().astype(bool),
                   state["counts"].numpy().astype(np.int64), state["velocity"].float().numpy(),
                   state["offset"].float().numpy(), menu_rank)
