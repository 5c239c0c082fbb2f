"""The step biases: calibration by position in the bar, which the network does not hear."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np

from seq2drum.groove.policy import DecodingPolicy, calibrated, calibrated_logits
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.training.calibrate import fit_step_bias

SNARE = DRUM_CLASSES.index("snare")


def _songs(n_four: int, n_three: int, seed: int = 0) -> tuple[list, list]:
    """One song: `n_four` 4/4 bars whose snare is hit on beats 2 and 4 (90%) and rarely on beat 3 (5%), then
    `n_three` 3/4 bars; the network rates every cell alike (logit -1), as it would with no sense of position."""
    rng = np.random.default_rng(seed)
    n, width = n_four + n_three, 16
    bar_steps = np.array([16] * n_four + [12] * n_three)
    hits = np.zeros((n, width, 9), dtype=bool)
    hits[:n_four, [4, 12], SNARE] = rng.random((n_four, 2)) < 0.9
    hits[:n_four, 8, SNARE] = rng.random(n_four) < 0.05
    hits[n_four:, 4, SNARE] = True
    scores = SimpleNamespace(hit_logits=np.full((n, width, 9), -1.0), bar_steps=bar_steps,
                             beat_steps=np.full(n, 4), step_mask=lambda: np.arange(width)[None, :] < bar_steps[:, None],
                             structure_logits=np.zeros((n, 3)), bass_onsets=None)
    return [scores], [SimpleNamespace(hits=hits)]


def test_step_bias_learns_the_backbeat_a_position_blind_network_misses():
    scores, songs = _songs(400, 50)
    rows = fit_step_bias(scores, songs, DecodingPolicy(), min_bars=200)
    assert [(row[0], row[1]) for row in rows] == [(16.0, 4.0)]  # 50 bars of 3/4 are too few for biases of their own
    policy = DecodingPolicy().recalibrated(step_bias=rows)
    p, _ = calibrated(scores[0], policy)
    snare = p[:400, :, SNARE].mean(axis=0)
    assert abs(snare[4] - 0.9) < 0.05 and abs(snare[12] - 0.9) < 0.05
    assert snare[8] < 0.1 < snare[4]
    plain, _ = calibrated(scores[0], DecodingPolicy())
    assert np.allclose(p[400:], plain[400:])  # the 3/4 bars are calibrated as before


def test_step_bias_is_pulled_towards_zero_where_bars_are_few():
    few = fit_step_bias(*_songs(200, 0), DecodingPolicy(), min_bars=200, prior=50.0)
    many = fit_step_bias(*_songs(200, 0), DecodingPolicy(), min_bars=200, prior=0.1)
    beat_two = 2 + 4 * 9 + SNARE
    assert 0 < few[0][beat_two] < many[0][beat_two]


def test_step_biases_fit_each_bar_shape():
    row = (12.0, 6.0, *np.arange(12 * 9, dtype=float))
    scores = SimpleNamespace(hit_logits=np.zeros((3, 16, 9)), bar_steps=np.array([12, 12, 16]),
                             beat_steps=np.array([6, 4, 4]), bass_onsets=None)
    offsets = calibrated_logits(scores, DecodingPolicy().recalibrated(step_bias=(row,)))  # logits 0: the biases alone
    assert offsets.shape == (3, 16, 9)
    assert offsets[0, 1, 0] == 9.0 and (offsets[0, 12:] == 0).all()
    assert (offsets[1:] == 0).all()  # 3/4 (beat 4 steps) is not 6/8, and 4/4 has no row


def test_step_bias_round_trips_through_the_checkpoints_json():
    policy = DecodingPolicy().recalibrated(step_bias=((4.0, 4.0, *[0.5] * 36),))
    again = DecodingPolicy.from_dict(json.loads(json.dumps(policy.to_dict())))
    assert again == policy
    assert DecodingPolicy.from_dict({}).calibration.step_bias == ()  # a checkpoint tuned before step biases has none


def test_short_bars_get_no_step_bias():
    """Runs of 4-step bars play grooves across several bars; one bias per step of such a bar made a snare roll."""
    scores, songs = _songs(0, 300)
    scores[0].bar_steps[:] = 4
    assert fit_step_bias(scores, songs, DecodingPolicy(), min_bars=200) == ()
