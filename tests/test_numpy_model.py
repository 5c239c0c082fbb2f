"""The numpy forward pass that generation runs: the same scores as the torch module it was read from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seq2drum.model import network as torch_model
from seq2drum.model import numpy_network as numpy_model
from seq2drum.model.checkpoint import load_checkpoint
from seq2drum.model.heard import heard_drums
from seq2drum.parts.codes import PART_CODE_WIDTH
from seq2drum.config import DataConfig, ModelConfig
from seq2drum.song.bars import FeatureSpec, bar_song
from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.model.scoring import numpy_network, numpy_song_scores, song_scores
from seq2drum.midi.io import read_midi
from seq2drum.song.encode import encode_song
from tests.builders import rock_song_bytes, tiny_checkpoint


def test_it_follows_the_architecture_the_torch_model_builds() -> None:
    """A changed network (a new ARCHITECTURE name) must come with a changed numpy forward."""
    assert numpy_model.ARCHITECTURE == torch_model.ARCHITECTURE


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
@pytest.mark.parametrize("layers", [1, 2], ids=["one-layer", "two-layers"])
@pytest.mark.parametrize("hearing", [False, True, "part"], ids=["hears-none", "hears-drums", "hears-part"])
def test_scores_match_the_torch_module(tmp_path: Path, attention: bool, layers: int, hearing: bool | str) -> None:
    """Decoding reads these scores: numpy and torch agree to float32 rounding on every output, the -inf of
    groove entries of another bar length included (trained-like weights, not the tiny model's near-zero ones), with
    and without drums heard by the decoder, and with the part each bar is played in (parts/codes.py)."""
    payload = load_checkpoint(tiny_checkpoint(tmp_path / "tiny.pt", attention=attention))
    config = ModelConfig.from_dict(payload["model_config"]).replace(enc_layers=layers, dec_layers=layers,
                                                                     hear_part=hearing == "part")
    payload["model_config"] = config.to_dict()
    torch.manual_seed(layers)
    spec = FeatureSpec.from_dict(payload["feature_spec"])
    codebook = GrooveCodebook.from_state(payload["codebook"])
    module = torch_model.build_model(torch_model.ARCHITECTURE, config, spec.n_step, spec.n_bar, spec.max_bar_steps,
                                     torch.from_numpy(codebook.bar_steps)).eval()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0.0, 0.3)
    song = bar_song(encode_song(read_midi(rock_song_bytes(12)), DataConfig(), with_drums=False), spec)
    heard = None
    if hearing:
        rng = np.random.default_rng(layers)
        hits = rng.random((song.n_bars, spec.max_bar_steps, 9)) < 0.2
        heard = heard_drums(hits, rng.random(song.n_bars) < 0.5, before=hits[0])
    parts = None
    if hearing == "part":
        parts = (np.random.default_rng(layers).random((song.n_bars, PART_CODE_WIDTH)) < 0.3).astype(np.float32)
    expected = song_scores(module, song, heard=heard, parts=parts)
    got = numpy_song_scores(numpy_network(module), song, heard, parts)
    for name in ("hit_logits", "velocity", "offset", "structure_logits"):
        np.testing.assert_allclose(getattr(got, name), getattr(expected, name), rtol=1e-4, atol=1e-4, err_msg=name)
    assert got.groove_logits is not None and expected.groove_logits is not None  # later takes choose by them
    finite = np.isfinite(expected.groove_logits)
    assert (np.isfinite(got.groove_logits) == finite).all()
    np.testing.assert_allclose(got.groove_logits[finite], expected.groove_logits[finite], rtol=1e-4, atol=1e-4)
    with torch.inference_mode():
        out = module(torch.from_numpy(song.step_features)[None], torch.from_numpy(song.bar_features)[None],
                     torch.from_numpy(song.bar_steps)[None], torch.tensor([song.n_bars]),
                     None if heard is None else torch.from_numpy(heard)[None],
                     None if parts is None else torch.from_numpy(parts)[None])
    grooves = numpy_network(module).forward(song.step_features, song.bar_features, song.bar_steps,
                                            heard, parts).groove_logits
    reference = out.groove_logits[0].numpy()
    assert (np.isfinite(grooves) == np.isfinite(reference)).all()
    np.testing.assert_allclose(grooves[np.isfinite(reference)], reference[np.isfinite(reference)], rtol=1e-4,
                               atol=1e-4)
