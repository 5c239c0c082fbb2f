"""The live (causal) model: bar n decided from what was played up to the lead of bar n-1, in torch and in its numpy
twin stepped bar by bar (model/causal.py, model/numpy_causal.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seq2drum.config import DataConfig, ModelConfig
from seq2drum.errors import ConfigError
from seq2drum.midi.io import read_midi
from seq2drum.model.causal import AHEAD_STEP, CAUSAL_BAR, causal_masks
from seq2drum.model.checkpoint import load_checkpoint, model_from_checkpoint
from seq2drum.model.heard import heard_drums
from seq2drum.model.scoring import numpy_network, numpy_song_scores, song_scores
from seq2drum.song.bars import bar_song
from seq2drum.song.columns import BAR, STEP
from seq2drum.song.encode import encode_song
from tests.builders import rock_song_bytes, tiny_checkpoint


@pytest.fixture(scope="module")
def causal(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, object]:
    """A tiny causal model with trained-like weights, and a 10-bar built song as it reads it."""
    payload = load_checkpoint(tiny_checkpoint(tmp_path_factory.mktemp("live") / "live.pt", causal=True))
    loaded = model_from_checkpoint(payload)
    torch.manual_seed(3)
    with torch.no_grad():
        for parameter in loaded.model.parameters():
            parameter.normal_(0.0, 0.3)
    song = bar_song(encode_song(read_midi(rock_song_bytes(10)), DataConfig(), with_drums=False), loaded.spec)
    return loaded.model, song


def _scores(model: torch.nn.Module, song: object, step_features: np.ndarray, bar_features: np.ndarray,
            heard: np.ndarray | None = None) -> np.ndarray:
    with torch.no_grad():
        out = model(torch.from_numpy(step_features)[None], torch.from_numpy(bar_features)[None],
                    torch.from_numpy(song.bar_steps)[None], torch.tensor([song.n_bars]),
                    None if heard is None else torch.from_numpy(heard)[None])
    return np.concatenate([out.hit_logits[0].flatten(1).numpy(), out.structure_logits[0].numpy(),
                           np.nan_to_num(out.groove_logits[0].numpy(), neginf=-1e9)], axis=1)


def test_existing_checkpoints_are_offline_and_causal_models_do_not_attend() -> None:
    assert ModelConfig.from_dict({}).causal is False
    with pytest.raises(ConfigError, match="attend"):
        ModelConfig(causal=True, attention=True)


def test_it_reads_meter_tempo_and_positions_only_of_the_bar_it_decides() -> None:
    masks = causal_masks(STEP.names, BAR.names)
    assert {name for name, keep in zip(BAR.names, masks["bar"]) if keep} == CAUSAL_BAR
    assert "tempo_log2" in CAUSAL_BAR and "section_start" not in CAUSAL_BAR and "band_bass_enters" not in CAUSAL_BAR
    assert {name for name, keep in zip(STEP.names, masks["ahead_step"]) if keep} == AHEAD_STEP
    assert masks["encoder_step"][STEP.index("bass_onsets")] == 1
    assert masks["encoder_step"][STEP.index("bar_silent")] == 0


@pytest.mark.parametrize("bar", [1, 4, 7])
def test_what_is_played_from_the_lead_of_bar_n_minus_1_on_changes_nothing_up_to_bar_n(causal, bar: int) -> None:
    """Notes from the lead of bar n-1 on (its last 16th, every later bar) and every bar-level column computed from
    the whole song (sections, novelty, roles, the song summary) change none of the scores of bars <= n."""
    model, song = causal
    rng = np.random.default_rng(bar)
    step_features, bar_features = song.step_features.copy(), song.bar_features.copy()
    lead = int(song.bar_steps[bar - 1]) - 1
    step_features[bar - 1, lead:] = rng.random(step_features[bar - 1, lead:].shape)
    step_features[bar:] = rng.random(step_features[bar:].shape)
    position = list(AHEAD_STEP)
    for name in position:  # where a step sits is known ahead, and kept
        step_features[:, :, STEP.index(name)] = song.step_features[:, :, STEP.index(name)]
    not_known = [i for i, name in enumerate(BAR.names) if name not in CAUSAL_BAR]
    bar_features[:, not_known] = rng.random((song.n_bars, len(not_known)))
    hits = rng.random((song.n_bars, song.step_features.shape[1], 9)) < 0.3
    heard = heard_drums(hits, np.ones(song.n_bars, dtype=bool))
    changed_heard = heard.copy()
    changed_heard[bar + 1:] = rng.random(changed_heard[bar + 1:].shape)  # the drums of bar n and later
    a = _scores(model, song, song.step_features, song.bar_features, heard)
    b = _scores(model, song, step_features, bar_features, changed_heard)
    np.testing.assert_array_equal(a[: bar + 1], b[: bar + 1])
    assert not np.allclose(a[bar + 1 :], b[bar + 1 :])
    earlier = song.step_features.copy()
    earlier[bar - 1, lead - 1] = rng.random(earlier.shape[-1])  # a step before the lead is heard by bar n
    assert not np.allclose(_scores(model, song, earlier, song.bar_features, heard)[bar], a[bar])


@pytest.mark.parametrize("hearing", [False, True], ids=["hears-none", "hears-drums"])
def test_the_numpy_twin_stepped_bar_by_bar_matches_the_torch_module(causal, hearing: bool) -> None:
    model, song = causal
    heard = None
    if hearing:
        rng = np.random.default_rng(1)
        hits = rng.random((song.n_bars, song.step_features.shape[1], 9)) < 0.2
        heard = heard_drums(hits, rng.random(song.n_bars) < 0.7, before=hits[0])
    expected = song_scores(model, song, heard=heard)
    got = numpy_song_scores(numpy_network(model), song, heard)
    for name in ("hit_logits", "velocity", "offset", "structure_logits"):
        np.testing.assert_allclose(getattr(got, name), getattr(expected, name), rtol=1e-4, atol=1e-4, err_msg=name)
    finite = np.isfinite(expected.groove_logits)
    assert (np.isfinite(got.groove_logits) == finite).all()
    np.testing.assert_allclose(got.groove_logits[finite], expected.groove_logits[finite], rtol=1e-4, atol=1e-4)


def test_a_causal_checkpoint_round_trips(tmp_path: Path) -> None:
    payload = load_checkpoint(tiny_checkpoint(tmp_path / "live.pt", causal=True))
    loaded = model_from_checkpoint(payload)
    assert loaded.model.config.causal and loaded.model.encoder_bwd is None
    assert not any(name.endswith("_mask") for name in payload["model"])  # masks come from the column names
