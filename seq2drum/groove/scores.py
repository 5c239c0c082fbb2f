"""The network's scores for one song, as the decision reads them: `SongScores` (hit logits, velocity and timing per
cell, the bar-structure and groove logits, and the song's bars, sections and bass). The model makes them
(`model.scoring`); groove/ decides from them, so they live here, beside the decision, not beside the network.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np

from seq2drum.song.sections import Section


@dataclass
class SongScores:
    """The network's output for one song, as numpy (n bars, S steps per bar, K codebook entries); every array is per
    bar (its first axis the n bars)."""

    hit_logits: np.ndarray  # (n, S, 9)
    velocity: np.ndarray  # (n, S, 9) MIDI velocity 1-127
    offset: np.ndarray  # (n, S, 9) steps
    structure_logits: np.ndarray  # (n, 3) rest, crash, fill (groove.structure's column order)
    bar_steps: np.ndarray  # (n,)
    beat_steps: np.ndarray  # (n,)
    guitar_plays: np.ndarray  # (n,) bool
    sections: list[Section]
    first_bar: int
    last_onset: tuple[int, int]  # (bar row, step in bar) of the guitar's last onset
    groove_logits: np.ndarray | None = None  # (n, K) the groove head, -inf on entries of another length
    bass_onsets: np.ndarray | None = None  # (n, S) bool the steps a bass part strikes
    bass_sounds: np.ndarray | None = None  # (n,) bool the bars a bass part sounds in (None: no bass heard)

    @property
    def n_bars(self) -> int:
        return len(self.bar_steps)

    def step_mask(self) -> np.ndarray:
        """(n, S) bool: steps inside their bar (read-only for a song of one bar: the live drummer asks several times a
        bar)."""
        if len(self.bar_steps) == 1:
            return _one_bar_mask(self.hit_logits.shape[1], int(self.bar_steps[0]))
        return np.arange(self.hit_logits.shape[1])[None, :] < self.bar_steps[:, None]

    def bars(self, start: int, end: int) -> SongScores:
        """The scores of bars [start, end) (rows of this song), as a song of their own: `first_bar` and the
        guitar's last onset move with them; sections stay in song bars, as everywhere."""
        if (start, end) == (0, self.n_bars):
            return self
        rows = {name: value[start:end] for name, value in vars(self).items() if isinstance(value, np.ndarray)}
        return replace(self, **rows, first_bar=self.first_bar + start,
                       last_onset=(self.last_onset[0] - start, self.last_onset[1]))


@functools.lru_cache(maxsize=64)
def _one_bar_mask(width: int, bar_steps: int) -> np.ndarray:
    """(1, width) bool, read-only: the steps inside a bar of `bar_steps` steps."""
    mask = np.arange(width)[None, :] < np.array([bar_steps])[:, None]
    mask.setflags(write=False)
    return mask
