"""What the decoder hears of the drums (model/heard.py), the training items that carry it, and a decoder that hears
only the bars before: what it hears of bar k changes nothing up to bar k."""

from __future__ import annotations

import numpy as np
import torch

from seq2drum.model.heard import FAR, heard_before, heard_drums, heard_for
from seq2drum.model.network import ARCHITECTURE, build_model
from seq2drum.song.bars import FeatureSpec
from seq2drum.training.batches import primed_bars
from tests.builders import TINY_MODEL, tiny_codebook

SPEC = FeatureSpec.current(4)
S = SPEC.max_bar_steps


def bars_of(*patterns: list[tuple[int, int]], width: int = 16) -> np.ndarray:
    hits = np.zeros((len(patterns), width, 9), dtype=bool)
    for bar, cells in enumerate(patterns):
        for step, drum in cells:
            hits[bar, step, drum] = True
    return hits


def test_each_bar_hears_the_last_known_bar_before_it() -> None:
    hits = bars_of([(0, 0)], [(4, 1)], [(8, 2)], [(12, 3)], [])
    rows = heard_drums(hits, np.array([True, False, True, False, False]))
    flat = hits.reshape(5, -1).astype(np.float32)
    assert not rows[0].any()  # nothing before the first bar
    np.testing.assert_array_equal(rows[1, :-2], flat[0])
    np.testing.assert_array_equal(rows[2, :-2], flat[0])  # bar 1 is not known: bar 0 is still the last heard
    np.testing.assert_array_equal(rows[3, :-2], flat[2])
    np.testing.assert_array_equal(rows[4, :-2], flat[2])
    np.testing.assert_array_equal(rows[1:, -2], 1.0)
    np.testing.assert_allclose(rows[1:, -1], np.array([1, 2, 1, 2]) / FAR)


def test_a_groove_clip_is_heard_as_the_bar_before_the_song() -> None:
    clip = bars_of([(0, 0), (8, 1)])[0]
    rows = heard_drums(np.zeros((3, 16, 9), dtype=bool), np.zeros(3, dtype=bool), before=clip)
    for row in rows:
        np.testing.assert_array_equal(row[:-2], clip.reshape(-1))
    np.testing.assert_allclose(rows[:, -1], np.array([1, 2, 3]) / FAR)


def test_a_live_bar_hears_what_heard_drums_gives_one_bar() -> None:
    """heard_before (the live drummer's row) is heard_drums of one unknown bar, bit for bit; breaks if the live
    decoder heard its last bar otherwise than a song's first bar hears a groove clip."""
    clip = bars_of([(0, 0), (8, 1), (15, 8)])[0]
    for before in (clip, None):
        expected = heard_drums(np.zeros((1, 16, 9), dtype=bool), np.zeros(1, dtype=bool), before=before)[0]
        row = heard_before(before, 16)
        assert row.dtype == expected.dtype and np.array_equal(row, expected)


def test_generation_hears_given_bars_over_its_own_choice() -> None:
    """The user's bars win over what a pass chose for them; bars the user did not give hear the chosen drums."""
    class Given:
        hits = bars_of([(0, 0)], [], [])
        covered = np.array([True, False, False])
        groove = None

    chosen = bars_of([(4, 1)], [(8, 2)], [(12, 3)])
    rows = heard_for(3, 16, Given(), chosen=chosen)
    np.testing.assert_array_equal(rows[1, :-2], Given.hits[0].reshape(-1))
    np.testing.assert_array_equal(rows[2, :-2], chosen[1].reshape(-1))
    assert heard_for(3, 16) is None  # nothing given, nothing chosen: the network hears none


def test_primed_bars_are_the_first_bar_with_four_hits_and_the_next() -> None:
    hits = bars_of([(0, 0)], [(0, 0), (4, 1), (8, 0), (12, 1)], [(0, 0)], [(0, 0)])
    np.testing.assert_array_equal(primed_bars(hits), [False, True, True, False])
    assert not primed_bars(np.zeros((3, 16, 9), dtype=bool)).any()


def test_the_decoder_hears_only_the_bars_before() -> None:
    """Changing what bar k hears changes the scores of bar k and later only (the decoder runs forward)."""
    torch.manual_seed(0)
    model = build_model(ARCHITECTURE, TINY_MODEL.replace(hear_drums=True), SPEC.n_step, SPEC.n_bar, S,
                        torch.from_numpy(tiny_codebook().bar_steps)).eval()
    n = 6
    inputs = (torch.randn(1, n, S, SPEC.n_step), torch.randn(1, n, SPEC.n_bar), torch.full((1, n), 16),
              torch.tensor([n]))
    hits = np.random.default_rng(0).random((n, S, 9)) < 0.3
    heard = heard_drums(hits, np.ones(n, dtype=bool))
    changed = heard.copy()
    changed[3] = 0.0
    with torch.no_grad():
        a = model(*inputs, torch.from_numpy(heard)[None]).hit_logits[0]
        b = model(*inputs, torch.from_numpy(changed)[None]).hit_logits[0]
    assert torch.equal(a[:3], b[:3])
    assert not torch.allclose(a[3], b[3])


def test_kick_calibration_hears_the_bass() -> None:
    """The kick's bias where the bass strikes and elsewhere in its bars, fitted on songs whose drummer kicks with the
    bass: positive where the bass strikes, negative beside it, nothing in bars without a bass."""
    from types import SimpleNamespace

    from seq2drum.groove.policy import DecodingPolicy, kick_bass_offsets
    from seq2drum.training.calibrate import fit_kick_bass_bias

    rng = np.random.default_rng(0)
    n, width = 40, 16
    bass = rng.random((n, width)) < 0.3
    bass[:5] = False  # bars without a bass note
    hits = np.zeros((n, width, 9), dtype=bool)
    hits[..., 0] = np.where(bass, rng.random((n, width)) < 0.8, rng.random((n, width)) < 0.1)
    scores = SimpleNamespace(hit_logits=np.full((n, width, 9), -1.0), bass_onsets=bass,
                             step_mask=lambda: np.ones((n, width), dtype=bool))
    on, beside = fit_kick_bass_bias([scores], [SimpleNamespace(hits=hits)], DecodingPolicy())
    assert on > 1.0 and beside < -0.5
    offsets = kick_bass_offsets(bass, (on, beside))
    assert (offsets[:5] == 0).all() and (offsets[bass] == on).all()
