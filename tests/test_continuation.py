"""groove.continuation: the user's bars forced in the decision, their groove preferred with a bonus the model's
scores can outweigh, and structure in a bar playing it only at the song's edges."""

from __future__ import annotations

import numpy as np

from seq2drum.groove.continuation import (continuation, edges_only, fitted, force_given, play_preferred,
                                          steer_gains)
from seq2drum.groove.settings import FORCED_GAIN
from tests.builders import rock_bar, tiny_codebook

N, S = 4, 32


def given_rows() -> tuple[np.ndarray, np.ndarray]:
    """Bar 0 forced to a rock bar with an extra kick; bars 1-3 asked to play that same bar."""
    hits = np.zeros((N, S, 9), dtype=bool)
    hits[:, :16] = rock_bar(16)
    hits[:, 14, 0] = True
    return np.array([True, False, False, False]), hits


def test_forced_bars_play_their_nearest_entry_and_hold_their_own_hits() -> None:
    """Breaks when a forced bar can be decided otherwise, or ends with other hits than the user's."""
    codebook = tiny_codebook()
    forced, hits = given_rows()
    steer = continuation(codebook, np.full(N, 16), forced, hits, ~forced, hits)
    gains = np.zeros((N, len(codebook)))
    steered = steer_gains(gains, np.zeros((N, S, 9)), 0.3, steer)
    assert steered[0, steer.forced_entry[0]] == FORCED_GAIN and steer.forced_entry[0] >= 0
    decided = np.ones((N, 3), dtype=bool)
    played = np.zeros((N, S, 9), dtype=bool)
    force_given(played, decided, steer)
    assert (played[0] == hits[0]).all() and not decided[0].any() and decided[1:].all()


def test_the_preferred_pattern_wins_unless_the_model_expects_much_more() -> None:
    """A preferred bar's entry carries the exact pattern's gain plus the bonus; a bar that chose it plays the given
    pattern itself (not the entry's), and rests, crashes and fills stay only at edges there."""
    codebook = tiny_codebook()
    forced, hits = given_rows()
    steer = continuation(codebook, np.full(N, 16), forced, hits, ~forced, hits, bonus=2.0, cell_bonus=0.0)
    p = np.where(hits, 0.3, 0.0)  # exactly lambda on the given cells: the bonus alone
    steered = steer_gains(np.zeros((N, len(codebook))), p, 0.3, steer)
    entry = steer.preferred_entry[1]
    assert np.allclose(steered[1:, entry], 2.0)
    path = np.array([steer.forced_entry[0], entry, entry, -1])
    played = np.zeros((N, S, 9), dtype=bool)
    play_preferred(played, path, steer)
    assert (played[1:3] == hits[1:3]).all() and not played[3].any()
    decided = np.ones((N, 3), dtype=bool)
    edges = np.zeros((N, 3), dtype=bool)
    edges[2, 1] = True  # a section starts at bar 2: its crash stays
    edges_only(decided, edges, path, steer)
    assert decided[:, 1].tolist() == [True, False, True, True]
    assert steer_gains(steered, p, 0.3, None) is steered  # no given drums: untouched


def test_kept_bars_far_sparser_than_the_song_asks_for_are_not_continued() -> None:
    """A sparse intro kept from the file (a rock bar's 4 kicks and snares) is preferred only in the bars where it has
    at least min_share of the hits the model expects: a bar expecting 8 keeps it at share 0.5, one expecting 24
    does not; share 0 prefers it everywhere."""
    codebook = tiny_codebook()
    forced, _ = given_rows()
    sparse = np.zeros((N, S, 9), dtype=bool)
    sparse[:, [0, 8], 0] = True
    sparse[:, [4, 12], 1] = True
    p = np.zeros((N, S, 9))
    p[1, :16, 2] = 0.5  # 8 hits expected
    p[2:, :16, 2] = 1.0
    p[2:, :16, 0] = 0.5  # 24 hits expected
    loose = fitted(continuation(codebook, np.full(N, 16), forced, sparse, ~forced, sparse), p)
    assert loose.preferred.tolist() == [False, True, True, True]
    tight = fitted(continuation(codebook, np.full(N, 16), forced, sparse, ~forced, sparse, min_share=0.5), p)
    assert tight.preferred.tolist() == [False, True, False, False]
    assert fitted(None, p) is None
