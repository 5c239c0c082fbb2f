"""Ensembles (`GrooveEnsemble`, `NumpyEnsemble`, `join_checkpoints`): models trained apart, read as one network whose
outputs are the members' mean, the same in torch and numpy, through the checkpoint and the fast-start copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seq2drum.config import DataConfig
from seq2drum.errors import CheckpointError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.midi.io import read_midi
from seq2drum.model.checkpoint import join_checkpoints, load_checkpoint, model_from_checkpoint
from seq2drum.model.network import GrooveEnsemble
from seq2drum.model.numpy_network import NumpyEnsemble
from seq2drum.model.scoring import numpy_network, numpy_song_scores, song_scores
from seq2drum.options import GenerationOptions
from seq2drum.song.bars import FeatureSpec, bar_song
from seq2drum.song.encode import encode_song
from tests.builders import rock_song_bytes, tiny_checkpoint, tiny_codebook

OUTPUTS = ("hit_logits", "velocity", "offset", "structure_logits")


@pytest.fixture()
def members(tmp_path: Path) -> list[Path]:
    """Two tiny models of other seeds with trained-like weights (not the tiny model's near-silent ones)."""
    paths = []
    for seed in (0, 1):
        path = tiny_checkpoint(tmp_path / f"seed{seed}.pt", seed=seed)
        payload = load_checkpoint(path)
        generator = torch.Generator().manual_seed(seed)
        payload["model"] = {name: value + 0.3 * torch.randn(value.shape, generator=generator)
                            if value.is_floating_point() else value for name, value in payload["model"].items()}
        torch.save(payload, path)
        paths.append(path)
    return paths


def _song(spec: FeatureSpec) -> object:
    return bar_song(encode_song(read_midi(rock_song_bytes(8)), DataConfig(), with_drums=False), spec)


def test_the_ensemble_scores_are_its_members_mean_in_torch_and_numpy(members: list[Path], tmp_path: Path) -> None:
    """Decoding reads one network: the joined checkpoint's outputs are the mean of its members' (logits as logits),
    and its numpy twin, which generation runs, agrees with it."""
    joined = model_from_checkpoint(load_checkpoint(join_checkpoints(members, tmp_path / "ens.pt")))
    assert isinstance(joined.model, GrooveEnsemble) and joined.model.config.members == 2
    singles = [model_from_checkpoint(load_checkpoint(path)).model for path in members]
    song = _song(joined.spec)
    expected = [song_scores(model, song) for model in singles]
    got = song_scores(joined.model, song)
    for name in OUTPUTS:
        np.testing.assert_allclose(getattr(got, name), np.mean([getattr(e, name) for e in expected], axis=0),
                                   rtol=1e-5, atol=1e-5, err_msg=name)
    assert not np.allclose(expected[0].hit_logits, expected[1].hit_logits)  # the members differ
    network = numpy_network(joined.model)
    assert isinstance(network, NumpyEnsemble)
    assert network.n_parameters == 2 * numpy_network(singles[0]).n_parameters
    twin = numpy_song_scores(network, song)
    for name in OUTPUTS:
        np.testing.assert_allclose(getattr(twin, name), getattr(got, name), rtol=1e-4, atol=1e-4, err_msg=name)
    finite = np.isfinite(got.groove_logits)
    assert (np.isfinite(twin.groove_logits) == finite).all()
    np.testing.assert_allclose(twin.groove_logits[finite], got.groove_logits[finite], rtol=1e-4, atol=1e-4)


def test_an_ensemble_generates_the_same_drums_through_torch_and_the_fast_start_copy(
        members: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first load reads torch and writes the numpy copy; the second reads the copy: the same takes."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    checkpoint = join_checkpoints(members, tmp_path / "ens.pt")
    first = DrumGenerator.from_checkpoint(checkpoint)
    again = DrumGenerator.from_checkpoint(checkpoint)
    assert first.model is not None and again.model is None
    options = GenerationOptions(seed=3, takes=2)
    one, two = first.generate(rock_song_bytes(8), options), again.generate(rock_song_bytes(8), options)
    assert [take.midi_bytes for take in one.takes] == [take.midi_bytes for take in two.takes]


def test_joining_refuses_models_that_cannot_be_averaged(members: list[Path], tmp_path: Path) -> None:
    """One model, another codebook, or an ensemble already: each refused with what to join instead."""
    with pytest.raises(CheckpointError, match="two or more"):
        join_checkpoints(members[:1], tmp_path / "one.pt")
    codebook = tiny_codebook()
    other = GrooveCodebook(**{**vars(codebook), "counts": codebook.counts + 1})
    stranger = tiny_checkpoint(tmp_path / "stranger.pt", codebook=other)
    with pytest.raises(CheckpointError, match="codebook"):
        join_checkpoints([members[0], stranger], tmp_path / "mixed.pt")
    joined = join_checkpoints(members, tmp_path / "ens.pt")
    with pytest.raises(CheckpointError, match="ensemble already"):
        join_checkpoints([joined, members[0]], tmp_path / "nested.pt")
    assert not (tmp_path / "one.pt").exists() and not (tmp_path / "mixed.pt").exists()
