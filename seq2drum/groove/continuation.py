"""Drums the user gave, in the decision: bars forced to the user's own hits (`--keep-drums`), and a groove the other
bars are asked to continue (the kept bars looped, or a `--groove` clip's bars), held by a bonus the song can outweigh.

A `Continuation` reaches the decision through `Steering.continuation`; four hooks of the decision read it:
`steer_gains` (a forced bar plays the codebook entry nearest its given hits, so the Viterbi's stay bonus and the
section's groove carry on from it; a preferred bar gets the gain of its exact pattern plus a bonus on its nearest
entry), `play_preferred` (a bar that chose that entry plays the given pattern itself, not the entry) and
`edges_only` (a bar playing the given groove rests, crashes or fills only where the song changes) and
`force_given` (after rests, crashes and fills, a forced bar holds exactly its given hits and no structure). Nothing is
decided in a forced bar; the render writes the user's notes there, not these hits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from seq2drum.groove.settings import FORCED_GAIN, PREFERRED_BONUS, PREFERRED_CELL_BONUS
from seq2drum.groove.codebook import GrooveCodebook


@dataclass(frozen=True)
class Continuation:
    """Per bar of the song's span: forced bars and their hits, preferred bars and the pattern each should play."""

    forced: np.ndarray  # (n,) bool: bars whose hits are the user's
    forced_hits: np.ndarray  # (n, S, 9) bool
    forced_entry: np.ndarray  # (n,) int64 nearest codebook entry of each forced bar's hits (-1: none of that length)
    preferred: np.ndarray  # (n,) bool: bars asked to continue the given groove
    preferred_hits: np.ndarray  # (n, S, 9) bool: the given pattern for each preferred bar
    preferred_entry: np.ndarray  # (n,) int64 nearest codebook entry of that pattern (-1: none)
    bonus: float = PREFERRED_BONUS
    cell_bonus: float = PREFERRED_CELL_BONUS
    min_share: float = 0.0  # a preferred bar stays preferred where its pattern has this share of the expected hits

    def __repr__(self) -> str:
        return f"Continuation({int(self.forced.sum())} forced bars, {int(self.preferred.sum())} preferred bars)"

    def groove_bars(self, n_bars: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows (r,), hits (r, S, 9)) the groove the user gave, as the plan labels its part: the first `n_bars` bars
        of the loop the decision goes on with, else the last `n_bars` given bars (none: empty)."""
        rows = np.flatnonzero(self.preferred)[:n_bars]
        rows = rows if len(rows) else np.flatnonzero(self.forced)[-n_bars:]
        return rows, np.where(self.preferred[rows, None, None], self.preferred_hits[rows], self.forced_hits[rows])


def continuation(codebook: GrooveCodebook, bar_steps: np.ndarray, forced: np.ndarray, forced_hits: np.ndarray,
                 preferred: np.ndarray, preferred_hits: np.ndarray, bonus: float = PREFERRED_BONUS,
                 cell_bonus: float = PREFERRED_CELL_BONUS, min_share: float = 0.0) -> Continuation:
    """The decision's view of the given drums (bar_steps (n,): each bar's length; a forced bar is never preferred)."""
    forced = np.asarray(forced, dtype=bool)
    preferred = np.asarray(preferred, dtype=bool) & ~forced
    return Continuation(forced, forced_hits.astype(bool), codebook.assign(forced_hits, bar_steps), preferred,
                        preferred_hits.astype(bool), codebook.assign(preferred_hits, bar_steps), bonus, cell_bonus,
                        min_share)


def fitted(given: Continuation | None, p: np.ndarray) -> Continuation | None:
    """`given` with its preferred bars narrowed to those whose pattern plays at least `min_share` of the hits the
    model expects there (p (n, S, 9) summed over the bar): a sparse intro kept from the file is not looped through
    a song that gets busier after it."""
    if given is None or given.min_share <= 0 or not given.preferred.any():
        return given
    fits = given.preferred_hits.sum(axis=(1, 2)) >= given.min_share * p.sum(axis=(1, 2))
    return dataclasses.replace(given, preferred=given.preferred & fits)


def steer_gains(gains: np.ndarray, p: np.ndarray, lam: float, given: Continuation | None) -> np.ndarray:
    """`gains` (n, K) with the given drums in: a forced bar's nearest entry at FORCED_GAIN and every other entry of
    its length at 0; a preferred bar's nearest entry at the expected gain of the exact pattern (p (n, S, 9) - lam over
    its cells) plus the bonus, even where a style or the entry's rarity would have left it out."""
    if given is None:
        return gains
    gains = gains.copy()
    rows = np.flatnonzero(given.forced & (given.forced_entry >= 0))
    gains[rows] = np.where(np.isfinite(gains[rows]), 0.0, -np.inf)
    gains[rows, given.forced_entry[rows]] = FORCED_GAIN
    rows = np.flatnonzero(given.preferred & (given.preferred_entry >= 0))
    exact = ((p[rows] - lam + given.cell_bonus) * given.preferred_hits[rows]).sum(axis=(1, 2))
    gains[rows, given.preferred_entry[rows]] = exact + given.bonus
    return gains


def play_preferred(hits: np.ndarray, path: np.ndarray, given: Continuation | None) -> None:
    """In place on hits (n, S, 9): a preferred bar whose chosen entry is its pattern's nearest plays the pattern."""
    if given is None:
        return
    rows = given.preferred & (given.preferred_entry >= 0) & (path == given.preferred_entry)
    hits[rows] = given.preferred_hits[rows]


def edges_only(decided: np.ndarray, edges: np.ndarray, path: np.ndarray, given: Continuation | None) -> None:
    """In place on decided (n, 3) rests, crashes, fills: a bar that plays the given groove rests, crashes or fills
    only at its edge (`edges` (n, 3): a bar the music leaves silent, a section's first bar, its last), so the groove
    holds inside a section and changes where the song does."""
    if given is None:
        return
    rows = given.preferred & (given.preferred_entry >= 0) & (path == given.preferred_entry)
    decided[rows] &= edges[rows]


def force_given(hits: np.ndarray, decided: np.ndarray, given: Continuation | None) -> None:
    """In place: forced bars hold their given hits (n, S, 9), and no decided rest, crash or fill (n, 3)."""
    if given is None:
        return
    hits[given.forced] = given.forced_hits[given.forced]
    decided[given.forced] = False
