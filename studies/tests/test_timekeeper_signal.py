"""studies.timekeeper_signal: the study of whether the parts tell which cymbal keeps time (issue 24's ride and open-hat
targets). If these fail, its figures (the model card's Limits) no longer measure what they say."""

from __future__ import annotations

import numpy as np

from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT, RIDE
from seq2drum.song.bars import BarSong
from seq2drum.song.sections import Section
from studies.timekeeper_signal import auc, held_out_ratings, section_rows, step_rates


def two_section_song() -> BarSong:
    """8 bars of 4/4 from bar 2 of the file: a verse (bars 2-5) on closed-hat eighths, a chorus (6-9) on the ride,
    with one open hat on the last eighth of each chorus bar; the chorus's columns louder than the verse's."""
    n, width = 8, 16
    hits = np.zeros((n, width, 9), dtype=bool)
    hits[:4, ::2, CLOSED_HAT] = True
    hits[4:, ::2, RIDE] = True
    hits[4:, 14, RIDE] = False
    hits[4:, 14, OPEN_HAT] = True
    bar_features = np.zeros((n, 3), dtype=np.float32)
    bar_features[4:, 0] = 1.0
    step_features = np.zeros((n, width, 2), dtype=np.float32)
    step_features[4:, :, 1] = 0.5
    return BarSong("made", 2, np.full(n, 16), np.full(n, 4), step_features, bar_features, np.ones(n, dtype=bool),
                   sections=[Section(2, 6, 0), Section(6, 10, 1)], hits=hits)


def test_sections_count_each_cymbal_and_average_the_columns_the_model_reads() -> None:
    features, counts = section_rows(two_section_song())
    assert counts.tolist() == [[32, 0, 0], [0, 4, 28]]
    assert features.shape == (2, 5)
    assert features[0].tolist() == [0, 0, 0, 0, 0] and features[1].tolist() == [1, 0, 0, 0, 0.5]


def test_open_and_closed_hat_rates_per_sixteenth() -> None:
    rates = step_rates([two_section_song()])
    assert rates[0].tolist() == [0.0, 0.5] and rates[14].tolist() == [0.5, 0.5] and rates[1].tolist() == [0.0, 0.0]


def test_auc_ranks_and_weights() -> None:
    label = np.array([True, True, False, False])
    assert auc(np.array([0.9, 0.8, 0.2, 0.1]), label, np.ones(4)) == 1.0
    assert auc(np.array([0.1, 0.2, 0.8, 0.9]), label, np.ones(4)) == 0.0
    assert np.isnan(auc(np.ones(4), np.ones(4, dtype=bool), np.ones(4)))


def test_held_out_ratings_find_a_signal_the_columns_carry_and_none_in_noise() -> None:
    """A voice kept where a column is high is rated high on held-out folds; shuffled labels give no signal."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 6)).astype(np.float32)
    share = (features[:, 2] > 0.5).astype(np.float64)
    folds = np.arange(400) % 5
    ratings = held_out_ratings(features, share, np.ones(400), folds, steps=100)
    assert auc(ratings, share > 0.5, np.ones(400)) > 0.95
    noise = rng.permutation(share)
    noise_ratings = held_out_ratings(features, noise, np.ones(400), folds, steps=100)
    assert abs(auc(noise_ratings, noise > 0.5, np.ones(400)) - 0.5) < 0.1
