"""Scores beside the network (seq2drum/model/scoring.py): the `Scorer` the decision reads bar ranges from. If these
fail, a decoder asking for a range of bars (a live mode, a decoder that hears its drums) gets the wrong bars."""

from __future__ import annotations

import numpy as np

from seq2drum.model.scoring import WholeSongScorer
from seq2drum.song.sections import Section
from tests.test_decoder import mix, scores_for


def test_a_whole_song_scorer_answers_the_whole_song_with_its_own_scores() -> None:
    scores = scores_for([mix(0.6, 0.2)] * 6, [Section(0, 6, 0)])
    scorer = WholeSongScorer(scores)
    assert scorer.n_bars == 6
    assert scorer(0, 6, None) is scores


def test_a_range_of_bars_keeps_its_rows_and_moves_first_bar_and_last_onset_with_them() -> None:
    scores = scores_for([mix(0.1 * row, 0.2) for row in range(6)], [Section(0, 6, 0)], last_onset=(5, 3))
    part = WholeSongScorer(scores)(2, 5, np.zeros((2, 32, 9), dtype=bool))
    assert part.n_bars == 3 and part.first_bar == 2 and part.last_onset == (3, 3)
    np.testing.assert_array_equal(part.hit_logits, scores.hit_logits[2:5])
    np.testing.assert_array_equal(part.structure_logits, scores.structure_logits[2:5])
    assert part.sections == scores.sections  # sections stay in song bars
