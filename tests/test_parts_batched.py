"""The song-at-once readings the plan and the as-played names use (issue 86: the plan's time) give the very floats
and labels of the phrase-by-phrase readings they replace: `label_phrases` against `label_phrase` of each phrase,
`phrase_swings` against `swing_reading` of each phrase, `phrase_means` against `_mean` of each column's slice,
`grouped_swung_positions` against `swung_positions` of each piece. Random songs built in code: every meter family,
fills, swung and pushed time-keepers, empty bars."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.feel.swing import grouped_swung_positions, swung_positions
from seq2drum.midi.drums import CLOSED_HAT, LOW_TOM, OPEN_HAT, RIDE, SNARE
from seq2drum.parts.features import _mean, phrase_means, phrase_swings, swing_reading
from seq2drum.parts.labels import label_phrase, label_phrases

WIDTH = 32
METERS = [(16, 4), (12, 4), (12, 6), (24, 6), (20, 4), (14, 2), (28, 4)]  # (bar steps, beat steps)


def random_song(seed: int, n_bars: int = 40) -> tuple[np.ndarray, ...]:
    """(hits (n, S, 9), offset, bar_steps, beat_steps, spans) of a song whose bars are random grooves and fills."""
    rng = np.random.default_rng(seed)
    bar_steps, beat_steps = map(np.array, zip(*[METERS[i] for i in rng.integers(0, len(METERS), n_bars)]))
    hits = rng.random((n_bars, WIDTH, 9)) < rng.uniform(0.02, 0.4, size=(n_bars, 1, 9))
    keeper = [CLOSED_HAT, OPEN_HAT, RIDE][seed % 3]
    hits[:, ::2, keeper] |= rng.random((n_bars, 1)) < 0.7  # a time-keeper in most bars
    hits[rng.random(n_bars) < 0.15, 8:, LOW_TOM] = True  # fills
    hits[rng.random(n_bars) < 0.1] = False  # empty bars
    hits[:, 1::2, SNARE] &= rng.random((n_bars, 1)) < 0.5
    offset = (rng.normal(0, 0.15, hits.shape) + (rng.random((n_bars, 1, 1)) < 0.5) * 0.4).astype(np.float32)
    cuts = np.unique(np.concatenate([[0], rng.integers(1, n_bars, 9), [n_bars]]))
    return hits, offset, bar_steps, beat_steps, list(zip(cuts[:-1].tolist(), cuts[1:].tolist()))


@pytest.mark.parametrize("seed", range(12))
def test_label_phrases_are_each_phrase_labelled_alone(seed: int) -> None:
    hits, offset, bar_steps, beat_steps, spans = random_song(seed)
    together = label_phrases(hits, offset, bar_steps, beat_steps, spans, 12.0)
    for (a, b), label in zip(spans, together):
        alone = label_phrase(hits[a:b], offset[a:b], bar_steps[a:b], beat_steps[a:b], 12.0)
        assert label.signature() == alone.signature() and label.fill_rows == alone.fill_rows
        assert np.array_equal(label.hits_per_bar, alone.hits_per_bar)
    assert {label.subdivision for label in together} - {"none"}  # the time-keepers were read


@pytest.mark.parametrize("seed", range(12))
def test_phrase_swings_and_means_are_each_phrase_read_alone(seed: int) -> None:
    hits, _, bar_steps, beat_steps, spans = random_song(seed)
    onsets = hits.sum(axis=2).astype(np.float32)
    swings = phrase_swings(onsets, bar_steps, beat_steps, spans)
    assert swings == [swing_reading(onsets[a:b], bar_steps[a:b], beat_steps[a:b])[0] for a, b in spans]
    values = np.random.default_rng(seed).normal(0, 100, (len(onsets), 5)).astype(np.float32)
    means = phrase_means(values, spans)
    assert all(means[t, c] == _mean(values[a:b, c]) for t, (a, b) in enumerate(spans) for c in range(5))


def test_grouped_swung_positions_are_each_piece_alone() -> None:
    rng = np.random.default_rng(3)
    pieces = [np.sort(rng.uniform(0, 12, rng.integers(0, 40))) for _ in range(6)]
    times = np.concatenate(pieces)
    groups = np.concatenate([np.full(len(piece), j) for j, piece in enumerate(pieces)])
    places, of = grouped_swung_positions(times, groups)
    for j, piece in enumerate(pieces):
        assert np.array_equal(places[of == j], swung_positions(piece))
